"""Transaction execution: the phases of the execution specs'
``process_transaction``, once per transaction, around the compiled core.

validate -> pre-execution (buy gas, bump nonce, warm addresses) -> message
call -> post-execution (refund, pay the coinbase, delete accounts) -> commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from . import _core
from .crypto import keccak256
from .env import BlockEnv
from .forks import Fork
from .rlp import encode as rlp_encode
from .state import Account, State, to_address
from .transaction import (
    Transaction,
    calculate_blob_gas_fee,
    calculate_intrinsic_cost,
    validate_transaction,
)

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


@dataclass
class ExecutionResult:
    """The outcome of :func:`execute_code`."""

    success: bool
    gas_used: int
    gas_left: int
    gas_refund: int
    output: bytes
    logs: List[Log]
    error: Optional[str]
    contract_address: Optional[bytes]
    state: State = field(repr=False)


def compute_contract_address(sender: bytes, nonce: int) -> bytes:
    """The CREATE address: ``keccak256(rlp([sender, nonce]))[12:]``."""
    return keccak256(rlp_encode([sender, nonce]))[12:]


def _make_vm(state: State, env: BlockEnv, fork: Fork, origin: bytes, gas_price: int,
             blob_hashes: Any = (), tracer: Any = None) -> "_core.VM":
    return _core.VM(
        state,
        fork,
        origin=origin,
        gas_price=gas_price,
        coinbase=env.coinbase,
        number=env.number,
        timestamp=env.timestamp,
        gas_limit=env.gas_limit,
        prev_randao=env.prev_randao if fork >= Fork.PARIS else env.difficulty,
        chain_id=env.chain_id,
        base_fee=env.base_fee_per_gas(fork),
        blob_base_fee=env.blob_base_fee(fork) if fork >= Fork.CANCUN else 0,
        blob_hashes=blob_hashes,
        tracer=tracer,
    )


PER_EMPTY_ACCOUNT_COST = 25000
PER_AUTH_BASE_COST = 12500
EOA_DELEGATION_MARKER = b"\xef\x01\x00"


def get_delegated_code_address(code: bytes) -> Optional[bytes]:
    """The address an EIP-7702 delegation designator points to, or None."""
    if len(code) == 23 and code[:3] == EOA_DELEGATION_MARKER:
        return code[3:]
    return None


def set_delegation(vm: "_core.VM", tx: Transaction, env: BlockEnv) -> int:
    """Apply the EIP-7702 authorizations of ``tx``; return the refund for
    authorities that already existed (spec: ``set_delegation``)."""
    refund = 0
    for auth in tx.authorization_list or ():
        if auth.chain_id not in (env.chain_id, 0):
            continue
        if auth.nonce >= (1 << 64) - 1:
            continue
        authority = auth.authority
        if authority is None:
            continue
        vm.warm_address(authority)
        exists, nonce, _, code = vm.account(authority)
        if code and get_delegated_code_address(code) is None:
            continue
        if nonce != auth.nonce:
            continue
        if exists:
            refund += PER_EMPTY_ACCOUNT_COST - PER_AUTH_BASE_COST
        if auth.address == b"\x00" * 20:
            vm.set_code_of(authority, b"")
        else:
            vm.set_code_of(authority, EOA_DELEGATION_MARKER + auth.address)
        vm.increment_nonce(authority)
    return refund


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


def apply_transaction(state: State, env: BlockEnv, tx: Transaction, fork: Fork,
                      tracer: Any = None) -> TransactionResult:
    """Validate and execute ``tx`` on ``state`` under ``fork``.

    An invalid transaction raises :class:`evm.transaction.InvalidTransaction`
    and leaves ``state`` untouched; otherwise every effect (fees, refunds,
    the coinbase's reward, account deletions) is committed to ``state``.
    """
    fork = Fork(fork)
    gas_price = validate_transaction(tx, state.get_account(tx.sender), env, fork)
    vm = _make_vm(state, env, fork, tx.sender, gas_price, tx.blob_versioned_hashes, tracer)
    result = _execute_transaction(vm, env, tx, fork, gas_price)
    commit_changes(state, vm.changes())
    return result


def _execute_transaction(vm: "_core.VM", env: BlockEnv, tx: Transaction, fork: Fork,
                         gas_price: int) -> TransactionResult:
    """The phases after validation: buy gas, run, refund, reward; then
    ``vm.end_transaction()``. The caller writes ``vm.changes()`` back."""
    sender = tx.sender
    intrinsic_gas, calldata_floor = calculate_intrinsic_cost(tx, fork)
    blob_gas_fee = calculate_blob_gas_fee(tx, env, fork)
    if tx.to is not None and not tx.authorization_list:
        # the common case runs every phase inside the core in one call
        priority_fee = gas_price - env.base_fee_per_gas(fork) if fork >= Fork.LONDON else gas_price
        error, gas_used, gas_refund, output, logs = vm.call_transaction(
            sender, tx.to, tx.value, tx.data, tx.gas_limit, gas_price, intrinsic_gas,
            tx.gas_limit * gas_price + blob_gas_fee, priority_fee, tx.access_list, calldata_floor)
        return TransactionResult(error is None, gas_used, gas_refund, output,
                                 [Log(a, t, d) for a, t, d in logs] if logs else [], error, None)

    # pre-execution: buy the gas, bump the nonce
    _, sender_nonce, sender_balance, _ = vm.account(sender)
    vm.set_balance_of(sender, sender_balance - tx.gas_limit * gas_price - blob_gas_fee)
    vm.increment_nonce(sender)
    gas = tx.gas_limit - intrinsic_gas

    if tx.to is None:
        target = compute_contract_address(sender, sender_nonce)
    else:
        target = tx.to
    if fork >= Fork.BERLIN:
        vm.warm_address(sender)
        vm.warm_address(target)
        if fork >= Fork.SHANGHAI:
            vm.warm_address(env.coinbase)
        for address, keys in tx.access_list or ():
            vm.warm_address(address)
            for key in keys:
                vm.warm_storage(address, key)

    if tx.to is None:
        error, gas_left, output = vm.create(sender, target, tx.value, tx.data, gas)
    else:
        if tx.authorization_list:
            vm.refund_counter += set_delegation(vm, tx, env)
        code_address, delegated = target, False
        delegate = get_delegated_code_address(vm.account(target)[3]) if fork >= Fork.PRAGUE else None
        if delegate is not None:
            vm.warm_address(delegate)
            code_address, delegated = delegate, True
        error, gas_left, output = vm.call(sender, target, tx.value, tx.data, gas,
                                          code_address=code_address,
                                          disable_precompiles=delegated)
        if Fork.SPURIOUS_DRAGON <= fork <= Fork.LONDON:
            vm.touch(target)  # even when the call failed (EIP-161)

    # post-execution: refund and reward. A failed frame has already put the
    # counter back to what it was before the call (the EIP-7702 refund stays).
    refund_counter = vm.refund_counter
    gas_used = tx.gas_limit - gas_left
    gas_refund = min(gas_used // (5 if fork >= Fork.LONDON else 2), refund_counter)
    gas_used -= gas_refund
    if fork >= Fork.PRAGUE:
        gas_used = max(gas_used, calldata_floor)
    _, _, sender_balance, _ = vm.account(sender)
    vm.set_balance_of(sender, sender_balance + (tx.gas_limit - gas_used) * gas_price)

    priority_fee = gas_price - env.base_fee_per_gas(fork) if fork >= Fork.LONDON else gas_price
    coinbase_fee = gas_used * priority_fee
    _, _, coinbase_balance, _ = vm.account(env.coinbase)
    if fork < Fork.SPURIOUS_DRAGON or coinbase_fee != 0:
        vm.set_balance_of(env.coinbase, coinbase_balance + coinbase_fee)
    elif fork <= Fork.LONDON:
        vm.touch(env.coinbase)  # an empty coinbase is deleted

    logs = [Log(a, t, d) for a, t, d in vm.logs()]
    vm.end_transaction()
    return TransactionResult(
        success=error is None,
        gas_used=gas_used,
        gas_refund=gas_refund,
        output=output,
        logs=logs,
        error=error,
        contract_address=target if tx.to is None and error is None else None,
    )


def execute_code(code: bytes, *, input: bytes = b"", gas: int = 10_000_000, value: int = 0,
                 fork: Fork = Fork.CANCUN, create: bool = False, state: Optional[State] = None,
                 env: Optional[BlockEnv] = None, tracer: Any = None,
                 caller: bytes = DEFAULT_CALLER, address: bytes = DEFAULT_CONTRACT) -> ExecutionResult:
    """Run ``code`` directly, like go-ethereum's ``evm run``.

    The code runs as the code of ``address`` called by ``caller`` with
    ``input`` as calldata (or, with ``create=True``, as initcode creating
    ``address``). No transaction: no intrinsic gas, no fees; ``gas_used`` is
    ``gas - gas_left``. ``state`` is copied, never modified; the result holds
    the new state. The caller is given enough balance for ``value``.
    """
    fork = Fork(fork)
    if not isinstance(gas, int) or not 0 <= gas < 1 << 63:
        raise ValueError(f"gas must be an int in [0, 2**63), got {gas!r}")
    if not isinstance(value, int) or not 0 <= value < 1 << 256:
        raise ValueError(f"value must be an int in [0, 2**256), got {value!r}")
    code = bytes(code)
    caller = to_address(caller)
    address = to_address(address)
    state = state.copy() if state is not None else State()
    env = env or BlockEnv()
    if state.get_account(caller) is None:
        state.set_account(caller, Account(balance=value))
    elif state.accounts[caller].balance < value:
        state.accounts[caller].balance = value
    if not create:
        acct = state.get_account(address)
        if acct is None:
            state.set_account(address, Account(code=code))
        else:
            acct.code = code
    vm = _make_vm(state, env, fork, caller, 0, (), tracer)
    if fork >= Fork.BERLIN:
        vm.warm_address(caller)
        vm.warm_address(address)
    if create:
        error, gas_left, output = vm.create(caller, address, value, code, gas)
    else:
        error, gas_left, output = vm.call(caller, address, value, input, gas)
    logs = [Log(a, t, d) for a, t, d in vm.logs()]
    refund = vm.refund_counter if error is None else 0
    vm.end_transaction()
    commit_changes(state, vm.changes())
    return ExecutionResult(
        success=error is None,
        gas_used=gas - gas_left,
        gas_left=gas_left,
        gas_refund=refund,
        output=output,
        logs=logs,
        error=error,
        contract_address=address if create and error is None else None,
        state=state,
    )
