"""Transaction execution: validate in Python, then one call into the core.

validate_transaction (here, with signature recovery) -> the core's
process_transaction (buy gas, bump nonce, warm addresses, EIP-7702, message
call or creation, refund, pay the coinbase, delete accounts) -> commit.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, List, Optional

from . import _core
from .crypto import keccak256
from .env import BlockEnv
from .forks import Fork
from .rlp import encode as rlp_encode
from .state import Account, State, check_bytes, check_uint, to_address
from .transaction import (
    Transaction,
    calculate_blob_gas_fee,
    calculate_intrinsic_cost,
    validate_transaction,
)

_core.check_transaction_constants()

if TYPE_CHECKING:  # pragma: no cover
    from .tracing import Tracer

__all__ = [
    "Log",
    "TransactionResult",
    "ExecutionResult",
    "apply_transaction",
    "execute_code",
    "compute_contract_address",
    "DEFAULT_CALLER",
    "DEFAULT_CONTRACT",
]

#: Addresses `execute_code` uses, as go-ethereum's `evm run` does.
DEFAULT_CALLER = bytes.fromhex("000000000000000000000000000000000000c0de")
DEFAULT_CONTRACT = bytes.fromhex("0000000000000000000000000000000000000ca1")


@dataclass
class Log:
    """A log record: emitting address, topics (32-byte each) and data."""

    address: bytes
    topics: List[bytes]
    data: bytes


@dataclass
class TransactionResult:
    """The outcome of a valid transaction."""

    success: bool
    gas_used: int
    gas_refund: int
    output: bytes
    logs: List[Log]
    error: Optional[str]  # exceptional-halt reason of the top frame, or "Revert"
    contract_address: Optional[bytes]


ExecutionResult = _core.ExecutionResult  # filled in C by VM.run_code


def compute_contract_address(sender: bytes, nonce: int) -> bytes:
    """The CREATE address: ``keccak256(rlp([sender, nonce]))[12:]``."""
    return keccak256(rlp_encode([sender, nonce]))[12:]


def block_env_arguments(env: BlockEnv, fork: Fork) -> dict:
    """The keywords of ``VM.set_block_env`` for ``env`` under ``fork``."""
    return dict(
        coinbase=env.coinbase,
        number=env.number,
        timestamp=env.timestamp,
        gas_limit=env.gas_limit,
        prev_randao=env.prev_randao if fork >= Fork.PARIS else env.difficulty,
        chain_id=env.chain_id,
        base_fee=env.base_fee_per_gas(fork),
        blob_base_fee=env.blob_base_fee(fork) if fork >= Fork.CANCUN else 0,
    )


_DEFAULT_BLOCK_ARGUMENTS: dict = {}  # fork -> block_env_arguments(BlockEnv(), fork)


def _make_vm(state: Any, env: Optional[BlockEnv], fork: Fork, tracer: Optional["Tracer"] = None,
             memory_limit: Optional[int] = None) -> "_core.VM":
    """A core VM over ``state`` (any ``Database``) with ``env``'s block values
    (``None``: a default ``BlockEnv()``)."""
    if env is None:
        args = _DEFAULT_BLOCK_ARGUMENTS.get(fork)
        if args is None:
            args = _DEFAULT_BLOCK_ARGUMENTS[fork] = block_env_arguments(BlockEnv(), fork)
    else:
        args = block_env_arguments(env, fork)
    vm = _core.VM(state, fork, tracer=tracer, memory_limit=memory_limit, **args)
    vm.log_type = Log  # for the results the core builds
    return vm


_idle_vms = threading.local()  # per thread: fork or (fork, memory_limit) -> a VM execute_code may reuse
_NO_STATE = State()  # what an idle reusable VM points at, so it keeps no caller's state alive


def _reusable_vm(state: State, fork: Fork, memory_limit: Optional[int]) -> "_core.VM":
    """A VM with the default environment over ``state``: this thread's idle
    one for (fork, memory_limit) reset to an empty working state (making a
    VM is most of a small execute_code), else a new one."""
    vm = _idle_vms.__dict__.pop(fork._value_ if memory_limit is None else (fork._value_, memory_limit), None)
    if vm is None:
        return _make_vm(state, None, fork, None, memory_limit)
    vm.reset(state)
    return vm


def _release_vm(vm: "_core.VM", fork: Fork, memory_limit: Optional[int], reset: bool = True) -> None:
    if reset:
        vm.reset(_NO_STATE)
    _idle_vms.__dict__[fork._value_ if memory_limit is None else (fork._value_, memory_limit)] = vm


def commit_changes(state: State, changes: dict) -> None:
    """Write the VM's change set (see ``VM.changes``) into ``state``."""
    accounts = state.accounts
    for address, change in changes.items():
        if change is None:
            accounts.pop(address, None)
            continue
        nonce, balance, code, storage, storage_reset = change
        acct = accounts.get(address)
        if acct is None or storage_reset:
            acct = Account(nonce, balance, code, {})
            accounts[address] = acct
        else:
            acct.nonce, acct.balance, acct.code = nonce, balance, code
        for key, value in storage.items():
            if value:
                acct.storage[key] = value
            else:
                acct.storage.pop(key, None)


