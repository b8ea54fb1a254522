"""``EVM``: a long-lived machine over a state, for tools that make many calls.

``apply_transaction`` builds a fresh VM per transaction and writes every
change back to the :class:`~evm.state.State` dict. ``EVM`` instead keeps one
compiled VM whose cache *is* the working state: accounts and slots stay in C
tables between calls (so a repeated call never goes back to Python for
them). Every read and write goes through the machine (``get_*``/``set_*``,
``accounts()``, the read-only ``state`` view); :meth:`EVM.commit` writes the
changes back to the database when it can hold them.

Snapshots (:meth:`EVM.snapshot`, :meth:`EVM.revert`, :meth:`EVM.anchor`)
come from the core's journal and cost O(changes); every call is atomic: an
exception raised inside it (by an inspector, the database, a precompile,
KeyboardInterrupt) leaves the machine as it was before the call.
"""
from __future__ import annotations

import contextlib
import dataclasses
import operator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Dict, Iterator, List, Mapping, Optional, Tuple

from . import _core
from .env import BlockEnv
from .executor import (
    Log,
    TransactionResult,
    _logs,
    _make_vm,
    block_env_arguments,
    commit_changes,
    execute_transaction,
)
from .forks import Fork, fork_from_name
from .state import Account, State, check_bytes as _bytes, check_uint, to_address
from .transaction import Transaction, validate_transaction

if TYPE_CHECKING:  # pragma: no cover
    from .tracing import Tracer

__all__ = ["EVM", "CallResult", "Revert", "PANIC_CODES", "decode_revert", "as_fork"]

#: The largest gas the core represents (its gas counters are signed 64-bit).
MAX_GAS = (1 << 63) - 1

#: Solidity's Panic(uint256) codes and what they mean.
PANIC_CODES = {
    0x00: "generic compiler panic",
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "invalid storage byte array encoding",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to a zero-initialized function",
}
_ERROR_SELECTOR = bytes.fromhex("08c379a0")  # Error(string)
_PANIC_SELECTOR = bytes.fromhex("4e487b71")  # Panic(uint256)


def decode_revert(data: bytes) -> Optional[str]:
    """A readable reason for revert ``data``: ``Error(string)``'s message,
    ``Panic(uint256)``'s code and meaning, or ``None`` if it is neither."""
    if data[:4] == _ERROR_SELECTOR and len(data) >= 68:
        offset = int.from_bytes(data[4:36], "big")
        if offset + 32 <= len(data) - 4:
            length = int.from_bytes(data[4 + offset:36 + offset], "big")
            raw = data[36 + offset:36 + offset + length]
            if len(raw) == length:
                return raw.decode("utf-8", "replace")
        return None
    if data[:4] == _PANIC_SELECTOR and len(data) == 36:
        code = int.from_bytes(data[4:], "big")
        return f"Panic(0x{code:02x}): {PANIC_CODES.get(code, 'unknown panic code')}"
    return None


#: The outcome of a call (a dataclass; defined in the core, which fills it in C).
CallResult = _core.CallResult


class Revert(Exception):
    """Raised by calls with ``raise_on_revert=True`` when the call reverted;
    ``result`` is the :class:`CallResult`, ``reason`` its decoded data."""

    def __init__(self, result: CallResult) -> None:
        self.result = result
        self.data = result.output
        self.reason = result.revert_reason
        super().__init__(self.reason if self.reason is not None else f"reverted with 0x{self.data.hex()}")


def as_fork(fork: Any) -> Fork:
    """A :class:`Fork` from a Fork, its number or a name the CLI takes."""
    if isinstance(fork, Fork):
        return fork
    if isinstance(fork, str):
        return fork_from_name(fork)
    try:
        return Fork(operator.index(fork))
    except (TypeError, ValueError):
        raise ValueError(f"fork must be a Fork or a fork name, got {fork!r}") from None


