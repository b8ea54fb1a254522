"""BN254 (alt_bn128) precompiles: ECADD 0x06, ECMUL 0x07, ECPAIRING 0x08.

EIP-196 (addition, scalar multiplication) and EIP-197 (pairing check), both
Byzantium; EIP-1108 (Istanbul) lowered their gas.

The curve arithmetic is our own, on Python ints, because the pure-Python
py_ecc pairing takes about 0.4 s per pair and the state tests run hundreds of
pairing checks. Points are affine: ``pow(x, -1, P)`` is a single C call, which
in Python is cheaper than the extra multiplications of projective formulas.

The pairing is the optimal ate pairing over the tower
``Fp2 = Fp[i]/(i^2 + 1)``, ``Fp6 = Fp2[v]/(v^3 - xi)``, ``Fp12 = Fp6[w]/(w^2 - v)``
with ``xi = 9 + i``. G2 lives on the sextic twist ``y^2 = x^3 + 3/xi`` over Fp2
and maps into E(Fp12) by ``(x, y) -> (x w^2, y w^3)``. Several pairs share one
Miller loop and one final exponentiation.
"""
from __future__ import annotations

from typing import Optional, Sequence, Tuple

from ..forks import Fork
from ._common import PrecompileFailure, buffer_read

__all__ = [
    "P",
    "CURVE_ORDER",
    "G1",
    "G2",
    "g1_add",
    "g1_mul",
    "g2_mul",
    "pairing_check",
    "pairing",
    "alt_bn128_add",
    "alt_bn128_add_gas",
    "alt_bn128_mul",
    "alt_bn128_mul_gas",
    "alt_bn128_pairing_check",
    "alt_bn128_pairing_check_gas",
]

#: Base field modulus.
P = 21888242871839275222246405745257275088696311157297823662689037894645226208583
#: Order of G1 and G2 (E(Fp) has prime order, so every G1 point is in G1).
CURVE_ORDER = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: The BN parameter u; p and r are polynomials in it.
BN_U = 4965661367192848881
#: Loop count of the optimal ate pairing.
ATE_LOOP_COUNT = 6 * BN_U + 2

Fp2 = Tuple[int, int]  # a0 + a1*i
Fp6 = Tuple[Fp2, Fp2, Fp2]  # c0 + c1*v + c2*v^2
Fp12 = Tuple[Fp6, Fp6]  # g0 + g1*w
G1Point = Optional[Tuple[int, int]]  # None is the point at infinity
G2Point = Optional[Tuple[Fp2, Fp2]]

# --------------------------------------------------------------------------
# Fp2
# --------------------------------------------------------------------------

F2_ZERO: Fp2 = (0, 0)
F2_ONE: Fp2 = (1, 0)


def f2_add(a: Fp2, b: Fp2) -> Fp2:
    """a + b in Fp2."""
    return ((a[0] + b[0]) % P, (a[1] + b[1]) % P)


def f2_sub(a: Fp2, b: Fp2) -> Fp2:
    """a - b in Fp2."""
    return ((a[0] - b[0]) % P, (a[1] - b[1]) % P)


def f2_neg(a: Fp2) -> Fp2:
    """-a in Fp2."""
    return (-a[0] % P, -a[1] % P)


def f2_mul(a: Fp2, b: Fp2) -> Fp2:
    """a * b in Fp2."""
    a0, a1 = a
    b0, b1 = b
    t0 = a0 * b0
    t1 = a1 * b1
    # Karatsuba: three products instead of four
    return ((t0 - t1) % P, ((a0 + a1) * (b0 + b1) - t0 - t1) % P)


def f2_sqr(a: Fp2) -> Fp2:
    """a^2 in Fp2."""
    a0, a1 = a
    return ((a0 + a1) * (a0 - a1) % P, 2 * a0 * a1 % P)


def f2_scale(a: Fp2, k: int) -> Fp2:
    """Multiply an Fp2 element by an Fp element."""
    return (a[0] * k % P, a[1] * k % P)


