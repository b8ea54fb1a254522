# System instructions (spec: vm/instructions/system.py): CREATE, CREATE2,
# the CALL family, RETURN, REVERT, SELFDESTRUCT.

cdef inline int64_t max_message_call_gas(int fork, int64_t gas) noexcept nogil:
    """EIP-150: all but one 64th of the gas left may be forwarded."""
    if fork >= F_TANGERINE_WHISTLE:
        return gas - gas // 64
    return gas

cdef void compute_contract_address(const uint8_t* sender, uint64_t nonce, uint8_t* out) noexcept nogil:
    """CREATE's address: keccak256(rlp([sender, nonce]))[12:]."""
    cdef uint8_t buf[32]
    cdef uint8_t enc[40]
    cdef int n, i, nlen = 0
    cdef uint64_t x = nonce
    enc[1] = 0x94
    memcpy(enc + 2, sender, 20)
    n = 22
    if nonce == 0:
        enc[n] = 0x80; n += 1
    elif nonce < 0x80:
        enc[n] = <uint8_t>nonce; n += 1
    else:
        while x:
            nlen += 1
            x >>= 8
        enc[n] = 0x80 + nlen; n += 1
        for i in range(nlen):
            enc[n + i] = <uint8_t>(nonce >> (8 * (nlen - 1 - i)))
        n += nlen
    enc[0] = 0xC0 + (n - 1)
    evm_keccak256(enc, n, buf)
    memcpy(out, buf + 12, 20)

cdef void compute_create2_contract_address(const uint8_t* sender, const u256* salt,
                                           const uint8_t* code, uint64_t size, uint8_t* out) noexcept nogil:
    """CREATE2's address (EIP-1014): keccak256(0xff ++ sender ++ salt ++ keccak256(code))[12:]."""
    cdef uint8_t buf[85]
    cdef uint8_t h[32]
    buf[0] = 0xFF
    memcpy(buf + 1, sender, 20)
    u256_to_be(buf + 21, salt)
    evm_keccak256(code, size, buf + 53)
    evm_keccak256(buf, 85, h)
    memcpy(out, h + 12, 20)

cdef int generic_create(VM vm, Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, bint is_create2, Tracing* mode) except -1:
    """CREATE: value, offset, size -> address (0 on failure); CREATE2 takes a
    salt too. Gas: GAS_CREATE (the base) + memory expansion + from Shanghai
    GAS_INIT_CODE_WORD_COST per word (EIP-3860), + GAS_KECCAK256_WORD per word
    for CREATE2; then all but 1/64 of the gas left goes to the new frame."""
    cdef Journal j = vm.j
    cdef int fork = vm.fork, st
    cdef u256 value = sp[-1]
    cdef uint64_t size = u256_sat(&sp[-3]), words = ceil32_words(size), cost = 0
    cdef int64_t sub_gas, e
    cdef uint8_t addr[20]
    cdef Acct* me
    cdef u256* result = &sp[-4] if is_create2 else &sp[-3]
    cdef Msg child
    cdef Res r
    if fork >= F_SHANGHAI:
        cost = sat_mul(GAS_INIT_CODE_WORD_COST, words)
    if is_create2:
        cost = sat_add(cost, sat_mul(GAS_KECCAK256_WORD, words))
    st = charge_memory(f, gas, base, cost, region_end(&sp[-2], &sp[-3]), mode)
    if st:
        return st
    if fork >= F_SHANGHAI and size > MAX_INIT_CODE_SIZE:
        return S_OUT_OF_GAS
    sub_gas = max_message_call_gas(fork, gas[0])
    gas[0] -= sub_gas
    if msg.is_static:
        return S_WRITE_IN_STATIC
    set_rdata(f, NULL, 0)
    me = &j.accts[msg.target]
    if u256_lt(&me.balance, &value) or me.nonce == 0xFFFFFFFFFFFFFFFFULL or msg.depth + 1 > STACK_DEPTH_LIMIT:
        gas[0] += sub_gas
        u256_set_u64(result, 0)
        return S_SUCCESS
    cdef const uint8_t* initcode_p = f.mem.buf + (sp[-2].w[0] if size else 0)
    if is_create2:
        compute_create2_contract_address(me.addr, &sp[-4], initcode_p, size, addr)
    else:
        compute_contract_address(me.addr, me.nonce, addr)
    initcode = mkbytes(initcode_p, size)
    e = j.account(addr)
    if fork >= F_BERLIN:
        j.access_account(e)
    j.increment_nonce(msg.target)
    if j.has_code_or_nonce_or_storage(e):
        u256_set_u64(result, 0)
        return S_SUCCESS
    memset(&child, 0, sizeof(Msg))
    child.caller = msg.target
    child.target = e
    child.code_acct = e
    child.value = value
    child.gas = sub_gas
    child.depth = msg.depth + 1
    child.is_create = True
    child.should_transfer_value = True
    child.code = <void*>initcode
    child.call_op = 0xF5 if is_create2 else 0xF0
    process_create_message(vm, &child, &r)
    gas[0] += r.gas_left
    if r.status == S_SUCCESS:
        u256_from_addr(result, addr)
        free(r.output)
    else:
        u256_set_u64(result, 0)
        set_rdata(f, r.output, r.output_len)
    return S_SUCCESS

