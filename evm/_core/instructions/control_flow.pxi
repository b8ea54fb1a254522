# Control-flow instructions (spec: vm/instructions/control_flow.py). A jump
# sets pc one before its destination: the loop's pc += 1 lands on it.

cdef inline int op_jump(const uint8_t* jumpdest, uint64_t code_size, u256* sp,
                        uint64_t* pc) noexcept nogil:
    """JUMP: destination -> (pc = destination, a JUMPDEST). Gas: GAS_MID."""
    cdef uint64_t o
    if not to_u64_sat(&sp[-1], code_size, &o) or not jumpdest[o]:
        return S_INVALID_JUMP
    pc[0] = o - 1  # wraps for o == 0; the loop's increment lands on o
    return S_SUCCESS

cdef inline int op_jumpi(const uint8_t* jumpdest, uint64_t code_size, u256* sp,
                         uint64_t* pc) noexcept nogil:
    """JUMPI: destination, condition -> (jump if condition != 0). Gas: GAS_HIGH."""
    if u256_is_zero(&sp[-2]):
        return S_SUCCESS
    return op_jump(jumpdest, code_size, sp, pc)

cdef inline void op_pc(uint64_t pc, u256* sp) noexcept nogil:
    """PC: -> the position of this instruction. Gas: GAS_BASE."""
    u256_set_u64(sp, pc)

cdef inline void op_gas_left(int64_t gas, u256* sp) noexcept nogil:
    """GAS: -> gas_left after this instruction's charge. Gas: GAS_BASE."""
    u256_set_u64(sp, <uint64_t>gas)

cdef inline uint64_t op_jumpdest_run(const uint8_t* code, uint64_t pc, int64_t* gas) noexcept nogil:
    """JUMPDEST: nothing but its gas (GAS_JUMPDEST = 1). In the plain loop a
    run of JUMPDESTs is taken in one step; returns the pc of the last one
    (one that cannot be paid is left to the next dispatch: out of gas)."""
    while code[pc + 1] == 0x5B and gas[0] >= 1:
        pc += 1
        gas[0] -= 1
    return pc