def f2_mul_xi(a: Fp2) -> Fp2:
    """Multiply by xi = 9 + i."""
    a0, a1 = a
    return ((9 * a0 - a1) % P, (a0 + 9 * a1) % P)


def f2_conj(a: Fp2) -> Fp2:
    """The Frobenius map of Fp2 (p = 3 mod 4, so x^p is the conjugate)."""
    return (a[0], -a[1] % P)


def f2_inv(a: Fp2) -> Fp2:
    """1/a in Fp2 (a != 0)."""
    a0, a1 = a
    t = pow(a0 * a0 + a1 * a1, -1, P)
    return (a0 * t % P, -a1 * t % P)


def f2_pow(a: Fp2, e: int) -> Fp2:
    """a^e in Fp2."""
    result = F2_ONE
    while e:
        if e & 1:
            result = f2_mul(result, a)
        a = f2_sqr(a)
        e >>= 1
    return result


# --------------------------------------------------------------------------
# Fp6 and Fp12
# --------------------------------------------------------------------------

F6_ZERO: Fp6 = (F2_ZERO, F2_ZERO, F2_ZERO)
F6_ONE: Fp6 = (F2_ONE, F2_ZERO, F2_ZERO)
F12_ONE: Fp12 = (F6_ONE, F6_ZERO)


def f6_add(a: Fp6, b: Fp6) -> Fp6:
    """a + b in Fp6."""
    return (f2_add(a[0], b[0]), f2_add(a[1], b[1]), f2_add(a[2], b[2]))


def f6_sub(a: Fp6, b: Fp6) -> Fp6:
    """a - b in Fp6."""
    return (f2_sub(a[0], b[0]), f2_sub(a[1], b[1]), f2_sub(a[2], b[2]))


def f6_neg(a: Fp6) -> Fp6:
    """-a in Fp6."""
    return (f2_neg(a[0]), f2_neg(a[1]), f2_neg(a[2]))


