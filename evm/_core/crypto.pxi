# Hash kernels in C that the precompiles call (keccak256 is in _keccak.h).
from cpython.exc cimport PyErr_CheckSignals

cdef extern from "_blake2f.h":
    void evm_blake2f_init(uint64_t* v, const uint64_t* h, uint64_t t0, uint64_t t1, int last) noexcept nogil
    void evm_blake2f_rounds(uint64_t* v, const uint64_t* m, uint32_t rounds) noexcept nogil
    void evm_blake2f_final(uint64_t* h, const uint64_t* v) noexcept nogil

cdef enum:
    BLAKE2F_CHUNK = 1000000  # rounds between signal checks (a multiple of ten: see _blake2f.h)

def blake2f_compress(bytes data):
    """BLAKE2F (EIP-152) on its 213-byte input: rounds (4 bytes big-endian),
    h (8 little-endian words), m (16 words), t0, t1, final flag (0 or 1).
    Returns the new state h (64 bytes). Runs without the GIL, taking it back
    every million rounds to let Ctrl-C through."""
    cdef uint64_t h[8]
    cdef uint64_t m[16]
    cdef uint64_t t[2]
    cdef uint64_t v[16]
    cdef const uint8_t* p
    cdef uint32_t rounds, n
    if len(data) != 213 or data[212] > 1:
        raise ValueError("BLAKE2F input must be 213 bytes ending in a 0 or 1 flag")
    p = <const uint8_t*>PyBytes_AS_STRING(data)
    rounds = (<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | p[3]
    memcpy(h, p + 4, 64)  # little-endian words on a little-endian machine
    memcpy(m, p + 68, 128)
    memcpy(t, p + 196, 16)
    evm_blake2f_init(v, h, t[0], t[1], p[212])
    while True:
        n = rounds if rounds < BLAKE2F_CHUNK else BLAKE2F_CHUNK
        with nogil:
            evm_blake2f_rounds(v, m, n)
        rounds -= n
        if rounds == 0:
            break
        PyErr_CheckSignals()
    evm_blake2f_final(h, v)
    return PyBytes_FromStringAndSize(<const char*>h, 64)
