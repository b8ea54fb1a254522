# Arithmetic instructions (spec: vm/instructions/arithmetic.py). Stack
# effects are in the opcode table (evm.opcodes): a body leaves sp alone and
# writes its result where the table says the new top is.

cdef inline void op_add(u256* sp) noexcept nogil:
    """ADD: a, b -> a + b mod 2^256. Gas: GAS_VERY_LOW."""
    u256_add(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_mul(u256* sp) noexcept nogil:
    """MUL: a, b -> a * b mod 2^256. Gas: GAS_LOW."""
    u256_mul(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_sub(u256* sp) noexcept nogil:
    """SUB: a, b -> a - b mod 2^256. Gas: GAS_VERY_LOW."""
    u256_sub(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_div(u256* sp) noexcept nogil:
    """DIV: a, b -> a // b (0 if b == 0). Gas: GAS_LOW."""
    u256_div(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_sdiv(u256* sp) noexcept nogil:
    """SDIV: signed division, truncated toward zero. Gas: GAS_LOW."""
    u256_sdiv(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_mod(u256* sp) noexcept nogil:
    """MOD: a, b -> a % b (0 if b == 0). Gas: GAS_LOW."""
    u256_mod(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_smod(u256* sp) noexcept nogil:
    """SMOD: signed modulo, sign of a. Gas: GAS_LOW."""
    u256_smod(&sp[-2], &sp[-1], &sp[-2])

cdef inline void op_addmod(u256* sp) noexcept nogil:
    """ADDMOD: a, b, n -> (a + b) % n without overflow. Gas: GAS_MID."""
    u256_addmod(&sp[-3], &sp[-1], &sp[-2], &sp[-3])

cdef inline void op_mulmod(u256* sp) noexcept nogil:
    """MULMOD: a, b, n -> (a * b) % n without overflow. Gas: GAS_MID."""
    u256_mulmod(&sp[-3], &sp[-1], &sp[-2], &sp[-3])

# MUL, DIV, SDIV, MOD, SMOD, ADDMOD, MULMOD and SAR are called from the
# block loop through this table of pointers (set at import, so never
# inlined): their long limb code stays out of the loop's body and its
# registers. Inlined, it cost the loop 5-12% more instructions on every
# benchmark, and whether GCC inlined it changed with unrelated code. One
# pointer per instruction (not one function switching on the opcode) saves
# that function's switch and its prologue, sized for the largest body.
cdef void (*LONG_ARITH[0x20])(u256*) noexcept nogil
memset(LONG_ARITH, 0, sizeof(LONG_ARITH))
LONG_ARITH[0x02] = op_mul
LONG_ARITH[0x04] = op_div
LONG_ARITH[0x05] = op_sdiv
LONG_ARITH[0x06] = op_mod
LONG_ARITH[0x07] = op_smod
LONG_ARITH[0x08] = op_addmod
LONG_ARITH[0x09] = op_mulmod
LONG_ARITH[0x1D] = op_bitwise_sar

cdef inline int op_exp(int fork, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """EXP: a, b -> a ** b mod 2^256. Gas: GAS_EXPONENTIATION + per
    exponent byte GAS_EXPONENT_PER_BYTE (10 before Spurious Dragon)."""
    cdef uint64_t per_byte = GAS_EXPONENT_PER_BYTE if fork >= F_SPURIOUS_DRAGON else GAS_EXPONENT_PER_BYTE_FRONTIER
    cdef int st = charge(f, gas, base, per_byte * u256_byte_length(&sp[-2]), mode)
    if st:
        return st
    u256_exp(&sp[-2], &sp[-1], &sp[-2])
    return S_SUCCESS

cdef inline void op_signextend(u256* sp) noexcept nogil:
    """SIGNEXTEND: b, x -> x sign-extended from byte b. Gas: GAS_LOW."""
    u256_signextend(&sp[-2], &sp[-1], &sp[-2])
