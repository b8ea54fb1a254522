"""Comparing two :class:`~evm.fuzz.oracles.Outcome` s."""
from __future__ import annotations

from typing import List

from .oracles import Outcome

__all__ = ["FIELDS", "differences", "describe"]

#: The compared fields, in the order a report names them.
FIELDS = ("status", "gas_used", "output", "logs_hash", "state_root")


def differences(a: Outcome, b: Outcome) -> List[str]:
    """The names of the fields in which ``a`` and ``b`` differ (empty: they agree).

    ``output`` is compared only when both sides report it.
    """
    out = []
    for name in FIELDS:
        x, y = getattr(a, name), getattr(b, name)
        if name == "output" and (x is None or y is None):
            continue
        if x != y:
            out.append(name)
    return out


def _show(value: object) -> str:
    if isinstance(value, bytes):
        text = value.hex()
        return "0x" + (text if len(text) <= 72 else text[:72] + f"...({len(value)} bytes)")
    return str(value)


def describe(a: Outcome, b: Outcome, a_name: str = "cyevm", b_name: str = "spec") -> str:
    """One line per differing field: ``field: cyevm X, spec Y``."""
    lines = []
    for name in differences(a, b):
        lines.append(f"{name}: {a_name} {_show(getattr(a, name))}, {b_name} {_show(getattr(b, name))}")
    if lines and (a.detail or b.detail):
        lines.append(f"detail: {a_name} {a.detail or '-'}, {b_name} {b.detail or '-'}")
    return "\n".join(lines)
