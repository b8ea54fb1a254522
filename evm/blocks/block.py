"""Blocks: header, transactions, ommers and (from Shanghai) withdrawals;
their RLP and the roots a header commits to."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional, Sequence

from ..rlp import encode as rlp_encode
from ..transaction import InvalidTransaction
from ..signed_transaction import SignedTransaction, decode_block_transaction
from ..trie import trie_root
from .header import Header, InvalidBlock, decode_rlp

__all__ = ["Withdrawal", "Block", "transactions_root", "receipts_root", "withdrawals_root"]


@dataclass
class Withdrawal:
    """An EIP-4895 withdrawal: ``amount`` gwei credited to ``address``."""

    index: int
    validator_index: int
    address: bytes
    amount: int

    def __post_init__(self) -> None:
        for name in ("index", "validator_index", "amount"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v < 2**64:
                raise ValueError(f"withdrawal {name} must be an int in [0, 2**64), got {v!r}")
        if not isinstance(self.address, (bytes, bytearray)) or len(self.address) != 20:
            raise ValueError(f"withdrawal address must be 20 bytes, got {self.address!r}")
        self.address = bytes(self.address)

    def encode(self) -> bytes:
        """rlp([index, validator_index, address, amount])."""
        return rlp_encode([self.index, self.validator_index, self.address, self.amount])

    @classmethod
    def from_rlp_item(cls, item: Any) -> "Withdrawal":
        """A withdrawal from its decoded RLP list."""
        if not isinstance(item, list) or len(item) != 4 or not all(isinstance(x, bytes) for x in item):
            raise InvalidBlock("withdrawal: expected [index, validator_index, address, amount]",
                               "BlockException.RLP_STRUCTURES_ENCODING")
        ints = []
        for name, v in zip(("index", "validator_index", None, "amount"), item):
            if name is None:
                continue
            if v[:1] == b"\x00" or len(v) > 8:
                raise InvalidBlock(f"withdrawal {name}: not a canonical 64-bit integer",
                                   "BlockException.RLP_STRUCTURES_ENCODING")
            ints.append(int.from_bytes(v, "big"))
        if len(item[2]) != 20:
            raise InvalidBlock("withdrawal address: expected 20 bytes", "BlockException.RLP_STRUCTURES_ENCODING")
        return cls(ints[0], ints[1], item[2], ints[2])


def _indexed_root(values: Sequence[bytes]) -> bytes:
    """Root of the trie mapping rlp(index) to each value."""
    return trie_root({rlp_encode(i): v for i, v in enumerate(values)})


def transactions_root(transactions: Sequence[SignedTransaction]) -> bytes:
    """The transactions root: rlp(i) -> each transaction's canonical encoding."""
    return _indexed_root([tx.encode() for tx in transactions])


def receipts_root(receipts: Sequence[Any]) -> bytes:
    """The receipts root: rlp(i) -> each receipt's encoding (objects with ``encode()``)."""
    return _indexed_root([r.encode() for r in receipts])


def withdrawals_root(withdrawals: Sequence[Withdrawal]) -> bytes:
    """The withdrawals root: rlp(i) -> rlp(withdrawal)."""
    return _indexed_root([w.encode() for w in withdrawals])


@dataclass
class Block:
    """A block. ``withdrawals`` is ``None`` before Shanghai."""

    header: Header
    transactions: List[SignedTransaction] = field(default_factory=list)
    ommers: List[Header] = field(default_factory=list)
    withdrawals: Optional[List[Withdrawal]] = None

    @property
    def hash(self) -> bytes:
        """The block hash (the header's)."""
        return self.header.hash

    @property
    def number(self) -> int:
        """The block number."""
        return self.header.number

    def encode(self) -> bytes:
        """rlp([header, transactions, ommers(, withdrawals)])."""
        items: list = [
            self.header.field_values(),
            [tx.block_item() for tx in self.transactions],
            [o.field_values() for o in self.ommers],
        ]
        if self.withdrawals is not None:
            items.append([[w.index, w.validator_index, w.address, w.amount] for w in self.withdrawals])
        return rlp_encode(items)

    @classmethod
    def decode(cls, raw: bytes) -> "Block":
        """Decode a block from its RLP. Raises :class:`InvalidBlock` naming what is malformed."""
        item = decode_rlp(raw, "block")
        if not isinstance(item, list) or len(item) not in (3, 4):
            raise InvalidBlock("block: expected [header, transactions, ommers(, withdrawals)]",
                               "BlockException.RLP_STRUCTURES_ENCODING")
        header = Header.from_rlp_item(item[0])
        if not isinstance(item[1], list) or not isinstance(item[2], list):
            raise InvalidBlock("block: transactions and ommers are lists", "BlockException.RLP_STRUCTURES_ENCODING")
        transactions = []
        for i, t in enumerate(item[1]):
            try:
                transactions.append(decode_block_transaction(t))
            except InvalidTransaction as e:
                raise InvalidBlock(f"transaction {i}: {e.args[0]}", f"TransactionException.{e.name}") from None
        ommers = [Header.from_rlp_item(o) for o in item[2]]
        withdrawals = None
        if len(item) == 4:
            if not isinstance(item[3], list):
                raise InvalidBlock("block: withdrawals is a list", "BlockException.RLP_STRUCTURES_ENCODING")
            withdrawals = [Withdrawal.from_rlp_item(w) for w in item[3]]
        return cls(header, transactions, ommers, withdrawals)
