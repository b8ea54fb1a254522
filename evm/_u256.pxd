# cython: language_level=3
"""256-bit unsigned words (the EVM's stack item) as four 64-bit limbs.

Every function here is a ``cdef inline`` helper compiled into each module that
cimports this file. Conventions:

* ``w[0]`` is the least significant limb; values are taken modulo 2**256 and
  read as two's complement where an operation is signed (SDIV, SMOD, SLT, ...).
* The output pointer comes first and may alias any input: results are built in
  locals and stored last.
* Everything except the two Python-edge converters at the bottom is
  ``noexcept nogil`` and touches no Python object.

Division (DIV, MOD, ADDMOD, MULMOD, ...) is Knuth's algorithm D on 64-bit limbs
with quotient digits estimated by the 3-by-2 and 2-by-1 reciprocal divisions of
Moller & Granlund, "Improved division by invariant integers" (2011), so a
division costs one hardware ``div`` (for the reciprocal) plus multiplications.
"""

cimport cython
from libc.stdint cimport uint64_t, uint8_t, int64_t
from libc.string cimport memcpy, memset


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>

    /* Cython has no spelling for a 128-bit integer: name it in C. */
    typedef unsigned __int128 evm_uint128;

    /* 256-bit add and subtract, modulo 2^256: an add/adc (sub/sbb) chain in
       registers. GCC spills the equivalent 128-bit-sum code to the stack. */
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <x86intrin.h>
    static inline void evm_add256(uint64_t* r, const uint64_t* a, const uint64_t* b) {
        unsigned long long r0, r1, r2, r3;
        unsigned char c = _addcarry_u64(0, a[0], b[0], &r0);
        c = _addcarry_u64(c, a[1], b[1], &r1);
        c = _addcarry_u64(c, a[2], b[2], &r2);
        (void)_addcarry_u64(c, a[3], b[3], &r3);
        r[0] = r0; r[1] = r1; r[2] = r2; r[3] = r3;
    }
    static inline void evm_sub256(uint64_t* r, const uint64_t* a, const uint64_t* b) {
        unsigned long long r0, r1, r2, r3;
        unsigned char c = _subborrow_u64(0, a[0], b[0], &r0);
        c = _subborrow_u64(c, a[1], b[1], &r1);
        c = _subborrow_u64(c, a[2], b[2], &r2);
        (void)_subborrow_u64(c, a[3], b[3], &r3);
        r[0] = r0; r[1] = r1; r[2] = r2; r[3] = r3;
    }
    #else
    static inline void evm_add256(uint64_t* r, const uint64_t* a, const uint64_t* b) {
        uint64_t t[4], c = 0;
        for (int i = 0; i < 4; i++) {
            evm_uint128 s = (evm_uint128)a[i] + b[i] + c;
            t[i] = (uint64_t)s; c = (uint64_t)(s >> 64);
        }
        memcpy(r, t, sizeof t);
    }
    static inline void evm_sub256(uint64_t* r, const uint64_t* a, const uint64_t* b) {
        uint64_t t[4], c = 0;
        for (int i = 0; i < 4; i++) {
            evm_uint128 d = (evm_uint128)a[i] - b[i] - c;
            t[i] = (uint64_t)d; c = (uint64_t)(d >> 64) & 1;
        }
        memcpy(r, t, sizeof t);
    }
    #endif

    /* Leading zero bits of a 64-bit word; 64 for zero. */
    static inline unsigned int evm_clz64(uint64_t x) {
        return x ? (unsigned int)__builtin_clzll(x) : 64u;
    }

    /* (hi:lo) / d for hi < d, so the quotient fits 64 bits. One divq on
       x86-64; elsewhere the compiler's 128-bit division. */
    static inline uint64_t evm_udiv128(uint64_t hi, uint64_t lo, uint64_t d) {
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        uint64_t q, r;
        __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
        (void)r;
        return q;
    #else
        return (uint64_t)((((evm_uint128)hi << 64) | lo) / d);
    #endif
    }

    /* (hi:lo) mod d for hi < d. */
    static inline uint64_t evm_umod128(uint64_t hi, uint64_t lo, uint64_t d) {
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        uint64_t q, r;
        __asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
        (void)q;
        return r;
    #else
        return (uint64_t)((((evm_uint128)hi << 64) | lo) % d);
    #endif
    }

    /* Big-endian 64-bit load/store independent of host byte order. */
    static inline uint64_t evm_load_be64(const uint8_t *p) {
        uint64_t v;
        memcpy(&v, p, 8);
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
    #endif
        return v;
    }
    static inline void evm_store_be64(uint8_t *p, uint64_t v) {
    #if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
    #endif
        memcpy(p, &v, 8);
    }

    /* A 4-limb modulus (n >= 2**192) prepared for reduction: d = n << s with
       the top bit of d[3] set, and v the 3-by-2 reciprocal of (d[3]:d[2]). */
    typedef struct {
        uint64_t n[4];
        uint64_t d[4];
        uint64_t v;
        unsigned int s;
    } evm_modctx;

    /* The last modulus MULMOD/ADDMOD reduced by: real code (elliptic-curve
       and field arithmetic) repeats one modulus millions of times, and this
       saves the normalization and reciprocal each time. All zero means empty
       (0 is never a 4-limb modulus). A plain static: one per C translation
       unit (the core is a single unit), and thread-naive: it is only touched
       by code that holds the GIL and calls no Python in between. */
    static evm_modctx evm_mod_cache;

    /* Python int -> four little-endian limbs. Returns 0 on success, 1 when
       the value is negative or needs more than 256 bits (no exception set),
       -1 with an exception set on any other failure. */
    static int evm_pylong_to_limbs(PyObject *v, uint64_t *w) {
        unsigned char buf[32];
        int i;
    #if PY_VERSION_HEX >= 0x030D0000
        Py_ssize_t need;
        int neg = PyObject_RichCompareBool(v, _PyLong_GetZero(), Py_LT);
        if (neg < 0) return -1;
        if (neg) return 1;
        need = PyLong_AsNativeBytes(v, buf, 32,
                Py_ASNATIVEBYTES_LITTLE_ENDIAN | Py_ASNATIVEBYTES_UNSIGNED_BUFFER);
        if (need < 0) return -1;
        if (need > 32) return 1;
    #else
        /* Raises OverflowError both for negative and for too-large values. */
        if (_PyLong_AsByteArray((PyLongObject *)v, buf, 32, 1, 0) < 0) {
            if (PyErr_ExceptionMatches(PyExc_OverflowError)) {
                PyErr_Clear();
                return 1;
            }
            return -1;
        }
    #endif
        for (i = 0; i < 4; i++) {
            uint64_t limb = 0;
            int k;
            for (k = 7; k >= 0; k--) limb = (limb << 8) | buf[8 * i + k];
            w[i] = limb;
        }
        return 0;
    }

    /* Four little-endian limbs -> new Python int. */
    static PyObject *evm_limbs_to_pylong(const uint64_t *w) {
        unsigned char buf[32];
        int i, k;
        for (i = 0; i < 4; i++)
            for (k = 0; k < 8; k++) buf[8 * i + k] = (unsigned char)(w[i] >> (8 * k));
    #if PY_VERSION_HEX >= 0x030D0000
        return PyLong_FromUnsignedNativeBytes(buf, 32, Py_ASNATIVEBYTES_LITTLE_ENDIAN);
    #else
        return _PyLong_FromByteArray(buf, 32, 1, 0);
    #endif
    }
    """
    ctypedef unsigned long long uint128 "evm_uint128"
    ctypedef struct evm_modctx:
        uint64_t n[4]
        uint64_t d[4]
        uint64_t v
        unsigned int s
    evm_modctx evm_mod_cache
    unsigned int evm_clz64(uint64_t x) noexcept nogil
    void evm_add256(uint64_t* r, const uint64_t* a, const uint64_t* b) noexcept nogil
    void evm_sub256(uint64_t* r, const uint64_t* a, const uint64_t* b) noexcept nogil
    uint64_t evm_udiv128(uint64_t hi, uint64_t lo, uint64_t d) noexcept nogil
    uint64_t evm_umod128(uint64_t hi, uint64_t lo, uint64_t d) noexcept nogil
    uint64_t evm_load_be64(const uint8_t* p) noexcept nogil
    void evm_store_be64(uint8_t* p, uint64_t v) noexcept nogil
    int evm_pylong_to_limbs(object v, uint64_t* w) except -1
    object evm_limbs_to_pylong(const uint64_t* w)


ctypedef struct u256:
    uint64_t w[4]      # little-endian limbs: w[0] is least significant


# ---------------------------------------------------------------------------
# Construction, tests, comparisons
# ---------------------------------------------------------------------------

cdef inline void u256_set_u64(u256* r, uint64_t v) noexcept nogil:
    r.w[0] = v
    r.w[1] = 0
    r.w[2] = 0
    r.w[3] = 0


cdef inline bint u256_is_zero(const u256* a) noexcept nogil:
    return (a.w[0] | a.w[1] | a.w[2] | a.w[3]) == 0


cdef inline bint u256_fits_u64(const u256* a) noexcept nogil:
    return (a.w[1] | a.w[2] | a.w[3]) == 0


cdef inline bint u256_eq(const u256* a, const u256* b) noexcept nogil:
    return ((a.w[0] ^ b.w[0]) | (a.w[1] ^ b.w[1]) | (a.w[2] ^ b.w[2]) | (a.w[3] ^ b.w[3])) == 0


cdef inline bint u256_lt(const u256* a, const u256* b) noexcept nogil:
    # The borrow out of a - b, computed limb by limb without branches:
    # limb i borrows when a_i < b_i, or a_i == b_i and the lower limbs borrowed.
    cdef uint64_t borrow = a.w[0] < b.w[0]
    cdef int i
    for i in range(1, 4):
        borrow = (a.w[i] < b.w[i]) | ((a.w[i] - b.w[i]) < borrow)
    return borrow != 0


cdef inline bint u256_gt(const u256* a, const u256* b) noexcept nogil:
    return u256_lt(b, a)


cdef inline bint u256_slt(const u256* a, const u256* b) noexcept nogil:
    cdef uint64_t sa = a.w[3] >> 63
    cdef uint64_t sb = b.w[3] >> 63
    if sa != sb:
        return sa != 0      # the negative one is smaller
    # Same sign: two's complement order equals unsigned order.
    return u256_lt(a, b)


cdef inline bint u256_sgt(const u256* a, const u256* b) noexcept nogil:
    return u256_slt(b, a)


# ---------------------------------------------------------------------------
# Bitwise
# ---------------------------------------------------------------------------

cdef inline void u256_and(u256* r, const u256* a, const u256* b) noexcept nogil:
    cdef int i
    for i in range(4):
        r.w[i] = a.w[i] & b.w[i]


cdef inline void u256_or(u256* r, const u256* a, const u256* b) noexcept nogil:
    cdef int i
    for i in range(4):
        r.w[i] = a.w[i] | b.w[i]


cdef inline void u256_xor(u256* r, const u256* a, const u256* b) noexcept nogil:
    cdef int i
    for i in range(4):
        r.w[i] = a.w[i] ^ b.w[i]


cdef inline void u256_not(u256* r, const u256* a) noexcept nogil:
    cdef int i
    for i in range(4):
        r.w[i] = ~a.w[i]


cdef inline unsigned int u256_clz(const u256* a) noexcept nogil:
    """Leading zero bits; 256 for zero (Osaka's CLZ)."""
    if a.w[3]:
        return evm_clz64(a.w[3])
    if a.w[2]:
        return 64 + evm_clz64(a.w[2])
    if a.w[1]:
        return 128 + evm_clz64(a.w[1])
    return 192 + evm_clz64(a.w[0])


cdef inline unsigned int u256_bit_length(const u256* a) noexcept nogil:
    return 256 - u256_clz(a)


cdef inline unsigned int u256_byte_length(const u256* a) noexcept nogil:
    return (u256_bit_length(a) + 7) >> 3


cdef inline void u256_byte(u256* r, const u256* i, const u256* x) noexcept nogil:
    """BYTE: the i-th byte of x counting from the most significant; 0 for i >= 32."""
    cdef uint64_t idx = i.w[0]
    cdef uint64_t v = 0
    if u256_fits_u64(i) and idx < 32:
        # Byte idx lives in limb 3 - idx // 8, at bit (7 - idx % 8) * 8 of it.
        v = (x.w[3 - (idx >> 3)] >> ((7 - (idx & 7)) << 3)) & 0xFF
    u256_set_u64(r, v)


cdef inline void _u256_shr_bits(u256* r, const u256* x, unsigned int s) noexcept nogil:
    # Logical right shift by s < 256.
    cdef unsigned int limbs = s >> 6
    cdef unsigned int bits = s & 63
    cdef u256 t
    cdef int i
    cdef unsigned int k
    for i in range(4):
        k = i + limbs
        if k > 3:
            t.w[i] = 0
        elif k == 3:
            t.w[i] = x.w[k] >> bits
        else:
            # (hi << 1) << (63 - bits) is hi << (64 - bits) without the
            # undefined shift by 64 when bits == 0.
            t.w[i] = (x.w[k] >> bits) | ((x.w[k + 1] << 1) << (63 - bits))
    r[0] = t


cdef inline void u256_shl(u256* r, const u256* shift, const u256* value) noexcept nogil:
    """SHL (EIP-145): value << shift, 0 when shift >= 256."""
    cdef unsigned int limbs, bits
    cdef u256 t
    cdef int i, k
    if not u256_fits_u64(shift) or shift.w[0] >= 256:
        u256_set_u64(r, 0)
        return
    limbs = <unsigned int>(shift.w[0] >> 6)
    bits = <unsigned int>(shift.w[0] & 63)
    for i in range(4):
        k = i - <int>limbs
        if k < 0:
            t.w[i] = 0
        elif k == 0:
            t.w[i] = value.w[0] << bits
        else:
            t.w[i] = (value.w[k] << bits) | ((value.w[k - 1] >> 1) >> (63 - bits))
    r[0] = t


cdef inline void u256_shr(u256* r, const u256* shift, const u256* value) noexcept nogil:
    """SHR (EIP-145): logical value >> shift, 0 when shift >= 256."""
    if not u256_fits_u64(shift) or shift.w[0] >= 256:
        u256_set_u64(r, 0)
        return
    _u256_shr_bits(r, value, <unsigned int>shift.w[0])


cdef inline void u256_sar(u256* r, const u256* shift, const u256* value) noexcept nogil:
    """SAR (EIP-145): arithmetic value >> shift; saturates to 0 or -1 for shift >= 256."""
    cdef bint negative = (value.w[3] >> 63) != 0
    cdef u256 t
    cdef int i
    if not u256_fits_u64(shift) or shift.w[0] >= 256:
        for i in range(4):
            r.w[i] = 0 - <uint64_t>negative
        return
    if not negative:
        _u256_shr_bits(r, value, <unsigned int>shift.w[0])
        return
    # For negative x, x >> s == ~(~x >>> s): shifting the complement brings in
    # zeros, which the final complement turns into the sign's ones.
    u256_not(&t, value)
    _u256_shr_bits(&t, &t, <unsigned int>shift.w[0])
    u256_not(r, &t)


cdef inline void u256_signextend(u256* r, const u256* b, const u256* x) noexcept nogil:
    """SIGNEXTEND: extend the sign of the (b+1)-byte value in x; x unchanged for b >= 31."""
    cdef unsigned int bit, limb, i
    cdef uint64_t low_mask, sign_fill, v
    if not u256_fits_u64(b) or b.w[0] >= 31:
        r[0] = x[0]
        return
    bit = <unsigned int>b.w[0] * 8 + 7            # index of the sign bit
    limb = bit >> 6
    # Bits 0..bit%64 of the sign limb; 2 << 63 wraps to 0, giving all ones.
    low_mask = ((<uint64_t>2) << (bit & 63)) - 1
    v = x.w[limb]
    sign_fill = 0 - ((v >> (bit & 63)) & 1)
    if r != x:  # in place (the loop's case) the limbs below stay as they are
        r[0] = x[0]
    r.w[limb] = (v & low_mask) | (sign_fill & ~low_mask)
    for i in range(limb + 1, 4):
        r.w[i] = sign_fill


# ---------------------------------------------------------------------------
# Ring arithmetic mod 2**256
# ---------------------------------------------------------------------------

cdef inline void u256_add(u256* r, const u256* a, const u256* b) noexcept nogil:
    evm_add256(r.w, a.w, b.w)


cdef inline void u256_sub(u256* r, const u256* a, const u256* b) noexcept nogil:
    evm_sub256(r.w, a.w, b.w)


cdef inline void _u256_neg(u256* r, const u256* a) noexcept nogil:
    # Two's complement negation: ~a + 1.
    cdef u256 zero
    u256_set_u64(&zero, 0)
    u256_sub(r, &zero, a)


cdef inline void u256_mul(u256* r, const u256* a, const u256* b) noexcept nogil:
    """MUL: the low 256 bits of a * b (schoolbook, only the 10 products that land below 2**256)."""
    cdef uint64_t t[4]
    cdef uint128 p
    cdef uint64_t carry
    cdef int i, j
    if u256_fits_u64(a) and u256_fits_u64(b):
        p = <uint128>a.w[0] * b.w[0]
        r.w[0] = <uint64_t>p
        r.w[1] = <uint64_t>(p >> 64)
        r.w[2] = 0
        r.w[3] = 0
        return
    t[0] = 0
    t[1] = 0
    t[2] = 0
    t[3] = 0
    for i in range(4):
        carry = 0
        for j in range(4 - i):
            p = <uint128>a.w[i] * b.w[j] + t[i + j] + carry
            t[i + j] = <uint64_t>p
            carry = <uint64_t>(p >> 64)
    r.w[0] = t[0]
    r.w[1] = t[1]
    r.w[2] = t[2]
    r.w[3] = t[3]


cdef inline void _mul_full(uint64_t* out8, const u256* a, const u256* b) noexcept nogil:
    # The full 512-bit product, skipping the zero high limbs of either factor.
    cdef int na = 4, nb = 4, i, j
    cdef uint128 p
    cdef uint64_t carry
    while na > 0 and a.w[na - 1] == 0:
        na -= 1
    while nb > 0 and b.w[nb - 1] == 0:
        nb -= 1
    memset(out8, 0, 8 * sizeof(uint64_t))
    for i in range(na):
        carry = 0
        for j in range(nb):
            p = <uint128>a.w[i] * b.w[j] + out8[i + j] + carry
            out8[i + j] = <uint64_t>p
            carry = <uint64_t>(p >> 64)
        out8[i + nb] = carry


cdef inline void u256_exp(u256* r, const u256* base, const u256* exponent) noexcept nogil:
    """EXP: base ** exponent mod 2**256 by right-to-left square-and-multiply."""
    cdef u256 result, x
    cdef unsigned int nbits = u256_bit_length(exponent)
    cdef unsigned int i
    u256_set_u64(&result, 1)
    x = base[0]
    if nbits != 0 and u256_fits_u64(&x) and x.w[0] <= 2:
        # 0**e = 0, 1**e = 1, 2**e = 1 << e: common and exact without multiplying.
        if x.w[0] == 2:
            u256_shl(r, exponent, &result)
        else:
            u256_set_u64(r, x.w[0])
        return
    for i in range(nbits):
        if (exponent.w[i >> 6] >> (i & 63)) & 1:
            u256_mul(&result, &result, &x)
        if i + 1 < nbits:
            u256_mul(&x, &x, &x)
    r[0] = result


# ---------------------------------------------------------------------------
# Division: Knuth algorithm D with reciprocal-based digit estimation
# ---------------------------------------------------------------------------

cdef inline uint64_t _reciprocal_2by1(uint64_t d) noexcept nogil:
    # For normalized d (top bit set): v = floor((2**128 - 1) / d) - 2**64.
    # (~d : 2**64-1) is exactly 2**128 - 1 - d * 2**64, so one 128/64 division gives v.
    return evm_udiv128(~d, ~(<uint64_t>0), d)


cdef inline uint64_t _udivrem_2by1(uint64_t u1, uint64_t u0, uint64_t d, uint64_t v,
                                   uint64_t* rem) noexcept nogil:
    # Moller-Granlund algorithm 4: (u1:u0) / d for normalized d and u1 < d,
    # with two multiplications instead of a hardware division.
    cdef uint128 q = <uint128>v * u1 + ((<uint128>u1 << 64) | u0)
    cdef uint64_t q1 = <uint64_t>(q >> 64) + 1
    cdef uint64_t q0 = <uint64_t>q
    cdef uint64_t r = u0 - q1 * d
    if r > q0:          # estimate one too large
        q1 -= 1
        r += d
    if r >= d:          # estimate one too small (rare)
        q1 += 1
        r -= d
    rem[0] = r
    return q1


cdef inline uint64_t _reciprocal_3by2(uint64_t d1, uint64_t d0) noexcept nogil:
    # Moller-Granlund algorithm 6: v = floor((2**192 - 1) / (d1:d0)) - 2**64 for
    # normalized d1, by correcting the 2-by-1 reciprocal of d1 for the low limb d0.
    cdef uint64_t v = _reciprocal_2by1(d1)
    cdef uint64_t p = d1 * v + d0
    cdef uint128 t
    cdef uint64_t t1, t0
    if p < d0:
        v -= 1
        if p >= d1:
            v -= 1
            p -= d1
        p -= d1
    t = <uint128>v * d0
    t1 = <uint64_t>(t >> 64)
    t0 = <uint64_t>t
    p += t1
    if p < t1:
        v -= 1
        if p > d1 or (p == d1 and t0 >= d0):
            v -= 1
    return v


cdef inline uint64_t _udivrem_3by2(uint64_t u2, uint64_t u1, uint64_t u0,
                                   uint128 d, uint64_t v, uint128* rem) noexcept nogil:
    # Moller-Granlund algorithm 5: (u2:u1:u0) / (d1:d0) for normalized d and
    # (u2:u1) < d; the quotient fits one limb and the remainder two.
    cdef uint64_t d1 = <uint64_t>(d >> 64)
    cdef uint64_t d0 = <uint64_t>d
    cdef uint128 q = <uint128>v * u2 + ((<uint128>u2 << 64) | u1)
    cdef uint64_t q1 = <uint64_t>(q >> 64)
    cdef uint64_t q0 = <uint64_t>q
    cdef uint64_t r1 = u1 - q1 * d1
    cdef uint128 r = ((<uint128>r1 << 64) | u0) - <uint128>d0 * q1 - d
    q1 += 1
    if <uint64_t>(r >> 64) >= q0:   # estimate one too large
        q1 -= 1
        r += d
    if r >= d:                       # estimate one too small (rare)
        q1 += 1
        r -= d
    rem[0] = r
    return q1


cdef inline uint64_t _submul(uint64_t* r, const uint64_t* x, const uint64_t* y,
                             int n, uint64_t m) noexcept nogil:
    # r = x - y * m over n limbs; returns the borrow limb (how much the
    # result lacks above the top limb). It never exceeds 2**64 - 1.
    cdef uint64_t borrow = 0, s, t, plo
    cdef uint128 p
    cdef int i
    for i in range(n):
        s = x[i] - borrow
        p = <uint128>y[i] * m
        plo = <uint64_t>p
        t = s - plo
        borrow = <uint64_t>(p >> 64) + (s > x[i]) + (t > s)
        r[i] = t
    return borrow


cdef inline uint64_t _addn(uint64_t* r, const uint64_t* x, const uint64_t* y, int n) noexcept nogil:
    # r = x + y over n limbs; returns the carry out.
    cdef uint128 s = 0
    cdef int i
    for i in range(n):
        s = <uint128>x[i] + y[i] + (s >> 64)
        r[i] = <uint64_t>s
    return <uint64_t>(s >> 64)


cdef inline void _knuth_divrem(uint64_t* q, uint64_t* u, int ulen,
                               const uint64_t* d, int dlen) noexcept nogil:
    # Knuth 4.3.1 algorithm D for a normalized divisor d (dlen >= 2 limbs, top
    # bit set) and dividend u (ulen limbs, already shifted like d, with
    # u[ulen-1] < d[dlen-1]). Writes quotient digits q[0 .. ulen-dlen-1] and
    # leaves the (still shifted) remainder in u[0 .. dlen-1].
    cdef uint64_t d1 = d[dlen - 1]
    cdef uint64_t d0 = d[dlen - 2]
    cdef uint128 dtop = (<uint128>d1 << 64) | d0
    cdef uint64_t v = _reciprocal_3by2(d1, d0)
    cdef uint64_t u2, u1, u0, qhat, borrow
    cdef uint128 rhat
    cdef int j
    for j in range(ulen - dlen - 1, -1, -1):
        u2 = u[j + dlen]
        u1 = u[j + dlen - 1]
        u0 = u[j + dlen - 2]
        if u2 == d1 and u1 == d0:
            # The 3-by-2 quotient would not fit a limb; the true digit is
            # then exactly 2**64 - 1 (the window is at least (d1:d0) * B**(dlen-1)
            # while d * (B - 1) is below that), so subtract without add-back.
            qhat = ~(<uint64_t>0)
            borrow = _submul(u + j, u + j, d, dlen, qhat)
            u[j + dlen] = u2 - borrow
        else:
            # The top three limbs divided by the top two divisor limbs give a
            # digit that is exact or one too large; its remainder rhat replaces
            # those three limbs, so only the low dlen-2 limbs need a submul.
            qhat = _udivrem_3by2(u2, u1, u0, dtop, v, &rhat)
            borrow = _submul(u + j, u + j, d, dlen - 2, qhat)
            u[j + dlen - 2] = <uint64_t>(rhat - borrow)
            u[j + dlen - 1] = <uint64_t>((rhat - borrow) >> 64)
            u[j + dlen] = 0
            if borrow > rhat:
                # The window went negative: the digit was one too large.
                qhat -= 1
                _addn(u + j, u + j, d, dlen)   # its carry out cancels the borrow
        q[j] = qhat


# ---------------------------------------------------------------------------
# Reduction by a 4-limb modulus (n >= 2**192): the MULMOD / ADDMOD path
# ---------------------------------------------------------------------------
#
# The general _udivrem pays for variable lengths (limb loops the compiler
# cannot keep in registers) and recomputes the normalization and reciprocal
# on every call. With a 4-limb divisor every quotient digit is one 3-by-2
# division plus a 2-limb multiply-subtract on a 4-limb window that stays in
# registers, and the prepared divisor can be cached across calls.

cdef inline void _modctx_init(evm_modctx* c, const u256* n) noexcept nogil:
    # Prepare n (n.w[3] != 0): shift so the top bit is set, take the reciprocal.
    cdef uint64_t n0 = n.w[0], n1 = n.w[1], n2 = n.w[2], n3 = n.w[3]
    cdef unsigned int s = evm_clz64(n3)
    # (x >> 1) >> (63 - s) is x >> (64 - s) without the undefined shift by 64.
    c.d[3] = (n3 << s) | ((n2 >> 1) >> (63 - s))
    c.d[2] = (n2 << s) | ((n1 >> 1) >> (63 - s))
    c.d[1] = (n1 << s) | ((n0 >> 1) >> (63 - s))
    c.d[0] = n0 << s
    c.s = s
    c.v = _reciprocal_3by2(c.d[3], c.d[2])
    c.n[0] = n0
    c.n[1] = n1
    c.n[2] = n2
    c.n[3] = n3


cdef inline const evm_modctx* _modctx_cached(const u256* n) noexcept nogil:
    # The prepared form of n (n.w[3] != 0), from the one-entry cache when n
    # was the modulus of the previous call. Reads all of n before returning.
    cdef evm_modctx* c = &evm_mod_cache
    if ((c.n[0] ^ n.w[0]) | (c.n[1] ^ n.w[1]) | (c.n[2] ^ n.w[2]) | (c.n[3] ^ n.w[3])) != 0:
        _modctx_init(c, n)
    return c


cdef extern from *:
    """
    /* Reduction by a prepared 4-limb modulus (evm_modctx, filled in by
       _modctx_init). Written in C with 64-bit halves and explicit borrows:
       the compiler keeps the 4-limb window in registers, where the same code
       through 128-bit temporaries spilled most of it to the stack. */

    /* (hi << s) | (lo >> (64 - s)) for 0 <= s < 64 (just hi when s == 0). */
    static inline uint64_t evm_shld(uint64_t hi, uint64_t lo, unsigned int s) {
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        __asm__("shldq %%cl, %1, %0" : "+r"(hi) : "r"(lo), "c"(s) : "cc");
        return hi;
    #else
        return (hi << s) | ((lo >> 1) >> (63 - s));
    #endif
    }

    /* (lo >> s) | (hi << (64 - s)) for 0 <= s < 64 (just lo when s == 0). */
    static inline uint64_t evm_shrd(uint64_t lo, uint64_t hi, unsigned int s) {
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        __asm__("shrdq %%cl, %1, %0" : "+r"(lo) : "r"(hi), "c"(s) : "cc");
        return lo;
    #else
        return (lo >> s) | ((hi << 1) << (63 - s));
    #endif
    }

    /* Add and subtract with carry / borrow in and out: the x86-64 adc / sbb
       intrinsics where they exist (the compiler chains them into adc / sbb
       instructions), the overflow builtins elsewhere. */
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    #include <x86intrin.h>
    static inline unsigned char evm_adc(unsigned char c, uint64_t a, uint64_t b, uint64_t *r) {
        unsigned long long t;
        c = _addcarry_u64(c, a, b, &t);
        *r = t;
        return c;
    }
    static inline unsigned char evm_sbb(unsigned char c, uint64_t a, uint64_t b, uint64_t *r) {
        unsigned long long t;
        c = _subborrow_u64(c, a, b, &t);
        *r = t;
        return c;
    }
    #else
    static inline unsigned char evm_adc(unsigned char c, uint64_t a, uint64_t b, uint64_t *r) {
        uint64_t t;
        unsigned char c1 = __builtin_add_overflow(a, b, &t);
        unsigned char c2 = __builtin_add_overflow(t, (uint64_t)c, r);
        return c1 | c2;
    }
    static inline unsigned char evm_sbb(unsigned char c, uint64_t a, uint64_t b, uint64_t *r) {
        uint64_t t;
        unsigned char c1 = __builtin_sub_overflow(a, b, &t);
        unsigned char c2 = __builtin_sub_overflow(t, (uint64_t)c, r);
        return c1 | c2;
    }
    #endif

    /* One step of Knuth's algorithm D by the normalized 4-limb d = c->d:
       divide the 5 limbs (w[3] w[2] w[1] w[0] u0) by d, given that
       (w[3] .. w[0]) < d; leave the remainder (< d) in w, return the digit.
       The digit comes from Moller & Granlund's 3-by-2 division of the top
       three limbs by (d3:d2) (exact or one too large); its remainder
       replaces those limbs, so only q * (d1:d0) is left to subtract. */
    static inline __attribute__((always_inline)) uint64_t
    evm_divstep_n4(uint64_t *w, uint64_t u0, const evm_modctx *c) {
        const uint64_t d0 = c->d[0], d1 = c->d[1], d2 = c->d[2], d3 = c->d[3];
        const uint64_t u4 = w[3], u3 = w[2], u2 = w[1], u1 = w[0];
        uint64_t q, q0, r0, r1, r2, r3, lo, hi;
        unsigned char k;
        evm_uint128 t;
        if (__builtin_expect(u4 == d3 && u3 == d2, 0)) {
            /* The 3-by-2 digit would not fit a limb. The true digit is then
               exactly 2**64 - 1 (window * 2**64 + u0 - (2**64 - 1) * d is
               >= 0 since d > 2**192, and < d since the window is < d), and
               the remainder is window * 2**64 + u0 - d * 2**64 + d, of which
               the low 256 bits are all there is. */
            k = evm_sbb(0, u1, d0, &r1);
            k = evm_sbb(k, u2, d1, &r2);
            r3 = u3 - d2 - k;
            k = evm_adc(0, u0, d0, &r0);
            k = evm_adc(k, r1, d1, &r1);
            k = evm_adc(k, r2, d2, &r2);
            r3 = r3 + d3 + k;
            w[0] = r0; w[1] = r1; w[2] = r2; w[3] = r3;
            return ~(uint64_t)0;
        }
        /* 3-by-2 (Moller-Granlund algorithm 5): the candidate (q:q0) =
           v * u4 + (u4:u3), then (r3:r2) = (u4 u3 u2) - (q + 1) * (d3:d2). */
        t = (evm_uint128)c->v * u4;
        k = evm_adc(0, (uint64_t)t, u3, &q0);
        evm_adc(k, (uint64_t)(t >> 64), u4, &q);
        r3 = u3 - q * d3;
        t = (evm_uint128)d2 * q;
        k = evm_sbb(0, u2, (uint64_t)t, &r2);
        evm_sbb(k, r3, (uint64_t)(t >> 64), &r3);
        k = evm_sbb(0, r2, d2, &r2);
        evm_sbb(k, r3, d3, &r3);
        q += 1;
        if (r3 >= q0) {
            q -= 1;
            k = evm_adc(0, r2, d2, &r2);
            evm_adc(k, r3, d3, &r3);
        }
        if (__builtin_expect(r3 > d3 || (r3 == d3 && r2 >= d2), 0)) {
            q += 1;
            k = evm_sbb(0, r2, d2, &r2);
            evm_sbb(k, r3, d3, &r3);
        }
        /* (r3 r2 u1 u0) - q * (d1:d0), where q * (d1:d0) = (hi lo p0). */
        t = (evm_uint128)q * d0;
        k = evm_sbb(0, u0, (uint64_t)t, &r0);
        lo = (uint64_t)(t >> 64);
        t = (evm_uint128)q * d1 + lo;
        lo = (uint64_t)t;
        hi = (uint64_t)(t >> 64);
        k = evm_sbb(k, u1, lo, &r1);
        k = evm_sbb(k, r2, hi, &r2);
        k = evm_sbb(k, r3, 0, &r3);
        if (__builtin_expect(k, 0)) {
            /* Negative: the digit was one too large; add d back (the carry
               out of the top limb cancels the borrow). */
            q -= 1;
            k = evm_adc(0, r0, d0, &r0);
            k = evm_adc(k, r1, d1, &r1);
            k = evm_adc(k, r2, d2, &r2);
            r3 = r3 + d3 + k;
        }
        w[0] = r0; w[1] = r1; w[2] = r2; w[3] = r3;
        return q;
    }

    /* r = x mod n for the prepared 4-limb modulus c and the xlen-limb x
       (4 <= xlen <= 8). x[-1] must be readable and 0: the dividend is
       normalized (shifted left by c->s) limb by limb as the steps consume
       it, and the lowest limb takes its shifted-in bits from there. */
    static inline void evm_mod_n4(uint64_t *r, const uint64_t *x, int xlen, const evm_modctx *c) {
        const unsigned int s = c->s;
        uint64_t w[4];
        int j;
        while (xlen > 4 && x[xlen - 1] == 0) xlen--;
        /* The top window, limbs xlen .. xlen-3 of x << s: its top limb only
           holds the s bits shifted out, so it is below d[3] and the window
           below d. */
        w[3] = evm_shld(0, x[xlen - 1], s);
        w[2] = evm_shld(x[xlen - 1], x[xlen - 2], s);
        w[1] = evm_shld(x[xlen - 2], x[xlen - 3], s);
        w[0] = evm_shld(x[xlen - 3], x[xlen - 4], s);
        j = xlen - 4;           /* limb j of x << s is the next to bring down */
        if (w[3] == 0 && w[2] < c->d[3]) {
            /* The window one limb lower is below d as well: a step fewer. */
            w[3] = w[2]; w[2] = w[1]; w[1] = w[0];
            w[0] = evm_shld(x[j], x[j - 1], s);
            j--;
        }
        for (; j >= 0; j--)
            (void)evm_divstep_n4(w, evm_shld(x[j], x[j - 1], s), c);
        /* Undo the normalization. */
        r[0] = evm_shrd(w[0], w[1], s);
        r[1] = evm_shrd(w[1], w[2], s);
        r[2] = evm_shrd(w[2], w[3], s);
        r[3] = w[3] >> s;
    }

    /* (c2 c1 c0) += x * y. On x86-64 four instructions (mul, add, adc,
       adc); compilers turn the portable form into setc / movzx chains. */
    static inline __attribute__((always_inline)) void
    evm_mac(uint64_t *c0, uint64_t *c1, uint64_t *c2, uint64_t x, uint64_t y) {
    #if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
        uint64_t hi;
        __asm__("mulq %[y]\\n\\t"
                "addq %%rax, %[c0]\\n\\t"
                "adcq %%rdx, %[c1]\\n\\t"
                "adcq $0, %[c2]"
                : [c0] "+r"(*c0), [c1] "+r"(*c1), [c2] "+r"(*c2), "+&a"(x), "=&d"(hi)
                : [y] "rm"(y)
                : "cc");
        (void)hi;
    #else
        evm_uint128 t = (evm_uint128)x * y;
        unsigned char k = evm_adc(0, *c0, (uint64_t)t, c0);
        k = evm_adc(k, *c1, (uint64_t)(t >> 64), c1);
        *c2 += k;
    #endif
    }

    /* p[0..7] = a * b (4 limbs each), column by column (Comba) with a
       three-limb accumulator. */
    static inline void evm_mul_4x4(uint64_t *p, const uint64_t *a, const uint64_t *b) {
        const uint64_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3];
        const uint64_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
        uint64_t c0, c1, c2;
        evm_uint128 t = (evm_uint128)a0 * b0;
        p[0] = (uint64_t)t;
        c0 = (uint64_t)(t >> 64); c1 = 0; c2 = 0;
        evm_mac(&c0, &c1, &c2, a0, b1);
        evm_mac(&c0, &c1, &c2, a1, b0);
        p[1] = c0; c0 = c1; c1 = c2; c2 = 0;
        evm_mac(&c0, &c1, &c2, a0, b2);
        evm_mac(&c0, &c1, &c2, a1, b1);
        evm_mac(&c0, &c1, &c2, a2, b0);
        p[2] = c0; c0 = c1; c1 = c2; c2 = 0;
        evm_mac(&c0, &c1, &c2, a0, b3);
        evm_mac(&c0, &c1, &c2, a1, b2);
        evm_mac(&c0, &c1, &c2, a2, b1);
        evm_mac(&c0, &c1, &c2, a3, b0);
        p[3] = c0; c0 = c1; c1 = c2; c2 = 0;
        evm_mac(&c0, &c1, &c2, a1, b3);
        evm_mac(&c0, &c1, &c2, a2, b2);
        evm_mac(&c0, &c1, &c2, a3, b1);
        p[4] = c0; c0 = c1; c1 = c2; c2 = 0;
        evm_mac(&c0, &c1, &c2, a2, b3);
        evm_mac(&c0, &c1, &c2, a3, b2);
        p[5] = c0; c0 = c1; c1 = c2;
        t = (evm_uint128)a3 * b3 + c0 + ((evm_uint128)c1 << 64);
        p[6] = (uint64_t)t;
        p[7] = (uint64_t)(t >> 64);
    }

    /* p[0..3] = a * b for a, b < 2**128. */
    static inline void evm_mul_2x2(uint64_t *p, const uint64_t *a, const uint64_t *b) {
        evm_uint128 t, u;
        t = (evm_uint128)a[0] * b[0];
        p[0] = (uint64_t)t;
        t = (evm_uint128)a[0] * b[1] + (uint64_t)(t >> 64);
        u = (evm_uint128)a[1] * b[0] + (uint64_t)t;
        p[1] = (uint64_t)u;
        t = (evm_uint128)a[1] * b[1] + (uint64_t)(t >> 64) + (uint64_t)(u >> 64);
        p[2] = (uint64_t)t;
        p[3] = (uint64_t)(t >> 64);
    }
    """
    uint64_t evm_divstep_n4(uint64_t* w, uint64_t u0, const evm_modctx* c) noexcept nogil
    void evm_mod_n4(uint64_t* r, const uint64_t* x, int xlen, const evm_modctx* c) noexcept nogil
    void evm_mul_4x4(uint64_t* p, const uint64_t* a, const uint64_t* b) noexcept nogil
    void evm_mul_2x2(uint64_t* p, const uint64_t* a, const uint64_t* b) noexcept nogil


@cython.cdivision(True)
cdef inline void _udivrem(uint64_t* q, uint64_t* r, const uint64_t* a, int alen,
                          const u256* b) noexcept nogil:
    # Unsigned division of the alen-limb number a (1 <= alen <= 8) by b != 0.
    # q (alen limbs) and r (4 limbs) are optional (NULL). Every read of a and
    # b happens before the limb of q or r at the same place is written, so
    # q may be a itself and q or r may be b.
    #
    # Results go straight to their destination and the limb loops carry
    # values in registers: staging arrays copied with memcpy, or loops the
    # compiler turns into 16-byte loads of just-stored limbs, stall on
    # store-to-load forwarding and cost more than the division itself.
    cdef int na = alen, nb = 4, i, s
    cdef uint64_t dn, v, rem, carry, x, b0
    cdef uint64_t un[9]
    cdef uint64_t dv[4]
    cdef uint64_t qd[8]
    while na > 1 and a[na - 1] == 0:
        na -= 1
    while b.w[nb - 1] == 0:
        nb -= 1
    if na < nb:
        # a < b: quotient 0, remainder a.
        if r != NULL:
            for i in range(4):
                r[i] = a[i] if i < na else 0
        if q != NULL:
            for i in range(alen):
                q[i] = 0
        return
    if nb == 1:
        b0 = b.w[0]
        if na == 1:
            x = a[0]
            if q != NULL:
                q[0] = x // b0
                for i in range(1, alen):
                    q[i] = 0
            if r != NULL:
                r[0] = x % b0
                r[1] = 0
                r[2] = 0
                r[3] = 0
            return
        # Single-limb divisor: normalize it, then one 2-by-1 step per
        # dividend limb from the top, shifting the dividend on the fly.
        s = evm_clz64(b0)
        dn = b0 << s
        v = _reciprocal_2by1(dn)
        rem = (a[na - 1] >> 1) >> (63 - s)     # bits shifted out of the top
        for i in range(na - 1, -1, -1):
            x = a[i] << s
            if i > 0:
                x |= (a[i - 1] >> 1) >> (63 - s)
            x = _udivrem_2by1(rem, x, dn, v, &rem)
            if q != NULL:
                q[i] = x
        if q != NULL:
            for i in range(na, alen):
                q[i] = 0
        if r != NULL:
            r[0] = rem >> s
            r[1] = 0
            r[2] = 0
            r[3] = 0
        return

    # Knuth step D1: shift divisor and dividend left until the divisor's top
    # bit is set; the dividend gains a limb for the bits shifted out.
    # (x >> 1) >> (63 - s) is x >> (64 - s) without the undefined shift by 64.
    s = evm_clz64(b.w[nb - 1])
    carry = 0
    for i in range(nb):
        x = b.w[i]
        dv[i] = (x << s) | carry
        carry = (x >> 1) >> (63 - s)
    carry = 0
    for i in range(na):
        x = a[i]
        un[i] = (x << s) | carry
        carry = (x >> 1) >> (63 - s)
    un[na] = carry
    # a and b are fully read by now, so the digits may go straight to q.
    _knuth_divrem(q if q != NULL else qd, un, na + 1, dv, nb)
    if q != NULL:
        for i in range(na - nb + 1, alen):
            q[i] = 0
    if r != NULL:
        # Undo the normalization on the remainder, from the top down.
        carry = 0
        for i in range(3, -1, -1):
            if i < nb:
                x = un[i]
                r[i] = (x >> s) | carry
                carry = (x << 1) << (63 - s)
            else:
                r[i] = 0


cdef inline int _u256_log2_pow2(const u256* b) noexcept nogil:
    # log2(b) when b is a power of two, else -1 (also for b == 0).
    # Contracts compiled from high-level languages divide by powers of two
    # to shift (Solidity before EIP-145): those become shifts and masks.
    cdef uint64_t hi, lo
    cdef int base
    if b.w[3]:
        hi = b.w[3]
        lo = b.w[0] | b.w[1] | b.w[2]
        base = 192
    elif b.w[2]:
        hi = b.w[2]
        lo = b.w[0] | b.w[1]
        base = 128
    elif b.w[1]:
        hi = b.w[1]
        lo = b.w[0]
        base = 64
    else:
        hi = b.w[0]
        lo = 0
        base = 0
    if hi == 0 or lo != 0 or (hi & (hi - 1)) != 0:
        return -1
    return base + 63 - <int>evm_clz64(hi)


@cython.cdivision(True)
cdef inline void u256_div(u256* r, const u256* a, const u256* b) noexcept nogil:
    """DIV: floor(a / b), 0 when b == 0."""
    cdef int k
    if u256_fits_u64(b):
        if b.w[0] == 0:
            u256_set_u64(r, 0)
            return
        if u256_fits_u64(a):
            u256_set_u64(r, a.w[0] // b.w[0])
            return
    k = _u256_log2_pow2(b)
    if k >= 0:
        _u256_shr_bits(r, a, <unsigned int>k)
        return
    _udivrem(r.w, NULL, a.w, 4, b)


@cython.cdivision(True)
cdef inline void u256_mod(u256* r, const u256* a, const u256* b) noexcept nogil:
    """MOD: a mod b, 0 when b == 0."""
    cdef u256 m
    if u256_fits_u64(b):
        if b.w[0] == 0:
            u256_set_u64(r, 0)
            return
        if u256_fits_u64(a):
            u256_set_u64(r, a.w[0] % b.w[0])
            return
    if _u256_log2_pow2(b) >= 0:
        # a mod 2**k keeps the bits below k: a & (b - 1).
        u256_set_u64(&m, 1)
        u256_sub(&m, b, &m)
        u256_and(r, a, &m)
        return
    _udivrem(NULL, r.w, a.w, 4, b)


cdef inline void u256_sdiv(u256* r, const u256* a, const u256* b) noexcept nogil:
    """SDIV: signed division truncating toward zero; 0 when b == 0.

    SDIV(-2**255, -1) overflows back to -2**255, which the unsigned route gives for free.
    """
    cdef bint na = (a.w[3] >> 63) != 0
    cdef bint nb = (b.w[3] >> 63) != 0
    cdef u256 x, y
    if na:
        _u256_neg(&x, a)
    else:
        x = a[0]
    if nb:
        _u256_neg(&y, b)
    else:
        y = b[0]
    u256_div(&x, &x, &y)
    if na != nb:
        _u256_neg(&x, &x)
    r[0] = x


cdef inline void u256_smod(u256* r, const u256* a, const u256* b) noexcept nogil:
    """SMOD: signed remainder whose sign follows the dividend; 0 when b == 0."""
    cdef bint na = (a.w[3] >> 63) != 0
    cdef u256 x, y
    if na:
        _u256_neg(&x, a)
    else:
        x = a[0]
    if (b.w[3] >> 63) != 0:
        _u256_neg(&y, b)
    else:
        y = b[0]
    u256_mod(&x, &x, &y)
    if na:
        _u256_neg(&x, &x)
    r[0] = x


@cython.cdivision(True)
cdef inline void u256_addmod(u256* r, const u256* a, const u256* b, const u256* n) noexcept nogil:
    """ADDMOD: (a + b) mod n over the exact 257-bit sum; 0 when n == 0."""
    cdef uint128 s
    cdef u256 t
    cdef uint64_t carry, hi
    cdef uint64_t wide[6]
    if u256_is_zero(n):
        u256_set_u64(r, 0)
        return
    if u256_fits_u64(a) and u256_fits_u64(b) and u256_fits_u64(n):
        # Everything in one limb: the sum needs at most 65 bits, and its
        # high limb (0 or 1) is below n unless n == 1, where the answer is 0.
        s = <uint128>a.w[0] + b.w[0]
        hi = <uint64_t>(s >> 64)
        if hi >= n.w[0]:
            hi %= n.w[0]
        u256_set_u64(r, evm_umod128(hi, <uint64_t>s, n.w[0]))
        return
    if u256_lt(a, n) and u256_lt(b, n):
        # Both already reduced: a + b < 2n, so one conditional subtraction
        # does (the carry out of the addition means the sum exceeds n too).
        u256_add(&t, a, b)
        carry = u256_lt(&t, a)
        if carry or not u256_lt(&t, n):
            u256_sub(&t, &t, n)
        r[0] = t
        return
    # Otherwise divide the exact 257-bit sum.
    u256_add(&t, a, b)
    wide[0] = 0         # the zero limb below the sum that evm_mod_n4 reads
    memcpy(wide + 1, t.w, sizeof(t.w))
    wide[5] = u256_lt(&t, a)
    if n.w[3] != 0:
        evm_mod_n4(r.w, wide + 1, 5, _modctx_cached(n))
        return
    _udivrem(NULL, r.w, wide + 1, 5, n)


@cython.cdivision(True)
cdef inline void u256_mulmod(u256* r, const u256* a, const u256* b, const u256* n) noexcept nogil:
    """MULMOD: (a * b) mod n over the exact 512-bit product; 0 when n == 0."""
    cdef uint64_t prod[9]
    cdef const evm_modctx* c
    cdef uint128 p
    cdef uint64_t hi
    if n.w[3] != 0:
        # A full-width modulus (n >= 2**192, the elliptic-curve case): the
        # cached prepared divisor, a fixed-size product and reduction.
        # prod[0] is the zero limb below the product that evm_mod_n4 reads.
        c = _modctx_cached(n)
        prod[0] = 0
        if (a.w[2] | a.w[3] | b.w[2] | b.w[3]) == 0:
            evm_mul_2x2(prod + 1, a.w, b.w)
            evm_mod_n4(r.w, prod + 1, 4, c)
        else:
            evm_mul_4x4(prod + 1, a.w, b.w)
            evm_mod_n4(r.w, prod + 1, 8, c)
        return
    if u256_is_zero(n):
        u256_set_u64(r, 0)
        return
    if u256_fits_u64(a) and u256_fits_u64(b) and u256_fits_u64(n):
        # One-limb operands: one hardware division of the 128-bit product,
        # after reducing its high limb below n (needed for the quotient to fit).
        p = <uint128>a.w[0] * b.w[0]
        hi = <uint64_t>(p >> 64)
        if hi >= n.w[0]:
            hi %= n.w[0]
        u256_set_u64(r, evm_umod128(hi, <uint64_t>p, n.w[0]))
        return
    _mul_full(prod, a, b)
    _udivrem(NULL, r.w, prod, 8, n)


# ---------------------------------------------------------------------------
# Bytes and Python ints
# ---------------------------------------------------------------------------

cdef inline void u256_from_be(u256* r, const uint8_t* p, size_t n) noexcept nogil:
    """The value of n big-endian bytes (n <= 32; a longer input keeps its last 32 bytes)."""
    cdef uint8_t buf[32]
    if n > 32:
        p += n - 32
        n = 32
    # Right-align into a zeroed 32-byte buffer, then load four big-endian limbs.
    memset(buf, 0, 32)
    memcpy(buf + 32 - n, p, n)
    r.w[3] = evm_load_be64(buf)
    r.w[2] = evm_load_be64(buf + 8)
    r.w[1] = evm_load_be64(buf + 16)
    r.w[0] = evm_load_be64(buf + 24)


cdef inline void u256_to_be(uint8_t* out32, const u256* a) noexcept nogil:
    """Write a as 32 big-endian bytes."""
    evm_store_be64(out32, a.w[3])
    evm_store_be64(out32 + 8, a.w[2])
    evm_store_be64(out32 + 16, a.w[1])
    evm_store_be64(out32 + 24, a.w[0])


cdef inline int u256_from_pyint(u256* r, object v) except -1:
    """Load a Python int 0 <= v < 2**256; TypeError for non-ints, ValueError when out of range."""
    if not isinstance(v, int):
        raise TypeError(f"expected an int for a 256-bit word, got {type(v).__name__}")
    if evm_pylong_to_limbs(v, r.w) != 0:
        raise ValueError(f"value out of range for a 256-bit word: {v!r}")
    return 0


cdef inline object u256_to_pyint(const u256* a):
    """The value of a as a Python int."""
    if u256_fits_u64(a):
        return a.w[0]
    return evm_limbs_to_pylong(a.w)
