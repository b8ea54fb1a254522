"""BLS12-381 precompiles (Prague, EIP-2537), on py_arkworks_bls12381.

==========  ==============  ======================================
address     name            input -> output
==========  ==============  ======================================
0x0b        G1ADD           2 G1 points (256 B) -> G1 point
0x0c        G1MSM           k x (G1 point, scalar) -> G1 point
0x0d        G2ADD           2 G2 points (512 B) -> G2 point
0x0e        G2MSM           k x (G2 point, scalar) -> G2 point
0x0f        PAIRING_CHECK   k x (G1 point, G2 point) -> 32-byte 0/1
0x10        MAP_FP_TO_G1    Fp element (64 B) -> G1 point
0x11        MAP_FP2_TO_G2   Fp2 element (128 B) -> G2 point
==========  ==============  ======================================

Encoding: an Fp element is 64 bytes big-endian (the top 16 bytes zero, value
below p); an Fp2 element is ``c0 || c1``; a point is ``x || y``, and all zeros
is the point at infinity. Scalars are 32 bytes big-endian, any value. Every
decoded point must be on its curve; MSM and pairing inputs must also lie in the
order-r subgroup (the additions need not). Any violation, or a wrong input
length, fails the call.
"""
from __future__ import annotations

from typing import List, Sequence

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from ..forks import Fork
from ._common import PrecompileFailure

__all__ = [
    "GAS_BLS_G1_ADD",
    "GAS_BLS_G1_MUL",
    "GAS_BLS_G1_MAP",
    "GAS_BLS_G2_ADD",
    "GAS_BLS_G2_MUL",
    "GAS_BLS_G2_MAP",
    "G1_K_DISCOUNT",
    "G2_K_DISCOUNT",
    "msm_gas",
    "bls12_g1_add",
    "bls12_g1_add_gas",
    "bls12_g1_msm",
    "bls12_g1_msm_gas",
    "bls12_g2_add",
    "bls12_g2_add_gas",
    "bls12_g2_msm",
    "bls12_g2_msm_gas",
    "bls12_pairing",
    "bls12_pairing_gas",
    "bls12_map_fp_to_g1",
    "bls12_map_fp_to_g1_gas",
    "bls12_map_fp2_to_g2",
    "bls12_map_fp2_to_g2_gas",
]

#: Base field modulus.
FIELD_MODULUS = 0x1A0111EA397FE69A4B1BA7B6434BACD764774B84F38512BF6730D2A0F6B0F6241EABFFFEB153FFFFB9FEFFFFFFFFAAAB

GAS_BLS_G1_ADD = 375
GAS_BLS_G1_MUL = 12000
GAS_BLS_G1_MAP = 5500
GAS_BLS_G2_ADD = 600
GAS_BLS_G2_MUL = 22500
GAS_BLS_G2_MAP = 23800
GAS_BLS_PAIRING_BASE = 37700
GAS_BLS_PAIRING_PER_PAIR = 32600

#: EIP-2537 MSM discounts (per mille) for k = 1..128 pairs; beyond, the last.
G1_K_DISCOUNT = (
    1000, 949, 848, 797, 764, 750, 738, 728, 719, 712, 705, 698, 692, 687, 682, 677,
    673, 669, 665, 661, 658, 654, 651, 648, 645, 642, 640, 637, 635, 632, 630, 627,
    625, 623, 621, 619, 617, 615, 613, 611, 609, 608, 606, 604, 603, 601, 599, 598,
    596, 595, 593, 592, 591, 589, 588, 586, 585, 584, 582, 581, 580, 579, 577, 576,
    575, 574, 573, 572, 570, 569, 568, 567, 566, 565, 564, 563, 562, 561, 560, 559,
    558, 557, 556, 555, 554, 553, 552, 551, 550, 549, 548, 547, 547, 546, 545, 544,
    543, 542, 541, 540, 540, 539, 538, 537, 536, 536, 535, 534, 533, 532, 532, 531,
    530, 529, 528, 528, 527, 526, 525, 525, 524, 523, 522, 522, 521, 520, 520, 519,
)  # fmt: skip
G2_K_DISCOUNT = (
    1000, 1000, 923, 884, 855, 832, 812, 796, 782, 770, 759, 749, 740, 732, 724, 717,
    711, 704, 699, 693, 688, 683, 679, 674, 670, 666, 663, 659, 655, 652, 649, 646,
    643, 640, 637, 634, 632, 629, 627, 624, 622, 620, 618, 615, 613, 611, 609, 607,
    606, 604, 602, 600, 598, 597, 595, 593, 592, 590, 589, 587, 586, 584, 583, 582,
    580, 579, 578, 576, 575, 574, 573, 571, 570, 569, 568, 567, 566, 565, 563, 562,
    561, 560, 559, 558, 557, 556, 555, 554, 553, 552, 552, 551, 550, 549, 548, 547,
    546, 545, 545, 544, 543, 542, 541, 541, 540, 539, 538, 537, 537, 536, 535, 535,
    534, 533, 532, 532, 531, 530, 530, 529, 528, 528, 527, 526, 526, 525, 524, 524,
)  # fmt: skip
_MULTIPLIER = 1000

