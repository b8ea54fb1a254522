/*
 * Keccak-256 as Ethereum uses it: Keccak-f[1600] with rate 1088 bits
 * (136 bytes), capacity 512 bits and the original Keccak padding (first pad
 * byte 0x01), not FIPS-202 SHA3-256's 0x06.
 *
 * Header-only and allocation-free: include it and call
 *     evm_keccak256(data, len, out);
 *
 * Lanes are numbered a[x + 5*y] as in the Keccak reference; each lane is read
 * and written little-endian.
 *
 * Speed notes (portable C99, tuned for 64-bit gcc/clang at -O3 without any
 * -march flag):
 *   - the 25 lanes live in local variables; two rounds are written out per
 *     loop iteration so the state ping-pongs between two sets of locals
 *     (a.. -> e.. -> a..) with no copying;
 *   - theta, rho, pi, chi and iota are fused: each output row of five lanes is
 *     computed straight from the input lanes;
 *   - "lane complementing": six lanes (1, 2, 8, 12, 17 and 20) are kept
 *     bitwise inverted for the whole hash. Chi's ~b & c then mostly becomes a
 *     plain AND or OR of stored values, leaving 5 NOTs per round instead of
 *     25 (baseline x86-64 has no and-not instruction). The inversion is set up
 *     once when the state is zeroed and undone on the two affected digest
 *     lanes; XOR-absorbing input does not disturb it.
 */
#ifndef EVM_KECCAK_H
#define EVM_KECCAK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EVM_KECCAK256_RATE 136
#define EVM_KECCAK256_RATE_LANES (EVM_KECCAK256_RATE / 8)

/* gcc and clang both compile this pattern to a single rotate instruction. */
#define EVM_ROL64(v, n) (((v) << (n)) | ((v) >> (64 - (n))))

static const uint64_t evm_keccak_round_constants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL,
    0x8000000080008000ULL, 0x000000000000808BULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008AULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800AULL, 0x800000008000000AULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t evm_keccak_load_le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* unaligned-safe; compiles to one load */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* Little-endian value of the n < 8 bytes at p (byte i lands in bits 8i..).
   Endian-independent, and it never reads past p[n - 1]. */
