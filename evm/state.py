"""World state: accounts, the Database protocol and a dict-backed ``State``.

Addresses are 20-byte ``bytes``; storage keys and values, balances and nonces
are Python ``int``. The compiled core keeps its own cache of everything a
transaction touches and asks the database only on a cold miss; at the end of
a transaction the changes are written back in one batch.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, Optional, Protocol, runtime_checkable

__all__ = ["Account", "Database", "State", "EMPTY_CODE_HASH", "to_address", "check_uint", "check_bytes"]

_LIMIT_NAMES = {1 << 256: "2**256", 1 << 64: "2**64", 1 << 63: "2**63"}


def check_bytes(value: Any, name: str) -> bytes:
    """``value`` as ``bytes``: bytes-like objects and hex strings (``0x``
    optional) accepted; anything else (an int, which ``bytes()`` would turn
    into zero bytes, a bool, a list) is a TypeError naming ``name``."""
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        s = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            return bytes.fromhex(s)
        except ValueError:
            raise ValueError(f"{name} is not hex: {value!r}") from None
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"{name} must be bytes or a hex string, got {type(value).__name__}")
    return bytes(value)


def check_uint(value: Any, name: str, limit: Optional[int] = None) -> int:
    """``value`` as an ``int`` in [0, limit) -- numpy integers and other
    ``__index__`` types accepted, bools refused -- else a TypeError or
    ValueError naming ``name``."""
    if type(value) is int and value >= 0 and (limit is None or value < limit):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an int, got a bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an int, got {type(value).__name__}") from None
    if v < 0 or (limit is not None and v >= limit):
        bound = _LIMIT_NAMES.get(limit, str(limit)) if limit is not None else "infinity"
        raise ValueError(f"{name} must be in [0, {bound}), got {v}")
    return v

#: keccak256(b"")
EMPTY_CODE_HASH = bytes.fromhex(
    "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
)


def to_address(value: "bytes | str | int") -> bytes:
    """Normalise an address given as 20 bytes, a hex string or an int."""
    if type(value) is bytes and len(value) == 20:
        return value
    if isinstance(value, int):
        if not 0 <= value < 1 << 160:
            raise ValueError(f"address out of range: {value}")
        return value.to_bytes(20, "big")
    if isinstance(value, str):
        s = value[2:] if value[:2] in ("0x", "0X") else value
        try:
            raw = bytes.fromhex(s)
        except ValueError:
            raise ValueError(f"malformed address hex: {value!r}") from None
        value = raw
    if not isinstance(value, (bytes, bytearray)) or len(value) != 20:
        raise ValueError(f"an address is 20 bytes, got {value!r}")
    return bytes(value)


@dataclass
class Account:
    """An account: nonce, balance, code and storage (zero values omitted)."""

    nonce: int = 0
    balance: int = 0
    code: bytes = b""
    storage: Dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # checked here, at the edge, rather than failing later in the core
        self.nonce = check_uint(self.nonce, "nonce", 1 << 64)
        self.balance = check_uint(self.balance, "balance", 1 << 256)
        if type(self.code) is not bytes:
            if not isinstance(self.code, (bytes, bytearray, memoryview)):
                raise TypeError(f"code must be bytes, got {type(self.code).__name__}")
            self.code = bytes(self.code)
        if self.storage:
            if not isinstance(self.storage, dict):
                self.storage = dict(self.storage)
            for k, v in self.storage.items():
                if type(k) is not int or type(v) is not int or not (0 <= k < 1 << 256 and 0 <= v < 1 << 256):
                    self.storage = {check_uint(k, "storage key", 1 << 256): check_uint(v, "storage value", 1 << 256)
                                    for k, v in self.storage.items()}
                    break

    def is_empty(self) -> bool:
        """EIP-161 emptiness: no code, zero nonce and zero balance."""
        return self.nonce == 0 and self.balance == 0 and not self.code

    def copy(self) -> "Account":
        """A deep copy (the storage dict is copied)."""
        return Account(self.nonce, self.balance, self.code, dict(self.storage))


@runtime_checkable
class Database(Protocol):
    """What the core asks on a cold miss. Any object with these methods works."""

    def get_account(self, address: bytes) -> Optional[Account]:
        """The account at ``address``, or ``None`` if it does not exist."""

    def get_storage(self, address: bytes, key: int) -> int:
        """The committed value of storage slot ``key`` (0 if unset)."""

    def get_block_hash(self, number: int) -> bytes:
        """The hash of block ``number`` (32 bytes), for BLOCKHASH."""


class State:
    """A dict-backed world state implementing :class:`Database`.

    ``snapshot()``/``revert(snap)`` copy the account map so a caller can try a
    transaction and undo it.
    """

    def __init__(self, accounts: Optional[Dict[bytes, Account]] = None) -> None:
        self.accounts: Dict[bytes, Account] = {}
        self.block_hashes: Dict[int, bytes] = {}
        for addr, acct in (accounts or {}).items():
            self.accounts[to_address(addr)] = acct

    # Database protocol -------------------------------------------------
    def get_account(self, address: bytes) -> Optional[Account]:
        """The account at ``address``, or ``None``."""
        return self.accounts.get(address)

    def get_storage(self, address: bytes, key: int) -> int:
        """The value of slot ``key`` of ``address`` (0 if unset)."""
        acct = self.accounts.get(address)
        if acct is None:
            return 0
        return acct.storage.get(key, 0)

    def get_block_hash(self, number: int) -> bytes:
        """The hash of block ``number`` or 32 zero bytes if unknown."""
        return self.block_hashes.get(number, b"\x00" * 32)

    # Convenience -------------------------------------------------------
    def set_account(self, address: "bytes | str | int", account: Account) -> None:
        """Create or replace an account."""
        self.accounts[to_address(address)] = account

    def __contains__(self, address: object) -> bool:
        return isinstance(address, (bytes, str, int)) and to_address(address) in self.accounts

    def __getitem__(self, address: "bytes | str | int") -> Account:
        return self.accounts[to_address(address)]

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.accounts)

    def __len__(self) -> int:
        return len(self.accounts)

    def snapshot(self) -> Dict[bytes, Account]:
        """A deep copy of the accounts, for :meth:`revert`."""
        return {a: acct.copy() for a, acct in self.accounts.items()}

    def revert(self, snap: Dict[bytes, Account]) -> None:
        """Restore the accounts saved by :meth:`snapshot`."""
        self.accounts = {a: acct.copy() for a, acct in snap.items()}

    def copy(self) -> "State":
        """An independent copy of this state."""
        s = State()
        s.accounts = self.snapshot()
        s.block_hashes = dict(self.block_hashes)
        return s
