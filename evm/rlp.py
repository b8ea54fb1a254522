"""Recursive Length Prefix (RLP) serialisation, as in the Yellow Paper, appendix B.

An item is a byte string or a list of items. For convenience :func:`encode`
also takes non-negative ints (big-endian, no leading zeros, 0 is the empty
string) and tuples. :func:`decode` is strict: it accepts only the canonical
encoding, so each item has exactly one accepted byte form.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple, Union

__all__ = ["RLPDecodingError", "encode", "decode", "decode_int", "Extended", "Decoded"]

#: What :func:`encode` accepts.
Extended = Union[bytes, bytearray, int, Sequence["Extended"]]
#: What :func:`decode` returns.
Decoded = Union[bytes, List["Decoded"]]


class RLPDecodingError(ValueError):
    """The input is not the canonical RLP encoding of exactly one item."""


def _length_prefix(length: int, offset: int) -> bytes:
    """The header of a payload of ``length`` bytes; offset is 0x80 (string) or 0xc0 (list)."""
    if length < 56:
        return bytes((offset + length,))
    len_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes((offset + 55 + len(len_bytes),)) + len_bytes


def _encode_bytes(b: bytes) -> bytes:
    # A single byte below 0x80 is its own encoding.
    if len(b) == 1 and b[0] < 0x80:
        return bytes(b)
    return _length_prefix(len(b), 0x80) + b


def encode(item: Extended) -> bytes:
    """RLP-encode ``item``: bytes/bytearray, a non-negative int, or a list/tuple of items."""
    if isinstance(item, (bytes, bytearray)):
        return _encode_bytes(bytes(item))
    if isinstance(item, int) and not isinstance(item, bool):
        if item < 0:
            raise ValueError(f"RLP cannot encode a negative integer: {item}")
        return _encode_bytes(item.to_bytes((item.bit_length() + 7) // 8, "big"))
    if isinstance(item, (list, tuple)):
        payload = b"".join([encode(x) for x in item])
        return _length_prefix(len(payload), 0xC0) + payload
    # str is refused on purpose: the caller must choose an encoding.
    raise TypeError(f"cannot RLP-encode an object of type {type(item).__name__}")


def _read_length(data: bytes, pos: int, n_len: int, end: int) -> Tuple[int, int]:
    """Read a long-form length of ``n_len`` bytes at ``pos``; return (length, payload start)."""
    start = pos + n_len
    if start > end:
        raise RLPDecodingError(f"truncated length field at offset {pos}")
    if data[pos] == 0:
        raise RLPDecodingError(f"length with leading zero byte at offset {pos}")
    length = int.from_bytes(data[pos:start], "big")
    if length < 56:
        raise RLPDecodingError(f"length {length} < 56 written in long form at offset {pos}")
    return length, start


def decode(data: bytes) -> Decoded:
    """Decode one RLP item: bytes, or (nested) lists of bytes.

    Raises :class:`RLPDecodingError` on empty, truncated or trailing input and on
    any non-canonical form (a byte < 0x80 written as 0x81xx, a length with
    leading zeros, a short length in long form).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"RLP input must be bytes, got {type(data).__name__}")
    data = bytes(data)
    n = len(data)
    if n == 0:
        raise RLPDecodingError("empty input")
    top: List[Decoded] = []
    # Iterative, with an explicit stack of (open list, end offset), so deep
    # nesting cannot exhaust the Python stack.
    stack: List[Tuple[List[Decoded], int]] = [(top, n)]
    pos = 0
    while stack:
        container, end = stack[-1]
        if pos == end:
            stack.pop()
            continue
        if container is top and top:
            raise RLPDecodingError(f"trailing bytes after the item at offset {pos}")
        b = data[pos]
        if b < 0x80:
            container.append(data[pos : pos + 1])
            pos += 1
        elif b < 0xB8:
            start = pos + 1
            stop = start + b - 0x80
            if stop > end:
                raise RLPDecodingError(f"truncated string at offset {pos}")
            if stop == start + 1 and data[start] < 0x80:
                raise RLPDecodingError(f"single byte < 0x80 given a length prefix at offset {pos}")
            container.append(data[start:stop])
            pos = stop
        elif b < 0xC0:
            length, start = _read_length(data, pos + 1, b - 0xB7, end)
            stop = start + length
            if stop > end:
                raise RLPDecodingError(f"truncated string at offset {pos}")
            container.append(data[start:stop])
            pos = stop
        else:
            if b < 0xF8:
                start = pos + 1
                stop = start + b - 0xC0
            else:
                length, start = _read_length(data, pos + 1, b - 0xF7, end)
                stop = start + length
            if stop > end:
                raise RLPDecodingError(f"truncated list at offset {pos}")
            child: List[Decoded] = []
            container.append(child)
            stack.append((child, stop))
            pos = start
    return top[0]


def decode_int(b: bytes) -> int:
    """Decode an RLP integer payload (big-endian, no leading zeros; empty is 0)."""
    if not isinstance(b, (bytes, bytearray)):
        raise TypeError(f"an RLP integer is bytes, got {type(b).__name__}")
    if b[:1] == b"\x00":
        raise RLPDecodingError("integer with leading zero byte")
    return int.from_bytes(b, "big")
