# C-level declarations shared by the parts of the compiled core (evm/_core/*.pxi).
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t, int32_t
from evm._u256 cimport u256
cimport cython

# Exceptional-halt and outcome codes; STATUS_NAMES (message.pxi) gives each the
# name of the execution specs' exception class.
cdef enum:
    S_SUCCESS = 0
    S_REVERT = 1
    S_OUT_OF_GAS = 2
    S_STACK_UNDERFLOW = 3
    S_STACK_OVERFLOW = 4
    S_INVALID_JUMP = 5
    S_INVALID_OPCODE = 6
    S_WRITE_IN_STATIC = 7
    S_RETURNDATA_OOB = 8
    S_ADDRESS_COLLISION = 9
    S_INVALID_CONTRACT_PREFIX = 10
    S_PRECOMPILE_FAILURE = 11
    S_CODE_SIZE_EXCEEDED = 12
    N_STATUS = 13

# Account record flags
cdef enum:
    A_EXISTS = 1          # present in the state (possibly empty)
    A_WARM = 2            # in accessed_addresses (EIP-2929)
    A_CREATED = 4         # created in this transaction (EIP-6780)
    A_DESTROYED = 8       # in accounts_to_delete
    A_TOUCHED = 16        # touched (EIP-161, Spurious Dragon .. London)
    A_HASH_KNOWN = 32     # code_hash is filled
    A_HAD_STORAGE = 64    # the database said it had non-empty storage
    A_DIRTY = 128         # changed since the last changes(): write back
    A_STICKY_TOUCH = 256  # RIPEMD160 quirk: a touch that no revert undoes
    A_STORAGE_CLEARED = 512  # storage wiped (account re-created over a destroyed one)

# Storage status of an SSTORE, as evmone/EVMC name them: (original, current,
# new) classified so that one table per fork gives the gas and the refund.
cdef enum:
    SS_ASSIGNED = 0          # no net-metering case below applies
    SS_ADDED = 1             # 0 -> 0 -> Z
    SS_DELETED = 2           # X -> X -> 0
    SS_MODIFIED = 3          # X -> X -> Z
    SS_DELETED_ADDED = 4     # X -> 0 -> Z
    SS_MODIFIED_DELETED = 5  # X -> Y -> 0
    SS_DELETED_RESTORED = 6  # X -> 0 -> X
    SS_ADDED_DELETED = 7     # 0 -> Y -> 0
    SS_MODIFIED_RESTORED = 8 # X -> Y -> X
    N_STORAGE_STATUS = 9

cdef struct Acct:
    uint8_t addr[20]
    uint64_t hash
    u256 balance
    uint64_t nonce
    void* code            # owned reference to a bytes object
    uint8_t code_hash[32]
    uint32_t flags

cdef struct Slot:
    uint32_t acct
    uint64_t hash
    u256 key
    u256 original         # value at the start of the transaction
    u256 current
    uint32_t warm

cdef struct Table:
    uint32_t* idx         # open addressing: entry index + 1, 0 = empty
    uint64_t mask

cdef struct Undo:
    uint32_t kind
    uint32_t idx
    u256 old
    uint64_t aux

cdef struct LogRec:
    uint8_t addr[20]
    uint32_t ntopics
    u256 topics[4]
    uint8_t* data
    uint64_t size

cdef struct Checkpoint:
    # a point of the journal to revert to (spec: begin_transaction)
    uint64_t undo
    uint64_t logs
    int64_t refund_counter

cdef struct Env:
    # block environment and transaction context, read by the instructions
    uint8_t origin[20]
    uint8_t coinbase[20]
    u256 gas_price, number, timestamp, gas_limit, prev_randao, chain_id
    u256 base_fee, blob_base_fee
    u256* blob_hashes     # owned
    uint32_t n_blob_hashes
    uint64_t block_number

cdef struct Msg:
    # spec: Message
    uint32_t caller       # account indexes
    uint32_t target       # current_target
    uint32_t code_acct    # code_address: account whose code runs
    u256 value
    const uint8_t* data
    uint64_t data_len
    int64_t gas
    int depth
    bint is_static
    bint is_create
    bint should_transfer_value
    bint disable_precompiles  # EIP-7702: running a delegate's code
    void* code            # borrowed bytes object (the code to execute)
    int call_op           # the opcode that made the message (0: the transaction's)

