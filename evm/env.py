"""The block environment a transaction runs in (``BlockEnv``).

The fields are what the EVM can observe about its block (COINBASE, NUMBER,
TIMESTAMP, GASLIMIT, BASEFEE, PREVRANDAO/DIFFICULTY, CHAINID, BLOBBASEFEE) plus
what transaction validation needs (the block gas limit, the base fee and the
excess blob gas). Names follow the execution specs' ``BlockEnvironment``.
Block hashes for BLOCKHASH are served by the state's ``get_block_hash``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from .forks import Fork
from .state import check_uint

__all__ = [
    "BlockEnv",
    "fake_exponential",
    "blob_base_fee_update_fraction",
    "calculate_blob_gas_price",
    "GAS_PER_BLOB",
    "MIN_BLOB_GASPRICE",
]

#: EIP-4844: blob gas consumed by one blob.
GAS_PER_BLOB = 2**17
#: EIP-4844: the blob base fee never goes below this (wei per blob gas).
MIN_BLOB_GASPRICE = 1

# EIP-4844 (Cancun) and EIP-7691 (Prague) set the update fraction; Osaka keeps
# Prague's value (ethereum/forks/osaka/vm/gas.py: BLOB_BASE_FEE_UPDATE_FRACTION).
_UPDATE_FRACTION = {
    Fork.CANCUN: 3338477,
    Fork.PRAGUE: 5007716,
    Fork.OSAKA: 5007716,
}


def blob_base_fee_update_fraction(fork: Fork) -> int:
    """``BLOB_BASE_FEE_UPDATE_FRACTION`` of ``fork`` (Cancun or later).

    Raises ``ValueError`` for forks without blobs.
    """
    if fork < Fork.CANCUN:
        raise ValueError(f"{fork.fixture_name} has no blob gas (blobs start at Cancun)")
    # A fork newer than the table keeps the latest known value.
    return _UPDATE_FRACTION.get(fork if type(fork) is Fork else Fork(fork), _UPDATE_FRACTION[max(_UPDATE_FRACTION)])


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """Integer approximation of ``factor * e ** (numerator / denominator)``.

    The Taylor series of EIP-4844 (the spec's ``taylor_exponential``), summed
    until a term rounds to zero.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    i = 1
    output = 0
    accum = factor * denominator
    while accum > 0:
        output += accum
        accum = (accum * numerator) // (denominator * i)
        i += 1
    return output // denominator


def calculate_blob_gas_price(excess_blob_gas: int, fork: Fork) -> int:
    """The blob base fee (wei per blob gas) for a block with ``excess_blob_gas``."""
    if excess_blob_gas < 0:
        raise ValueError(f"excess_blob_gas must be non-negative, got {excess_blob_gas}")
    return fake_exponential(
        MIN_BLOB_GASPRICE, excess_blob_gas, blob_base_fee_update_fraction(fork)
    )


@dataclass
class BlockEnv:
    """Everything about the current block that execution and validation read.

    Attributes:
        coinbase: 20-byte beneficiary address (COINBASE); receives the priority fee.
        number: block number (NUMBER).
        timestamp: block timestamp in seconds (TIMESTAMP).
        gas_limit: block gas limit (GASLIMIT); a transaction may not ask for more.
        base_fee: EIP-1559 base fee per gas (BASEFEE); ``None`` before London.
        prev_randao: 32 bytes pushed by PREVRANDAO from Paris on.
        difficulty: the DIFFICULTY value before Paris.
        excess_blob_gas: EIP-4844 excess blob gas; ``None`` before Cancun.
        chain_id: CHAINID (EIP-1344) and the chain of EIP-7702 authorizations.
        parent_beacon_block_root: EIP-4788 root, optional (state tests leave it unset).
    """

    coinbase: bytes = b"\x00" * 20
    number: int = 0
    timestamp: int = 0
    gas_limit: int = 30_000_000
    base_fee: Optional[int] = None
    prev_randao: bytes = b"\x00" * 32
    difficulty: int = 0
    excess_blob_gas: Optional[int] = None
    chain_id: int = 1
    parent_beacon_block_root: Optional[bytes] = None

    def __post_init__(self) -> None:
        # Catch wrong types here, at the API edge, instead of deep in the core.
        if not isinstance(self.coinbase, (bytes, bytearray)) or len(self.coinbase) != 20:
            raise ValueError(f"coinbase must be 20 bytes, got {self.coinbase!r}")
        self.coinbase = bytes(self.coinbase)
        if not isinstance(self.prev_randao, (bytes, bytearray)) or len(self.prev_randao) != 32:
            raise ValueError(f"prev_randao must be 32 bytes, got {self.prev_randao!r}")
        self.prev_randao = bytes(self.prev_randao)
        for name in ("number", "timestamp", "gas_limit", "difficulty", "chain_id"):
            setattr(self, name, check_uint(getattr(self, name), name, 1 << 256))
        for name in ("base_fee", "excess_blob_gas"):
            v = getattr(self, name)
            if v is not None:
                setattr(self, name, check_uint(v, name, 1 << 256))
        root = self.parent_beacon_block_root
        if root is not None and (not isinstance(root, (bytes, bytearray)) or len(root) != 32):
            raise ValueError(f"parent_beacon_block_root must be 32 bytes, got {root!r}")

    def blob_base_fee(self, fork: Fork) -> int:
        """The blob base fee (BLOBBASEFEE) under ``fork``; excess blob gas ``None`` counts as 0."""
        return calculate_blob_gas_price(self.excess_blob_gas or 0, fork)

    def base_fee_per_gas(self, fork: Fork) -> int:
        """The base fee validation uses: ``base_fee`` from London on (``None`` = 0), else 0."""
        if fork < Fork.LONDON:
            return 0
        return self.base_fee or 0
