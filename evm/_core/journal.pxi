# The host of the interpreter: the state a transaction sees, cached in C.
#
# Every account and slot touched is a record in a C array found through an
# open-addressing table; warmth (EIP-2929) is a flag on the record. Only a
# cold miss asks the Python Database. Every change pushes an undo entry, so a
# frame that fails reverts exactly its own changes (Checkpoint / revert).
# Instructions use the methods below and never touch undo entries.

cdef enum:
    # first sizes of the hash tables (open addressing: at most half full)
    ACCT_TABLE_CAP = 64
    SLOT_TABLE_CAP = 256
    TSLOT_TABLE_CAP = 16

cdef enum:
    # Undo-log entry kinds
    U_BALANCE = 1
    U_NONCE = 2
    U_CODE = 3
    U_FLAGS = 4
    U_STORAGE = 5
    U_TSTORAGE = 6
    U_SLOT_WARM = 7
    U_SLOT_NEW = 8        # a slot record made without asking the database
                          # (storage cleared): history only, see history_revert

cdef enum:
    # Journal.hooks: the inspector events reported (from here and the message layer)
    H_CALL = 1            # call_start / call_end
    H_CREATE = 2          # create_start / create_end
    H_LOG = 4
    H_STORAGE = 8         # storage_write
    H_SELFDESTRUCT = 16

cdef enum:
    # Slot.warm bits
    SLOT_WARM = 1         # in accessed_storage_keys
    SLOT_DIRTY = 2        # written since the last changes()

cdef inline uint64_t hash_addr(const uint8_t* a) noexcept nogil:
    cdef uint32_t tail
    cdef uint64_t h = _load64(a) * 0x9E3779B97F4A7C15ULL
    h ^= _load64(a + 8) * 0xC2B2AE3D27D4EB4FULL
    memcpy(&tail, a + 16, 4)  # `a` may be anywhere in a bytes object: no aligned load (UBSan)
    h ^= (<uint64_t>tail) * 0x165667B19E3779F9ULL
    return h ^ (h >> 29)

cdef inline uint64_t hash_slot(uint32_t acct, const u256* k) noexcept nogil:
    cdef uint64_t h = (k.w[0] ^ (<uint64_t>acct << 32)) * 0x9E3779B97F4A7C15ULL
    h ^= k.w[1] * 0xC2B2AE3D27D4EB4FULL
    h ^= k.w[2] * 0x165667B19E3779F9ULL
    h ^= (k.w[3] + acct) * 0x27D4EB2F165667C5ULL
    return h ^ (h >> 31)

cdef inline int64_t slot_find(const Table* t, const Slot* items, uint32_t acct, const u256* key,
                              uint64_t h) noexcept nogil:
    """Index of (acct, key) in a storage table, or -1."""
    cdef uint64_t i = h & t.mask
    cdef uint32_t e
    cdef const Slot* s
    while True:
        e = t.idx[i]
        if e == 0:
            return -1
        e -= 1
        s = &items[e]
        if s.hash == h and s.acct == acct and u256_eq_raw(&s.key, key):
            return e
        i = (i + 1) & t.mask

cdef extern from *:
    """
    /* The size and bytes of an account's code (a bytes object the journal
       owns): immutable, so read without the GIL. */
    static inline Py_ssize_t cyevm_code_len(void* o) { return PyBytes_GET_SIZE((PyObject*)o); }
    static inline const uint8_t* cyevm_code_ptr(void* o) {
        return (const uint8_t*)PyBytes_AS_STRING((PyObject*)o);
    }
    """
    Py_ssize_t code_len "cyevm_code_len"(void* code) noexcept nogil
    const uint8_t* code_ptr "cyevm_code_ptr"(void* code) noexcept nogil

cdef int bad_answer(str call, object value, str expected) except -1:
    """A Database answered something the core cannot use: say which call,
    what it returned and what was expected (nothing is loaded)."""
    from evm.errors import DatabaseError
    if isinstance(value, (bytes, bytearray)):
        shown = f"{len(value)} bytes (0x{bytes(value[:40]).hex()}{'...' if len(value) > 40 else ''})"
    else:
        shown = repr(value)
    raise DatabaseError(f"Database.{call} returned {shown}: expected {expected}")

cdef int db_storage(object db, const uint8_t* addr, const u256* key, u256* out) except -1:
    """The committed value of (addr, key) from the database, checked."""
    k = u256_to_pyint(key)
    value = db.get_storage(addr_bytes(addr), k)
    if type(value) is not int or value < 0 or evm_pylong_to_limbs(value, out.w) != 0:
        bad_answer(f"get_storage(0x{addr_bytes(addr).hex()}, {k})", value, "an int in [0, 2**256)")
    return 0

cdef inline const uint8_t* delegation_target(object code) noexcept:
    """EIP-7702: the 20-byte address in a 0xef0100 || address designator, or
    NULL if `code` (bytes) is no designator. The one place that reads it."""
    cdef const uint8_t* p
    if PyBytes_GET_SIZE(code) != EOA_DELEGATED_CODE_LENGTH:
        return NULL
    p = <const uint8_t*>PyBytes_AS_STRING(code)
    if memcmp(p, <const char*>EOA_DELEGATION_MARKER, 3) != 0:
        return NULL
    return p + 3