cdef struct Res:
    int status
    int64_t gas_left
    uint8_t* output       # malloc'd, owned by whoever holds the Res
    uint64_t output_len

cdef struct OpMeta:
    int32_t gas           # charged before the body; < 0: undefined in this fork
    int32_t base          # the opcode's base gas (bodies with dynamic gas charge it)
    uint32_t req          # stack bytes required (items * 32)
    uint32_t span         # allowed stack bytes above `req` before the op
    int64_t delta         # stack change in bytes ((pushes - pops) * 32)

cdef struct BlockInfo:
    # one basic block's static checks, stored at its first pc (see analysis.pxi)
    int32_t gas           # the sum of its instructions' static gas
    uint16_t req          # stack bytes required at entry; 0xFFFF: never runs unchecked
    uint16_t span         # allowed stack bytes above `req` at entry

cdef struct Mem:
    uint8_t* buf
    uint64_t size         # active size in bytes (a multiple of 32)
    uint64_t cap
    int64_t cost          # gas already paid for `size`
    uint64_t limit        # the most memory the frame may use (VM.memory_limit)

cdef struct Frame:
    # the per-frame state the loop keeps outside registers (spec: Evm)
    Mem mem
    uint8_t* rdata        # return_data of the last call (owned)
    uint64_t rdata_len
    void* tracer          # borrowed: the tracer in the traced loop, else NULL
    const int64_t* refund_counter  # the journal's, for the tracer