def _logs(outcome: Any) -> List[Log]:
    return [Log(a, t, d) for a, t, d in outcome.logs] if outcome.logs else []


def execute_transaction(vm: "_core.VM", env: BlockEnv, tx: Transaction, fork: Fork,
                        gas_price: int, timeout: float = 0.0) -> TransactionResult:
    """Run a validated ``tx`` on ``vm`` through the core's
    ``process_transaction`` (buy gas, nonce, warm-up, EIP-7702, call or
    create, refund, coinbase) and end the transaction. The caller writes
    ``vm.changes()`` back when it wants them. ``timeout``: seconds of wall
    clock before :class:`evm.errors.ExecutionTimeout` (0: none)."""
    if tx.gas_limit >= 1 << 63:
        raise ValueError(f"gas_limit {tx.gas_limit} is above the limit of 2**63-1 gas that the core represents")
    intrinsic_gas, calldata_floor = calculate_intrinsic_cost(tx, fork)
    priority_fee = gas_price - env.base_fee_per_gas(fork) if fork >= Fork.LONDON else gas_price
    auths = [(a.chain_id, a.address, a.nonce, a.authority) for a in tx.authorization_list] \
        if tx.authorization_list else ()
    outcome = vm.transaction(
        tx.sender, tx.to, tx.value, tx.data, tx.gas_limit,
        gas_price=gas_price, intrinsic_gas=intrinsic_gas,
        upfront_cost=tx.gas_limit * gas_price + calculate_blob_gas_fee(tx, env, fork),
        priority_fee=priority_fee, access_list=tx.access_list or (), authorizations=auths,
        calldata_floor=calldata_floor, blob_hashes=tx.blob_versioned_hashes or (), timeout=timeout)
    return TransactionResult(outcome.error is None, outcome.gas_used, outcome.gas_refund, outcome.output,
                             _logs(outcome), outcome.error, outcome.contract_address)


def apply_transaction(state: State, env: BlockEnv, tx: Transaction, fork: Fork,
                      tracer: Optional["Tracer"] = None) -> TransactionResult:
    """Validate and execute ``tx`` on ``state`` under ``fork``.

    An invalid transaction raises :class:`evm.transaction.InvalidTransaction`
    and leaves ``state`` untouched; otherwise every effect (fees, refunds,
    the coinbase's reward, account deletions) is committed to ``state``.
    """
    fork = Fork(fork)
    gas_price = validate_transaction(tx, state.get_account(tx.sender), env, fork)
    vm = _make_vm(state, env, fork, tracer)
    result = execute_transaction(vm, env, tx, fork, gas_price)
    commit_changes(state, vm.changes())
    return result


