"""The compiled Keccak-256 (evm/_keccak.h) against pycryptodome's Keccak."""

from __future__ import annotations

import random

import pytest
from Crypto.Hash import keccak as crypto_keccak

from evm._core import keccak256

RATE = 136  # bytes absorbed per permutation for a 256-bit digest


def reference(data: bytes) -> bytes:
    return crypto_keccak.new(digest_bits=256, data=data).digest()


def test_known_vectors() -> None:
    # Ethereum's empty-code hash and keccak256("abc"); SHA3-256 would differ.
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_all_lengths_up_to_600() -> None:
    rng = random.Random(1)
    for length in range(601):
        data = rng.randbytes(length)
        assert keccak256(data) == reference(data), length


@pytest.mark.parametrize("length", [RATE - 1, RATE, RATE + 1, 2 * RATE - 1, 2 * RATE, 2 * RATE + 1, 10 * RATE])
@pytest.mark.parametrize("fill", [0x00, 0x01, 0x80, 0xFF])
def test_rate_boundaries(length: int, fill: int) -> None:
    # Around block boundaries the 0x01 and 0x80 pad bytes meet or spill into a new block.
    data = bytes([fill]) * length
    assert keccak256(data) == reference(data)


@pytest.mark.parametrize("length", [0, 1, 7, 8, 9, 135, 136, 137, 271, 272, 273, 1000, 4096])
def test_lengths_around_lane_and_rate_edges(length: int) -> None:
    # The last block is absorbed lane by lane with a 0..7 byte partial lane, so
    # lengths at lane (8) and block (136) edges take different code paths.
    data = random.Random(length).randbytes(length)
    assert keccak256(data) == reference(data)


def test_random_sample() -> None:
    # Random lengths up to a few blocks past 4 KiB, fresh random contents each.
    rng = random.Random(3)
    for _ in range(400):
        data = rng.randbytes(rng.randrange(0, 5000))
        assert keccak256(data) == reference(data), len(data)


@pytest.mark.parametrize("offset", range(8))
def test_unaligned_buffers(offset: int) -> None:
    # Lanes are loaded from arbitrary byte addresses: slices starting at every
    # offset modulo 8 must hash the same as a fresh copy.
    base = random.Random(4).randbytes(8 + 3 * RATE + 5)
    for length in (0, 5, 32, RATE - 1, RATE, RATE + 9, 3 * RATE + 5 - offset):
        view = memoryview(base)[offset : offset + length]
        assert keccak256(view) == reference(bytes(view)), (offset, length)


def test_large_input() -> None:
    data = random.Random(2).randbytes(100_003)
    assert keccak256(data) == reference(data)


def test_bytes_like_inputs() -> None:
    data = bytes(range(256)) * 3
    want = reference(data)
    assert keccak256(bytearray(data)) == want
    assert keccak256(memoryview(data)) == want
    assert keccak256(memoryview(data)[5:300]) == reference(data[5:300])
    assert isinstance(keccak256(data), bytes)
    assert len(keccak256(data)) == 32


def test_non_buffer_raises() -> None:
    with pytest.raises(TypeError):
        keccak256("text")
    with pytest.raises(TypeError):
        keccak256(12)
