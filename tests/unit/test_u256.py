"""The compiled 256-bit helpers (evm/_u256.pxd) against Python-int reference semantics.

The reference functions below are written from the Yellow Paper's definitions
of the arithmetic, comparison and bitwise opcodes, EIP-145 (shifts) and
EIP-7939 (CLZ). ``_u256_eval`` takes operands in EVM stack order: the first
argument is the top of the stack.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evm._core import _u256_eval

MOD = 2**256
MASK = MOD - 1
SIGN = 2**255


def signed(x: int) -> int:
    """Read a 256-bit word as two's complement."""
    return x - MOD if x & SIGN else x


def word(x: int) -> int:
    """Wrap any Python int into a 256-bit word."""
    return x % MOD


# -- reference semantics -----------------------------------------------------


def ref_sdiv(a: int, b: int) -> int:
    if b == 0:
        return 0
    sa, sb = signed(a), signed(b)
    q = abs(sa) // abs(sb)  # truncation toward zero
    return word(-q if (sa < 0) != (sb < 0) else q)


def ref_smod(a: int, b: int) -> int:
    if b == 0:
        return 0
    sa, sb = signed(a), signed(b)
    r = abs(sa) % abs(sb)
    return word(-r if sa < 0 else r)  # sign follows the dividend


def ref_signextend(b: int, x: int) -> int:
    if b >= 31:
        return x
    bits = 8 * (b + 1)
    low = x & ((1 << bits) - 1)
    return word(low - (1 << bits) if low >> (bits - 1) else low)


def ref_byte(i: int, x: int) -> int:
    return (x >> (8 * (31 - i))) & 0xFF if i < 32 else 0


def ref_sar(shift: int, value: int) -> int:
    return word(signed(value) >> min(shift, 256))


REFERENCE: dict[str, Callable[..., int]] = {
    "ADD": lambda a, b: word(a + b),
    "SUB": lambda a, b: word(a - b),
    "MUL": lambda a, b: word(a * b),
    "DIV": lambda a, b: a // b if b else 0,
    "SDIV": ref_sdiv,
    "MOD": lambda a, b: a % b if b else 0,
    "SMOD": ref_smod,
    "ADDMOD": lambda a, b, n: (a + b) % n if n else 0,
    "MULMOD": lambda a, b, n: (a * b) % n if n else 0,
    "EXP": lambda a, b: pow(a, b, MOD),
    "SIGNEXTEND": ref_signextend,
    "LT": lambda a, b: int(a < b),
    "GT": lambda a, b: int(a > b),
    "SLT": lambda a, b: int(signed(a) < signed(b)),
    "SGT": lambda a, b: int(signed(a) > signed(b)),
    "EQ": lambda a, b: int(a == b),
    "ISZERO": lambda a: int(a == 0),
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "XOR": lambda a, b: a ^ b,
    "NOT": lambda a: MASK ^ a,
    "BYTE": ref_byte,
    "SHL": lambda s, v: word(v << s) if s < 256 else 0,
    "SHR": lambda s, v: v >> s if s < 256 else 0,
    "SAR": ref_sar,
    "CLZ": lambda a: 256 - a.bit_length(),
}
ARITY = {op: fn.__code__.co_argcount for op, fn in REFERENCE.items()}


# -- operand strategies ------------------------------------------------------

SPECIAL = sorted(
    {
        0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 255, 256, 257,
        2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1,
        2**127, 2**128 - 1, 2**128, 2**128 + 1, 2**192 - 1, 2**192,
        2**255 - 1, 2**255, 2**255 + 1, MASK - 1, MASK,
    }
)
# Limbs that stress carries, normalization shifts and quotient-digit estimates.
LIMB = st.one_of(
    st.sampled_from([0, 1, 2, 2**32, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1]),
    st.integers(0, 2**64 - 1),
)
limb_words = st.lists(LIMB, min_size=4, max_size=4).map(
    lambda ls: sum(limb << (64 * i) for i, limb in enumerate(ls))
)
words = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers(0, MASK),
    st.integers(0, 2**64),
    st.integers(0, 2**130),
    limb_words,
    st.integers(1, 300).map(lambda n: MASK >> n),          # all-ones of every width
    st.integers(0, 255).map(lambda n: 1 << n),             # every single bit
    st.integers(-(2**64), -1).map(word),                   # small negatives
)
# Shift amounts, byte indexes and sign-extension sizes: mostly in range, some huge.
small_or_word = st.one_of(st.integers(0, 300), words)