@cython.final
cdef class Journal:
    """Accounts, storage, transient storage, logs, warmth and the undo log."""
    cdef object db
    cdef public dict block_hashes  # set by the API; asked before the database
    cdef public object inspector   # gets the events whose H_* bit is in hooks
    cdef public int hooks
    cdef readonly int fork
    cdef Acct* accts
    cdef uint32_t n_accts, cap_accts
    cdef Table acct_tab
    cdef Slot* slots
    cdef uint32_t n_slots, cap_slots
    cdef Table slot_tab
    cdef Slot* tslots
    cdef uint32_t n_tslots, cap_tslots
    cdef Table tslot_tab
    cdef Undo* undo
    cdef uint64_t n_undo, cap_undo
    cdef LogRec* log_recs
    cdef uint64_t n_logs, cap_logs
    cdef public int64_t refund_counter  # signed: EIP-2200 may subtract inside a frame
    cdef int64_t sticky   # account with the RIPEMD160 sticky touch, or -1
    cdef uint8_t precompile_low[256]
    cdef bint p256_active
    cdef Undo* history    # machine-level journal across transactions (snapshots)
    cdef uint64_t n_history, cap_history
    cdef readonly bint recording
    cdef bint busy        # its VM is running a call: the Python methods refuse to run

    cdef int64_t account(self, const uint8_t* addr) except -1 nogil
    cdef int64_t _find_account(self, const uint8_t* addr, uint64_t h) noexcept nogil
    cdef int64_t _load_account(self, const uint8_t* addr, uint64_t h) except -1
    cdef int64_t _insert_loaded(self, const uint8_t* addr, uint64_t h, bint exists, const u256* balance,
                                uint64_t nonce, bytes code, bint had_storage) except -1
    cdef int access_account(self, uint32_t e) except -1 nogil
    cdef int _push_undo(self, uint32_t kind, uint32_t idx, const u256* old, uint64_t aux) except -1 nogil
    cdef int _set_flags(self, uint32_t e, uint32_t flags) except -1 nogil
    cdef int add_flags(self, uint32_t e, uint32_t flags) except -1 nogil
    cdef bint is_empty(self, uint32_t e) noexcept nogil
    cdef bint is_alive(self, uint32_t e) noexcept nogil
    cdef bint exists(self, uint32_t e) noexcept nogil
    cdef int _after_modify(self, uint32_t e) except -1
    cdef int set_balance(self, uint32_t e, const u256* v) except -1
    cdef int set_nonce(self, uint32_t e, uint64_t n) except -1
    cdef int increment_nonce(self, uint32_t e) except -1
    cdef int set_code(self, uint32_t e, object code) except -1
    cdef int move_ether(self, uint32_t src, uint32_t dst, const u256* value) except -1
    cdef int touch(self, uint32_t e) except -1
    cdef const uint8_t* code_hash(self, uint32_t e) noexcept nogil
    cdef bint has_code_or_nonce_or_storage(self, uint32_t e) noexcept
    cdef int64_t delegation(self, uint32_t e) except -2
    cdef bint is_precompile(self, const uint8_t* a) noexcept nogil
    cdef int64_t storage(self, uint32_t acct, const u256* key) except -1 nogil
    cdef int64_t _load_storage(self, uint32_t acct, const u256* key) except -1
    cdef int access_storage(self, uint32_t sl) except -1 nogil
    cdef int sload(self, uint32_t acct, const u256* key, u256* out) except -1 nogil
    cdef int sstore(self, uint32_t acct, const u256* key, const u256* value, bint* cold) except -1 nogil
    cdef int tload(self, uint32_t acct, const u256* key, u256* out) except -1 nogil
    cdef int tstore(self, uint32_t acct, const u256* key, const u256* value) except -1 nogil
    cdef int add_log(self, const uint8_t* addr, const u256* topics, uint32_t n,
                     const uint8_t* data, uint64_t size) except -1
    cdef int block_hash(self, uint64_t number, u256* out) except -1
    cdef int _report_log(self, const uint8_t* addr, const u256* topics, uint32_t n,
                         const uint8_t* data, uint64_t size) except -1
    cdef void checkpoint(self, Checkpoint* c) noexcept
    cdef void revert(self, const Checkpoint* c) noexcept
    cdef int end_transaction(self) except -1
    cdef int _delete_account(self, uint32_t e) except -1
    cdef int _history_push(self, const Undo* u) except -1
    cdef int _history_append(self) except -1
    cdef int _history_account(self, uint32_t e) except -1
    cdef int _history_note_slot(self, uint32_t sl) except -1
    cdef void _history_clear(self) noexcept
    cdef int _idle(self) except -1
    cdef dict collect_changes(self, bint clear)
    cdef int clear(self, object db) except -1
    cdef int load_given(self, object address, object nonce, object balance, bytes code) except -1
    cdef int _table_init(self, Table* t, uint64_t cap) except -1
    cdef int _table_reset(self, Table* t, uint64_t cap) except -1
    cdef int _table_insert(self, Table* t, uint64_t h, uint32_t entry, uint32_t count) except -1 nogil
    cdef int _table_rehash(self, Table* t) except -1 nogil
    cdef int64_t _slot_in(self, Table* t, Slot** items, uint32_t* n, uint32_t* cap,
                          uint32_t acct, const u256* key, bint create) except -2 nogil


@cython.final
cdef class VM:
    """The host of the interpreter for one fork: journal, environment, frames."""
    cdef readonly Journal j
    cdef public object tracer   # the traced loop runs while it is set
    cdef object trace_output  # code deployed by the top-level create (for tx_end)
    cdef object run_precompile
    cdef readonly int fork
    cdef Env env
    cdef u256** stacks    # one operand stack per depth, allocated on first use
    cdef int n_stacks
    cdef Mem* spare_mem   # per depth: a zeroed buffer a finished frame left for the next (buf, cap)
    cdef public uint64_t memory_limit  # bytes per frame; beyond: MemoryLimitExceeded
    cdef public object log_type     # the logs of call()'s CallResult: evm.executor.Log
    cdef double timeout   # the running call's wall-clock bound in seconds (0: none)
    cdef double deadline  # when it ends, on the monotonic clock
    cdef int frames_left  # frames to start before the next signal check

    cdef u256* stack_for(self, int depth) except NULL
    cdef void take_memory(self, int depth, Mem* m) noexcept nogil
    cdef void give_memory(self, int depth, Mem* m) noexcept nogil
    cdef int _set_blob_hashes(self, object blob_hashes) except -1
    cdef int _enter(self) except -1
    cdef int _start_clock(self, double timeout) except -1
    cdef object _call(self, bytes caller, bytes to, bytes data, object value, int64_t gas, bint is_static,
                      double timeout, bint create=*)
