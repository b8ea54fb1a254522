"""POINT EVALUATION (0x0a, Cancun, EIP-4844): verify a KZG opening proof.

Input is exactly 192 bytes: ``versioned_hash || z || y || commitment || proof``
(32, 32, 32, 48, 48 bytes). The call succeeds when the commitment hashes to
the versioned hash and the proof shows that the committed polynomial takes the
value ``y`` at ``z``; it returns ``FIELD_ELEMENTS_PER_BLOB`` and
``BLS_MODULUS`` as two 32-byte words. Otherwise it fails.

The check needs a single point of the KZG trusted setup, ``[tau]G2``, so it is
done here with the BLS12-381 pairing of py_arkworks_bls12381: ckzg needs the
whole setup loaded from a file, and its wheel does not ship one.
"""
from __future__ import annotations

import hashlib

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from ..forks import Fork
from ._common import PrecompileFailure

__all__ = [
    "GAS_POINT_EVALUATION",
    "BLS_MODULUS",
    "FIELD_ELEMENTS_PER_BLOB",
    "VERSIONED_HASH_VERSION_KZG",
    "kzg_to_versioned_hash",
    "verify_kzg_proof",
    "point_evaluation",
    "point_evaluation_gas",
]

GAS_POINT_EVALUATION = 50000
#: Order of the BLS12-381 groups: blob field elements live modulo this.
BLS_MODULUS = 52435875175126190479447740508185965837690552500527637822603658699938581184513
FIELD_ELEMENTS_PER_BLOB = 4096
VERSIONED_HASH_VERSION_KZG = b"\x01"

#: ``[tau]G2`` of the Ethereum KZG ceremony (g2_monomial[1] of the mainnet
#: trusted setup), compressed.
_TAU_G2 = G2Point.from_compressed_bytes(
    bytes.fromhex(
        "b5bfd7dd8cdeb128843bc287230af38926187075cbfbefa81009a2ce615ac53d"
        "2914e5870cb452d2afaaab24f3499f72185cbfee53492714734429b7b38608e2"
        "3926c911cceceac9a36851477ba4c60b087041de621000edc98edada20c1def2"
    )
)
_G1 = G1Point()  # generator
_NEG_G2 = -G2Point()
_G1_INFINITY = b"\xc0" + bytes(47)
_INPUT_LENGTH = 192


def kzg_to_versioned_hash(commitment: bytes) -> bytes:
    """The EIP-4844 versioned hash of a 48-byte KZG commitment."""
    return VERSIONED_HASH_VERSION_KZG + hashlib.sha256(commitment).digest()[1:]


def _decode_g1_compressed(data: bytes) -> G1Point:
    """A compressed G1 point (commitment or proof), validated: canonical
    encoding, on the curve, in the subgroup; the point at infinity is allowed."""
    if data[0] & 0x40 and data != _G1_INFINITY:
        # arkworks ignores the bits after an infinity flag; the spec does not
        raise PrecompileFailure("KZG: non-canonical point at infinity")
    try:
        return G1Point.from_compressed_bytes(data)
    except ValueError as e:
        raise PrecompileFailure("KZG: invalid G1 point") from e


def _decode_field(data: bytes) -> int:
    value = int.from_bytes(data, "big")
    if value >= BLS_MODULUS:
        raise PrecompileFailure("KZG: field element not below the BLS modulus")
    return value


def verify_kzg_proof(commitment: bytes, z: bytes, y: bytes, proof: bytes) -> bool:
    """Whether ``proof`` shows that the polynomial committed to is ``y`` at ``z``.

    Raises PrecompileFailure for malformed points or field elements.
    """
    c = _decode_g1_compressed(commitment)
    pi = _decode_g1_compressed(proof)
    z_value = _decode_field(z)
    y_value = _decode_field(y)
    # e(C - [y]G1, -G2) * e(pi, [tau - z]G2) == 1
    return GT.pairing_check(
        [c - _G1 * Scalar(y_value), pi],
        [_NEG_G2, _TAU_G2 - G2Point() * Scalar(z_value)],
    )


def point_evaluation_gas(data: bytes, fork: Fork) -> int:
    """50000; input must be 192 bytes."""
    if len(data) != _INPUT_LENGTH:
        raise PrecompileFailure("POINT EVALUATION input must be 192 bytes")
    return GAS_POINT_EVALUATION


def point_evaluation(data: bytes) -> bytes:
    """Run the point evaluation precompile on a 192-byte input."""
    if len(data) != _INPUT_LENGTH:
        raise PrecompileFailure("POINT EVALUATION input must be 192 bytes")
    versioned_hash = data[:32]
    commitment = data[96:144]
    if kzg_to_versioned_hash(commitment) != versioned_hash:
        raise PrecompileFailure("POINT EVALUATION: versioned hash mismatch")
    if not verify_kzg_proof(commitment, data[32:64], data[64:96], data[144:192]):
        raise PrecompileFailure("POINT EVALUATION: proof does not verify")
    return FIELD_ELEMENTS_PER_BLOB.to_bytes(32, "big") + BLS_MODULUS.to_bytes(32, "big")