def check(op: str, *args: int) -> None:
    got = _u256_eval(op, *args)
    want = REFERENCE[op](*args)
    assert got == want, f"{op}{tuple(hex(a) for a in args)}: got {hex(got)}, want {hex(want)}"


# -- property tests ------------------------------------------------------------

BINARY = [op for op, n in ARITY.items() if n == 2 and op not in ("SHL", "SHR", "SAR", "BYTE", "SIGNEXTEND")]


@pytest.mark.parametrize("op", BINARY)
@settings(max_examples=400, deadline=None)
@given(a=words, b=words)
def test_binary_ops_match_reference(op: str, a: int, b: int) -> None:
    check(op, a, b)


@pytest.mark.parametrize("op", ["SHL", "SHR", "SAR", "BYTE", "SIGNEXTEND"])
@settings(max_examples=400, deadline=None)
@given(index=small_or_word, x=words)
def test_index_ops_match_reference(op: str, index: int, x: int) -> None:
    check(op, index, x)


@pytest.mark.parametrize("op", ["ISZERO", "NOT", "CLZ"])
@settings(max_examples=300, deadline=None)
@given(a=words)
def test_unary_ops_match_reference(op: str, a: int) -> None:
    check(op, a)


@pytest.mark.parametrize("op", ["ADDMOD", "MULMOD"])
@settings(max_examples=600, deadline=None)
@given(a=words, b=words, n=words)
def test_modular_ops_match_reference(op: str, a: int, b: int, n: int) -> None:
    check(op, a, b, n)


@settings(max_examples=400, deadline=None)
@given(q=limb_words, d=limb_words.filter(bool), r=limb_words)
def test_division_reconstructs_dividend(q: int, d: int, r: int) -> None:
    # Build a = q*d + r with a remainder below d: many quotient digits land on
    # the estimate's corner cases (digit 2**64 - 1, one-too-large estimates).
    r %= d
    a = q * d + r
    if a > MASK:
        a %= MOD
    assert _u256_eval("DIV", a, d) == a // d
    assert _u256_eval("MOD", a, d) == a % d


@settings(max_examples=400, deadline=None)
@given(x=limb_words, y=limb_words, n=limb_words.filter(bool))
def test_mulmod_full_product(x: int, y: int, n: int) -> None:
    # Products up to 512 bits reduced by moduli of every limb count.
    for modulus in (n, n >> 64 or 1, n >> 128 or 1, n >> 192 or 1):
        assert _u256_eval("MULMOD", x, y, modulus) == (x * y) % modulus


# -- explicit edge cases ---------------------------------------------------------


@pytest.mark.parametrize("op", ["DIV", "SDIV", "MOD", "SMOD"])
@pytest.mark.parametrize("a", [0, 1, 12345, SIGN, MASK])
def test_division_by_zero_is_zero(op: str, a: int) -> None:
    assert _u256_eval(op, a, 0) == 0


@pytest.mark.parametrize("op", ["ADDMOD", "MULMOD"])
def test_modulus_zero_is_zero(op: str) -> None:
    assert _u256_eval(op, MASK, MASK, 0) == 0
    assert _u256_eval(op, 5, 7, 0) == 0


def test_sdiv_overflow_case() -> None:
    # -2**255 / -1 does not fit: the EVM returns -2**255.
    assert _u256_eval("SDIV", SIGN, MASK) == SIGN
    assert _u256_eval("SMOD", SIGN, MASK) == 0