static inline uint64_t evm_keccak_load_le_partial(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    size_t i;
    for (i = 0; i < n; ++i)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void evm_keccak_store_le64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/*
 * One round from the lanes named A##00..A##24 into E##00..E##24, with round
 * constant rc. On entry C0..C4 (variables of the caller) hold the column
 * parities of A; on exit those of E.
 *
 * theta: C[x] is the parity of column x, D[x] = C[x-1] ^ rol(C[x+1], 1), and
 * every lane of column x is xored with D[x]. rho and pi then rotate lane (x,y)
 * by its fixed offset and move it to (y, 2x+3y); the five lanes landing in
 * output row y are gathered in B0..B4 (listed in the comments as source lane,
 * offset). chi sets out[x] = B[x] ^ (~B[x+1] & B[x+2]) per row, and iota xors
 * rc into lane 0.
 *
 * With the complemented lanes, the inversion state of each value is known at
 * compile time: C[0..3] and hence D[0], D[3] come out inverted, and each B is
 * inverted iff its source lane's inversion differs from its D's. Each chi
 * line below is the identity ~p & q == ~(p | ~q) (or its dual) rewritten so
 * that the result has exactly the inversion its destination lane must carry;
 * the one NOT a row still needs is shared between two of its lines.
 */
#define EVM_KECCAK_ROUND(A, E, rc)                                          \
    do {                                                                    \
        uint64_t D0, D1, D2, D3, D4, B0, B1, B2, B3, B4, N;                 \
        D0 = C4 ^ EVM_ROL64(C1, 1);                                         \
        D1 = C0 ^ EVM_ROL64(C2, 1);                                         \
        D2 = C1 ^ EVM_ROL64(C3, 1);                                         \
        D3 = C2 ^ EVM_ROL64(C4, 1);                                         \
        D4 = C3 ^ EVM_ROL64(C0, 1);                                         \
        /* row 0 <- lanes 0/0, 6/44, 12/43, 18/21, 24/14;                   \
           B0, B2, B3 inverted; out 1, 2 inverted */                        \
        B0 = A##00 ^ D0;                                                    \
        B1 = EVM_ROL64(A##06 ^ D1, 44);                                     \
        B2 = EVM_ROL64(A##12 ^ D2, 43);                                     \
        B3 = EVM_ROL64(A##18 ^ D3, 21);                                     \
        B4 = EVM_ROL64(A##24 ^ D4, 14);                                     \
        E##00 = B0 ^ (B1 | B2) ^ (rc);                                      \
        E##01 = B1 ^ (~B2 | B3);                                            \
        E##02 = B2 ^ (B3 & B4);                                             \
        E##03 = B3 ^ (B4 | B0);                                             \
        E##04 = B4 ^ (B0 & B1);                                             \
        C0 = E##00; C1 = E##01; C2 = E##02; C3 = E##03; C4 = E##04;         \
        /* row 1 <- lanes 3/28, 9/20, 10/3, 16/45, 22/61;                   \
           B0, B2 inverted; out 8 inverted */                               \
        B0 = EVM_ROL64(A##03 ^ D3, 28);                                     \
        B1 = EVM_ROL64(A##09 ^ D4, 20);                                     \
        B2 = EVM_ROL64(A##10 ^ D0, 3);                                      \
        B3 = EVM_ROL64(A##16 ^ D1, 45);                                     \
        B4 = EVM_ROL64(A##22 ^ D2, 61);                                     \
        E##05 = B0 ^ (B1 | B2);                                             \
        E##06 = B1 ^ (B2 & B3);                                             \
        E##07 = B2 ^ (B3 | ~B4);                                            \
        E##08 = B3 ^ (B4 | B0);                                             \
        E##09 = B4 ^ (B0 & B1);                                             \
        C0 ^= E##05; C1 ^= E##06; C2 ^= E##07; C3 ^= E##08; C4 ^= E##09;    \
        /* row 2 <- lanes 1/1, 7/6, 13/25, 19/8, 20/18;                     \
           B0, B2 inverted; out 12 inverted */                              \
        B0 = EVM_ROL64(A##01 ^ D1, 1);                                      \
        B1 = EVM_ROL64(A##07 ^ D2, 6);                                      \
        B2 = EVM_ROL64(A##13 ^ D3, 25);                                     \
        B3 = EVM_ROL64(A##19 ^ D4, 8);                                      \
        B4 = EVM_ROL64(A##20 ^ D0, 18);                                     \
        N = ~B3;                                                            \
        E##10 = B0 ^ (B1 | B2);                                             \
        E##11 = B1 ^ (B2 & B3);                                             \
        E##12 = B2 ^ (N & B4);                                              \
        E##13 = N ^ (B4 | B0);                                              \
        E##14 = B4 ^ (B0 & B1);                                             \
        C0 ^= E##10; C1 ^= E##11; C2 ^= E##12; C3 ^= E##13; C4 ^= E##14;    \
        /* row 3 <- lanes 4/27, 5/36, 11/10, 17/15, 23/56;                  \
           B1, B3, B4 inverted; out 17 inverted */                          \
        B0 = EVM_ROL64(A##04 ^ D4, 27);                                     \
        B1 = EVM_ROL64(A##05 ^ D0, 36);                                     \
        B2 = EVM_ROL64(A##11 ^ D1, 10);                                     \
        B3 = EVM_ROL64(A##17 ^ D2, 15);                                     \
        B4 = EVM_ROL64(A##23 ^ D3, 56);                                     \
        N = ~B3;                                                            \
        E##15 = B0 ^ (B1 & B2);                                             \
        E##16 = B1 ^ (B2 | B3);                                             \
        E##17 = B2 ^ (N | B4);                                              \
        E##18 = N ^ (B4 & B0);                                              \
        E##19 = B4 ^ (B0 | B1);                                             \
        C0 ^= E##15; C1 ^= E##16; C2 ^= E##17; C3 ^= E##18; C4 ^= E##19;    \
        /* row 4 <- lanes 2/62, 8/55, 14/39, 15/41, 21/2;                   \
           B0, B3 inverted; out 20 inverted */                              \
        B0 = EVM_ROL64(A##02 ^ D2, 62);                                     \
        B1 = EVM_ROL64(A##08 ^ D3, 55);                                     \
        B2 = EVM_ROL64(A##14 ^ D4, 39);                                     \
        B3 = EVM_ROL64(A##15 ^ D0, 41);                                     \
        B4 = EVM_ROL64(A##21 ^ D1, 2);                                      \
        N = ~B1;                                                            \
        E##20 = B0 ^ (N & B2);                                              \
        E##21 = N ^ (B2 | B3);                                              \
        E##22 = B2 ^ (B3 & B4);                                             \
        E##23 = B3 ^ (B4 | B0);                                             \
        E##24 = B4 ^ (B0 & B1);                                             \
        C0 ^= E##20; C1 ^= E##21; C2 ^= E##22; C3 ^= E##23; C4 ^= E##24;    \
    } while (0)

/* Keccak-f[1600] on a state whose lanes 1, 2, 8, 12, 17, 20 are stored
   inverted (see the top of the file); they come back inverted too. */
static void evm_keccakf1600_complemented(uint64_t st[25])
{
    uint64_t a00 = st[0], a01 = st[1], a02 = st[2], a03 = st[3], a04 = st[4];
    uint64_t a05 = st[5], a06 = st[6], a07 = st[7], a08 = st[8], a09 = st[9];
    uint64_t a10 = st[10], a11 = st[11], a12 = st[12], a13 = st[13], a14 = st[14];
    uint64_t a15 = st[15], a16 = st[16], a17 = st[17], a18 = st[18], a19 = st[19];
    uint64_t a20 = st[20], a21 = st[21], a22 = st[22], a23 = st[23], a24 = st[24];
    uint64_t e00, e01, e02, e03, e04, e05, e06, e07, e08, e09, e10, e11, e12;
    uint64_t e13, e14, e15, e16, e17, e18, e19, e20, e21, e22, e23, e24;
    /* Column parities of the current state; each round recomputes them for
       the next one as its output rows are produced, so the input lanes are
       not reread just for theta. */
    uint64_t C0 = a00 ^ a05 ^ a10 ^ a15 ^ a20, C1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
    uint64_t C2 = a02 ^ a07 ^ a12 ^ a17 ^ a22, C3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
    uint64_t C4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
    int round;

    for (round = 0; round < 24; round += 2) {
        EVM_KECCAK_ROUND(a, e, evm_keccak_round_constants[round]);
        EVM_KECCAK_ROUND(e, a, evm_keccak_round_constants[round + 1]);
    }

    st[0] = a00; st[1] = a01; st[2] = a02; st[3] = a03; st[4] = a04;
    st[5] = a05; st[6] = a06; st[7] = a07; st[8] = a08; st[9] = a09;
    st[10] = a10; st[11] = a11; st[12] = a12; st[13] = a13; st[14] = a14;
    st[15] = a15; st[16] = a16; st[17] = a17; st[18] = a18; st[19] = a19;
    st[20] = a20; st[21] = a21; st[22] = a22; st[23] = a23; st[24] = a24;
}

#undef EVM_KECCAK_ROUND

/* out = Keccak-256(data[0 .. len)). data may be NULL when len is 0. */
static void evm_keccak256(const uint8_t *data, size_t len, uint8_t out[32])
{
    uint64_t st[25];
    size_t i, full, rem;
    const uint64_t ones = ~(uint64_t)0;

    /* The all-zero initial state, with the complemented lanes inverted. */
    memset(st, 0, sizeof(st));
    st[1] = st[2] = st[8] = st[12] = st[17] = st[20] = ones;

    while (len >= EVM_KECCAK256_RATE) {
        for (i = 0; i < EVM_KECCAK256_RATE_LANES; ++i)
            st[i] ^= evm_keccak_load_le64(data + 8 * i);
        evm_keccakf1600_complemented(st);
        data += EVM_KECCAK256_RATE;
        len -= EVM_KECCAK256_RATE;
    }

    /* Last block, 0..135 bytes, absorbed in place: whole lanes first, then
       the 0..7 leftover bytes with the 0x01 pad byte right after them; 0x80
       goes into the block's last byte (both land in byte 135, making 0x81,
       when 135 bytes remain). */
    full = len / 8;
    rem = len % 8;
    for (i = 0; i < full; ++i)
        st[i] ^= evm_keccak_load_le64(data + 8 * i);
    /* Only form data + 8 * full when bytes are left: data may be NULL. */
    if (rem)
        st[full] ^= evm_keccak_load_le_partial(data + 8 * full, rem);
    st[full] ^= (uint64_t)0x01 << (8 * rem);
    st[EVM_KECCAK256_RATE_LANES - 1] ^= (uint64_t)0x80 << 56;
    evm_keccakf1600_complemented(st);

    /* The digest is the first 256 bits of the state; lanes 1 and 2 are
       stored inverted. */
    evm_keccak_store_le64(out, st[0]);
    evm_keccak_store_le64(out + 8, ~st[1]);
    evm_keccak_store_le64(out + 16, ~st[2]);
    evm_keccak_store_le64(out + 24, st[3]);
}

#undef EVM_ROL64

#endif /* EVM_KECCAK_H */
