"""Block-level system operations: the system call and what each fork does with it.

:func:`system_call` is the one place where a block runs a system
transaction (EIP-4788, EIP-2935, EIP-7002, EIP-7251): a message call from
``SYSTEM_ADDRESS`` with ``SYSTEM_TRANSACTION_GAS``, no fees, no nonce, no
value. It goes through the public :class:`evm.EVM` (``message_call`` then
``commit``), so it follows whatever the EVM does underneath.
"""
from __future__ import annotations

from hashlib import sha256
from typing import Any, Iterable, List

from ..env import BlockEnv
from ..forks import Fork
from ..machine import EVM, CallResult
from ..state import State
from .header import InvalidBlock

__all__ = [
    "SYSTEM_ADDRESS",
    "SYSTEM_TRANSACTION_GAS",
    "BEACON_ROOTS_ADDRESS",
    "HISTORY_STORAGE_ADDRESS",
    "WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS",
    "CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS",
    "DEPOSIT_CONTRACT_ADDRESS",
    "system_call",
    "process_beacon_root",
    "process_history_storage",
    "parse_deposit_requests",
    "process_general_purpose_requests",
    "compute_requests_hash",
]

SYSTEM_ADDRESS = bytes.fromhex("fffffffffffffffffffffffffffffffffffffffe")
SYSTEM_TRANSACTION_GAS = 30_000_000
BEACON_ROOTS_ADDRESS = bytes.fromhex("000f3df6d732807ef1319fb7b8bb8522d0beac02")  # EIP-4788
HISTORY_STORAGE_ADDRESS = bytes.fromhex("0000f90827f1c53a10cb7a02335b175320002935")  # EIP-2935
WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS = bytes.fromhex("00000961ef480eb55e80d19ad83579a64c007002")  # EIP-7002
CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS = bytes.fromhex("0000bbddc7ce488642fb579f8b00f3a590007251")  # EIP-7251
DEPOSIT_CONTRACT_ADDRESS = bytes.fromhex("00000000219ab540356cbb839cbe05303d7705fa")  # EIP-6110
DEPOSIT_EVENT_SIGNATURE_HASH = bytes.fromhex(
    "649bbc62d0e31342afea4e5cd82d4049e7e1ee912fc0889aa790803be39038c5")
DEPOSIT_REQUEST_TYPE = b"\x00"
WITHDRAWAL_REQUEST_TYPE = b"\x01"
CONSOLIDATION_REQUEST_TYPE = b"\x02"


def system_call(state: State, env: BlockEnv, fork: Fork, target: bytes, data: bytes,
                checked: bool = False) -> CallResult:
    """Run a system transaction to ``target`` with ``data`` and commit its effects to ``state``.

    With ``checked`` (the spec's ``process_checked_system_transaction``), a
    target without code or a failing call makes the block invalid.
    """
    if checked:
        account = state.get_account(target)
        if account is None or not account.code:
            raise InvalidBlock(f"system contract 0x{target.hex()} has no code",
                               "BlockException.SYSTEM_CONTRACT_EMPTY")
    machine = EVM(state, fork, env)
    result = machine.message_call(SYSTEM_ADDRESS, target, data, gas=SYSTEM_TRANSACTION_GAS)
    if checked and not result.success:
        raise InvalidBlock(f"system contract 0x{target.hex()} call failed: {result.error}",
                           "BlockException.SYSTEM_CONTRACT_CALL_FAILED")
    machine.commit()
    return result


def process_beacon_root(state: State, env: BlockEnv, fork: Fork, parent_beacon_block_root: bytes) -> None:
    """EIP-4788 (Cancun): store the parent beacon block root in the beacon roots contract."""
    system_call(state, env, fork, BEACON_ROOTS_ADDRESS, parent_beacon_block_root)


def process_history_storage(state: State, env: BlockEnv, fork: Fork, parent_hash: bytes) -> None:
    """EIP-2935 (Prague): store the parent block hash in the history storage contract."""
    system_call(state, env, fork, HISTORY_STORAGE_ADDRESS, parent_hash)


# EIP-6110 DepositEvent data: five offsets, then each field as (size word, padded bytes).
_DEPOSIT_LAYOUT = ((160, 48), (256, 32), (320, 8), (384, 96), (512, 8))  # pubkey, credentials, amount, signature, index
_DEPOSIT_EVENT_LENGTH = 576


def _extract_deposit_data(data: bytes) -> bytes:
    """pubkey || withdrawal_credentials || amount || signature || index of a DepositEvent."""
    if len(data) != _DEPOSIT_EVENT_LENGTH:
        raise InvalidBlock("deposit event data has the wrong length", "BlockException.INVALID_DEPOSIT_EVENT_LAYOUT")
    out = b""
    for i, (offset, size) in enumerate(_DEPOSIT_LAYOUT):
        if int.from_bytes(data[32 * i:32 * i + 32], "big") != offset:
            raise InvalidBlock("deposit event has a bad offset", "BlockException.INVALID_DEPOSIT_EVENT_LAYOUT")
        if int.from_bytes(data[offset:offset + 32], "big") != size:
            raise InvalidBlock("deposit event has a bad size", "BlockException.INVALID_DEPOSIT_EVENT_LAYOUT")
        out += data[offset + 32:offset + 32 + size]
    return out


def parse_deposit_requests(logs: Iterable[Any]) -> bytes:
    """EIP-6110: the deposit requests in the block's logs (from the deposit contract)."""
    out = b""
    for log in logs:
        if bytes(log.address) == DEPOSIT_CONTRACT_ADDRESS and log.topics and \
                bytes(log.topics[0]) == DEPOSIT_EVENT_SIGNATURE_HASH:
            out += _extract_deposit_data(bytes(log.data))
    return out


def process_general_purpose_requests(state: State, env: BlockEnv, fork: Fork, logs: Iterable[Any]) -> List[bytes]:
    """EIP-7685 (Prague): the block's requests, in type order, each ``type || data``,
    empty ones left out: deposits (EIP-6110), then the queues of the
    withdrawal (EIP-7002) and consolidation (EIP-7251) contracts."""
    requests = []
    deposits = parse_deposit_requests(logs)
    if deposits:
        requests.append(DEPOSIT_REQUEST_TYPE + deposits)
    for request_type, target in ((WITHDRAWAL_REQUEST_TYPE, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS),
                                 (CONSOLIDATION_REQUEST_TYPE, CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS)):
        output = system_call(state, env, fork, target, b"", checked=True).output
        if output:
            requests.append(request_type + bytes(output))
    return requests


def compute_requests_hash(requests: Iterable[bytes]) -> bytes:
    """EIP-7685: sha256 of the concatenated sha256 of each request."""
    m = sha256()
    for request in requests:
        m.update(sha256(request).digest())
    return m.digest()