def test_signed_division_signs() -> None:
    minus = word
    assert _u256_eval("SDIV", minus(-7), 2) == minus(-3)      # truncates toward zero
    assert _u256_eval("SDIV", 7, minus(-2)) == minus(-3)
    assert _u256_eval("SDIV", minus(-7), minus(-2)) == 3
    assert _u256_eval("SMOD", minus(-7), 2) == minus(-1)      # sign of the dividend
    assert _u256_eval("SMOD", 7, minus(-2)) == 1
    assert _u256_eval("SMOD", minus(-8), minus(-3)) == minus(-2)


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        (MASK, MASK, MASK - 1),                 # 512-bit product
        (MASK, MASK, 2**255 + 12345),
        (MASK, MASK, 2**192 + 1),
        (MASK, MASK, 2**128 - 1),
        (MASK, MASK, 2**64 + 7),
        (MASK, MASK, 2**64 - 1),
        (MASK, MASK, 3),
        (2**255, 2**255, MASK),
        (2**200 + 1, 2**200 - 1, 2**130 + 3),
        (2**64 - 1, 2**64 - 1, 2**64 - 2),      # one-limb fast path with a high product limb
        (2**64 - 1, 2**64 - 1, 1),
    ],
)
def test_mulmod_needs_512_bits(a: int, b: int, n: int) -> None:
    assert _u256_eval("MULMOD", a, b, n) == (a * b) % n


@pytest.mark.parametrize(
    ("a", "d"),
    [
        # Knuth D: estimated digit one too large, so the divisor is added back.
        (0x7FFFFFFFFFFFFFFE40000000000000011298534AA9176EDF5EB7D4C02FCE4873,
         0xFFFFFFFFFFFFFFFE7FFFFFFFFFFFFFFF8000000000000000),
        # Knuth D: top dividend limbs equal the top divisor limbs (digit 2**64 - 1).
        (0x80000000000000000000000000000000000000000000000112634FE452F42C3E,
         0x800000000000000000000000000000008000000000000000),
        # One-limb divisor whose 2-by-1 estimate needs the rare upward fix.
        (0xB9273BDAEE59F4965B5E24FB5237A7F8F3B4CB410BB86616CD0DB24637817059, 0xB02C8D218548F841),
    ],
)
def test_division_digit_corrections(a: int, d: int) -> None:
    assert _u256_eval("DIV", a, d) == a // d
    assert _u256_eval("MOD", a, d) == a % d


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        # The same corner cases, reached while reducing a 512-bit product.
        (0x7FFFFFFFFFFFFFFF7FFFFFFFFFFFFFFF00000000000000000000000100000000,
         0x8000000000000000FFFFFFFFFFFFFFFF00000000000000014B435F3C2495C7BC,
         0xFFFFFFFFFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE415CDCFB8ADC3A3E),
        (0x80000000000000008000000000000000FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE,
         0xFFFFFFFFFFFFFFFF000000000000000280000000000000007FFFFFFFFFFFFFFF,
         0x80000000000000000000000000000001FFFFFFFFFFFFFFFF0000000000000000),
        (0xA5BF96D9219B7CDB618591CCA61A950BF84A27B3BE35D4D27FFFFFFFFFFFFFFF,
         0x394F5675E7653C917FFFFFFFFFFFFFFFB6470178466B7856626381B9B42AB98F,
         0x100000000808BEF0D11191A620000000000000001),
    ],
)
def test_mulmod_digit_corrections(a: int, b: int, n: int) -> None:
    assert _u256_eval("MULMOD", a, b, n) == (a * b) % n


@pytest.mark.parametrize(
    ("a", "b", "n"),
    [
        (MASK, MASK, MASK - 1),     # 257-bit sum
        (MASK, 1, MASK),
        (MASK, MASK, 7),
        (2**64 - 1, 2**64 - 1, 1),  # one-limb sum with a carry
        (2**64 - 1, 1, 2**64 - 1),
        (2**64 - 1, 2**64 - 1, 2**63 + 5),
        (MASK - 1, MASK - 1, MASK),  # both reduced, sum wraps past 2**256
    ],
)
def test_addmod_exact_sum(a: int, b: int, n: int) -> None:
    assert _u256_eval("ADDMOD", a, b, n) == (a + b) % n


@pytest.mark.parametrize("b", [31, 32, 33, 255, 2**64, 2**64 + 1, MASK])
def test_signextend_large_index_keeps_value(b: int) -> None:
    for x in (0, 0xFF, SIGN, MASK, 0x80 << 240):
        assert _u256_eval("SIGNEXTEND", b, x) == x