def _gas(value: Any, name: str = "gas") -> int:
    v = check_uint(value, name, 1 << 64)
    if v > MAX_GAS:
        raise ValueError(f"{name} {v} is above the limit of 2**63-1 gas that the core represents")
    return v


def bisect_gas(same: Any, lo: int, hi: int) -> int:
    """The least gas in (lo, hi] for which ``same(gas)`` holds, given that
    it fails at ``lo`` and holds at ``hi`` and more gas never breaks it."""
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if same(mid):
            hi = mid
        else:
            lo = mid
    return hi


def _timeout(value: Any) -> float:
    """A timeout in seconds as the core takes it (0.0: none)."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 \
            or value == float("inf"):
        raise ValueError(f"timeout must be a positive number of seconds or None, got {value!r}")
    return float(value)


def _address(value: Any, name: str) -> bytes:
    if type(value) is bytes and len(value) == 20:
        return value
    if isinstance(value, bool) or not isinstance(value, (bytes, bytearray, str, int)):
        try:
            value = operator.index(value)
        except TypeError:
            raise TypeError(f"{name} must be an address (20 bytes, hex or int), "
                            f"got {type(value).__name__}") from None
    try:
        return to_address(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


class _ReadOnlyAccount(Account):
    """An account as the machine sees it; change it through the EVM's setters."""

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(f"the state view is read-only: use EVM.set_{name}(...) instead")
        object.__setattr__(self, name, value)


class StateView(Mapping[bytes, Account]):
    """A read-only view of the machine's working state: ``view[address]`` is
    the account as the next call sees it (storage: the slots the database
    and the machine know)."""

    def __init__(self, evm: "EVM") -> None:
        self._evm = evm

    def __getitem__(self, address: Any) -> Account:
        address = _address(address, "address")
        exists, nonce, balance, code = self._evm._vm.account(address)
        if not exists:
            raise KeyError(address)
        storage: Dict[int, int] = {}
        db_acct = getattr(self._evm.db, "accounts", {}).get(address)
        keys = set(db_acct.storage) if db_acct is not None else set()
        keys.update(self._evm._vm.cached_slots(address))
        for key in keys:
            value = self._evm._vm.storage(address, key)
            if value:
                storage[key] = value
        acct = _ReadOnlyAccount(nonce, balance, code, MappingProxyType(storage))  # type: ignore[arg-type]
        object.__setattr__(acct, "_frozen", True)
        return acct

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._evm.accounts())

    def __len__(self) -> int:
        return len(self._evm.accounts())


