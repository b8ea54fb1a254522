# KECCAK256 (spec: vm/instructions/keccak.py).

cdef inline int op_keccak(Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """KECCAK256: offset, size -> keccak256(memory[offset:offset+size]).
    Gas: GAS_KECCAK256 + GAS_KECCAK256_WORD per word + memory expansion."""
    cdef uint64_t size = u256_sat(&sp[-2]), end = region_end(&sp[-1], &sp[-2])
    cdef uint8_t h[32]
    cdef int st = charge_memory(f, gas, base, sat_mul(GAS_KECCAK256_WORD, ceil32_words(size)), end, mode)
    if st:
        return st
    evm_keccak256(f.mem.buf + (sp[-1].w[0] if size else 0), size, h)
    u256_from_be(&sp[-2], h, 32)
    return S_SUCCESS
