"""Tests for evm.precompiles: EIP vectors, gas formulas at edge sizes, failure
modes, and differential runs against the execution specs' own precompiles."""
from __future__ import annotations

import hashlib
import importlib
import json
import random
import re
import struct
from pathlib import Path
from types import SimpleNamespace
from typing import Tuple

import pytest

from evm.forks import Fork
from evm.precompiles import (
    ALT_BN128_ADD_ADDRESS,
    ALT_BN128_MUL_ADDRESS,
    ALT_BN128_PAIRING_CHECK_ADDRESS,
    BLAKE2F_ADDRESS,
    BLS12_G1_ADD_ADDRESS,
    BLS12_G1_MSM_ADDRESS,
    BLS12_G2_ADD_ADDRESS,
    BLS12_G2_MSM_ADDRESS,
    BLS12_MAP_FP2_TO_G2_ADDRESS,
    BLS12_MAP_FP_TO_G1_ADDRESS,
    BLS12_PAIRING_ADDRESS,
    ECRECOVER_ADDRESS,
    IDENTITY_ADDRESS,
    MODEXP_ADDRESS,
    P256VERIFY_ADDRESS,
    POINT_EVALUATION_ADDRESS,
    PRECOMPILES,
    RIPEMD160_ADDRESS,
    SHA256_ADDRESS,
    Precompile,
    precompile_addresses,
    run_precompile,
)
from evm.precompiles import blake2f as blake2f_module
from evm.precompiles import bn254, kzg, modexp as modexp_module
from evm.precompiles.blake2f import blake2b_compress
from evm.precompiles.bls12_381 import FIELD_MODULUS as BLS_P

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
GAS = 10**9
FAIL = (False, GAS, b"")


def call(address: int, data: bytes, fork: Fork = Fork.OSAKA, gas: int = GAS) -> Tuple[bool, int, bytes]:
    return run_precompile(address, data, gas, fork)


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


# --------------------------------------------------------------------------
# The execution specs as an oracle
# --------------------------------------------------------------------------

try:
    import ethereum  # noqa: F401
    from ethereum_types.bytes import Bytes
    from ethereum_types.numeric import Uint

    HAVE_SPEC = True
except ImportError:  # pragma: no cover - the oracle is optional
    HAVE_SPEC = False

needs_spec = pytest.mark.skipif(not HAVE_SPEC, reason="the ethereum execution specs are not importable")

# The spec has no separate Petersburg folder; its "constantinople" is Petersburg.
_SPEC_FORK = {Fork.PETERSBURG: "constantinople"}


def _spec_name(fork: Fork) -> str:
    return _SPEC_FORK.get(fork, fork.name.lower())


def spec_addresses(fork: Fork) -> Tuple[int, ...]:
    mapping = importlib.import_module(f"ethereum.forks.{_spec_name(fork)}.vm.precompiled_contracts.mapping")
    return tuple(sorted(int.from_bytes(a, "big") for a in mapping.PRE_COMPILED_CONTRACTS))


def spec_run(address: int, data: bytes, gas: int, fork: Fork) -> Tuple[bool, int, bytes]:
    """Run the spec's precompile function on a stand-in EVM frame."""
    name = _spec_name(fork)
    mapping = importlib.import_module(f"ethereum.forks.{name}.vm.precompiled_contracts.mapping")
    exceptions = importlib.import_module(f"ethereum.forks.{name}.vm.exceptions")
    function = mapping.PRE_COMPILED_CONTRACTS[address.to_bytes(20, "big")]
    evm = SimpleNamespace(message=SimpleNamespace(data=Bytes(data)), gas_left=Uint(gas), output=Bytes(b""))
    try:
        function(evm)
    except exceptions.ExceptionalHalt:
        return (False, gas, b"")
    return (True, gas - int(evm.gas_left), bytes(evm.output))


def assert_same_as_spec(address: int, data: bytes, fork: Fork, gas: int = 10**8) -> Tuple[bool, int, bytes]:
    ours = run_precompile(address, data, gas, fork)
    assert ours == spec_run(address, data, gas, fork), (hex(address), fork.name, data.hex())
    return ours


# --------------------------------------------------------------------------
# Registry and dispatch
# --------------------------------------------------------------------------


@needs_spec
@pytest.mark.parametrize("fork", list(Fork), ids=lambda f: f.name)
def test_addresses_match_spec(fork: Fork) -> None:
    assert precompile_addresses(fork) == spec_addresses(fork)


def test_activation_forks() -> None:
    assert precompile_addresses(Fork.FRONTIER) == (1, 2, 3, 4)
    assert precompile_addresses(Fork.BYZANTIUM) == (1, 2, 3, 4, 5, 6, 7, 8)
    assert precompile_addresses(Fork.ISTANBUL)[-1] == BLAKE2F_ADDRESS
    assert precompile_addresses(Fork.CANCUN)[-1] == POINT_EVALUATION_ADDRESS
    assert precompile_addresses(Fork.PRAGUE)[-7:] == tuple(range(0x0B, 0x12))
    assert precompile_addresses(Fork.OSAKA)[-1] == P256VERIFY_ADDRESS == 0x100


@pytest.mark.parametrize(
    "address, fork",
    [(0x12, Fork.OSAKA), (0x00, Fork.OSAKA), (0x05, Fork.HOMESTEAD), (0x0A, Fork.SHANGHAI), (0x100, Fork.PRAGUE)],
)
def test_inactive_address_raises(address: int, fork: Fork) -> None:
    with pytest.raises(ValueError):
        run_precompile(address, b"", GAS, fork)


