/* BLAKE2b's compression function F with a caller-chosen number of rounds
 * (RFC 7693 section 3.2; EIP-152's BLAKE2F precompile). */
#ifndef EVM_BLAKE2F_H
#define EVM_BLAKE2F_H
#include <stdint.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "evm_blake2f: the input words are read as little-endian memory"
#endif

static const uint64_t evm_blake2b_iv[8] = {
    0x6A09E667F3BCC908ULL, 0xBB67AE8584CAA73BULL, 0x3C6EF372FE94F82BULL, 0xA54FF53A5F1D36F1ULL,
    0x510E527FADE682D1ULL, 0x9B05688C2B3E6C1FULL, 0x1F83D9ABFB41BD6BULL, 0x5BE0CD19137E2179ULL,
};

/* message word schedule: round i uses row i mod 10 */
static const uint8_t evm_blake2b_sigma[10][16] = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
};

static inline uint64_t evm_rotr64(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

#define EVM_BLAKE2B_G(a, b, c, d, x, y)       \
    do {                                      \
        a = a + b + (x); d = evm_rotr64(d ^ a, 32); \
        c = c + d;       b = evm_rotr64(b ^ c, 24); \
        a = a + b + (y); d = evm_rotr64(d ^ a, 16); \
        c = c + d;       b = evm_rotr64(b ^ c, 63); \
    } while (0)

/* The 16-word working vector v for state h, offset counters t0, t1 and the
 * final-block flag. */
static void evm_blake2f_init(uint64_t v[16], const uint64_t h[8], uint64_t t0, uint64_t t1, int last)
{
    int i;
    for (i = 0; i < 8; i++) {
        v[i] = h[i];
        v[i + 8] = evm_blake2b_iv[i];
    }
    v[12] ^= t0;
    v[13] ^= t1;
    if (last)
        v[14] = ~v[14];
}

/* `rounds` rounds on v with the 16-word block m, starting at schedule row 0
 * (so a run split into chunks must split at multiples of ten rounds). */
static void evm_blake2f_rounds(uint64_t v[16], const uint64_t m[16], uint32_t rounds)
{
    uint64_t v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3], v4 = v[4], v5 = v[5], v6 = v[6], v7 = v[7];
    uint64_t v8 = v[8], v9 = v[9], v10 = v[10], v11 = v[11], v12 = v[12], v13 = v[13], v14 = v[14], v15 = v[15];
    /* rounds in blocks of ten with constant schedule rows, so the message
     * word indexes fold into the code */
#define EVM_BLAKE2B_ROUND(r)                                                              \
    do {                                                                                   \
        EVM_BLAKE2B_G(v0, v4, v8, v12, m[evm_blake2b_sigma[r][0]], m[evm_blake2b_sigma[r][1]]);   \
        EVM_BLAKE2B_G(v1, v5, v9, v13, m[evm_blake2b_sigma[r][2]], m[evm_blake2b_sigma[r][3]]);   \
        EVM_BLAKE2B_G(v2, v6, v10, v14, m[evm_blake2b_sigma[r][4]], m[evm_blake2b_sigma[r][5]]);  \
        EVM_BLAKE2B_G(v3, v7, v11, v15, m[evm_blake2b_sigma[r][6]], m[evm_blake2b_sigma[r][7]]);  \
        EVM_BLAKE2B_G(v0, v5, v10, v15, m[evm_blake2b_sigma[r][8]], m[evm_blake2b_sigma[r][9]]);  \
        EVM_BLAKE2B_G(v1, v6, v11, v12, m[evm_blake2b_sigma[r][10]], m[evm_blake2b_sigma[r][11]]); \
        EVM_BLAKE2B_G(v2, v7, v8, v13, m[evm_blake2b_sigma[r][12]], m[evm_blake2b_sigma[r][13]]);  \
        EVM_BLAKE2B_G(v3, v4, v9, v14, m[evm_blake2b_sigma[r][14]], m[evm_blake2b_sigma[r][15]]);  \
    } while (0)
    while (rounds >= 10) {
        EVM_BLAKE2B_ROUND(0); EVM_BLAKE2B_ROUND(1); EVM_BLAKE2B_ROUND(2); EVM_BLAKE2B_ROUND(3);
        EVM_BLAKE2B_ROUND(4); EVM_BLAKE2B_ROUND(5); EVM_BLAKE2B_ROUND(6); EVM_BLAKE2B_ROUND(7);
        EVM_BLAKE2B_ROUND(8); EVM_BLAKE2B_ROUND(9);
        rounds -= 10;
    }
    /* the last 0..9 rounds take rows 0.. in order */
    if (rounds > 0) EVM_BLAKE2B_ROUND(0);
    if (rounds > 1) EVM_BLAKE2B_ROUND(1);
    if (rounds > 2) EVM_BLAKE2B_ROUND(2);
    if (rounds > 3) EVM_BLAKE2B_ROUND(3);
    if (rounds > 4) EVM_BLAKE2B_ROUND(4);
    if (rounds > 5) EVM_BLAKE2B_ROUND(5);
    if (rounds > 6) EVM_BLAKE2B_ROUND(6);
    if (rounds > 7) EVM_BLAKE2B_ROUND(7);
    if (rounds > 8) EVM_BLAKE2B_ROUND(8);
#undef EVM_BLAKE2B_ROUND
    v[0] = v0; v[1] = v1; v[2] = v2; v[3] = v3; v[4] = v4; v[5] = v5; v[6] = v6; v[7] = v7;
    v[8] = v8; v[9] = v9; v[10] = v10; v[11] = v11; v[12] = v12; v[13] = v13; v[14] = v14; v[15] = v15;
}

/* The new state: h ^= v[0..7] ^ v[8..15]. */
static void evm_blake2f_final(uint64_t h[8], const uint64_t v[16])
{
    int i;
    for (i = 0; i < 8; i++)
        h[i] ^= v[i] ^ v[i + 8];
}
#endif
