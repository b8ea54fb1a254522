"""Errors the engine raises for limits of the host, not of the EVM.

An EVM's own exceptional halts (out of gas, invalid jump, …) are results,
never exceptions; these say that a run was stopped for a reason outside the
EVM's rules, so its outcome is unknown and nothing of it is kept.
"""
from __future__ import annotations

__all__ = ["MemoryLimitExceeded", "ReentrancyError", "ExecutionTimeout", "DatabaseError", "DEFAULT_MEMORY_LIMIT"]

#: The most memory one call frame may use unless the machine says otherwise
#: (2 GiB; the gas to pay for it is about 8.8e12).
DEFAULT_MEMORY_LIMIT = 1 << 31


class MemoryLimitExceeded(MemoryError):
    """A frame paid for more memory than the machine's ``memory_limit``.

    The EVM's gas rule allowed it; the host refuses to allocate it.
    """


class ExecutionTimeout(TimeoutError):
    """A call ran longer than the ``timeout`` it was given (seconds of wall
    clock). Like every exception raised out of a call, it leaves the
    machine as it was before the call."""


class DatabaseError(TypeError, ValueError):
    """A ``Database`` answered what the core cannot use: a value of the
    wrong type, length or range (a 31-byte block hash, a negative slot
    value, code given as an int). The message names the method, its
    arguments and the value; the call is abandoned and leaves no trace."""


class ReentrancyError(RuntimeError):
    """A machine was used while it was already running a call: from inside
    its own Database or tracer, or from a second thread."""