@pytest.mark.parametrize("address", sorted(PRECOMPILES))
def test_gas_is_checked_before_any_work(address: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """With one gas too few, the call fails and the operation never runs."""
    inputs = {
        BLAKE2F_ADDRESS: bytes(4) + bytes(208) + b"\x01",
        POINT_EVALUATION_ADDRESS: bytes(192),
        BLS12_G1_ADD_ADDRESS: bytes(256),
        BLS12_G1_MSM_ADDRESS: bytes(160),
        BLS12_G2_ADD_ADDRESS: bytes(512),
        BLS12_G2_MSM_ADDRESS: bytes(288),
        BLS12_PAIRING_ADDRESS: bytes(384),
        BLS12_MAP_FP_TO_G1_ADDRESS: bytes(64),
        BLS12_MAP_FP2_TO_G2_ADDRESS: bytes(128),
    }
    data = inputs.get(address, bytes(100))
    entry = PRECOMPILES[address]
    cost = entry.gas(data, Fork.OSAKA)

    def must_not_run(_data: bytes) -> bytes:
        raise AssertionError("operation ran without enough gas")

    monkeypatch.setitem(PRECOMPILES, address, Precompile(entry.name, entry.since, entry.gas, must_not_run))
    assert run_precompile(address, data, cost - 1, Fork.OSAKA) == (False, cost - 1, b"")


_EXACT_LENGTHS = {
    ECRECOVER_ADDRESS: (128,),
    ALT_BN128_ADD_ADDRESS: (128,),
    ALT_BN128_MUL_ADDRESS: (96,),
    ALT_BN128_PAIRING_CHECK_ADDRESS: (192, 384),
    BLAKE2F_ADDRESS: (213,),
    POINT_EVALUATION_ADDRESS: (192,),
    BLS12_G1_ADD_ADDRESS: (256,),
    BLS12_G1_MSM_ADDRESS: (160, 320),
    BLS12_G2_ADD_ADDRESS: (512,),
    BLS12_G2_MSM_ADDRESS: (288,),
    BLS12_PAIRING_ADDRESS: (384,),
    BLS12_MAP_FP_TO_G1_ADDRESS: (64,),
    BLS12_MAP_FP2_TO_G2_ADDRESS: (128,),
    P256VERIFY_ADDRESS: (160,),
}


@pytest.mark.parametrize("address", sorted(PRECOMPILES))
def test_random_input_never_raises(address: int) -> None:
    """Garbage in gives a well-formed result, never an exception."""
    rng = random.Random(f"fuzz-{address}")
    lengths = [0, 1, 31, 32, 33, 100] + list(_EXACT_LENGTHS.get(address, ()))
    for fork in (Fork.BYZANTIUM, Fork.CANCUN, Fork.PRAGUE, Fork.OSAKA):
        if address not in precompile_addresses(fork):
            continue
        for length in lengths:
            for _ in range(3):
                data = rng.randbytes(length)
                if address == BLAKE2F_ADDRESS and length == 213:
                    data = b"\x00\x00" + data[2:]  # keep the round count small
                if address == MODEXP_ADDRESS:
                    data = bytes(31) + data[31:32] + bytes(31) + data[63:64] + bytes(31) + data[95:]
                ok, used, out = run_precompile(address, data, 10**6, fork)
                assert isinstance(out, bytes)
                assert (ok and 0 <= used <= 10**6) or (not ok and used == 10**6 and out == b"")


def test_accepts_bytearray_and_memoryview() -> None:
    expected = call(SHA256_ADDRESS, b"abc")
    assert call(SHA256_ADDRESS, bytearray(b"abc")) == expected
    assert call(SHA256_ADDRESS, memoryview(b"abc")) == expected


# --------------------------------------------------------------------------
# SHA256, RIPEMD160, IDENTITY
# --------------------------------------------------------------------------


def test_hash_vectors() -> None:
    # FIPS 180-2 and the RIPEMD-160 reference vectors for "abc"
    assert call(SHA256_ADDRESS, b"abc")[2].hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert call(RIPEMD160_ADDRESS, b"abc")[2].hex() == "00" * 12 + "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"
    assert call(RIPEMD160_ADDRESS, b"")[2].hex() == "00" * 12 + "9c1185a5c5e9fc54612808977ee8f548b2258d31"
    assert call(IDENTITY_ADDRESS, b"\x00\x01\xff") == (True, 18, b"\x00\x01\xff")


@pytest.mark.parametrize("length, words", [(0, 0), (1, 1), (32, 1), (33, 2), (64, 2), (1000, 32)])
def test_hash_gas(length: int, words: int) -> None:
    data = bytes(length)
    assert call(SHA256_ADDRESS, data, Fork.FRONTIER)[1] == 60 + 12 * words
    assert call(RIPEMD160_ADDRESS, data, Fork.FRONTIER)[1] == 600 + 120 * words
    assert call(IDENTITY_ADDRESS, data, Fork.FRONTIER)[1] == 15 + 3 * words
    assert call(SHA256_ADDRESS, data, gas=60 + 12 * words - 1) == (False, 60 + 12 * words - 1, b"")


# --------------------------------------------------------------------------
# ECRECOVER
# --------------------------------------------------------------------------

SECP256K1N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# go-ethereum's ecRecover "ValidKey" vector (the Yellow Paper test address)
EC_HASH = bytes.fromhex("18c547e4f7b0f325ad1e56f57e26c745b09a3e503d86e00e5255ff7f715d3d1c")
EC_R = 0x73B1693892219D736CABA55BDB67216E485557EA6B6AF75F37096C9AA6A5A75F
EC_S = 0xEEB940B1D03B21E36B0E47E79769F095FE2AB855BD91E3A38756B7D75A9C4549
EC_ADDRESS = bytes(12) + bytes.fromhex("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")


def ecrecover_input(v: int, r: int, s: int, message_hash: bytes = EC_HASH) -> bytes:
    return message_hash + word(v) + word(r) + word(s)


def test_ecrecover_vector() -> None:
    assert call(ECRECOVER_ADDRESS, ecrecover_input(28, EC_R, EC_S), Fork.FRONTIER) == (True, 3000, EC_ADDRESS)


def test_ecrecover_accepts_high_s() -> None:
    # (r, n - s) with the other parity recovers the same key; ecrecover does
    # not apply EIP-2's low-s rule
    assert EC_S > SECP256K1N // 2
    low_s = SECP256K1N - EC_S
    assert call(ECRECOVER_ADDRESS, ecrecover_input(27, EC_R, low_s)) == (True, 3000, EC_ADDRESS)


def test_ecrecover_input_is_zero_padded() -> None:
    data = ecrecover_input(28, EC_R, EC_S)
    assert call(ECRECOVER_ADDRESS, data + b"extra bytes ignored") == (True, 3000, EC_ADDRESS)
    assert call(ECRECOVER_ADDRESS, b"") == (True, 3000, b"")


@pytest.mark.parametrize(
    "v, r, s",
    [
        (29, EC_R, EC_S),
        (0, EC_R, EC_S),
        (1, EC_R, EC_S),
        (27 + 2**255, EC_R, EC_S),
        (28, 0, EC_S),
        (28, EC_R, 0),
        (28, SECP256K1N, EC_S),
        (28, EC_R, SECP256K1N),
        (28, 2**256 - 1, EC_S),
        (28, 5, EC_S),  # 5 is not the x coordinate of a curve point
    ],
)
def test_ecrecover_invalid_signature_gives_empty_success(v: int, r: int, s: int) -> None:
    assert call(ECRECOVER_ADDRESS, ecrecover_input(v, r, s)) == (True, 3000, b"")


# --------------------------------------------------------------------------
# MODEXP
# --------------------------------------------------------------------------


def modexp_input(base: bytes, exp: bytes, mod: bytes) -> bytes:
    return word(len(base)) + word(len(exp)) + word(len(mod)) + base + exp + mod


SECP256K1P = 2**256 - 2**32 - 977
FERMAT = modexp_input(b"\x03", word(SECP256K1P - 1), word(SECP256K1P))


@pytest.mark.parametrize("fork, gas", [(Fork.BYZANTIUM, 13056), (Fork.BERLIN, 1360), (Fork.OSAKA, 4080)])
def test_modexp_eip198_example(fork: Fork, gas: int) -> None:
    # EIP-198 example 1: 3^(p-1) mod p = 1 (Fermat); gas: complexity 32^2 (EIP-198),
    # 4^2 words (EIP-2565) or 16 (EIP-7883), times 255 iterations
    assert call(MODEXP_ADDRESS, FERMAT, fork) == (True, gas, word(1))


def test_modexp_zero_modulus_and_empty() -> None:
    # EIP-198 example 2: modulus 0 gives zeros of the modulus length
    data = modexp_input(b"", word(SECP256K1P - 1), word(0))
    assert call(MODEXP_ADDRESS, data, Fork.BYZANTIUM)[2] == bytes(32)
    empty = word(0) + word(0) + word(0)
    assert call(MODEXP_ADDRESS, empty, Fork.BYZANTIUM) == (True, 0, b"")
    assert call(MODEXP_ADDRESS, empty, Fork.BERLIN) == (True, 200, b"")
    assert call(MODEXP_ADDRESS, empty, Fork.OSAKA) == (True, 500, b"")
    assert call(MODEXP_ADDRESS, b"", Fork.OSAKA) == (True, 500, b"")


@pytest.mark.parametrize(
    "base, exp, mod, expected",
    [
        (b"\x00", b"\x00", b"\x01", b"\x00"),  # 0^0 mod 1
        (b"\x00", b"\x00", b"\x00\x05", b"\x00\x01"),  # 0^0 = 1
        (b"\x00", b"\x05", b"\x07", b"\x00"),
        (b"\x02", b"", b"\x07", b"\x01"),  # empty exponent is 0
        (b"\xff" * 40, b"\x02", b"\x01" + bytes(39), bytes(39) + b"\x01"),  # (2^320 - 1)^2 mod 2^312
    ],
    ids=["0^0 mod 1", "0^0 mod 5", "0^5 mod 7", "empty exponent", "wide"],
)
def test_modexp_small_cases(
    base: bytes, exp: bytes, mod: bytes, expected: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    b, e, m = (int.from_bytes(x, "big") for x in (base, exp, mod))
    assert expected == (pow(b, e, m) if m else 0).to_bytes(len(mod), "big")
    assert call(MODEXP_ADDRESS, modexp_input(base, exp, mod), Fork.BERLIN)[2] == expected
    # the same without gmpy2
    monkeypatch.setattr(modexp_module, "_gmp_powmod", None)
    assert call(MODEXP_ADDRESS, modexp_input(base, exp, mod), Fork.BERLIN)[2] == expected


def test_modexp_reads_past_end_as_zeros() -> None:
    # lengths promise more bytes than given: base 2, exponent 0x0300.. (padded), mod 0
    data = word(1) + word(2) + word(1) + b"\x02\x03"
    assert call(MODEXP_ADDRESS, data, Fork.BERLIN)[2] == b"\x00"
    data = word(1) + word(1) + word(2) + b"\x02\x03\x01"  # mod = 0x0100
    assert call(MODEXP_ADDRESS, data, Fork.BERLIN)[2] == (8).to_bytes(2, "big")


def _modexp_gas(base_len: int, exp_len: int, mod_len: int, exp_head: bytes, fork: Fork) -> int:
    data = word(base_len) + word(exp_len) + word(mod_len) + bytes(base_len) + exp_head
    ok, gas, _ = call(MODEXP_ADDRESS, data, fork)
    assert ok
    return gas


@pytest.mark.parametrize(
    "max_len, byzantium, berlin, osaka",
    [
        # exponent 0x03 (1 iteration); complexity by each fork's formula
        (1, 1 // 20, 200, 500),
        (32, 32**2 // 20, 200, 500),
        (33, 33**2 // 20, 200, 2 * 5**2 if 2 * 5**2 > 500 else 500),
        (64, 64**2 // 20, 200, 500),
        (65, (65**2 // 4 + 96 * 65 - 3072) // 20, 200, 500),
        (1024, (1024**2 // 4 + 96 * 1024 - 3072) // 20, 128**2 // 3, 2 * 128**2),
        (1025, (1025**2 // 16 + 480 * 1025 - 199680) // 20, 129**2 // 3, None),
    ],
)
def test_modexp_complexity_edges(max_len: int, byzantium: int, berlin: int, osaka: int | None) -> None:
    head = b"\x03"
    assert _modexp_gas(max_len, 1, 1, head, Fork.BYZANTIUM) == byzantium
    assert _modexp_gas(1, 1, max_len, head, Fork.BERLIN) == berlin
    if osaka is None:
        data = word(max_len) + word(1) + word(1)
        assert call(MODEXP_ADDRESS, data, Fork.OSAKA) == FAIL
    else:
        assert _modexp_gas(max_len, 1, 1, head, Fork.OSAKA) == osaka


@pytest.mark.parametrize(
    "exp_len, head, iterations, osaka_iterations",
    [
        (0, b"", 1, 1),
        (1, b"\x00", 1, 1),
        (1, b"\x01", 1, 1),
        (1, b"\x80", 7, 7),
        (32, b"\x80" + bytes(31), 255, 255),
        (33, b"\x00" * 33, 8, 16),
        (33, b"\x01" + bytes(32), 8 + 248, 16 + 248),
        (40, b"\xff" * 32, 64 + 255, 128 + 255),
    ],
)
def test_modexp_iteration_edges(exp_len: int, head: bytes, iterations: int, osaka_iterations: int) -> None:
    # 256-byte modulus makes every fork's price proportional to the iterations
    assert _modexp_gas(256, exp_len, 256, head, Fork.BYZANTIUM) == (256**2 // 4 + 96 * 256 - 3072) * iterations // 20
    assert _modexp_gas(256, exp_len, 256, head, Fork.BERLIN) == max(200, 32**2 * iterations // 3)
    assert _modexp_gas(256, exp_len, 256, head, Fork.OSAKA) == max(500, 2 * 32**2 * osaka_iterations)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_modexp_osaka_length_bound(which: int) -> None:
    lengths = [1, 1, 1]
    lengths[which] = 1024
    data = b"".join(word(n) for n in lengths) + bytes(1026)
    assert call(MODEXP_ADDRESS, data, Fork.OSAKA)[0] is True
    lengths[which] = 1025
    data = b"".join(word(n) for n in lengths) + bytes(1027)
    assert call(MODEXP_ADDRESS, data, Fork.OSAKA) == FAIL
    assert call(MODEXP_ADDRESS, data, Fork.PRAGUE)[0] is True
    lengths[which] = 2**256 - 1
    data = b"".join(word(n) for n in lengths)
    assert call(MODEXP_ADDRESS, data, Fork.OSAKA) == FAIL
    assert call(MODEXP_ADDRESS, data, Fork.PRAGUE) == FAIL  # out of gas


@needs_spec
@pytest.mark.parametrize("fork", [Fork.BYZANTIUM, Fork.BERLIN, Fork.PRAGUE, Fork.OSAKA])
def test_modexp_matches_spec(fork: Fork) -> None:
    rng = random.Random(f"modexp-{fork.name}")
    for _ in range(60):
        lengths = [rng.choice([0, 1, 2, 31, 32, 33, 64, 65, rng.randrange(200)]) for _ in range(3)]
        body = rng.randbytes(sum(lengths) + rng.randrange(-3, 4) if sum(lengths) > 3 else sum(lengths))
        data = b"".join(word(n) for n in lengths) + body
        assert_same_as_spec(MODEXP_ADDRESS, data, fork, gas=rng.choice([10**7, 3000, 600]))


# --------------------------------------------------------------------------
# BN254 (alt_bn128)
# --------------------------------------------------------------------------

BN_P = bn254.P
G1_BYTES = word(1) + word(2)
TWO_G1 = (
    0x030644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD3,
    0x15ED738C0E0A7C92E7845F96B2AE9C0A68A6A449E3538FC7FF3EBF7A5A18A2C4,
)


def g1_bytes(pt: bn254.G1Point) -> bytes:
    return bn254.encode_g1(pt)


def g2_bytes(pt: bn254.G2Point) -> bytes:
    if pt is None:
        return bytes(128)
    (x_re, x_im), (y_re, y_im) = pt
    return word(x_im) + word(x_re) + word(y_im) + word(y_re)


def fp2_sqrt(a: Tuple[int, int], p: int) -> Tuple[int, int] | None:
    """Square root in Fp[i]/(i^2 + 1) for p = 3 mod 4 (test helper)."""

    def mul(x, y):
        return ((x[0] * y[0] - x[1] * y[1]) % p, (x[0] * y[1] + x[1] * y[0]) % p)

    def power(x, e):
        r = (1, 0)
        while e:
            if e & 1:
                r = mul(r, x)
            x = mul(x, x)
            e >>= 1
        return r

    a1 = power(a, (p - 3) // 4)
    alpha = mul(mul(a1, a1), a)
    x0 = mul(a1, a)
    if alpha == (p - 1, 0):
        root = mul((0, 1), x0)
    else:
        root = mul(power(((1 + alpha[0]) % p, alpha[1]), (p - 1) // 2), x0)
    return root if mul(root, root) == (a[0] % p, a[1] % p) else None


def bn254_twist_point_outside_g2() -> bn254.G2Point:
    for x_re in range(1, 100):
        x = (x_re, 1)
        rhs = bn254.f2_add(bn254.f2_mul(bn254.f2_sqr(x), x), bn254.B2)
        y = fp2_sqrt(rhs, BN_P)
        if y is not None:
            pt = (x, y)
            assert bn254.g2_is_on_curve(pt)
            if not bn254.g2_in_subgroup(pt):
                return pt
    raise AssertionError("no point found")


def test_bn254_add_vectors() -> None:
    assert call(ALT_BN128_ADD_ADDRESS, G1_BYTES + G1_BYTES) == (True, 150, word(TWO_G1[0]) + word(TWO_G1[1]))
    assert call(ALT_BN128_ADD_ADDRESS, G1_BYTES) == (True, 150, G1_BYTES)  # second point padded to infinity
    assert call(ALT_BN128_ADD_ADDRESS, b"") == (True, 150, bytes(64))
    neg_g1 = word(1) + word(BN_P - 2)
    assert call(ALT_BN128_ADD_ADDRESS, G1_BYTES + neg_g1) == (True, 150, bytes(64))
    assert call(ALT_BN128_ADD_ADDRESS, G1_BYTES + G1_BYTES, Fork.BYZANTIUM)[1] == 500


def test_bn254_mul_vectors() -> None:
    assert call(ALT_BN128_MUL_ADDRESS, G1_BYTES + word(2)) == (True, 6000, word(TWO_G1[0]) + word(TWO_G1[1]))
    assert call(ALT_BN128_MUL_ADDRESS, G1_BYTES + word(0))[2] == bytes(64)
    assert call(ALT_BN128_MUL_ADDRESS, G1_BYTES + word(bn254.CURVE_ORDER))[2] == bytes(64)
    assert call(ALT_BN128_MUL_ADDRESS, G1_BYTES + word(bn254.CURVE_ORDER + 1))[2] == G1_BYTES
    assert call(ALT_BN128_MUL_ADDRESS, G1_BYTES)[2] == bytes(64)  # scalar padded to 0
    assert call(ALT_BN128_MUL_ADDRESS, G1_BYTES + word(2), Fork.BYZANTIUM)[1] == 40000


@pytest.mark.parametrize(
    "point",
    [
        word(BN_P) + word(2),  # x not below p
        word(1) + word(BN_P + 2),  # y not below p
        word(1) + word(3),  # not on the curve
        word(0) + word(1),
    ],
)
def test_bn254_invalid_g1_fails(point: bytes) -> None:
    assert call(ALT_BN128_ADD_ADDRESS, point + G1_BYTES) == FAIL
    assert call(ALT_BN128_ADD_ADDRESS, G1_BYTES + point) == FAIL
    assert call(ALT_BN128_MUL_ADDRESS, point + word(3)) == FAIL
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, point + g2_bytes(bn254.G2)) == FAIL


def test_bn254_pairing_vectors() -> None:
    q = bn254.G2
    p = bn254.g1_mul(bn254.G1, 12345)
    neg_p = (p[0], BN_P - p[1])
    one, zero = word(1), word(0)
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, b"") == (True, 45000, one)
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, g1_bytes(p) + g2_bytes(q)) == (True, 79000, zero)
    pairs = g1_bytes(p) + g2_bytes(q) + g1_bytes(neg_p) + g2_bytes(q)
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, pairs) == (True, 113000, one)
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, pairs, Fork.BYZANTIUM) == (True, 260000, one)
    # e(aP, bQ) * e(-abP, Q) = 1
    a, b = 77, 1001
    pairs = g1_bytes(bn254.g1_mul(p, a)) + g2_bytes(bn254.g2_mul(q, b)) + g1_bytes(bn254.g1_mul(neg_p, a * b)) + g2_bytes(q)
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, pairs)[2] == one
    # infinity on either side contributes nothing
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, bytes(64) + g2_bytes(q))[2] == one
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, g1_bytes(p) + bytes(128))[2] == one


def test_bn254_pairing_invalid_inputs() -> None:
    good = g1_bytes(bn254.G1) + g2_bytes(bn254.G2)
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, good[:-1]) == FAIL
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, good + b"\x00") == FAIL
    x_re = bn254.G2[0][0]
    bad_field = g1_bytes(bn254.G1) + word(BN_P) + good[96:]
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, bad_field) == FAIL
    off_curve = g1_bytes(bn254.G1) + good[64:96] + word(x_re + 1) + good[128:]
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, off_curve) == FAIL
    outside = bn254_twist_point_outside_g2()
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, g1_bytes(bn254.G1) + g2_bytes(outside)) == FAIL
    # checked even when paired with infinity
    assert call(ALT_BN128_PAIRING_CHECK_ADDRESS, bytes(64) + g2_bytes(outside)) == FAIL


def test_bn254_pairing_is_bilinear_and_nondegenerate() -> None:
    e = bn254.pairing(bn254.G1, bn254.G2)
    assert e != bn254.F12_ONE
    assert bn254.pairing(bn254.g1_mul(bn254.G1, 6), bn254.g2_mul(bn254.G2, 7)) == bn254.pairing(
        bn254.g1_mul(bn254.G1, 42), bn254.G2
    )


@needs_spec
def test_bn254_add_mul_match_spec() -> None:
    rng = random.Random("bn254")
    points = [bytes(64), G1_BYTES] + [g1_bytes(bn254.g1_mul(bn254.G1, rng.randrange(1, 2**256))) for _ in range(6)]
    for fork in (Fork.BYZANTIUM, Fork.OSAKA):
        for _ in range(20):
            a, b = rng.choice(points), rng.choice(points)
            assert_same_as_spec(ALT_BN128_ADD_ADDRESS, a + b, fork)
            scalar = rng.choice([0, 1, 2, bn254.CURVE_ORDER - 1, 2**256 - 1, rng.randrange(2**256)])
            assert_same_as_spec(ALT_BN128_MUL_ADDRESS, a + word(scalar), fork)
        assert_same_as_spec(ALT_BN128_ADD_ADDRESS, word(1) + word(3) + G1_BYTES, fork)
        assert_same_as_spec(ALT_BN128_MUL_ADDRESS, a[:40], fork)


@needs_spec
def test_bn254_pairing_matches_spec() -> None:
    # the spec's pairing (py_ecc) takes about half a second per pair
    p = bn254.g1_mul(bn254.G1, 987654321)
    q = bn254.g2_mul(bn254.G2, 123456789)
    neg_p = (p[0], BN_P - p[1])
    assert_same_as_spec(ALT_BN128_PAIRING_CHECK_ADDRESS, g1_bytes(p) + g2_bytes(q) + g1_bytes(neg_p) + g2_bytes(q), Fork.OSAKA)
    assert_same_as_spec(ALT_BN128_PAIRING_CHECK_ADDRESS, g1_bytes(p) + g2_bytes(q), Fork.ISTANBUL)
    outside = bn254_twist_point_outside_g2()
    assert_same_as_spec(ALT_BN128_PAIRING_CHECK_ADDRESS, g1_bytes(p) + g2_bytes(outside), Fork.OSAKA)


# --------------------------------------------------------------------------
# BLAKE2F (EIP-152 test vectors)
# --------------------------------------------------------------------------

# The EIP-152 vectors share everything after the rounds field but the flag:
# h (BLAKE2b-512 parameter block applied to the IV), m = "abc", t0 = 3, t1 = 0.
_B2_BODY = bytes.fromhex(
    "48c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5"
    "d182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b"
    "6162630000000000000000000000000000000000000000000000000000000000"
    + "00" * 96
    + "0300000000000000"
    + "0000000000000000"
)


def b2_input(rounds: int, flag: int) -> bytes:
    return rounds.to_bytes(4, "big") + _B2_BODY + bytes([flag])


@pytest.mark.parametrize(
    "data",
    [
        b"",  # vector 0
        b2_input(12, 1)[1:],  # vector 1: 212 bytes
        b"\x00" + b2_input(12, 1),  # vector 2: 214 bytes
        b2_input(12, 2),  # vector 3: bad final-block flag
    ],
)
def test_blake2f_eip152_failures(data: bytes) -> None:
    assert call(BLAKE2F_ADDRESS, data, Fork.ISTANBUL) == FAIL


@pytest.mark.parametrize(
    "rounds, flag, expected",
    [
        (0, 1, "08c9bcf367e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5d282e6ad7f520e511f6c3e2b8c68059b9442be0454267ce079217e1319cde05b"),
        (12, 1, "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"),
        (12, 0, "75ab69d3190a562c51aef8d88f1c2775876944407270c42c9844252c26d2875298743e7f6d5ea2f2d3e8d226039cd31b4e426ac4f2d3d666a610c2116fde4735"),
        (1, 1, "b63a380cb2897d521994a85234ee2c181b5f844d2c624c002677e9703449d2fba551b3a8333bcdf5f2f7e08993d53923de3d64fcc68c034e717b9293fed7a421"),
    ],
)
def test_blake2f_eip152_vectors(rounds: int, flag: int, expected: str) -> None:
    result = (True, rounds, bytes.fromhex(expected))
    # the precompile (the core's C F) and the Python reference F
    assert call(BLAKE2F_ADDRESS, b2_input(rounds, flag), Fork.ISTANBUL) == result
    words = struct.unpack("<8Q16Q2Q", _B2_BODY)
    out = blake2b_compress(rounds, words[:8], words[8:24], words[24], words[25], flag == 1)
    assert struct.pack("<8Q", *out).hex() == expected


def test_blake2f_c_matches_the_python_reference() -> None:
    rng = random.Random("blake2-c")
    for rounds in (0, 1, 2, 9, 10, 11, 12, 13, 19, 20, 21, 25, 100):
        h = [rng.getrandbits(64) for _ in range(8)]
        m = [rng.getrandbits(64) for _ in range(16)]
        t0, t1, final = rng.getrandbits(64), rng.getrandbits(64), rng.random() < 0.5
        data = rounds.to_bytes(4, "big") + struct.pack("<8Q16Q2Q", *h, *m, t0, t1) + bytes([final])
        ours = struct.pack("<8Q", *blake2b_compress(rounds, h, m, t0, t1, final))
        assert blake2f_module.blake2f(data) == ours


def test_blake2f_vector_8_is_priced_not_run() -> None:
    # vector 8 has 2^32 - 1 rounds: the price is checked first, so it fails fast
    assert call(BLAKE2F_ADDRESS, b2_input(0xFFFFFFFF, 1), gas=10**6) == (False, 10**6, b"")


def test_blake2f_twelve_rounds_is_blake2b() -> None:
    """One block of BLAKE2b-512 is F with 12 rounds on the parameterised IV."""
    # the vectors' h is the IV with the BLAKE2b-512 parameter block applied
    h = struct.unpack("<8Q", _B2_BODY[:64])
    rng = random.Random("blake2")
    for length in (0, 1, 3, 64, 127, 128):
        message = rng.randbytes(length)
        m = struct.unpack("<16Q", message.ljust(128, b"\x00"))
        out = blake2b_compress(12, h, m, length, 0, True)
        assert struct.pack("<8Q", *out) == hashlib.blake2b(message).digest()


@needs_spec
def test_blake2f_matches_spec() -> None:
    rng = random.Random("blake2f-spec")
    for _ in range(20):
        data = rng.randrange(30).to_bytes(4, "big") + rng.randbytes(208) + bytes([rng.choice([0, 1, 1, 2])])
        assert_same_as_spec(BLAKE2F_ADDRESS, data, Fork.ISTANBUL)
        assert_same_as_spec(BLAKE2F_ADDRESS, data, Fork.ISTANBUL, gas=10)


# --------------------------------------------------------------------------
# POINT EVALUATION (KZG)
# --------------------------------------------------------------------------

KZG_SUCCESS = word(4096) + word(kzg.BLS_MODULUS)


def kzg_input(commitment: bytes, z: int, y: int, proof: bytes, versioned_hash: bytes | None = None) -> bytes:
    if versioned_hash is None:
        versioned_hash = kzg.kzg_to_versioned_hash(commitment)
    return versioned_hash + word(z) + word(y) + commitment + proof


def constant_commitment(c: int) -> bytes:
    """KZG commitment to the constant polynomial c: [c]G1."""
    from py_arkworks_bls12381 import G1Point, Scalar

    return (G1Point() * Scalar(c)).to_compressed_bytes()


INFINITY_48 = b"\xc0" + bytes(47)


def test_point_evaluation_constant_polynomial() -> None:
    # p(X) = c has p(z) = c everywhere with quotient 0: the proof is infinity
    for c in (0, 2, 12345):
        commitment = constant_commitment(c)
        for z in (0, 1, kzg.BLS_MODULUS - 1):
            data = kzg_input(commitment, z, c, INFINITY_48)
            assert call(POINT_EVALUATION_ADDRESS, data, Fork.CANCUN) == (True, 50000, KZG_SUCCESS)
        assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, 5, c + 1, INFINITY_48)) == FAIL


def test_point_evaluation_invalid_inputs() -> None:
    commitment = constant_commitment(2)
    good = kzg_input(commitment, 7, 2, INFINITY_48)
    assert call(POINT_EVALUATION_ADDRESS, good)[0]
    assert call(POINT_EVALUATION_ADDRESS, good[:-1]) == FAIL
    assert call(POINT_EVALUATION_ADDRESS, good + b"\x00") == FAIL
    assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, 7, 2, INFINITY_48, b"\x02" + good[1:32])) == FAIL
    assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, kzg.BLS_MODULUS, 2, INFINITY_48)) == FAIL
    assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, 7, 2 + kzg.BLS_MODULUS, INFINITY_48)) == FAIL
    junk_infinity = b"\xc0" + bytes(46) + b"\x01"
    assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, 7, 2, junk_infinity)) == FAIL
    assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, 7, 2, b"\xe0" + bytes(47))) == FAIL
    assert call(POINT_EVALUATION_ADDRESS, kzg_input(commitment, 7, 2, bytes(48))) == FAIL  # no compression flag
    assert call(POINT_EVALUATION_ADDRESS, good, gas=49999) == (False, 49999, b"")


