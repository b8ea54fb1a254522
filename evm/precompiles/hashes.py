"""SHA256 (0x02), RIPEMD160 (0x03) and IDENTITY (0x04).

Each costs a base fee plus a fee per 32-byte word of input (Yellow Paper,
appendix E); none can fail except by running out of gas.
"""
from __future__ import annotations

import hashlib

from Crypto.Hash import RIPEMD160

from ..forks import Fork
from ._common import word_count

__all__ = [
    "GAS_SHA256",
    "GAS_SHA256_WORD",
    "GAS_RIPEMD160",
    "GAS_RIPEMD160_WORD",
    "GAS_IDENTITY",
    "GAS_IDENTITY_WORD",
    "sha256",
    "sha256_gas",
    "ripemd160",
    "ripemd160_gas",
    "identity",
    "identity_gas",
]

GAS_SHA256 = 60
GAS_SHA256_WORD = 12
GAS_RIPEMD160 = 600
GAS_RIPEMD160_WORD = 120
GAS_IDENTITY = 15
GAS_IDENTITY_WORD = 3


def sha256_gas(data: bytes, fork: Fork) -> int:
    """60 + 12 per word."""
    return GAS_SHA256 + GAS_SHA256_WORD * word_count(len(data))


def sha256(data: bytes) -> bytes:
    """The SHA-256 digest of the input (32 bytes)."""
    return hashlib.sha256(data).digest()


def ripemd160_gas(data: bytes, fork: Fork) -> int:
    """600 + 120 per word."""
    return GAS_RIPEMD160 + GAS_RIPEMD160_WORD * word_count(len(data))


def ripemd160(data: bytes) -> bytes:
    """The RIPEMD-160 digest, left-padded to 32 bytes.

    pycryptodome, since OpenSSL 3 builds of hashlib may lack ripemd160.
    """
    return bytes(12) + RIPEMD160.new(data).digest()


def identity_gas(data: bytes, fork: Fork) -> int:
    """15 + 3 per word."""
    return GAS_IDENTITY + GAS_IDENTITY_WORD * word_count(len(data))


def identity(data: bytes) -> bytes:
    """The input, unchanged."""
    return bytes(data)
