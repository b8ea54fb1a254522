# Block instructions (spec: vm/instructions/block.py). Gas: GAS_BASE, except
# BLOCKHASH (GAS_BLOCK_HASH).

cdef inline int op_block_hash(VM vm, u256* sp) except -1:
    """BLOCKHASH: number -> hash of one of the 256 most recent complete blocks, else 0."""
    cdef uint64_t n, current = vm.env.block_number
    if not to_u64_sat(&sp[-1], current, &n) or n >= current or current - n > 256:
        u256_set_u64(&sp[-1], 0)
        return S_SUCCESS
    return vm.j.block_hash(n, &sp[-1])

cdef inline void op_coinbase(VM vm, u256* sp) noexcept nogil:
    """COINBASE: -> the block's beneficiary."""
    u256_from_addr(sp, vm.env.coinbase)

cdef inline void op_timestamp(VM vm, u256* sp) noexcept nogil:
    """TIMESTAMP: -> the block's timestamp."""
    sp[0] = vm.env.timestamp

cdef inline void op_number(VM vm, u256* sp) noexcept nogil:
    """NUMBER: -> the block's number."""
    sp[0] = vm.env.number

cdef inline void op_prev_randao(VM vm, u256* sp) noexcept nogil:
    """PREVRANDAO (EIP-4399; DIFFICULTY before Paris)."""
    sp[0] = vm.env.prev_randao

cdef inline void op_gas_limit(VM vm, u256* sp) noexcept nogil:
    """GASLIMIT: -> the block's gas limit."""
    sp[0] = vm.env.gas_limit

cdef inline void op_chain_id(VM vm, u256* sp) noexcept nogil:
    """CHAINID (EIP-1344): -> the chain id."""
    sp[0] = vm.env.chain_id
