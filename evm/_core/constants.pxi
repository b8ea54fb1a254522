# Forks and gas constants as C constants. Their one home is Python (evm.forks,
# evm.gas, evm.transaction); _check_constants() verifies every copy at import.
from evm.forks import Fork
from evm import gas as _gas

cdef enum:
    STACK_LIMIT = 1024
    STACK_DEPTH_LIMIT = 1024
    GAS_MEMORY = 3
    GAS_COPY = 3
    GAS_KECCAK256_WORD = 6
    GAS_EXPONENT_PER_BYTE_FRONTIER = 10
    GAS_EXPONENT_PER_BYTE = 50
    GAS_LOG_DATA = 8
    GAS_LOG_TOPIC = 375
    GAS_WARM_ACCESS = 100
    GAS_COLD_ACCOUNT_ACCESS = 2600
    GAS_COLD_SLOAD = 2100
    GAS_SLOAD_FRONTIER = 200
    GAS_SLOAD_ISTANBUL = 800
    GAS_STORAGE_SET = 20000
    GAS_STORAGE_UPDATE = 5000
    GAS_STORAGE_CLEAR_REFUND = 15000
    GAS_STORAGE_CLEAR_REFUND_LONDON = 4800
    GAS_CALL_VALUE = 9000
    GAS_NEW_ACCOUNT = 25000
    GAS_CALL_STIPEND = 2300
    GAS_SELF_DESTRUCT_NEW_ACCOUNT = 25000
    REFUND_SELF_DESTRUCT = 24000
    GAS_CODE_DEPOSIT = 200
    GAS_INIT_CODE_WORD_COST = 2
    MAX_CODE_SIZE = 24576
    MAX_INIT_CODE_SIZE = 49152
    PER_EMPTY_ACCOUNT_COST = 25000
    PER_AUTH_BASE_COST = 12500
    EOA_DELEGATED_CODE_LENGTH = 23

cdef enum:
    F_FRONTIER = 0
    F_HOMESTEAD = 1
    F_TANGERINE_WHISTLE = 2
    F_SPURIOUS_DRAGON = 3
    F_BYZANTIUM = 4
    F_CONSTANTINOPLE = 5
    F_PETERSBURG = 6
    F_ISTANBUL = 7
    F_BERLIN = 8
    F_LONDON = 9
    F_PARIS = 10
    F_SHANGHAI = 11
    F_CANCUN = 12
    F_PRAGUE = 13
    F_OSAKA = 14
    N_FORKS = 15

#: EIP-7702: a delegation designator is this marker followed by an address.
cdef bytes EOA_DELEGATION_MARKER = b"\xef\x01\x00"

#: A gas cost that no gas limit can pay: saturated arithmetic ends here.
cdef uint64_t GAS_SAT = UINT64_MAX


def _check_constants():
    """Fail the import if a C copy differs from its Python home."""
    forks = {
        "FRONTIER": F_FRONTIER, "HOMESTEAD": F_HOMESTEAD, "TANGERINE_WHISTLE": F_TANGERINE_WHISTLE,
        "SPURIOUS_DRAGON": F_SPURIOUS_DRAGON, "BYZANTIUM": F_BYZANTIUM,
        "CONSTANTINOPLE": F_CONSTANTINOPLE, "PETERSBURG": F_PETERSBURG, "ISTANBUL": F_ISTANBUL,
        "BERLIN": F_BERLIN, "LONDON": F_LONDON, "PARIS": F_PARIS, "SHANGHAI": F_SHANGHAI,
        "CANCUN": F_CANCUN, "PRAGUE": F_PRAGUE, "OSAKA": F_OSAKA,
    }
    if {f.name: int(f) for f in Fork} != forks or len(Fork) != N_FORKS:
        raise ImportError("evm._core was built for other forks than evm.forks defines: rebuild it")
    consts = {
        "STACK_LIMIT": STACK_LIMIT, "STACK_DEPTH_LIMIT": STACK_DEPTH_LIMIT,
        "GAS_MEMORY": GAS_MEMORY, "GAS_COPY": GAS_COPY, "GAS_KECCAK256_WORD": GAS_KECCAK256_WORD,
        "GAS_EXPONENT_PER_BYTE_FRONTIER": GAS_EXPONENT_PER_BYTE_FRONTIER,
        "GAS_EXPONENT_PER_BYTE": GAS_EXPONENT_PER_BYTE,
        "GAS_LOG_DATA": GAS_LOG_DATA, "GAS_LOG_TOPIC": GAS_LOG_TOPIC,
        "GAS_WARM_ACCESS": GAS_WARM_ACCESS, "GAS_COLD_ACCOUNT_ACCESS": GAS_COLD_ACCOUNT_ACCESS,
        "GAS_COLD_SLOAD": GAS_COLD_SLOAD, "GAS_SLOAD_FRONTIER": GAS_SLOAD_FRONTIER,
        "GAS_SLOAD_ISTANBUL": GAS_SLOAD_ISTANBUL, "GAS_STORAGE_SET": GAS_STORAGE_SET,
        "GAS_STORAGE_UPDATE": GAS_STORAGE_UPDATE,
        "GAS_STORAGE_CLEAR_REFUND": GAS_STORAGE_CLEAR_REFUND,
        "GAS_STORAGE_CLEAR_REFUND_LONDON": GAS_STORAGE_CLEAR_REFUND_LONDON,
        "GAS_CALL_VALUE": GAS_CALL_VALUE, "GAS_NEW_ACCOUNT": GAS_NEW_ACCOUNT,
        "GAS_CALL_STIPEND": GAS_CALL_STIPEND,
        "GAS_SELF_DESTRUCT_NEW_ACCOUNT": GAS_SELF_DESTRUCT_NEW_ACCOUNT,
        "REFUND_SELF_DESTRUCT": REFUND_SELF_DESTRUCT, "GAS_CODE_DEPOSIT": GAS_CODE_DEPOSIT,
        "GAS_INIT_CODE_WORD_COST": GAS_INIT_CODE_WORD_COST, "MAX_CODE_SIZE": MAX_CODE_SIZE,
        "MAX_INIT_CODE_SIZE": MAX_INIT_CODE_SIZE,
    }
    for name, value in consts.items():
        if getattr(_gas, name) != value:
            raise ImportError(f"evm._core's {name} = {value} differs from evm.gas: rebuild it")


def check_transaction_constants():
    """Fail if the core's EIP-7702 copies differ from evm.transaction (called
    by evm.executor once evm.transaction, which needs this module, is loaded)."""
    from evm import transaction as _transaction
    for name, value in (("PER_EMPTY_ACCOUNT_COST", PER_EMPTY_ACCOUNT_COST),
                        ("PER_AUTH_BASE_COST", PER_AUTH_BASE_COST),
                        ("EOA_DELEGATED_CODE_LENGTH", EOA_DELEGATED_CODE_LENGTH)):
        if getattr(_transaction, name) != value:
            raise ImportError(f"evm._core's {name} = {value} differs from evm.transaction: rebuild it")
    if _transaction.EOA_DELEGATION_MARKER != EOA_DELEGATION_MARKER:
        raise ImportError("evm._core's EIP-7702 marker differs from evm.transaction")

_check_constants()
