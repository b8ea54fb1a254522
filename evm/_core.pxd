# C-level declarations shared by the parts of the compiled core.
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t
from evm._u256 cimport u256

# Exceptional-halt and outcome codes; names follow the execution specs'
# exception classes (see STATUS_NAMES in _core.pyx).
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
    S_INSUFFICIENT_BALANCE = 13
    S_CALL_DEPTH = 14
    S_NONCE_OVERFLOW = 15
    N_STATUS = 16

# Account record flags
cdef enum:
    A_EXISTS = 1          # present in the state (possibly empty)
    A_WARM = 2            # in accessed_addresses (EIP-2929)
    A_CREATED = 4         # created in this transaction (EIP-6780)
    A_DESTROYED = 8       # in accounts_to_delete
    A_TOUCHED = 16        # touched (EIP-161, Spurious Dragon .. London)
    A_HASH_KNOWN = 32     # code_hash is filled
    A_HAD_STORAGE = 64    # the database said it had non-empty storage
    A_DIRTY = 128         # changed in this transaction: write back on commit
    A_STICKY_TOUCH = 256  # RIPEMD160 quirk: a touch that no revert undoes
    A_STORAGE_CLEARED = 512  # storage wiped (account re-created over a destroyed one)

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

cdef struct Msg:
    uint32_t caller       # account indexes
    uint32_t target       # current_target
    uint32_t code_acct    # account whose code runs
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

cdef struct Res:
    int status
    int64_t gas_left
    uint8_t* output       # malloc'd, owned by whoever holds the Res
    uint64_t output_len
    uint32_t created      # account index of the new contract (CREATE)
