"""Transactions: the five types, intrinsic gas, validation, sender recovery.

A :class:`Transaction` carries its ``sender`` directly (cyevm does not verify
transaction signatures; :func:`sender_from_secret_key` turns a test key into
an address). Its type is derived from which fee fields are set, the way the
state-test fixtures and the execution specs' t8n tool decide it:

==========  ==============================================================
``tx_type`` set fields
==========  ==============================================================
0           ``gas_price`` (legacy)
1           ``gas_price`` and ``access_list`` (EIP-2930, Berlin)
2           ``max_fee_per_gas``/``max_priority_fee_per_gas`` (EIP-1559, London)
3           ... and ``max_fee_per_blob_gas`` (EIP-4844, Cancun)
4           ... and ``authorization_list`` (EIP-7702, Prague)
==========  ==============================================================

:func:`validate_transaction` performs, in the specs' order, every check that
``validate_transaction`` (transactions.py) and ``check_transaction`` (fork.py)
of the execution specs make before a transaction runs, and raises a subclass
of :class:`InvalidTransaction` named after the spec's exception; each error's
``.name`` is the execution-spec-tests ``TransactionException`` member.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional, Tuple

from .crypto import keccak256
from .env import GAS_PER_BLOB, BlockEnv
from .forks import Fork
from .state import Account

__all__ = [
    "Authorization",
    "Transaction",
    "InvalidTransaction",
    "TransactionTypeNotSupportedError",
    "InvalidTransactionFieldError",
    "InvalidAuthorizationFormatError",
    "InsufficientTransactionGasError",
    "IntrinsicGasBelowFloorError",
    "NonceOverflowError",
    "InitCodeTooLargeError",
    "TransactionGasLimitExceededError",
    "GasUsedExceedsLimitError",
    "BlobGasLimitExceededError",
    "PriorityFeeGreaterThanMaxFeeError",
    "InsufficientMaxFeePerGasError",
    "NoBlobDataError",
    "BlobCountExceededError",
    "InvalidBlobVersionedHashError",
    "InsufficientMaxFeePerBlobGasError",
    "TransactionTypeContractCreationError",
    "EmptyAuthorizationListError",
    "NonceMismatchError",
    "InsufficientBalanceError",
    "InvalidSenderError",
    "calculate_intrinsic_cost",
    "calculate_total_blob_gas",
    "calculate_blob_gas_fee",
    "validate_transaction",
    "sender_from_secret_key",
    "recover_authority",
    "authorization_signing_hash",
    "is_valid_delegation",
    "max_blob_gas_per_block",
    "blob_count_limit",
    "TX_BASE_COST",
    "TX_CREATE_COST",
    "TX_ACCESS_LIST_ADDRESS_COST",
    "TX_ACCESS_LIST_STORAGE_KEY_COST",
    "MAX_CODE_SIZE",
    "MAX_INIT_CODE_SIZE",
    "TX_MAX_GAS_LIMIT",
    "PER_EMPTY_ACCOUNT_COST",
    "PER_AUTH_BASE_COST",
    "EOA_DELEGATION_MARKER",
    "SET_CODE_TX_MAGIC",
    "VERSIONED_HASH_VERSION_KZG",
    "SECP256K1N",
]

# --- Constants (names and values from the execution specs) -----------------
TX_BASE_COST = 21000
TX_DATA_COST_PER_ZERO = 4
TX_DATA_COST_PER_NON_ZERO_FRONTIER = 68
TX_DATA_COST_PER_NON_ZERO = 16  # EIP-2028, Istanbul
TX_CREATE_COST = 32000  # Homestead (EIP-2)
TX_ACCESS_LIST_ADDRESS_COST = 2400  # EIP-2930
TX_ACCESS_LIST_STORAGE_KEY_COST = 1900
GAS_INIT_CODE_WORD_COST = 2  # EIP-3860, Shanghai
STANDARD_CALLDATA_TOKEN_COST = 4  # EIP-7623, Prague
FLOOR_CALLDATA_COST = 10
MAX_CODE_SIZE = 0x6000  # EIP-170
MAX_INIT_CODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860
TX_MAX_GAS_LIMIT = 2**24  # EIP-7825, Osaka
PER_EMPTY_ACCOUNT_COST = 25000  # EIP-7702, intrinsic per authorization
PER_AUTH_BASE_COST = 12500  # EIP-7702, refunded part for existing authorities
SET_CODE_TX_MAGIC = b"\x05"
EOA_DELEGATION_MARKER = b"\xef\x01\x00"
EOA_DELEGATED_CODE_LENGTH = 23
VERSIONED_HASH_VERSION_KZG = b"\x01"
SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

_U64 = 2**64
_U256 = 2**256

# First fork accepting each typed transaction (EIP-2718 envelopes).
_TYPE_FORK = {1: Fork.BERLIN, 2: Fork.LONDON, 3: Fork.CANCUN, 4: Fork.PRAGUE}


def max_blob_gas_per_block(fork: Fork) -> int:
    """``MAX_BLOB_GAS_PER_BLOCK``: 6 blobs in Cancun, 9 in Prague (EIP-7691) and Osaka."""
    if fork < Fork.CANCUN:
        return 0
    return (6 if fork == Fork.CANCUN else 9) * GAS_PER_BLOB


def blob_count_limit(fork: Fork) -> Optional[int]:
    """Per-transaction blob limit: 6 from Osaka (EIP-7594), none before."""
    return 6 if fork >= Fork.OSAKA else None


# --- Errors ----------------------------------------------------------------
class InvalidTransaction(Exception):
    """The transaction cannot be included: nothing of it is applied.

    ``name`` is the execution-spec-tests ``TransactionException`` member that
    describes the failure (e.g. ``"INTRINSIC_GAS_TOO_LOW"``); the class name is
    the execution specs' exception name.
    """

    name = "INVALID_TRANSACTION"

    def __init__(self, message: str = "", *, name: Optional[str] = None) -> None:
        super().__init__(message or self.__class__.__doc__.strip().splitlines()[0])
        if name is not None:
            self.name = name

    def __str__(self) -> str:
        return f"{self.name}: {self.args[0]}"


class TransactionTypeNotSupportedError(InvalidTransaction):
    """The transaction type is not active in this fork."""

    name = "TYPE_NOT_SUPPORTED"


class InvalidTransactionFieldError(InvalidTransaction):
    """A field is out of the range its RLP type allows (the tx cannot be decoded)."""

    name = "RLP_INVALID_VALUE"


class InvalidAuthorizationFormatError(InvalidTransaction):
    """An EIP-7702 authorization has a field out of range."""

    name = "TYPE_4_INVALID_AUTHORIZATION_FORMAT"


class InsufficientTransactionGasError(InvalidTransaction):
    """The gas limit does not cover the intrinsic gas."""

    name = "INTRINSIC_GAS_TOO_LOW"


class IntrinsicGasBelowFloorError(InsufficientTransactionGasError):
    """The gas limit covers the intrinsic gas but not the EIP-7623 calldata floor."""

    name = "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST"


class NonceOverflowError(InvalidTransaction):
    """The nonce is 2**64 - 1 or more (EIP-2681)."""

    name = "NONCE_IS_MAX"


class InitCodeTooLargeError(InvalidTransaction):
    """A create transaction's initcode exceeds MAX_INIT_CODE_SIZE (EIP-3860)."""

    name = "INITCODE_SIZE_EXCEEDED"


