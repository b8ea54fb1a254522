"""Helpers shared by the precompile modules.

Every precompile is a pair of functions, ``gas(data, fork) -> int`` and
``run(data) -> bytes`` (or ``run(data, fork)``); both signal an invalid input by
raising :class:`PrecompileFailure`, which the dispatcher in ``__init__`` turns
into a failed call that consumes all the gas it was given.
"""
from __future__ import annotations

__all__ = ["PrecompileFailure", "buffer_read", "word_count"]


class PrecompileFailure(Exception):
    """The input is invalid: the call fails and all its gas is consumed."""


def buffer_read(data: bytes, start: int, size: int) -> bytes:
    """Return ``size`` bytes of ``data`` from ``start``, zero-padded past its end.

    This is how precompiles read their call data: short input reads as if it
    were followed by zeros. ``start`` may lie past the end of ``data``.
    """
    chunk = data[start : start + size]
    if len(chunk) < size:
        chunk += bytes(size - len(chunk))
    return chunk


def word_count(length: int) -> int:
    """Number of 32-byte words needed to hold ``length`` bytes."""
    return (length + 31) // 32