cdef inline int storage_status(const u256* original, const u256* current,
                               const u256* new_value) noexcept nogil:
    """Classify an SSTORE (see the SS_* enum) for the per-fork gas table."""
    if u256_eq_raw(current, new_value):
        return SS_ASSIGNED
    if u256_eq_raw(original, current):
        if u256_is_zero(original):
            return SS_ADDED
        return SS_DELETED if u256_is_zero(new_value) else SS_MODIFIED
    if u256_is_zero(original):
        return SS_ADDED_DELETED if u256_is_zero(new_value) else SS_ASSIGNED
    if u256_is_zero(current):
        return SS_DELETED_RESTORED if u256_eq_raw(original, new_value) else SS_DELETED_ADDED
    if u256_is_zero(new_value):
        return SS_MODIFIED_DELETED
    return SS_MODIFIED_RESTORED if u256_eq_raw(original, new_value) else SS_ASSIGNED


cdef class Journal:

    def __cinit__(self):
        self.accts = NULL
        self.slots = NULL
        self.tslots = NULL
        self.undo = NULL
        self.log_recs = NULL
        self.history = NULL
        self.sticky = -1
        self.acct_tab.idx = NULL
        self.slot_tab.idx = NULL
        self.tslot_tab.idx = NULL

    def __init__(self, db, int fork, precompile_addresses):
        """A journal over ``db`` (see ``evm.state.Database``) for ``fork``;
        ``precompile_addresses`` (ints) are always warm from Berlin on."""
        self.db = db
        self.fork = fork
        memset(self.precompile_low, 0, 256)
        self.p256_active = False
        for pa in precompile_addresses:
            if 0 < pa < 256:
                self.precompile_low[pa] = 1
            elif pa == 0x100:
                self.p256_active = True
        self._table_init(&self.acct_tab, ACCT_TABLE_CAP)
        self._table_init(&self.slot_tab, SLOT_TABLE_CAP)
        self._table_init(&self.tslot_tab, TSLOT_TABLE_CAP)
        self.cap_accts = 64
        self.accts = <Acct*>malloc(self.cap_accts * sizeof(Acct))
        self.cap_slots = 256
        self.slots = <Slot*>malloc(self.cap_slots * sizeof(Slot))
        self.cap_tslots = 16
        self.tslots = <Slot*>malloc(self.cap_tslots * sizeof(Slot))
        self.cap_undo = 1024
        self.undo = <Undo*>malloc(self.cap_undo * sizeof(Undo))
        self.cap_logs = 16
        self.log_recs = <LogRec*>malloc(self.cap_logs * sizeof(LogRec))
        if not (self.accts and self.slots and self.tslots and self.undo and self.log_recs):
            raise MemoryError()

    def __dealloc__(self):
        cdef uint64_t i
        if self.accts != NULL:
            for i in range(self.n_accts):
                Py_XDECREF(<PyObject*>self.accts[i].code)
            free(self.accts)
        if self.undo != NULL:
            for i in range(self.n_undo):
                if self.undo[i].kind == U_CODE:
                    Py_XDECREF(<PyObject*><void*>self.undo[i].aux)
            free(self.undo)
        self._history_clear()
        free(self.history)
        if self.log_recs != NULL:
            for i in range(self.n_logs):
                free(self.log_recs[i].data)
            free(self.log_recs)
        free(self.slots)
        free(self.tslots)
        free(self.acct_tab.idx)
        free(self.slot_tab.idx)
        free(self.tslot_tab.idx)

    # -- hash tables ----------------------------------------------------------
    cdef int _table_init(self, Table* t, uint64_t cap) except -1:
        t.idx = <uint32_t*>calloc(cap, sizeof(uint32_t))
        if t.idx == NULL:
            raise MemoryError()
        t.mask = cap - 1
        return 0

    cdef int _table_insert(self, Table* t, uint64_t h, uint32_t entry, uint32_t count) except -1 nogil:
        """Insert entry (index) with hash h; `count` entries are already in."""
        cdef uint64_t i
        if (count + 1) * 2 > t.mask + 1:
            self._table_rehash(t)
        i = h & t.mask
        while t.idx[i]:
            i = (i + 1) & t.mask
        t.idx[i] = entry + 1
        return 0

    cdef int _table_rehash(self, Table* t) except -1 nogil:
        cdef uint64_t newcap = (t.mask + 1) * 2, i, j, h
        cdef uint32_t* old = t.idx
        cdef uint64_t oldcap = t.mask + 1
        cdef uint32_t* nidx = <uint32_t*>calloc(newcap, sizeof(uint32_t))
        if nidx == NULL:
            with gil:
                raise MemoryError()
        for i in range(oldcap):
            if old[i]:
                if t is &self.acct_tab:
                    h = self.accts[old[i] - 1].hash
                elif t is &self.slot_tab:
                    h = self.slots[old[i] - 1].hash
                else:
                    h = self.tslots[old[i] - 1].hash
                j = h & (newcap - 1)
                while nidx[j]:
                    j = (j + 1) & (newcap - 1)
                nidx[j] = old[i]
        free(old)
        t.idx = nidx
        t.mask = newcap - 1
        return 0

    # -- accounts -------------------------------------------------------------
    cdef int64_t _find_account(self, const uint8_t* addr, uint64_t h) noexcept nogil:
        cdef uint64_t i = h & self.acct_tab.mask
        cdef uint32_t e
        while True:
            e = self.acct_tab.idx[i]
            if e == 0:
                return -1
            e -= 1
            if self.accts[e].hash == h and memcmp(self.accts[e].addr, addr, 20) == 0:
                return e
            i = (i + 1) & self.acct_tab.mask

    cdef int64_t account(self, const uint8_t* addr) except -1 nogil:
        """Index of the record for `addr`, loading it from the database on a
        cold miss (a missing account gets a record without A_EXISTS)."""
        cdef uint64_t h = hash_addr(addr)
        cdef int64_t e = self._find_account(addr, h)
        if e >= 0:
            return e
        with gil:  # a cold miss asks the Python database
            return self._load_account(addr, h)

    cdef int64_t _load_account(self, const uint8_t* addr, uint64_t h) except -1:
        cdef bytes code
        cdef u256 b
        account = self.db.get_account(addr_bytes(addr))
        if account is None:
            return self._insert_loaded(addr, h, False, NULL, 0, b"", False)
        call = f"get_account(0x{addr_bytes(addr).hex()})"
        try:
            balance, nonce, code_obj, storage = account.balance, account.nonce, account.code, account.storage
        except AttributeError:
            bad_answer(call, account, "an Account (balance, nonce, code, storage) or None")
        if type(balance) is not int or balance < 0 or balance >> 256:
            bad_answer(call, account, "a balance in [0, 2**256)")
        if type(nonce) is not int or not 0 <= nonce < (1 << 64):
            bad_answer(call, account, "a nonce in [0, 2**64)")
        if type(code_obj) is bytes:
            code = code_obj
        elif isinstance(code_obj, (bytearray, memoryview)):
            code = bytes(code_obj)
        else:
            bad_answer(call, account, "code as bytes")
        u256_from_pyint(&b, balance)
        return self._insert_loaded(addr, h, True, &b, nonce, code, bool(storage))

    cdef int64_t _insert_loaded(self, const uint8_t* addr, uint64_t h, bint exists, const u256* balance,
                                uint64_t nonce, bytes code, bint had_storage) except -1:
        """A new record holding what the database answered for `addr`
        (nothing when not `exists`): its original value, not a change."""
        cdef Acct* a
        cdef uint32_t n = self.n_accts
        if n == self.cap_accts:
            a = <Acct*>realloc(self.accts, self.cap_accts * 2 * sizeof(Acct))
            if a == NULL:
                raise MemoryError()
            self.accts = a
            self.cap_accts *= 2
        a = &self.accts[n]
        memset(a, 0, sizeof(Acct))
        memcpy(a.addr, addr, 20)
        a.hash = h
        if exists:
            a.flags = A_EXISTS
            a.balance = balance[0]
            a.nonce = nonce
            if had_storage:
                a.flags |= A_HAD_STORAGE
        Py_INCREF(code)
        a.code = <void*>code
        if self.fork >= F_BERLIN and self.is_precompile(addr):
            a.flags |= A_WARM  # precompiles are always in accessed_addresses
        self._table_insert(&self.acct_tab, h, n, n)
        self.n_accts = n + 1
        return n

    def preload(self, address, nonce, balance, bytes code):
        """Hold an account (no storage) as if the database had answered it:
        its original value, not a change. The address must not be loaded yet."""
        self._idle()
        self.load_given(address, nonce, balance, code)

    cdef int load_given(self, object address, object nonce, object balance, bytes code) except -1:
        """``preload`` for a caller that holds the journal."""
        cdef uint8_t a20[20]
        cdef u256 b
        cdef uint64_t h
        copy_addr(a20, address)
        if type(nonce) is not int or not 0 <= nonce < (1 << 64):
            raise ValueError(f"nonce {nonce!r} is not in [0, 2**64)")
        if type(balance) is not int or not 0 <= balance < (1 << 256):
            raise ValueError(f"balance {balance!r} is not in [0, 2**256)")
        h = hash_addr(a20)
        if self._find_account(a20, h) >= 0:
            raise ValueError(f"account 0x{bytes(a20).hex()} is already loaded")
        u256_from_pyint(&b, balance)
        self._insert_loaded(a20, h, True, &b, nonce, code, False)
        return 0

    cdef int _push_undo(self, uint32_t kind, uint32_t idx, const u256* old, uint64_t aux) except -1 nogil:
        cdef Undo* u
        if self.n_undo == self.cap_undo:
            u = <Undo*>realloc(self.undo, self.cap_undo * 2 * sizeof(Undo))
            if u == NULL:
                with gil:
                    raise MemoryError()
            self.undo = u
            self.cap_undo *= 2
        u = &self.undo[self.n_undo]
        u.kind = kind
        u.idx = idx
        if old != NULL:
            u.old = old[0]
        u.aux = aux
        self.n_undo += 1
        return 0

    cdef int _set_flags(self, uint32_t e, uint32_t flags) except -1 nogil:
        if self.accts[e].flags != flags:
            self._push_undo(U_FLAGS, e, NULL, self.accts[e].flags)
            self.accts[e].flags = flags
        return 0

    cdef int add_flags(self, uint32_t e, uint32_t flags) except -1 nogil:
        """Set A_* flags on an account (journaled)."""
        return self._set_flags(e, self.accts[e].flags | flags)

    cdef int access_account(self, uint32_t e) except -1 nogil:
        """Add to accessed_addresses; return 1 if it was cold."""
        if self.accts[e].flags & A_WARM:
            return 0
        self._set_flags(e, self.accts[e].flags | A_WARM)
        return 1

    cdef bint exists(self, uint32_t e) noexcept nogil:
        return (self.accts[e].flags & A_EXISTS) != 0

    cdef bint is_empty(self, uint32_t e) noexcept nogil:
        cdef Acct* a = &self.accts[e]
        return a.nonce == 0 and u256_is_zero(&a.balance) and code_len(a.code) == 0

    cdef bint is_alive(self, uint32_t e) noexcept nogil:
        """exists and not empty (is_account_alive)."""
        return (self.accts[e].flags & A_EXISTS) != 0 and not self.is_empty(e)

    cdef int _after_modify(self, uint32_t e) except -1:
        """A balance/nonce/code write creates the account; from Paris on
        (modify_state) an account left empty by the write is destroyed."""
        cdef uint32_t f = self.accts[e].flags | A_EXISTS | A_DIRTY
        if self.fork >= F_PARIS and self.is_empty(e):
            f &= ~<uint32_t>A_EXISTS
        return self._set_flags(e, f)

    cdef int set_balance(self, uint32_t e, const u256* v) except -1:
        self._push_undo(U_BALANCE, e, &self.accts[e].balance, 0)
        self.accts[e].balance = v[0]
        return self._after_modify(e)

    cdef int set_nonce(self, uint32_t e, uint64_t n) except -1:
        cdef u256 old
        u256_set_u64(&old, self.accts[e].nonce)
        self._push_undo(U_NONCE, e, &old, 0)
        self.accts[e].nonce = n
        return self._after_modify(e)

    cdef int increment_nonce(self, uint32_t e) except -1:
        if self.accts[e].nonce == 0xFFFFFFFFFFFFFFFFULL:
            raise OverflowError("nonce overflow")
        return self.set_nonce(e, self.accts[e].nonce + 1)

    cdef int set_code(self, uint32_t e, object code) except -1:
        # the undo entry takes over the old reference
        self._push_undo(U_CODE, e, NULL, <uint64_t><void*>self.accts[e].code)
        Py_INCREF(code)
        self.accts[e].code = <void*>code
        self.accts[e].flags &= ~<uint32_t>A_HASH_KNOWN
        return self._after_modify(e)

    cdef int move_ether(self, uint32_t src, uint32_t dst, const u256* value) except -1:
        """Caller has checked src's balance >= value."""
        cdef u256 nb
        u256_sub(&nb, &self.accts[src].balance, value)
        self.set_balance(src, &nb)
        u256_add(&nb, &self.accts[dst].balance, value)
        self.set_balance(dst, &nb)
        return 0

    cdef int touch(self, uint32_t e) except -1:
        """spec: touch_account. Before Spurious Dragon a touched account that
        does not exist is created (empty); from Spurious Dragon to London it
        is marked, and deleted at the end of the transaction if empty."""
        if self.fork < F_SPURIOUS_DRAGON:
            if not (self.accts[e].flags & A_EXISTS):
                self._set_flags(e, self.accts[e].flags | A_EXISTS | A_DIRTY)
        elif self.fork <= F_LONDON:
            self._set_flags(e, self.accts[e].flags | A_TOUCHED)
        return 0

    cdef const uint8_t* code_hash(self, uint32_t e) noexcept nogil:
        cdef Acct* a = &self.accts[e]
        if not (a.flags & A_HASH_KNOWN):
            evm_keccak256(code_ptr(a.code), code_len(a.code), a.code_hash)
            a.flags |= A_HASH_KNOWN  # a cache, not state: not journaled
        return a.code_hash

    cdef bint has_code_or_nonce_or_storage(self, uint32_t e) noexcept:
        """The CREATE collision rule (EIP-684 and EIP-7610)."""
        cdef Acct* a = &self.accts[e]
        return a.nonce != 0 or PyBytes_GET_SIZE(<object>a.code) != 0 or (
            (a.flags & A_HAD_STORAGE) != 0 and (a.flags & (A_CREATED | A_STORAGE_CLEARED)) == 0)

    cdef int64_t delegation(self, uint32_t e) except -2:
        """EIP-7702: the account (loaded) that e's delegation designator points
        to, or -1 if e's code is no delegation (or before Prague)."""
        cdef const uint8_t* target = delegation_target(<object>self.accts[e].code)
        if self.fork < F_PRAGUE or target == NULL:
            return -1
        return self.account(target)

    cdef bint is_precompile(self, const uint8_t* a) noexcept nogil:
        cdef int i
        for i in range(18):
            if a[i]:
                return False
        if a[18] == 0:
            return self.precompile_low[a[19]] != 0
        return a[18] == 1 and a[19] == 0 and self.p256_active

    # -- storage --------------------------------------------------------------
    cdef int64_t _slot_in(self, Table* t, Slot** items, uint32_t* n, uint32_t* cap,
                          uint32_t acct, const u256* key, bint create) except -2 nogil:
        """Index of (acct, key) in a slot table; a new zeroed record if absent
        and `create`, else -1."""
        cdef uint64_t h = hash_slot(acct, key)
        cdef int64_t e = slot_find(t, items[0], acct, key, h)
        cdef Slot* s
        if e >= 0 or not create:
            return e
        if n[0] == cap[0]:
            s = <Slot*>realloc(items[0], cap[0] * 2 * sizeof(Slot))
            if s == NULL:
                with gil:
                    raise MemoryError()
            items[0] = s
            cap[0] *= 2
        s = &items[0][n[0]]
        memset(s, 0, sizeof(Slot))
        s.acct = acct
        s.hash = h
        s.key = key[0]
        self._table_insert(t, h, n[0], n[0])
        n[0] += 1
        return n[0] - 1

    cdef int64_t storage(self, uint32_t acct, const u256* key) except -1 nogil:
        """Index of the storage record (acct, key); a cold miss loads it."""
        cdef int64_t e = slot_find(&self.slot_tab, self.slots, acct, key, hash_slot(acct, key))
        if e >= 0:
            return e
        with gil:  # a cold miss asks the Python database
            return self._load_storage(acct, key)

    cdef int64_t _load_storage(self, uint32_t acct, const u256* key) except -1:
        """A new record for (acct, key) with the committed value from the
        database (none is asked for an account known to have no storage)."""
        cdef int64_t e
        cdef Slot* s
        cdef u256 v
        cdef bint asked = (self.accts[acct].flags & A_HAD_STORAGE) and not (
            self.accts[acct].flags & (A_CREATED | A_STORAGE_CLEARED))
        if asked:
            # ask before making the record: a database that raises leaves none
            db_storage(self.db, self.accts[acct].addr, key, &v)
        e = self._slot_in(&self.slot_tab, &self.slots, &self.n_slots, &self.cap_slots, acct, key, True)
        if asked:
            s = &self.slots[e]
            s.original = v
            s.current = v
        elif self.recording and (self.accts[acct].flags & A_STORAGE_CLEARED):
            # its zero is right only while the storage stays cleared; straight
            # into the history: no frame's revert may drop this note
            self._history_note_slot(<uint32_t>e)
        return e

    cdef int access_storage(self, uint32_t sl) except -1 nogil:
        """Add the slot to accessed_storage_keys; return 1 if it was cold."""
        if self.slots[sl].warm & SLOT_WARM:
            return 0
        self._push_undo(U_SLOT_WARM, sl, NULL, 0)
        self.slots[sl].warm |= SLOT_WARM
        return 1

    cdef int sload(self, uint32_t acct, const u256* key, u256* out) except -1 nogil:
        """The current value of a slot (accessed); return 1 if it was cold."""
        cdef int64_t e = self.storage(acct, key)
        out[0] = self.slots[e].current
        return self.access_storage(e)

    cdef int sstore(self, uint32_t acct, const u256* key, const u256* value, bint* cold) except -1 nogil:
        """Write a slot (accessed; *cold says if it was cold) and return its
        storage status, which prices the store."""
        cdef int64_t e = self.storage(acct, key)
        cdef Slot* s
        cold[0] = self.access_storage(e)
        s = &self.slots[e]
        cdef int status = storage_status(&s.original, &s.current, value)
        if self.hooks & H_STORAGE:
            with gil:
                self.inspector.storage_write(addr_bytes(self.accts[acct].addr), u256_to_pyint(key),
                                             u256_to_pyint(&s.current), u256_to_pyint(value))
            s = &self.slots[e]
        if not u256_eq_raw(&s.current, value):
            self._push_undo(U_STORAGE, e, &s.current, 0)
            s.current = value[0]
            s.warm |= SLOT_DIRTY  # to be written back (not journaled: harmless)
        return status

    cdef int tload(self, uint32_t acct, const u256* key, u256* out) except -1 nogil:
        """EIP-1153: a transient slot's value (0 if never written)."""
        cdef int64_t e = self._slot_in(&self.tslot_tab, &self.tslots, &self.n_tslots,
                                       &self.cap_tslots, acct, key, False)
        if e < 0:
            u256_set_u64(out, 0)
        else:
            out[0] = self.tslots[e].current
        return 0

    cdef int tstore(self, uint32_t acct, const u256* key, const u256* value) except -1 nogil:
        """EIP-1153: write a transient slot (journaled; cleared per transaction)."""
        cdef int64_t e = self._slot_in(&self.tslot_tab, &self.tslots, &self.n_tslots,
                                       &self.cap_tslots, acct, key, True)
        self._push_undo(U_TSTORAGE, e, &self.tslots[e].current, 0)
        self.tslots[e].current = value[0]
        return 0

    # -- logs, block hashes -------------------------------------------------------
    cdef int add_log(self, const uint8_t* addr, const u256* topics, uint32_t n,
                     const uint8_t* data, uint64_t size) except -1:
        cdef LogRec* l
        cdef uint32_t i
        if self.n_logs == self.cap_logs:
            l = <LogRec*>realloc(self.log_recs, self.cap_logs * 2 * sizeof(LogRec))
            if l == NULL:
                raise MemoryError()
            self.log_recs = l
            self.cap_logs *= 2
        l = &self.log_recs[self.n_logs]
        memcpy(l.addr, addr, 20)
        l.ntopics = n
        for i in range(n):
            l.topics[i] = topics[i]
        l.size = size
        l.data = <uint8_t*>malloc(size if size else 1)
        if l.data == NULL:
            raise MemoryError()
        if size:
            memcpy(l.data, data, size)
        self.n_logs += 1
        if self.hooks & H_LOG:
            self._report_log(addr, topics, n, data, size)
        return 0

    cdef int _report_log(self, const uint8_t* addr, const u256* topics, uint32_t n,
                         const uint8_t* data, uint64_t size) except -1:
        cdef uint8_t t[32]
        cdef uint32_t i
        names = []
        for i in range(n):
            u256_to_be(t, &topics[i])
            names.append(PyBytes_FromStringAndSize(<char*>t, 32))
        self.inspector.log(addr_bytes(addr), names, mkbytes(data, size))
        return 0

    cdef int block_hash(self, uint64_t number, u256* out) except -1:
        """The hash of block `number`, from the database (0 if it has none)."""
        cdef bytes h
        value = self.block_hashes.get(number) if self.block_hashes else None
        if value is None:
            value = self.db.get_block_hash(number)
            if value is not None and not (isinstance(value, (bytes, bytearray)) and len(value) == 32):
                bad_answer(f"get_block_hash({number})", value, "32 bytes, or None for an unknown block")
        if value is None:
            u256_set_u64(out, 0)
        else:
            h = bytes(value)
            u256_from_be(out, <const uint8_t*>h, 32)
        return 0

    # -- checkpoints ---------------------------------------------------------------
    cdef void checkpoint(self, Checkpoint* c) noexcept:
        """spec: begin_transaction (a point `revert` can return to)."""
        c.undo = self.n_undo
        c.logs = self.n_logs
        c.refund_counter = self.refund_counter

    cdef void revert(self, const Checkpoint* c) noexcept:
        """spec: rollback_transaction: undo every change made after `c`."""
        cdef Undo* u
        cdef uint64_t i
        while self.n_undo > c.undo:
            self.n_undo -= 1
            u = &self.undo[self.n_undo]
            if u.kind == U_BALANCE:
                self.accts[u.idx].balance = u.old
            elif u.kind == U_NONCE:
                self.accts[u.idx].nonce = u.old.w[0]
            elif u.kind == U_CODE:
                Py_XDECREF(<PyObject*>self.accts[u.idx].code)
                self.accts[u.idx].code = <void*>u.aux
                self.accts[u.idx].flags &= ~<uint32_t>A_HASH_KNOWN
            elif u.kind == U_FLAGS:
                # keep the non-journaled bits (hash cache, RIPEMD quirk)
                self.accts[u.idx].flags = (<uint32_t>u.aux & ~<uint32_t>(A_HASH_KNOWN | A_STICKY_TOUCH)) | (
                    self.accts[u.idx].flags & (A_HASH_KNOWN | A_STICKY_TOUCH))
            elif u.kind == U_STORAGE:
                self.slots[u.idx].current = u.old
            elif u.kind == U_TSTORAGE:
                self.tslots[u.idx].current = u.old
            elif u.kind == U_SLOT_WARM:
                self.slots[u.idx].warm &= ~<uint32_t>SLOT_WARM
        for i in range(c.logs, self.n_logs):
            free(self.log_recs[i].data)
        if self.n_logs > c.logs:
            self.n_logs = c.logs
        self.refund_counter = c.refund_counter

    cdef int _delete_account(self, uint32_t e) except -1:
        """Make e a non-existent account with empty storage (after the
        transaction that deleted it); the database is no longer asked."""
        cdef Acct* a = &self.accts[e]
        cdef uint32_t i
        cdef object empty = b""
        a.nonce = 0
        u256_set_u64(&a.balance, 0)
        Py_INCREF(empty)
        Py_XDECREF(<PyObject*>a.code)
        a.code = <void*>empty
        a.flags = A_DIRTY | A_STORAGE_CLEARED | (a.flags & A_WARM)
        for i in range(self.n_slots):
            if self.slots[i].acct == e:
                u256_set_u64(&self.slots[i].original, 0)
                u256_set_u64(&self.slots[i].current, 0)
                self.slots[i].warm |= SLOT_DIRTY
        return 0

    cdef int end_transaction(self) except -1:
        """Finish a transaction: delete accounts scheduled for deletion (and,
        from Spurious Dragon to London, touched empty ones), make the current
        storage values the next transaction's originals, forget warmth,
        logs, transient storage and the undo log. The cache keeps every
        change until ``changes()`` hands it back."""
        cdef uint64_t i
        cdef Undo* u
        cdef Acct* a
        cdef uint32_t e, keep
        cdef bint clear_touched = F_SPURIOUS_DRAGON <= self.fork <= F_LONDON
        if self.sticky >= 0:
            self._push_undo(U_FLAGS, <uint32_t>self.sticky, NULL, self.accts[self.sticky].flags)
            self.sticky = -1
        if self.recording:
            self._history_append()
        # deletions first, then per-transaction flags
        for i in range(self.n_undo):
            u = &self.undo[i]
            if u.kind == U_FLAGS or u.kind == U_BALANCE or u.kind == U_NONCE or u.kind == U_CODE:
                e = u.idx
                a = &self.accts[e]
                if a.flags & A_DESTROYED or (
                        clear_touched and (a.flags & (A_TOUCHED | A_STICKY_TOUCH))
                        and (a.flags & A_EXISTS) and self.is_empty(e)) or (
                        # left empty from Paris on (modify_state destroys it)
                        (a.flags & (A_EXISTS | A_DIRTY | A_STORAGE_CLEARED)) == A_DIRTY):
                    if self.recording:
                        self._history_account(e)
                    self._delete_account(e)
        for i in range(self.n_undo):
            u = &self.undo[i]
            if u.kind == U_FLAGS:
                a = &self.accts[u.idx]
                keep = A_WARM if (self.fork >= F_BERLIN and self.is_precompile(a.addr)) else 0
                a.flags &= ~<uint32_t>(A_WARM | A_CREATED | A_DESTROYED | A_TOUCHED | A_STICKY_TOUCH)
                a.flags |= keep
            elif u.kind == U_STORAGE:
                self.slots[u.idx].original = self.slots[u.idx].current
            elif u.kind == U_SLOT_WARM:
                self.slots[u.idx].warm &= ~<uint32_t>SLOT_WARM
            elif u.kind == U_CODE and not self.recording:
                Py_XDECREF(<PyObject*><void*>u.aux)  # else the history owns it
        self.n_undo = 0
        for i in range(self.n_logs):
            free(self.log_recs[i].data)
        self.n_logs = 0
        if self.n_tslots:
            memset(self.tslot_tab.idx, 0, (self.tslot_tab.mask + 1) * sizeof(uint32_t))
            self.n_tslots = 0
        self.refund_counter = 0
        return 0


    # -- machine-level history (snapshots across transactions) ----------------------
    # While a snapshot is live, end_transaction moves the transaction's state
    # entries (balance, nonce, code, flags, storage) to `history` instead of
    # dropping them, and records what its account deletions overwrite. Going
    # back to a snapshot replays the history backwards: O(changes since the
    # snapshot). Between transactions per-transaction flags are clear and
    # every slot's original equals its current value, so the earliest entry
    # of a field restores it exactly.
    cdef int _history_push(self, const Undo* u) except -1:
        cdef Undo* h
        if self.n_history == self.cap_history:
            h = <Undo*>realloc(self.history, (self.cap_history * 2 + 64) * sizeof(Undo))
            if h == NULL:
                raise MemoryError()
            self.history = h
            self.cap_history = self.cap_history * 2 + 64
        self.history[self.n_history] = u[0]
        self.n_history += 1
        return 0

    cdef int _history_append(self) except -1:
        """The transaction's state entries, in order (U_CODE references move)."""
        cdef uint64_t i
        cdef Undo* u
        for i in range(self.n_undo):
            u = &self.undo[i]
            if u.kind != U_TSTORAGE and u.kind != U_SLOT_WARM:
                self._history_push(u)
        return 0

    cdef int _history_account(self, uint32_t e) except -1:
        """What _delete_account is about to overwrite."""
        cdef Undo u
        cdef Acct* a = &self.accts[e]
        cdef uint32_t i
        memset(&u, 0, sizeof(Undo))
        u.idx = e
        u.kind = U_BALANCE
        u.old = a.balance
        self._history_push(&u)
        u.kind = U_NONCE
        u256_set_u64(&u.old, a.nonce)
        self._history_push(&u)
        u.kind = U_CODE
        Py_INCREF(<object>a.code)
        u.aux = <uint64_t>a.code
        self._history_push(&u)
        u.kind = U_FLAGS
        u.aux = a.flags
        self._history_push(&u)
        u.kind = U_STORAGE
        u.aux = 0
        for i in range(self.n_slots):
            if self.slots[i].acct == e:
                u.idx = i
                u.old = self.slots[i].current
                self._history_push(&u)
        return 0

    cdef int _history_note_slot(self, uint32_t sl) except -1:
        cdef Undo u
        memset(&u, 0, sizeof(Undo))
        u.kind = U_SLOT_NEW
        u.idx = sl
        return self._history_push(&u)

    cdef void _history_clear(self) noexcept:
        cdef uint64_t i
        for i in range(self.n_history):
            if self.history[i].kind == U_CODE:
                Py_XDECREF(<PyObject*><void*>self.history[i].aux)
        self.n_history = 0

    cdef int _idle(self) except -1:
        """Refuse the Python methods while the VM runs a call (from its
        Database, a tracer, or another thread: the call owns the tables)."""
        if self.busy:
            raise ReentrancyError(
                "this EVM is already running a call: it cannot be used from inside its own "
                "Database or tracer, nor from two threads at once")
        return 0

    def reset(self, db):
        """Forget every record: an empty working state over ``db``, as a new
        journal but keeping its allocations (a table that grew past 16
        times its first size goes back to it)."""
        self._idle()
        self.clear(db)

    cdef int clear(self, object db) except -1:
        """``reset`` for a caller that holds the journal."""
        cdef uint64_t i
        for i in range(self.n_accts):
            Py_XDECREF(<PyObject*>self.accts[i].code)
        for i in range(self.n_undo):
            if self.undo[i].kind == U_CODE:
                Py_XDECREF(<PyObject*><void*>self.undo[i].aux)
        for i in range(self.n_logs):
            free(self.log_recs[i].data)
        self._history_clear()
        self.recording = False
        self.n_accts = self.n_slots = self.n_tslots = 0
        self.n_undo = self.n_logs = 0
        self._table_reset(&self.acct_tab, ACCT_TABLE_CAP)
        self._table_reset(&self.slot_tab, SLOT_TABLE_CAP)
        self._table_reset(&self.tslot_tab, TSLOT_TABLE_CAP)
        self.refund_counter = 0
        self.sticky = -1
        self.block_hashes = None
        self.inspector = None
        self.hooks = 0
        self.db = db
        return 0

    cdef int _table_reset(self, Table* t, uint64_t cap) except -1:
        """Empty a table; one that grew past 16 times ``cap`` shrinks back to ``cap``."""
        if t.mask + 1 > 16 * cap:
            free(t.idx)
            t.idx = NULL
            return self._table_init(t, cap)
        memset(t.idx, 0, (t.mask + 1) * sizeof(uint32_t))
        return 0

    def history_mark(self):
        """Start recording (if not yet) and return the current position of
        the history, a point ``history_revert`` can return to."""
        self._idle()
        if self.n_undo:
            raise RuntimeError("a snapshot is taken between transactions")
        self.recording = True
        return self.n_history

    def history_stop(self):
        """Stop recording and forget the history (no snapshot is live)."""
        self._idle()
        self._history_clear()
        self.recording = False

    def history_changes(self, uint64_t mark):
        """What differs now from the state at ``mark``: a frozenset of
        (address, field, value) for balances, nonces, code and existence,
        and (address, key, value) for storage slots."""
        self._idle()
        cdef uint64_t i
        cdef Undo* u
        cdef Acct* a
        first = {}
        for i in range(mark, self.n_history):
            u = &self.history[i]
            if u.kind == U_BALANCE or u.kind == U_NONCE or u.kind == U_STORAGE:
                first.setdefault((u.kind, u.idx), u256_to_pyint(&u.old))
            elif u.kind == U_CODE:
                first.setdefault((u.kind, u.idx), <object><void*>u.aux)
            elif u.kind == U_FLAGS:
                first.setdefault((u.kind, u.idx), bool(u.aux & A_EXISTS))
        result = []
        for (kind, idx), old in first.items():
            if kind == U_STORAGE:
                a = &self.accts[self.slots[idx].acct]
                now = u256_to_pyint(&self.slots[idx].current)
                name = u256_to_pyint(&self.slots[idx].key)
            else:
                a = &self.accts[idx]
                if kind == U_BALANCE:
                    now, name = u256_to_pyint(&a.balance), "balance"
                elif kind == U_NONCE:
                    now, name = a.nonce, "nonce"
                elif kind == U_CODE:
                    now, name = <object>a.code, "code"
                else:
                    now, name = bool(a.flags & A_EXISTS), "exists"
            if now != old:
                result.append((addr_bytes(a.addr), name, now))
        return frozenset(result)

    def history_revert(self, uint64_t mark):
        """Undo every change recorded after ``mark`` (see ``history_mark``);
        the restored records are marked for writing back (``changes``)."""
        self._idle()
        cdef Undo* u
        cdef uint64_t i
        cdef list reload = []
        cdef Acct* a
        cdef Slot* s
        if self.n_undo:
            raise RuntimeError("a snapshot is reverted to between transactions")
        if mark > self.n_history:
            raise ValueError("unknown snapshot")
        while self.n_history > mark:
            self.n_history -= 1
            u = &self.history[self.n_history]
            if u.kind == U_BALANCE:
                self.accts[u.idx].balance = u.old
                self.accts[u.idx].flags |= A_DIRTY
            elif u.kind == U_NONCE:
                self.accts[u.idx].nonce = u.old.w[0]
                self.accts[u.idx].flags |= A_DIRTY
            elif u.kind == U_CODE:
                Py_XDECREF(<PyObject*>self.accts[u.idx].code)
                self.accts[u.idx].code = <void*>u.aux
                self.accts[u.idx].flags = (self.accts[u.idx].flags & ~<uint32_t>A_HASH_KNOWN) | A_DIRTY
            elif u.kind == U_FLAGS:
                self.accts[u.idx].flags = (<uint32_t>u.aux & ~<uint32_t>(A_HASH_KNOWN | A_STICKY_TOUCH)) | (
                    self.accts[u.idx].flags & A_HASH_KNOWN) | A_DIRTY
            elif u.kind == U_STORAGE:
                s = &self.slots[u.idx]
                s.current = u.old
                s.original = u.old
                s.warm |= SLOT_DIRTY
            elif u.kind == U_SLOT_NEW:
                reload.append(u.idx)
        # slots first read while their account's storage was cleared: now
        # the account's storage may be the database's again
        for i in reload:
            s = &self.slots[i]
            a = &self.accts[s.acct]
            if (a.flags & A_HAD_STORAGE) and not (a.flags & (A_CREATED | A_STORAGE_CLEARED)):
                db_storage(self.db, a.addr, &s.key, &s.original)
            else:
                u256_set_u64(&s.original, 0)
            s.current = s.original
            s.warm |= SLOT_DIRTY

    # -- reading the journal from Python ------------------------------------------
    def logs(self):
        """The logs emitted so far: a list of (address, [topic, ...], data)."""
        cdef uint64_t i
        cdef uint32_t k
        cdef uint8_t t[32]
        result = []
        for i in range(self.n_logs):
            topics = []
            for k in range(self.log_recs[i].ntopics):
                u256_to_be(t, &self.log_recs[i].topics[k])
                topics.append(PyBytes_FromStringAndSize(<char*>t, 32))
            result.append((addr_bytes(self.log_recs[i].addr), topics,
                           mkbytes(self.log_recs[i].data, self.log_recs[i].size)))
        return result

    def changes(self, bint clear=True):
        """Everything changed since the last call, for writing back to the
        database: {address: None (deleted) or (nonce, balance, code,
        {slot: value (0 = delete)}, storage_reset)}. With ``clear`` the
        changes are then considered written."""
        self._idle()
        return self.collect_changes(clear)

    cdef dict collect_changes(self, bint clear):
        """``changes`` for a caller that holds the journal."""
        cdef uint32_t i
        cdef Acct* a
        cdef Slot* sl
        cdef dict result = {}
        for i in range(self.n_accts):
            a = &self.accts[i]
            if not (a.flags & A_DIRTY):
                continue
            if not (a.flags & A_EXISTS):
                result[addr_bytes(a.addr)] = None
            else:
                result[addr_bytes(a.addr)] = (a.nonce, u256_to_pyint(&a.balance), <object>a.code, {},
                                              bool(a.flags & A_STORAGE_CLEARED))
        for i in range(self.n_slots):
            sl = &self.slots[i]
            if not (sl.warm & SLOT_DIRTY):
                continue
            if clear:
                sl.warm &= ~<uint32_t>SLOT_DIRTY
            a = &self.accts[sl.acct]
            if not (a.flags & A_EXISTS):
                continue
            key = addr_bytes(a.addr)
            entry = result.get(key)
            if entry is None:
                entry = (a.nonce, u256_to_pyint(&a.balance), <object>a.code, {},
                         bool(a.flags & A_STORAGE_CLEARED))
                result[key] = entry
            entry[3][u256_to_pyint(&sl.key)] = u256_to_pyint(&sl.current)
        if clear:
            for i in range(self.n_accts):
                self.accts[i].flags &= ~<uint32_t>A_DIRTY
        return result
