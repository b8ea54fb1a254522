# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, infer_types=False
"""The compiled core of cyevm: interpreter loop, frames, journal.

Everything that runs per opcode, per memory word or per warm state access is
C working on structs and raw pointers; Python objects appear only on a cold
load (asking the Database), at precompiles, and at the API edge. See
ARCHITECTURE.md. Instruction bodies follow the execution specs' grouping and
names; per-opcode facts come from ``evm.opcodes``.
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t, uint64_t, int64_t, INT64_MAX
from libc.string cimport memcpy, memset, memcmp, memmove
from libc.stdlib cimport malloc, realloc, free, calloc
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.ref cimport PyObject, Py_INCREF, Py_DECREF, Py_XDECREF

from evm._u256 cimport *
from evm._keccak cimport evm_keccak256

include "_u256_testing.pxi"

from evm.forks import Fork
from evm import opcodes as _opcodes

# ---------------------------------------------------------------------------
# Constants (execution specs' names)
# ---------------------------------------------------------------------------
cdef enum:
    STACK_LIMIT = 1024
    STACK_DEPTH_LIMIT = 1024
    MAX_MEMORY = 0x7FFFFFFF        # beyond this no gas limit can pay the expansion
    GAS_MEMORY = 3
    GAS_COPY = 3
    GAS_KECCAK256_WORD = 6
    GAS_LOG_DATA = 8
    GAS_LOG_TOPIC = 375
    GAS_WARM_ACCESS = 100
    GAS_COLD_ACCOUNT_ACCESS = 2600
    GAS_COLD_SLOAD = 2100
    GAS_CALL_VALUE = 9000
    GAS_NEW_ACCOUNT = 25000
    GAS_CALL_STIPEND = 2300
    GAS_CODE_DEPOSIT = 200
    GAS_INIT_CODE_WORD_COST = 2
    GAS_STORAGE_SET = 20000
    GAS_STORAGE_UPDATE = 5000
    GAS_SELF_DESTRUCT_NEW_ACCOUNT = 25000
    REFUND_SELF_DESTRUCT = 24000
    MAX_CODE_SIZE = 24576
    MAX_INITCODE_SIZE = 49152

cdef enum:
    F_FRONTIER = 0
    F_HOMESTEAD = 1
    F_TANGERINE = 2
    F_SPURIOUS = 3
    F_BYZANTIUM = 4
    F_CONSTANTINOPLE = 5
    F_PETERSBURG = 6
    F_ISTANBUL = 7
    F_BERLIN = 8
    F_LONDON = 9
    F_PARIS = 10
    F_SHANGHAI = 11
    F_CANCUN = 12
    F_PRAGUE = 13
    F_OSAKA = 14
    N_FORKS = 15

# Undo-log entry kinds
# Slot.warm bits
cdef enum:
    SLOT_WARM = 1         # in accessed_storage_keys
    SLOT_DIRTY = 2        # written since the last flush to the database

cdef enum:
    U_BALANCE = 1
    U_NONCE = 2
    U_CODE = 3
    U_FLAGS = 4
    U_STORAGE = 5
    U_TSTORAGE = 6
    U_SLOT_WARM = 7
    U_TSLOT_NEW = 8

#: Names of the outcome codes, as the execution specs name the exceptions.
STATUS_NAMES = (
    None, "Revert", "OutOfGasError", "StackUnderflowError", "StackOverflowError",
    "InvalidJumpDestError", "InvalidOpcode", "WriteInStaticContext",
    "OutOfBoundsRead", "AddressCollision", "InvalidContractPrefix",
    "PrecompileFailure", "OutOfGasError", "InsufficientBalance",
    "CallDepthExceeded", "NonceOverflow",
)

# ---------------------------------------------------------------------------
# Per-opcode tables, built once from evm.opcodes (the single source of facts)
# ---------------------------------------------------------------------------
# BASE_GAS[fork][op] < 0 means "undefined in that fork", so one load answers
# both "defined?" and "base cost?" (as in evmone).
cdef struct OpMeta:
    int32_t gas           # base gas; < 0: undefined in this fork
    uint32_t req          # stack bytes required (items * 32)
    uint32_t span         # allowed stack bytes above `req` before the op
cdef OpMeta OP_META[N_FORKS][256]

def _build_tables():
    cdef int f, op, req, hi
    for f in range(N_FORKS):
        table = _opcodes.base_gas_table(Fork(f))
        for op in range(256):
            info = _opcodes.OPCODES.get(op)
            req = info.pops if info is not None else 0
            # after the op the height is h - pops + pushes, which must be <= 1024
            hi = STACK_LIMIT - max(0, info.pushes - info.pops) if info is not None else STACK_LIMIT
            OP_META[f][op].gas = table[op]
            OP_META[f][op].req = req * sizeof(u256)
            OP_META[f][op].span = (hi - req) * sizeof(u256)

_build_tables()
_FORKS = tuple(Fork)  # Fork(n) is a slow enum lookup; index this instead

# ---------------------------------------------------------------------------
# Code analysis: padded copy + JUMPDEST map, cached by code
# ---------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
cdef inline uint64_t _load64(const uint8_t* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v

cdef extern from *:
    """
    static inline uint64_t evm_bswap64(uint64_t x) { return __builtin_bswap64(x); }
    """
    uint64_t evm_bswap64(uint64_t x) nogil

cdef inline void push_bytes(u256* r, const uint8_t* p, uint64_t n) noexcept nogil:
    """PUSHn: the n (1..32) big-endian bytes at p, read 8 at a time from the
    end. The code is padded, so nothing here reads past the buffer."""
    cdef uint64_t v
    cdef int k = 0
    r.w[0] = 0; r.w[1] = 0; r.w[2] = 0; r.w[3] = 0
    while n >= 8:
        n -= 8
        r.w[k] = evm_bswap64(_load64(p + n))
        k += 1
    if n:
        v = 0
        while n:
            v = (v << 8) | p[0]
            p += 1
            n -= 1
        r.w[k] = v

cdef inline uint64_t hash_addr(const uint8_t* a) noexcept nogil:
    cdef uint64_t h = _load64(a) * 0x9E3779B97F4A7C15ULL
    h ^= _load64(a + 8) * 0xC2B2AE3D27D4EB4FULL
    h ^= (<uint64_t>(<uint32_t*>(a + 16))[0]) * 0x165667B19E3779F9ULL
    return h ^ (h >> 29)

cdef inline uint64_t hash_slot(uint32_t acct, const u256* k) noexcept nogil:
    cdef uint64_t h = (k.w[0] ^ (<uint64_t>acct << 32)) * 0x9E3779B97F4A7C15ULL
    h ^= k.w[1] * 0xC2B2AE3D27D4EB4FULL
    h ^= k.w[2] * 0x165667B19E3779F9ULL
    h ^= (k.w[3] + acct) * 0x27D4EB2F165667C5ULL
    return h ^ (h >> 31)

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

cdef inline int64_t mem_cost(uint64_t words) noexcept nogil:
    return <int64_t>(GAS_MEMORY * words + (words * words) // 512)

cdef bytes mkbytes(const uint8_t* p, uint64_t n):
    """A bytes copy of p[:n]; p may be NULL when n == 0."""
    if n == 0:
        return b""
    return PyBytes_FromStringAndSize(<const char*>p, n)

cdef bytes addr_bytes(const uint8_t* a):
    return PyBytes_FromStringAndSize(<const char*>a, 20)

cdef object u256_py(const u256* v):
    return u256_to_pyint(v)

cdef bytes _addr_arg(object a):
    """Accept a 20-byte address as bytes, hex string or int."""
    if isinstance(a, bytes) and len(<bytes>a) == 20:
        return <bytes>a
    from evm.state import to_address
    return to_address(a)

# ---------------------------------------------------------------------------
# Frame state kept outside the C stack: one operand stack per depth (reused)
# ---------------------------------------------------------------------------
cdef struct Mem:
    uint8_t* buf
    uint64_t size     # active size in bytes (a multiple of 32)
    uint64_t cap
    int64_t cost      # gas already paid for `size`

cdef inline int mem_grow(Mem* m, uint64_t new_size) noexcept nogil:
    """Make `new_size` bytes (a multiple of 32) addressable; zero-filled.
    Growth is geometric so a memory loop does no per-word reallocation."""
    cdef uint64_t cap
    cdef uint8_t* nb
    if new_size > m.cap:
        cap = m.cap * 2 if m.cap else 1024
        while cap < new_size:
            cap *= 2
        nb = <uint8_t*>realloc(m.buf, cap)
        if nb == NULL:
            return -1
        memset(nb + m.cap, 0, cap - m.cap)
        m.buf = nb
        m.cap = cap
    m.size = new_size
    return 0

cdef int64_t expand_slow(Mem* m, uint64_t end, int64_t gas) noexcept nogil:
    """Grow memory to cover `end` bytes, charging the expansion gas.
    Returns the gas left, or -1 when it runs out."""
    cdef uint64_t words = (end + 31) >> 5
    cdef int64_t new_cost = mem_cost(words)
    gas -= new_cost - m.cost
    if gas < 0 or mem_grow(m, words << 5) != 0:
        return -1
    m.cost = new_cost
    return gas

cdef inline int64_t mem_charge(Mem* m, uint64_t offset, uint64_t size, int64_t gas) noexcept nogil:
    """Make [offset, offset+size) addressable (both already < 2^31) and
    return the gas left after any expansion cost (< 0: out of gas). The
    common case, no expansion, stays inline in the loop."""
    if size == 0 or offset + size <= m.size:
        return gas
    return expand_slow(m, offset + size, gas)

cdef inline int region(const u256* off, const u256* size, uint64_t* o, uint64_t* s) noexcept nogil:
    """Take an (offset, size) pair off the stack. A zero size never touches
    memory, whatever the offset; anything else must fit in MAX_MEMORY, or no
    amount of gas could pay for it (out of gas)."""
    if u256_is_zero(size):
        o[0] = 0
        s[0] = 0
        return S_SUCCESS
    if not to_u64_sat(size, MAX_MEMORY, s) or not to_u64_sat(off, MAX_MEMORY, o):
        return S_OUT_OF_GAS
    return S_SUCCESS

cdef inline void copy_padded(uint8_t* dst, const uint8_t* src, uint64_t src_len,
                             const u256* src_off, uint64_t size) noexcept nogil:
    """Copy `size` bytes from src[src_off:] to dst, zero past the end of src
    (CALLDATACOPY, CODECOPY, EXTCODECOPY semantics)."""
    cdef uint64_t off, n
    if size == 0:
        return
    if src_off.w[1] | src_off.w[2] | src_off.w[3] or src_off.w[0] >= src_len:
        memset(dst, 0, size)
        return
    off = src_off.w[0]
    n = src_len - off
    if n > size:
        n = size
    memcpy(dst, src + off, n)
    if n < size:
        memset(dst + n, 0, size - n)

cdef inline int64_t words_of(uint64_t size) noexcept nogil:
    return <int64_t>((size + 31) >> 5)

cdef inline int64_t slot_find(Table* t, Slot* items, uint32_t acct, const u256* key,
                              uint64_t h) noexcept:
    """Index of (acct, key) in a storage table (open addressing), or -1."""
    cdef uint64_t i = h & t.mask
    cdef uint32_t e
    cdef Slot* s
    while True:
        e = t.idx[i]
        if e == 0:
            return -1
        e -= 1
        s = &items[e]
        if s.hash == h and s.acct == acct and u256_eq_raw(&s.key, key):
            return e
        i = (i + 1) & t.mask

cdef Slot* slot_append(Slot** items, uint32_t* cap, uint32_t n, uint32_t acct,
                       const u256* key, uint64_t h) except NULL:
    """A zeroed record for (acct, key) at items[n], growing the array first
    if it is full; the caller inserts it into the table."""
    cdef Slot* s
    if n == cap[0]:
        s = <Slot*>realloc(items[0], cap[0] * 2 * sizeof(Slot))
        if s == NULL:
            raise MemoryError()
        items[0] = s
        cap[0] *= 2
    s = &items[0][n]
    memset(s, 0, sizeof(Slot))
    s.acct = acct
    s.hash = h
    s.key = key[0]
    return s

# ---------------------------------------------------------------------------
# The VM: journal (state cache + undo log), environment, frames
# ---------------------------------------------------------------------------
cdef class VM:
    """Executes messages against a Database for one transaction.

    The VM is the host of the interpreter: it caches every account and slot
    the transaction touches in C tables (warmth is a flag on the record) and
    asks the Python database only on a cold miss. A journal (undo log) lets a
    failed or reverted frame undo exactly its own changes. ``commit()`` hands
    the changes back as one batch.
    """
    cdef object db
    cdef object tracer
    cdef object trace_output  # code deployed by the top-level create (for tx_end)
    cdef object run_precompile
    cdef readonly int fork
    # accounts
    cdef Acct* accts
    cdef uint32_t n_accts, cap_accts
    cdef Table acct_tab
    # storage and transient storage
    cdef Slot* slots
    cdef uint32_t n_slots, cap_slots
    cdef Table slot_tab
    cdef Slot* tslots
    cdef uint32_t n_tslots, cap_tslots
    cdef Table tslot_tab
    # undo log
    cdef Undo* undo
    cdef uint64_t n_undo, cap_undo
    # logs
    cdef LogRec* log_recs
    cdef uint64_t n_logs, cap_logs
    # refund counter (signed: EIP-2200 may subtract inside a frame)
    cdef public int64_t refund_counter
    cdef int64_t sticky   # account with the RIPEMD160 sticky touch, or -1
    # operand stacks, one per depth, allocated on first use
    cdef u256** stacks
    cdef int n_stacks     # stacks[0 .. n_stacks-1] may be allocated
    cdef u256 log_topics[4]
    # precompiles active in this fork: addresses 1..0x11 and 0x100
    cdef uint8_t precompile_low[256]
    cdef bint p256_active
    # environment
    cdef uint8_t origin[20]
    cdef uint8_t coinbase[20]
    cdef u256 gas_price, number, timestamp, gas_limit, prev_randao, chain_id
    cdef u256 base_fee, blob_base_fee
    cdef u256* blob_hashes
    cdef uint32_t n_blob_hashes
    cdef uint64_t block_number

    def __cinit__(self):
        self.accts = NULL
        self.slots = NULL
        self.tslots = NULL
        self.undo = NULL
        self.log_recs = NULL
        self.stacks = <u256**>calloc(STACK_DEPTH_LIMIT + 2, sizeof(u256*))
        self.blob_hashes = NULL
        self.sticky = -1
        self.acct_tab.idx = NULL
        self.slot_tab.idx = NULL
        self.tslot_tab.idx = NULL
        if self.stacks == NULL:
            raise MemoryError()

    def __init__(self, db, fork, *, origin=b"\0" * 20, gas_price=0, coinbase=b"\0" * 20,
                 number=0, timestamp=0, gas_limit=0, prev_randao=0, chain_id=1,
                 base_fee=0, blob_base_fee=0, blob_hashes=(), tracer=None,
                 precompiles=None):
        """Create a VM over ``db`` (see ``evm.state.Database``) for ``fork``.

        ``prev_randao`` is the DIFFICULTY value before Paris. ``precompiles``
        is an object with ``precompile_addresses(fork)`` and
        ``run_precompile(address, data, gas, fork)``; by default
        ``evm.precompiles``.
        """
        cdef uint32_t i
        self.db = db
        self.fork = int(fork)
        if not 0 <= self.fork < N_FORKS:
            raise ValueError(f"unknown fork {fork!r}")
        self.tracer = tracer
        if precompiles is None:
            from evm import precompiles as _pc
            precompiles = _pc
        self.run_precompile = precompiles.run_precompile
        memset(self.precompile_low, 0, 256)
        self.p256_active = False
        for pa in precompiles.precompile_addresses(_FORKS[self.fork]):
            if 0 < pa < 256:
                self.precompile_low[pa] = 1
            elif pa == 0x100:
                self.p256_active = True
        self._table_init(&self.acct_tab, 64)
        self._table_init(&self.slot_tab, 256)
        self._table_init(&self.tslot_tab, 16)
        self.cap_accts = 64
        self.accts = <Acct*>malloc(self.cap_accts * sizeof(Acct))
        self.cap_slots = 256
        self.slots = <Slot*>malloc(self.cap_slots * sizeof(Slot))
        self.cap_tslots = 16
        self.tslots = <Slot*>malloc(self.cap_tslots * sizeof(Slot))
        self.cap_undo = 1024
        self.undo = <Undo*>malloc(self.cap_undo * sizeof(Undo))
        self.cap_logs = 16
        self.log_recs = <LogRec*>malloc(self.cap_logs * sizeof(LogRec))
        if not (self.accts and self.slots and self.tslots and self.undo and self.log_recs):
            raise MemoryError()
        cdef bytes a = _addr_arg(origin)
        memcpy(self.origin, <const char*>a, 20)
        a = _addr_arg(coinbase)
        memcpy(self.coinbase, <const char*>a, 20)
        u256_from_pyint(&self.gas_price, gas_price)
        u256_from_pyint(&self.number, number)
        self.block_number = number if number < (1 << 63) else (1 << 63)
        u256_from_pyint(&self.timestamp, timestamp)
        u256_from_pyint(&self.gas_limit, gas_limit)
        if isinstance(prev_randao, (bytes, bytearray)):
            prev_randao = int.from_bytes(prev_randao, "big")
        u256_from_pyint(&self.prev_randao, prev_randao)
        u256_from_pyint(&self.chain_id, chain_id)
        u256_from_pyint(&self.base_fee, base_fee)
        u256_from_pyint(&self.blob_base_fee, blob_base_fee)
        blob_hashes = list(blob_hashes)
        self.n_blob_hashes = len(blob_hashes)
        if self.n_blob_hashes:
            self.blob_hashes = <u256*>malloc(self.n_blob_hashes * sizeof(u256))
            for i in range(self.n_blob_hashes):
                h = blob_hashes[i]
                if isinstance(h, (bytes, bytearray)):
                    h = int.from_bytes(h, "big")
                u256_from_pyint(&self.blob_hashes[i], h)

    def __dealloc__(self):
        cdef uint64_t i
        if self.accts != NULL:
            for i in range(self.n_accts):
                Py_XDECREF(<PyObject*>self.accts[i].code)
            free(self.accts)
        if self.undo != NULL:
            for i in range(self.n_undo):
                if self.undo[i].kind == U_CODE:
                    Py_XDECREF(<PyObject*><void*>self.undo[i].aux)
            free(self.undo)
        if self.log_recs != NULL:
            for i in range(self.n_logs):
                free(self.log_recs[i].data)
            free(self.log_recs)
        free(self.slots)
        free(self.tslots)
        free(self.acct_tab.idx)
        free(self.slot_tab.idx)
        free(self.tslot_tab.idx)
        free(self.blob_hashes)
        if self.stacks != NULL:
            for i in range(self.n_stacks):
                free(self.stacks[i])
            free(self.stacks)

    # -- hash tables ----------------------------------------------------------
    cdef int _table_init(self, Table* t, uint64_t cap) except -1:
        t.idx = <uint32_t*>calloc(cap, sizeof(uint32_t))
        if t.idx == NULL:
            raise MemoryError()
        t.mask = cap - 1
        return 0

    cdef int _table_insert(self, Table* t, uint64_t h, uint32_t entry, uint32_t count) except -1:
        """Insert entry (index) with hash h; `count` entries are already in."""
        cdef uint64_t i
        if (count + 1) * 2 > t.mask + 1:
            self._table_rehash(t)
        i = h & t.mask
        while t.idx[i]:
            i = (i + 1) & t.mask
        t.idx[i] = entry + 1
        return 0

    cdef int _table_rehash(self, Table* t) except -1:
        cdef uint64_t newcap = (t.mask + 1) * 2, i, j, h
        cdef uint32_t* old = t.idx
        cdef uint64_t oldcap = t.mask + 1
        cdef uint32_t* nidx = <uint32_t*>calloc(newcap, sizeof(uint32_t))
        if nidx == NULL:
            raise MemoryError()
        for i in range(oldcap):
            if old[i]:
                if t is &self.acct_tab:
                    h = self.accts[old[i] - 1].hash
                elif t is &self.slot_tab:
                    h = self.slots[old[i] - 1].hash
                else:
                    h = self.tslots[old[i] - 1].hash
                j = h & (newcap - 1)
                while nidx[j]:
                    j = (j + 1) & (newcap - 1)
                nidx[j] = old[i]
        free(old)
        t.idx = nidx
        t.mask = newcap - 1
        return 0

    # -- accounts -------------------------------------------------------------
    cdef inline int64_t find_acct(self, const uint8_t* addr, uint64_t h) noexcept:
        cdef uint64_t i = h & self.acct_tab.mask
        cdef uint32_t e
        while True:
            e = self.acct_tab.idx[i]
            if e == 0:
                return -1
            e -= 1
            if self.accts[e].hash == h and memcmp(self.accts[e].addr, addr, 20) == 0:
                return e
            i = (i + 1) & self.acct_tab.mask

    cdef int64_t acct(self, const uint8_t* addr) except -1:
        """Index of the record for `addr`, loading it from the database on a
        cold miss (a missing account gets a record without A_EXISTS)."""
        cdef uint64_t h = hash_addr(addr)
        cdef int64_t e = self.find_acct(addr, h)
        if e >= 0:
            return e
        return self._load_acct(addr, h)

    cdef int64_t _load_acct(self, const uint8_t* addr, uint64_t h) except -1:
        cdef Acct* a
        cdef uint32_t n = self.n_accts
        cdef bytes code
        account = self.db.get_account(addr_bytes(addr))
        if n == self.cap_accts:
            a = <Acct*>realloc(self.accts, self.cap_accts * 2 * sizeof(Acct))
            if a == NULL:
                raise MemoryError()
            self.accts = a
            self.cap_accts *= 2
        a = &self.accts[n]
        memset(a, 0, sizeof(Acct))
        memcpy(a.addr, addr, 20)
        a.hash = h
        if account is None:
            code = b""
        else:
            a.flags = A_EXISTS
            u256_from_pyint(&a.balance, account.balance)
            if not 0 <= account.nonce < (1 << 64):
                raise ValueError("account nonce out of range")
            a.nonce = account.nonce
            code = bytes(account.code)
            if account.storage:
                a.flags |= A_HAD_STORAGE
        Py_INCREF(code)
        a.code = <void*>code
        if self.fork >= F_BERLIN and self.is_precompile(addr):
            a.flags |= A_WARM  # precompiles are always in accessed_addresses
        self._table_insert(&self.acct_tab, h, n, n)
        self.n_accts = n + 1
        return n

    cdef int push_undo(self, uint32_t kind, uint32_t idx, const u256* old, uint64_t aux) except -1:
        cdef Undo* u
        if self.n_undo == self.cap_undo:
            u = <Undo*>realloc(self.undo, self.cap_undo * 2 * sizeof(Undo))
            if u == NULL:
                raise MemoryError()
            self.undo = u
            self.cap_undo *= 2
        u = &self.undo[self.n_undo]
        u.kind = kind
        u.idx = idx
        if old != NULL:
            u.old = old[0]
        u.aux = aux
        self.n_undo += 1
        return 0

    cdef int set_flags(self, uint32_t e, uint32_t flags) except -1:
        if self.accts[e].flags != flags:
            self.push_undo(U_FLAGS, e, NULL, self.accts[e].flags)
            self.accts[e].flags = flags
        return 0

    cdef inline bint is_empty(self, uint32_t e) noexcept:
        cdef Acct* a = &self.accts[e]
        return (a.nonce == 0 and u256_is_zero(&a.balance)
                and PyBytes_GET_SIZE(<object>a.code) == 0)

    cdef inline bint is_alive(self, uint32_t e) noexcept:
        """exists and not empty (is_account_alive)."""
        return (self.accts[e].flags & A_EXISTS) != 0 and not self.is_empty(e)

    cdef int after_modify(self, uint32_t e) except -1:
        """A balance/nonce/code write creates the account; from Paris on
        (modify_state) an account left empty by the write is destroyed."""
        cdef uint32_t f = self.accts[e].flags | A_EXISTS | A_DIRTY
        if self.fork >= F_PARIS and self.is_empty(e):
            f &= ~<uint32_t>A_EXISTS
        return self.set_flags(e, f)

    cdef int set_balance(self, uint32_t e, const u256* v) except -1:
        self.push_undo(U_BALANCE, e, &self.accts[e].balance, 0)
        self.accts[e].balance = v[0]
        return self.after_modify(e)

    cdef int set_nonce(self, uint32_t e, uint64_t n) except -1:
        cdef u256 old
        u256_set_u64(&old, self.accts[e].nonce)
        self.push_undo(U_NONCE, e, &old, 0)
        self.accts[e].nonce = n
        return self.after_modify(e)

    cdef int set_code(self, uint32_t e, object code) except -1:
        # the undo entry takes over the old reference
        self.push_undo(U_CODE, e, NULL, <uint64_t><void*>self.accts[e].code)
        Py_INCREF(code)
        self.accts[e].code = <void*>code
        self.accts[e].flags &= ~<uint32_t>A_HASH_KNOWN
        return self.after_modify(e)

    cdef int move_ether(self, uint32_t src, uint32_t dst, const u256* value) except -1:
        """Caller has checked src's balance >= value."""
        cdef u256 nb
        u256_sub(&nb, &self.accts[src].balance, value)
        self.set_balance(src, &nb)
        u256_add(&nb, &self.accts[dst].balance, value)
        self.set_balance(dst, &nb)
        return 0

    cdef const uint8_t* code_hash(self, uint32_t e) noexcept:
        cdef Acct* a = &self.accts[e]
        if not (a.flags & A_HASH_KNOWN):
            evm_keccak256(<const uint8_t*>PyBytes_AS_STRING(<object>a.code),
                          PyBytes_GET_SIZE(<object>a.code), a.code_hash)
            a.flags |= A_HASH_KNOWN  # a cache, not state: not journaled
        return a.code_hash

    cdef inline int warm_acct(self, uint32_t e) except -1:
        """Mark accessed; return 1 if it was cold."""
        if self.accts[e].flags & A_WARM:
            return 0
        self.set_flags(e, self.accts[e].flags | A_WARM)
        return 1

    # -- storage --------------------------------------------------------------
    cdef int64_t slot(self, uint32_t acct, const u256* key) except -1:
        """Index of the storage record (acct, key), loading the committed
        value from the database on a cold miss."""
        cdef uint64_t h = hash_slot(acct, key)
        cdef int64_t e = slot_find(&self.slot_tab, self.slots, acct, key, h)
        cdef uint32_t n = self.n_slots
        cdef Slot* s
        if e >= 0:
            return e
        s = slot_append(&self.slots, &self.cap_slots, n, acct, key, h)
        if (self.accts[acct].flags & A_HAD_STORAGE) and not (
                self.accts[acct].flags & (A_CREATED | A_STORAGE_CLEARED)):
            value = self.db.get_storage(addr_bytes(self.accts[acct].addr), u256_py(key))
            u256_from_pyint(&s.original, value)
            s.current = s.original
        self._table_insert(&self.slot_tab, h, n, n)
        self.n_slots = n + 1
        return n

    cdef int set_storage(self, uint32_t e, const u256* v) except -1:
        self.push_undo(U_STORAGE, e, &self.slots[e].current, 0)
        self.slots[e].current = v[0]
        self.slots[e].warm |= SLOT_DIRTY  # to be written back (not journaled: harmless)
        return 0

    cdef int64_t tslot(self, uint32_t acct, const u256* key, bint create) except -2:
        """Index of transient slot (acct, key); -1 if absent and not create."""
        cdef uint64_t h = hash_slot(acct, key)
        cdef int64_t e = slot_find(&self.tslot_tab, self.tslots, acct, key, h)
        cdef uint32_t n = self.n_tslots
        if e >= 0 or not create:
            return e
        slot_append(&self.tslots, &self.cap_tslots, n, acct, key, h)
        self._table_insert(&self.tslot_tab, h, n, n)
        self.n_tslots = n + 1
        return n

    # -- journal --------------------------------------------------------------
    cdef void revert_to(self, uint64_t mark, uint64_t logs_mark) noexcept:
        """Undo every change recorded after `mark`; drop logs after logs_mark."""
        cdef Undo* u
        cdef uint64_t i
        while self.n_undo > mark:
            self.n_undo -= 1
            u = &self.undo[self.n_undo]
            if u.kind == U_BALANCE:
                self.accts[u.idx].balance = u.old
            elif u.kind == U_NONCE:
                self.accts[u.idx].nonce = u.old.w[0]
            elif u.kind == U_CODE:
                Py_XDECREF(<PyObject*>self.accts[u.idx].code)
                self.accts[u.idx].code = <void*>u.aux
                self.accts[u.idx].flags &= ~<uint32_t>A_HASH_KNOWN
            elif u.kind == U_FLAGS:
                # keep the non-journaled bits (hash cache, RIPEMD quirk)
                self.accts[u.idx].flags = (<uint32_t>u.aux & ~<uint32_t>(A_HASH_KNOWN | A_STICKY_TOUCH)) | (
                    self.accts[u.idx].flags & (A_HASH_KNOWN | A_STICKY_TOUCH))
            elif u.kind == U_STORAGE:
                self.slots[u.idx].current = u.old
            elif u.kind == U_TSTORAGE:
                self.tslots[u.idx].current = u.old
            elif u.kind == U_SLOT_WARM:
                self.slots[u.idx].warm &= ~<uint32_t>SLOT_WARM
        for i in range(logs_mark, self.n_logs):
            free(self.log_recs[i].data)
        if self.n_logs > logs_mark:
            self.n_logs = logs_mark

    cdef int add_log(self, const uint8_t* addr, u256* topics, uint32_t n,
                     const uint8_t* data, uint64_t size) except -1:
        cdef LogRec* l
        cdef uint32_t i
        if self.n_logs == self.cap_logs:
            l = <LogRec*>realloc(self.log_recs, self.cap_logs * 2 * sizeof(LogRec))
            if l == NULL:
                raise MemoryError()
            self.log_recs = l
            self.cap_logs *= 2
        l = &self.log_recs[self.n_logs]
        memcpy(l.addr, addr, 20)
        l.ntopics = n
        for i in range(n):
            l.topics[i] = topics[i]
        l.size = size
        l.data = <uint8_t*>malloc(size if size else 1)
        if l.data == NULL:
            raise MemoryError()
        if size:
            memcpy(l.data, data, size)
        self.n_logs += 1
        return 0

    cdef bint is_precompile(self, const uint8_t* a) noexcept:
        cdef int i
        for i in range(18):
            if a[i]:
                return False
        if a[18] == 0:
            return self.precompile_low[a[19]] != 0
        return a[18] == 1 and a[19] == 0 and self.p256_active

    cdef u256* stack_for(self, int depth) except NULL:
        if self.stacks[depth] == NULL:
            self.stacks[depth] = <u256*>malloc(STACK_LIMIT * sizeof(u256))
            if self.stacks[depth] == NULL:
                raise MemoryError()
            if depth >= self.n_stacks:
                self.n_stacks = depth + 1
        return self.stacks[depth]


    cdef bint has_code_or_nonce_or_storage(self, uint32_t e) noexcept:
        """The CREATE collision rule (EIP-684 and EIP-7610)."""
        cdef Acct* a = &self.accts[e]
        return a.nonce != 0 or PyBytes_GET_SIZE(<object>a.code) != 0 or (
            (a.flags & A_HAD_STORAGE) != 0 and (a.flags & (A_CREATED | A_STORAGE_CLEARED)) == 0)

    # -- Python API, used by the executor once per transaction --------------
    def account(self, address):
        """(exists, nonce, balance, code) of ``address`` as seen now."""
        cdef int64_t e = self.acct(_addr_arg(address))
        cdef Acct* a = &self.accts[e]
        return (bool(a.flags & A_EXISTS), a.nonce, u256_py(&a.balance), <object>a.code)

    def storage(self, address, key):
        """The current value of storage slot ``key`` of ``address``."""
        cdef u256 k
        cdef int64_t e = self.acct(_addr_arg(address))
        u256_from_pyint(&k, key)
        return u256_py(&self.slots[self.slot(e, &k)].current)

    def set_balance_of(self, address, balance):
        """Set the balance of ``address`` (creating the account)."""
        cdef u256 v
        cdef int64_t e = self.acct(_addr_arg(address))
        u256_from_pyint(&v, balance)
        self.set_balance(e, &v)

    def increment_nonce(self, address):
        """Add one to the nonce of ``address``."""
        cdef int64_t e = self.acct(_addr_arg(address))
        if self.accts[e].nonce == 0xFFFFFFFFFFFFFFFFULL:
            raise OverflowError("nonce overflow")
        self.set_nonce(e, self.accts[e].nonce + 1)

    def set_code_of(self, address, code):
        """Replace the code of ``address``."""
        cdef int64_t e = self.acct(_addr_arg(address))
        self.set_code(e, bytes(code))

    def warm_address(self, address):
        """Add ``address`` to accessed_addresses (EIP-2929)."""
        cdef int64_t e = self.acct(_addr_arg(address))
        self.warm_acct(e)

    def warm_storage(self, address, key):
        """Add (address, key) to accessed_storage_keys (EIP-2929)."""
        cdef u256 k
        cdef int64_t e = self.acct(_addr_arg(address)), sl
        u256_from_pyint(&k, key)
        sl = self.slot(e, &k)
        if not (self.slots[sl].warm & SLOT_WARM):
            self.push_undo(U_SLOT_WARM, sl, NULL, 0)
            self.slots[sl].warm |= SLOT_WARM

    def touch(self, address):
        """Mark ``address`` touched (EIP-161; used before Paris)."""
        cdef int64_t e = self.acct(_addr_arg(address))
        self.set_flags(e, self.accts[e].flags | A_TOUCHED)

    def is_precompile_address(self, address):
        """Whether ``address`` is a precompile in this fork."""
        return bool(self.is_precompile(_addr_arg(address)))

    def call(self, caller, to, value, data, gas, *, code_address=None, is_static=False,
             disable_precompiles=False):
        """Process a message call from ``caller`` to ``to`` with ``gas``.

        Returns (error_name or None, gas_left, output, 0). Value is moved
        without a balance check: the transaction was validated.
        """
        cdef Msg m
        cdef Res r
        cdef bytes d = bytes(data)
        if not 0 <= gas <= INT64_MAX:
            raise ValueError("gas out of range")
        memset(&m, 0, sizeof(Msg))
        m.caller = self.acct(_addr_arg(caller))
        m.target = self.acct(_addr_arg(to))
        m.code_acct = self.acct(_addr_arg(code_address if code_address is not None else to))
        u256_from_pyint(&m.value, value)
        m.data = <const uint8_t*>PyBytes_AS_STRING(d)
        m.data_len = len(d)
        m.gas = gas
        m.should_transfer_value = True
        m.is_static = bool(is_static)
        m.disable_precompiles = bool(disable_precompiles)
        m.code = self.accts[m.code_acct].code
        call_message(self, &m, &r)
        result = self._result(&r)
        if self.tracer is not None:
            self.tracer.tx_end(gas - r.gas_left, result[2], result[0])
        return result

    def message_call(self, bytes caller, bytes to, bytes data, value, int64_t gas, bint is_static=False):
        """The fast path behind ``EVM.message_call``: a call outside any
        transaction (ORIGIN = caller, GASPRICE = 0, caller/callee/coinbase
        warm), then ``end_transaction()``. Returns (error or None, gas_left,
        output, logs or None)."""
        cdef Msg m
        cdef Res r
        if len(caller) != 20 or len(to) != 20 or gas < 0:
            raise ValueError("addresses are 20 bytes and gas is non-negative")
        memset(&m, 0, sizeof(Msg))
        memcpy(self.origin, <const char*>caller, 20)
        u256_set_u64(&self.gas_price, 0)
        self.n_blob_hashes = 0
        m.caller = self.acct(caller)
        m.target = self.acct(to)
        m.code_acct = m.target
        if self.fork >= F_BERLIN:
            self.warm_acct(m.caller)
            self.warm_acct(m.target)
            if self.fork >= F_SHANGHAI:
                self.warm_acct(self.acct(self.coinbase))
        if value:
            u256_from_pyint(&m.value, value)
            if u256_lt(&self.accts[m.caller].balance, &m.value):
                raise ValueError("caller's balance is below the value sent")
        m.data = <const uint8_t*>PyBytes_AS_STRING(data)
        m.data_len = PyBytes_GET_SIZE(data)
        m.gas = gas
        m.should_transfer_value = True
        m.is_static = is_static
        m.code = self.accts[m.target].code
        call_message(self, &m, &r)
        logs = self.logs() if (r.status == S_SUCCESS and self.n_logs) else None
        result = self._result(&r)
        if self.tracer is not None:
            self.tracer.tx_end(gas - r.gas_left, result[2], result[0])
        self.end_transaction()
        return result + (logs,)

    def call_transaction(self, bytes sender, bytes to, value, bytes data, int64_t gas_limit,
                         gas_price, int64_t intrinsic_gas, upfront_cost, priority_fee,
                         access_list, int64_t calldata_floor):
        """The phases of a validated message-call transaction without EIP-7702
        authorizations, in one call (``executor._execute_transaction`` keeps
        the general path): buy gas (``upfront_cost`` = gas_limit * gas_price
        + blob fee), bump the nonce, warm addresses, run the call, refund
        (EIP-3529 quotient, EIP-7623 floor), pay ``priority_fee`` per gas to
        the coinbase, end the transaction. Returns (error or None, gas_used,
        gas_refund, output, logs)."""
        cdef Msg m
        cdef Res r
        cdef u256 t, t2
        cdef int fork = self.fork
        cdef int64_t s_idx, gas_used, gas_refund, d, cb
        if len(sender) != 20 or len(to) != 20:
            raise ValueError("addresses are 20 bytes")
        s_idx = self.acct(sender)
        u256_from_pyint(&t, upfront_cost)
        u256_sub(&t2, &self.accts[s_idx].balance, &t)
        self.set_balance(s_idx, &t2)
        if self.accts[s_idx].nonce == 0xFFFFFFFFFFFFFFFFULL:
            raise OverflowError("nonce overflow")
        self.set_nonce(s_idx, self.accts[s_idx].nonce + 1)
        memset(&m, 0, sizeof(Msg))
        m.caller = s_idx
        m.target = self.acct(to)
        m.code_acct = m.target
        if fork >= F_BERLIN:
            self.warm_acct(s_idx)
            self.warm_acct(m.target)
            if fork >= F_SHANGHAI:
                self.warm_acct(self.acct(self.coinbase))
            for address, keys in access_list or ():
                self.warm_address(address)
                for key in keys:
                    self.warm_storage(address, key)
        d = delegate_of(self, m.target)
        if d >= 0:
            self.warm_acct(d)
            m.code_acct = d
            m.disable_precompiles = True
        u256_from_pyint(&m.value, value)
        m.data = <const uint8_t*>PyBytes_AS_STRING(data)
        m.data_len = PyBytes_GET_SIZE(data)
        m.gas = gas_limit - intrinsic_gas
        m.should_transfer_value = True
        m.code = self.accts[m.code_acct].code
        call_message(self, &m, &r)
        if F_SPURIOUS <= fork <= F_LONDON:
            self.set_flags(m.target, self.accts[m.target].flags | A_TOUCHED)
        if self.tracer is not None:
            self.tracer.tx_end(m.gas - r.gas_left, mkbytes(r.output, r.output_len),
                               STATUS_NAMES[r.status])
        gas_used = gas_limit - r.gas_left
        gas_refund = gas_used // (5 if fork >= F_LONDON else 2)
        if self.refund_counter < gas_refund:
            gas_refund = self.refund_counter
        gas_used -= gas_refund
        if fork >= F_PRAGUE and gas_used < calldata_floor:
            gas_used = calldata_floor
        # refund the unused gas: (gas_limit - gas_used) * gas_price <= what was paid
        u256_from_pyint(&t, gas_price)
        u256_set_u64(&t2, <uint64_t>(gas_limit - gas_used))
        u256_mul(&t, &t, &t2)
        u256_add(&t2, &self.accts[s_idx].balance, &t)
        self.set_balance(s_idx, &t2)
        u256_from_pyint(&t, priority_fee)
        u256_set_u64(&t2, <uint64_t>gas_used)
        u256_mul(&t, &t, &t2)
        cb = self.acct(self.coinbase)
        if fork < F_SPURIOUS or not u256_is_zero(&t):
            u256_add(&t2, &self.accts[cb].balance, &t)
            self.set_balance(cb, &t2)
        elif fork <= F_LONDON:
            self.set_flags(cb, self.accts[cb].flags | A_TOUCHED)  # an empty coinbase is deleted
        logs = self.logs() if self.n_logs else None
        result = self._result(&r)
        self.end_transaction()
        return (result[0], gas_used, gas_refund, result[2], logs)

    def create(self, caller, address, value, initcode, gas):
        """Process a contract-creation message at ``address`` (already
        derived by the caller). Returns (error_name or None, gas_left, output)."""
        cdef Msg m
        cdef Res r
        cdef bytes code = bytes(initcode)
        if not 0 <= gas <= INT64_MAX:
            raise ValueError("gas out of range")
        memset(&m, 0, sizeof(Msg))
        m.caller = self.acct(_addr_arg(caller))
        m.target = self.acct(_addr_arg(address))
        m.code_acct = m.target
        u256_from_pyint(&m.value, value)
        m.gas = gas
        m.is_create = True
        m.should_transfer_value = True
        m.code = <void*>code
        if self.has_code_or_nonce_or_storage(m.target):
            return (STATUS_NAMES[S_ADDRESS_COLLISION], 0, b"")  # the spec traces no end here
        self.trace_output = b""
        create_message(self, &m, &r)
        result = self._result(&r)
        if self.tracer is not None:
            # the spec's TransactionEnd shows the deployed code as the output
            self.tracer.tx_end(gas - r.gas_left, self.trace_output if r.status == S_SUCCESS else result[2],
                               result[0])
        return result

    cdef object _result(self, Res* r):
        out = mkbytes(r.output, r.output_len)
        free(r.output)
        r.output = NULL
        return (STATUS_NAMES[r.status], r.gas_left, out)

    def logs(self):
        """The logs emitted so far: a list of (address, [topic, ...], data)."""
        cdef uint64_t i
        cdef uint32_t j
        cdef uint8_t t[32]
        result = []
        for i in range(self.n_logs):
            topics = []
            for j in range(self.log_recs[i].ntopics):
                u256_to_be(t, &self.log_recs[i].topics[j])
                topics.append(PyBytes_FromStringAndSize(<char*>t, 32))
            result.append((addr_bytes(self.log_recs[i].addr), topics,
                           mkbytes(self.log_recs[i].data, self.log_recs[i].size)))
        return result

    def destroy_account(self, address):
        """Schedule ``address`` for deletion at commit (accounts_to_delete)."""
        cdef int64_t e = self.acct(_addr_arg(address))
        self.set_flags(e, self.accts[e].flags | A_DESTROYED)

    cdef int _delete_account(self, uint32_t e) except -1:
        """Make e a non-existent account with empty storage (after the
        transaction that deleted it); the database is no longer asked."""
        cdef Acct* a = &self.accts[e]
        cdef uint32_t i
        cdef object empty = b""
        a.nonce = 0
        u256_set_u64(&a.balance, 0)
        Py_INCREF(empty)
        Py_XDECREF(<PyObject*>a.code)
        a.code = <void*>empty
        a.flags = A_DIRTY | A_STORAGE_CLEARED | (a.flags & A_WARM)
        for i in range(self.n_slots):
            if self.slots[i].acct == e:
                u256_set_u64(&self.slots[i].original, 0)
                u256_set_u64(&self.slots[i].current, 0)
                self.slots[i].warm |= SLOT_DIRTY
        return 0

    def end_transaction(self):
        """Finish a transaction: delete accounts scheduled for deletion (and,
        from Spurious Dragon to London, touched empty ones), make the current
        storage values the next transaction's originals, forget warmth,
        logs, transient storage and the undo log. The cache keeps every
        change until ``changes()`` is written back."""
        cdef uint64_t i
        cdef Undo* u
        cdef Acct* a
        cdef uint32_t e
        cdef bint clear_touched = F_SPURIOUS <= self.fork <= F_LONDON
        cdef uint32_t keep
        if self.sticky >= 0:
            self.push_undo(U_FLAGS, <uint32_t>self.sticky, NULL, self.accts[self.sticky].flags)
            self.sticky = -1
        # deletions first, then per-transaction flags
        for i in range(self.n_undo):
            u = &self.undo[i]
            if u.kind == U_FLAGS or u.kind == U_BALANCE or u.kind == U_NONCE or u.kind == U_CODE:
                e = u.idx
                a = &self.accts[e]
                if a.flags & A_DESTROYED or (
                        clear_touched and (a.flags & (A_TOUCHED | A_STICKY_TOUCH))
                        and (a.flags & A_EXISTS) and self.is_empty(e)) or (
                        # left empty from Paris on (modify_state destroys it)
                        (a.flags & (A_EXISTS | A_DIRTY | A_STORAGE_CLEARED)) == A_DIRTY):
                    self._delete_account(e)
        for i in range(self.n_undo):
            u = &self.undo[i]
            if u.kind == U_FLAGS:
                a = &self.accts[u.idx]
                keep = A_WARM if (self.fork >= F_BERLIN and self.is_precompile(a.addr)) else 0
                a.flags &= ~<uint32_t>(A_WARM | A_CREATED | A_DESTROYED | A_TOUCHED | A_STICKY_TOUCH)
                a.flags |= keep
            elif u.kind == U_STORAGE:
                self.slots[u.idx].original = self.slots[u.idx].current
            elif u.kind == U_SLOT_WARM:
                self.slots[u.idx].warm &= ~<uint32_t>SLOT_WARM
            elif u.kind == U_CODE:
                Py_XDECREF(<PyObject*><void*>u.aux)
        self.n_undo = 0
        for i in range(self.n_logs):
            free(self.log_recs[i].data)
        self.n_logs = 0
        if self.n_tslots:
            memset(self.tslot_tab.idx, 0, (self.tslot_tab.mask + 1) * sizeof(uint32_t))
            self.n_tslots = 0
        self.refund_counter = 0

    def set_tx_context(self, origin, gas_price, blob_hashes=()):
        """Set ORIGIN, GASPRICE and the BLOBHASH list for the next transaction."""
        cdef bytes a = _addr_arg(origin)
        cdef uint32_t i
        memcpy(self.origin, <const char*>a, 20)
        u256_from_pyint(&self.gas_price, gas_price)
        blob_hashes = list(blob_hashes)
        free(self.blob_hashes)
        self.blob_hashes = NULL
        self.n_blob_hashes = len(blob_hashes)
        if self.n_blob_hashes:
            self.blob_hashes = <u256*>malloc(self.n_blob_hashes * sizeof(u256))
            if self.blob_hashes == NULL:
                raise MemoryError()
            for i in range(self.n_blob_hashes):
                h = blob_hashes[i]
                if isinstance(h, (bytes, bytearray)):
                    h = int.from_bytes(h, "big")
                u256_from_pyint(&self.blob_hashes[i], h)

    def changes(self, bint clear=True):
        """Everything changed since the last call, for writing back to the
        database: {address: None (deleted) or (nonce, balance, code,
        {slot: value (0 = delete)}, storage_reset)}. Call after
        ``end_transaction()``; with ``clear`` the changes are then considered
        written."""
        cdef uint32_t i
        cdef Acct* a
        cdef Slot* sl
        result = {}
        for i in range(self.n_accts):
            a = &self.accts[i]
            if not (a.flags & A_DIRTY):
                continue
            if not (a.flags & A_EXISTS):
                result[addr_bytes(a.addr)] = None
            else:
                result[addr_bytes(a.addr)] = (a.nonce, u256_py(&a.balance), <object>a.code, {},
                                              bool(a.flags & A_STORAGE_CLEARED))
        for i in range(self.n_slots):
            sl = &self.slots[i]
            if not (sl.warm & SLOT_DIRTY):
                continue
            if clear:
                sl.warm &= ~<uint32_t>SLOT_DIRTY
            a = &self.accts[sl.acct]
            if not (a.flags & A_EXISTS):
                continue
            key = addr_bytes(a.addr)
            entry = result.get(key)
            if entry is None:
                entry = (a.nonce, u256_py(&a.balance), <object>a.code, {},
                         bool(a.flags & A_STORAGE_CLEARED))
                result[key] = entry
            entry[3][u256_py(&sl.key)] = u256_py(&sl.current)
        if clear:
            for i in range(self.n_accts):
                self.accts[i].flags &= ~<uint32_t>A_DIRTY
        return result

