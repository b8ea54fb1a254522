# Environment instructions (spec: vm/instructions/environment.py).

cdef inline int64_t access_surcharge(Journal j, uint32_t e) except -1 nogil:
    """EIP-2929: mark the account accessed; if it was cold, the extra gas
    over the warm cost that the opcode's base already holds (Berlin on)."""
    if j.fork >= F_BERLIN and j.access_account(e):
        return GAS_COLD_ACCOUNT_ACCESS - GAS_WARM_ACCESS
    return 0

cdef inline int64_t stack_account(Journal j, const u256* v) except -1 nogil:
    """The account whose address is the low 20 bytes of a stack item."""
    cdef uint8_t a[20]
    addr_from_u256(a, v)
    return j.account(a)

cdef inline void op_address(VM vm, Msg* msg, u256* sp) noexcept nogil:
    """ADDRESS: -> current_target. Gas: GAS_BASE."""
    u256_from_addr(sp, vm.j.accts[msg.target].addr)

cdef inline int op_balance(VM vm, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """BALANCE: address -> its balance. Gas: base + EIP-2929 cold surcharge."""
    cdef int64_t e = stack_account(vm.j, &sp[-1])
    cdef int st = charge(f, gas, base, access_surcharge(vm.j, e), mode)
    if st:
        return st
    sp[-1] = vm.j.accts[e].balance
    return S_SUCCESS

cdef inline void op_origin(VM vm, u256* sp) noexcept nogil:
    """ORIGIN: -> the transaction's sender. Gas: GAS_BASE."""
    u256_from_addr(sp, vm.env.origin)

cdef inline void op_caller(VM vm, Msg* msg, u256* sp) noexcept nogil:
    """CALLER: -> the message's caller. Gas: GAS_BASE."""
    u256_from_addr(sp, vm.j.accts[msg.caller].addr)

cdef inline void op_callvalue(Msg* msg, u256* sp) noexcept nogil:
    """CALLVALUE: -> the message's value. Gas: GAS_BASE."""
    sp[0] = msg.value

cdef inline void op_calldataload(Msg* msg, u256* sp) noexcept nogil:
    """CALLDATALOAD: offset -> 32 bytes of calldata, zero-padded. Gas: GAS_VERY_LOW."""
    cdef uint8_t buf[32]
    copy_padded(buf, msg.data, msg.data_len, &sp[-1], 32)
    u256_from_be(&sp[-1], buf, 32)

cdef inline void op_calldatasize(Msg* msg, u256* sp) noexcept nogil:
    """CALLDATASIZE: -> len(calldata). Gas: GAS_BASE."""
    u256_set_u64(sp, msg.data_len)

cdef inline int copy_to_memory(Frame* f, int64_t* gas, uint64_t base, u256* sp, uint64_t extra, const uint8_t* src, uint64_t src_len,
                               Tracing* mode) except -1 nogil:
    """The shared body of the *COPY instructions: dest_offset = sp[-1],
    source offset = sp[-2], size = sp[-3]; zero past the end of src.
    Gas: base + `extra` + GAS_COPY per word + memory expansion."""
    cdef uint64_t size = u256_sat(&sp[-3]), end = region_end(&sp[-1], &sp[-3])
    cdef int st = charge_memory(f, gas, base, sat_add(extra, sat_mul(GAS_COPY, ceil32_words(size))), end, mode)
    if st:
        return st
    if size:
        copy_padded(f.mem.buf + sp[-1].w[0], src, src_len, &sp[-2], size)
    return S_SUCCESS

cdef inline int op_calldatacopy(Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """CALLDATACOPY: dest, offset, size -> (memory). Gas: see copy_to_memory."""
    return copy_to_memory(f, gas, base, sp, 0, msg.data, msg.data_len, mode)

cdef inline void op_codesize(uint64_t code_size, u256* sp) noexcept nogil:
    """CODESIZE: -> len(code). Gas: GAS_BASE."""
    u256_set_u64(sp, code_size)

cdef inline int op_codecopy(const uint8_t* code, uint64_t code_size, Frame* f, int64_t* gas,
                            uint64_t base, u256* sp,
                            Tracing* mode) except -1 nogil:
    """CODECOPY: dest, offset, size -> (memory). Gas: see copy_to_memory."""
    return copy_to_memory(f, gas, base, sp, 0, code, code_size, mode)

cdef inline void op_gasprice(VM vm, u256* sp) noexcept nogil:
    """GASPRICE: -> the effective gas price. Gas: GAS_BASE."""
    sp[0] = vm.env.gas_price

cdef inline int op_extcodesize(VM vm, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """EXTCODESIZE: address -> len(code). Gas: base + EIP-2929 cold surcharge."""
    cdef int64_t e = stack_account(vm.j, &sp[-1])
    cdef int st = charge(f, gas, base, access_surcharge(vm.j, e), mode)
    if st:
        return st
    u256_set_u64(&sp[-1], code_len(vm.j.accts[e].code))
    return S_SUCCESS

cdef inline int op_extcodecopy(VM vm, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1:
    """EXTCODECOPY: address, dest, offset, size -> (memory). Gas: base +
    EIP-2929 cold surcharge + GAS_COPY per word + memory expansion."""
    cdef int64_t e = stack_account(vm.j, &sp[-1])
    cdef object code = <object>vm.j.accts[e].code
    return copy_to_memory(f, gas, base, sp - 1, access_surcharge(vm.j, e), <const uint8_t*>PyBytes_AS_STRING(code),
                          PyBytes_GET_SIZE(code), mode)

cdef inline void op_returndatasize(Frame* f, u256* sp) noexcept nogil:
    """RETURNDATASIZE (EIP-211): -> len(return_data). Gas: GAS_BASE."""
    u256_set_u64(sp, f.rdata_len)

cdef inline int op_returndatacopy(Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """RETURNDATACOPY (EIP-211): dest, offset, size -> (memory); reading past
    the end of the return data is an exceptional halt (after the charge)."""
    cdef uint64_t size = u256_sat(&sp[-3]), end = region_end(&sp[-1], &sp[-3]), start
    cdef int st = charge_memory(f, gas, base, sat_mul(GAS_COPY, ceil32_words(size)), end, mode)
    if st:
        return st
    if not to_u64_sat(&sp[-2], f.rdata_len, &start) or start + size > f.rdata_len:
        return S_RETURNDATA_OOB
    if size:
        memcpy(f.mem.buf + sp[-1].w[0], f.rdata + start, size)
    return S_SUCCESS

cdef inline int op_extcodehash(VM vm, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """EXTCODEHASH (EIP-1052): address -> keccak256(code), 0 for an empty or
    non-existent account. Gas: base + EIP-2929 cold surcharge."""
    cdef int64_t e = stack_account(vm.j, &sp[-1])
    cdef int st = charge(f, gas, base, access_surcharge(vm.j, e), mode)
    if st:
        return st
    if not vm.j.is_alive(e):
        u256_set_u64(&sp[-1], 0)
    else:
        u256_from_be(&sp[-1], vm.j.code_hash(e), 32)
    return S_SUCCESS

cdef inline void op_self_balance(VM vm, Msg* msg, u256* sp) noexcept nogil:
    """SELFBALANCE (EIP-1884): -> balance of current_target. Gas: GAS_FAST_STEP."""
    sp[0] = vm.j.accts[msg.target].balance

cdef inline void op_base_fee(VM vm, u256* sp) noexcept nogil:
    """BASEFEE (EIP-3198): -> the block's base fee. Gas: GAS_BASE."""
    sp[0] = vm.env.base_fee

cdef inline void op_blob_hash(VM vm, u256* sp) noexcept nogil:
    """BLOBHASH (EIP-4844): index -> the transaction's versioned hash, or 0."""
    cdef uint64_t i
    if to_u64_sat(&sp[-1], 0xFFFFFFFF, &i) and i < vm.env.n_blob_hashes:
        sp[-1] = vm.env.blob_hashes[i]
    else:
        u256_set_u64(&sp[-1], 0)

cdef inline void op_blob_base_fee(VM vm, u256* sp) noexcept nogil:
    """BLOBBASEFEE (EIP-7516): -> the block's blob base fee. Gas: GAS_BASE."""
    sp[0] = vm.env.blob_base_fee