def test_signextend_examples() -> None:
    assert _u256_eval("SIGNEXTEND", 0, 0xFF) == MASK
    assert _u256_eval("SIGNEXTEND", 0, 0x7F) == 0x7F
    assert _u256_eval("SIGNEXTEND", 1, 0x1280FF) == 0x80FF | (MASK ^ 0xFFFF)
    assert _u256_eval("SIGNEXTEND", 7, 0xAB_80000000_00000000) == word(-(2**63))
    assert _u256_eval("SIGNEXTEND", 30, 1 << 247) == word(-(2**247))


@pytest.mark.parametrize("i", [32, 33, 256, 2**64, 2**64 + 3, MASK])
def test_byte_large_index_is_zero(i: int) -> None:
    assert _u256_eval("BYTE", i, MASK) == 0


def test_byte_examples() -> None:
    x = int.from_bytes(bytes(range(1, 33)), "big")
    assert [_u256_eval("BYTE", i, x) for i in range(32)] == list(range(1, 33))


@pytest.mark.parametrize("shift", [256, 257, 1000, 2**64, 2**64 + 1, 2**128, MASK])
def test_shifts_by_256_or_more(shift: int) -> None:
    for value in (1, MASK, SIGN - 1):
        assert _u256_eval("SHL", shift, value) == 0
        assert _u256_eval("SHR", shift, value) == 0
    assert _u256_eval("SAR", shift, 1) == 0
    assert _u256_eval("SAR", shift, SIGN - 1) == 0
    assert _u256_eval("SAR", shift, SIGN) == MASK
    assert _u256_eval("SAR", shift, MASK) == MASK


@pytest.mark.parametrize("shift", [0, 1, 63, 64, 65, 127, 128, 191, 192, 255])
def test_shifts_at_limb_boundaries(shift: int) -> None:
    for value in (1, MASK, SIGN, 0xDEADBEEF << 100, SIGN | 0x1234):
        check("SHL", shift, value)
        check("SHR", shift, value)
        check("SAR", shift, value)


def test_exp_examples() -> None:
    assert _u256_eval("EXP", 0, 0) == 1
    assert _u256_eval("EXP", 2, 255) == SIGN
    assert _u256_eval("EXP", 2, 256) == 0
    assert _u256_eval("EXP", 2, MASK) == 0
    assert _u256_eval("EXP", 3, MASK) == pow(3, MASK, MOD)
    assert _u256_eval("EXP", MASK, MASK) == MASK  # (-1)**odd
    assert _u256_eval("EXP", 1, MASK) == 1
    assert _u256_eval("EXP", 0, MASK) == 0


def test_clz_examples() -> None:
    assert _u256_eval("CLZ", 0) == 256
    assert _u256_eval("CLZ", 1) == 255
    assert _u256_eval("CLZ", SIGN) == 0
    assert _u256_eval("CLZ", 2**64) == 191


def test_comparisons_signed_and_unsigned() -> None:
    assert _u256_eval("LT", 1, MASK) == 1
    assert _u256_eval("SLT", 1, MASK) == 0   # MASK is -1
    assert _u256_eval("SGT", 1, MASK) == 1
    assert _u256_eval("SLT", SIGN, SIGN - 1) == 1   # most negative < most positive
    assert _u256_eval("LT", 2**64, 2**64 + 1) == 1
    assert _u256_eval("LT", 2**192, 2**64) == 0
    assert _u256_eval("EQ", MASK, MASK) == 1


def test_bad_operands_raise() -> None:
    with pytest.raises(ValueError):
        _u256_eval("ADD", -1, 0)
    with pytest.raises(ValueError):
        _u256_eval("ADD", MOD, 0)
    with pytest.raises(ValueError):
        _u256_eval("NOPE", 1, 2)
    with pytest.raises(TypeError):
        _u256_eval("ADD", 1.0, 2)
    with pytest.raises(TypeError):
        _u256_eval("ADD", 1)
    # The largest word is accepted and returned unchanged.
    assert _u256_eval("OR", MASK, 0) == MASK


# -- full-width moduli: the cached 4-limb reduction path ----------------------
#
# MULMOD and ADDMOD with n >= 2**192 reduce through a prepared divisor that is
# cached between calls (the last modulus seen). These tests cover every way
# into that path: the normalization shift (top bit set or not), moduli just
# above 2**192, operands below and above n, products that fit 256 bits, the
# rare digit corrections, and the cache switching between moduli.

