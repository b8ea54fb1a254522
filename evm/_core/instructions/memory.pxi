# Memory instructions (spec: vm/instructions/memory.py). MLOAD/MSTORE/
# MSTORE8: GAS_VERY_LOW + memory expansion, charged together.

cdef inline int op_mload(Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """MLOAD: offset -> memory[offset:offset+32]."""
    cdef uint64_t o = sp[-1].w[0]
    cdef int st
    if Tracing is TraceOff and mem_covers(&f.mem, &sp[-1], 32):  # the common case
        if <uint64_t>gas[0] < base:
            return S_OUT_OF_GAS
        gas[0] -= <int64_t>base
    else:
        st = charge_memory(f, gas, base, 0, sat_add(u256_sat(&sp[-1]), 32), mode)
        if st:
            return st
    load_word(&sp[-1], f.mem.buf + o)
    return S_SUCCESS

cdef inline int op_mstore(Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """MSTORE: offset, value -> memory[offset:offset+32] = value."""
    cdef uint64_t o = sp[-1].w[0]
    cdef int st
    if Tracing is TraceOff and mem_covers(&f.mem, &sp[-1], 32):  # the common case
        if <uint64_t>gas[0] < base:
            return S_OUT_OF_GAS
        gas[0] -= <int64_t>base
    else:
        st = charge_memory(f, gas, base, 0, sat_add(u256_sat(&sp[-1]), 32), mode)
        if st:
            return st
    store_word(f.mem.buf + o, &sp[-2])
    return S_SUCCESS

cdef inline int op_mstore8(Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """MSTORE8: offset, value -> memory[offset] = value & 0xFF."""
    cdef int st = charge_memory(f, gas, base, 0, sat_add(u256_sat(&sp[-1]), 1), mode)
    if st:
        return st
    f.mem.buf[sp[-1].w[0]] = <uint8_t>(sp[-2].w[0] & 0xFF)
    return S_SUCCESS

cdef inline void op_msize(Frame* f, u256* sp) noexcept nogil:
    """MSIZE: -> active memory size in bytes. Gas: GAS_BASE."""
    u256_set_u64(sp, f.mem.size)

cdef inline int op_mcopy(Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """MCOPY (EIP-5656): dest, src, size -> memory[dest:] = memory[src:src+size].
    Gas: GAS_VERY_LOW + GAS_COPY per word + expansion over both regions."""
    cdef uint64_t size = u256_sat(&sp[-3])
    cdef uint64_t end = region_end(&sp[-1], &sp[-3]), end2 = region_end(&sp[-2], &sp[-3])
    cdef int st = charge_memory(f, gas, base, sat_mul(GAS_COPY, ceil32_words(size)), end if end > end2 else end2, mode)
    if st:
        return st
    if size:
        memmove(f.mem.buf + sp[-1].w[0], f.mem.buf + sp[-2].w[0], size)
    return S_SUCCESS