_FP_LENGTH = 64
_G1_LENGTH = 128
_G2_LENGTH = 256
_SCALAR_LENGTH = 32
_G1_MSM_PAIR = _G1_LENGTH + _SCALAR_LENGTH  # 160
_G2_MSM_PAIR = _G2_LENGTH + _SCALAR_LENGTH  # 288
_PAIRING_PAIR = _G1_LENGTH + _G2_LENGTH  # 384


# --------------------------------------------------------------------------
# Encoding
# --------------------------------------------------------------------------


def _fp_to_48(data: bytes) -> bytes:
    """Check a 64-byte Fp element and return its 48-byte big-endian form."""
    if int.from_bytes(data, "big") >= FIELD_MODULUS:
        raise PrecompileFailure("BLS12-381 field element not below p")
    return data[16:]


def _decode_g1(data: bytes, subgroup_check: bool) -> G1Point:
    raw = _fp_to_48(data[:64]) + _fp_to_48(data[64:128])
    try:
        # checks that the point is on the curve; (0, 0) is infinity
        point = G1Point.from_xy_bytes_unchecked_be(raw)
    except ValueError as e:
        raise PrecompileFailure("BLS12-381 G1 point not on curve") from e
    if subgroup_check and not point.is_in_subgroup():
        raise PrecompileFailure("BLS12-381 G1 point not in subgroup")
    return point


def _decode_g2(data: bytes, subgroup_check: bool) -> G2Point:
    raw = b"".join(_fp_to_48(data[i : i + 64]) for i in range(0, 256, 64))
    try:
        point = G2Point.from_xy_bytes_unchecked_be(raw)
    except ValueError as e:
        raise PrecompileFailure("BLS12-381 G2 point not on curve") from e
    if subgroup_check and not point.is_in_subgroup():
        raise PrecompileFailure("BLS12-381 G2 point not in subgroup")
    return point


def _encode(point: G1Point | G2Point) -> bytes:
    """Widen arkworks' 48-byte coordinates to EIP-2537's 64-byte ones."""
    raw = point.to_xy_bytes_be()
    return b"".join(bytes(16) + raw[i : i + 48] for i in range(0, len(raw), 48))


def _check_length(data: bytes, length: int) -> None:
    if len(data) != length:
        raise PrecompileFailure(f"BLS12-381 input must be {length} bytes")


def _pair_count(data: bytes, pair_length: int) -> int:
    if len(data) == 0 or len(data) % pair_length:
        raise PrecompileFailure(f"BLS12-381 input must be a positive multiple of {pair_length} bytes")
    return len(data) // pair_length


# --------------------------------------------------------------------------
# Precompiles
# --------------------------------------------------------------------------


def bls12_g1_add_gas(data: bytes, fork: Fork) -> int:
    """375; input must be 256 bytes."""
    _check_length(data, 2 * _G1_LENGTH)
    return GAS_BLS_G1_ADD


def bls12_g1_add(data: bytes) -> bytes:
    """Sum of two G1 curve points (no subgroup check, as EIP-2537 says)."""
    _check_length(data, 2 * _G1_LENGTH)
    return _encode(_decode_g1(data[:128], False) + _decode_g1(data[128:], False))


def bls12_g2_add_gas(data: bytes, fork: Fork) -> int:
    """600; input must be 512 bytes."""
    _check_length(data, 2 * _G2_LENGTH)
    return GAS_BLS_G2_ADD


def bls12_g2_add(data: bytes) -> bytes:
    """Sum of two G2 curve points (no subgroup check)."""
    _check_length(data, 2 * _G2_LENGTH)
    return _encode(_decode_g2(data[:256], False) + _decode_g2(data[256:], False))


