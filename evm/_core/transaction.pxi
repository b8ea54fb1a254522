# process_transaction (spec: fork.py process_transaction): the phases of one
# transaction after validation, which stays in Python with signature
# recovery. Every entry point (apply_transaction, EVM.transact, EVM.deploy,
# EVM.message_call, execute_code) comes here; flags say which phases apply.

cdef enum:
    PT_FEES = 1   # buy gas, refund (EIP-3529 cap, EIP-7623 floor), pay the coinbase
    PT_NONCE = 2  # increment the sender's nonce (a CREATE address comes from it)

cdef struct TxArgs:
    uint8_t sender[20]
    bint is_create
    uint8_t to[20]          # the callee, or the address to create at
    bint has_create_address # to holds the address to create at (else CREATE's rule)
    u256 value
    const uint8_t* data     # borrowed
    uint64_t data_len
    int64_t gas_limit
    int64_t intrinsic_gas
    int64_t calldata_floor
    u256 gas_price
    u256 upfront_cost       # gas_limit * gas_price + blob gas fee
    u256 priority_fee       # per gas, to the coinbase
    int flags
    bint is_static


@cython.dataclasses.dataclass
cdef class CallResult:
    """The outcome of :meth:`EVM.message_call` / :meth:`EVM.deploy`.

    ``error`` is None on success, ``"Revert"`` for a REVERT, else the
    exceptional halt's name in the execution specs (``"OutOfGasError"``,
    ``"InvalidOpcode"`` ...). ``gas_used`` is the gas given minus the gas
    left; ``gas_refund`` the refund counter a transaction would apply. A
    dataclass (``dataclasses.fields``, ``asdict``, ``replace`` work) that the
    core fills in C for a call."""

    success: object
    gas_used: object
    output: object
    logs: object
    error: object
    contract_address: object = None
    gas_refund: object = 0

    @property
    def status(self):
        """``"success"``, ``"revert"`` or ``"halt"``."""
        if self.error is None:
            return "success"
        return "revert" if self.error == "Revert" else "halt"

    @property
    def halt_reason(self):
        """The spec's name of the exceptional halt, or None."""
        return self.error if self.status == "halt" else None

    @property
    def revert_data(self):
        """The data given to REVERT, or None if the call did not revert."""
        return self.output if self.error == "Revert" else None

    @property
    def revert_reason(self):
        """The decoded revert data (see ``evm.machine.decode_revert``), or None."""
        from evm.machine import decode_revert
        return decode_revert(self.output) if self.error == "Revert" else None


@cython.dataclasses.dataclass
cdef class ExecutionResult:
    """The outcome of :func:`evm.execute_code`. ``gas_used`` is the gas
    given minus ``gas_left``; ``error`` as in :class:`CallResult`;
    ``contract_address`` the created address of a successful
    ``create=True`` run. ``state`` is the state after the run (built on
    first access when ``execute_code`` had no ``state``). A dataclass that
    the core fills in C for ``execute_code``'s common case."""

    success: object
    gas_used: object
    gas_left: object
    gas_refund: object
    output: object
    logs: object
    error: object
    contract_address: object
    _state: object = cython.dataclasses.field(default=None, repr=False, compare=False)

    @property
    def state(self):
        """The state after the run: the pre-state with the run's changes."""
        if callable(self._state):  # a State is not; the function that makes it is
            self._state = self._state()
        return self._state


@cython.final
cdef class TxOutcome:
    """What the core reports of one transaction or call."""
    cdef readonly object error            # the spec's exception name, or None
    cdef readonly int64_t gas_used        # after refunds when fees apply
    cdef readonly int64_t gas_left
    cdef readonly int64_t gas_refund
    cdef readonly bytes output
    cdef readonly object logs             # [(address, [topics], data)], or () if none
    cdef readonly object contract_address # bytes, for a successful creation

    @property
    def success(self):
        return self.error is None


cdef int64_t set_delegation(VM vm, object authorizations) except -1:
    """EIP-7702: apply the authorizations, each (chain_id, address, nonce,
    authority or None); return the refund for authorities that existed."""
    cdef Journal j = vm.j
    cdef int64_t refund = 0, e
    cdef object code
    chain_id = u256_to_pyint(&vm.env.chain_id)
    for auth_chain_id, address, nonce, authority in authorizations:
        if auth_chain_id != chain_id and auth_chain_id != 0:
            continue
        if nonce >= 0xFFFFFFFFFFFFFFFF or authority is None:
            continue
        e = j.account(<bytes>_addr_arg(authority))
        j.access_account(e)
        code = <object>j.accts[e].code
        if PyBytes_GET_SIZE(code) and delegation_target(code) == NULL:
            continue
        if j.accts[e].nonce != nonce:
            continue
        if j.exists(e):
            refund += PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST
        j.set_code(e, b"" if address == b"\0" * 20 else EOA_DELEGATION_MARKER + address)
        j.increment_nonce(e)
    return refund

cdef int warm_access_list(Journal j, object access_list) except -1:
    """EIP-2930: pre-warm the addresses and storage keys of the access list."""
    cdef int64_t e
    cdef u256 k
    for address, keys in access_list:
        e = j.account(<bytes>_addr_arg(address))
        j.access_account(e)
        for key in keys:
            u256_from_pyint(&k, key)
            j.access_storage(j.storage(e, &k))
    return 0

