"""Block headers: the fields of each fork, their RLP, the hash, and the
rules that tie a header to its parent (gas limit, base fee, excess blob gas,
difficulty). Names follow the execution specs' ``blocks.py``/``fork.py``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, List, Optional

from ..crypto import keccak256
from ..env import GAS_PER_BLOB, calculate_blob_gas_price
from ..forks import Fork
from ..rlp import RLPDecodingError, decode as rlp_decode, encode as rlp_encode
from ..transaction import max_blob_gas_per_block
from ..trie import EMPTY_TRIE_ROOT

__all__ = [
    "Header",
    "InvalidBlock",
    "EMPTY_OMMER_HASH",
    "ZERO_HASH",
    "header_fields",
    "calculate_base_fee_per_gas",
    "calculate_excess_blob_gas",
    "target_blob_gas_per_block",
    "check_gas_limit",
    "calculate_block_difficulty",
    "INITIAL_BASE_FEE",
    "GAS_LIMIT_MINIMUM",
]

#: keccak256(rlp([])): the ommers hash of a block without ommers.
EMPTY_OMMER_HASH = keccak256(rlp_encode([]))
ZERO_HASH = b"\x00" * 32
BASE_FEE_MAX_CHANGE_DENOMINATOR = 8
ELASTICITY_MULTIPLIER = 2
GAS_LIMIT_ADJUSTMENT_FACTOR = 1024
GAS_LIMIT_MINIMUM = 5000
INITIAL_BASE_FEE = 1_000_000_000  # EIP-1559, the first London block
MINIMUM_DIFFICULTY = 131072
BLOB_BASE_COST = 2**13  # EIP-7918, Osaka
#: EIP-649/1234/2384/3554: how far each fork pushed the difficulty bomb back.
_BOMB_DELAY_BLOCKS = {
    Fork.BYZANTIUM: 3_000_000, Fork.CONSTANTINOPLE: 5_000_000, Fork.PETERSBURG: 5_000_000,
    Fork.ISTANBUL: 5_000_000, Fork.BERLIN: 9_000_000, Fork.LONDON: 9_700_000,
}


class InvalidBlock(Exception):
    """The block breaks a rule: it is not added to the chain.

    ``name`` is the execution-spec-tests exception that describes the
    failure (``"BlockException.INVALID_GAS_USED"``,
    ``"TransactionException.INTRINSIC_GAS_TOO_LOW"``...).
    """

    def __init__(self, message: str, name: str = "BlockException.INVALID_BLOCK") -> None:
        super().__init__(message)
        self.name = name

    def __str__(self) -> str:
        return f"{self.name}: {self.args[0]}"


def decode_rlp(raw: bytes, what: str) -> Any:
    """``raw`` decoded as RLP, or :class:`InvalidBlock` naming ``what`` is malformed."""
    try:
        return rlp_decode(raw)
    except RLPDecodingError as e:
        raise InvalidBlock(f"{what}: bad RLP: {e}", "BlockException.RLP_STRUCTURES_ENCODING") from None


# (name, kind, first fork); kind: "h32" hash, "addr", "bloom", "nonce", "u64", "u256", "bytes".
_FIELDS = (
    ("parent_hash", "h32", Fork.FRONTIER),
    ("ommers_hash", "h32", Fork.FRONTIER),
    ("coinbase", "addr", Fork.FRONTIER),
    ("state_root", "h32", Fork.FRONTIER),
    ("transactions_root", "h32", Fork.FRONTIER),
    ("receipt_root", "h32", Fork.FRONTIER),
    ("bloom", "bloom", Fork.FRONTIER),
    ("difficulty", "u256", Fork.FRONTIER),
    ("number", "u64", Fork.FRONTIER),
    ("gas_limit", "u64", Fork.FRONTIER),
    ("gas_used", "u64", Fork.FRONTIER),
    ("timestamp", "u64", Fork.FRONTIER),
    ("extra_data", "bytes", Fork.FRONTIER),
    ("prev_randao", "h32", Fork.FRONTIER),  # mix_hash before Paris
    ("nonce", "nonce", Fork.FRONTIER),
    ("base_fee_per_gas", "u256", Fork.LONDON),
    ("withdrawals_root", "h32", Fork.SHANGHAI),
    ("blob_gas_used", "u64", Fork.CANCUN),
    ("excess_blob_gas", "u64", Fork.CANCUN),
    ("parent_beacon_block_root", "h32", Fork.CANCUN),
    ("requests_hash", "h32", Fork.PRAGUE),
)
_SIZES = {"h32": 32, "addr": 20, "bloom": 256, "nonce": 8}
_BASE_COUNT = 15


def header_fields(fork: Fork) -> List[str]:
    """The header field names of ``fork``, in RLP order."""
    return [name for name, _, first in _FIELDS if fork >= first]


@dataclass
class Header:
    """A block header. Fields of later forks are ``None`` when absent.

    ``prev_randao`` is the ``mixHash`` of proof-of-work blocks; ``nonce`` is 8 bytes.
    """

    parent_hash: bytes = ZERO_HASH
    ommers_hash: bytes = EMPTY_OMMER_HASH
    coinbase: bytes = b"\x00" * 20
    state_root: bytes = EMPTY_TRIE_ROOT
    transactions_root: bytes = EMPTY_TRIE_ROOT
    receipt_root: bytes = EMPTY_TRIE_ROOT
    bloom: bytes = b"\x00" * 256
    difficulty: int = 0
    number: int = 0
    gas_limit: int = 30_000_000
    gas_used: int = 0
    timestamp: int = 0
    extra_data: bytes = b""
    prev_randao: bytes = ZERO_HASH
    nonce: bytes = b"\x00" * 8
    base_fee_per_gas: Optional[int] = None
    withdrawals_root: Optional[bytes] = None
    blob_gas_used: Optional[int] = None
    excess_blob_gas: Optional[int] = None
    parent_beacon_block_root: Optional[bytes] = None
    requests_hash: Optional[bytes] = None
    _hash: Optional[bytes] = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name, kind, first in _FIELDS:
            v = getattr(self, name)
            if v is None:
                if first == Fork.FRONTIER:
                    raise ValueError(f"header {name} is required")
                continue
            if kind == "u64" or kind == "u256":
                if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v >= (2**64 if kind == "u64" else 2**256):
                    raise ValueError(f"header {name} must be an int in [0, 2**{64 if kind == 'u64' else 256}), got {v!r}")
            else:
                if not isinstance(v, (bytes, bytearray)):
                    raise TypeError(f"header {name} must be bytes, got {type(v).__name__}")
                if kind in _SIZES and len(v) != _SIZES[kind]:
                    raise ValueError(f"header {name} must be {_SIZES[kind]} bytes, got {len(v)}")
                setattr(self, name, bytes(v))
        present = [getattr(self, name) is not None for name, _, _ in _FIELDS[_BASE_COUNT:]]
        if any(present[i + 1] and not present[i] for i in range(len(present) - 1)):
            raise ValueError("a header field of a later fork is set while an earlier one is not")

    def field_values(self) -> List[Any]:
        """The values in RLP order, stopping at the first absent later-fork field."""
        out = []
        for name, _, _ in _FIELDS:
            v = getattr(self, name)
            if v is None:
                break
            out.append(v)
        return out

    def encode(self) -> bytes:
        """The header's RLP."""
        return rlp_encode(self.field_values())

    @property
    def hash(self) -> bytes:
        """The block hash: keccak256 of the header's RLP."""
        if self._hash is None:
            self._hash = keccak256(self.encode())
        return self._hash

    def copy(self, **changes: Any) -> "Header":
        """A copy with ``changes`` applied (the cached hash is dropped)."""
        return replace(self, _hash=None, **changes)

    @classmethod
    def decode(cls, raw: bytes) -> "Header":
        """Decode a header from its RLP."""
        return cls.from_rlp_item(decode_rlp(raw, "header"))

    @classmethod
    def from_rlp_item(cls, item: Any) -> "Header":
        """A header from its decoded RLP list; errors name the field."""
        if not isinstance(item, list):
            raise InvalidBlock("header: expected a list", "BlockException.RLP_STRUCTURES_ENCODING")
        if not _BASE_COUNT <= len(item) <= len(_FIELDS):
            raise InvalidBlock(f"header: {len(item)} fields, expected {_BASE_COUNT} to {len(_FIELDS)}",
                               "BlockException.RLP_STRUCTURES_ENCODING")
        kwargs: dict = {}
        for (name, kind, _), v in zip(_FIELDS, item):
            if not isinstance(v, bytes):
                raise InvalidBlock(f"header {name}: expected bytes, got a list",
                                   "BlockException.RLP_STRUCTURES_ENCODING")
            if kind in ("u64", "u256"):
                if v[:1] == b"\x00":
                    raise InvalidBlock(f"header {name}: integer with leading zeros",
                                       "BlockException.RLP_STRUCTURES_ENCODING")
                if len(v) > (8 if kind == "u64" else 32):
                    raise InvalidBlock(f"header {name}: does not fit in {64 if kind == 'u64' else 256} bits",
                                       "BlockException.RLP_STRUCTURES_ENCODING|"
                                       "BlockException.RLP_INVALID_FIELD_OVERFLOW_64")
                kwargs[name] = int.from_bytes(v, "big")
            else:
                if kind in _SIZES and len(v) != _SIZES[kind]:
                    raise InvalidBlock(f"header {name}: expected {_SIZES[kind]} bytes, got {len(v)}",
                                       "BlockException.RLP_STRUCTURES_ENCODING|"
                                       + ("BlockException.RLP_INVALID_ADDRESS" if kind == "addr" else
                                          "BlockException.RLP_INVALID_FIELD"))
                kwargs[name] = v
        return cls(**kwargs)

    def fork_shape_matches(self, fork: Fork) -> bool:
        """Whether the header has exactly the fields of ``fork``."""
        return len(self.field_values()) == len(header_fields(fork))


