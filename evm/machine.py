"""``EVM``: a long-lived machine over a state, for tools that make many calls.

``apply_transaction`` builds a fresh VM per transaction and writes every
change back to the :class:`~evm.state.State` dict. ``EVM`` instead keeps one
compiled VM whose cache *is* the working state: accounts and slots stay in C
tables between calls (so a repeated call never goes back to Python for
them), and :meth:`EVM.commit` writes the changes back to ``state`` when you
want them there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, List, Optional

from .env import BlockEnv
from .executor import Log, TransactionResult, _logs, _make_vm, commit_changes, execute_transaction
from .forks import Fork
from .state import Account, State, to_address
from .transaction import Transaction, validate_transaction

if TYPE_CHECKING:  # pragma: no cover
    from .tracing import Tracer

__all__ = ["EVM", "CallResult"]


@dataclass(slots=True)
class CallResult:
    """The outcome of :meth:`EVM.message_call` / :meth:`EVM.deploy`."""

    success: bool
    gas_used: int
    output: bytes
    logs: List[Log]
    error: Optional[str]
    contract_address: Optional[bytes] = None


class EVM:
    """A persistent EVM for ``fork`` over ``state`` (a new empty one by default).

    >>> evm = EVM()
    >>> evm.set_balance(b"\\x01" * 20, 10**18)
    >>> addr = evm.deploy(b"\\x01" * 20, bytes.fromhex("6001600c60003960016000f300")).contract_address
    >>> evm.message_call(b"\\x01" * 20, addr).success
    True
    """

    def __init__(self, state: Optional[State] = None, fork: Fork = Fork.CANCUN,
                 env: Optional[BlockEnv] = None, tracer: Optional["Tracer"] = None,
                 memory_limit: Optional[int] = None) -> None:
        self.state = state if state is not None else State()
        self.fork = Fork(fork)
        self.env = env if env is not None else BlockEnv()
        self._vm = _make_vm(self.state, self.env, self.fork, tracer, memory_limit)

    # -- reading and writing accounts ----------------------------------------
    def get_balance(self, address: Any) -> int:
        """The balance of ``address`` in the working state."""
        return self._vm.account(to_address(address))[2]

    def get_nonce(self, address: Any) -> int:
        """The nonce of ``address`` in the working state."""
        return self._vm.account(to_address(address))[1]

    def get_code(self, address: Any) -> bytes:
        """The code of ``address`` in the working state."""
        return self._vm.account(to_address(address))[3]

    def get_storage(self, address: Any, key: int) -> int:
        """The value of storage slot ``key`` of ``address``."""
        return self._vm.storage(to_address(address), key)

    def set_balance(self, address: Any, balance: int) -> None:
        """Set the balance of ``address`` (creating the account)."""
        self._vm.set_balance(to_address(address), balance)

    def set_code(self, address: Any, code: bytes) -> None:
        """Set the code of ``address`` (creating the account)."""
        self._vm.set_code(to_address(address), bytes(code))

    # -- executing -------------------------------------------------------------
    def message_call(self, caller: Any, to: Any, data: bytes = b"", value: int = 0,
                     gas: int = 30_000_000, is_static: bool = False) -> CallResult:
        """Call ``to`` from ``caller`` with ``data``, ``value`` and ``gas``.

        A message call outside any transaction: no intrinsic gas, no fees,
        no nonce; the caller must hold ``value``. Its effects stay in the
        working state (see :meth:`commit`).
        """
        if type(caller) is not bytes:
            caller = to_address(caller)
        if type(to) is not bytes:
            to = to_address(to)
        o = self._vm.message_call(caller, to, data if type(data) is bytes else bytes(data), value, gas,
                                  is_static)
        logs = o.logs
        error = o.error
        return CallResult(error is None, o.gas_used, o.output, [Log(*r) for r in logs] if logs else [], error)

    def deploy(self, caller: Any, initcode: bytes, value: int = 0,
               gas: int = 30_000_000) -> CallResult:
        """Create a contract from ``initcode`` at the CREATE address of
        ``caller`` (whose nonce is bumped), outside any transaction."""
        o = self._vm.transaction(to_address(caller), None, value, bytes(initcode), gas, fees=False)
        return CallResult(o.error is None, o.gas_used, o.output, _logs(o), o.error, o.contract_address)

    def transact(self, tx: Transaction) -> TransactionResult:
        """Validate and execute ``tx`` against the working state, with fees,
        refunds and the coinbase's reward, as :func:`evm.apply_transaction`
        does for a ``State``."""
        exists, nonce, balance, code = self._vm.account(tx.sender)
        sender = Account(nonce, balance, code) if exists else None
        gas_price = validate_transaction(tx, sender, self.env, self.fork)
        return execute_transaction(self._vm, self.env, tx, self.fork, gas_price)

    def commit(self) -> None:
        """Write every change made so far back to ``self.state``."""
        commit_changes(self.state, self._vm.changes())
