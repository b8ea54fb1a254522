# Memory of a frame and the gas arithmetic of memory and copies. Costs are
# unsigned and saturate at GAS_SAT, so an absurd offset or size gives a cost
# that no gas limit pays (the spec's huge cost) without overflowing.

cdef enum:
    SPARE_MEMORY_MAX = 16384  # the largest buffer a VM keeps per depth for the next frame

cdef inline uint64_t sat_add(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint64_t r = a + b
    return r if r >= a else GAS_SAT

cdef inline uint64_t sat_mul(uint64_t a, uint64_t b) noexcept nogil:
    if b and a > GAS_SAT / b:
        return GAS_SAT
    return a * b

cdef inline uint64_t u256_sat(const u256* v) noexcept nogil:
    """v as a 64-bit number, GAS_SAT if it does not fit."""
    return GAS_SAT if (v.w[1] | v.w[2] | v.w[3]) else v.w[0]

cdef inline uint64_t ceil32_words(uint64_t size) noexcept nogil:
    """ceil(size / 32), for sizes up to GAS_SAT."""
    return (size >> 5) + ((size & 31) != 0)

cdef inline uint64_t calculate_memory_gas_cost(uint64_t words) noexcept nogil:
    """Total gas for `words` words of memory (saturated beyond 2^32 words)."""
    if words > 0xFFFFFFFFULL:
        return GAS_SAT
    return GAS_MEMORY * words + (words * words) // 512

cdef inline uint64_t region_end(const u256* offset, const u256* size) noexcept nogil:
    """offset + size of a memory region; 0 for an empty region (it never
    touches memory, whatever its offset); GAS_SAT beyond 64 bits."""
    if u256_is_zero(size):
        return 0
    return sat_add(u256_sat(offset), u256_sat(size))

cdef inline uint64_t extend_memory_cost(const Mem* m, uint64_t end) noexcept nogil:
    """Gas to make memory cover [0, end) (spec: calculate_gas_extend_memory)."""
    cdef uint64_t total
    if end <= m.size:
        return 0
    total = calculate_memory_gas_cost(ceil32_words(end))
    return GAS_SAT if total == GAS_SAT else total - <uint64_t>m.cost

cdef int mem_grow(Mem* m, uint64_t end) except -1 nogil:
    """Make memory cover [0, end) (end <= m.limit, already paid for);
    zero-filled. Growth is geometric, so a memory loop does no per-word
    reallocation."""
    cdef uint64_t words = ceil32_words(end), new_size, cap
    cdef uint8_t* nb
    new_size = words << 5
    if new_size <= m.size:
        return 0
    if new_size > m.cap:
        cap = m.cap * 2 if m.cap else 1024
        while cap < new_size:
            cap *= 2
        if cap > m.limit and new_size <= m.limit:
            cap = new_size  # no doubling past the limit
        nb = <uint8_t*>realloc(m.buf, cap)
        if nb == NULL:
            with gil:
                raise MemoryError()
        memset(nb + m.cap, 0, cap - m.cap)
        m.buf = nb
        m.cap = cap
    m.size = new_size
    m.cost = <int64_t>calculate_memory_gas_cost(words)
    return 0

cdef inline int64_t word_access_cost(const Mem* m, const u256* offset) noexcept nogil:
    """Expansion gas of a 32-byte access at `offset` that stays within the
    memory already allocated (zeroed, within the limit); -1 if it does not
    (the general path then reallocates or fails)."""
    cdef uint64_t end
    if offset.w[1] | offset.w[2] | offset.w[3] or offset.w[0] >= m.cap or m.cap - offset.w[0] < 32:
        return -1
    end = offset.w[0] + 32
    if end <= m.size:
        return 0
    return <int64_t>calculate_memory_gas_cost(ceil32_words(end)) - m.cost

cdef inline void grow_within_cap(Mem* m, uint64_t end) noexcept nogil:
    """After word_access_cost was paid: memory covers [0, end) (no allocation)."""
    cdef uint64_t words = ceil32_words(end)
    if words << 5 > m.size:
        m.size = words << 5
        m.cost = <int64_t>calculate_memory_gas_cost(words)

cdef inline int extend_memory(Mem* m, uint64_t end) except -1 nogil:
    """After the charge: grow memory to cover `end`. Beyond the machine's
    memory limit the gas was paid but the host refuses: MemoryLimitExceeded."""
    if end <= m.size:
        return S_SUCCESS
    if end > m.limit:
        with gil:
            raise_memory_limit(m, end)
    mem_grow(m, end)
    return S_SUCCESS

cdef int raise_memory_limit(const Mem* m, uint64_t end) except -1:
    from evm.errors import MemoryLimitExceeded
    raise MemoryLimitExceeded(
        f"a frame paid for {end} bytes of memory; this machine's memory_limit is {m.limit}")

cdef inline bint mem_covers(const Mem* m, const u256* offset, uint64_t n) noexcept nogil:
    """Memory already covers [offset, offset + n): no expansion to pay."""
    return not (offset.w[1] | offset.w[2] | offset.w[3]) and offset.w[0] < m.size \
        and offset.w[0] + n <= m.size  # size < 2^63: no wrap

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

cdef inline void set_rdata(Frame* f, uint8_t* data, uint64_t n) noexcept nogil:
    """Replace the frame's return data, taking ownership of `data`."""
    free(f.rdata)
    f.rdata = data
    f.rdata_len = n
