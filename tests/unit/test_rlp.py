"""Unit tests for evm.rlp: hand-checked encodings, strict decoding, and a differential check."""
from __future__ import annotations

import random
from typing import Any

import pytest

from evm.rlp import RLPDecodingError, decode, decode_int, encode


@pytest.mark.parametrize(
    "item,expected",
    [
        (b"", "80"),
        (b"\x00", "00"),
        (b"\x7f", "7f"),
        (b"\x80", "8180"),
        (b"dog", "83646f67"),
        (0, "80"),
        (15, "0f"),
        (1024, "820400"),
        ([], "c0"),
        ([b"cat", b"dog"], "c88363617483646f67"),
        # The set-theoretical representation of three (Yellow Paper example).
        ([[], [[]], [[], [[]]]], "c7c0c1c0c3c0c1c0"),
        (bytearray(b"dog"), "83646f67"),
        ((b"cat", (1,)), "c683636174c101"),
    ],
)
def test_encode_known(item: Any, expected: str) -> None:
    assert encode(item).hex() == expected


def test_length_boundaries() -> None:
    # 55 bytes is the last short form; 56 switches to a one-byte length.
    assert encode(b"a" * 55)[:1] == b"\xb7"
    assert encode(b"a" * 56)[:2] == b"\xb8\x38"
    assert encode(b"a" * 256)[:3] == b"\xb9\x01\x00"
    assert encode([b"\x01"] * 55)[:1] == b"\xf7"
    assert encode([b"\x01"] * 56)[:2] == b"\xf8\x38"


@pytest.mark.parametrize("bad,exc", [("dog", TypeError), (-1, ValueError), (True, TypeError), (None, TypeError), (1.5, TypeError)])
def test_encode_rejects(bad: Any, exc: type) -> None:
    with pytest.raises(exc):
        encode([b"ok", bad])


@pytest.mark.parametrize(
    "hexdata",
    [
        "",  # empty
        "8100",  # single byte < 0x80 given a prefix
        "817f",
        "b800",  # long form for a short length, with zero length
        "b837" + "00" * 55,  # long form for 55 bytes
        "b90038" + "00" * 56,  # length with a leading zero byte
        "f837" + "80" * 55,  # long-form list length < 56
        "83646f",  # truncated string
        "c3646f",  # truncated list
        "c28383",  # item overruns its list
        "8080",  # trailing bytes
        "c0c0",
        "b9",  # truncated length field
        "ffffffffffffffffff00",  # huge length
    ],
)
def test_decode_rejects(hexdata: str) -> None:
    with pytest.raises(RLPDecodingError):
        decode(bytes.fromhex(hexdata))


def test_decode_error_is_value_error() -> None:
    assert issubclass(RLPDecodingError, ValueError)
    with pytest.raises(TypeError):
        decode("c0")  # type: ignore[arg-type]


def test_decode_known() -> None:
    assert decode(bytes.fromhex("c7c0c1c0c3c0c1c0")) == [[], [[]], [[], [[]]]]
    assert decode(b"\x05") == b"\x05"
    assert decode(b"\x80") == b""
    assert decode(bytes.fromhex("c88363617483646f67")) == [b"cat", b"dog"]
    assert decode(bytearray(b"\x83dog")) == b"dog"


def test_deep_nesting_does_not_recurse() -> None:
    # 10,000 nested lists: far beyond the Python recursion limit.
    data = b"\xc0"
    for _ in range(10_000):
        data = _wrap(data)
    item = decode(data)
    depth = 0
    while item:
        item = item[0]
        depth += 1
    assert depth == 10_000


def _wrap(inner: bytes) -> bytes:
    n = len(inner)
    if n < 56:
        return bytes((0xC0 + n,)) + inner
    nb = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0xF7 + len(nb),)) + nb + inner


def test_decode_int() -> None:
    assert decode_int(b"") == 0
    assert decode_int(b"\x01\x00") == 256
    with pytest.raises(RLPDecodingError):
        decode_int(b"\x00")
    with pytest.raises(RLPDecodingError):
        decode_int(b"\x00\x01")


def _random_item(rng: random.Random, depth: int = 0) -> Any:
    r = rng.random()
    if depth < 4 and r < 0.3:
        return [_random_item(rng, depth + 1) for _ in range(rng.randrange(0, 6))]
    if r < 0.6:
        return rng.randbytes(rng.choice([0, 1, 1, 2, 30, 55, 56, 57, 300]))
    return rng.choice([0, 1, 127, 128, 255, 256, 2**64, 2**256 - 1, rng.getrandbits(rng.randrange(1, 300))])


def _canonical(item: Any) -> Any:
    if isinstance(item, list):
        return [_canonical(x) for x in item]
    if isinstance(item, int):
        return item.to_bytes((item.bit_length() + 7) // 8, "big")
    return item


def test_roundtrip_random() -> None:
    rng = random.Random(1234)
    for _ in range(500):
        item = _random_item(rng)
        data = encode(item)
        assert decode(data) == _canonical(item)
        assert encode(decode(data)) == data


def test_matches_execution_specs_rlp() -> None:
    ethereum_rlp = pytest.importorskip("ethereum_rlp")
    from ethereum_types.numeric import Uint

    def to_spec(item: Any) -> Any:
        if isinstance(item, list):
            return [to_spec(x) for x in item]
        if isinstance(item, int):
            return Uint(item)
        return item

    rng = random.Random(99)
    for _ in range(300):
        item = _random_item(rng)
        assert encode(item) == ethereum_rlp.encode(to_spec(item))
