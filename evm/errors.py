"""Errors the engine raises for limits of the host, not of the EVM.

An EVM's own exceptional halts (out of gas, invalid jump, …) are results,
never exceptions; these say that a run was stopped for a reason outside the
EVM's rules, so its outcome is unknown and nothing of it is kept.
"""
from __future__ import annotations

__all__ = ["MemoryLimitExceeded", "ReentrancyError", "DEFAULT_MEMORY_LIMIT"]

#: The most memory one call frame may use unless the machine says otherwise
#: (2 GiB; the gas to pay for it is about 8.8e12).
DEFAULT_MEMORY_LIMIT = 1 << 31


class MemoryLimitExceeded(MemoryError):
    """A frame paid for more memory than the machine's ``memory_limit``.

    The EVM's gas rule allowed it; the host refuses to allocate it.
    """


class ReentrancyError(RuntimeError):
    """A machine was used while it was already running a call: from inside
    its own Database or tracer, or from a second thread."""
