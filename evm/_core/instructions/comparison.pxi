# Comparison instructions (spec: vm/instructions/comparison.py). Gas: GAS_VERY_LOW.

cdef inline void op_less_than(u256* sp) noexcept nogil:
    """LT: a, b -> a < b."""
    u256_set_u64(&sp[-2], u256_lt(&sp[-1], &sp[-2]))

cdef inline void op_greater_than(u256* sp) noexcept nogil:
    """GT: a, b -> a > b."""
    u256_set_u64(&sp[-2], u256_gt(&sp[-1], &sp[-2]))

cdef inline void op_signed_less_than(u256* sp) noexcept nogil:
    """SLT: a, b -> a < b as two's complement."""
    u256_set_u64(&sp[-2], u256_slt(&sp[-1], &sp[-2]))

cdef inline void op_signed_greater_than(u256* sp) noexcept nogil:
    """SGT: a, b -> a > b as two's complement."""
    u256_set_u64(&sp[-2], u256_sgt(&sp[-1], &sp[-2]))

cdef inline void op_equal(u256* sp) noexcept nogil:
    """EQ: a, b -> a == b."""
    u256_set_u64(&sp[-2], u256_eq(&sp[-1], &sp[-2]))

cdef inline void op_is_zero(u256* sp) noexcept nogil:
    """ISZERO: a -> a == 0."""
    u256_set_u64(&sp[-1], u256_is_zero(&sp[-1]))
