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
 */
#ifndef EVM_KECCAK_H
#define EVM_KECCAK_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define EVM_KECCAK256_RATE 136

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
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline void evm_keccak_store_le64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

/* Keccak-f[1600]: 24 rounds of theta, rho, pi, chi, iota on the state held in
   25 locals so the compiler can keep it in registers. */
static void evm_keccakf1600(uint64_t st[25])
{
    uint64_t a00 = st[0], a01 = st[1], a02 = st[2], a03 = st[3], a04 = st[4];
    uint64_t a05 = st[5], a06 = st[6], a07 = st[7], a08 = st[8], a09 = st[9];
    uint64_t a10 = st[10], a11 = st[11], a12 = st[12], a13 = st[13], a14 = st[14];
    uint64_t a15 = st[15], a16 = st[16], a17 = st[17], a18 = st[18], a19 = st[19];
    uint64_t a20 = st[20], a21 = st[21], a22 = st[22], a23 = st[23], a24 = st[24];
    uint64_t b00, b01, b02, b03, b04, b05, b06, b07, b08, b09, b10, b11, b12;
    uint64_t b13, b14, b15, b16, b17, b18, b19, b20, b21, b22, b23, b24;
    uint64_t c0, c1, c2, c3, c4, d0, d1, d2, d3, d4;
    int round;

    for (round = 0; round < 24; ++round) {
        /* theta: xor each lane with the parities of two neighbouring columns. */
        c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20;
        c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21;
        c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22;
        c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23;
        c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24;
        d0 = c4 ^ EVM_ROL64(c1, 1);
        d1 = c0 ^ EVM_ROL64(c2, 1);
        d2 = c1 ^ EVM_ROL64(c3, 1);
        d3 = c2 ^ EVM_ROL64(c4, 1);
        d4 = c3 ^ EVM_ROL64(c0, 1);

        /* theta applied, then rho (rotate lane (x,y) by its offset) and pi
           (move it to (y, 2x+3y)), sorted by destination lane. */
        b00 = a00 ^ d0;
        b01 = EVM_ROL64(a06 ^ d1, 44);
        b02 = EVM_ROL64(a12 ^ d2, 43);
        b03 = EVM_ROL64(a18 ^ d3, 21);
        b04 = EVM_ROL64(a24 ^ d4, 14);
        b05 = EVM_ROL64(a03 ^ d3, 28);
        b06 = EVM_ROL64(a09 ^ d4, 20);
        b07 = EVM_ROL64(a10 ^ d0, 3);
        b08 = EVM_ROL64(a16 ^ d1, 45);
        b09 = EVM_ROL64(a22 ^ d2, 61);
        b10 = EVM_ROL64(a01 ^ d1, 1);
        b11 = EVM_ROL64(a07 ^ d2, 6);
        b12 = EVM_ROL64(a13 ^ d3, 25);
        b13 = EVM_ROL64(a19 ^ d4, 8);
        b14 = EVM_ROL64(a20 ^ d0, 18);
        b15 = EVM_ROL64(a04 ^ d4, 27);
        b16 = EVM_ROL64(a05 ^ d0, 36);
        b17 = EVM_ROL64(a11 ^ d1, 10);
        b18 = EVM_ROL64(a17 ^ d2, 15);
        b19 = EVM_ROL64(a23 ^ d3, 56);
        b20 = EVM_ROL64(a02 ^ d2, 62);
        b21 = EVM_ROL64(a08 ^ d3, 55);
        b22 = EVM_ROL64(a14 ^ d4, 39);
        b23 = EVM_ROL64(a15 ^ d0, 41);
        b24 = EVM_ROL64(a21 ^ d1, 2);

        /* chi: each row mixes nonlinearly, a[x] = b[x] ^ (~b[x+1] & b[x+2]). */
#define EVM_KECCAK_CHI_ROW(o0, o1, o2, o3, o4, i0, i1, i2, i3, i4) \
        o0 = i0 ^ (~i1 & i2);                                        \
        o1 = i1 ^ (~i2 & i3);                                        \
        o2 = i2 ^ (~i3 & i4);                                        \
        o3 = i3 ^ (~i4 & i0);                                        \
        o4 = i4 ^ (~i0 & i1);
        EVM_KECCAK_CHI_ROW(a00, a01, a02, a03, a04, b00, b01, b02, b03, b04)
        EVM_KECCAK_CHI_ROW(a05, a06, a07, a08, a09, b05, b06, b07, b08, b09)
        EVM_KECCAK_CHI_ROW(a10, a11, a12, a13, a14, b10, b11, b12, b13, b14)
        EVM_KECCAK_CHI_ROW(a15, a16, a17, a18, a19, b15, b16, b17, b18, b19)
        EVM_KECCAK_CHI_ROW(a20, a21, a22, a23, a24, b20, b21, b22, b23, b24)
#undef EVM_KECCAK_CHI_ROW

        /* iota: break the symmetry between rounds. */
        a00 ^= evm_keccak_round_constants[round];
    }

    st[0] = a00; st[1] = a01; st[2] = a02; st[3] = a03; st[4] = a04;
    st[5] = a05; st[6] = a06; st[7] = a07; st[8] = a08; st[9] = a09;
    st[10] = a10; st[11] = a11; st[12] = a12; st[13] = a13; st[14] = a14;
    st[15] = a15; st[16] = a16; st[17] = a17; st[18] = a18; st[19] = a19;
    st[20] = a20; st[21] = a21; st[22] = a22; st[23] = a23; st[24] = a24;
}

/* XOR one 136-byte block into the first 17 lanes. */
static inline void evm_keccak_absorb_block(uint64_t st[25], const uint8_t *block)
{
    int i;
    for (i = 0; i < EVM_KECCAK256_RATE / 8; ++i)
        st[i] ^= evm_keccak_load_le64(block + 8 * i);
}

/* out = Keccak-256(data[0 .. len)). data may be NULL when len is 0. */
static void evm_keccak256(const uint8_t *data, size_t len, uint8_t out[32])
{
    uint64_t st[25];
    uint8_t last[EVM_KECCAK256_RATE];
    size_t tail;
    int i;

    memset(st, 0, sizeof(st));
    while (len >= EVM_KECCAK256_RATE) {
        evm_keccak_absorb_block(st, data);
        evm_keccakf1600(st);
        data += EVM_KECCAK256_RATE;
        len -= EVM_KECCAK256_RATE;
    }

    /* Pad the remaining 0..135 bytes: 0x01 right after the data, 0x80 in the
       block's last byte (they share one byte, 0x81, when 135 bytes remain). */
    tail = len;
    memset(last, 0, sizeof(last));
    if (tail)
        memcpy(last, data, tail);
    last[tail] ^= 0x01;
    last[EVM_KECCAK256_RATE - 1] ^= 0x80;
    evm_keccak_absorb_block(st, last);
    evm_keccakf1600(st);

    /* The digest is the first 256 bits of the state. */
    for (i = 0; i < 4; ++i)
        evm_keccak_store_le64(out + 8 * i, st[i]);
}

#undef EVM_ROL64

#endif /* EVM_KECCAK_H */
