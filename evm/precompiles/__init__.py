"""Precompiled contracts.

The compiled core calls :func:`run_precompile` from its CALL path when the
callee is one of :func:`precompile_addresses` for the current fork. Each
precompile is a gas function and an operation (see ``_common``); gas is
computed and checked before any work is done, and an invalid input fails the
call and consumes all the gas given to it.

========  ======================  ==========  =============================
address   name                    since       module
========  ======================  ==========  =============================
0x01      ECRECOVER               Frontier    ecrecover
0x02      SHA256                  Frontier    hashes
0x03      RIPEMD160               Frontier    hashes
0x04      IDENTITY                Frontier    hashes
0x05      MODEXP                  Byzantium   modexp
0x06      ALT_BN128_ADD           Byzantium   bn254
0x07      ALT_BN128_MUL           Byzantium   bn254
0x08      ALT_BN128_PAIRING       Byzantium   bn254
0x09      BLAKE2F                 Istanbul    blake2f
0x0a      POINT_EVALUATION        Cancun      kzg
0x0b      BLS12_G1ADD             Prague      bls12_381
0x0c      BLS12_G1MSM             Prague      bls12_381
0x0d      BLS12_G2ADD             Prague      bls12_381
0x0e      BLS12_G2MSM             Prague      bls12_381
0x0f      BLS12_PAIRING_CHECK     Prague      bls12_381
0x10      BLS12_MAP_FP_TO_G1      Prague      bls12_381
0x11      BLS12_MAP_FP2_TO_G2     Prague      bls12_381
0x100     P256VERIFY              Osaka       p256
========  ======================  ==========  =============================
"""
from __future__ import annotations

from typing import Callable, Dict, NamedTuple, Optional, Tuple

from ..forks import Fork
import importlib

from ._common import PrecompileFailure

__all__ = [
    "ECRECOVER_ADDRESS",
    "SHA256_ADDRESS",
    "RIPEMD160_ADDRESS",
    "IDENTITY_ADDRESS",
    "MODEXP_ADDRESS",
    "ALT_BN128_ADD_ADDRESS",
    "ALT_BN128_MUL_ADDRESS",
    "ALT_BN128_PAIRING_CHECK_ADDRESS",
    "BLAKE2F_ADDRESS",
    "POINT_EVALUATION_ADDRESS",
    "BLS12_G1_ADD_ADDRESS",
    "BLS12_G1_MSM_ADDRESS",
    "BLS12_G2_ADD_ADDRESS",
    "BLS12_G2_MSM_ADDRESS",
    "BLS12_PAIRING_ADDRESS",
    "BLS12_MAP_FP_TO_G1_ADDRESS",
    "BLS12_MAP_FP2_TO_G2_ADDRESS",
    "P256VERIFY_ADDRESS",
    "Precompile",
    "PRECOMPILES",
    "PrecompileFailure",
    "precompile_addresses",
    "run_precompile",
]

ECRECOVER_ADDRESS = 0x01
SHA256_ADDRESS = 0x02
RIPEMD160_ADDRESS = 0x03
IDENTITY_ADDRESS = 0x04
MODEXP_ADDRESS = 0x05
ALT_BN128_ADD_ADDRESS = 0x06
ALT_BN128_MUL_ADDRESS = 0x07
ALT_BN128_PAIRING_CHECK_ADDRESS = 0x08
BLAKE2F_ADDRESS = 0x09
POINT_EVALUATION_ADDRESS = 0x0A
BLS12_G1_ADD_ADDRESS = 0x0B
BLS12_G1_MSM_ADDRESS = 0x0C
BLS12_G2_ADD_ADDRESS = 0x0D
BLS12_G2_MSM_ADDRESS = 0x0E
BLS12_PAIRING_ADDRESS = 0x0F
BLS12_MAP_FP_TO_G1_ADDRESS = 0x10
BLS12_MAP_FP2_TO_G2_ADDRESS = 0x11
P256VERIFY_ADDRESS = 0x100


class _Lazy:
    """A function of a precompile module, imported on its first call: the
    crypto libraries behind the precompiles cost ~0.2 s and several MiB to
    import, which a program that never calls them should not pay."""

    __slots__ = ("module", "attr", "fn")

    def __init__(self, module: str, attr: str) -> None:
        self.module = module
        self.attr = attr
        self.fn: Optional[Callable[..., object]] = None

    def __call__(self, *args: object) -> object:
        fn = self.fn
        if fn is None:
            fn = self.fn = getattr(importlib.import_module(f"{__name__}.{self.module}"), self.attr)
        return fn(*args)

    def __repr__(self) -> str:
        return f"<precompile function {self.module}.{self.attr}>"


class Precompile(NamedTuple):
    """One precompiled contract: its name, first fork, gas function and operation."""

    name: str
    since: Fork
    gas: Callable[[bytes, Fork], int]
    run: Callable[[bytes], bytes]


