# cython: language_level=3
"""Keccak-256 (Ethereum's hash: original Keccak padding, not SHA3-256) from _keccak.h."""

from libc.stdint cimport uint8_t


cdef extern from "_keccak.h":
    void evm_keccak256(const uint8_t* data, size_t len, uint8_t* out) noexcept nogil