def check_gas_limit(gas_limit: int, parent_gas_limit: int) -> bool:
    """Whether ``gas_limit`` is within 1/1024 of the parent's and at least 5000."""
    max_adjustment_delta = parent_gas_limit // GAS_LIMIT_ADJUSTMENT_FACTOR
    if gas_limit >= parent_gas_limit + max_adjustment_delta:
        return False
    if gas_limit <= parent_gas_limit - max_adjustment_delta:
        return False
    return gas_limit >= GAS_LIMIT_MINIMUM


def calculate_base_fee_per_gas(block_gas_limit: int, parent_gas_limit: int, parent_gas_used: int,
                               parent_base_fee_per_gas: int) -> int:
    """EIP-1559: the base fee of a block from its parent's gas use and base fee."""
    parent_gas_target = parent_gas_limit // ELASTICITY_MULTIPLIER
    if parent_gas_used == parent_gas_target:
        return parent_base_fee_per_gas
    if parent_gas_used > parent_gas_target:
        gas_used_delta = parent_gas_used - parent_gas_target
        target_fee_gas_delta = parent_base_fee_per_gas * gas_used_delta // parent_gas_target
        return parent_base_fee_per_gas + max(target_fee_gas_delta // BASE_FEE_MAX_CHANGE_DENOMINATOR, 1)
    gas_used_delta = parent_gas_target - parent_gas_used
    target_fee_gas_delta = parent_base_fee_per_gas * gas_used_delta // parent_gas_target
    return parent_base_fee_per_gas - target_fee_gas_delta // BASE_FEE_MAX_CHANGE_DENOMINATOR


def target_blob_gas_per_block(fork: Fork) -> int:
    """``TARGET_BLOB_GAS_PER_BLOCK``: 3 blobs in Cancun, 6 from Prague (EIP-7691)."""
    return (3 if fork == Fork.CANCUN else 6) * GAS_PER_BLOB


def calculate_excess_blob_gas(parent: Header, fork: Fork) -> int:
    """EIP-4844 excess blob gas of a block whose parent is ``parent`` (0 after a pre-Cancun parent).

    From Osaka (EIP-7918), when blobs are cheaper than ``BLOB_BASE_COST``
    execution gas, the excess only grows.
    """
    excess_blob_gas = parent.excess_blob_gas or 0
    blob_gas_used = parent.blob_gas_used or 0
    target = target_blob_gas_per_block(fork)
    if excess_blob_gas + blob_gas_used < target:
        return 0
    if fork >= Fork.OSAKA:
        base_fee = parent.base_fee_per_gas or 0
        if BLOB_BASE_COST * base_fee > GAS_PER_BLOB * calculate_blob_gas_price(excess_blob_gas, fork):
            maximum = max_blob_gas_per_block(fork)
            return excess_blob_gas + blob_gas_used * (maximum - target) // maximum
    return excess_blob_gas + blob_gas_used - target


def calculate_block_difficulty(fork: Fork, number: int, timestamp: int, parent: Header) -> int:
    """The proof-of-work difficulty of block ``number`` after ``parent`` (before Paris).

    Frontier: ±1/2048 on a 13 s threshold; Homestead (EIP-2): by steps of 10 s;
    Byzantium (EIP-100): 9 s steps, counting the parent's ommers; plus the
    difficulty bomb, delayed by each fork.
    """
    parent_difficulty = parent.difficulty
    delta = timestamp - parent.timestamp
    if fork == Fork.FRONTIER:
        step = parent_difficulty // 2048
        difficulty = parent_difficulty + step if delta < 13 else parent_difficulty - step
    elif fork < Fork.BYZANTIUM:
        difficulty = parent_difficulty + parent_difficulty // 2048 * max(1 - delta // 10, -99)
    else:
        has_ommers = parent.ommers_hash != EMPTY_OMMER_HASH
        difficulty = parent_difficulty + parent_difficulty // 2048 * max((2 if has_ommers else 1) - delta // 9, -99)
    bomb_number = number - _BOMB_DELAY_BLOCKS.get(fork, 0) if fork >= Fork.BYZANTIUM else number
    num_bomb_periods = bomb_number // 100000 - 2
    if num_bomb_periods >= 0:
        difficulty += 2**num_bomb_periods
    return max(difficulty, MINIMUM_DIFFICULTY)