cdef int op_call(VM vm, Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, int op, Tracing* mode) except -1:
    """CALL, CALLCODE, DELEGATECALL, STATICCALL: gas, to, [value,] in_offset,
    in_size, out_offset, out_size -> success. Gas in one charge (spec:
    calculate_message_call_gas): the base (access cost) + EIP-2929 cold
    surcharge + EIP-7702 delegate access + GAS_CALL_VALUE + GAS_NEW_ACCOUNT +
    memory expansion + the gas forwarded (all but 1/64 from Tangerine Whistle)."""
    cdef Journal j = vm.j
    cdef int fork = vm.fork, st
    cdef bint has_value = (op == 0xF1 or op == 0xF2)
    cdef u256* args = &sp[-3] if has_value else &sp[-2]
    cdef u256 value
    cdef uint64_t end_in = region_end(&args[-1], &args[-2]), end_out = region_end(&args[-3], &args[-4])
    cdef uint64_t end = end_in if end_in > end_out else end_out
    cdef uint64_t gas_req = u256_sat(&sp[-1]), extra, mcost, need, sub, out_offset, out_size
    cdef int64_t t, d, stipend
    cdef Msg child
    cdef Res r
    cdef u256* result = &sp[-7] if has_value else &sp[-6]
    if has_value:
        value = sp[-3]
    else:
        u256_set_u64(&value, 0)
    mcost = extend_memory_cost(&f.mem, end)
    t = stack_account(j, &sp[-2])
    extra = access_surcharge(j, t)
    d = j.delegation(t)
    if d >= 0:
        extra += GAS_COLD_ACCOUNT_ACCESS if j.access_account(d) else GAS_WARM_ACCESS
    if not u256_is_zero(&value):
        extra += GAS_CALL_VALUE
        if op == 0xF1 and fork >= F_SPURIOUS_DRAGON and not j.is_alive(t):
            extra += GAS_NEW_ACCOUNT
    if op == 0xF1 and fork < F_SPURIOUS_DRAGON and not j.exists(t):
        extra += GAS_NEW_ACCOUNT
    need = sat_add(sat_add(extra, mcost), base)
    if fork >= F_TANGERINE_WHISTLE and need <= <uint64_t>gas[0]:
        sub = <uint64_t>max_message_call_gas(fork, gas[0] - <int64_t>need)
        if gas_req < sub:
            sub = gas_req
    else:
        sub = gas_req
    st = charge(f, gas, base, sat_add(sat_add(extra, mcost), sub), mode)
    if st:
        return st
    if Tracing is TraceCount:
        count_gas(f, 0, -sub)  # gas handed to the callee is not the CALL's own cost
    if op == 0xF1 and msg.is_static and not u256_is_zero(&value):
        return S_WRITE_IN_STATIC
    st = extend_memory(&f.mem, end)
    if st:
        return st
    stipend = GAS_CALL_STIPEND if not u256_is_zero(&value) else 0
    set_rdata(f, NULL, 0)
    # failures that are not the callee's: the gas comes back, 0 is pushed
    if msg.depth + 1 > STACK_DEPTH_LIMIT or (
            has_value and u256_lt(&j.accts[msg.target].balance, &value)):
        gas[0] += <int64_t>sub + stipend
        u256_set_u64(result, 0)
        return S_SUCCESS
    memset(&child, 0, sizeof(Msg))
    child.gas = <int64_t>sub + stipend
    child.depth = msg.depth + 1
    child.data = f.mem.buf + args[-1].w[0] if end_in else NULL
    child.data_len = args[-2].w[0] if end_in else 0
    child.code_acct = t
    if d >= 0:
        child.code_acct = d
        child.disable_precompiles = True
    child.is_static = msg.is_static
    if op == 0xF1:  # CALL
        child.caller = msg.target
        child.target = t
        child.value = value
        child.should_transfer_value = True
    elif op == 0xF2:  # CALLCODE: the callee's code on our own account
        child.caller = msg.target
        child.target = msg.target
        child.value = value
        child.should_transfer_value = True
    elif op == 0xF4:  # DELEGATECALL: keeps caller and value
        child.caller = msg.caller
        child.target = msg.target
        child.value = msg.value
    else:  # STATICCALL
        child.caller = msg.target
        child.target = t
        child.should_transfer_value = True
        child.is_static = True
    child.code = j.accts[child.code_acct].code
    child.call_op = op
    out_offset = args[-3].w[0]  # read before the result overwrites the stack
    out_size = args[-4].w[0] if end_out else 0
    process_message(vm, &child, &r)
    gas[0] += r.gas_left
    u256_set_u64(result, 1 if r.status == S_SUCCESS else 0)
    if r.output_len and out_size:
        memcpy(f.mem.buf + out_offset, r.output, r.output_len if r.output_len < out_size else out_size)
    set_rdata(f, r.output, r.output_len)
    return S_SUCCESS