class TransactionGasLimitExceededError(InvalidTransaction):
    """The gas limit exceeds the per-transaction cap of 2**24 (EIP-7825)."""

    name = "GAS_LIMIT_EXCEEDS_MAXIMUM"


class GasUsedExceedsLimitError(InvalidTransaction):
    """The gas limit exceeds the gas left in the block."""

    name = "GAS_ALLOWANCE_EXCEEDED"


class BlobGasLimitExceededError(InvalidTransaction):
    """The blob gas exceeds the blob gas left in the block."""

    name = "TYPE_3_TX_MAX_BLOB_GAS_ALLOWANCE_EXCEEDED"


class PriorityFeeGreaterThanMaxFeeError(InvalidTransaction):
    """max_priority_fee_per_gas is greater than max_fee_per_gas."""

    name = "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS"


class InsufficientMaxFeePerGasError(InvalidTransaction):
    """The fee per gas the transaction offers is below the block's base fee."""

    name = "INSUFFICIENT_MAX_FEE_PER_GAS"


class NoBlobDataError(InvalidTransaction):
    """A blob transaction without blobs."""

    name = "TYPE_3_TX_ZERO_BLOBS"


class BlobCountExceededError(InvalidTransaction):
    """More blobs than a transaction may carry (EIP-7594)."""

    name = "TYPE_3_TX_BLOB_COUNT_EXCEEDED"


class InvalidBlobVersionedHashError(InvalidTransaction):
    """A blob versioned hash does not start with the KZG version byte 0x01."""

    name = "TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH"


class InsufficientMaxFeePerBlobGasError(InvalidTransaction):
    """max_fee_per_blob_gas is below the block's blob base fee."""

    name = "INSUFFICIENT_MAX_FEE_PER_BLOB_GAS"


class TransactionTypeContractCreationError(InvalidTransaction):
    """A blob or set-code transaction without a recipient (they cannot create)."""

    name = "TYPE_3_TX_CONTRACT_CREATION"


class EmptyAuthorizationListError(InvalidTransaction):
    """A set-code transaction with an empty authorization list."""

    name = "TYPE_4_EMPTY_AUTHORIZATION_LIST"


class NonceMismatchError(InvalidTransaction):
    """The transaction nonce differs from the sender's nonce."""

    name = "NONCE_MISMATCH_TOO_LOW"


class InsufficientBalanceError(InvalidTransaction):
    """The sender cannot pay the maximum fee plus the value."""

    name = "INSUFFICIENT_ACCOUNT_FUNDS"


class InvalidSenderError(InvalidTransaction):
    """The sender has code that is not an EIP-7702 delegation (EIP-3607)."""

    name = "SENDER_NOT_EOA"


