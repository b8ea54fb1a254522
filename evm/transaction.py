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
from .gas import GAS_INIT_CODE_WORD_COST, MAX_CODE_SIZE, MAX_INIT_CODE_SIZE
from .state import Account, check_uint

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
STANDARD_CALLDATA_TOKEN_COST = 4  # EIP-7623, Prague
FLOOR_CALLDATA_COST = 10
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
def _check_uint(what: str, v: object, limit: Optional[int] = None) -> int:
    return check_uint(v, what, limit)


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
            setattr(self, name, _check_uint(name, getattr(self, name)))
        for name in ("gas_price", "max_fee_per_gas", "max_priority_fee_per_gas", "max_fee_per_blob_gas"):
            v = getattr(self, name)
            if v is not None:
                setattr(self, name, _check_uint(name, v))
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