BN254_P = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47
SECP256K1_P = 2**256 - 2**32 - 977
FULL_MODULI = [BN254_P, SECP256K1_P, MASK, MASK - 1, 2**255, 2**255 + 1, 2**192, 2**192 + 1,
               2**193 - 1, 2**254 + 2**64 + 7]

full_moduli = st.one_of(
    st.sampled_from(FULL_MODULI),
    st.integers(2**192, MASK),                        # any shift
    st.integers(2**255, MASK),                        # top bit set: no shift
    st.integers(2**192, 2**192 + 2**70),              # just above 2**192: largest shift
    limb_words.filter(lambda n: n >= 2**192),         # carry-stressing limbs
)


@settings(max_examples=500, deadline=None)
@given(n=full_moduli, x=words, y=words)
def test_full_modulus_operands_at_or_above_n(n: int, x: int, y: int) -> None:
    check("MULMOD", x, y, n)
    check("ADDMOD", x, y, n)


@settings(max_examples=500, deadline=None)
@given(n=full_moduli, x=words, y=words)
def test_full_modulus_operands_below_n(n: int, x: int, y: int) -> None:
    a, b = x % n, y % n
    check("MULMOD", a, b, n)
    check("ADDMOD", a, b, n)
    # Results near the modulus: n - 1 squared, and sums that reach n exactly.
    check("MULMOD", n - 1, b, n)
    check("ADDMOD", n - 1 - b if b < n else 0, b, n)


@settings(max_examples=300, deadline=None)
@given(n=full_moduli, x=st.integers(0, 2**128 - 1), y=st.integers(0, 2**128 - 1))
def test_full_modulus_small_factors(n: int, x: int, y: int) -> None:
    # Both factors below 2**128: the product fits four limbs.
    check("MULMOD", x, y, n)


@settings(max_examples=300, deadline=None)
@given(n=full_moduli)
def test_full_modulus_digit_corrections(n: int) -> None:
    # (n - 1) * (2**256 - 1) makes the remainder window's top limbs equal the
    # divisor's (the digit-2**64-1 case) and needs add-backs, for nearly every n.
    check("MULMOD", n - 1, MASK, n)
    check("MULMOD", MASK, n - 1, n)
    check("MULMOD", n - 1, n - 1, n)
    check("MULMOD", MASK, MASK, n)
    check("MULMOD", n, MASK, n)
    check("MULMOD", n + 1 if n < MASK else n, n - 2, n)


@settings(max_examples=200, deadline=None)
@given(n1=full_moduli, n2=full_moduli, ops=st.lists(st.tuples(words, words, st.booleans()),
                                                     min_size=1, max_size=8))
def test_full_modulus_cache_alternates(n1: int, n2: int, ops: list[tuple[int, int, bool]]) -> None:
    # The cached divisor must follow the modulus: alternate two moduli (and a
    # small one that bypasses the cache) and check every result.
    for a, b, first in ops:
        n = n1 if first else n2
        check("MULMOD", a, b, n)
        check("MULMOD", a, b, 2**64 + 13)
        check("ADDMOD", a, b, n)
        check("MULMOD", b, a, n2 if first else n1)


@pytest.mark.parametrize("n", [1, 2, 3, 2**64 - 1, 2**64, 2**128 + 1, 2**191, MASK])
def test_mulmod_boundary_moduli(n: int) -> None:
    for a, b in [(MASK, MASK), (MASK, 1), (0, MASK), (n - 1, n - 1), (2**255, 2**128 + 1)]:
        check("MULMOD", a, b, n)
        check("ADDMOD", a, b, n)


# -- power-of-two divisors: shifts and masks -----------------------------------


@settings(max_examples=400, deadline=None)
@given(k=st.integers(0, 255), a=words)
def test_division_by_powers_of_two(k: int, a: int) -> None:
    check("DIV", a, 2**k)
    check("MOD", a, 2**k)
    # Neighbours of the power of two take the general route.
    check("DIV", a, 2**k + 1)
    check("MOD", a, 2**k + 1)
    if k > 1:
        check("DIV", a, 2**k - 1)
        check("MOD", a, 2**k - 1)
        check("DIV", a, 2**k + 2 ** (k - 1))   # two bits set in one limb
    if k >= 64:
        check("DIV", a, 2**k + 1)              # bits in two limbs
        check("MOD", a, 2**k + 2**63)