#: Every precompile by address.
PRECOMPILES: Dict[int, Precompile] = {
    ECRECOVER_ADDRESS: Precompile("ECRECOVER", Fork.FRONTIER, _Lazy("ecrecover", "ecrecover_gas"), _Lazy("ecrecover", "ecrecover")),
    SHA256_ADDRESS: Precompile("SHA256", Fork.FRONTIER, _Lazy("hashes", "sha256_gas"), _Lazy("hashes", "sha256")),
    RIPEMD160_ADDRESS: Precompile("RIPEMD160", Fork.FRONTIER, _Lazy("hashes", "ripemd160_gas"), _Lazy("hashes", "ripemd160")),
    IDENTITY_ADDRESS: Precompile("IDENTITY", Fork.FRONTIER, _Lazy("hashes", "identity_gas"), _Lazy("hashes", "identity")),
    MODEXP_ADDRESS: Precompile("MODEXP", Fork.BYZANTIUM, _Lazy("modexp", "modexp_gas"), _Lazy("modexp", "modexp")),
    ALT_BN128_ADD_ADDRESS: Precompile(
        "ALT_BN128_ADD", Fork.BYZANTIUM, _Lazy("bn254", "alt_bn128_add_gas"), _Lazy("bn254", "alt_bn128_add")
    ),
    ALT_BN128_MUL_ADDRESS: Precompile(
        "ALT_BN128_MUL", Fork.BYZANTIUM, _Lazy("bn254", "alt_bn128_mul_gas"), _Lazy("bn254", "alt_bn128_mul")
    ),
    ALT_BN128_PAIRING_CHECK_ADDRESS: Precompile(
        "ALT_BN128_PAIRING_CHECK",
        Fork.BYZANTIUM,
        _Lazy("bn254", "alt_bn128_pairing_check_gas"),
        _Lazy("bn254", "alt_bn128_pairing_check"),
    ),
    BLAKE2F_ADDRESS: Precompile("BLAKE2F", Fork.ISTANBUL, _Lazy("blake2f", "blake2f_gas"), _Lazy("blake2f", "blake2f")),
    POINT_EVALUATION_ADDRESS: Precompile(
        "POINT_EVALUATION", Fork.CANCUN, _Lazy("kzg", "point_evaluation_gas"), _Lazy("kzg", "point_evaluation")
    ),
    BLS12_G1_ADD_ADDRESS: Precompile(
        "BLS12_G1ADD", Fork.PRAGUE, _Lazy("bls12_381", "bls12_g1_add_gas"), _Lazy("bls12_381", "bls12_g1_add")
    ),
    BLS12_G1_MSM_ADDRESS: Precompile(
        "BLS12_G1MSM", Fork.PRAGUE, _Lazy("bls12_381", "bls12_g1_msm_gas"), _Lazy("bls12_381", "bls12_g1_msm")
    ),
    BLS12_G2_ADD_ADDRESS: Precompile(
        "BLS12_G2ADD", Fork.PRAGUE, _Lazy("bls12_381", "bls12_g2_add_gas"), _Lazy("bls12_381", "bls12_g2_add")
    ),
    BLS12_G2_MSM_ADDRESS: Precompile(
        "BLS12_G2MSM", Fork.PRAGUE, _Lazy("bls12_381", "bls12_g2_msm_gas"), _Lazy("bls12_381", "bls12_g2_msm")
    ),
    BLS12_PAIRING_ADDRESS: Precompile(
        "BLS12_PAIRING_CHECK", Fork.PRAGUE, _Lazy("bls12_381", "bls12_pairing_gas"), _Lazy("bls12_381", "bls12_pairing")
    ),
    BLS12_MAP_FP_TO_G1_ADDRESS: Precompile(
        "BLS12_MAP_FP_TO_G1",
        Fork.PRAGUE,
        _Lazy("bls12_381", "bls12_map_fp_to_g1_gas"),
        _Lazy("bls12_381", "bls12_map_fp_to_g1"),
    ),
    BLS12_MAP_FP2_TO_G2_ADDRESS: Precompile(
        "BLS12_MAP_FP2_TO_G2",
        Fork.PRAGUE,
        _Lazy("bls12_381", "bls12_map_fp2_to_g2_gas"),
        _Lazy("bls12_381", "bls12_map_fp2_to_g2"),
    ),
    P256VERIFY_ADDRESS: Precompile("P256VERIFY", Fork.OSAKA, _Lazy("p256", "p256verify_gas"), _Lazy("p256", "p256verify")),
}

_ADDRESSES_BY_FORK: Dict[Fork, Tuple[int, ...]] = {
    fork: tuple(sorted(a for a, pc in PRECOMPILES.items() if pc.since <= fork)) for fork in Fork
}


def precompile_addresses(fork: Fork) -> Tuple[int, ...]:
    """The addresses (as ints, ascending) of the precompiles active at ``fork``."""
    return _ADDRESSES_BY_FORK[Fork(fork)]


def run_precompile(address: int, data: bytes, gas: int, fork: Fork) -> Tuple[bool, int, bytes]:
    """Run the precompile at ``address`` with ``gas`` available.

    Returns ``(success, gas_used, output)``. When the gas is insufficient or
    the input is invalid the result is ``(False, gas, b"")``: all gas is
    consumed. Some precompiles (ECRECOVER, P256VERIFY) answer bad input with a
    successful empty output instead, as the specification says.

    Raises ``ValueError`` if no precompile is active at ``address`` in ``fork``.
    """
    precompile = PRECOMPILES.get(address)
    if precompile is None or fork < precompile.since:
        raise ValueError(f"no precompile at address {address:#x} in {Fork(fork).name}")
    if not isinstance(data, bytes):
        data = bytes(data)  # the core may pass a bytearray or memoryview
    try:
        cost = precompile.gas(data, fork)
        if cost > gas:
            return (False, gas, b"")
        return (True, cost, precompile.run(data))
    except PrecompileFailure:
        return (False, gas, b"")
