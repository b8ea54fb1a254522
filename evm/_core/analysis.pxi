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


@cython.final
cdef class CodeInfo:
    """Bytecode prepared for execution: 33 zero bytes of padding (so PUSH
    never bounds-checks and execution always meets a STOP) and a map of valid
    JUMPDEST positions (skipping PUSH data)."""
    cdef uint8_t* padded
    cdef uint8_t* jumpdest
    cdef uint64_t size
    cdef object code

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

    def __dealloc__(self):
        free(self.padded)
        free(self.jumpdest)

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
