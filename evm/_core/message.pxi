# Messages (spec: vm/interpreter.py process_message / process_create_message)
# and the precompile dispatch.

#: Names of the outcome codes, as the execution specs name the exceptions.
STATUS_NAMES = (
    None, "Revert", "OutOfGasError", "StackUnderflowError", "StackOverflowError",
    "InvalidJumpDestError", "InvalidOpcode", "WriteInStaticContext",
    "OutOfBoundsRead", "AddressCollision", "InvalidContractPrefix",
    "PrecompileFailure", "OutOfGasError",
)
assert len(STATUS_NAMES) == N_STATUS

CALL_KINDS = {0: "CALL", 0xF1: "CALL", 0xF2: "CALLCODE", 0xF4: "DELEGATECALL", 0xFA: "STATICCALL",
              0xF0: "CREATE", 0xF5: "CREATE2"}

cdef int report_call_start(Journal j, Msg* m) except -1:
    """inspector.call_start(kind, caller, to, value, input, gas, depth): as
    geth's callTracer, DELEGATECALL and CALLCODE come from the calling
    contract and go to the code's address."""
    delegated = m.call_op == 0xF2 or m.call_op == 0xF4
    j.inspector.call_start(CALL_KINDS[m.call_op],
                           addr_bytes(j.accts[m.target if delegated else m.caller].addr),
                           addr_bytes(j.accts[m.code_acct if delegated else m.target].addr),
                           u256_to_pyint(&m.value), mkbytes(m.data, m.data_len), m.gas, m.depth)
    return 0

cdef int run_code(VM vm, Msg* m, Res* r) except -1:
    """execute_code in the plain build, or the traced one when a tracer is
    set, or the counting one when that tracer is an OpCounter."""
    if vm.tracer is None:
        return execute_code(vm, m, r, <TraceOff*>NULL)
    if type(vm.tracer) is OpCounter:
        return execute_code(vm, m, r, <TraceCount*>NULL)
    return execute_code(vm, m, r, <TraceOn*>NULL)

cdef int call_precompile(VM vm, Msg* m, Res* r) except -1:
    """Run the precompile at code_address (a Python function) with m.gas."""
    cdef bytes data = mkbytes(m.data, m.data_len)
    cdef bytes out
    cdef const uint8_t* a = vm.j.accts[m.code_acct].addr
    addr_int = (a[18] << 8) | a[19]
    if vm.tracer is not None:
        vm.tracer.precompile_start(addr_bytes(a))
    ok, used, out = vm.run_precompile(addr_int, data, m.gas, _FORKS[vm.fork])
    if vm.tracer is not None:
        vm.tracer.precompile_end()
    if ok and used <= m.gas:
        r.status = S_SUCCESS
        r.gas_left = m.gas - used
        r.output_len = len(out)
        r.output = <uint8_t*>malloc(r.output_len if r.output_len else 1)
        if r.output == NULL:
            raise MemoryError()
        memcpy(r.output, <const char*>out, r.output_len)
    else:
        r.status = S_PRECOMPILE_FAILURE
        r.gas_left = 0
        r.output = NULL
        r.output_len = 0
    return 0

cdef int process_message(VM vm, Msg* m, Res* r) except -1:
    """Touch the target, transfer value and run the callee (code or
    precompile); undo the frame's changes unless it succeeded."""
    cdef Journal j = vm.j
    cdef Checkpoint c
    cdef int fork = vm.fork
    memset(r, 0, sizeof(Res))
    if j.hooks & H_CALL:
        report_call_start(j, m)
    j.checkpoint(&c)
    j.touch(m.target)
    if m.should_transfer_value and not u256_is_zero(&m.value):
        j.move_ether(m.caller, m.target, &m.value)
    if j.is_precompile(j.accts[m.code_acct].addr):
        if not m.disable_precompiles:
            call_precompile(vm, m, r)
        else:
            r.status = S_SUCCESS  # a precompile's own code is empty
            r.gas_left = m.gas
    else:
        run_code(vm, m, r)
    if r.status != S_SUCCESS:
        j.revert(&c)
        # RIPEMD160 quirk (Spurious Dragon .. London): its touch survives a failure
        if F_SPURIOUS_DRAGON <= fork <= F_LONDON and j.is_precompile(j.accts[m.target].addr) and \
                j.accts[m.target].addr[19] == 3 and j.exists(m.target) and j.is_empty(m.target):
            j.accts[m.target].flags |= A_STICKY_TOUCH
            j.sticky = m.target
    if j.hooks & H_CALL:
        j.inspector.call_end(r.status == S_SUCCESS, mkbytes(r.output, r.output_len), m.gas - r.gas_left,
                             STATUS_NAMES[r.status])
    return 0

cdef int process_create_message(VM vm, Msg* m, Res* r) except -1:
    """Create the account, run the initcode and deposit the returned code
    (EIP-170 size limit, EIP-3541 0xEF prefix, GAS_CODE_DEPOSIT per byte)."""
    cdef Journal j = vm.j
    cdef Checkpoint c
    cdef int64_t deposit
    cdef int fork = vm.fork
    cdef uint32_t e = m.target
    cdef object deployed = b""
    memset(r, 0, sizeof(Res))
    if j.hooks & H_CREATE:
        j.inspector.create_start(CALL_KINDS[m.call_op], addr_bytes(j.accts[m.caller].addr),
                                 addr_bytes(j.accts[e].addr), u256_to_pyint(&m.value),
                                 <object>m.code, m.gas, m.depth)
    j.checkpoint(&c)
    j.add_flags(e, A_CREATED | A_EXISTS | A_DIRTY | A_STORAGE_CLEARED)
    if fork >= F_SPURIOUS_DRAGON:
        j.set_nonce(e, 1)
    if not u256_is_zero(&m.value):
        j.move_ether(m.caller, e, &m.value)
    run_code(vm, m, r)
    if r.status == S_SUCCESS:
        deposit = GAS_CODE_DEPOSIT * <int64_t>r.output_len
        if fork >= F_LONDON and r.output_len and r.output[0] == 0xEF:
            r.status = S_INVALID_CONTRACT_PREFIX
        elif r.gas_left < deposit:
            if fork >= F_HOMESTEAD:
                r.status = S_OUT_OF_GAS
            else:
                # Frontier: a contract that cannot pay for its code gets none
                free(r.output)
                r.output = NULL
                r.output_len = 0
        elif fork >= F_SPURIOUS_DRAGON and r.output_len > MAX_CODE_SIZE:
            r.status = S_CODE_SIZE_EXCEEDED
        else:
            r.gas_left -= deposit
            code = mkbytes(r.output, r.output_len)
            deployed = code
            j.set_code(e, code)
            if m.depth == 0 and vm.tracer is not None:
                vm.trace_output = code
        if r.status != S_SUCCESS:
            r.gas_left = 0
        # a successful create returns no data to its parent
        free(r.output)
        r.output = NULL
        r.output_len = 0
    if r.status != S_SUCCESS:
        j.revert(&c)
    elif F_SPURIOUS_DRAGON <= fork <= F_LONDON:
        j.add_flags(e, A_TOUCHED)
    if j.hooks & H_CREATE:
        j.inspector.create_end(r.status == S_SUCCESS, addr_bytes(j.accts[e].addr),
                               deployed if r.status == S_SUCCESS else mkbytes(r.output, r.output_len),
                               m.gas - r.gas_left, STATUS_NAMES[r.status])
    return 0
