"""Signed transactions: EIP-2718 envelopes, RLP, hashes, signatures.

Decoding follows the field types of the execution specs (and geth's): the
nonce and gas limit are 64-bit, fees and values 256-bit, ``to`` is 20 bytes
or empty (creation), access-list entries are (20-byte address, [32-byte
key]). Each error names the field it is about.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

from .crypto import keccak256
from .env import BlockEnv
from .forks import Fork
from .rlp import RLPDecodingError
from .rlp import decode as _rlp_decode
from .rlp import decode_int as _rlp_decode_int
from .rlp import encode as _rlp_encode
from .state import Account
from .transaction import (
    _TYPE_FORK,
    _U256,
    SECP256K1N,
    AccessList,
    Authorization,
    InvalidTransaction,
    Transaction,
    TransactionTypeNotSupportedError,
    _address_of_public_key,
    _check_bytes,
    validate_transaction,
)

__all__ = [
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
    # (a stand-in, not an Account: no real balance is large enough for every
    # fee + value a well-formed transaction may ask for)
    sender_account = _UnboundedSender(tx.nonce)
    validate_transaction(tx, sender_account, env, fork)  # type: ignore[arg-type]
    return tx


class _UnboundedSender:
    """A sender whose nonce matches and whose balance exceeds any cost."""

    __slots__ = ("nonce", "balance", "code", "storage")

    def __init__(self, nonce: int) -> None:
        self.nonce = nonce
        self.balance = _U256 ** 2
        self.code = b""
        self.storage: dict = {}


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