def _kzg_fixture_vectors():
    path = FIXTURES / "eest/state_tests/cancun/eip4844_blobs/point_evaluation_precompile/external_vectors.json"
    if not path.exists():
        return None
    vectors = {}
    for name, test in json.loads(path.read_text()).items():
        match = re.search(r"verify_kzg_proof_case_([a-z_]+?)_[0-9a-f]{16}", name)
        for data in test["transaction"]["data"]:
            vectors[bytes.fromhex(data[2:])] = match.group(1).startswith("correct_proof")
    return vectors


def test_point_evaluation_fixture_vectors() -> None:
    """The c-kzg / consensus-spec vectors that EEST feeds to the precompile."""
    vectors = _kzg_fixture_vectors()
    if vectors is None:
        pytest.skip(f"fixtures not found under {FIXTURES}")
    assert len(vectors) > 100
    for data, valid in vectors.items():
        expected = (True, 50000, KZG_SUCCESS) if valid else FAIL
        assert call(POINT_EVALUATION_ADDRESS, data) == expected, data.hex()


@needs_spec
def test_point_evaluation_matches_spec() -> None:
    commitment = constant_commitment(3)
    for data in (
        kzg_input(commitment, 11, 3, INFINITY_48),
        kzg_input(commitment, 11, 4, INFINITY_48),
        kzg_input(INFINITY_48, 11, 0, INFINITY_48),
        kzg_input(commitment, 11, 3, b"\xc0" + bytes(46) + b"\x01"),
    ):
        assert_same_as_spec(POINT_EVALUATION_ADDRESS, data, Fork.CANCUN)


