"""cyevm: a fast Ethereum Virtual Machine for Python.

The hot path (dispatch loop, 256-bit arithmetic, memory, journal) is a
compiled Cython core; this package is its thin Python API::

    from evm import execute_code
    result = execute_code(bytes.fromhex("600160010160005260206000f3"))
    assert result.gas_used == 24

    from evm import State, Account, BlockEnv, Transaction, apply_transaction, Fork
    state = State({sender: Account(balance=10**18)})
    result = apply_transaction(state, BlockEnv(), Transaction(sender=sender, to=..., gas_price=10), Fork.CANCUN)
"""
from __future__ import annotations

try:
    from . import _core  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the build
    raise ImportError(
        "cyevm's compiled core (evm._core) is missing or failed to load: "
        f"{exc}. Build it with `pip install .` (or `pip install -e .`) from the "
        "source tree; cyevm has no pure-Python fallback."
    ) from exc

from typing import TYPE_CHECKING

from .env import BlockEnv
from .errors import DatabaseError, ExecutionTimeout, MemoryLimitExceeded, ReentrancyError
from .executor import (
    ExecutionResult,
    Log,
    TransactionResult,
    apply_transaction,
    compute_contract_address,
    execute_code,
)
from .forks import Fork, fork_from_name
from .machine import EVM, CallResult, Revert
from .inspector import AccessListBuilder, CallTracer, Inspector, OpcodeCounter
from .state import Account, Database, State, to_address
from .transaction import InvalidTransaction, Transaction

__version__ = "0.1.0"

__all__ = [
    "AccessListBuilder",
    "Account",
    "BlockEnv",
    "CallResult",
    "CallTracer",
    "EVM",
    "Database",
    "ExecutionResult",
    "Fork",
    "Inspector",
    "InvalidTransaction",
    "Log",
    "DatabaseError",
    "ExecutionTimeout",
    "MemoryLimitExceeded",
    "ReentrancyError",
    "OpcodeCounter",
    "RPCDatabase",
    "RPCError",
    "Revert",
    "State",
    "Transaction",
    "TransactionResult",
    "apply_transaction",
    "compute_contract_address",
    "execute_code",
    "fork_from_name",
    "to_address",
    "__version__",
]

if TYPE_CHECKING:  # pragma: no cover
    from .forkdb import RPCDatabase, RPCError


def __getattr__(name: str) -> object:
    # fork mode pulls in http.client and ssl: import it only when asked for
    if name in ("RPCDatabase", "RPCError"):
        from . import forkdb

        return getattr(forkdb, name)
    raise AttributeError(f"module 'evm' has no attribute {name!r}")
