"""BLAKE2F (0x09, Istanbul, EIP-152): the BLAKE2b compression function F.

Input is exactly 213 bytes: ``rounds`` (4 bytes, big-endian), the state ``h``
(8 little-endian 64-bit words), the message block ``m`` (16 words), the offset
counters ``t0, t1`` (2 words) and the final-block flag ``f`` (one byte, 0 or 1).
Output is the new state ``h`` (64 bytes). Gas is one per round.

hashlib's BLAKE2b has a fixed round count, so F is computed by the compiled
core (``evm/_blake2f.h``, without the GIL): the state tests ask for up to
2^32 - 1 rounds. :func:`blake2b_compress` is the same function in Python
(RFC 7693, section 3.2), the reference the tests check the C code against.
"""
from __future__ import annotations

import struct
from typing import List, Sequence

from ..forks import Fork
from ._common import PrecompileFailure

from .._core import blake2f_compress as _blake2f_compress

__all__ = ["GAS_BLAKE2_PER_ROUND", "blake2b_compress", "blake2f", "blake2f_gas"]

GAS_BLAKE2_PER_ROUND = 1
_INPUT_LENGTH = 213
_MASK = 0xFFFFFFFFFFFFFFFF

_IV = (
    0x6A09E667F3BCC908, 0xBB67AE8584CAA73B, 0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1,
    0x510E527FADE682D1, 0x9B05688C2B3E6C1F, 0x1F83D9ABFB41BD6B, 0x5BE0CD19137E2179,
)  # fmt: skip

# Message word schedule per round (round i uses row i mod 10).
_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)

# (a, b, c, d) of the four column mixes then the four diagonal mixes
_MIXES = (
    (0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
    (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14),
)  # fmt: skip


def _mix(v: List[int], a: int, b: int, c: int, d: int, x: int, y: int) -> None:
    """The G function: mix two message words into four state words."""
    va = (v[a] + v[b] + x) & _MASK
    vd = v[d] ^ va
    vd = (vd >> 32) | (vd << 32) & _MASK
    vc = (v[c] + vd) & _MASK
    vb = v[b] ^ vc
    vb = (vb >> 24) | (vb << 40) & _MASK
    va = (va + vb + y) & _MASK
    vd = vd ^ va
    vd = (vd >> 16) | (vd << 48) & _MASK
    vc = (vc + vd) & _MASK
    vb = vb ^ vc
    vb = (vb >> 63) | (vb << 1) & _MASK
    v[a], v[b], v[c], v[d] = va, vb, vc, vd


def blake2b_compress(rounds: int, h: Sequence[int], m: Sequence[int], t0: int, t1: int, final: bool) -> List[int]:
    """BLAKE2b's F with ``rounds`` rounds: returns the new 8-word state."""
    v = list(h) + list(_IV)
    v[12] ^= t0
    v[13] ^= t1
    if final:
        v[14] ^= _MASK
    for i in range(rounds):
        s = _SIGMA[i % 10]
        for j, (a, b, c, d) in enumerate(_MIXES):
            _mix(v, a, b, c, d, m[s[2 * j]], m[s[2 * j + 1]])
    return [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]


def blake2f_gas(data: bytes, fork: Fork) -> int:
    """One gas per round; input of any length but 213 bytes fails."""
    if len(data) != _INPUT_LENGTH:
        raise PrecompileFailure("BLAKE2F input must be 213 bytes")
    return GAS_BLAKE2_PER_ROUND * int.from_bytes(data[:4], "big")


def blake2f(data: bytes) -> bytes:
    """Run BLAKE2F on a 213-byte input; a final-block flag other than 0/1 fails."""
    if len(data) != _INPUT_LENGTH:
        raise PrecompileFailure("BLAKE2F input must be 213 bytes")
    if data[212] > 1:
        raise PrecompileFailure("BLAKE2F final-block flag must be 0 or 1")
    return _blake2f_compress(bytes(data))
