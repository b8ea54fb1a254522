"""P256VERIFY (0x100, Osaka, EIP-7951): verify a secp256r1 (P-256) ECDSA signature.

Input is exactly 160 bytes: ``hash || r || s || qx || qy`` (32 bytes each).
Output is the 32-byte word 1 for a valid signature. Anything else -- a wrong
input length, ``r`` or ``s`` outside ``(0, n)``, a public key off the curve or
at infinity, a signature that does not verify -- gives empty output, and the
call still succeeds and costs its gas.
"""
from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

from ..forks import Fork

__all__ = ["GAS_P256VERIFY", "SECP256R1N", "SECP256R1P", "p256verify", "p256verify_gas"]

GAS_P256VERIFY = 6900
#: Group order and field prime of secp256r1.
SECP256R1N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
SECP256R1P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_A = SECP256R1P - 3
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_INPUT_LENGTH = 160
_SUCCESS = (1).to_bytes(32, "big")
# the hash is given, so the ECDSA primitive must not hash it again
_ECDSA_PREHASHED = ec.ECDSA(Prehashed(hashes.SHA256()))


def p256verify_gas(data: bytes, fork: Fork) -> int:
    """A flat 6900."""
    return GAS_P256VERIFY


def p256verify(data: bytes) -> bytes:
    """Return 1 as a 32-byte word if the signature verifies, else b""."""
    if len(data) != _INPUT_LENGTH:
        return b""
    message_hash = data[:32]
    r, s, qx, qy = (int.from_bytes(data[i : i + 32], "big") for i in range(32, 160, 32))
    if not (0 < r < SECP256R1N and 0 < s < SECP256R1N):
        return b""
    if qx >= SECP256R1P or qy >= SECP256R1P or (qx == 0 and qy == 0):
        return b""
    if (qy * qy - (qx * qx * qx + _A * qx + _B)) % SECP256R1P != 0:
        return b""
    try:
        public_key = ec.EllipticCurvePublicNumbers(qx, qy, ec.SECP256R1()).public_key()
        public_key.verify(encode_dss_signature(r, s), message_hash, _ECDSA_PREHASHED)
    except (InvalidSignature, ValueError):
        return b""
    return _SUCCESS
