# Code analysis and the per-opcode table the loop checks before every
# instruction (as evmone's baseline: one load answers "defined?", "stack ok?"
# and "base gas?").
from evm import opcodes as _opcodes

# OP_META[fork][op].gas < 0 means "undefined in that fork".
cdef OpMeta OP_META[N_FORKS][256]

def _build_op_table():
    cdef int f, op, req, hi
    for f in range(N_FORKS):
        table = _opcodes.base_gas_table(Fork(f))
        for op in range(256):
            info = _opcodes.OPCODES.get(op)
            req = info.pops if info is not None else 0
            # after the op the height is h - pops + pushes, which must be <= 1024
            hi = STACK_LIMIT - max(0, info.pushes - info.pops) if info is not None else STACK_LIMIT
            OP_META[f][op].base = table[op]
            OP_META[f][op].gas = table[op] if (table[op] < 0 or not info.dynamic) else 0
            OP_META[f][op].req = req * sizeof(u256)
            OP_META[f][op].span = (hi - req) * sizeof(u256)
            OP_META[f][op].delta = ((info.pushes - info.pops) if info is not None else 0) * <int64_t>sizeof(u256)
            if table[op] < 0:
                # undefined: fail the loop's stack check whatever the stack,
                # so one test per instruction catches every failure
                OP_META[f][op].req = 0xFFFFFFFF
                OP_META[f][op].span = 0

_build_op_table()
_FORKS = tuple(Fork)  # Fork(n) is a slow enum lookup; index this instead

# The instructions the plain loop runs inside a basic block (run_fast): no
# exit, no dependence on the gas left. Any other instruction ends its block.
# IN_BLOCK_DYNAMIC: MLOAD and MSTORE, whose base gas is charged with the
# block and whose memory expansion the loop charges (an expansion the gas
# cannot pay halts there, as the spec halts at the latest before the block's
# end; one beyond the allocated buffer gives the block's rest back and goes
# to the outer loop).
cdef enum:
    IN_BLOCK_STATIC = 1
    IN_BLOCK_DYNAMIC = 2
cdef uint8_t IN_BLOCK[256]

def _build_in_block_table():
    cdef int op
    inside = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0B,
              0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E,
              0x30, 0x32, 0x33, 0x34, 0x35, 0x36, 0x38, 0x3A, 0x3D,
              0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x4A,
              0x50, 0x58, 0x59, 0x5B] + list(range(0x5F, 0xA0))
    memset(IN_BLOCK, 0, sizeof(IN_BLOCK))
    for op in inside:
        IN_BLOCK[op] = IN_BLOCK_STATIC
    IN_BLOCK[0x51] = IN_BLOCK[0x52] = IN_BLOCK_DYNAMIC

_build_in_block_table()

cdef BlockInfo* analyse_blocks(const uint8_t* code, uint64_t n, const OpMeta* meta) except NULL:
    """For every instruction, what the run from it to the end of its basic
    block needs together: the static gas of those instructions and the stack
    height range in which every one of them passes its own check.

    A block runs until an instruction not in IN_BLOCK (a jump, one that
    leaves the inner loop, GAS) and includes it; MLOAD, MSTORE and
    JUMPDESTs do not end one,
    since the loop checks a jump's destination when it jumps. Because the
    last instruction is the only one that can leave the loop or read the
    gas, charging the whole run on entry leaves the exact gas wherever it is
    observed. Computed right to left, each instruction's needs from its
    successor's. A run with an undefined instruction, or whose needs no
    height meets, is marked never to run unchecked (req = 0xFFFF)."""
    cdef BlockInfo* blocks = <BlockInfo*>calloc(n + 1, sizeof(BlockInfo))
    cdef uint8_t* starts = <uint8_t*>calloc(n + 1, 1)
    cdef uint64_t i = 0, nxt
    cdef int64_t gas, req, hi
    cdef uint8_t op
    cdef const OpMeta* m
    cdef const BlockInfo* after
    if blocks == NULL or starts == NULL:
        free(blocks)
        free(starts)
        raise MemoryError()
    while i <= n:  # instruction boundaries (PUSH data skipped); n is the final STOP
        starts[i] = 1
        op = code[i] if i < n else 0x00
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    i = n + 1
    while i > 0:
        i -= 1
        if not starts[i]:
            continue
        op = code[i] if i < n else 0x00
        m = &meta[op]
        nxt = i + 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
        gas = m.base if IN_BLOCK[op] == IN_BLOCK_DYNAMIC else m.gas
        req = m.req
        hi = <int64_t>m.req + m.span  # the greatest entry height (bytes)
        if m.gas < 0:
            req = -1
        elif IN_BLOCK[op] and nxt <= n:  # past n: the padding's STOP, which needs nothing
            after = &blocks[nxt]
            if after.req == 0xFFFF:
                req = -1
            else:
                gas += after.gas
                req = max(req, <int64_t>after.req - m.delta)
                hi = min(hi, <int64_t>after.req + after.span - m.delta)
        if req < 0 or hi < req or gas > 0x3FFFFFFF:
            blocks[i].req = 0xFFFF
            blocks[i].span = 0
            blocks[i].gas = 0
        else:
            blocks[i].req = <uint16_t>req
            blocks[i].span = <uint16_t>(hi - req)
            blocks[i].gas = <int32_t>gas
    free(starts)
    return blocks


