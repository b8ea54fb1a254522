"""``evm bench --thread-scaling``: separate machines in separate threads.

The core releases the GIL while bytecode runs, so ``k`` threads, each
running a long loop on its own :class:`~evm.machine.EVM`, should take about
the wall time of one on a machine with ``k`` free cores. For each built-in
case (the main suite: an ERC-20 driver, a KECCAK256 chain, MCOPY and
arithmetic loops) every thread gets its own machine over a copy of the
case's pre-state and runs the case's call ``calls`` times; the wall time of
``k`` threads is divided by the wall time of one thread doing the same
per-thread work. 1.0 is perfect scaling; ``k`` is none at all (a lock).
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Optional, Sequence, TextIO

from ..machine import EVM
from ..workloads import Case, builtin_cases
from .cases import BenchError

__all__ = ["ThreadRow", "measure_thread_scaling", "format_thread_scaling", "run_thread_scaling_command"]


@dataclass
class ThreadRow:
    """One case: the wall time (seconds) at each thread count."""

    case: str
    calls: int
    wall_s: Dict[int, float]

    def ratio(self, threads: int) -> Optional[float]:
        """Wall time at ``threads`` over the wall time at one thread."""
        one, k = self.wall_s.get(1), self.wall_s.get(threads)
        return k / one if one and k is not None else None


def _machine(case: Case) -> EVM:
    return EVM(case.state.copy(), case.fork, case.env)


def _run_calls(evm: EVM, case: Case, calls: int, errors: List[str]) -> None:
    tx = case.tx
    for _ in range(calls):
        r = evm.message_call(tx.sender, tx.to, tx.data, gas=tx.gas_limit)
        if not r.success:
            errors.append(f"{case.name}: {r.error}")
            return


def _wall(case: Case, threads: int, calls: int) -> float:
    machines = [_machine(case) for _ in range(threads)]
    for m in machines:  # warm: cold loads and code analysis outside the timing
        _run_calls(m, case, 1, [])
    errors: List[str] = []
    workers = [threading.Thread(target=_run_calls, args=(m, case, calls, errors)) for m in machines]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - start
    if errors:
        raise BenchError(f"a call failed while measuring: {errors[0]}")
    return wall


def measure_thread_scaling(threads: Sequence[int] = (1, 2), calls: int = 20, repeat: int = 3,
                           run: Optional[str] = None) -> List[ThreadRow]:
    """For each built-in main case (matching the regex ``run``), the best of
    ``repeat`` wall times of ``k`` threads each making ``calls`` calls on its
    own machine, for every ``k`` in ``threads``."""
    rows = []
    for case in builtin_cases("main"):
        if (case.expected_gas or 0) < 1_000_000 or (run and not re.search(run, case.name)):
            continue  # a call too short to measure
        wall = {k: min(_wall(case, k, calls) for _ in range(repeat)) for k in threads}
        rows.append(ThreadRow(case.name, calls, wall))
    return rows


def format_thread_scaling(rows: List[ThreadRow], threads: Sequence[int]) -> str:
    """The table: wall time per thread count and the ratio over one thread."""
    others = [k for k in threads if k != 1]
    head = f"{'case':<30}" + "".join(f" {f'{k} thr s':>9}" for k in threads) + \
        "".join(f" {f'{k}/1':>6}" for k in others)
    lines = [f"each thread: its own EVM, the case's call x{rows[0].calls if rows else 0}; "
             f"{os.cpu_count()} cores; ratio 1.0 = perfect scaling", head]
    for r in rows:
        lines.append(f"{r.case:<30}" + "".join(f" {r.wall_s[k]:>9.3f}" for k in threads)
                     + "".join(f" {r.ratio(k):>6.2f}" for k in others))
    return "\n".join(lines) + "\n"


def run_thread_scaling_command(args: Any, stdout: TextIO, stderr: TextIO) -> int:
    """``evm bench --thread-scaling``: measure and print (``--json``: one object)."""
    text = getattr(args, "workers", None) or "1,2"
    try:
        threads = sorted({int(x) for x in text.split(",") if x.strip()} | {1})
    except ValueError:
        raise BenchError(f"--workers: expected comma-separated numbers, got {text!r}") from None
    if any(k < 1 for k in threads):
        raise BenchError(f"--workers: expected positive numbers, got {text!r}")
    rows = measure_thread_scaling(threads, run=getattr(args, "run", None))
    if not rows:
        raise BenchError("no built-in case matches --run")
    if args.json:
        stdout.write(json.dumps({"cores": os.cpu_count(), "threads": threads,
                                 "rows": [asdict(r) | {"ratios": {k: r.ratio(k) for k in threads if k != 1}}
                                          for r in rows]}, indent=2) + "\n")
    else:
        stdout.write(format_thread_scaling(rows, threads))
    return 0
