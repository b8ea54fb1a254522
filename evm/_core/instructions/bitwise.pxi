# Bitwise instructions (spec: vm/instructions/bitwise.py). Gas: GAS_VERY_LOW
# (CLZ: GAS_LOW).

cdef inline void op_bitwise_and(u256* sp) noexcept nogil:
    """AND: a, b -> a & b."""
    u256_and(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_bitwise_or(u256* sp) noexcept nogil:
    """OR: a, b -> a | b."""
    u256_or(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_bitwise_xor(u256* sp) noexcept nogil:
    """XOR: a, b -> a ^ b."""
    u256_xor(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_bitwise_not(u256* sp) noexcept nogil:
    """NOT: a -> ~a."""
    u256_not(&sp[-1], &sp[-1])

cdef inline void op_get_byte(u256* sp) noexcept nogil:
    """BYTE: i, x -> the i-th byte of x, counted from the most significant."""
    u256_byte(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_bitwise_shl(u256* sp) noexcept nogil:
    """SHL (EIP-145): shift, value -> value << shift."""
    u256_shl(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_bitwise_shr(u256* sp) noexcept nogil:
    """SHR (EIP-145): shift, value -> value >> shift (logical)."""
    u256_shr(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_bitwise_sar(u256* sp) noexcept nogil:
    """SAR (EIP-145): shift, value -> value >> shift (arithmetic)."""
    u256_sar(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_count_leading_zeros(u256* sp) noexcept nogil:
    """CLZ (EIP-7939, Osaka): x -> number of leading zero bits (256 for 0)."""
    u256_set_u64(&sp[-1], u256_clz(&sp[-1]))