cdef inline int op_return(Frame* f, int64_t* gas, uint64_t base, u256* sp, uint8_t** out, uint64_t* out_len, Tracing* mode) except -1 nogil:
    """RETURN and REVERT: offset, size -> (the frame's output). Gas: memory
    expansion. The caller decides success or revert."""
    cdef uint64_t size = u256_sat(&sp[-2])
    cdef int st = charge_memory(f, gas, base, 0, region_end(&sp[-1], &sp[-2]), mode)
    if st:
        return st
    out[0] = <uint8_t*>malloc(size if size else 1)
    if out[0] == NULL:
        with gil:
            raise MemoryError()
    if size:
        memcpy(out[0], f.mem.buf + sp[-1].w[0], size)
    out_len[0] = size
    return S_SUCCESS

cdef int op_selfdestruct(VM vm, Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1:
    """SELFDESTRUCT: beneficiary -> (halt). Gas: GAS_SELF_DESTRUCT (the base,
    from Tangerine Whistle) + GAS_COLD_ACCOUNT_ACCESS if cold (Berlin) +
    GAS_SELF_DESTRUCT_NEW_ACCOUNT for value sent to a dead account (EIP-161;
    to a non-existent one in Tangerine Whistle). Refund until London
    (EIP-3529); from Cancun only an account created in this transaction is
    deleted (EIP-6780)."""
    cdef Journal j = vm.j
    cdef int fork = vm.fork, st
    cdef int64_t b = stack_account(j, &sp[-1]), o = msg.target
    cdef uint64_t cost = 0
    cdef u256 zero, bal
    if fork >= F_BERLIN and j.access_account(b):
        cost += GAS_COLD_ACCOUNT_ACCESS
    if fork >= F_SPURIOUS_DRAGON:
        if not j.is_alive(b) and not u256_is_zero(&j.accts[o].balance):
            cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
    elif fork == F_TANGERINE_WHISTLE and not j.exists(b):
        cost += GAS_SELF_DESTRUCT_NEW_ACCOUNT
    st = charge(f, gas, base, cost, mode)
    if st:
        return st
    if msg.is_static:
        return S_WRITE_IN_STATIC
    if j.hooks & H_SELFDESTRUCT:
        j.inspector.selfdestruct(addr_bytes(j.accts[o].addr), addr_bytes(j.accts[b].addr),
                                 u256_to_pyint(&j.accts[o].balance))
    if fork < F_LONDON and not (j.accts[o].flags & A_DESTROYED):
        j.refund_counter += REFUND_SELF_DESTRUCT
    u256_set_u64(&zero, 0)
    if fork >= F_CANCUN:
        bal = j.accts[o].balance
        j.move_ether(o, b, &bal)
        if j.accts[o].flags & A_CREATED:
            j.set_balance(o, &zero)
            j.add_flags(o, A_DESTROYED)
    else:
        u256_add(&bal, &j.accts[b].balance, &j.accts[o].balance)
        j.set_balance(b, &bal)
        j.set_balance(o, &zero)
        j.add_flags(o, A_DESTROYED)
    j.touch(b)
    return S_SUCCESS
