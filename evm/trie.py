"""Merkle-Patricia trie roots: state root, storage root and the logs hash.

Roots are computed in one pass from the sorted keys (no trie is kept): at
each depth the sorted keys either share a prefix (extension node), are a
single key (leaf node) or split on the next nibble (branch node), and each
group is one contiguous slice of the sorted list. Keys are handled as hex
strings so a nibble is one character and slicing is cheap.

Node references follow the Yellow Paper: a child whose RLP is shorter than
32 bytes is embedded in its parent, otherwise the parent holds its keccak256.
"""
from __future__ import annotations

from typing import Any, Iterable, List, Mapping

from .crypto import keccak256
from .rlp import encode as rlp_encode
from .state import EMPTY_CODE_HASH

__all__ = [
    "EMPTY_TRIE_ROOT",
    "trie_root",
    "secure_trie_root",
    "storage_root",
    "state_root",
    "logs_hash",
    "nibble_list_to_compact",
]

#: keccak256(rlp(b"")): the root of a trie with no keys.
EMPTY_TRIE_ROOT = bytes.fromhex(
    "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
)

_NIBBLES = "0123456789abcdef"


def _enc_bytes(b: bytes) -> bytes:
    """RLP of a byte string (inlined here: this runs once per trie node)."""
    n = len(b)
    if n == 1 and b[0] < 0x80:
        return b
    if n < 56:
        return bytes((0x80 + n,)) + b
    len_bytes = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xB7 + len(len_bytes),)) + len_bytes + b


def _wrap_list(payload: bytes) -> bytes:
    """RLP list header + ``payload`` (the concatenated encodings of the items)."""
    n = len(payload)
    if n < 56:
        return bytes((0xC0 + n,)) + payload
    len_bytes = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(len_bytes),)) + len_bytes + payload


def nibble_list_to_compact(nibbles: str, is_leaf: bool) -> bytes:
    """Hex-prefix encoding of a path given as a hex string (one nibble per char).

    The first nibble holds two flags: bit 1 = leaf, bit 0 = odd length (then
    the path's first nibble shares that byte; otherwise a zero nibble pads it).
    """
    if len(nibbles) % 2:
        return bytes.fromhex(("3" if is_leaf else "1") + nibbles)
    return bytes.fromhex(("20" if is_leaf else "00") + nibbles)


def _ref(node_rlp: bytes) -> bytes:
    """How a parent refers to a child: embed it if short, else its hash."""
    if len(node_rlp) < 32:
        return node_rlp
    return b"\xa0" + keccak256(node_rlp)


def _encode_node(keys: List[str], values: List[bytes], lo: int, hi: int, depth: int) -> bytes:
    """RLP of the node holding sorted ``keys[lo:hi]`` (all sharing ``depth`` nibbles)."""
    first = keys[lo]
    if hi - lo == 1:
        return _wrap_list(_enc_bytes(nibble_list_to_compact(first[depth:], True)) + _enc_bytes(values[lo]))
    # The keys are sorted, so the prefix shared by all is the one shared by
    # the first and the last.
    last = keys[hi - 1]
    end = min(len(first), len(last))
    i = depth
    while i < end and first[i] == last[i]:
        i += 1
    if i > depth:
        child = _encode_node(keys, values, lo, hi, i)
        return _wrap_list(_enc_bytes(nibble_list_to_compact(first[depth:i], False)) + _ref(child))
    # Branch node: 16 children then the value of the key that ends here.
    parts = []
    j = lo
    value = b""
    if len(first) == depth:
        value = values[lo]
        j += 1
    for nibble in _NIBBLES:
        k = j
        while k < hi and keys[k][depth] == nibble:
            k += 1
        if k == j:
            parts.append(b"\x80")
        else:
            parts.append(_ref(_encode_node(keys, values, j, k, depth + 1)))
            j = k
    parts.append(_enc_bytes(value))
    return _wrap_list(b"".join(parts))