def msm_gas(k: int, mul_cost: int, discounts: Sequence[int]) -> int:
    """EIP-2537 MSM price of ``k`` pairs: ``k * mul_cost * discount(k) // 1000``."""
    discount = discounts[k - 1] if k <= len(discounts) else discounts[-1]
    return k * mul_cost * discount // _MULTIPLIER


def bls12_g1_msm_gas(data: bytes, fork: Fork) -> int:
    """MSM gas with the G1 discount table; input must be k * 160 bytes, k >= 1."""
    return msm_gas(_pair_count(data, _G1_MSM_PAIR), GAS_BLS_G1_MUL, G1_K_DISCOUNT)


def bls12_g1_msm(data: bytes) -> bytes:
    """Sum of scalar * point over k (G1 point, scalar) pairs."""
    k = _pair_count(data, _G1_MSM_PAIR)
    points: List[G1Point] = []
    scalars: List[Scalar] = []
    for start in range(0, k * _G1_MSM_PAIR, _G1_MSM_PAIR):
        points.append(_decode_g1(data[start : start + _G1_LENGTH], True))
        # points are in the order-r subgroup, so reducing the scalar is exact
        scalars.append(Scalar.from_be_bytes_mod_order(data[start + _G1_LENGTH : start + _G1_MSM_PAIR]))
    return _encode(G1Point.multiexp_unchecked(points, scalars))


def bls12_g2_msm_gas(data: bytes, fork: Fork) -> int:
    """MSM gas with the G2 discount table; input must be k * 288 bytes, k >= 1."""
    return msm_gas(_pair_count(data, _G2_MSM_PAIR), GAS_BLS_G2_MUL, G2_K_DISCOUNT)


def bls12_g2_msm(data: bytes) -> bytes:
    """Sum of scalar * point over k (G2 point, scalar) pairs."""
    k = _pair_count(data, _G2_MSM_PAIR)
    points: List[G2Point] = []
    scalars: List[Scalar] = []
    for start in range(0, k * _G2_MSM_PAIR, _G2_MSM_PAIR):
        points.append(_decode_g2(data[start : start + _G2_LENGTH], True))
        scalars.append(Scalar.from_be_bytes_mod_order(data[start + _G2_LENGTH : start + _G2_MSM_PAIR]))
    return _encode(G2Point.multiexp_unchecked(points, scalars))


def bls12_pairing_gas(data: bytes, fork: Fork) -> int:
    """37700 + 32600 per pair; input must be k * 384 bytes, k >= 1."""
    return GAS_BLS_PAIRING_BASE + GAS_BLS_PAIRING_PER_PAIR * _pair_count(data, _PAIRING_PAIR)


def bls12_pairing(data: bytes) -> bytes:
    """1 (as a 32-byte word) if the product of e(P_i, Q_i) is one, else 0."""
    k = _pair_count(data, _PAIRING_PAIR)
    g1s: List[G1Point] = []
    g2s: List[G2Point] = []
    for start in range(0, k * _PAIRING_PAIR, _PAIRING_PAIR):
        g1s.append(_decode_g1(data[start : start + _G1_LENGTH], True))
        g2s.append(_decode_g2(data[start + _G1_LENGTH : start + _PAIRING_PAIR], True))
    return (1 if GT.pairing_check(g1s, g2s) else 0).to_bytes(32, "big")


def bls12_map_fp_to_g1_gas(data: bytes, fork: Fork) -> int:
    """5500; input must be 64 bytes."""
    _check_length(data, _FP_LENGTH)
    return GAS_BLS_G1_MAP


def bls12_map_fp_to_g1(data: bytes) -> bytes:
    """Map an Fp element to G1 (simplified SWU map, isogeny, cofactor clearing)."""
    _check_length(data, _FP_LENGTH)
    return _encode(G1Point.map_from_fp_be(_fp_to_48(data)))


def bls12_map_fp2_to_g2_gas(data: bytes, fork: Fork) -> int:
    """23800; input must be 128 bytes."""
    _check_length(data, 2 * _FP_LENGTH)
    return GAS_BLS_G2_MAP


def bls12_map_fp2_to_g2(data: bytes) -> bytes:
    """Map an Fp2 element ``c0 || c1`` to G2."""
    _check_length(data, 2 * _FP_LENGTH)
    return _encode(G2Point.map_from_fp2_be(_fp_to_48(data[:64]) + _fp_to_48(data[64:])))