def f6_mul(a: Fp6, b: Fp6) -> Fp6:
    """a * b in Fp6."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0 = f2_mul(a0, b0)
    t1 = f2_mul(a1, b1)
    t2 = f2_mul(a2, b2)
    # Karatsuba over the three coefficients; v^3 = xi folds the high terms
    c0 = f2_add(t0, f2_mul_xi(f2_sub(f2_mul(f2_add(a1, a2), f2_add(b1, b2)), f2_add(t1, t2))))
    c1 = f2_add(f2_sub(f2_mul(f2_add(a0, a1), f2_add(b0, b1)), f2_add(t0, t1)), f2_mul_xi(t2))
    c2 = f2_add(f2_sub(f2_mul(f2_add(a0, a2), f2_add(b0, b2)), f2_add(t0, t2)), t1)
    return (c0, c1, c2)


def f6_mul_by_01(a: Fp6, b0: Fp2, b1: Fp2) -> Fp6:
    """Multiply by the sparse element ``b0 + b1*v``."""
    a0, a1, a2 = a
    t0 = f2_mul(a0, b0)
    t1 = f2_mul(a1, b1)
    c0 = f2_add(t0, f2_mul_xi(f2_mul(a2, b1)))
    c1 = f2_sub(f2_mul(f2_add(a0, a1), f2_add(b0, b1)), f2_add(t0, t1))
    c2 = f2_add(f2_mul(a2, b0), t1)
    return (c0, c1, c2)


def f6_scale(a: Fp6, k: int) -> Fp6:
    """Multiply an Fp6 element by an Fp element."""
    return (f2_scale(a[0], k), f2_scale(a[1], k), f2_scale(a[2], k))


def f6_mul_by_v(a: Fp6) -> Fp6:
    """a * v in Fp6."""
    return (f2_mul_xi(a[2]), a[0], a[1])


def f6_inv(a: Fp6) -> Fp6:
    """1/a in Fp6 (a != 0)."""
    a0, a1, a2 = a
    c0 = f2_sub(f2_sqr(a0), f2_mul_xi(f2_mul(a1, a2)))
    c1 = f2_sub(f2_mul_xi(f2_sqr(a2)), f2_mul(a0, a1))
    c2 = f2_sub(f2_sqr(a1), f2_mul(a0, a2))
    norm = f2_add(f2_mul(a0, c0), f2_mul_xi(f2_add(f2_mul(a2, c1), f2_mul(a1, c2))))
    t = f2_inv(norm)
    return (f2_mul(c0, t), f2_mul(c1, t), f2_mul(c2, t))


def f12_mul(a: Fp12, b: Fp12) -> Fp12:
    """a * b in Fp12."""
    a0, a1 = a
    b0, b1 = b
    t0 = f6_mul(a0, b0)
    t1 = f6_mul(a1, b1)
    c0 = f6_add(t0, f6_mul_by_v(t1))
    c1 = f6_sub(f6_mul(f6_add(a0, a1), f6_add(b0, b1)), f6_add(t0, t1))
    return (c0, c1)


def f12_sqr(a: Fp12) -> Fp12:
    """a^2 in Fp12."""
    a0, a1 = a
    t = f6_mul(a0, a1)
    # (a0 + a1 w)^2 = a0^2 + a1^2 v + 2 a0 a1 w, with two Fp6 products
    c0 = f6_sub(f6_mul(f6_add(a0, a1), f6_add(a0, f6_mul_by_v(a1))), f6_add(t, f6_mul_by_v(t)))
    return (c0, f6_add(t, t))


def f12_conj(a: Fp12) -> Fp12:
    """``a^(p^6)``; the inverse of elements of the cyclotomic subgroup."""
    return (a[0], f6_neg(a[1]))


def f12_inv(a: Fp12) -> Fp12:
    """1/a in Fp12 (a != 0)."""
    a0, a1 = a
    t = f6_inv(f6_sub(f6_mul(a0, a0), f6_mul_by_v(f6_mul(a1, a1))))
    return (f6_mul(a0, t), f6_neg(f6_mul(a1, t)))


def f12_mul_line(f: Fp12, y_p: int, l1: Fp2, l2: Fp2) -> Fp12:
    """Multiply ``f`` by the sparse line value ``y_p + (l1 + l2*v) w``."""
    f0, f1 = f
    t0 = f6_scale(f0, y_p)
    t1 = f6_mul_by_01(f1, l1, l2)
    c0 = f6_add(t0, f6_mul_by_v(t1))
    s = f6_mul_by_01(f6_add(f0, f1), ((l1[0] + y_p) % P, l1[1]), l2)
    c1 = f6_sub(s, f6_add(t0, t1))
    return (c0, c1)


# Frobenius: write a in Fp12 as sum a_m w^m (m = 0..5, a_m in Fp2, with
# g0 = a_0 + a_2 v + a_4 v^2 and g1 = a_1 + a_3 v + a_5 v^2). Then
# a^(p^k) = sum a_m^(p^k) * xi^(m (p^k - 1) / 6) * w^m, as w^6 = xi.
_FROB = {k: [f2_pow((9, 1), m * (P**k - 1) // 6) for m in range(6)] for k in (1, 2, 3)}


def f12_frobenius(a: Fp12, k: int) -> Fp12:
    """``a^(p^k)`` for k in 1, 2, 3."""
    g = _FROB[k]
    (a0, a2, a4), (a1, a3, a5) = a
    if k & 1:
        a0, a1, a2, a3, a4, a5 = (f2_conj(x) for x in (a0, a1, a2, a3, a4, a5))
    return (
        (a0, f2_mul(a2, g[2]), f2_mul(a4, g[4])),
        (f2_mul(a1, g[1]), f2_mul(a3, g[3]), f2_mul(a5, g[5])),
    )


def f12_pow_u(a: Fp12) -> Fp12:
    """``a^u`` for ``a`` in the cyclotomic subgroup."""
    result = a
    for bit in bin(BN_U)[3:]:
        result = f12_sqr(result)
        if bit == "1":
            result = f12_mul(result, a)
    return result


def final_exponentiation(f: Fp12) -> Fp12:
    """``f^((p^12 - 1) / r)``, mapping Miller loop output to a unique value."""
    # easy part: f^((p^6 - 1)(p^2 + 1)) lands in the cyclotomic subgroup
    f = f12_mul(f12_conj(f), f12_inv(f))
    f = f12_mul(f12_frobenius(f, 2), f)
    # hard part (p^4 - p^2 + 1)/r, written in base p with coefficients in u
    # (Scott et al., "On the final exponentiation for calculating pairings on
    # ordinary elliptic curves", 2009).
    ft1 = f12_pow_u(f)
    ft2 = f12_pow_u(ft1)
    ft3 = f12_pow_u(ft2)
    y0 = f12_mul(f12_mul(f12_frobenius(f, 1), f12_frobenius(f, 2)), f12_frobenius(f, 3))
    y1 = f12_conj(f)
    y2 = f12_frobenius(ft2, 2)
    y3 = f12_conj(f12_frobenius(ft1, 1))
    y4 = f12_conj(f12_mul(ft1, f12_frobenius(ft2, 1)))
    y5 = f12_conj(ft2)
    y6 = f12_conj(f12_mul(ft3, f12_frobenius(ft3, 1)))
    t0 = f12_mul(f12_mul(f12_sqr(y6), y4), y5)
    t1 = f12_mul(f12_mul(y3, y5), t0)
    t0 = f12_mul(t0, y2)
    t1 = f12_sqr(f12_mul(f12_sqr(t1), t0))
    t0 = f12_mul(t1, y1)
    t1 = f12_mul(t1, y0)
    return f12_mul(f12_sqr(t0), t1)


# --------------------------------------------------------------------------
# Curve groups (affine; None is the point at infinity)
# --------------------------------------------------------------------------

G1: G1Point = (1, 2)
G2: G2Point = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)
#: b of the twist y^2 = x^3 + 3/xi
B2: Fp2 = f2_mul((3, 0), f2_inv((9, 1)))


def g1_is_on_curve(pt: G1Point) -> bool:
    """Whether ``pt`` satisfies y^2 = x^3 + 3 (infinity counts)."""
    if pt is None:
        return True
    x, y = pt
    return (y * y - x * x * x - 3) % P == 0


def g1_add(a: G1Point, b: G1Point) -> G1Point:
    """Sum of two points of y^2 = x^3 + 3 over Fp."""
    if a is None:
        return b
    if b is None:
        return a
    x1, y1 = a
    x2, y2 = b
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        lam = 3 * x1 * x1 * pow(2 * y1, -1, P) % P
    else:
        lam = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (lam * lam - x1 - x2) % P
    return (x3, (lam * (x1 - x3) - y1) % P)


# Scalar multiplication uses Jacobian coordinates (x = X/Z^2, y = Y/Z^3) so
# that it needs one inversion at the end instead of one per step; Z == 0 is
# the point at infinity. Formulas: dbl-2009-l and madd-2007-bl (a = 0).


def _g1_double_jac(X: int, Y: int, Z: int) -> Tuple[int, int, int]:
    A = X * X % P
    B = Y * Y % P
    C = B * B % P
    D = 2 * ((X + B) * (X + B) - A - C) % P
    E = 3 * A % P
    X3 = (E * E - 2 * D) % P
    return X3, (E * (D - X3) - 8 * C) % P, 2 * Y * Z % P


def _g1_add_affine_jac(X: int, Y: int, Z: int, x2: int, y2: int) -> Tuple[int, int, int]:
    if Z == 0:
        return x2, y2, 1
    ZZ = Z * Z % P
    H = (x2 * ZZ - X) % P
    R = (y2 * Z * ZZ - Y) % P
    if H == 0:
        return _g1_double_jac(X, Y, Z) if R == 0 else (0, 1, 0)
    I = 4 * H * H % P
    J = H * I % P
    R = 2 * R
    V = X * I % P
    X3 = (R * R - J - 2 * V) % P
    return X3, (R * (V - X3) - 2 * Y * J) % P, 2 * Z * H % P


def g1_mul(pt: G1Point, n: int) -> G1Point:
    """``n * pt``; ``pt`` must be on the curve (every such point has order r)."""
    if pt is None:
        return None
    x2, y2 = pt
    X, Y, Z = 0, 1, 0
    for bit in bin(n % CURVE_ORDER)[2:]:
        X, Y, Z = _g1_double_jac(X, Y, Z)
        if bit == "1":
            X, Y, Z = _g1_add_affine_jac(X, Y, Z, x2, y2)
    if Z == 0:
        return None
    zi = pow(Z, -1, P)
    zi2 = zi * zi % P
    return (X * zi2 % P, Y * zi2 * zi % P)


def g2_is_on_curve(pt: G2Point) -> bool:
    """Whether ``pt`` satisfies the twist equation y^2 = x^3 + 3/xi (infinity counts)."""
    if pt is None:
        return True
    x, y = pt
    return f2_sub(f2_sqr(y), f2_mul(f2_sqr(x), x)) == B2


def g2_add(a: G2Point, b: G2Point) -> G2Point:
    """Sum of two points of the twist over Fp2."""
    if a is None:
        return b
    if b is None:
        return a
    x1, y1 = a
    x2, y2 = b
    if x1 == x2:
        if f2_add(y1, y2) == F2_ZERO:
            return None
        lam = f2_mul(f2_scale(f2_sqr(x1), 3), f2_inv(f2_add(y1, y1)))
    else:
        lam = f2_mul(f2_sub(y2, y1), f2_inv(f2_sub(x2, x1)))
    x3 = f2_sub(f2_sqr(lam), f2_add(x1, x2))
    return (x3, f2_sub(f2_mul(lam, f2_sub(x1, x3)), y1))


def _g2_double_jac(X: Fp2, Y: Fp2, Z: Fp2) -> Tuple[Fp2, Fp2, Fp2]:
    A = f2_sqr(X)
    B = f2_sqr(Y)
    C = f2_sqr(B)
    D = f2_scale(f2_sub(f2_sqr(f2_add(X, B)), f2_add(A, C)), 2)
    E = f2_scale(A, 3)
    X3 = f2_sub(f2_sqr(E), f2_add(D, D))
    Y3 = f2_sub(f2_mul(E, f2_sub(D, X3)), f2_scale(C, 8))
    return X3, Y3, f2_scale(f2_mul(Y, Z), 2)


def _g2_add_affine_jac(X: Fp2, Y: Fp2, Z: Fp2, x2: Fp2, y2: Fp2) -> Tuple[Fp2, Fp2, Fp2]:
    if Z == F2_ZERO:
        return x2, y2, F2_ONE
    ZZ = f2_sqr(Z)
    H = f2_sub(f2_mul(x2, ZZ), X)
    R = f2_sub(f2_mul(y2, f2_mul(Z, ZZ)), Y)
    if H == F2_ZERO:
        return _g2_double_jac(X, Y, Z) if R == F2_ZERO else (F2_ZERO, F2_ONE, F2_ZERO)
    I = f2_scale(f2_sqr(H), 4)
    J = f2_mul(H, I)
    R = f2_add(R, R)
    V = f2_mul(X, I)
    X3 = f2_sub(f2_sqr(R), f2_add(J, f2_add(V, V)))
    Y3 = f2_sub(f2_mul(R, f2_sub(V, X3)), f2_scale(f2_mul(Y, J), 2))
    return X3, Y3, f2_scale(f2_mul(Z, H), 2)


def _g2_mul_jac(pt: Tuple[Fp2, Fp2], n: int) -> Tuple[Fp2, Fp2, Fp2]:
    x2, y2 = pt
    X, Y, Z = F2_ZERO, F2_ONE, F2_ZERO
    for bit in bin(n)[2:]:
        X, Y, Z = _g2_double_jac(X, Y, Z)
        if bit == "1":
            X, Y, Z = _g2_add_affine_jac(X, Y, Z, x2, y2)
    return X, Y, Z


def g2_mul(pt: G2Point, n: int) -> G2Point:
    """``n * pt`` on the twist (no reduction of ``n``: the point may lie outside G2)."""
    if pt is None:
        return None
    X, Y, Z = _g2_mul_jac(pt, n)
    if Z == F2_ZERO:
        return None
    zi = f2_inv(Z)
    zi2 = f2_sqr(zi)
    return (f2_mul(X, zi2), f2_mul(Y, f2_mul(zi2, zi)))


def g2_in_subgroup(pt: G2Point) -> bool:
    """Whether ``pt`` (on the twist) lies in the order-r subgroup G2."""
    if pt is None:
        return True
    return _g2_mul_jac(pt, CURVE_ORDER)[2] == F2_ZERO


def _g2_frobenius(pt: Tuple[Fp2, Fp2]) -> Tuple[Fp2, Fp2]:
    """The p-power Frobenius endomorphism carried to the twist."""
    x, y = pt
    return (f2_mul(f2_conj(x), _FROB[1][2]), f2_mul(f2_conj(y), _FROB[1][3]))


# --------------------------------------------------------------------------
# Pairing
# --------------------------------------------------------------------------


def _line_step(
    t: Tuple[Fp2, Fp2], q: Optional[Tuple[Fp2, Fp2]], x_p: int
) -> Tuple[Tuple[Fp2, Fp2], Fp2, Fp2]:
    """Double ``t`` (``q is None``) or add ``q`` to it, returning the new point
    and the coefficients (l1, l2) of the line through them evaluated at P:
    ``y_P - lam x_P w + (lam x_T - y_T) w^3``.

    For Q in G2 (checked when decoded) the loop's T = [k]Q and the point
    added never coincide, are never opposite and never reach infinity, so the
    affine formulas need no special cases.
    """
    x1, y1 = t
    if q is None:
        lam = f2_mul(f2_scale(f2_sqr(x1), 3), f2_inv(f2_add(y1, y1)))
        x3 = f2_sub(f2_sqr(lam), f2_add(x1, x1))
    else:
        x2, y2 = q
        lam = f2_mul(f2_sub(y2, y1), f2_inv(f2_sub(x2, x1)))
        x3 = f2_sub(f2_sqr(lam), f2_add(x1, x2))
    y3 = f2_sub(f2_mul(lam, f2_sub(x1, x3)), y1)
    l1 = f2_neg(f2_scale(lam, x_p))
    l2 = f2_sub(f2_mul(lam, x1), y1)
    return (x3, y3), l1, l2


PairingInput = Sequence[Tuple[Tuple[int, int], Tuple[Fp2, Fp2]]]


def miller_loop(pairs: PairingInput) -> Fp12:
    """Product of the optimal ate Miller functions of ``(P, Q)`` pairs
    (affine, neither at infinity)."""
    f = F12_ONE
    ts = [q for _, q in pairs]
    for bit in bin(ATE_LOOP_COUNT)[3:]:
        f = f12_sqr(f)
        for i, ((x_p, y_p), _q) in enumerate(pairs):
            ts[i], l1, l2 = _line_step(ts[i], None, x_p)
            f = f12_mul_line(f, y_p, l1, l2)
        if bit == "1":
            for i, ((x_p, y_p), q) in enumerate(pairs):
                ts[i], l1, l2 = _line_step(ts[i], q, x_p)
                f = f12_mul_line(f, y_p, l1, l2)
    for i, ((x_p, y_p), q) in enumerate(pairs):
        q1 = _g2_frobenius(q)
        q2x, q2y = _g2_frobenius(q1)
        t, l1, l2 = _line_step(ts[i], q1, x_p)
        f = f12_mul_line(f, y_p, l1, l2)
        _, l1, l2 = _line_step(t, (q2x, f2_neg(q2y)), x_p)
        f = f12_mul_line(f, y_p, l1, l2)
    return f


def pairing(p: G1Point, q: G2Point) -> Fp12:
    """The reduced optimal ate pairing e(P, Q) (for tests and tools)."""
    if p is None or q is None:
        return F12_ONE
    return final_exponentiation(miller_loop([(p, q)]))


def pairing_check(pairs: Sequence[Tuple[G1Point, G2Point]]) -> bool:
    """Whether the product of e(P_i, Q_i) is one; points at infinity add nothing."""
    live = [(p, q) for p, q in pairs if p is not None and q is not None]
    if not live:
        return True
    return final_exponentiation(miller_loop(live)) == F12_ONE


# --------------------------------------------------------------------------
# Precompiles
# --------------------------------------------------------------------------


def _decode_fp(data: bytes) -> int:
    value = int.from_bytes(data, "big")
    if value >= P:
        raise PrecompileFailure("BN254 field element >= p")
    return value


def decode_g1(data: bytes) -> G1Point:
    """Decode 64 bytes (x, y) into a G1 point; (0, 0) is infinity."""
    x = _decode_fp(data[:32])
    y = _decode_fp(data[32:64])
    if x == 0 and y == 0:
        return None
    if not g1_is_on_curve((x, y)):
        raise PrecompileFailure("BN254 G1 point not on curve")
    return (x, y)


def decode_g2(data: bytes) -> G2Point:
    """Decode 128 bytes into a G2 point. Each Fp2 coordinate is encoded with
    its imaginary part first; (0, 0) is infinity. Checks curve and subgroup."""
    x_im = _decode_fp(data[0:32])
    x_re = _decode_fp(data[32:64])
    y_im = _decode_fp(data[64:96])
    y_re = _decode_fp(data[96:128])
    if x_im == x_re == y_im == y_re == 0:
        return None
    pt = ((x_re, x_im), (y_re, y_im))
    if not g2_is_on_curve(pt):
        raise PrecompileFailure("BN254 G2 point not on curve")
    if not g2_in_subgroup(pt):
        raise PrecompileFailure("BN254 G2 point not in subgroup")
    return pt


def encode_g1(pt: G1Point) -> bytes:
    """The 64-byte (x, y) encoding of a G1 point; infinity is all zeros."""
    if pt is None:
        return bytes(64)
    return pt[0].to_bytes(32, "big") + pt[1].to_bytes(32, "big")


def alt_bn128_add_gas(data: bytes, fork: Fork) -> int:
    """EIP-196 ECADD gas: 500, or 150 from Istanbul (EIP-1108)."""
    return 150 if fork >= Fork.ISTANBUL else 500


def alt_bn128_add(data: bytes) -> bytes:
    """ECADD: the sum of two G1 points (input zero-padded to 128 bytes)."""
    data = buffer_read(data, 0, 128)
    return encode_g1(g1_add(decode_g1(data[:64]), decode_g1(data[64:])))


def alt_bn128_mul_gas(data: bytes, fork: Fork) -> int:
    """EIP-196 ECMUL gas: 40000, or 6000 from Istanbul (EIP-1108)."""
    return 6000 if fork >= Fork.ISTANBUL else 40000


def alt_bn128_mul(data: bytes) -> bytes:
    """ECMUL: a G1 point times a 256-bit scalar (input zero-padded to 96 bytes)."""
    data = buffer_read(data, 0, 96)
    return encode_g1(g1_mul(decode_g1(data[:64]), int.from_bytes(data[64:], "big")))


def alt_bn128_pairing_check_gas(data: bytes, fork: Fork) -> int:
    """EIP-197 gas: 100000 + 80000 per pair, from Istanbul 45000 + 34000 per pair."""
    k = len(data) // 192
    if fork >= Fork.ISTANBUL:
        return 45000 + 34000 * k
    return 100000 + 80000 * k


def alt_bn128_pairing_check(data: bytes) -> bytes:
    """ECPAIRING: 1 (as a 32-byte word) if the product of the pairings of the
    (G1, G2) pairs is one, else 0. Input must be a multiple of 192 bytes."""
    if len(data) % 192:
        raise PrecompileFailure("BN254 pairing input not a multiple of 192 bytes")
    pairs = []
    for start in range(0, len(data), 192):
        p = decode_g1(data[start : start + 64])
        q = decode_g2(data[start + 64 : start + 192])
        pairs.append((p, q))
    return (1 if pairing_check(pairs) else 0).to_bytes(32, "big")