# ---------------------------------------------------------------------------
# The interpreter loop, written once and compiled twice (traced / plain)
# ---------------------------------------------------------------------------
cdef struct TraceOn:
    int unused
cdef struct TraceOff:
    int unused
ctypedef fused Tracing:
    TraceOn
    TraceOff

cdef struct Frame:
    Mem mem
    uint8_t* rdata        # return data of the last call (owned)
    uint64_t rdata_len
    int64_t gas

cdef inline void set_rdata(Frame* f, uint8_t* data, uint64_t n) noexcept nogil:
    """Replace the frame's return data buffer, taking ownership of `data`."""
    free(f.rdata)
    f.rdata = data
    f.rdata_len = n

cdef enum:
    S_OUTER = -1          # inner loop: "run this instruction in the outer loop"

cdef inline void load_word(u256* r, const uint8_t* p) noexcept nogil:
    r.w[3] = evm_bswap64(_load64(p))
    r.w[2] = evm_bswap64(_load64(p + 8))
    r.w[1] = evm_bswap64(_load64(p + 16))
    r.w[0] = evm_bswap64(_load64(p + 24))

cdef inline void store_word(uint8_t* p, const u256* v) noexcept nogil:
    cdef uint64_t x
    x = evm_bswap64(v.w[3]); memcpy(p, &x, 8)
    x = evm_bswap64(v.w[2]); memcpy(p + 8, &x, 8)
    x = evm_bswap64(v.w[1]); memcpy(p + 16, &x, 8)
    x = evm_bswap64(v.w[0]); memcpy(p + 24, &x, 8)