@cython.final
cdef class CodeInfo:
    """Bytecode prepared for execution: 33 zero bytes of padding (so PUSH
    never bounds-checks and execution always meets a STOP) and a map of valid
    JUMPDEST positions (skipping PUSH data)."""
    cdef uint8_t* padded
    cdef uint8_t* jumpdest
    cdef uint64_t size
    cdef object code
    cdef BlockInfo* blocks[N_FORKS]  # per fork, made on first use (analyse_blocks)

    def __cinit__(self, bytes code):
        cdef uint64_t n = PyBytes_GET_SIZE(code), i = 0
        cdef const uint8_t* src = <const uint8_t*>PyBytes_AS_STRING(code)
        cdef uint8_t op
        self.code = code
        self.size = n
        self.padded = <uint8_t*>calloc(n + 33, 1)
        self.jumpdest = <uint8_t*>calloc(n + 1, 1)
        if self.padded == NULL or self.jumpdest == NULL:
            raise MemoryError()
        memcpy(self.padded, src, n)
        while i < n:
            op = src[i]
            if op == 0x5B:
                self.jumpdest[i] = 1
            elif 0x60 <= op <= 0x7F:
                i += op - 0x5F
            i += 1

    cdef const BlockInfo* blocks_for(self, int fork) except NULL:
        """The basic blocks of this code under ``fork``'s gas table."""
        if self.blocks[fork] == NULL:
            self.blocks[fork] = analyse_blocks(self.padded, self.size, OP_META[fork])
        return self.blocks[fork]

    def __dealloc__(self):
        cdef int k
        free(self.padded)
        free(self.jumpdest)
        for k in range(N_FORKS):
            free(self.blocks[k])

cdef dict _code_cache = {}
cdef uint64_t _code_cache_bytes = 0

cdef CodeInfo get_code_info(object code):
    """The analysis of ``code`` (a bytes object), from the cache if present."""
    global _code_cache_bytes
    cdef CodeInfo ci = _code_cache.get(code)
    if ci is None:
        ci = CodeInfo(code)
        if _code_cache_bytes > (64 << 20) or len(_code_cache) > 20000:
            _code_cache.clear()
            _code_cache_bytes = 0
        _code_cache[code] = ci
        _code_cache_bytes += ci.size + 64
    return ci

# -- byte helpers -------------------------------------------------------------
cdef inline uint64_t _load64(const uint8_t* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v

cdef extern from *:
    """
    static inline uint64_t evm_bswap64(uint64_t x) { return __builtin_bswap64(x); }
    """
    uint64_t evm_bswap64(uint64_t x) nogil

cdef inline void addr_from_u256(uint8_t* out, const u256* v) noexcept nogil:
    cdef uint8_t tmp[32]
    u256_to_be(tmp, v)
    memcpy(out, tmp + 12, 20)

cdef inline void u256_from_addr(u256* r, const uint8_t* a) noexcept nogil:
    u256_from_be(r, a, 20)

cdef inline bint u256_eq_raw(const u256* a, const u256* b) noexcept nogil:
    return (a.w[0] == b.w[0]) & (a.w[1] == b.w[1]) & (a.w[2] == b.w[2]) & (a.w[3] == b.w[3])

cdef inline bint to_u64_sat(const u256* v, uint64_t limit, uint64_t* out) noexcept nogil:
    """Store v in *out if v <= limit; return False otherwise."""
    if v.w[1] | v.w[2] | v.w[3]:
        return False
    if v.w[0] > limit:
        return False
    out[0] = v.w[0]
    return True

cdef bytes mkbytes(const uint8_t* p, uint64_t n):
    """A bytes copy of p[:n]; p may be NULL when n == 0."""
    if n == 0:
        return b""
    return PyBytes_FromStringAndSize(<const char*>p, n)

cdef bytes addr_bytes(const uint8_t* a):
    return PyBytes_FromStringAndSize(<const char*>a, 20)

cdef bytes _addr_arg(object a):
    """A 20-byte address from bytes, hex string or int (the API edge)."""
    if type(a) is bytes and len(<bytes>a) == 20:
        return <bytes>a
    from evm.state import to_address
    return to_address(a)

cdef int copy_addr(uint8_t* out, object a) except -1:
    """Write the 20-byte address `a` (bytes, hex string or int) to out."""
    cdef bytes b = _addr_arg(a)
    memcpy(out, <const char*>b, 20)
    return 0
