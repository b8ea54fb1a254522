# VM: the Python edge of the core. One VM per fork and state: its journal is
# the working state, kept across transactions until changes() hands it back.
from evm.errors import DEFAULT_MEMORY_LIMIT, ReentrancyError

cdef int set_u256(u256* r, object v, str what) except -1:
    if isinstance(v, (bytes, bytearray)):
        v = int.from_bytes(v, "big")
    if not 0 <= v < (1 << 256):
        raise ValueError(f"{what} must be in [0, 2**256), got {v!r}")
    u256_from_pyint(r, v)
    return 0


cdef class VM:
    """Executes transactions and calls against a Database for one fork.

    The journal (``vm.j``) caches every account and slot touched in C and
    asks the Python database only on a cold miss; ``changes()`` hands the
    changes back as one batch. Transaction validation and signature recovery
    are the caller's (see ``evm.executor``)."""

    def __cinit__(self):
        self.stacks = <u256**>calloc(STACK_DEPTH_LIMIT + 2, sizeof(u256*))
        if self.stacks == NULL:
            raise MemoryError()
        self.spare_mem = <Mem*>calloc(STACK_DEPTH_LIMIT + 2, sizeof(Mem))
        if self.spare_mem == NULL:
            raise MemoryError()
        self.env.blob_hashes = NULL

    def __init__(self, db, fork, *, tracer=None, precompiles=None, memory_limit=None, **block_env):
        """A VM over ``db`` (see ``evm.state.Database``) for ``fork``.

        ``block_env``: the keywords of :meth:`set_block_env`. ``precompiles``
        is an object with ``precompile_addresses(fork)`` and
        ``run_precompile(address, data, gas, fork)``; by default
        ``evm.precompiles``. ``memory_limit``: the most memory (bytes) one
        frame may use, default ``evm.errors.DEFAULT_MEMORY_LIMIT``; a frame
        that pays for more raises ``MemoryLimitExceeded``."""
        if memory_limit is None:
            memory_limit = DEFAULT_MEMORY_LIMIT
        if not isinstance(memory_limit, int) or not 0 <= memory_limit < (1 << 62):
            raise ValueError(f"memory_limit must be an int in [0, 2**62), got {memory_limit!r}")
        self.memory_limit = memory_limit
        self.fork = int(fork)
        if not 0 <= self.fork < N_FORKS:
            raise ValueError(f"unknown fork {fork!r}")
        self.tracer = tracer
        if precompiles is None:
            from evm import precompiles as _pc
            precompiles = _pc
        self.run_precompile = precompiles.run_precompile
        self.j = Journal(db, self.fork, precompiles.precompile_addresses(_FORKS[self.fork]))
        self.set_block_env(**block_env)

    def __dealloc__(self):
        cdef int i
        free(self.env.blob_hashes)
        if self.stacks != NULL:
            for i in range(self.n_stacks):
                free(self.stacks[i])
            free(self.stacks)
        if self.spare_mem != NULL:
            for i in range(STACK_DEPTH_LIMIT + 2):
                free(self.spare_mem[i].buf)
            free(self.spare_mem)

    cdef u256* stack_for(self, int depth) except NULL:
        if self.stacks[depth] == NULL:
            self.stacks[depth] = <u256*>malloc(STACK_LIMIT * sizeof(u256))
            if self.stacks[depth] == NULL:
                raise MemoryError()
            if depth >= self.n_stacks:
                self.n_stacks = depth + 1
        return self.stacks[depth]

    cdef void take_memory(self, int depth, Mem* m) noexcept nogil:
        """Give a starting frame the buffer the last frame at ``depth`` left
        (all zero), if any and within the frame's limit (the limit is
        public and may have shrunk): most frames then allocate nothing."""
        if self.spare_mem[depth].cap > m.limit:
            return
        m.buf = self.spare_mem[depth].buf
        m.cap = self.spare_mem[depth].cap
        self.spare_mem[depth].buf = NULL
        self.spare_mem[depth].cap = 0

    cdef void give_memory(self, int depth, Mem* m) noexcept nogil:
        """Keep a finished frame's buffer for the next frame at ``depth``,
        zeroed (every byte written lies below ``m.size``), unless it is
        large (then it is freed, so a big frame holds no memory after it)."""
        if m.buf != NULL and m.cap <= SPARE_MEMORY_MAX and self.spare_mem[depth].buf == NULL:
            memset(m.buf, 0, m.size)
            self.spare_mem[depth].buf = m.buf
            self.spare_mem[depth].cap = m.cap
        else:
            free(m.buf)
        m.buf = NULL

    def set_block_env(self, *, coinbase=b"\0" * 20, number=0, timestamp=0, gas_limit=0,
                      prev_randao=0, chain_id=1, base_fee=0, blob_base_fee=0):
        """Set what COINBASE, NUMBER, TIMESTAMP, GASLIMIT, PREVRANDAO (the
        DIFFICULTY before Paris), CHAINID, BASEFEE and BLOBBASEFEE push."""
        self._enter()
        copy_addr(self.env.coinbase, coinbase)
        set_u256(&self.env.number, number, "number")
        self.env.block_number = number if number < (1 << 63) else (1 << 63)
        set_u256(&self.env.timestamp, timestamp, "timestamp")
        set_u256(&self.env.gas_limit, gas_limit, "gas_limit")
        set_u256(&self.env.prev_randao, prev_randao, "prev_randao")
        set_u256(&self.env.chain_id, chain_id, "chain_id")
        set_u256(&self.env.base_fee, base_fee, "base_fee")
        set_u256(&self.env.blob_base_fee, blob_base_fee, "blob_base_fee")

    cdef int _enter(self) except -1:
        """Refuse re-entry: the journal and the frames belong to the running call."""
        return self.j._idle()

    cdef int _start_clock(self, double timeout) except -1:
        """Arm the running call's wall-clock bound (0: none)."""
        if not timeout >= 0:  # also refuses NaN
            raise ValueError(f"timeout must be a non-negative number of seconds, got {timeout!r}")
        self.timeout = timeout
        self.deadline = monotonic_now() + timeout if timeout > 0 else 0
        return 0

    cdef int _set_blob_hashes(self, object blob_hashes) except -1:
        cdef uint32_t i
        free(self.env.blob_hashes)
        self.env.blob_hashes = NULL
        self.env.n_blob_hashes = 0
        blob_hashes = list(blob_hashes)
        if blob_hashes:
            self.env.blob_hashes = <u256*>malloc(len(blob_hashes) * sizeof(u256))
            if self.env.blob_hashes == NULL:
                raise MemoryError()
            for i in range(len(blob_hashes)):
                set_u256(&self.env.blob_hashes[i], blob_hashes[i], "blob hash")
            self.env.n_blob_hashes = len(blob_hashes)
        return 0

    # -- the entry points ---------------------------------------------------------
    def transaction(self, sender, to, value, data, int64_t gas_limit, *, bint fees=True,
                    bint bump_nonce=True, gas_price=0, int64_t intrinsic_gas=0, upfront_cost=0,
                    priority_fee=0, access_list=(), authorizations=(), int64_t calldata_floor=0,
                    blob_hashes=(), create_address=None, bint is_static=False, double timeout=0):
        """Run one transaction (``to`` None: a creation) through every phase
        of ``process_transaction`` and end it. ``fees``: buy the gas at
        ``upfront_cost``, refund the unused gas at ``gas_price``, cap the
        refund (EIP-3529), apply the EIP-7623 floor, pay ``priority_fee`` per
        gas to the coinbase; without, the caller must hold ``value`` and
        ``gas_used`` is the gas given minus the gas left. ``bump_nonce``:
        increment the sender's nonce. ``authorizations``: EIP-7702 tuples
        (chain_id, address, nonce, authority). ``timeout``: seconds of wall
        clock after which the run raises ``ExecutionTimeout`` (0: none).
        Returns a ``TxOutcome``."""
        cdef TxArgs tx
        cdef bytes d
        if type(data) is bytes:
            d = data
        elif isinstance(data, (bytearray, memoryview)):
            d = bytes(data)
        else:  # bytes(5) would be five zero bytes
            raise TypeError(f"data must be bytes, got {type(data).__name__}")
        memset(&tx, 0, sizeof(TxArgs))
        if gas_limit < 0 or intrinsic_gas < 0 or intrinsic_gas > gas_limit:
            raise ValueError("gas_limit must be >= intrinsic_gas >= 0")
        copy_addr(tx.sender, sender)
        tx.is_create = to is None
        if to is not None:
            copy_addr(tx.to, to)
        elif create_address is not None:
            copy_addr(tx.to, create_address)
            tx.has_create_address = True
        set_u256(&tx.value, value, "value")
        tx.data = <const uint8_t*>PyBytes_AS_STRING(d)
        tx.data_len = PyBytes_GET_SIZE(d)
        tx.gas_limit = gas_limit
        tx.intrinsic_gas = intrinsic_gas
        tx.calldata_floor = calldata_floor
        set_u256(&tx.gas_price, gas_price, "gas_price")
        set_u256(&tx.upfront_cost, upfront_cost, "upfront_cost")
        set_u256(&tx.priority_fee, priority_fee, "priority_fee")
        tx.flags = (PT_FEES if fees else 0) | (PT_NONCE if bump_nonce else 0)
        tx.is_static = is_static
        self._enter()
        self.j.busy = True  # before anything that may run Python (another thread)
        try:
            self._set_blob_hashes(blob_hashes)
            self._start_clock(timeout)
            return process_transaction(self, &tx, access_list, authorizations)
        finally:
            self.j.busy = False

    def message_call(self, bytes caller, bytes to, bytes data, value, int64_t gas, bint is_static=False,
                     double timeout=0):
        """A call outside any transaction (no fees, no nonce, GASPRICE 0),
        same phases otherwise. Returns a ``TxOutcome``."""
        return self._call(caller, to, data, value, gas, is_static, timeout)

    cdef object _call(self, bytes caller, bytes to, bytes data, object value, int64_t gas, bint is_static,
                      double timeout, bint create=False):
        """A message outside any transaction; ``create``: ``data`` is
        initcode creating ``to``."""
        cdef TxArgs tx
        if len(caller) != 20 or len(to) != 20 or gas < 0:
            raise ValueError("addresses are 20 bytes and gas is non-negative")
        memset(&tx, 0, sizeof(TxArgs))
        memcpy(tx.sender, <const char*>caller, 20)
        memcpy(tx.to, <const char*>to, 20)
        tx.is_create = create
        tx.has_create_address = create
        if value:
            set_u256(&tx.value, value, "value")
        tx.data = <const uint8_t*>PyBytes_AS_STRING(data)
        tx.data_len = PyBytes_GET_SIZE(data)
        tx.gas_limit = gas
        tx.is_static = is_static
        self._enter()
        self.j.busy = True
        try:
            if self.env.n_blob_hashes:
                self._set_blob_hashes(())
            self._start_clock(timeout)
            return process_transaction(self, &tx, None, None)
        finally:
            self.j.busy = False

    def run_code(self, db, bytes caller, bytes address, bytes code, bytes data, value, int64_t gas,
                 bint create):
        """``execute_code`` without a State in one call: an empty working
        state over ``db``, the caller (holding ``value``) and the contract
        (holding ``code``; the caller's own code when ``caller == address``)
        preloaded as if ``db`` held them, then a message from ``caller``
        (``create``: ``code`` as initcode creating ``address``) with no fees
        and no nonce increment. Returns ``(ExecutionResult, changes)``, the
        result without its state, the changes as ``changes()`` gives them
        (and then considered written)."""
        cdef TxOutcome o
        cdef ExecutionResult r
        if len(caller) != 20 or len(address) != 20 or gas < 0:
            raise ValueError("addresses are 20 bytes and gas is non-negative")
        self._enter()
        self.j.clear(db)
        self.trace_output = None
        if create or caller != address:
            self.j.load_given(caller, 0, value, b"")
            if not create:
                self.j.load_given(address, 0, 0, code)
        else:
            self.j.load_given(caller, 0, value, code)
        o = self._call(caller, address, data, value, gas, False, 0, create)
        r = ExecutionResult.__new__(ExecutionResult)
        r.success = o.error is None
        r.gas_used = o.gas_used
        r.gas_left = o.gas_left
        r.gas_refund = o.gas_refund
        r.output = o.output
        r.logs = [self.log_type(*x) for x in o.logs] if o.logs else []
        r.error = o.error
        r.contract_address = o.contract_address
        return r, self.j.collect_changes(True)

    def bench_execute(self, bytes caller, bytes to, bytes data, int64_t gas, uint64_t runs):
        """Execution only, timed in C, the way evmone-bench times a case:
        ``runs`` executions of the code of ``to`` with calldata ``data`` as a
        depth-0 message from ``caller`` (no transaction phases, no value),
        each undone after its timing; the code analysis is cached after the
        first. Returns ``(seconds of each run, gas used, error or None)``."""
        cdef Journal j = self.j
        cdef Msg m
        cdef Res r
        cdef Checkpoint c
        cdef int64_t s, t
        cdef uint64_t i
        cdef double t0, t1
        cdef list times = []
        if len(caller) != 20 or len(to) != 20 or gas < 0:
            raise ValueError("addresses are 20 bytes and gas is non-negative")
        self._enter()
        self.j.busy = True
        try:
            if self.tracer is not None:
                raise ValueError("bench_execute times the plain loop: remove the tracer first")
            self._start_clock(0)
            s = j.account(<const uint8_t*>caller)
            t = j.account(<const uint8_t*>to)
            if self.fork >= F_BERLIN:
                j.access_account(s)
                j.access_account(t)
            memset(&m, 0, sizeof(Msg))
            m.caller = s
            m.target = t
            m.code_acct = t
            m.gas = gas
            m.data = <const uint8_t*>PyBytes_AS_STRING(data)
            m.data_len = PyBytes_GET_SIZE(data)
            m.code = j.accts[t].code
            memset(&r, 0, sizeof(Res))
            for i in range(runs):
                j.checkpoint(&c)
                free(r.output)
                r.output = NULL
                t0 = monotonic_now()
                run_code(self, &m, &r)
                t1 = monotonic_now()
                j.revert(&c)
                times.append(t1 - t0)
            free(r.output)
            r.output = NULL
            j.end_transaction()
            return times, gas - r.gas_left, STATUS_NAMES[r.status]
        finally:
            self.j.busy = False

    def call(self, bytes caller, bytes to, bytes data, value, int64_t gas, bint is_static=False,
             double timeout=0):
        """``message_call``, returning a ``CallResult`` built here in C: the
        fast path behind ``EVM.message_call``."""
        cdef TxOutcome o = self._call(caller, to, data, value, gas, is_static, timeout)
        cdef CallResult r = CallResult.__new__(CallResult)
        r.success = o.error is None
        r.gas_used = o.gas_used
        r.output = o.output
        r.logs = [self.log_type(*x) for x in o.logs] if o.logs else []
        r.error = o.error
        r.contract_address = None
        r.gas_refund = o.gas_refund
        return r

    # -- the working state, for the Python API --------------------------------------
    def account(self, address):
        """(exists, nonce, balance, code) of ``address`` as seen now."""
        self._enter()
        cdef uint8_t a20[20]
        copy_addr(a20, address)
        cdef int64_t e = self.j.account(a20)
        cdef Acct* a = &self.j.accts[e]
        return (bool(a.flags & A_EXISTS), a.nonce, u256_to_pyint(&a.balance), <object>a.code)

    def storage(self, address, key):
        """The current value of storage slot ``key`` of ``address``."""
        self._enter()
        cdef u256 k
        cdef uint8_t a20[20]
        copy_addr(a20, address)
        cdef int64_t e = self.j.account(a20)
        set_u256(&k, key, "storage key")
        return u256_to_pyint(&self.j.slots[self.j.storage(e, &k)].current)

    def set_balance(self, address, balance):
        """Set the balance of ``address`` (creating the account); ends the
        current transaction."""
        self._enter()
        cdef u256 v
        cdef uint8_t a20[20]
        copy_addr(a20, address)
        cdef int64_t e = self.j.account(a20)
        set_u256(&v, balance, "balance")
        self.j.set_balance(e, &v)
        self.j.end_transaction()

    def set_code(self, address, code):
        """Replace the code of ``address`` (creating the account); ends the
        current transaction."""
        self._enter()
        cdef uint8_t a20[20]
        copy_addr(a20, address)
        cdef int64_t e = self.j.account(a20)
        self.j.set_code(e, bytes(code))
        self.j.end_transaction()

    def set_nonce(self, address, nonce):
        """Set the nonce of ``address`` (creating the account); ends the
        current transaction."""
        cdef uint8_t a20[20]
        self._enter()
        copy_addr(a20, address)
        if not 0 <= nonce < (1 << 64):
            raise ValueError(f"nonce must be in [0, 2**64), got {nonce!r}")
        cdef int64_t e = self.j.account(a20)
        self.j.set_nonce(e, nonce)
        self.j.end_transaction()

    def set_storage(self, address, key, value):
        """Set storage slot ``key`` of ``address`` to ``value`` (the account
        is created if missing); ends the current transaction."""
        cdef u256 k, v
        cdef uint8_t a20[20]
        cdef bint cold
        self._enter()
        copy_addr(a20, address)
        set_u256(&k, key, "storage key")
        set_u256(&v, value, "storage value")
        cdef int64_t e = self.j.account(a20)
        self.j.add_flags(e, A_EXISTS | A_DIRTY)  # storage is only kept for an account
        hooks = self.j.hooks
        self.j.hooks = 0  # not an SSTORE: no storage_write
        self.j.sstore(e, &k, &v, &cold)
        self.j.hooks = hooks
        self.j.end_transaction()

    def delete_account(self, address):
        """Remove ``address`` with its storage from the working state."""
        cdef uint8_t a20[20]
        self._enter()
        copy_addr(a20, address)
        if self.j.n_undo:
            raise RuntimeError("accounts are deleted between transactions")
        cdef int64_t e = self.j.account(a20)
        if self.j.recording:
            self.j._history_account(e)
        self.j._delete_account(e)

    def cached_addresses(self):
        """Every address the working state holds a record of, existing or not."""
        cdef uint32_t i
        return [addr_bytes(self.j.accts[i].addr) for i in range(self.j.n_accts)]

    def cached_slots(self, address):
        """The storage keys of ``address`` the working state holds records of."""
        cdef uint8_t a20[20]
        cdef uint32_t i
        copy_addr(a20, address)
        cdef int64_t e = self.j.account(a20)
        return [u256_to_pyint(&self.j.slots[i].key) for i in range(self.j.n_slots)
                if self.j.slots[i].acct == e]

    def is_precompile(self, address):
        """Whether ``address`` is a precompile in this fork."""
        cdef uint8_t a20[20]
        copy_addr(a20, address)
        return bool(self.j.is_precompile(a20))

    def reset(self, db):
        """An empty working state over ``db`` (see ``Journal.reset``); the
        fork, environment, tracer and limits stay."""
        self._enter()
        self.j.reset(db)
        self.trace_output = None

    def preload_account(self, address, nonce, balance, bytes code):
        """Hold an account without storage as if the Database had returned it
        (see ``Journal.preload``): ``execute_code`` seeds its caller and
        contract this way instead of building a State for them."""
        self._enter()
        self.j.preload(address, nonce, balance, code)

    def changes(self, bint clear=True):
        """The changes since the last call (see ``Journal.changes``)."""
        self._enter()
        return self.j.changes(clear)