# --------------------------------------------------------------------------
# BLS12-381 (EIP-2537)
# --------------------------------------------------------------------------


def bls_fp(n: int) -> bytes:
    return n.to_bytes(64, "big")


def ark_g1(scalar: int) -> bytes:
    from py_arkworks_bls12381 import G1Point, Scalar

    raw = (G1Point() * Scalar(scalar)).to_xy_bytes_be()
    return bls_fp(int.from_bytes(raw[:48], "big")) + bls_fp(int.from_bytes(raw[48:], "big"))


def ark_g2(scalar: int) -> bytes:
    from py_arkworks_bls12381 import G2Point, Scalar

    raw = (G2Point() * Scalar(scalar)).to_xy_bytes_be()
    return b"".join(bls_fp(int.from_bytes(raw[i : i + 48], "big")) for i in range(0, 192, 48))


def bls_g1_outside_subgroup() -> bytes:
    x = 1
    while True:
        rhs = (x**3 + 4) % BLS_P
        y = pow(rhs, (BLS_P + 1) // 4, BLS_P)
        if y * y % BLS_P == rhs:
            return bls_fp(x) + bls_fp(y)
        x += 1


def bls_g2_outside_subgroup() -> bytes:
    b2 = (4, 4)  # 4(1 + i)
    for x_re in range(1, 100):
        x = (x_re, 1)
        x2 = ((x[0] * x[0] - x[1] * x[1]) % BLS_P, 2 * x[0] * x[1] % BLS_P)
        x3 = ((x2[0] * x[0] - x2[1] * x[1]) % BLS_P, (x2[0] * x[1] + x2[1] * x[0]) % BLS_P)
        y = fp2_sqrt(((x3[0] + b2[0]) % BLS_P, (x3[1] + b2[1]) % BLS_P), BLS_P)
        if y is not None:
            return bls_fp(x[0]) + bls_fp(x[1]) + bls_fp(y[0]) + bls_fp(y[1])
    raise AssertionError("no point found")


G1_GEN_X = 0x17F1D3A73197D7942695638C4FA9AC0FC3688C4F9774B905A14E3A3F171BAC586C55E83FF97A1AEFFB3AF00ADB22C6BB
G1_GEN_Y = 0x08B3F481E3AAA0F1A09E30ED741D8AE4FCF5E095D5D00AF600DB18CB2C04B3EDD03CC744A2888AE40CAA232946C5E7E1


def test_bls_g1_add_vectors() -> None:
    g = bls_fp(G1_GEN_X) + bls_fp(G1_GEN_Y)
    assert ark_g1(1) == g
    assert call(BLS12_G1_ADD_ADDRESS, g + g, Fork.PRAGUE) == (True, 375, ark_g1(2))
    assert call(BLS12_G1_ADD_ADDRESS, g + bytes(128)) == (True, 375, g)
    neg_g = bls_fp(G1_GEN_X) + bls_fp(BLS_P - G1_GEN_Y)
    assert call(BLS12_G1_ADD_ADDRESS, g + neg_g) == (True, 375, bytes(128))
    # addition does not check the subgroup
    outside = bls_g1_outside_subgroup()
    assert call(BLS12_G1_ADD_ADDRESS, outside + bytes(128)) == (True, 375, outside)


def test_bls_g2_add_and_msm() -> None:
    assert call(BLS12_G2_ADD_ADDRESS, ark_g2(3) + ark_g2(4)) == (True, 600, ark_g2(7))
    outside = bls_g2_outside_subgroup()
    assert call(BLS12_G2_ADD_ADDRESS, outside + bytes(256)) == (True, 600, outside)
    data = ark_g2(3) + word(5) + ark_g2(1) + word(2)
    assert call(BLS12_G2_MSM_ADDRESS, data) == (True, 2 * 22500 * 1000 // 1000, ark_g2(17))
    assert call(BLS12_G2_MSM_ADDRESS, outside + word(1)) == FAIL


def test_bls_g1_msm() -> None:
    r = kzg.BLS_MODULUS
    data = ark_g1(3) + word(5) + ark_g1(1) + word(2)
    assert call(BLS12_G1_MSM_ADDRESS, data) == (True, 2 * 12000 * 949 // 1000, ark_g1(17))
    # scalars are not reduced in the encoding; r + 1 acts as 1, 2^256 - 1 is fine
    assert call(BLS12_G1_MSM_ADDRESS, ark_g1(5) + word(r + 1))[2] == ark_g1(5)
    assert call(BLS12_G1_MSM_ADDRESS, ark_g1(1) + word(2**256 - 1))[2] == ark_g1((2**256 - 1) % r)
    assert call(BLS12_G1_MSM_ADDRESS, bytes(128) + word(7))[2] == bytes(128)
    assert call(BLS12_G1_MSM_ADDRESS, bls_g1_outside_subgroup() + word(1)) == FAIL


@pytest.mark.parametrize(
    "k, g1_gas, g2_gas",
    [
        (1, 12000, 22500),
        (2, 2 * 12000 * 949 // 1000, 2 * 22500),
        (3, 3 * 12000 * 848 // 1000, 3 * 22500 * 923 // 1000),
        (128, 128 * 12000 * 519 // 1000, 128 * 22500 * 524 // 1000),
        (129, 129 * 12000 * 519 // 1000, 129 * 22500 * 524 // 1000),
        (200, 200 * 12000 * 519 // 1000, 200 * 22500 * 524 // 1000),
    ],
)
def test_bls_msm_gas(k: int, g1_gas: int, g2_gas: int) -> None:
    assert PRECOMPILES[BLS12_G1_MSM_ADDRESS].gas(bytes(160 * k), Fork.PRAGUE) == g1_gas
    assert PRECOMPILES[BLS12_G2_MSM_ADDRESS].gas(bytes(288 * k), Fork.PRAGUE) == g2_gas


def test_bls_pairing() -> None:
    g1, g2 = ark_g1(1), ark_g2(1)
    neg_g1 = bls_fp(G1_GEN_X) + bls_fp(BLS_P - G1_GEN_Y)
    assert call(BLS12_PAIRING_ADDRESS, g1 + g2) == (True, 37700 + 32600, word(0))
    assert call(BLS12_PAIRING_ADDRESS, g1 + g2 + neg_g1 + g2) == (True, 37700 + 2 * 32600, word(1))
    assert call(BLS12_PAIRING_ADDRESS, ark_g1(6) + ark_g2(7) + ark_g1(42) + ark_g2(kzg.BLS_MODULUS - 1))[2] == word(1)
    assert call(BLS12_PAIRING_ADDRESS, bytes(128) + g2)[2] == word(1)
    assert call(BLS12_PAIRING_ADDRESS, bls_g1_outside_subgroup() + g2) == FAIL
    assert call(BLS12_PAIRING_ADDRESS, g1 + bls_g2_outside_subgroup()) == FAIL


def test_bls_map_to_curve() -> None:
    ok, gas, out = call(BLS12_MAP_FP_TO_G1_ADDRESS, bls_fp(12345))
    assert ok and gas == 5500 and len(out) == 128 and out != bytes(128)
    ok, gas, out = call(BLS12_MAP_FP2_TO_G2_ADDRESS, bls_fp(1) + bls_fp(2))
    assert ok and gas == 23800 and len(out) == 256
    assert call(BLS12_MAP_FP_TO_G1_ADDRESS, bls_fp(BLS_P)) == FAIL
    assert call(BLS12_MAP_FP2_TO_G2_ADDRESS, bls_fp(1) + bls_fp(BLS_P)) == FAIL


@pytest.mark.parametrize(
    "address, length",
    [
        (BLS12_G1_ADD_ADDRESS, 256),
        (BLS12_G2_ADD_ADDRESS, 512),
        (BLS12_G1_MSM_ADDRESS, 160),
        (BLS12_G2_MSM_ADDRESS, 288),
        (BLS12_PAIRING_ADDRESS, 384),
        (BLS12_MAP_FP_TO_G1_ADDRESS, 64),
        (BLS12_MAP_FP2_TO_G2_ADDRESS, 128),
    ],
)
def test_bls_bad_lengths_and_encodings(address: int, length: int) -> None:
    assert call(address, b"", Fork.PRAGUE) == FAIL
    assert call(address, bytes(length - 1)) == FAIL
    assert call(address, bytes(length + 1)) == FAIL
    assert call(address, bytes(length))[0] is True  # zeros: infinity / zero element
    # a non-zero byte in the 16 padding bytes of the first field element
    assert call(address, b"\x00" * 15 + b"\x01" + bytes(length - 16)) == FAIL


@needs_spec
def test_bls_matches_spec() -> None:
    rng = random.Random("bls")
    g1s = [bytes(128), ark_g1(1)] + [ark_g1(rng.randrange(1, kzg.BLS_MODULUS)) for _ in range(3)]
    g2s = [bytes(256), ark_g2(1), ark_g2(rng.randrange(1, kzg.BLS_MODULUS))]
    outside1, outside2 = bls_g1_outside_subgroup(), bls_g2_outside_subgroup()
    for a in g1s + [outside1]:
        b = rng.choice(g1s + [outside1])
        assert_same_as_spec(BLS12_G1_ADD_ADDRESS, a + b, Fork.PRAGUE)
    for a in g2s + [outside2]:
        assert_same_as_spec(BLS12_G2_ADD_ADDRESS, a + rng.choice(g2s), Fork.PRAGUE)
    data = b"".join(rng.choice(g1s) + word(rng.randrange(2**256)) for _ in range(3))
    assert_same_as_spec(BLS12_G1_MSM_ADDRESS, data, Fork.PRAGUE)
    assert_same_as_spec(BLS12_G1_MSM_ADDRESS, outside1 + word(3), Fork.PRAGUE)
    data = b"".join(rng.choice(g2s) + word(rng.randrange(2**256)) for _ in range(2))
    assert_same_as_spec(BLS12_G2_MSM_ADDRESS, data, Fork.OSAKA)
    for _ in range(3):
        fp = rng.randrange(BLS_P)
        assert_same_as_spec(BLS12_MAP_FP_TO_G1_ADDRESS, bls_fp(fp), Fork.PRAGUE)
    assert_same_as_spec(BLS12_MAP_FP2_TO_G2_ADDRESS, bls_fp(rng.randrange(BLS_P)) + bls_fp(rng.randrange(BLS_P)), Fork.PRAGUE)
    assert_same_as_spec(BLS12_PAIRING_ADDRESS, ark_g1(6) + ark_g2(7) + ark_g1(42) + ark_g2(kzg.BLS_MODULUS - 1), Fork.PRAGUE)
    assert_same_as_spec(BLS12_PAIRING_ADDRESS, outside1 + ark_g2(1), Fork.PRAGUE)


# --------------------------------------------------------------------------
# P256VERIFY (EIP-7951)
# --------------------------------------------------------------------------

P256N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
P256P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
# go-ethereum's / RIP-7212's vector: hash || r || s || qx || qy
P256_VECTOR = bytes.fromhex(
    "4cee90eb86eaa050036147a12d49004b6b9c72bd725d39d4785011fe190f0b4d"
    "a73bd4903f0ce3b639bbbf6e8e80d16931ff4bcf5993d58468e8fb19086e8cac"
    "36dbcd03009df8c59286b162af3bd7fcc0450c9aa81be5d10d312af6c66b1d60"
    "4aebd3099c618202fcfe16ae7770b0c49ab5eadf74b754204a3bb6060e44eff3"
    "7618b065f9832de4ca6ca971a7a1adc826d0f7c00181a5fb2ddf79ae00b4e10e"
)


def p256_replace(data: bytes, index: int, value: int) -> bytes:
    return data[: 32 * index] + word(value) + data[32 * (index + 1) :]


def test_p256_vector() -> None:
    assert call(P256VERIFY_ADDRESS, P256_VECTOR) == (True, 6900, word(1))
    # no malleability rule: (r, n - s) verifies too
    s = int.from_bytes(P256_VECTOR[64:96], "big")
    assert call(P256VERIFY_ADDRESS, p256_replace(P256_VECTOR, 2, P256N - s)) == (True, 6900, word(1))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        P256_VECTOR[:-1],
        P256_VECTOR + b"\x00",
        b"\x3c" + P256_VECTOR[1:],  # other message
        p256_replace(P256_VECTOR, 1, 0),  # r = 0
        p256_replace(P256_VECTOR, 1, P256N),  # r = n
        p256_replace(P256_VECTOR, 2, 0),  # s = 0
        p256_replace(P256_VECTOR, 2, P256N),  # s = n
        p256_replace(P256_VECTOR, 3, P256P),  # qx = p
        p256_replace(P256_VECTOR, 4, P256P),  # qy = p
        p256_replace(p256_replace(P256_VECTOR, 3, 0), 4, 0),  # infinity
        p256_replace(P256_VECTOR, 4, 1),  # off the curve
    ],
)
def test_p256_invalid_gives_empty_success(data: bytes) -> None:
    assert call(P256VERIFY_ADDRESS, data) == (True, 6900, b"")


@needs_spec
def test_p256_matches_spec() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, decode_dss_signature

    rng = random.Random("p256")
    for i in range(8):
        key = ec.derive_private_key(rng.randrange(1, P256N), ec.SECP256R1())
        digest = rng.randbytes(32) if i else b"\xff" * 32  # a hash above n is reduced
        r, s = decode_dss_signature(key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256()))))
        numbers = key.public_key().public_numbers()
        data = digest + word(r) + word(s) + word(numbers.x) + word(numbers.y)
        assert assert_same_as_spec(P256VERIFY_ADDRESS, data, Fork.OSAKA)[2] == word(1)
        assert_same_as_spec(P256VERIFY_ADDRESS, p256_replace(data, 1, r ^ 1), Fork.OSAKA)
    assert_same_as_spec(P256VERIFY_ADDRESS, P256_VECTOR, Fork.OSAKA, gas=6899)


@needs_spec
def test_small_precompiles_match_spec() -> None:
    rng = random.Random("small")
    for _ in range(20):
        data = rng.randbytes(rng.randrange(200))
        for address in (SHA256_ADDRESS, RIPEMD160_ADDRESS, IDENTITY_ADDRESS, ECRECOVER_ADDRESS):
            assert_same_as_spec(address, data, Fork.FRONTIER, gas=rng.choice([10**6, 700]))
    for v, r, s in ((28, EC_R, EC_S), (27, EC_R, EC_S), (28, 5, EC_S), (28, EC_R, SECP256K1N - 1)):
        assert_same_as_spec(ECRECOVER_ADDRESS, ecrecover_input(v, r, s), Fork.CANCUN)
