"""Type stubs for the compiled core (evm/_core.pyx and evm/_core/*.pxi)."""
from typing import Any, Iterable, List, Optional, Sequence, Tuple, Union

from .tracing import Tracer

_Address = Union[bytes, str, int]
_LogTuple = Tuple[bytes, List[bytes], bytes]

#: The execution specs' exception name of each outcome code (None = success).
STATUS_NAMES: Tuple[Optional[str], ...]

def keccak256(data: bytes) -> bytes:
    """Keccak-256 of ``data`` (Ethereum's hash)."""
def _u256_eval(op: str, *args: int) -> int: ...
def check_transaction_constants() -> None:
    """Fail if the core's EIP-7702 constants differ from evm.transaction."""

class TxOutcome:
    """What the core reports of one transaction or call."""
    @property
    def error(self) -> Optional[str]: ...
    @property
    def gas_used(self) -> int: ...
    @property
    def gas_left(self) -> int: ...
    @property
    def gas_refund(self) -> int: ...
    @property
    def output(self) -> bytes: ...
    @property
    def logs(self) -> Sequence[_LogTuple]: ...
    @property
    def contract_address(self) -> Optional[bytes]: ...
    @property
    def success(self) -> bool: ...

class CallResult:
    """The outcome of a message call or deploy (a dataclass)."""
    success: bool
    gas_used: int
    output: bytes
    logs: List[Any]
    error: Optional[str]
    contract_address: Optional[bytes]
    gas_refund: int
    def __init__(self, success: bool, gas_used: int, output: bytes, logs: List[Any], error: Optional[str],
                 contract_address: Optional[bytes] = None, gas_refund: int = 0) -> None: ...
    @property
    def status(self) -> str: ...
    @property
    def halt_reason(self) -> Optional[str]: ...
    @property
    def revert_data(self) -> Optional[bytes]: ...
    @property
    def revert_reason(self) -> Optional[str]: ...

class ExecutionResult:
    """The outcome of ``execute_code`` (a dataclass); ``state`` is built on first access."""
    success: bool
    gas_used: int
    gas_left: int
    gas_refund: int
    output: bytes
    logs: List[Any]
    error: Optional[str]
    contract_address: Optional[bytes]
    _state: Any
    def __init__(self, success: bool, gas_used: int, gas_left: int, gas_refund: int, output: bytes,
                 logs: List[Any], error: Optional[str], contract_address: Optional[bytes],
                 _state: Any = None) -> None: ...
    @property
    def state(self) -> Any: ...

class Journal:
    """Accounts, storage, transient storage, logs, warmth and the undo log."""
    fork: int
    refund_counter: int
    def __init__(self, db: Any, fork: int, precompile_addresses: Iterable[int]) -> None: ...
    def logs(self) -> List[_LogTuple]: ...
    def changes(self, clear: bool = ...) -> dict: ...

class VM:
    """Executes transactions and calls against a Database for one fork."""
    j: Journal
    fork: int
    memory_limit: int
    def __init__(self, db: Any, fork: int, *, tracer: Optional[Tracer] = ..., precompiles: Any = ...,
                 memory_limit: Optional[int] = ...,
                 coinbase: _Address = ..., number: int = ..., timestamp: int = ..., gas_limit: int = ...,
                 prev_randao: Union[int, bytes] = ..., chain_id: int = ..., base_fee: int = ...,
                 blob_base_fee: int = ...) -> None: ...
    def set_block_env(self, *, coinbase: _Address = ..., number: int = ..., timestamp: int = ...,
                      gas_limit: int = ..., prev_randao: Union[int, bytes] = ..., chain_id: int = ...,
                      base_fee: int = ..., blob_base_fee: int = ...) -> None: ...
    def transaction(self, sender: _Address, to: Optional[_Address], value: int, data: bytes,
                    gas_limit: int, *, fees: bool = ..., bump_nonce: bool = ..., gas_price: int = ...,
                    intrinsic_gas: int = ..., upfront_cost: int = ..., priority_fee: int = ...,
                    access_list: Sequence[Tuple[bytes, Sequence[int]]] = ...,
                    authorizations: Sequence[Tuple[int, bytes, int, Optional[bytes]]] = ...,
                    calldata_floor: int = ..., blob_hashes: Sequence[Union[bytes, int]] = ...,
                    create_address: Optional[_Address] = ..., is_static: bool = ...,
                    timeout: float = ...) -> TxOutcome: ...
    def message_call(self, caller: bytes, to: bytes, data: bytes, value: int, gas: int,
                     is_static: bool = ..., timeout: float = ...) -> TxOutcome: ...
    log_type: Any
    def call(self, caller: bytes, to: bytes, data: bytes, value: int, gas: int,
             is_static: bool = ..., timeout: float = ...) -> CallResult: ...
    def run_code(self, db: Any, caller: bytes, address: bytes, code: bytes, data: bytes, value: int, gas: int,
                 create: bool) -> Tuple[ExecutionResult, dict]: ...
    def bench_execute(self, caller: bytes, to: bytes, data: bytes, gas: int,
                      runs: int) -> Tuple[List[float], int, Optional[str]]: ...
    def reset(self, db: Any) -> None: ...
    def account(self, address: _Address) -> Tuple[bool, int, int, bytes]: ...
    def storage(self, address: _Address, key: int) -> int: ...
    def set_balance(self, address: _Address, balance: int) -> None: ...
    def set_code(self, address: _Address, code: bytes) -> None: ...
    def is_precompile(self, address: _Address) -> bool: ...
    def changes(self, clear: bool = ...) -> dict: ...
