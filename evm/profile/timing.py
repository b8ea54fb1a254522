"""Timing: whole runs (for the marginal fit) and sampled per-instruction timing.

Whole runs: each program or case is run as a transaction on a fresh VM
over a copy of its pre-state (made before the timer starts), as ``evm
bench`` times its cyevm engine; the runs of all programs are
interleaved round by round, with the garbage collector off, so a burst of
load on a shared machine hits every program alike. The statistic kept per
program is the minimum over rounds (noise on a shared machine only adds).

Sampled: the traced build of the loop with a tracer that only reads the
clock; the time from one instruction's start to the next is charged to the
first, less the tracer's own overhead, measured on a program of JUMPDESTs
(an instruction whose own cost is ~1 ns). For cheap opcodes the overhead is
tens of times the instruction, so their numbers are distorted.
"""
from __future__ import annotations

import dataclasses
import gc
import random
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from ..forks import Fork
from ..state import Account
from .generator import CALL_TARGET, Program

__all__ = ["ProgramTimes", "program_case", "time_cases", "time_runners", "sampled_timing", "SampledStats"]

def program_case(program: Program, fork: Fork) -> Any:
    """A generated program as a benchmark case: a transaction calling it (as
    ``evm bench`` runs its built-in workloads), so its fixed cost is that of
    a transaction, like the cases it is used to predict."""
    from ..workloads import _case

    case = _case(program.program_id, program.bytecode, b"", None, extra={CALL_TARGET: Account(balance=1)})
    return dataclasses.replace(case, fork=Fork(fork))


#: The clocks whole runs can be timed with.
CLOCKS = {"cpu": time.thread_time_ns, "wall": time.perf_counter_ns}


@dataclass
class ProgramTimes:
    """The timed runs (ns) of one program or case."""

    samples: List[int] = field(default_factory=list)

    @property
    def best(self) -> float:
        return float(min(self.samples))

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples))


def time_runners(runners: Sequence[Any], rounds: int = 10,
                 progress: Optional[Callable[[int, int], None]] = None, clock: str = "cpu") -> List[ProgramTimes]:
    """Time each runner (``setup()`` untimed, ``run()`` timed) ``rounds``
    times, interleaved in a new order each round (a run right after a long
    one is slowed by it); one untimed warm-up run each first. ``clock``:
    ``"cpu"`` (the thread's CPU time: on a shared machine a run preempted by
    another process is not charged the time it waited, which wall time
    charges to long runs far more often than to short ones) or ``"wall"``."""
    if clock not in CLOCKS:
        raise ValueError(f"clock must be one of {', '.join(CLOCKS)}, got {clock!r}")
    out = [ProgramTimes() for _ in runners]
    order = list(range(len(runners)))
    shuffle = random.Random(11).shuffle
    read = CLOCKS[clock]
    for r in runners:
        r.setup()
        r.run()
    enabled = gc.isenabled()
    gc.disable()
    try:
        for rnd in range(rounds):
            shuffle(order)
            for i in order:
                r = runners[i]
                r.setup()
                t0 = read()
                r.run()
                out[i].samples.append(read() - t0)
            gc.collect()
            if progress is not None:
                progress(rnd + 1, rounds)
    finally:
        if enabled:
            gc.enable()
    return out


def time_cases(cases: Sequence[Any], rounds: int = 10,
               progress: Optional[Callable[[int, int], None]] = None, clock: str = "cpu") -> List[ProgramTimes]:
    """Whole-run times of benchmark cases (``evm bench``'s cyevm engine:
    ``EVM(state).transact(tx)``; see :func:`time_runners`)."""
    from ..bench.engines import CyevmEngine

    engine = CyevmEngine()
    return time_runners([engine.prepare(c) for c in cases], rounds, progress, clock)


# -- sampled per-instruction timing --------------------------------------------
class _ClockTracer:
    """A tracer that records (opcode, clock) at every instruction start."""

    def __init__(self) -> None:
        self.clock = time.perf_counter_ns
        self.events: List[Any] = []
        self.last_op = -1
        self.last_t = 0

    def op_start(self, pc: int, op: int, *args: Any, **kw: Any) -> None:
        t = self.clock()
        if self.last_op >= 0:
            self.events.append((self.last_op, t - self.last_t))
        self.last_op = op
        self.last_t = self.clock()

    def op_gas(self, *args: Any) -> None:
        pass

    def op_end(self, *args: Any) -> None:
        pass

    def op_exception(self, *args: Any) -> None:
        self.last_op = -1

    def precompile_start(self, *args: Any) -> None:
        pass

    def precompile_end(self) -> None:
        pass

    def tx_end(self, *args: Any) -> None:
        self.last_op = -1

    def flush(self) -> None:
        pass


@dataclass
class SampledStats:
    """Per-instruction times (ns, overhead subtracted) of one opcode."""

    opcode: int
    n: int
    mean: float
    p50: float
    p90: float
    p99: float
    distorted: bool  # the tracer's overhead is over half the instruction's measured time


def _pct(xs: List[float], q: float) -> float:
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def sampled_timing(run: Callable[[Any], Any], fork: Fork = Fork.CANCUN,
                   repeat: int = 3) -> Tuple[Dict[int, SampledStats], float]:
    """Per-instruction time distributions of ``run(tracer)`` (which runs the
    code under test with that tracer), ``repeat`` times; returns
    ``({opcode: SampledStats}, the subtracted overhead in ns)``."""
    from ..executor import execute_code

    # the tracer's own overhead: the median step of a run of JUMPDESTs
    cal = _ClockTracer()
    for _ in range(repeat):
        execute_code(b"\x5b" * 2000, fork=fork, tracer=cal)
    overhead = statistics.median(dt for op, dt in cal.events if op == 0x5B)
    tr = _ClockTracer()
    for _ in range(repeat):
        tr.last_op = -1
        run(tr)
    per_op: Dict[int, List[float]] = {}
    for op, dt in tr.events:
        per_op.setdefault(op, []).append(dt - overhead)
    out: Dict[int, SampledStats] = {}
    for op, xs in per_op.items():
        xs.sort()
        p50 = _pct(xs, 0.5)
        out[op] = SampledStats(op, len(xs), sum(xs) / len(xs), p50, _pct(xs, 0.9), _pct(xs, 0.99),
                               distorted=p50 < 2 * overhead)
    return out, overhead