# --- Data types ------------------------------------------------------------
def _check_uint(what: str, v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise TypeError(f"{what} must be an int, got {type(v).__name__}")
    if v < 0:
        raise ValueError(f"{what} must be non-negative, got {v}")
    return v


def _check_bytes(what: str, v: object, length: Optional[int] = None) -> bytes:
    if not isinstance(v, (bytes, bytearray)):
        raise TypeError(f"{what} must be bytes, got {type(v).__name__}")
    if length is not None and len(v) != length:
        raise ValueError(f"{what} must be {length} bytes, got {len(v)}")
    return bytes(v)


@dataclass
class Authorization:
    """An EIP-7702 authorization tuple: "let ``address``'s code run for me".

    The signer (``authority``) is recovered from ``y_parity, r, s`` over
    ``keccak256(0x05 || rlp([chain_id, address, nonce]))``; it is ``None``
    when the signature is invalid (such an authorization is skipped, the
    transaction stays valid).
    """

    chain_id: int
    address: bytes
    nonce: int
    y_parity: int
    r: int
    s: int

    def __post_init__(self) -> None:
        self.address = _check_bytes("authorization address", self.address, 20)
        for name in ("chain_id", "nonce", "y_parity", "r", "s"):
            _check_uint(f"authorization {name}", getattr(self, name))

    @property
    def authority(self) -> Optional[bytes]:
        """The recovered signer address, or ``None`` if the signature is invalid."""
        # Cached by hand: dataclass fields may be changed after creation, so
        # the cache remembers which values it was computed from.
        key = (self.chain_id, self.address, self.nonce, self.y_parity, self.r, self.s)
        cached = self.__dict__.get("_authority_cache")
        if cached is None or cached[0] != key:
            cached = (key, recover_authority(*key))
            self.__dict__["_authority_cache"] = cached
        return cached[1]

    def is_well_formed(self) -> bool:
        """Whether every field fits its RLP type (U256 chain id, U64 nonce, U8 parity)."""
        return (
            self.chain_id < _U256
            and self.nonce < _U64
            and self.y_parity < 256
            and self.r < _U256
            and self.s < _U256
        )


AccessList = List[Tuple[bytes, List[int]]]


@dataclass
class Transaction:
    """A transaction with a known sender.

    Attributes:
        sender: 20-byte address paying for and originating the transaction.
        to: 20-byte recipient, or ``None`` for contract creation.
        nonce: must equal the sender's nonce.
        gas_limit: gas the transaction may use (intrinsic gas included).
        value: wei transferred to ``to`` (or endowed to the new contract).
        data: calldata, or the initcode of a creation.
        gas_price: fee per gas of type 0 and 1 transactions.
        max_fee_per_gas, max_priority_fee_per_gas: EIP-1559 fees (types 2, 3, 4).
        access_list: EIP-2930 ``[(address, [storage key, ...]), ...]``; ``None``
            for a legacy transaction, ``[]`` for a typed one with no entries.
        blob_versioned_hashes: EIP-4844 hashes (type 3).
        max_fee_per_blob_gas: EIP-4844 fee cap per blob gas; set only on type 3.
        authorization_list: EIP-7702 authorizations; set only on type 4.
    """

    sender: bytes
    to: Optional[bytes] = None
    nonce: int = 0
    gas_limit: int = 21000
    value: int = 0
    data: bytes = b""
    gas_price: Optional[int] = None
    max_fee_per_gas: Optional[int] = None
    max_priority_fee_per_gas: Optional[int] = None
    access_list: Optional[AccessList] = None
    blob_versioned_hashes: List[bytes] = field(default_factory=list)
    max_fee_per_blob_gas: Optional[int] = None
    authorization_list: Optional[List[Authorization]] = None

    def __post_init__(self) -> None:
        self.sender = _check_bytes("sender", self.sender, 20)
        if self.to is not None:
            self.to = _check_bytes("to", self.to, 20)
        self.data = _check_bytes("data", self.data)
        for name in ("nonce", "gas_limit", "value"):
            _check_uint(name, getattr(self, name))
        for name in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas", "max_fee_per_blob_gas"):
            v = getattr(self, name)
            if v is not None:
                _check_uint(name, v)
        if self.max_fee_per_gas is None and self.gas_price is None:
            raise ValueError("a transaction needs gas_price (types 0/1) or max_fee_per_gas (types 2+)")
        if (self.max_fee_per_gas is None) != (self.max_priority_fee_per_gas is None):
            raise ValueError("max_fee_per_gas and max_priority_fee_per_gas go together")
        if self.max_fee_per_gas is not None and self.gas_price is not None:
            raise ValueError("gas_price and max_fee_per_gas are exclusive")
        if self.access_list is not None:
            entries = []
            for entry in self.access_list:
                if not isinstance(entry, (tuple, list)) or len(entry) != 2:
                    raise ValueError(f"an access-list entry is (address, [keys]), got {entry!r}")
                address, keys = entry
                address = _check_bytes("access-list address", address, 20)
                clean = []
                for k in keys:
                    if isinstance(k, (bytes, bytearray)):
                        k = int.from_bytes(_check_bytes("storage key", k, 32), "big")
                    _check_uint("storage key", k)
                    if k >= _U256:
                        raise ValueError(f"storage key out of range: {k:#x}")
                    clean.append(k)
                entries.append((address, clean))
            self.access_list = entries
        self.blob_versioned_hashes = [
            _check_bytes("blob versioned hash", h, 32) for h in self.blob_versioned_hashes
        ]
        if self.authorization_list is not None:
            for a in self.authorization_list:
                if not isinstance(a, Authorization):
                    raise TypeError(f"authorization_list holds Authorization, got {type(a).__name__}")
        if self.blob_versioned_hashes and self.max_fee_per_blob_gas is None:
            raise ValueError("blob_versioned_hashes need max_fee_per_blob_gas (a type 3 transaction)")
        if self.max_fee_per_blob_gas is not None or self.authorization_list is not None:
            if self.max_fee_per_gas is None:
                raise ValueError("blob and set-code transactions use max_fee_per_gas, not gas_price")
        if self.max_fee_per_blob_gas is not None and self.authorization_list is not None:
            raise ValueError("a transaction is either a blob (type 3) or a set-code (type 4) transaction")

    @property
    def tx_type(self) -> int:
        """EIP-2718 type: 0 legacy, 1 access list, 2 fee market, 3 blob, 4 set code."""
        if self.authorization_list is not None:
            return 4
        if self.max_fee_per_blob_gas is not None:
            return 3
        if self.max_fee_per_gas is not None:
            return 2
        if self.access_list is not None:
            return 1
        return 0

    @property
    def is_create(self) -> bool:
        """Whether this transaction creates a contract (``to`` is ``None``)."""
        return self.to is None


# --- Gas -------------------------------------------------------------------
def calculate_intrinsic_cost(tx: Transaction, fork: Fork) -> Tuple[int, int]:
    """Gas charged before execution, and the EIP-7623 calldata floor.

    Returns ``(intrinsic_gas, calldata_floor_gas_cost)``; the floor is 0
    before Prague. Intrinsic gas is 21000, plus calldata (4 per zero byte,
    68 per other byte, 16 from Istanbul), plus 32000 for a creation from
    Homestead (and 2 per initcode word from Shanghai), plus 2400 per
    access-list address and 1900 per storage key, plus 25000 per EIP-7702
    authorization.
    """
    data = tx.data
    zero_bytes = data.count(0)
    non_zero_bytes = len(data) - zero_bytes
    if fork >= Fork.ISTANBUL:
        data_cost = zero_bytes * TX_DATA_COST_PER_ZERO + non_zero_bytes * TX_DATA_COST_PER_NON_ZERO
    else:
        data_cost = (
            zero_bytes * TX_DATA_COST_PER_ZERO + non_zero_bytes * TX_DATA_COST_PER_NON_ZERO_FRONTIER
        )

    create_cost = 0
    if tx.to is None and fork >= Fork.HOMESTEAD:
        create_cost = TX_CREATE_COST
        if fork >= Fork.SHANGHAI:
            create_cost += GAS_INIT_CODE_WORD_COST * ((len(data) + 31) // 32)

    access_list_cost = 0
    if tx.tx_type >= 1 and tx.access_list:
        for _address, keys in tx.access_list:
            access_list_cost += TX_ACCESS_LIST_ADDRESS_COST + len(keys) * TX_ACCESS_LIST_STORAGE_KEY_COST

    auth_cost = 0
    if tx.tx_type == 4:
        auth_cost = PER_EMPTY_ACCOUNT_COST * len(tx.authorization_list or ())

    floor = 0
    if fork >= Fork.PRAGUE:
        tokens_in_calldata = zero_bytes + non_zero_bytes * 4
        floor = tokens_in_calldata * FLOOR_CALLDATA_COST + TX_BASE_COST

    return TX_BASE_COST + data_cost + create_cost + access_list_cost + auth_cost, floor


def calculate_total_blob_gas(tx: Transaction) -> int:
    """Blob gas of ``tx``: GAS_PER_BLOB per versioned hash (0 unless type 3)."""
    if tx.tx_type != 3:
        return 0
    return GAS_PER_BLOB * len(tx.blob_versioned_hashes)


def calculate_blob_gas_fee(tx: Transaction, env: BlockEnv, fork: Fork) -> int:
    """What the sender pays for blob gas: total blob gas × the block's blob base fee."""
    if tx.tx_type != 3 or fork < Fork.CANCUN:
        return 0
    return calculate_total_blob_gas(tx) * env.blob_base_fee(fork)


def is_valid_delegation(code: bytes) -> bool:
    """Whether ``code`` is an EIP-7702 delegation designator (0xef0100 || address)."""
    return len(code) == EOA_DELEGATED_CODE_LENGTH and code[:3] == EOA_DELEGATION_MARKER


# --- Validation ------------------------------------------------------------
def _check_decodable(tx: Transaction, fork: Fork) -> None:
    """What the specs reject while decoding: unknown types and out-of-range fields."""
    t = tx.tx_type
    if t and fork < _TYPE_FORK[t]:
        name = f"TYPE_{t}_TX_PRE_FORK" if t >= 3 else "TYPE_NOT_SUPPORTED"
        raise TransactionTypeNotSupportedError(
            f"type {t} transactions start at {_TYPE_FORK[t].fixture_name}, not {fork.fixture_name}",
            name=name,
        )
    nonce_limit = _U64 if t == 4 else _U256
    if tx.nonce >= nonce_limit:
        raise InvalidTransactionFieldError(f"nonce {tx.nonce:#x} does not fit its field", name="NONCE_OVERFLOW")
    if tx.value >= _U256:
        raise InvalidTransactionFieldError(f"value {tx.value:#x} does not fit in 256 bits")
    if tx.max_fee_per_blob_gas is not None and tx.max_fee_per_blob_gas >= _U256:
        raise InvalidTransactionFieldError(
            f"max_fee_per_blob_gas {tx.max_fee_per_blob_gas:#x} does not fit in 256 bits"
        )
    if t == 4:
        for i, auth in enumerate(tx.authorization_list or ()):
            if not auth.is_well_formed():
                raise InvalidAuthorizationFormatError(f"authorization {i} has a field out of range")


def validate_transaction(
    tx: Transaction, sender_account: Optional[Account], env: BlockEnv, fork: Fork
) -> int:
    """Check ``tx`` against ``fork``'s rules, the block and its sender; return the gas price.

    The checks and their order are those of the execution specs: decoding
    (type active in the fork, field ranges), then ``validate_transaction``
    (intrinsic gas and EIP-7623 floor, nonce below 2**64-1, initcode size,
    EIP-7825 gas cap), then ``check_transaction`` (block gas, blob gas, fee
    caps against the base fee, blob rules, no creation by type 3/4, non-empty
    authorization list, nonce, balance, EIP-3607 sender has no code).
    ``sender_account`` ``None`` means the sender does not exist (an empty
    account). Returns the effective gas price (what the sender pays per gas).
    Raises a subclass of :class:`InvalidTransaction`.
    """
    if type(fork) is not Fork:
        fork = Fork(fork)
    _check_decodable(tx, fork)
    t = tx.tx_type

    # transactions.py: validate_transaction
    intrinsic_gas, floor = calculate_intrinsic_cost(tx, fork)
    if intrinsic_gas > tx.gas_limit:
        raise InsufficientTransactionGasError(
            f"gas limit {tx.gas_limit} below intrinsic gas {intrinsic_gas}"
        )
    if floor > tx.gas_limit:
        raise IntrinsicGasBelowFloorError(
            f"gas limit {tx.gas_limit} below the calldata floor {floor}"
        )
    if tx.nonce >= _U64 - 1:
        raise NonceOverflowError(f"nonce {tx.nonce:#x} is 2**64-1 or more")
    if fork >= Fork.SHANGHAI and tx.to is None and len(tx.data) > MAX_INIT_CODE_SIZE:
        raise InitCodeTooLargeError(
            f"initcode is {len(tx.data)} bytes, the limit is {MAX_INIT_CODE_SIZE}"
        )
    if fork >= Fork.OSAKA and tx.gas_limit > TX_MAX_GAS_LIMIT:
        raise TransactionGasLimitExceededError(
            f"gas limit {tx.gas_limit} above the cap {TX_MAX_GAS_LIMIT}"
        )

    # fork.py: check_transaction (a state test's block holds this one tx)
    if tx.gas_limit > env.gas_limit:
        raise GasUsedExceedsLimitError(
            f"gas limit {tx.gas_limit} above the block gas limit {env.gas_limit}"
        )
    if fork >= Fork.CANCUN:
        blob_gas = calculate_total_blob_gas(tx)
        if blob_gas > max_blob_gas_per_block(fork):
            raise BlobGasLimitExceededError(
                f"blob gas {blob_gas} above the block limit {max_blob_gas_per_block(fork)}"
            )

    if sender_account is None:
        sender_account = Account()

    base_fee = env.base_fee_per_gas(fork)
    if t >= 2:
        assert tx.max_fee_per_gas is not None and tx.max_priority_fee_per_gas is not None
        if tx.max_fee_per_gas < tx.max_priority_fee_per_gas:
            raise PriorityFeeGreaterThanMaxFeeError(
                f"max priority fee {tx.max_priority_fee_per_gas} > max fee {tx.max_fee_per_gas}"
            )
        if tx.max_fee_per_gas < base_fee:
            raise InsufficientMaxFeePerGasError(
                f"max fee per gas {tx.max_fee_per_gas} below base fee {base_fee}"
            )
        priority_fee_per_gas = min(tx.max_priority_fee_per_gas, tx.max_fee_per_gas - base_fee)
        effective_gas_price = priority_fee_per_gas + base_fee
        max_gas_fee = tx.gas_limit * tx.max_fee_per_gas
    else:
        assert tx.gas_price is not None
        if tx.gas_price < base_fee:
            raise InsufficientMaxFeePerGasError(
                f"gas price {tx.gas_price} below base fee {base_fee}"
            )
        effective_gas_price = tx.gas_price
        max_gas_fee = tx.gas_limit * tx.gas_price

    if t == 3:
        # Cancun's BlobTransaction cannot even hold an empty `to`, so there
        # the creation check comes first; Prague moved it after the blob rules.
        if fork == Fork.CANCUN and tx.to is None:
            raise TransactionTypeContractCreationError("a blob transaction cannot create a contract")
        blob_count = len(tx.blob_versioned_hashes)
        if blob_count == 0:
            raise NoBlobDataError("a blob transaction without blobs")
        limit = blob_count_limit(fork)
        if limit is not None and blob_count > limit:
            raise BlobCountExceededError(f"{blob_count} blobs, at most {limit} per transaction")
        for h in tx.blob_versioned_hashes:
            if h[:1] != VERSIONED_HASH_VERSION_KZG:
                raise InvalidBlobVersionedHashError(f"versioned hash 0x{h.hex()} is not version 0x01")
        blob_gas_price = env.blob_base_fee(fork)
        assert tx.max_fee_per_blob_gas is not None
        if tx.max_fee_per_blob_gas < blob_gas_price:
            raise InsufficientMaxFeePerBlobGasError(
                f"max fee per blob gas {tx.max_fee_per_blob_gas} below blob base fee {blob_gas_price}"
            )
        max_gas_fee += calculate_total_blob_gas(tx) * tx.max_fee_per_blob_gas

    if t in (3, 4) and tx.to is None:
        raise TransactionTypeContractCreationError(
            f"a type {t} transaction cannot create a contract", name=f"TYPE_{t}_TX_CONTRACT_CREATION"
        )
    if t == 4 and not tx.authorization_list:
        raise EmptyAuthorizationListError("a set-code transaction with no authorizations")

    if sender_account.nonce > tx.nonce:
        raise NonceMismatchError(
            f"nonce {tx.nonce} below the sender's nonce {sender_account.nonce}",
            name="NONCE_MISMATCH_TOO_LOW",
        )
    if sender_account.nonce < tx.nonce:
        raise NonceMismatchError(
            f"nonce {tx.nonce} above the sender's nonce {sender_account.nonce}",
            name="NONCE_MISMATCH_TOO_HIGH",
        )
    if sender_account.balance < max_gas_fee + tx.value:
        raise InsufficientBalanceError(
            f"balance {sender_account.balance} below max fee {max_gas_fee} + value {tx.value}"
        )
    code = sender_account.code
    if code and not (fork >= Fork.PRAGUE and is_valid_delegation(code)):
        raise InvalidSenderError("the sender has code (EIP-3607)")
    return effective_gas_price


# --- Keys and signatures ---------------------------------------------------
def _address_of_public_key(public_key_64: bytes) -> bytes:
    return keccak256(public_key_64)[12:]


def sender_from_secret_key(key: bytes) -> bytes:
    """The 20-byte address of the secp256k1 secret ``key`` (32 bytes).

    keccak256 of the uncompressed public key without its 0x04 prefix, last
    20 bytes. Raises ``ValueError`` for a key that is not 32 bytes or not in
    ``1 .. n-1``.
    """
    import coincurve

    key = _check_bytes("secret key", key, 32)
    k = int.from_bytes(key, "big")
    if not 0 < k < SECP256K1N:
        raise ValueError("secret key must be in 1 .. secp256k1 n - 1")
    public_key = coincurve.PrivateKey(key).public_key.format(compressed=False)
    return _address_of_public_key(public_key[1:])


def authorization_signing_hash(chain_id: int, address: bytes, nonce: int) -> bytes:
    """keccak256(0x05 || rlp([chain_id, address, nonce])), what an authority signs."""
    from .rlp import encode

    return keccak256(SET_CODE_TX_MAGIC + encode([chain_id, bytes(address), nonce]))


def recover_authority(
    chain_id: int, address: bytes, nonce: int, y_parity: int, r: int, s: int
) -> Optional[bytes]:
    """Recover the signer of an EIP-7702 authorization; ``None`` if the signature is invalid.

    Invalid means: ``y_parity`` not 0/1, ``r`` not in 1..n-1, ``s`` not in
    1..n/2 (EIP-2), or no public key recovers (as in the spec's
    ``recover_authority`` raising ``InvalidSignatureError``).
    """
    import coincurve

    if y_parity not in (0, 1):
        return None
    if not 0 < r < SECP256K1N:
        return None
    if not 0 < s <= SECP256K1N // 2:
        return None
    if not (0 <= chain_id < _U256 and 0 <= nonce < _U64) or len(address) != 20:
        return None
    msg_hash = authorization_signing_hash(chain_id, address, nonce)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes((y_parity,))
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(signature, msg_hash, hasher=None)
    except Exception:  # coincurve raises ValueError/Exception for unrecoverable signatures
        return None
    return _address_of_public_key(public_key.format(compressed=False)[1:])



# --- Signed transactions: EIP-2718 envelopes, RLP, hashes, signatures ------
# Decoding follows the field types of the execution specs (and geth's): the
# nonce and gas limit are 64-bit, fees and values 256-bit, ``to`` is 20 bytes
# or empty (creation), access-list entries are (20-byte address, [32-byte
# key]). Each error names the field it is about.
from .rlp import RLPDecodingError  # noqa: E402
from .rlp import decode as _rlp_decode  # noqa: E402
from .rlp import decode_int as _rlp_decode_int  # noqa: E402
from .rlp import encode as _rlp_encode  # noqa: E402

__all__ += [
    "SignedTransaction",
    "TransactionDecodingError",
    "InvalidSignatureError",
    "InvalidChainIdError",
    "GasPriceProductOverflowError",
    "decode_transaction",
    "decode_block_transaction",
    "sign_transaction",
    "check_signed_transaction",
    "recover_sender",
]


class TransactionDecodingError(InvalidTransaction):
    """The bytes are not a well-formed transaction of a known type."""

    name = "RLP_ERROR"


class InvalidSignatureError(InvalidTransaction):
    """The signature values are out of range or recover no public key."""

    name = "INVALID_SIGNATURE_VRS"


class InvalidChainIdError(InvalidTransaction):
    """The transaction is signed for another chain (or v is not 27/28 or 35+2·chain_id/36+…)."""

    name = "INVALID_CHAINID"


class GasPriceProductOverflowError(InvalidTransaction):
    """gas_limit × fee per gas does not fit in 256 bits: no balance could pay it."""

    name = "GASLIMIT_PRICE_PRODUCT_OVERFLOW"


#: Field layout of each type's RLP payload (signature fields excluded).
_SIGNED_FIELDS = {
    0: ("nonce", "gas_price", "gas_limit", "to", "value", "data"),
    1: ("chain_id", "nonce", "gas_price", "gas_limit", "to", "value", "data", "access_list"),
    2: ("chain_id", "nonce", "max_priority_fee_per_gas", "max_fee_per_gas", "gas_limit", "to",
        "value", "data", "access_list"),
    3: ("chain_id", "nonce", "max_priority_fee_per_gas", "max_fee_per_gas", "gas_limit", "to",
        "value", "data", "access_list", "max_fee_per_blob_gas", "blob_versioned_hashes"),
    4: ("chain_id", "nonce", "max_priority_fee_per_gas", "max_fee_per_gas", "gas_limit", "to",
        "value", "data", "access_list", "authorization_list"),
}
_U64_FIELDS = frozenset(("nonce", "gas_limit"))


@dataclass
class SignedTransaction:
    """A transaction as it travels and sits in blocks: fields plus a signature.

    ``v`` is the legacy ``v`` (27/28, or ``35 + 2·chain_id + parity`` with
    EIP-155) for type 0 and the ``y_parity`` (0/1) for typed transactions.
    ``chain_id`` is ``None`` for a legacy transaction without EIP-155.
    ``blobs``/``commitments``/``proofs`` are the EIP-4844 network wrapper
    (``None`` when the transaction came without it, e.g. from a block);
    ``wrapper_version`` is set for the EIP-7594 (Osaka) wrapper with cell
    proofs. Use :func:`decode_transaction` / :func:`sign_transaction` to make
    one, :meth:`encode` for its bytes, :attr:`hash` and :attr:`sender`.
    """

    tx_type: int
    nonce: int
    gas_limit: int
    to: Optional[bytes]
    value: int
    data: bytes
    v: int
    r: int
    s: int
    chain_id: Optional[int] = None
    gas_price: Optional[int] = None
    max_priority_fee_per_gas: Optional[int] = None
    max_fee_per_gas: Optional[int] = None
    access_list: Optional[AccessList] = None
    max_fee_per_blob_gas: Optional[int] = None
    blob_versioned_hashes: List[bytes] = field(default_factory=list)
    authorization_list: Optional[List[Authorization]] = None
    blobs: Optional[List[bytes]] = None
    commitments: Optional[List[bytes]] = None
    proofs: Optional[List[bytes]] = None
    wrapper_version: Optional[int] = None

    # -- RLP ------------------------------------------------------------------
    def _payload_fields(self) -> list:
        out: list = []
        for name in _SIGNED_FIELDS[self.tx_type]:
            value = getattr(self, name)
            if name == "to":
                value = value if value is not None else b""
            elif name == "access_list":
                value = [[a, [k.to_bytes(32, "big") for k in keys]] for a, keys in value or ()]
            elif name == "authorization_list":
                value = [[a.chain_id, a.address, a.nonce, a.y_parity, a.r, a.s] for a in value or ()]
            out.append(value)
        return out

    def signing_hash(self) -> bytes:
        """The hash the sender signs (EIP-155 for a legacy tx with a chain id, EIP-2718 for typed)."""
        fields = self._payload_fields()
        if self.tx_type == 0:
            if self.chain_id is not None:
                fields += [self.chain_id, 0, 0]
            return keccak256(_rlp_encode(fields))
        return keccak256(bytes((self.tx_type,)) + _rlp_encode(fields))

    def encode(self) -> bytes:
        """The canonical encoding without the blob network wrapper: what is hashed and
        put in the transactions trie (``rlp(list)`` for legacy, ``type || rlp(list)`` for typed)."""
        fields = self._payload_fields() + [self.v, self.r, self.s]
        if self.tx_type == 0:
            return _rlp_encode(fields)
        return bytes((self.tx_type,)) + _rlp_encode(fields)

    def encode_network(self) -> bytes:
        """The encoding with the EIP-4844 network wrapper when blobs are attached
        (``0x03 || rlp([tx, [wrapper_version,] blobs, commitments, proofs])``)."""
        if self.tx_type != 3 or self.blobs is None:
            return self.encode()
        body = self._payload_fields() + [self.v, self.r, self.s]
        wrapper: list = [body]
        if self.wrapper_version is not None:
            wrapper.append(self.wrapper_version)
        wrapper += [self.blobs, self.commitments or [], self.proofs or []]
        return b"\x03" + _rlp_encode(wrapper)

    def block_item(self) -> "bytes | list":
        """How the transaction appears in a block body's RLP list: the legacy field
        list itself, or a typed transaction's bytes as a byte string."""
        if self.tx_type == 0:
            return _rlp_decode(self.encode())  # type: ignore[return-value]
        return self.encode()

    @property
    def hash(self) -> bytes:
        """The transaction hash: keccak256 of :meth:`encode`."""
        return keccak256(self.encode())

    # -- signature ------------------------------------------------------------
    @property
    def y_parity(self) -> int:
        """The recovery id (0/1) carried by ``v``; -1 when ``v`` is not a valid value."""
        if self.tx_type != 0:
            return self.v if self.v in (0, 1) else -1
        if self.v in (27, 28):
            return self.v - 27
        if self.chain_id is not None and self.v in (35 + 2 * self.chain_id, 36 + 2 * self.chain_id):
            return self.v - 35 - 2 * self.chain_id
        return -1

    @property
    def sender(self) -> bytes:
        """The recovered sender (signature checks of the latest fork; see :func:`recover_sender`)."""
        cached = self.__dict__.get("_sender_cache")
        key = (self.v, self.r, self.s, self.signing_hash())
        if cached is None or cached[0] != key:
            cached = (key, recover_sender(self))
            self.__dict__["_sender_cache"] = cached
        return cached[1]

    @classmethod
    def from_transaction(cls, tx: Transaction, v: int, r: int, s: int,
                         chain_id: Optional[int] = None) -> "SignedTransaction":
        """The fields of ``tx`` (its ``sender`` aside) with the signature ``v, r, s``."""
        t = tx.tx_type
        return cls(
            tx_type=t, nonce=tx.nonce, gas_limit=tx.gas_limit, to=tx.to, value=tx.value, data=tx.data,
            v=v, r=r, s=s, chain_id=chain_id, gas_price=tx.gas_price,
            max_priority_fee_per_gas=tx.max_priority_fee_per_gas, max_fee_per_gas=tx.max_fee_per_gas,
            access_list=list(tx.access_list) if tx.access_list is not None else ([] if t else None),
            max_fee_per_blob_gas=tx.max_fee_per_blob_gas,
            blob_versioned_hashes=list(tx.blob_versioned_hashes),
            authorization_list=list(tx.authorization_list) if tx.authorization_list is not None else None,
        )

    def to_transaction(self, sender: Optional[bytes] = None) -> Transaction:
        """The executable :class:`Transaction` (``sender`` defaults to the recovered one)."""
        kwargs: dict = dict(
            sender=self.sender if sender is None else sender,
            to=self.to, nonce=self.nonce, gas_limit=self.gas_limit, value=self.value,
            data=self.data,
        )
        if self.tx_type >= 2:
            kwargs.update(max_fee_per_gas=self.max_fee_per_gas,
                          max_priority_fee_per_gas=self.max_priority_fee_per_gas,
                          access_list=list(self.access_list or []))
        else:
            kwargs["gas_price"] = self.gas_price
            if self.tx_type == 1:
                kwargs["access_list"] = list(self.access_list or [])
        if self.tx_type == 3:
            kwargs.update(max_fee_per_blob_gas=self.max_fee_per_blob_gas,
                          blob_versioned_hashes=list(self.blob_versioned_hashes))
        if self.tx_type == 4:
            kwargs["authorization_list"] = list(self.authorization_list or [])
        return Transaction(**kwargs)


# The execution-spec-tests exception spelling of a field, where it differs.
_FIELD_TOKEN = {"gas_limit": "GASLIMIT", "gas_price": "GASPRICE", "max_fee_per_gas": "GASPRICE",
                "max_priority_fee_per_gas": "PRIORITY", "y_parity": "V"}


def _dec_uint(item: object, what: str, bits: int = 256) -> int:
    token = _FIELD_TOKEN.get(what, what.upper())
    if not isinstance(item, bytes):
        raise TransactionDecodingError(f"{what}: expected an integer, got a list",
                                       name=f"RLP_INVALID_{token}")
    if item[:1] == b"\x00":
        token = "BASEFEE" if what == "max_fee_per_gas" else token
        raise TransactionDecodingError(f"{what}: integer with leading zero bytes",
                                       name=f"RLP_LEADING_ZEROS_{token}")
    if len(item) * 8 > bits:
        raise TransactionDecodingError(f"{what}: does not fit in {bits} bits", name=f"{token}_OVERFLOW")
    return _rlp_decode_int(item)


def _dec_bytes(item: object, what: str, length: Optional[int] = None,
               size_error: str = "RLP_INVALID_VALUE_TOO_") -> bytes:
    if not isinstance(item, bytes):
        raise TransactionDecodingError(f"{what}: expected bytes, got a list", name="RLP_INVALID_VALUE")
    if length is not None and len(item) != length:
        raise TransactionDecodingError(f"{what}: expected {length} bytes, got {len(item)}",
                                       name=size_error + ("LONG" if len(item) > length else "SHORT"))
    return item


def _dec_list(item: object, what: str) -> list:
    if not isinstance(item, list):
        raise TransactionDecodingError(f"{what}: expected a list, got bytes", name="RLP_INVALID_VALUE")
    return item


def _dec_access_list(item: object) -> AccessList:
    out: AccessList = []
    for i, entry in enumerate(_dec_list(item, "access_list")):
        entry = _dec_list(entry, f"access_list[{i}]")
        if len(entry) != 2:
            raise TransactionDecodingError(f"access_list[{i}]: expected [address, keys]")
        address = _dec_bytes(entry[0], f"access_list[{i}].address", 20,
                             "RLP_INVALID_ACCESS_LIST_ADDRESS_TOO_")
        keys = [int.from_bytes(_dec_bytes(k, f"access_list[{i}].storage_key", 32,
                                          "RLP_INVALID_ACCESS_LIST_STORAGE_TOO_"), "big")
                for k in _dec_list(entry[1], f"access_list[{i}].storage_keys")]
        out.append((address, keys))
    return out


def _dec_authorizations(item: object) -> List[Authorization]:
    out = []
    for i, entry in enumerate(_dec_list(item, "authorization_list")):
        entry = _dec_list(entry, f"authorization_list[{i}]")
        if len(entry) != 6:
            raise TransactionDecodingError(f"authorization_list[{i}]: expected 6 fields, got {len(entry)}")
        where = f"authorization_list[{i}]"
        out.append(Authorization(
            chain_id=_dec_uint(entry[0], f"{where}.chain_id"),
            address=_dec_bytes(entry[1], f"{where}.address", 20),
            nonce=_dec_uint(entry[2], f"{where}.nonce", 64),
            y_parity=_dec_uint(entry[3], f"{where}.y_parity", 8),
            r=_dec_uint(entry[4], f"{where}.r"),
            s=_dec_uint(entry[5], f"{where}.s"),
        ))
    return out


def _decode_fields(tx_type: int, items: object) -> SignedTransaction:
    names = _SIGNED_FIELDS[tx_type]
    items = _dec_list(items, "transaction")
    if len(items) != len(names) + 3:
        raise TransactionDecodingError(
            f"type {tx_type} transaction has {len(names) + 3} fields, got {len(items)}",
            name="RLP_TOO_FEW_ELEMENTS" if len(items) < len(names) + 3 else "RLP_TOO_MANY_ELEMENTS")
    kwargs: dict = {"tx_type": tx_type}
    for name, item in zip(names, items):
        if name == "to":
            raw = _dec_bytes(item, "to")
            if len(raw) not in (0, 20) or (len(raw) == 0 and tx_type >= 3):
                raise TransactionDecodingError(
                    f"to: expected 20 bytes{'' if tx_type >= 3 else ' or empty'}, got {len(raw)}",
                    name="ADDRESS_TOO_LONG" if len(raw) > 20 else "ADDRESS_TOO_SHORT")
            kwargs["to"] = raw or None
        elif name == "data":
            kwargs["data"] = _dec_bytes(item, "data")
        elif name == "access_list":
            kwargs["access_list"] = _dec_access_list(item)
        elif name == "authorization_list":
            kwargs["authorization_list"] = _dec_authorizations(item)
        elif name == "blob_versioned_hashes":
            kwargs[name] = [_dec_bytes(h, "blob_versioned_hash", 32)
                            for h in _dec_list(item, "blob_versioned_hashes")]
        else:
            kwargs[name] = _dec_uint(item, name, 64 if name in _U64_FIELDS else 256)
    v, r, s = items[len(names):]
    kwargs["v"] = _dec_uint(v, "v" if tx_type == 0 else "y_parity", 256 if tx_type == 0 else 8)
    kwargs["r"] = _dec_uint(r, "r")
    kwargs["s"] = _dec_uint(s, "s")
    stx = SignedTransaction(**kwargs)
    if tx_type == 0 and stx.v not in (27, 28):
        # EIP-155: v = chain_id * 2 + 35 + y_parity; anything else has no chain id
        stx.chain_id = (stx.v - 35) // 2 if stx.v >= 35 else None
    return stx


def decode_transaction(raw: bytes) -> SignedTransaction:
    """Decode a transaction from its bytes: a legacy RLP list, or
    ``type || rlp(payload)`` (EIP-2718), a blob transaction with or without
    its network wrapper. Raises :class:`TransactionDecodingError` naming the
    bad field; types above 4 raise :class:`TransactionTypeNotSupportedError`.
    """
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise TypeError(f"a raw transaction is bytes, got {type(raw).__name__}")
    raw = bytes(raw)
    if not raw:
        raise TransactionDecodingError("empty transaction", name="RLP_ERROR_EOF")
    if raw[0] >= 0xC0:
        tx_type, payload = 0, raw
    elif raw[0] in _SIGNED_FIELDS and raw[0] != 0:
        tx_type, payload = raw[0], raw[1:]
    else:
        raise TransactionTypeNotSupportedError(f"unknown transaction type 0x{raw[0]:02x}")
    try:
        items = _rlp_decode(payload)
    except RLPDecodingError as e:
        raise TransactionDecodingError(f"bad RLP: {e}", name="RLP_ERROR_SIZE") from None
    if tx_type == 3 and isinstance(items, list) and items and isinstance(items[0], list):
        # network wrapper: [tx, blobs, commitments, proofs] or EIP-7594's
        # [tx, wrapper_version, blobs, commitments, cell_proofs]
        version = None
        rest = items[1:]
        if len(rest) == 4:
            version = _dec_uint(rest[0], "wrapper_version", 8)
            rest = rest[1:]
        if len(rest) != 3:
            raise TransactionDecodingError("blob network wrapper: expected [tx, blobs, commitments, proofs]")
        stx = _decode_fields(3, items[0])
        stx.blobs, stx.commitments, stx.proofs = (
            [_dec_bytes(b, what) for b in _dec_list(x, what)]
            for x, what in zip(rest, ("blobs", "commitments", "proofs")))
        stx.wrapper_version = version
        return stx
    return _decode_fields(tx_type, items)


def decode_block_transaction(item: "bytes | list") -> SignedTransaction:
    """Decode one entry of a block body's transaction list: a list is a legacy
    transaction, a byte string an EIP-2718 typed one (never a legacy one)."""
    if isinstance(item, list):
        return _decode_fields(0, item)
    if not item or item[0] >= 0xC0:
        raise TransactionDecodingError("a typed transaction in a block must start with its type byte")
    return decode_transaction(item)


def recover_sender(stx: SignedTransaction, fork: Fork = Fork.OSAKA,
                   chain_id: Optional[int] = None) -> bytes:
    """The sender of ``stx``, checking the signature as ``fork`` does.

    r must be in 1..n-1 and s in 1..n-1, and from Homestead s ≤ n/2 (EIP-2).
    A legacy ``v`` must be 27/28, or from Spurious Dragon
    ``35 + 2·chain_id + y_parity`` (EIP-155); a typed transaction's
    ``y_parity`` must be 0/1. When ``chain_id`` is given, a transaction signed
    for another chain is rejected (:class:`InvalidChainIdError`).
    Raises :class:`InvalidSignatureError` if no public key recovers.
    """
    import coincurve

    if type(fork) is not Fork:
        fork = Fork(fork)
    if stx.tx_type == 0:
        if stx.v not in (27, 28):
            if fork < Fork.SPURIOUS_DRAGON or stx.v < 37 or stx.chain_id is None:
                raise InvalidChainIdError(f"v = {stx.v} is not 27/28" +
                                          ("" if fork < Fork.SPURIOUS_DRAGON else " or 35+2*chain_id(+1)"))
            if chain_id is not None and stx.chain_id != chain_id:
                raise InvalidChainIdError(f"signed for chain {stx.chain_id}, this is chain {chain_id}")
    else:
        if chain_id is not None and stx.chain_id != chain_id:
            raise InvalidChainIdError(f"signed for chain {stx.chain_id}, this is chain {chain_id}")
        if stx.v not in (0, 1):
            raise InvalidSignatureError(f"y_parity must be 0 or 1, got {stx.v}")
    if not 0 < stx.r < SECP256K1N:
        raise InvalidSignatureError("r is not in 1 .. secp256k1n-1")
    s_limit = SECP256K1N // 2 if fork >= Fork.HOMESTEAD else SECP256K1N - 1
    if not 0 < stx.s <= s_limit:
        raise InvalidSignatureError(
            "s is not in 1 .. secp256k1n/2 (EIP-2)" if fork >= Fork.HOMESTEAD else "s is not in 1 .. secp256k1n-1")
    signature = stx.r.to_bytes(32, "big") + stx.s.to_bytes(32, "big") + bytes((stx.y_parity,))
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(
            signature, stx.signing_hash(), hasher=None)
    except Exception:  # coincurve raises a bare Exception when nothing recovers
        raise InvalidSignatureError("no public key recovers from the signature",
                                    name="EC_RECOVERY_FAIL") from None
    return _address_of_public_key(public_key.format(compressed=False)[1:])


def check_signed_transaction(stx: SignedTransaction, fork: Fork, chain_id: int = 1) -> Transaction:
    """Check everything about ``stx`` that needs neither state nor block, and
    return the executable :class:`Transaction` with its recovered sender.

    The type must be active in ``fork``; the signature valid for ``fork`` and
    ``chain_id`` (:func:`recover_sender`); gas_limit × max fee must fit in 256
    bits; then the specs' ``validate_transaction`` checks (intrinsic gas and
    calldata floor, nonce below 2**64-1, initcode size, the EIP-7825 cap),
    which :func:`validate_transaction` makes, run here with a block and a
    sender that cannot fail the block- and state-dependent checks.
    Raises a subclass of :class:`InvalidTransaction`.
    """
    if type(fork) is not Fork:
        fork = Fork(fork)
    t = stx.tx_type
    if t and fork < _TYPE_FORK[t]:
        raise TransactionTypeNotSupportedError(
            f"type {t} transactions start at {_TYPE_FORK[t].fixture_name}, not {fork.fixture_name}")
    sender = recover_sender(stx, fork, chain_id)
    fee = stx.max_fee_per_gas if t >= 2 else stx.gas_price
    if stx.gas_limit * (fee or 0) >= _U256:
        raise GasPriceProductOverflowError(f"gas_limit × fee per gas = {stx.gas_limit * fee:#x}")
    tx = stx.to_transaction(sender)
    # A permissive block and sender: only the state-free rules can fail.
    env = BlockEnv(gas_limit=tx.gas_limit, base_fee=0 if fork >= Fork.LONDON else None,
                   excess_blob_gas=0 if fork >= Fork.CANCUN else None, chain_id=chain_id)
    sender_account = Account(nonce=tx.nonce, balance=_U256 ** 2)
    validate_transaction(tx, sender_account, env, fork)
    return tx


def sign_transaction(tx: Transaction, secret_key: bytes, chain_id: Optional[int] = 1) -> SignedTransaction:
    """Sign ``tx`` with the secp256k1 ``secret_key`` (32 bytes) for ``chain_id``.

    ``tx.sender`` is ignored: the signed transaction's sender is the key's
    address. A legacy transaction is signed with EIP-155 unless ``chain_id``
    is ``None``; typed transactions need a chain id.
    """
    import coincurve

    key = _check_bytes("secret key", secret_key, 32)
    if not 0 < int.from_bytes(key, "big") < SECP256K1N:
        raise ValueError("secret key must be in 1 .. secp256k1 n - 1")
    t = tx.tx_type
    if t and chain_id is None:
        raise ValueError(f"a type {t} transaction needs a chain_id")
    stx = SignedTransaction.from_transaction(tx, 0, 0, 0, chain_id)
    signature = coincurve.PrivateKey(key).sign_recoverable(stx.signing_hash(), hasher=None)
    stx.r = int.from_bytes(signature[:32], "big")
    stx.s = int.from_bytes(signature[32:64], "big")
    y_parity = signature[64]
    if t:
        stx.v = y_parity
    elif chain_id is None:
        stx.v = 27 + y_parity
    else:
        stx.v = 35 + 2 * chain_id + y_parity
    return stx