class EVM:
    """A persistent EVM for ``fork`` over ``db`` (any :class:`~evm.state.Database`;
    a new empty :class:`State` by default).

    >>> evm = EVM()
    >>> evm.set_balance(b"\\x01" * 20, 10**18)
    >>> addr = evm.deploy(b"\\x01" * 20, bytes.fromhex("6001600c60003960016000f300")).contract_address
    >>> evm.message_call(b"\\x01" * 20, addr).success
    True
    """

    def __init__(self, state: Any = None, fork: Any = Fork.CANCUN,
                 env: Optional[BlockEnv] = None, tracer: Any = None, *, db: Any = None,
                 inspector: Any = None, memory_limit: Optional[int] = None,
                 timeout: Optional[float] = None) -> None:
        if state is not None and db is not None:
            raise TypeError("give the database as state= or db=, not both")
        db = db if db is not None else state
        self.db = db if db is not None else State()
        for method in ("get_account", "get_storage", "get_block_hash"):
            if not callable(getattr(self.db, method, None)):
                raise TypeError(f"db must implement the Database protocol (no {method}())")
        self.fork = as_fork(fork)
        if env is not None and not isinstance(env, BlockEnv):
            raise TypeError(f"env must be a BlockEnv, got {type(env).__name__}")
        self._env = env if env is not None else BlockEnv()
        self.tracer = tracer
        self.inspector = inspector
        #: Default wall-clock bound, in seconds, of every call (None: none);
        #: a call's own ``timeout=`` overrides it. See :meth:`message_call`.
        _timeout(timeout)  # checked now, converted per call
        self.timeout: Optional[float] = timeout
        self._vm = _make_vm(self.db, self._env, self.fork, None, memory_limit)
        self._vm.log_type = Log  # for the core's call()
        self._install(tracer, inspector)
        self._snapshots: List[Tuple[int, int, int]] = []  # (id, history mark, commit log length)
        # what commit() overwrote in a State while snapshots are live: (address, prior account)
        self._commit_log: List[Tuple[bytes, Optional[Account]]] = []
        self._next_snapshot = 1

    # -- the block ----------------------------------------------------------------
    @property
    def env(self) -> BlockEnv:
        """The block environment; assigning one takes effect on the next call."""
        return self._env

    @env.setter
    def env(self, env: BlockEnv) -> None:
        if not isinstance(env, BlockEnv):
            raise TypeError(f"env must be a BlockEnv, got {type(env).__name__}")
        self._vm.set_block_env(**block_env_arguments(env, self.fork))
        self._env = env

    def set_block(self, **fields: Any) -> None:
        """Change fields of the block environment (``number=``, ``timestamp=``,
        ``coinbase=``, ``base_fee=`` ... as in :class:`BlockEnv`)."""
        try:
            self.env = dataclasses.replace(self._env, **fields)
        except TypeError as exc:
            raise TypeError(f"set_block: {exc}") from None

    def set_block_hash(self, number: Any, block_hash: Any) -> None:
        """Make BLOCKHASH(``number``) return ``block_hash`` (32 bytes)."""
        number = check_uint(number, "number", 1 << 64)
        block_hash = _bytes(block_hash, "block_hash")
        if len(block_hash) != 32:
            raise ValueError(f"block_hash must be 32 bytes, got {len(block_hash)}")
        if self._vm.j.block_hashes is None:
            self._vm.j.block_hashes = {}
        self._vm.j.block_hashes[number] = block_hash

    # -- reading and writing accounts ----------------------------------------
    def get_balance(self, address: Any) -> int:
        """The balance of ``address`` in the working state."""
        return self._vm.account(_address(address, "address"))[2]

    def get_nonce(self, address: Any) -> int:
        """The nonce of ``address`` in the working state."""
        return self._vm.account(_address(address, "address"))[1]

    def get_code(self, address: Any) -> bytes:
        """The code of ``address`` in the working state."""
        return self._vm.account(_address(address, "address"))[3]

    def get_storage(self, address: Any, key: Any) -> int:
        """The value of storage slot ``key`` of ``address``."""
        return self._vm.storage(_address(address, "address"), check_uint(key, "key", 1 << 256))

    def account_exists(self, address: Any) -> bool:
        """Whether ``address`` exists in the working state."""
        return self._vm.account(_address(address, "address"))[0]

    def set_balance(self, address: Any, balance: Any) -> None:
        """Set the balance of ``address`` (creating the account)."""
        self._vm.set_balance(_address(address, "address"), check_uint(balance, "balance", 1 << 256))

    def set_nonce(self, address: Any, nonce: Any) -> None:
        """Set the nonce of ``address`` (creating the account)."""
        self._vm.set_nonce(_address(address, "address"), check_uint(nonce, "nonce", 1 << 64))

    def set_code(self, address: Any, code: Any) -> None:
        """Set the code of ``address`` (creating the account)."""
        self._vm.set_code(_address(address, "address"), _bytes(code, "code"))

    def set_storage(self, address: Any, key: Any, value: Any) -> None:
        """Set storage slot ``key`` of ``address`` (creating the account)."""
        self._vm.set_storage(_address(address, "address"), check_uint(key, "key", 1 << 256),
                             check_uint(value, "value", 1 << 256))

    def delete_account(self, address: Any) -> None:
        """Remove ``address`` and its storage from the working state."""
        self._vm.delete_account(_address(address, "address"))

    def accounts(self) -> List[bytes]:
        """The addresses of every existing account the machine knows: those
        of the database if it can list them (a ``State``) and every one the
        machine has created or read."""
        known = dict.fromkeys(getattr(self.db, "accounts", ()))
        known.update(dict.fromkeys(self._vm.cached_addresses()))
        return [a for a in known if self._vm.account(a)[0]]

    @property
    def state(self) -> StateView:
        """A read-only view of the working state (see :class:`StateView`)."""
        return StateView(self)

    # -- snapshots -------------------------------------------------------------------
    def snapshot(self) -> int:
        """A snapshot id of the working state for :meth:`revert`. It costs
        O(1); while a snapshot is live each transaction keeps its journal
        (O(changes)). Ids stay valid across :meth:`commit`."""
        mark = self._vm.j.history_mark()
        sid = self._next_snapshot
        self._next_snapshot += 1
        self._snapshots.append((sid, mark, len(self._commit_log)))
        return sid

    def revert(self, snapshot: int) -> None:
        """Return the working state to ``snapshot``. Snapshots taken after it
        are discarded; ``snapshot`` itself stays valid (revert to it again)."""
        for i, (sid, mark, committed) in enumerate(self._snapshots):
            if sid == snapshot:
                break
        else:
            raise ValueError(f"unknown or discarded snapshot {snapshot!r}")
        self._vm.j.history_revert(mark)
        # the database gets back what later commits overwrote (storage the
        # machine never read included); the restored records are written again
        # by the next commit
        while len(self._commit_log) > committed:
            address, prior = self._commit_log.pop()
            if prior is None:
                self.db.accounts.pop(address, None)
            else:
                self.db.accounts[address] = prior
        del self._snapshots[i + 1:]

    def release(self, snapshot: int) -> None:
        """Forget ``snapshot`` and every later one (keeping the state); with
        none left the machine stops recording history."""
        for i, (sid, _, _) in enumerate(self._snapshots):
            if sid == snapshot:
                del self._snapshots[i:]
                break
        else:
            raise ValueError(f"unknown or discarded snapshot {snapshot!r}")
        if not self._snapshots:
            self._vm.j.history_stop()
            self._commit_log.clear()

    @contextlib.contextmanager
    def anchor(self) -> Iterator[int]:
        """``with evm.anchor(): ...`` reverts every change made inside at exit."""
        sid = self.snapshot()
        try:
            yield sid
        finally:
            self.revert(sid)
            self.release(sid)

    # -- executing -------------------------------------------------------------
    def _install(self, tracer: Any, inspector: Any) -> None:
        """Attach an EIP-3155 ``tracer`` (the traced loop's protocol) and an
        :class:`~evm.inspector.Inspector` (only its overridden hooks)."""
        from .inspector import StepAdapter, hooks_of
        bits, step = hooks_of(inspector) if inspector is not None else (0, False)
        if step and tracer is not None:
            raise ValueError("give a tracer or an inspector with step(), not both")
        self._vm.tracer = tracer if tracer is not None else (StepAdapter(inspector) if step else None)
        self._vm.j.inspector = inspector
        self._vm.j.hooks = bits

    @contextlib.contextmanager
    def _tracing(self, tracer: Any, inspector: Any = None) -> Iterator[None]:
        """Use ``tracer``/``inspector`` for one call instead of the machine's."""
        if tracer is None and inspector is None:
            yield
            return
        j = self._vm.j
        saved = (self._vm.tracer, j.inspector, j.hooks)
        self._install(tracer, inspector)
        try:
            yield
        finally:
            self._vm.tracer, j.inspector, j.hooks = saved

    def message_call(self, caller: Any, to: Any, data: Any = b"", value: Any = 0,
                     gas: Any = 30_000_000, is_static: bool = False, *, tracer: Any = None,
                     inspector: Any = None, raise_on_revert: bool = False,
                     timeout: Optional[float] = None) -> CallResult:
        """Call ``to`` from ``caller`` with ``data``, ``value`` and ``gas``.

        A message call outside any transaction: no intrinsic gas, no fees,
        no nonce; the caller must hold ``value``. Its effects stay in the
        working state (see :meth:`commit`). ``tracer`` (EIP-3155) and
        ``inspector`` (:class:`~evm.inspector.Inspector`) apply to this call
        only; ``raise_on_revert`` raises :class:`Revert` for a REVERT.
        ``timeout`` (seconds, default :attr:`timeout`): a call still running
        then raises :class:`~evm.errors.ExecutionTimeout` and, like any
        exception out of a call, leaves the machine as it was before it.
        """
        if type(caller) is not bytes or len(caller) != 20:
            caller = _address(caller, "caller")
        if type(to) is not bytes or len(to) != 20:
            to = _address(to, "to")
        if type(data) is not bytes:
            data = _bytes(data, "data")
        if type(gas) is not int or not 0 <= gas <= MAX_GAS:
            gas = _gas(gas)
        if value:
            value = check_uint(value, "value", 1 << 256)
        t = 0.0 if timeout is None and self.timeout is None else _timeout(
            self.timeout if timeout is None else timeout)
        if tracer is None and inspector is None:
            result = self._vm.call(caller, to, data, value, gas, is_static, t)
        else:
            with self._tracing(tracer, inspector):
                result = self._vm.call(caller, to, data, value, gas, is_static, t)
        if raise_on_revert and result.error == "Revert":
            raise Revert(result)
        return result

    def deploy(self, caller: Any, initcode: Any, value: Any = 0,
               gas: Any = 30_000_000, *, tracer: Any = None, inspector: Any = None,
               raise_on_revert: bool = False, timeout: Optional[float] = None) -> CallResult:
        """Create a contract from ``initcode`` at the CREATE address of
        ``caller`` (whose nonce is bumped), outside any transaction.
        ``timeout``: as for :meth:`message_call`."""
        caller = _address(caller, "caller")
        initcode = _bytes(initcode, "initcode")
        value = check_uint(value, "value", 1 << 256)
        gas = _gas(gas)
        with self._tracing(tracer, inspector):
            o = self._vm.transaction(caller, None, value, initcode, gas, fees=False,
                                     timeout=_timeout(self.timeout if timeout is None else timeout))
        result = CallResult(o.error is None, o.gas_used, o.output, _logs(o), o.error, o.contract_address,
                            o.gas_refund)
        if raise_on_revert and o.error == "Revert":
            raise Revert(result)
        return result

    def transact(self, tx: Transaction, *, tracer: Any = None, inspector: Any = None,
                 timeout: Optional[float] = None) -> TransactionResult:
        """Validate and execute ``tx`` against the working state, with fees,
        refunds and the coinbase's reward, as :func:`evm.apply_transaction`
        does for a ``State``. ``timeout``: as for :meth:`message_call`."""
        if not isinstance(tx, Transaction):
            raise TypeError(f"tx must be a Transaction, got {type(tx).__name__}")
        exists, nonce, balance, code = self._vm.account(tx.sender)
        sender = Account(nonce, balance, code) if exists else None
        gas_price = validate_transaction(tx, sender, self._env, self.fork)
        with self._tracing(tracer, inspector):
            return execute_transaction(self._vm, self._env, tx, self.fork, gas_price,
                                       _timeout(self.timeout if timeout is None else timeout))

    # -- gas estimation ----------------------------------------------------------------
    def _outcome(self, caller: bytes, to: bytes, data: bytes, value: int, gas: int) -> Tuple[Any, ...]:
        """Run the call in an anchor and describe everything it decides:
        success, output, logs and the post-values of what it changed."""
        from .inspector import Inspector
        with self.anchor() as sid, self._tracing(None, Inspector()):  # no hooks while estimating
            mark = next(m for i, m, _ in self._snapshots if i == sid)
            o = self._vm.message_call(caller, to, data, value, gas, False)
            changed = self._vm.j.history_changes(mark)
            return (o.error, o.output, tuple((a, tuple(t), d) for a, t, d in o.logs), changed), o.gas_used

    def estimate_gas(self, caller: Any, to: Any, data: Any = b"", value: Any = 0,
                     gas_cap: Any = None) -> int:
        """The smallest gas at which the call has the outcome it has with
        ``gas_cap`` (default: the block's gas limit): the same success,
        output, logs and state changes. Exact, assuming more gas never
        changes an outcome that less gas reached; the state is unchanged.
        ``self.estimate_runs`` says how many executions it took;
        ``self.estimate_error`` and ``self.estimate_output`` are the error
        (None on success) and output of that outcome."""
        caller = _address(caller, "caller")
        to = _address(to, "to")
        data = _bytes(data, "data")
        value = check_uint(value, "value", 1 << 256)
        cap = _gas(gas_cap if gas_cap is not None else max(self._env.gas_limit, 30_000_000), "gas_cap")
        target, used = self._outcome(caller, to, data, value, cap)
        self.estimate_error, self.estimate_output = target[0], target[1]
        runs = 1

        def same(gas: int) -> bool:
            nonlocal runs
            runs += 1
            return self._outcome(caller, to, data, value, gas)[0] == target

        # Usually the gas used is enough and one gas less is not (2 more runs);
        # the 63/64 rule and stipend checks can need more: widen, then bisect.
        lo, hi = -1, cap  # outcome differs at lo (-1: none known), equals at hi
        if used < cap and same(used):
            hi = used
            if used == 0 or not same(used - 1):
                self.estimate_runs = runs
                return used
            hi = used - 1
        else:
            lo = used
            step = used // 63 + 2300
            while lo + step < hi:
                if same(lo + step):
                    hi = lo + step
                    break
                lo += step
                step *= 2
        hi = bisect_gas(same, lo, hi)
        self.estimate_runs = runs
        return hi

    # -- writing back, copies -----------------------------------------------------------
    def commit(self) -> None:
        """Write every change made so far back to the database, if it can hold
        them (a ``State``, or any object with ``apply_changes(changes)``);
        otherwise (e.g. an ``RPCDatabase``) the changes stay in the machine,
        which keeps serving them."""
        if isinstance(self.db, State):
            changes = self._vm.changes()
            if self._snapshots:
                for address in changes:
                    prior = self.db.accounts.get(address)
                    self._commit_log.append((address, prior.copy() if prior is not None else None))
            commit_changes(self.db, changes)
        elif callable(getattr(self.db, "apply_changes", None)):
            self.db.apply_changes(self._vm.changes())

    def __getstate__(self) -> Dict[str, Any]:
        # the database as committed plus the changes the machine holds
        return {"db": self.db, "fork": self.fork, "env": self._env, "tracer": self.tracer,
                "inspector": self.inspector, "memory_limit": self._vm.memory_limit, "timeout": self.timeout,
                "changes": self._vm.changes(False),
                "block_hashes": dict(self._vm.j.block_hashes or {})}

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__init__(db=state["db"], fork=state["fork"], env=state["env"], tracer=state["tracer"],
                      inspector=state["inspector"], memory_limit=state.get("memory_limit"),
                      timeout=state.get("timeout"))
        for address, change in state["changes"].items():
            if change is None:
                self._vm.delete_account(address)
                continue
            nonce, balance, code, storage, storage_reset = change
            if storage_reset:
                self._vm.delete_account(address)
            self._vm.set_nonce(address, nonce)
            self._vm.set_balance(address, balance)
            self._vm.set_code(address, code)
            for key, v in storage.items():
                self._vm.set_storage(address, key, v)
        for number, h in state["block_hashes"].items():
            self.set_block_hash(number, h)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "EVM":
        import copy
        state = copy.deepcopy(self.__getstate__(), memo)
        new = EVM.__new__(EVM)
        new.__setstate__(state)
        return new

    def __copy__(self) -> "EVM":
        raise TypeError("a shallow copy would share the machine's state: use copy.deepcopy(evm)")