def execute_code(code: bytes, *, input: bytes = b"", gas: int = 10_000_000, value: int = 0,
                 fork: Fork = Fork.CANCUN, create: bool = False, state: Optional[State] = None,
                 env: Optional[BlockEnv] = None, tracer: Optional["Tracer"] = None,
                 caller: bytes = DEFAULT_CALLER, address: bytes = DEFAULT_CONTRACT,
                 memory_limit: Optional[int] = None) -> ExecutionResult:
    """Run ``code`` directly, like go-ethereum's ``evm run``.

    The code runs as the code of ``address`` called by ``caller`` with
    ``input`` as calldata (or, with ``create=True``, as initcode creating
    ``address``). No transaction: no intrinsic gas, no fees; ``gas_used`` is
    ``gas - gas_left``. ``state`` is copied, never modified; the result holds
    the new state. The caller is given enough balance for ``value``.
    ``memory_limit``: bytes one frame may use (default
    :data:`evm.errors.DEFAULT_MEMORY_LIMIT`); a frame that pays for more
    raises :class:`evm.errors.MemoryLimitExceeded`.
    """
    fork = fork if type(fork) is Fork else Fork(fork)
    # the checks' common cases inline: this is the per-call floor
    if type(gas) is not int or not 0 <= gas < 1 << 63:
        gas = check_uint(gas, "gas", 1 << 63)
    if type(value) is not int or not 0 <= value < 1 << 256:
        value = check_uint(value, "value", 1 << 256)
    if type(code) is not bytes:
        code = check_bytes(code, "code")
    if type(input) is not bytes:
        input = check_bytes(input, "input")
    if caller is not DEFAULT_CALLER:
        caller = to_address(caller)
    if address is not DEFAULT_CONTRACT:
        address = to_address(address)
    if state is None and env is None and tracer is None:
        # The common case: no State is built for the run. The caller and the
        # contract are handed to the reused VM as if a database held them,
        # and the result's state is made from the changes only if asked for.
        vms = _idle_vms.__dict__
        key = fork._value_ if memory_limit is None else (fork._value_, memory_limit)  # (Enum's hash is Python)
        vm = vms.pop(key, None)
        if vm is None:
            vm = _make_vm(_NO_STATE, None, fork, None, memory_limit)
        result, changes = vm.run_code(_NO_STATE, caller, address, code, code if create else input, value, gas,
                                      create)
        vms[key] = vm  # it holds no caller's State; after an exception it is dropped
        to = None if create else address
        result._state = lambda: _seeded_state(caller, value, to, code, changes)
        return result
    to = None if create else address
    data = code if create else input
    new_state = state = state.copy() if state is not None else State()
    _seed(state, caller, value, to, code)
    reuse = env is None and tracer is None
    vm = _reusable_vm(state, fork, memory_limit) if reuse else _make_vm(state, env, fork, tracer, memory_limit)
    outcome = vm.transaction(caller, to, value, data, gas, fees=False, bump_nonce=False,
                             create_address=address if create else None)
    commit_changes(state, vm.changes())
    if reuse:  # after an exception the VM is simply dropped
        _release_vm(vm, fork, memory_limit)
    error = outcome.error
    return ExecutionResult(error is None, outcome.gas_used, outcome.gas_left, outcome.gas_refund, outcome.output,
                           _logs(outcome), error, outcome.contract_address, new_state)


def _seed(state: State, caller: bytes, value: int, to: Optional[bytes], code: bytes) -> None:
    """execute_code's pre-state: the caller holds at least ``value``; the
    contract ``to`` (if any) has ``code``."""
    if state.get_account(caller) is None:
        state.set_account(caller, Account(balance=value))
    elif state.accounts[caller].balance < value:
        state.accounts[caller].balance = value
    if to is not None:
        acct = state.get_account(to)
        if acct is None:
            state.set_account(to, Account(code=code))
        else:
            acct.code = code


def _seeded_state(caller: bytes, value: int, to: Optional[bytes], code: bytes, changes: dict) -> State:
    state = State()
    _seed(state, caller, value, to, code)
    commit_changes(state, changes)
    return state
