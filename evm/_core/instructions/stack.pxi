# Stack instructions (spec: vm/instructions/stack.py). Gas: GAS_BASE for
# POP and PUSH0, GAS_VERY_LOW for PUSHn, DUPn, SWAPn.

cdef inline void push_bytes(u256* r, const uint8_t* p, uint64_t n) noexcept nogil:
    """The n (1..32) big-endian bytes at p, read 8 at a time from the end.
    The code is padded with 33 zero bytes, so the 8-byte loads never read
    past the buffer."""
    cdef int k = 0
    r.w[0] = 0; r.w[1] = 0; r.w[2] = 0; r.w[3] = 0
    while n >= 8:
        n -= 8
        r.w[k] = evm_bswap64(_load64(p + n))
        k += 1
    if n:  # the leading n (1..7) bytes: one 8-byte load, shifted
        r.w[k] = evm_bswap64(_load64(p)) >> (64 - 8 * n)

cdef inline uint64_t op_push_n(const uint8_t* code, uint64_t pc, int n, u256* sp) noexcept nogil:
    """PUSH0..PUSH32: -> the n immediate bytes; returns the pc of the last one."""
    if n == 1:
        u256_set_u64(sp, code[pc + 1])
    elif n == 0:
        u256_set_u64(sp, 0)
    else:
        push_bytes(sp, code + pc + 1, n)
    return pc + n

cdef inline void op_dup_n(int n, u256* sp) noexcept nogil:
    """DUP1..DUP16: copy the n-th item to the top."""
    sp[0] = sp[-n]

cdef inline void op_swap_n(int n, u256* sp) noexcept nogil:
    """SWAP1..SWAP16: exchange the top with the (n+1)-th item."""
    cdef u256 t = sp[-1]
    sp[-1] = sp[-1 - n]
    sp[-1 - n] = t