cdef int stack_error(int op, bint underflow, bint out_of_gas) noexcept nogil:
    """Which halt a failed stack check reports, in the spec's order: an op
    that pops its arguments underflows before charging gas, DUP/SWAP charge
    first, and pushing onto a full stack comes after the charge."""
    if underflow and not (0x80 <= op <= 0x9F):
        return S_STACK_UNDERFLOW
    if out_of_gas:
        return S_OUT_OF_GAS
    return S_STACK_UNDERFLOW if underflow else S_STACK_OVERFLOW

cdef object stack_list(u256* base, u256* sp):
    cdef u256* p = base
    result = []
    while p < sp:
        result.append(u256_to_pyint(p))
        p += 1
    return result

# -- tracing (only the traced variant of the loop calls these) ---------------
cdef object _py_mem_cost(object words):
    return GAS_MEMORY * words + (words * words) // 512

cdef object _trace_expansion(Frame* f, object regions):
    """Memory expansion cost to cover the (offset, size) regions, as Python
    ints: offsets beyond any gas limit give the spec's (huge) cost."""
    end = 0
    for o, s in regions:
        if s and o + s > end:
            end = o + s
    if end <= f.mem.size:
        return 0
    return _py_mem_cost((end + 31) // 32) - f.mem.cost

cdef object _trace_words(object size):
    return (size + 31) // 32

cdef bint _trace_cold(VM vm, uint32_t e) except -1:
    return vm.fork >= F_BERLIN and not (vm.accts[e].flags & A_WARM)

cdef object trace_charge(VM vm, Msg* msg, Frame* f, u256* stack, u256* sp, int op, int64_t gas):
    """The spec's first gas charge (``GasAndRefund``) of the instruction `op`
    about to run: (cost, refund counter at that moment), or None when the
    spec fails it before charging (undefined opcode, stack underflow on a
    pop, SSTORE's stipend check). Computed from the state before the
    instruction, so the out-of-gas cost is the one the spec attempts, and a
    call's cost includes the gas it forwards (EIP-3155 gasCost)."""
    cdef int fork = vm.fork
    cdef OpMeta* m = &OP_META[fork][op]
    cdef uint64_t h = <uint64_t>(<char*>sp - <char*>stack)
    cdef uint8_t addr[20]
    cdef int64_t e, t, d, sl, c64 = 0, r64 = 0
    cdef Acct* me
    if m.gas < 0:
        return None
    if h < m.req and not (0x80 <= op <= 0x9F):
        return None  # pops before charging
    cost = m.gas
    refund = vm.refund_counter
    if h < m.req or h - m.req > m.span:
        return (cost, refund)  # DUP/SWAP underflow or push overflow: after the charge
    S = [u256_to_pyint(&sp[-1 - i]) for i in range(min(7, <int>(h // sizeof(u256))))]
    if op == 0x0A:  # EXP
        cost += (50 if fork >= F_SPURIOUS else 10) * ((S[1].bit_length() + 7) // 8)
    elif op == 0x20:  # KECCAK256
        cost += GAS_KECCAK256_WORD * _trace_words(S[1]) + _trace_expansion(f, [(S[0], S[1])])
    elif op == 0x31 or op == 0x3B or op == 0x3F:  # BALANCE, EXTCODESIZE, EXTCODEHASH
        addr_from_u256(addr, &sp[-1])
        if _trace_cold(vm, vm.acct(addr)):
            cost += GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
    elif op == 0x3C:  # EXTCODECOPY
        addr_from_u256(addr, &sp[-1])
        cost += GAS_COPY * _trace_words(S[3]) + _trace_expansion(f, [(S[1], S[3])])
        if _trace_cold(vm, vm.acct(addr)):
            cost += GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
    elif op == 0x37 or op == 0x39 or op == 0x3E:  # CALLDATACOPY, CODECOPY, RETURNDATACOPY
        cost += GAS_COPY * _trace_words(S[2]) + _trace_expansion(f, [(S[0], S[2])])
    elif op == 0x5E:  # MCOPY
        cost += GAS_COPY * _trace_words(S[2]) + _trace_expansion(f, [(S[1], S[2]), (S[0], S[2])])
    elif op == 0x51 or op == 0x52:  # MLOAD, MSTORE
        cost += _trace_expansion(f, [(S[0], 32)])
    elif op == 0x53:  # MSTORE8
        cost += _trace_expansion(f, [(S[0], 1)])
    elif op == 0x54:  # SLOAD
        sl = vm.slot(msg.target, &sp[-1])
        if fork >= F_BERLIN and not (vm.slots[sl].warm & SLOT_WARM):
            cost += GAS_COLD_SLOAD - GAS_WARM_ACCESS
    elif op == 0x55:  # SSTORE: the refund shown already includes this store's change
        if fork >= F_ISTANBUL and gas <= GAS_CALL_STIPEND:
            return None
        sl = vm.slot(msg.target, &sp[-1])
        sstore_gas(fork, &vm.slots[sl], &sp[-2],
                   fork >= F_BERLIN and not (vm.slots[sl].warm & SLOT_WARM), &c64, &r64)
        cost += c64
        refund += r64
    elif 0xA0 <= op <= 0xA4:  # LOG0..LOG4
        cost += GAS_LOG_DATA * S[1] + _trace_expansion(f, [(S[0], S[1])])
    elif op == 0xF0 or op == 0xF5:  # CREATE, CREATE2 (the forwarded gas is not charged)
        if fork >= F_SHANGHAI:
            cost += GAS_INIT_CODE_WORD_COST * _trace_words(S[2])
        if op == 0xF5:
            cost += GAS_KECCAK256_WORD * _trace_words(S[2])
        cost += _trace_expansion(f, [(S[1], S[2])])
    elif op == 0xF3 or op == 0xFD:  # RETURN, REVERT
        cost += _trace_expansion(f, [(S[0], S[1])])
    elif op == 0xF1 or op == 0xF2 or op == 0xF4 or op == 0xFA:  # CALL family
        k = 3 if (op == 0xF1 or op == 0xF2) else 2
        value = S[2] if k == 3 else 0
        mcost = _trace_expansion(f, [(S[k], S[k + 1]), (S[k + 2], S[k + 3])])
        addr_from_u256(addr, &sp[-2])
        t = vm.acct(addr)
        extra = 0
        t_cold = _trace_cold(vm, t)
        if t_cold:
            extra += GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
        d = delegate_of(vm, t)
        if d >= 0:
            extra += GAS_COLD_ACCOUNT_ACCESS if (not (vm.accts[d].flags & A_WARM)
                                                 and not (d == t and t_cold)) else GAS_WARM_ACCESS
        if value:
            extra += GAS_CALL_VALUE
            if op == 0xF1 and fork >= F_SPURIOUS and not vm.is_alive(t):
                extra += GAS_NEW_ACCOUNT
        if op == 0xF1 and fork < F_SPURIOUS and not (vm.accts[t].flags & A_EXISTS):
            extra += GAS_NEW_ACCOUNT
        avail = gas - m.gas  # what the call's own charge sees (the base is in the table)
        sub = S[0]
        if fork >= F_TANGERINE and avail >= extra + mcost:
            left = avail - mcost - extra
            sub = min(sub, left - left // 64)
        cost += extra + mcost + sub
    elif op == 0xFF:  # SELFDESTRUCT
        addr_from_u256(addr, &sp[-1])
        t = vm.acct(addr)
        if _trace_cold(vm, t):
            cost += GAS_COLD_ACCOUNT_ACCESS
        me = &vm.accts[msg.target]
        if fork >= F_SPURIOUS:
            if not vm.is_alive(t) and not u256_is_zero(&me.balance):
                cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
        elif fork == F_TANGERINE and not (vm.accts[t].flags & A_EXISTS):
            cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
    return (cost, refund)

cdef int trace_op_start(VM vm, Msg* msg, Frame* f, u256* stack, u256* sp, uint64_t pc, int op,
                        int64_t gas, bint charge) except -1:
    """Report an instruction about to run (op_start) and, with `charge`, the
    spec's gas charge for it (op_gas)."""
    vm.tracer.op_start(pc, op, gas, f.mem.size, stack_list(stack, sp), msg.depth + 1,
                       mkbytes(f.rdata, f.rdata_len), vm.refund_counter,
                       memory=mkbytes(f.mem.buf, f.mem.size))
    if charge:
        c = trace_charge(vm, msg, f, stack, sp, op, gas)
        if c is not None:
            vm.tracer.op_gas(c[0], c[1])
    return 0

cdef struct LoopState:
    uint64_t pc
    u256* sp
    int64_t gas
    int op
    bint open_op

cdef int run_inner(VM vm, Msg* msg, Frame* f, LoopState* ls, const uint8_t* code,
                   const uint8_t* jumpdest, uint64_t code_size, u256* stack, OpMeta* meta,
                   Tracing* mode) except? -2:
    """The inner loop: cheap instructions only, and no calls, in a function
    of its own so the compiler keeps pc, sp and gas in registers. Returns a
    halt status, or S_OUTER with `ls.op` checked and charged, for the caller
    to execute."""
    cdef uint64_t pc = ls.pc, o, n, h
    cdef u256* sp = ls.sp
    cdef int64_t gas = ls.gas
    cdef int op = 0, status = S_SUCCESS
    cdef bint open_op = False
    cdef OpMeta* m
    cdef u256 t
    while True:
        op = code[pc]
        if Tracing is TraceOn:
            if pc >= code_size:
                # Running off the end: the spec shows a STOP line (pc past the
                # code) unless the code is empty; it charges nothing.
                if code_size:
                    trace_op_start(vm, msg, f, stack, sp, pc, 0x00, gas, False)
                    vm.tracer.op_end(gas)
                break
            trace_op_start(vm, msg, f, stack, sp, pc, op, gas, True)
            open_op = True
        # one check for: defined?, stack under/overflow, base gas
        m = &meta[op]
        if m.gas < 0:
            status = S_INVALID_OPCODE
            break
        h = <uint64_t>(<char*>sp - <char*>stack)
        if h - m.req > m.span:  # unsigned: also catches h < req
            status = stack_error(op, h < m.req, gas - m.gas < 0)
            break
        gas -= m.gas
        if gas < 0:
            status = S_OUT_OF_GAS
            break

        if op == 0x01:  # ADD
            u256_add(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x02:  # MUL
            u256_mul(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x03:  # SUB
            u256_sub(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x0B:  # SIGNEXTEND
            u256_signextend(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x10:  # LT
            u256_set_u64(&sp[-2], u256_lt(&sp[-1], &sp[-2])); sp -= 1
        elif op == 0x11:  # GT
            u256_set_u64(&sp[-2], u256_gt(&sp[-1], &sp[-2])); sp -= 1
        elif op == 0x12:  # SLT
            u256_set_u64(&sp[-2], u256_slt(&sp[-1], &sp[-2])); sp -= 1
        elif op == 0x13:  # SGT
            u256_set_u64(&sp[-2], u256_sgt(&sp[-1], &sp[-2])); sp -= 1
        elif op == 0x14:  # EQ
            u256_set_u64(&sp[-2], u256_eq(&sp[-1], &sp[-2])); sp -= 1
        elif op == 0x15:  # ISZERO
            u256_set_u64(&sp[-1], u256_is_zero(&sp[-1]))
        elif op == 0x16:  # AND
            u256_and(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x17:  # OR
            u256_or(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x18:  # XOR
            u256_xor(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x19:  # NOT
            u256_not(&sp[-1], &sp[-1])
        elif op == 0x1A:  # BYTE
            u256_byte(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x1B:  # SHL
            u256_shl(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x1C:  # SHR
            u256_shr(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x1D:  # SAR
            u256_sar(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
        elif op == 0x1E:  # CLZ
            u256_set_u64(&sp[-1], u256_clz(&sp[-1]))
        elif op == 0x30:  # ADDRESS
            u256_from_addr(sp, vm.accts[msg.target].addr); sp += 1
        elif op == 0x32:  # ORIGIN
            u256_from_addr(sp, vm.origin); sp += 1
        elif op == 0x33:  # CALLER
            u256_from_addr(sp, vm.accts[msg.caller].addr); sp += 1
        elif op == 0x34:  # CALLVALUE
            sp[0] = msg.value; sp += 1
        elif op == 0x36:  # CALLDATASIZE
            u256_set_u64(sp, msg.data_len); sp += 1
        elif op == 0x38:  # CODESIZE
            u256_set_u64(sp, code_size); sp += 1
        elif op == 0x3A:  # GASPRICE
            sp[0] = vm.gas_price; sp += 1
        elif op == 0x3D:  # RETURNDATASIZE
            u256_set_u64(sp, f.rdata_len); sp += 1
        elif op == 0x41:  # COINBASE
            u256_from_addr(sp, vm.coinbase); sp += 1
        elif op == 0x42:  # TIMESTAMP
            sp[0] = vm.timestamp; sp += 1
        elif op == 0x43:  # NUMBER
            sp[0] = vm.number; sp += 1
        elif op == 0x44:  # PREVRANDAO (DIFFICULTY before Paris)
            sp[0] = vm.prev_randao; sp += 1
        elif op == 0x45:  # GASLIMIT
            sp[0] = vm.gas_limit; sp += 1
        elif op == 0x46:  # CHAINID
            sp[0] = vm.chain_id; sp += 1
        elif op == 0x47:  # SELFBALANCE
            sp[0] = vm.accts[msg.target].balance; sp += 1
        elif op == 0x48:  # BASEFEE
            sp[0] = vm.base_fee; sp += 1
        elif op == 0x4A:  # BLOBBASEFEE
            sp[0] = vm.blob_base_fee; sp += 1
        elif op == 0x50:  # POP
            sp -= 1
        elif op == 0x56:  # JUMP
            if not to_u64_sat(&sp[-1], code_size, &o) or not jumpdest[o]:
                status = S_INVALID_JUMP
                break
            pc = o - 1  # wraps for o == 0; the pc += 1 below lands on o
            sp -= 1
        elif op == 0x57:  # JUMPI
            if not u256_is_zero(&sp[-2]):
                if not to_u64_sat(&sp[-1], code_size, &o) or not jumpdest[o]:
                    status = S_INVALID_JUMP
                    break
                pc = o - 1
            sp -= 2
        elif op == 0x58:  # PC
            u256_set_u64(sp, pc); sp += 1
        elif op == 0x59:  # MSIZE
            u256_set_u64(sp, f.mem.size); sp += 1
        elif op == 0x5A:  # GAS
            u256_set_u64(sp, <uint64_t>gas); sp += 1
        elif op == 0x5B:  # JUMPDEST
            if Tracing is TraceOff:
                # a run of JUMPDESTs does nothing but cost 1 gas each: take it
                # in one go (the traced loop shows every step); one that
                # cannot be paid is left to the next dispatch (out of gas)
                while code[pc + 1] == 0x5B and gas >= 1:
                    pc += 1
                    gas -= 1
        elif op == 0x5F:  # PUSH0
            u256_set_u64(sp, 0); sp += 1
        elif op == 0x60:  # PUSH1
            u256_set_u64(sp, code[pc + 1]); sp += 1
            pc += 1
        elif op in (0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f):  # PUSH2..PUSH32
            n = op - 0x5F
            push_bytes(sp, code + pc + 1, n); sp += 1
            pc += n
        elif op in (0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f):  # DUP1..DUP16
            sp[0] = sp[-(op - 0x7F)]; sp += 1
        elif op in (0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f):  # SWAP1..SWAP16
            t = sp[-1]
            sp[-1] = sp[-(op - 0x8E)]
            sp[-(op - 0x8E)] = t
        elif op == 0x51:  # MLOAD, when memory need not grow
            # bound w[0] first so that w[0] + 32 cannot wrap around
            if sp[-1].w[1] | sp[-1].w[2] | sp[-1].w[3] or sp[-1].w[0] > MAX_MEMORY or sp[-1].w[0] + 32 > f.mem.size:
                status = S_OUTER
                break
            load_word(&sp[-1], f.mem.buf + sp[-1].w[0])
        elif op == 0x52:  # MSTORE, when memory need not grow
            # bound w[0] first so that w[0] + 32 cannot wrap around
            if sp[-1].w[1] | sp[-1].w[2] | sp[-1].w[3] or sp[-1].w[0] > MAX_MEMORY or sp[-1].w[0] + 32 > f.mem.size:
                status = S_OUTER
                break
            store_word(f.mem.buf + sp[-1].w[0], &sp[-2])
            sp -= 2
        else:
            status = S_OUTER  # dispatched below; checks and base gas are done
            break
        pc += 1
        if Tracing is TraceOn:
            vm.tracer.op_end(gas)
            open_op = False
    ls.pc = pc
    ls.sp = sp
    ls.gas = gas
    ls.op = op
    ls.open_op = open_op
    return status

cdef int execute_code(VM vm, Msg* msg, Res* res, Tracing* mode) except -1:
    """Run msg.code; fill res (status, gas_left, output). State changes are
    made through `vm`; reverting them on failure is the caller's job."""
    cdef CodeInfo ci = get_code_info(<object>msg.code)
    cdef const uint8_t* code = ci.padded
    cdef const uint8_t* jumpdest = ci.jumpdest
    cdef uint64_t code_size = ci.size
    cdef u256* stack = vm.stack_for(msg.depth)
    cdef u256* sp = stack
    cdef OpMeta* meta = OP_META[vm.fork]
    cdef OpMeta* m
    cdef int fork = vm.fork
    cdef uint64_t pc = 0, o, s, o2, n, h
    cdef int64_t gas = msg.gas
    cdef bint open_op = False
    cdef int status = S_SUCCESS
    cdef LoopState ls
    cdef int op
    cdef u256 t, t2
    cdef Frame f
    cdef int64_t e
    cdef Acct* a
    cdef Slot* sl
    cdef uint8_t buf[32]
    cdef uint8_t* out = NULL
    cdef uint64_t out_len = 0
    memset(&f, 0, sizeof(Frame))
    try:
        while True:  # outer loop: instructions that may call out of the loop
            ls.pc = pc
            ls.sp = sp
            ls.gas = gas
            status = run_inner(vm, msg, &f, &ls, code, jumpdest, code_size, stack, meta, mode)
            pc = ls.pc
            sp = ls.sp
            gas = ls.gas
            op = ls.op
            if Tracing is TraceOn:
                open_op = ls.open_op
            if status != S_OUTER:
                break
            status = S_SUCCESS
            if op == 0x00:  # STOP
                break
            elif op == 0x04:  # DIV
                u256_div(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
            elif op == 0x05:  # SDIV
                u256_sdiv(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
            elif op == 0x06:  # MOD
                u256_mod(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
            elif op == 0x07:  # SMOD
                u256_smod(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
            elif op == 0x08:  # ADDMOD
                u256_addmod(&sp[-3], &sp[-1], &sp[-2], &sp[-3]); sp -= 2
            elif op == 0x09:  # MULMOD
                u256_mulmod(&sp[-3], &sp[-1], &sp[-2], &sp[-3]); sp -= 2
            elif op == 0x0A:  # EXP: + GAS_EXPONENT_PER_BYTE per exponent byte
                gas -= (50 if fork >= F_SPURIOUS else 10) * <int64_t>u256_byte_length(&sp[-2])
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                u256_exp(&sp[-2], &sp[-1], &sp[-2]); sp -= 1
            elif op == 0x20:  # KECCAK256
                status = region(&sp[-1], &sp[-2], &o, &s)
                if status:
                    break
                gas -= GAS_KECCAK256_WORD * words_of(s)
                gas = mem_charge(&f.mem, o, s, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                evm_keccak256(f.mem.buf + o, s, buf)
                u256_from_be(&sp[-2], buf, 32); sp -= 1
            elif op == 0x31:  # BALANCE
                addr_from_u256(buf, &sp[-1])
                e = vm.acct(buf)
                if fork >= F_BERLIN and vm.warm_acct(e):
                    gas -= GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
                    if gas < 0:
                        status = S_OUT_OF_GAS
                        break
                sp[-1] = vm.accts[e].balance
            elif op == 0x35:  # CALLDATALOAD
                copy_padded(buf, msg.data, msg.data_len, &sp[-1], 32)
                u256_from_be(&sp[-1], buf, 32)
            elif op == 0x37 or op == 0x39:  # CALLDATACOPY, CODECOPY
                status = region(&sp[-1], &sp[-3], &o, &s)
                if status:
                    break
                gas -= GAS_COPY * words_of(s)
                gas = mem_charge(&f.mem, o, s, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                if op == 0x37:
                    copy_padded(f.mem.buf + o, msg.data, msg.data_len, &sp[-2], s)
                else:
                    copy_padded(f.mem.buf + o, code, code_size, &sp[-2], s)
                sp -= 3
            elif op == 0x3B:  # EXTCODESIZE
                addr_from_u256(buf, &sp[-1])
                e = vm.acct(buf)
                if fork >= F_BERLIN and vm.warm_acct(e):
                    gas -= GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
                    if gas < 0:
                        status = S_OUT_OF_GAS
                        break
                u256_set_u64(&sp[-1], PyBytes_GET_SIZE(<object>vm.accts[e].code))
            elif op == 0x3C:  # EXTCODECOPY
                status = region(&sp[-2], &sp[-4], &o, &s)
                if status:
                    break
                gas -= GAS_COPY * words_of(s)
                addr_from_u256(buf, &sp[-1])
                e = vm.acct(buf)
                if fork >= F_BERLIN and vm.warm_acct(e):
                    gas -= GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
                gas = mem_charge(&f.mem, o, s, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                copy_padded(f.mem.buf + o, <const uint8_t*>PyBytes_AS_STRING(<object>vm.accts[e].code),
                            PyBytes_GET_SIZE(<object>vm.accts[e].code), &sp[-3], s)
                sp -= 4
            elif op == 0x3E:  # RETURNDATACOPY
                status = region(&sp[-1], &sp[-3], &o, &s)
                if status:
                    break
                gas -= GAS_COPY * words_of(s)
                gas = mem_charge(&f.mem, o, s, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                # reading past the end of the return data is an exceptional halt
                if not to_u64_sat(&sp[-2], f.rdata_len, &o2) or o2 + s > f.rdata_len:
                    status = S_RETURNDATA_OOB
                    break
                if s:
                    memcpy(f.mem.buf + o, f.rdata + o2, s)
                sp -= 3
            elif op == 0x3F:  # EXTCODEHASH
                addr_from_u256(buf, &sp[-1])
                e = vm.acct(buf)
                if fork >= F_BERLIN and vm.warm_acct(e):
                    gas -= GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
                    if gas < 0:
                        status = S_OUT_OF_GAS
                        break
                if vm.is_empty(e) or not (vm.accts[e].flags & A_EXISTS):
                    u256_set_u64(&sp[-1], 0)
                else:
                    u256_from_be(&sp[-1], vm.code_hash(e), 32)
            elif op == 0x40:  # BLOCKHASH
                status = block_hash(vm, &sp[-1])
                if status:
                    break
            elif op == 0x49:  # BLOBHASH
                if to_u64_sat(&sp[-1], 0xFFFFFFFF, &o) and o < vm.n_blob_hashes:
                    sp[-1] = vm.blob_hashes[o]
                else:
                    u256_set_u64(&sp[-1], 0)
            elif op == 0x51:  # MLOAD
                if not to_u64_sat(&sp[-1], MAX_MEMORY, &o):
                    status = S_OUT_OF_GAS
                    break
                gas = mem_charge(&f.mem, o, 32, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                u256_from_be(&sp[-1], f.mem.buf + o, 32)
            elif op == 0x52:  # MSTORE
                if not to_u64_sat(&sp[-1], MAX_MEMORY, &o):
                    status = S_OUT_OF_GAS
                    break
                gas = mem_charge(&f.mem, o, 32, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                u256_to_be(f.mem.buf + o, &sp[-2])
                sp -= 2
            elif op == 0x53:  # MSTORE8
                if not to_u64_sat(&sp[-1], MAX_MEMORY, &o):
                    status = S_OUT_OF_GAS
                    break
                gas = mem_charge(&f.mem, o, 1, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                f.mem.buf[o] = <uint8_t>(sp[-2].w[0] & 0xFF)
                sp -= 2
            elif op == 0x54:  # SLOAD
                e = vm.slot(msg.target, &sp[-1])
                sl = &vm.slots[e]
                if fork >= F_BERLIN and not (sl.warm & SLOT_WARM):
                    vm.push_undo(U_SLOT_WARM, e, NULL, 0)
                    vm.slots[e].warm |= SLOT_WARM
                    gas -= GAS_COLD_SLOAD - GAS_WARM_ACCESS
                    if gas < 0:
                        status = S_OUT_OF_GAS
                        break
                sp[-1] = vm.slots[e].current
            elif op == 0x55:  # SSTORE
                f.gas = gas
                status = sstore(vm, msg, &f, &sp[-1], &sp[-2])
                gas = f.gas
                if status:
                    break
                sp -= 2
            elif op == 0x5C:  # TLOAD
                e = vm.tslot(msg.target, &sp[-1], False)
                if e < 0:
                    u256_set_u64(&sp[-1], 0)
                else:
                    sp[-1] = vm.tslots[e].current
            elif op == 0x5D:  # TSTORE
                if msg.is_static:
                    status = S_WRITE_IN_STATIC
                    break
                e = vm.tslot(msg.target, &sp[-1], True)
                vm.push_undo(U_TSTORAGE, e, &vm.tslots[e].current, 0)
                vm.tslots[e].current = sp[-2]
                sp -= 2
            elif op == 0x5E:  # MCOPY
                status = region(&sp[-1], &sp[-3], &o, &s)
                if status:
                    break
                if s:
                    if not to_u64_sat(&sp[-2], MAX_MEMORY, &o2):
                        status = S_OUT_OF_GAS
                        break
                    gas -= GAS_COPY * words_of(s)
                    gas = mem_charge(&f.mem, o if o > o2 else o2, s, gas)
                    if gas < 0:
                        status = S_OUT_OF_GAS
                        break
                    memmove(f.mem.buf + o, f.mem.buf + o2, s)
                sp -= 3
            elif op in (0xa0, 0xa1, 0xa2, 0xa3, 0xa4):  # LOG0..LOG4
                if msg.is_static:
                    status = S_WRITE_IN_STATIC
                    break
                status = region(&sp[-1], &sp[-2], &o, &s)
                if status:
                    break
                gas -= GAS_LOG_DATA * <int64_t>s
                gas = mem_charge(&f.mem, o, s, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                n = op - 0xA0
                # topics in stack order: sp[-3] is the first
                for h in range(n):
                    vm.log_topics[h] = sp[-3 - <int64_t>h]
                vm.add_log(vm.accts[msg.target].addr, vm.log_topics, <uint32_t>n, f.mem.buf + o, s)
                sp -= 2 + n
            elif op == 0xF0 or op == 0xF5:  # CREATE, CREATE2
                f.gas = gas
                status = op_create(vm, msg, &f, sp, op == 0xF5)
                gas = f.gas
                if status:
                    break
                sp -= 2 if op == 0xF0 else 3
            elif op == 0xF1 or op == 0xF2 or op == 0xF4 or op == 0xFA:  # CALL family
                f.gas = gas
                status = op_call(vm, msg, &f, sp, op)
                gas = f.gas
                if status:
                    break
                sp -= 6 if (op == 0xF1 or op == 0xF2) else 5
            elif op == 0xF3 or op == 0xFD:  # RETURN, REVERT
                status = region(&sp[-1], &sp[-2], &o, &s)
                if status:
                    break
                gas = mem_charge(&f.mem, o, s, gas)
                if gas < 0:
                    status = S_OUT_OF_GAS
                    break
                out = <uint8_t*>malloc(s if s else 1)
                if out == NULL:
                    raise MemoryError()
                if s:
                    memcpy(out, f.mem.buf + o, s)
                out_len = s
                status = S_SUCCESS if op == 0xF3 else S_REVERT
                break
            elif op == 0xFF:  # SELFDESTRUCT
                f.gas = gas
                status = selfdestruct(vm, msg, &f, &sp[-1])
                gas = f.gas
                break

            else:
                status = S_INVALID_OPCODE
                break
            pc += 1
            if Tracing is TraceOn:
                vm.tracer.op_end(gas)
                open_op = False
        if Tracing is TraceOn:
            if open_op:
                if status >= S_REVERT:  # the spec reports REVERT as an exception
                    vm.tracer.op_exception(STATUS_NAMES[status])
                else:
                    vm.tracer.op_end(gas)
    finally:
        free(f.mem.buf)
        free(f.rdata)
    res.status = status
    if status <= S_REVERT:
        res.gas_left = gas
        res.output = out
        res.output_len = out_len
    else:
        # an exceptional halt consumes all gas and returns nothing
        free(out)
        res.gas_left = 0
        res.output = NULL
        res.output_len = 0
    return 0

# ---------------------------------------------------------------------------
# Instruction bodies too large for the loop (storage, block, system)
# ---------------------------------------------------------------------------
cdef int block_hash(VM vm, u256* top) except -1:
    """BLOCKHASH: the hash of one of the 256 most recent complete blocks."""
    cdef uint64_t n
    if not to_u64_sat(top, vm.block_number, &n) or n >= vm.block_number or vm.block_number - n > 256:
        u256_set_u64(top, 0)
        return S_SUCCESS
    cdef bytes h = bytes(vm.db.get_block_hash(n))
    if len(h) == 32:
        u256_from_be(top, <const uint8_t*>h, 32)
    else:
        u256_set_u64(top, 0)
    return S_SUCCESS

cdef inline void sstore_gas(int fork, const Slot* sl, const u256* new_value, bint cold,
                            int64_t* cost_out, int64_t* refund_out) noexcept nogil:
    """Gas and refund change of an SSTORE of new_value into sl, with each
    fork's rules (EIP-1283 in Constantinople only, EIP-2200 from Istanbul,
    EIP-2929 when `cold`, EIP-3529)."""
    cdef int64_t cost = 0, refund = 0, sload_gas, clear_refund, reset_cost
    cdef bint net = fork >= F_ISTANBUL or fork == F_CONSTANTINOPLE
    if cold:
        cost += GAS_COLD_SLOAD
    if not net:
        # Frontier .. Petersburg (bar Constantinople): set 20000, else 5000
        if u256_is_zero(&sl.current) and not u256_is_zero(new_value):
            cost += GAS_STORAGE_SET
        else:
            cost += GAS_STORAGE_UPDATE
        if not u256_is_zero(&sl.current) and u256_is_zero(new_value):
            refund += 15000
    else:
        if fork >= F_BERLIN:
            sload_gas = GAS_WARM_ACCESS
            reset_cost = GAS_STORAGE_UPDATE - GAS_COLD_SLOAD
        else:
            sload_gas = 800 if fork >= F_ISTANBUL else 200
            reset_cost = GAS_STORAGE_UPDATE
        clear_refund = 4800 if fork >= F_LONDON else 15000
        if u256_eq_raw(&sl.original, &sl.current) and not u256_eq_raw(&sl.current, new_value):
            cost += GAS_STORAGE_SET if u256_is_zero(&sl.original) else reset_cost
        else:
            cost += sload_gas
        if not u256_eq_raw(&sl.current, new_value):
            if not u256_is_zero(&sl.original) and not u256_is_zero(&sl.current) and u256_is_zero(new_value):
                refund += clear_refund
            if not u256_is_zero(&sl.original) and u256_is_zero(&sl.current):
                refund -= clear_refund
            if u256_eq_raw(&sl.original, new_value):
                if u256_is_zero(&sl.original):
                    refund += GAS_STORAGE_SET - sload_gas
                else:
                    refund += reset_cost - sload_gas
    cost_out[0] = cost
    refund_out[0] = refund

cdef int sstore(VM vm, Msg* msg, Frame* f, u256* key, u256* new_value) except -1:
    """SSTORE (spec: storage.sstore); gas and refund from sstore_gas."""
    cdef int fork = vm.fork
    cdef int64_t e, cost = 0, refund = 0
    cdef Slot* sl
    cdef bint cold = False
    if fork >= F_ISTANBUL and f.gas <= GAS_CALL_STIPEND:
        return S_OUT_OF_GAS
    e = vm.slot(msg.target, key)
    sl = &vm.slots[e]
    if fork >= F_BERLIN and not (sl.warm & SLOT_WARM):
        vm.push_undo(U_SLOT_WARM, e, NULL, 0)
        sl.warm |= SLOT_WARM
        cold = True
    sstore_gas(fork, sl, new_value, cold, &cost, &refund)
    f.gas -= cost
    if f.gas < 0:
        return S_OUT_OF_GAS
    if msg.is_static:
        return S_WRITE_IN_STATIC
    vm.refund_counter += refund
    if not u256_eq_raw(&sl.current, new_value):
        vm.set_storage(e, new_value)
    return S_SUCCESS

cdef int selfdestruct(VM vm, Msg* msg, Frame* f, u256* top) except -1:
    """SELFDESTRUCT: EIP-150/161 gas, EIP-2929 cold access, EIP-3529 (no
    refund), EIP-6780 (only deletes an account created in this transaction)."""
    cdef int fork = vm.fork
    cdef uint8_t addr[20]
    cdef int64_t cost = 0, b, o
    cdef u256 zero, bal
    addr_from_u256(addr, top)
    b = vm.acct(addr)
    o = msg.target
    # the base (GAS_SELF_DESTRUCT from Tangerine Whistle) is in the table
    if fork >= F_BERLIN and vm.warm_acct(b):
        cost += GAS_COLD_ACCOUNT_ACCESS
    if fork >= F_SPURIOUS:
        if not vm.is_alive(b) and not u256_is_zero(&vm.accts[o].balance):
            cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
    elif fork == F_TANGERINE:
        if not (vm.accts[b].flags & A_EXISTS):
            cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
    f.gas -= cost
    if f.gas < 0:
        return S_OUT_OF_GAS
    if msg.is_static:
        return S_WRITE_IN_STATIC
    if fork < F_LONDON and not (vm.accts[o].flags & A_DESTROYED):
        vm.refund_counter += REFUND_SELF_DESTRUCT
    u256_set_u64(&zero, 0)
    if fork >= F_CANCUN:
        bal = vm.accts[o].balance
        vm.move_ether(o, b, &bal)
        if vm.accts[o].flags & A_CREATED:
            vm.set_balance(o, &zero)
            vm.set_flags(o, vm.accts[o].flags | A_DESTROYED)
    else:
        u256_add(&bal, &vm.accts[b].balance, &vm.accts[o].balance)
        vm.set_balance(b, &bal)
        vm.set_balance(o, &zero)
        vm.set_flags(o, vm.accts[o].flags | A_DESTROYED)
    if F_SPURIOUS <= fork <= F_LONDON:
        vm.set_flags(b, vm.accts[b].flags | A_TOUCHED)
    return S_SUCCESS

cdef inline int64_t max_message_call_gas(int fork, int64_t gas) noexcept:
    """EIP-150: all but one 64th of the remaining gas may be forwarded."""
    if fork >= F_TANGERINE:
        return gas - gas // 64
    return gas

cdef int expand_two(Frame* f, uint64_t o1, uint64_t s1, uint64_t o2, uint64_t s2, int64_t* cost) noexcept:
    """Memory expansion cost to cover two regions (not yet applied)."""
    cdef uint64_t end = 0, words
    if s1 and o1 + s1 > end:
        end = o1 + s1
    if s2 and o2 + s2 > end:
        end = o2 + s2
    if end <= f.mem.size:
        cost[0] = 0
        return 0
    words = (end + 31) >> 5
    cost[0] = mem_cost(words) - f.mem.cost
    return 0

cdef int apply_expansion(Frame* f, uint64_t o1, uint64_t s1, uint64_t o2, uint64_t s2) except -1:
    cdef uint64_t end = 0, words
    if s1 and o1 + s1 > end:
        end = o1 + s1
    if s2 and o2 + s2 > end:
        end = o2 + s2
    if end > f.mem.size:
        words = (end + 31) >> 5
        if mem_grow(&f.mem, words << 5) != 0:
            raise MemoryError()
        f.mem.cost = mem_cost(words)
    return 0

cdef int64_t delegate_of(VM vm, uint32_t e) except -2:
    """EIP-7702: the account index an 0xef0100 || address designator in e's
    code points to, or -1 if e's code is not a delegation."""
    cdef object code = <object>vm.accts[e].code
    cdef const uint8_t* p
    if vm.fork < F_PRAGUE or PyBytes_GET_SIZE(code) != 23:
        return -1
    p = <const uint8_t*>PyBytes_AS_STRING(code)
    if p[0] != 0xEF or p[1] != 0x01 or p[2] != 0x00:
        return -1
    return vm.acct(p + 3)

cdef int op_call(VM vm, Msg* msg, Frame* f, u256* sp, int op) except -1:
    """CALL, CALLCODE, DELEGATECALL, STATICCALL (spec: system.call & co.)."""
    cdef int fork = vm.fork
    cdef u256* gas_arg = &sp[-1]
    cdef u256 value
    cdef uint64_t in_o, in_s, out_o, out_s, g64
    cdef int st, has_value_arg = (op == 0xF1 or op == 0xF2)
    cdef u256* args = &sp[-3] if has_value_arg else &sp[-2]
    cdef uint8_t to[20]
    cdef int64_t t, mcost, extra = 0, gas_req, sub_gas, stipend, d
    cdef Msg child
    cdef Res r
    cdef u256* result = &sp[-7] if has_value_arg else &sp[-6]
    addr_from_u256(to, &sp[-2])
    if has_value_arg:
        value = sp[-3]
    else:
        u256_set_u64(&value, 0)
    st = region(&args[-1], &args[-2], &in_o, &in_s)
    if st:
        return st
    st = region(&args[-3], &args[-4], &out_o, &out_s)
    if st:
        return st
    expand_two(f, in_o, in_s, out_o, out_s, &mcost)
    t = vm.acct(to)
    if fork >= F_BERLIN and vm.warm_acct(t):
        extra += GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
    d = delegate_of(vm, t)
    if d >= 0:
        extra += GAS_COLD_ACCOUNT_ACCESS if vm.warm_acct(d) else GAS_WARM_ACCESS
    if not u256_is_zero(&value):
        extra += GAS_CALL_VALUE
        if op == 0xF1 and fork >= F_SPURIOUS and not vm.is_alive(t):
            extra += GAS_NEW_ACCOUNT
    if op == 0xF1 and fork < F_SPURIOUS and not (vm.accts[t].flags & A_EXISTS):
        extra += GAS_NEW_ACCOUNT
    # requested gas, saturated: larger than any gas_left anyway
    if gas_arg.w[1] | gas_arg.w[2] | gas_arg.w[3] or gas_arg.w[0] > <uint64_t>INT64_MAX:
        gas_req = INT64_MAX
    else:
        gas_req = <int64_t>gas_arg.w[0]
    if f.gas < extra + mcost:
        return S_OUT_OF_GAS
    if fork >= F_TANGERINE:
        sub_gas = max_message_call_gas(fork, f.gas - mcost - extra)
        if gas_req < sub_gas:
            sub_gas = gas_req
    else:
        sub_gas = gas_req
        if sub_gas > f.gas - mcost - extra:
            return S_OUT_OF_GAS
    f.gas -= sub_gas + extra + mcost
    if f.gas < 0:
        return S_OUT_OF_GAS
    if op == 0xF1 and msg.is_static and not u256_is_zero(&value):
        return S_WRITE_IN_STATIC
    apply_expansion(f, in_o, in_s, out_o, out_s)
    stipend = GAS_CALL_STIPEND if not u256_is_zero(&value) else 0
    set_rdata(f, NULL, 0)
    # failures that are not the callee's: the gas comes back, 0 is pushed
    if msg.depth + 1 > STACK_DEPTH_LIMIT or (
            has_value_arg and u256_lt(&vm.accts[msg.target].balance, &value)):
        f.gas += sub_gas + stipend
        u256_set_u64(result, 0)
        return S_SUCCESS
    memset(&child, 0, sizeof(Msg))
    child.gas = sub_gas + stipend
    child.depth = msg.depth + 1
    child.data = f.mem.buf + in_o if in_s else NULL
    child.data_len = in_s
    child.code_acct = t
    if d >= 0:
        child.code_acct = d
        child.disable_precompiles = True
    if op == 0xF1:  # CALL
        child.caller = msg.target
        child.target = t
        child.value = value
        child.should_transfer_value = True
        child.is_static = msg.is_static
    elif op == 0xF2:  # CALLCODE: callee's code on our own account
        child.caller = msg.target
        child.target = msg.target
        child.value = value
        child.should_transfer_value = True
        child.is_static = msg.is_static
    elif op == 0xF4:  # DELEGATECALL: keeps caller and value
        child.caller = msg.caller
        child.target = msg.target
        child.value = msg.value
        child.should_transfer_value = False
        child.is_static = msg.is_static
    else:  # STATICCALL
        child.caller = msg.target
        child.target = t
        child.should_transfer_value = True
        child.is_static = True
    child.code = vm.accts[child.code_acct].code
    call_message(vm, &child, &r)
    f.gas += r.gas_left
    u256_set_u64(result, 1 if r.status == S_SUCCESS else 0)
    if r.output_len and out_s:
        memcpy(f.mem.buf + out_o, r.output, r.output_len if r.output_len < out_s else out_s)
    set_rdata(f, r.output, r.output_len)
    return S_SUCCESS

cdef void compute_create_address(const uint8_t* sender, uint64_t nonce, uint8_t* out) noexcept:
    """keccak256(rlp([sender, nonce]))[12:]"""
    cdef uint8_t buf[32]
    cdef uint8_t enc[40]
    cdef int n = 0, i, nlen = 0
    cdef uint64_t x = nonce
    enc[1] = 0x94
    memcpy(enc + 2, sender, 20)
    n = 22
    if nonce == 0:
        enc[n] = 0x80; n += 1
    elif nonce < 0x80:
        enc[n] = <uint8_t>nonce; n += 1
    else:
        while x:
            nlen += 1
            x >>= 8
        enc[n] = 0x80 + nlen; n += 1
        for i in range(nlen):
            enc[n + i] = <uint8_t>(nonce >> (8 * (nlen - 1 - i)))
        n += nlen
    enc[0] = 0xC0 + (n - 1)
    evm_keccak256(enc, n, buf)
    memcpy(out, buf + 12, 20)

cdef void compute_create2_address(const uint8_t* sender, const u256* salt,
                                  const uint8_t* code, uint64_t size, uint8_t* out) noexcept:
    """keccak256(0xff ++ sender ++ salt ++ keccak256(code))[12:]"""
    cdef uint8_t buf[85]
    cdef uint8_t h[32]
    buf[0] = 0xFF
    memcpy(buf + 1, sender, 20)
    u256_to_be(buf + 21, salt)
    evm_keccak256(code, size, buf + 53)
    evm_keccak256(buf, 85, h)
    memcpy(out, h + 12, 20)

cdef int op_create(VM vm, Msg* msg, Frame* f, u256* sp, bint is_create2) except -1:
    """CREATE and CREATE2 (spec: system.generic_create)."""
    cdef int fork = vm.fork
    cdef u256 value = sp[-1]
    cdef uint64_t o, s
    cdef int st
    cdef int64_t cost = 0, sub_gas, e
    cdef uint8_t addr[20]
    cdef Acct* me
    cdef u256* result = &sp[-4] if is_create2 else &sp[-3]
    cdef Msg child
    cdef Res r
    st = region(&sp[-2], &sp[-3], &o, &s)
    if st:
        return st
    if fork >= F_SHANGHAI:
        cost += GAS_INIT_CODE_WORD_COST * words_of(s)
    if is_create2:
        cost += GAS_KECCAK256_WORD * words_of(s)
    f.gas -= cost
    if f.gas < 0:
        return S_OUT_OF_GAS
    f.gas = mem_charge(&f.mem, o, s, f.gas)
    if f.gas < 0:
        return S_OUT_OF_GAS
    if fork >= F_SHANGHAI and s > MAX_INITCODE_SIZE:
        return S_OUT_OF_GAS
    sub_gas = max_message_call_gas(fork, f.gas)
    f.gas -= sub_gas
    if msg.is_static:
        return S_WRITE_IN_STATIC
    set_rdata(f, NULL, 0)
    me = &vm.accts[msg.target]
    if u256_lt(&me.balance, &value) or me.nonce == 0xFFFFFFFFFFFFFFFFULL or msg.depth + 1 > STACK_DEPTH_LIMIT:
        f.gas += sub_gas
        u256_set_u64(result, 0)
        return S_SUCCESS
    if is_create2:
        compute_create2_address(me.addr, &sp[-4], f.mem.buf + o, s, addr)
    else:
        compute_create_address(me.addr, me.nonce, addr)
    initcode = mkbytes(f.mem.buf + o, s)
    e = vm.acct(addr)
    if fork >= F_BERLIN:
        vm.warm_acct(e)
    vm.set_nonce(msg.target, vm.accts[msg.target].nonce + 1)
    if vm.has_code_or_nonce_or_storage(e):
        u256_set_u64(result, 0)
        return S_SUCCESS
    memset(&child, 0, sizeof(Msg))
    child.caller = msg.target
    child.target = e
    child.code_acct = e
    child.value = value
    child.gas = sub_gas
    child.depth = msg.depth + 1
    child.is_create = True
    child.should_transfer_value = True
    child.code = <void*>initcode
    create_message(vm, &child, &r)
    f.gas += r.gas_left
    if r.status == S_SUCCESS:
        u256_from_addr(result, addr)
        free(r.output)
    else:
        u256_set_u64(result, 0)
        set_rdata(f, r.output, r.output_len)
    return S_SUCCESS

# ---------------------------------------------------------------------------
# Messages (spec: interpreter.process_message / process_create_message)
# ---------------------------------------------------------------------------
cdef int run_code(VM vm, Msg* m, Res* r) except -1:
    if vm.tracer is None:
        return execute_code(vm, m, r, <TraceOff*>NULL)
    return execute_code(vm, m, r, <TraceOn*>NULL)

cdef int call_precompile(VM vm, Msg* m, Res* r) except -1:
    cdef bytes data = mkbytes(m.data, m.data_len)
    cdef bytes out
    cdef const uint8_t* a = vm.accts[m.code_acct].addr
    addr_int = (a[18] << 8) | a[19]
    if vm.tracer is not None:
        vm.tracer.precompile_start(addr_bytes(a))
    ok, used, out = vm.run_precompile(addr_int, data, m.gas, _FORKS[vm.fork])
    if vm.tracer is not None:
        vm.tracer.precompile_end()
    if ok and used <= m.gas:
        r.status = S_SUCCESS
        r.gas_left = m.gas - used
        r.output_len = len(out)
        r.output = <uint8_t*>malloc(r.output_len if r.output_len else 1)
        if r.output == NULL:
            raise MemoryError()
        memcpy(r.output, <const char*>out, r.output_len)
    else:
        r.status = S_PRECOMPILE_FAILURE
        r.gas_left = 0
        r.output = NULL
        r.output_len = 0
    return 0

cdef int call_message(VM vm, Msg* m, Res* r) except -1:
    """Transfer value and run the callee (code or precompile); undo the
    frame's changes unless it succeeded."""
    cdef uint64_t mark = vm.n_undo, logs_mark = vm.n_logs
    cdef int64_t refund_mark = vm.refund_counter
    cdef uint32_t tf
    memset(r, 0, sizeof(Res))
    if m.should_transfer_value and not u256_is_zero(&m.value):
        vm.move_ether(m.caller, m.target, &m.value)
    if vm.is_precompile(vm.accts[m.code_acct].addr):
        if not m.disable_precompiles:
            call_precompile(vm, m, r)
        else:
            r.status = S_SUCCESS  # a precompile's own code is empty
            r.gas_left = m.gas
    else:
        run_code(vm, m, r)
    if r.status != S_SUCCESS:
        vm.revert_to(mark, logs_mark)
        vm.refund_counter = refund_mark
        # RIPEMD160 quirk (Spurious Dragon .. London): its touch survives a failure
        if F_SPURIOUS <= vm.fork <= F_LONDON and vm.is_precompile(vm.accts[m.target].addr) and \
                vm.accts[m.target].addr[19] == 3 and (vm.accts[m.target].flags & A_EXISTS) and vm.is_empty(m.target):
            vm.accts[m.target].flags |= A_STICKY_TOUCH
            vm.sticky = m.target
    elif F_SPURIOUS <= vm.fork <= F_LONDON:
        vm.set_flags(m.target, vm.accts[m.target].flags | A_TOUCHED)
    return 0

cdef int create_message(VM vm, Msg* m, Res* r) except -1:
    """Run initcode for a new account and deposit the returned code."""
    cdef uint64_t mark = vm.n_undo, logs_mark = vm.n_logs
    cdef int64_t refund_mark = vm.refund_counter, deposit
    cdef int fork = vm.fork
    cdef uint32_t e = m.target
    memset(r, 0, sizeof(Res))
    vm.set_flags(e, vm.accts[e].flags | A_CREATED | A_EXISTS | A_DIRTY | A_STORAGE_CLEARED)
    if fork >= F_SPURIOUS:
        vm.set_nonce(e, 1)
    if not u256_is_zero(&m.value):
        vm.move_ether(m.caller, e, &m.value)
    run_code(vm, m, r)
    if r.status == S_SUCCESS:
        deposit = GAS_CODE_DEPOSIT * <int64_t>r.output_len
        if fork >= F_LONDON and r.output_len and r.output[0] == 0xEF:
            r.status = S_INVALID_CONTRACT_PREFIX
        elif r.gas_left < deposit:
            if fork >= F_HOMESTEAD:
                r.status = S_OUT_OF_GAS
            else:
                # Frontier: a contract that cannot pay for its code gets none
                free(r.output)
                r.output = NULL
                r.output_len = 0
        elif fork >= F_SPURIOUS and r.output_len > MAX_CODE_SIZE:
            r.status = S_CODE_SIZE_EXCEEDED
        else:
            r.gas_left -= deposit
            code = mkbytes(r.output, r.output_len)
            vm.set_code(e, code)
            if m.depth == 0 and vm.tracer is not None:
                vm.trace_output = code
        if r.status != S_SUCCESS:
            r.gas_left = 0
        # a successful create returns no data to its parent
        free(r.output)
        r.output = NULL
        r.output_len = 0
    if r.status != S_SUCCESS:
        vm.revert_to(mark, logs_mark)
        vm.refund_counter = refund_mark
    elif F_SPURIOUS <= fork <= F_LONDON:
        vm.set_flags(e, vm.accts[e].flags | A_TOUCHED)
    return 0