cdef TxOutcome process_transaction(VM vm, TxArgs* tx, object access_list, object authorizations):
    """Run the transaction atomically: an exception raised inside (by a
    tracer, the Database, a precompile, KeyboardInterrupt) undoes every
    change made since its start and propagates unchanged."""
    cdef Journal j = vm.j
    cdef Checkpoint c
    j.checkpoint(&c)
    try:
        return _process_transaction(vm, tx, access_list, authorizations)
    except BaseException:
        j.revert(&c)
        j.sticky = -1
        j.end_transaction()  # forget warmth, logs, transient storage
        raise

cdef TxOutcome _process_transaction(VM vm, TxArgs* tx, object access_list, object authorizations):
    cdef Journal j = vm.j
    cdef int fork = vm.fork
    cdef int64_t s, t, d, cb, gas_used, gas_refund
    cdef uint64_t nonce
    cdef uint8_t target[20]
    cdef u256 a, b
    cdef Msg m
    cdef Res r
    cdef TxOutcome out = TxOutcome.__new__(TxOutcome)
    memcpy(vm.env.origin, tx.sender, 20)
    vm.env.gas_price = tx.gas_price
    # pre-execution: buy the gas, bump the nonce
    s = j.account(tx.sender)
    if tx.flags & PT_FEES:
        u256_sub(&a, &j.accts[s].balance, &tx.upfront_cost)
        j.set_balance(s, &a)
    elif u256_lt(&j.accts[s].balance, &tx.value):
        raise ValueError("the caller's balance is below the value sent")
    nonce = j.accts[s].nonce
    if tx.flags & PT_NONCE:
        j.increment_nonce(s)
    if tx.is_create and not tx.has_create_address:
        compute_contract_address(tx.sender, nonce, target)
    else:
        memcpy(target, tx.to, 20)
    t = j.account(target)
    # accessed_addresses: sender, target, coinbase (EIP-3651), access list
    if fork >= F_BERLIN:
        j.access_account(s)
        j.access_account(t)
        if fork >= F_SHANGHAI:
            j.access_account(j.account(vm.env.coinbase))
        if access_list:
            warm_access_list(j, access_list)
    memset(&m, 0, sizeof(Msg))
    m.caller = s
    m.target = t
    m.code_acct = t
    m.value = tx.value
    m.gas = tx.gas_limit - tx.intrinsic_gas
    m.should_transfer_value = True
    m.is_static = tx.is_static
    if tx.is_create:
        m.is_create = True
        initcode = mkbytes(tx.data, tx.data_len)
        m.code = <void*>initcode
        if j.has_code_or_nonce_or_storage(t):
            memset(&r, 0, sizeof(Res))
            r.status = S_ADDRESS_COLLISION  # all gas is spent; the spec traces no end
        else:
            vm.trace_output = b""
            process_create_message(vm, &m, &r)
            if vm.tracer is not None:
                # the spec's TransactionEnd shows the deployed code as the output
                vm.tracer.tx_end(m.gas - r.gas_left, vm.trace_output if r.status == S_SUCCESS
                                 else mkbytes(r.output, r.output_len), STATUS_NAMES[r.status])
    else:
        if authorizations:
            j.refund_counter += set_delegation(vm, authorizations)
        d = j.delegation(t)
        if d >= 0:
            j.access_account(d)
            m.code_acct = d
            m.disable_precompiles = True
        m.data = tx.data
        m.data_len = tx.data_len
        m.code = j.accts[m.code_acct].code
        process_message(vm, &m, &r)
        if F_SPURIOUS_DRAGON <= fork <= F_LONDON:
            j.add_flags(t, A_TOUCHED)  # even when the call failed (EIP-161)
        if vm.tracer is not None:
            vm.tracer.tx_end(m.gas - r.gas_left, mkbytes(r.output, r.output_len), STATUS_NAMES[r.status])
    out.error = STATUS_NAMES[r.status]
    out.gas_left = r.gas_left
    out.output = mkbytes(r.output, r.output_len)
    free(r.output)
    r.output = NULL
    out.contract_address = addr_bytes(target) if tx.is_create and r.status == S_SUCCESS else None
    gas_used = tx.gas_limit - r.gas_left
    if tx.flags & PT_FEES:
        # post-execution: refund (a failed frame already restored the counter;
        # an EIP-7702 refund stays), the calldata floor, pay the coinbase
        gas_refund = gas_used // (5 if fork >= F_LONDON else 2)
        if j.refund_counter < gas_refund:
            gas_refund = j.refund_counter
        gas_used -= gas_refund
        if fork >= F_PRAGUE and gas_used < tx.calldata_floor:
            gas_used = tx.calldata_floor
        # unused gas back: (gas_limit - gas_used) * gas_price <= what was paid
        u256_set_u64(&b, <uint64_t>(tx.gas_limit - gas_used))
        u256_mul(&a, &tx.gas_price, &b)
        u256_add(&b, &j.accts[s].balance, &a)
        j.set_balance(s, &b)
        u256_set_u64(&b, <uint64_t>gas_used)
        u256_mul(&a, &tx.priority_fee, &b)
        cb = j.account(vm.env.coinbase)
        if fork < F_SPURIOUS_DRAGON or not u256_is_zero(&a):
            u256_add(&b, &j.accts[cb].balance, &a)
            j.set_balance(cb, &b)
        elif fork <= F_LONDON:
            j.add_flags(cb, A_TOUCHED)  # an empty coinbase is deleted
    else:
        gas_refund = j.refund_counter if r.status == S_SUCCESS else 0
    out.gas_used = gas_used
    out.gas_refund = gas_refund
    out.logs = j.logs() if j.n_logs else ()
    j.end_transaction()
    return out
