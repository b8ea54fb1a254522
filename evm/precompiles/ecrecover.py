"""ECRECOVER (0x01): recover the signer's address from a secp256k1 signature.

Input (zero-padded to 128 bytes): ``hash || v || r || s``, each a 32-byte word.
Output: the 32-byte left-padded address, or empty output (a *successful* call)
when the signature is invalid: ``v`` not 27/28, ``r`` or ``s`` zero or >= n,
or no public key can be recovered. High ``s`` is accepted here (EIP-2 limits
it only for transactions).
"""
from __future__ import annotations

import coincurve

from ..crypto import keccak256
from ..forks import Fork
from ._common import buffer_read

__all__ = ["GAS_ECRECOVER", "SECP256K1N", "ecrecover", "ecrecover_gas"]

GAS_ECRECOVER = 3000
#: Order of the secp256k1 group.
SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def ecrecover_gas(data: bytes, fork: Fork) -> int:
    """Gas of ECRECOVER: a flat 3000."""
    return GAS_ECRECOVER


def ecrecover(data: bytes) -> bytes:
    """Run ECRECOVER on call data; returns b"" for an invalid signature."""
    data = buffer_read(data, 0, 128)
    message_hash = data[:32]
    v = int.from_bytes(data[32:64], "big")
    r = int.from_bytes(data[64:96], "big")
    s = int.from_bytes(data[96:128], "big")
    if v not in (27, 28):
        return b""
    if not 0 < r < SECP256K1N or not 0 < s < SECP256K1N:
        return b""
    signature = data[64:128] + bytes([v - 27])
    try:
        public_key = coincurve.PublicKey.from_signature_and_message(
            signature, message_hash, hasher=None
        )
    except ValueError:
        # r is not the x coordinate of a curve point, or the recovered key
        # is the point at infinity
        return b""
    uncompressed = public_key.format(compressed=False)[1:]
    address = keccak256(uncompressed)[12:]
    return bytes(12) + address
