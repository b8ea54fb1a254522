"""The marginal fit: run time on exact opcode counts.

``time = intercept + sum(count[op] * ns[op]) + sum(dyngas[op] * ns_gas[op])``
by least squares: a cost per instruction, and for opcodes whose work grows
with their arguments (EXP's exponent, KECCAK256's length, a cold account or
slot, memory expansion) a cost per unit of the dynamic gas they were
charged, which the spec already scales with that work. Rows are
weighted by 1/time so every program counts by its relative error (the
noise of a run grows with its length). Feature keys are opcodes (counts)
and ``DYN + op`` (dynamic gas of ``op``); see :func:`features`. Ordinary least squares gives a
standard error per cost; non-negative least squares (scipy) keeps every
cost >= 0 (its standard errors are those of OLS on the opcodes it keeps).
Needs numpy (and scipy for NNLS): ``pip install cyevm[profile]``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Sequence

__all__ = ["Fit", "fit_costs", "features", "DYN", "feature_name"]

#: Feature key offset: ``DYN + op`` is the dynamic gas charged to ``op``.
DYN = 256


#: Opcodes whose dynamic gas measures their work (exponent bytes, words
#: hashed, copied or logged, cold accesses). Memory expansion alone (MLOAD,
#: MSTORE, MSTORE8) is not: its gas is quadratic, its cost a memset.
WORK_GAS = frozenset((0x0A, 0x20, 0x31, 0x37, 0x39, 0x3B, 0x3C, 0x3E, 0x3F, 0x54, 0x55, 0x5E,
                      0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xF1, 0xF2, 0xF4, 0xFA))


def features(counts: Any) -> Dict[int, int]:
    """The regression features of an :class:`evm.profile.OpCounts`: the
    count of each opcode, and ``DYN + op`` the dynamic gas of the opcodes
    in :data:`WORK_GAS`."""
    out = dict(counts.n)
    for op, g in counts.dynamic_gas.items():
        if g and op in WORK_GAS:
            out[DYN + op] = g
    return out


def feature_name(key: int) -> str:
    """``"ADD"`` or ``"SLOAD/gas"`` (ns per unit of dynamic gas)."""
    from ..opcodes import op_name

    return op_name(key) if key < DYN else f"{op_name(key - DYN)}/gas"


@dataclass
class Fit:
    """Fitted costs: ``ns[op]`` and ``se[op]`` (ns per instruction; for a
    ``DYN + op`` key ns per unit of dynamic gas), the
    per-run ``intercept`` (ns), R² of the weighted fit and the method."""

    ns: Dict[int, float]
    se: Dict[int, float]
    intercept: float
    intercept_se: float
    r2: float
    method: str
    rows: int
    residuals: List[float] = field(default_factory=list)  # relative: (predicted - measured) / measured

    def predict(self, counts: Mapping[int, int], intercept: bool = True) -> float:
        """Predicted run time (ns) of a run with ``counts`` (see
        :func:`features`); features the fit has no cost for count as 0
        (see :meth:`unknown`)."""
        return (self.intercept if intercept else 0.0) + sum(n * self.ns.get(op, 0.0) for op, n in counts.items())

    def unknown(self, counts: Mapping[int, int]) -> List[int]:
        """Opcodes of ``counts`` the fit has no cost for."""
        return sorted(op for op, n in counts.items() if n and op < DYN and op not in self.ns)


def _need_numpy():
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - numpy is a dependency today
        raise ImportError("fitting needs numpy: pip install 'cyevm[profile]'") from None
    return np


def fit_costs(counts: Sequence[Mapping[int, int]], times_ns: Sequence[float], method: str = "nnls",
              weighted: bool = True) -> Fit:
    """Fit ns per opcode from runs with ``counts`` taking ``times_ns``.

    ``method`` is ``"ols"`` or ``"nnls"``. Raises ValueError for mismatched
    or empty input."""
    np = _need_numpy()
    if method not in ("ols", "nnls"):
        raise ValueError(f"method must be 'ols' or 'nnls', got {method!r}")
    if len(counts) != len(times_ns) or not counts:
        raise ValueError(f"counts and times_ns must be non-empty and of one length ({len(counts)} != {len(times_ns)})")
    # an opcode run the same number of times in every row (the STOP ending
    # each program) cannot be told from the intercept: it is folded into it
    ops = sorted(op for op in {op for c in counts for op, n in c.items() if n}
                 if len({c.get(op, 0) for c in counts}) > 1)
    # a dynamic-gas feature that is a fixed multiple of its opcode's count in
    # every row (one argument choice) cannot be told from the count: drop it
    def _varies(key: int) -> bool:
        ratios = [c.get(key, 0) / c[key - DYN] for c in counts if c.get(key - DYN)]
        return not ratios or max(ratios) > 1.5 * min(ratios) + 1
    ops = [op for op in ops if op < DYN or _varies(op)]
    col = {op: i + 1 for i, op in enumerate(ops)}
    X = np.zeros((len(counts), len(ops) + 1))
    X[:, 0] = 1.0
    for r, c in enumerate(counts):
        for op, n in c.items():
            if n and op in col:
                X[r, col[op]] = n
    y = np.asarray(times_ns, dtype=float)
    w = 1.0 / np.maximum(y, 1.0) if weighted else np.ones_like(y)
    Xw, yw = X * w[:, None], y * w
    if method == "ols":
        beta = np.linalg.lstsq(Xw, yw, rcond=None)[0]
        active = np.ones(len(beta), dtype=bool)
    else:
        try:
            from scipy.optimize import nnls
        except ImportError:
            raise ImportError("NNLS needs scipy: pip install 'cyevm[profile]'") from None
        beta = nnls(Xw, yw, maxiter=50 * X.shape[1])[0]
        active = beta > 0
        active[0] = True
    resid = yw - Xw @ beta
    dof = max(1, len(y) - int(active.sum()))
    sigma2 = float(resid @ resid) / dof
    se = np.full(len(beta), float("nan"))
    A = Xw[:, active]
    cov = sigma2 * np.linalg.pinv(A.T @ A)
    se[active] = np.sqrt(np.maximum(np.diag(cov), 0.0))
    pred = X @ beta
    ss_tot = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float(((y - pred) ** 2).sum()) / ss_tot if ss_tot > 0 else 1.0
    return Fit({op: float(beta[col[op]]) for op in ops}, {op: float(se[col[op]]) for op in ops},
               float(beta[0]), float(se[0]), r2, method, len(y),
               [float(v) for v in (pred - y) / np.maximum(y, 1.0)])
