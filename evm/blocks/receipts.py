"""Receipts and the logs bloom.

A receipt holds the outcome of one transaction of a block: the status
(Byzantium on, EIP-658) or the post-transaction state root (before), the
gas used by the block so far, the 2048-bit bloom of its logs and the logs.
Typed transactions' receipts are ``type || rlp(receipt)`` (EIP-2718).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, List, Union

from ..crypto import keccak256
from ..executor import Log
from ..rlp import encode as rlp_encode

__all__ = ["Receipt", "logs_bloom", "add_to_bloom"]


def add_to_bloom(bloom: bytearray, item: bytes) -> None:
    """Set the three bloom bits of ``item``: the low 11 bits of each of the
    first three 2-byte pairs of keccak256(item), counted from the right."""
    h = keccak256(item)
    for i in (0, 2, 4):
        bit = ((h[i] << 8) | h[i + 1]) & 2047
        bloom[255 - bit // 8] |= 1 << (bit % 8)


def logs_bloom(logs: Iterable[Any]) -> bytes:
    """The 256-byte bloom of ``logs`` (objects with ``address`` and ``topics``):
    each log's address and each of its topics."""
    bloom = bytearray(256)
    for log in logs:
        add_to_bloom(bloom, bytes(log.address))
        for topic in log.topics:
            add_to_bloom(bloom, bytes(topic))
    return bytes(bloom)


@dataclass
class Receipt:
    """The receipt of one transaction.

    Attributes:
        tx_type: the transaction's EIP-2718 type (0 legacy).
        succeeded: the status (``post_state`` is ``None`` from Byzantium on).
        post_state: the state root after the transaction, before Byzantium.
        cumulative_gas_used: gas used by the block up to and including this transaction.
        logs: the transaction's logs.
        bloom: their bloom (computed from ``logs`` when not given).
    """

    tx_type: int
    succeeded: bool
    cumulative_gas_used: int
    logs: List[Log] = field(default_factory=list)
    post_state: Union[bytes, None] = None
    bloom: bytes = b""

    def __post_init__(self) -> None:
        if not self.bloom:
            self.bloom = logs_bloom(self.logs)

    def encode(self) -> bytes:
        """The receipt as stored in the receipts trie."""
        first: Any = self.post_state if self.post_state is not None else (1 if self.succeeded else 0)
        body = rlp_encode([
            first,
            self.cumulative_gas_used,
            self.bloom,
            [[bytes(log.address), [bytes(t) for t in log.topics], bytes(log.data)] for log in self.logs],
        ])
        return body if self.tx_type == 0 else bytes((self.tx_type,)) + body