def _root_of_hex(items: Iterable[tuple]) -> bytes:
    """Root of a trie given (hex key, value bytes) pairs with non-empty values."""
    pairs = sorted(items)
    if not pairs:
        return EMPTY_TRIE_ROOT
    keys = [k for k, _ in pairs]
    values = [v for _, v in pairs]
    # The root is always hashed, even when its RLP is short.
    return keccak256(_encode_node(keys, values, 0, len(keys), 0))


def _check_bytes(what: str, b: Any) -> bytes:
    """``b`` as bytes, or a TypeError naming ``what`` (bytes(int) would silently zero-fill)."""
    if not isinstance(b, (bytes, bytearray)):
        raise TypeError(f"trie {what} must be bytes, got {type(b).__name__}")
    return bytes(b)


def trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root hash of the Merkle-Patricia trie holding ``items``.

    Keys and values are bytes; a key with an empty value is absent.
    """
    return _root_of_hex(
        (_check_bytes("key", k).hex(), _check_bytes("value", v))
        for k, v in items.items()
        if v
    )


def secure_trie_root(items: Mapping[bytes, bytes]) -> bytes:
    """Root of the "secure" trie of ``items``: each key is replaced by its keccak256."""
    return _root_of_hex(
        (keccak256(_check_bytes("key", k)).hex(), _check_bytes("value", v))
        for k, v in items.items()
        if v
    )


def storage_root(storage: Mapping[int, int]) -> bytes:
    """Root of an account's storage trie.

    Keys are slots as 32-byte big-endian, hashed; values are rlp(int); zero
    values are omitted.
    """
    if not storage:
        return EMPTY_TRIE_ROOT
    pairs = []
    for slot, value in storage.items():
        if not value:
            continue
        if not isinstance(slot, int) or not isinstance(value, int):
            raise TypeError(f"storage slots and values are int, got {slot!r}: {value!r}")
        if not (0 <= slot < 1 << 256 and 0 < value < 1 << 256):
            raise ValueError(f"storage slot or value out of 256-bit range: {slot}: {value}")
        pairs.append(
            (
                keccak256(slot.to_bytes(32, "big")).hex(),
                _enc_bytes(value.to_bytes((value.bit_length() + 7) // 8, "big")),
            )
        )
    return _root_of_hex(pairs)


def state_root(accounts: Mapping[bytes, Any]) -> bytes:
    """Root of the world-state trie.

    ``accounts`` maps 20-byte addresses to objects with ``nonce``, ``balance``,
    ``code`` and ``storage`` (like :class:`evm.state.Account`); a ``State``
    is accepted too. Each leaf is rlp([nonce, balance, storage_root, keccak(code)]),
    under keccak(address).
    """
    accounts = getattr(accounts, "accounts", accounts)
    pairs = []
    for address, account in accounts.items():
        address = _check_bytes("address", address)
        if len(address) != 20:
            raise ValueError(f"an address is 20 bytes, got {len(address)}")
        code = account.code
        leaf = rlp_encode(
            [
                account.nonce,
                account.balance,
                storage_root(account.storage),
                keccak256(code) if code else EMPTY_CODE_HASH,
            ]
        )
        pairs.append((keccak256(address).hex(), leaf))
    return _root_of_hex(pairs)


def logs_hash(logs: Iterable[Any]) -> bytes:
    """keccak256(rlp([[address, [topic, ...], data], ...])).

    Each log is an object with ``address``, ``topics`` and ``data`` attributes,
    or an (address, topics, data) tuple.
    """
    items = []
    for log in logs:
        if isinstance(log, tuple):
            if len(log) != 3:
                raise ValueError(f"a log tuple is (address, topics, data), got {len(log)} items")
            address, topics, data = log
        else:
            address, topics, data = log.address, log.topics, log.data
        items.append(
            [
                _check_bytes("log address", address),
                [_check_bytes("log topic", t) for t in topics],
                _check_bytes("log data", data),
            ]
        )
    return keccak256(rlp_encode(items))
