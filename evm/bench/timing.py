"""Timing: how ``evm bench`` repeats and interleaves the engines' runs, and what it keeps.

Per case and engine: one warm-up run (discarded), then timed runs with the
garbage collector off (as ``timeit`` does). The fast engines run
interleaved, the order rotating each round, at least ``repeat`` times and
until about ``min_time`` seconds were timed; slow peers (py-evm) run
afterwards, ``slow_repeat`` times, within ``peer_budget``.
"""
from __future__ import annotations

import gc
import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from ..statetest import _one_line
from ..workloads import Case
from .engines import BASELINE, CyevmEngine, Engine, Runner

__all__ = ["BenchOptions", "EngineResult", "CaseResult", "BenchReport", "run_bench"]


@dataclass
class BenchOptions:
    """How much to repeat.

    Attributes:
        repeat: at least this many timed runs per fast engine and case.
        min_time: fast engines repeat until about this many seconds were timed.
        max_repeat: never more runs than this per engine and case.
        slow_repeat: timed runs of a slow peer (py-evm) per case.
        peer_budget: a slow peer skips a case whose warm-up plus runs are
            estimated to take longer than this (seconds).
    """

    repeat: int = 5
    min_time: float = 0.2
    max_repeat: int = 10_000
    slow_repeat: int = 1
    peer_budget: float = 60.0


@dataclass
class EngineResult:
    """One engine on one case: timed runs in seconds, gas used, or why not."""

    times: List[float] = field(default_factory=list)
    gas_used: Optional[int] = None
    success: Optional[bool] = None
    skipped: Optional[str] = None
    error: Optional[str] = None

    @property
    def median(self) -> Optional[float]:
        """Median run time (s), ``None`` without runs."""
        return statistics.median(self.times) if self.times else None

    @property
    def min(self) -> Optional[float]:
        """Fastest run time (s), ``None`` without runs."""
        return min(self.times) if self.times else None


@dataclass
class CaseResult:
    """Every engine's result on one case (``engines[0]`` is cyevm)."""

    name: str
    results: Dict[str, EngineResult]

    @property
    def gas_used(self) -> Optional[int]:
        """The gas cyevm used."""
        return self.results[BASELINE].gas_used

    def mismatch(self, peer: str) -> bool:
        """Whether ``peer`` used different gas than cyevm (both having run)."""
        a, b = self.results[BASELINE].gas_used, self.results[peer].gas_used
        return a is not None and b is not None and a != b

    def ratio(self, peer: str) -> Optional[float]:
        """cyevm median time / ``peer`` median time; ``None`` if either did not run or gas differs."""
        ours, theirs = self.results[BASELINE].median, self.results[peer].median
        if ours is None or theirs is None or theirs <= 0 or self.mismatch(peer):
            return None
        return ours / theirs


@dataclass
class BenchReport:
    """The outcome of :func:`run_bench`."""

    engines: List[str]
    versions: Dict[str, str]
    cases: List[CaseResult]

    @property
    def peers(self) -> List[str]:
        """The engines other than cyevm."""
        return [e for e in self.engines if e != BASELINE]

    def geomean(self, peer: str) -> Optional[float]:
        """Geometric mean of ``peer``'s ratios (cases without a ratio left out)."""
        ratios = [r for r in (c.ratio(peer) for c in self.cases) if r is not None and r > 0]
        if not ratios:
            return None
        return math.exp(sum(math.log(r) for r in ratios) / len(ratios))

    @property
    def problems(self) -> int:
        """Gas mismatches plus engine errors: a non-zero exit status."""
        n = 0
        for c in self.cases:
            n += sum(1 for e in self.engines if c.results[e].error)
            n += sum(1 for p in self.peers if c.mismatch(p))
        return n


def _timed(runner: Runner) -> Tuple[float, int, bool]:
    """One run: setup (untimed), run (timed, with the garbage collector off, as timeit does), finish."""
    runner.setup()
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        runner.run()
        t1 = time.perf_counter()
    finally:
        if enabled:
            gc.enable()
    gas, ok = runner.finish()
    return t1 - t0, gas, ok


def _bench_case(case: Case, engines: List[Engine], opts: BenchOptions,
                slow_ratio: Dict[str, float]) -> CaseResult:
    results = {e.name: EngineResult() for e in engines}
    runners: Dict[str, Runner] = {}
    warm: Dict[str, float] = {}  # warm-up times: discarded, but they size the repetitions

    def start(e: Engine) -> None:
        """Set ``e`` up and run its warm-up, or record why not."""
        res = results[e.name]
        try:
            runner = e.prepare(case)
            t, gas, ok = _timed(runner)
        except Exception as ex:  # an engine failing must not stop the run
            res.error = _one_line(f"{type(ex).__name__}: {ex}", 200)
            return
        runners[e.name], warm[e.name] = runner, t
        res.gas_used, res.success = gas, ok

    def timed_run(e: Engine) -> None:
        res = results[e.name]
        if res.error:
            return
        try:
            t, gas, _ = _timed(runners[e.name])
        except Exception as ex:
            res.error = _one_line(f"{type(ex).__name__}: {ex}", 200)
            return
        if gas != res.gas_used:
            res.error = f"gas used changed between runs ({res.gas_used} then {gas}): state leaks across runs"
        res.times.append(t)

    for e in engines:
        why = e.unsupported(case)
        if why is not None:
            results[e.name].skipped = why

    # Fast engines: warm-up, then rounds of one run each, the order rotating.
    fast = [e for e in engines if not e.slow and not results[e.name].skipped]
    for e in fast:
        start(e)
    fast = [e for e in fast if e.name in runners]
    longest = max((warm[e.name] for e in fast), default=0.0)
    reps = opts.repeat if longest <= 0 else \
        int(min(opts.max_repeat, max(opts.repeat, math.ceil(opts.min_time / longest))))
    for r in range(reps if fast else 0):
        k = r % len(fast)
        for e in fast[k:] + fast[:k]:
            timed_run(e)

    # Slow peers (py-evm, 100x slower or more) only after an estimate from
    # cyevm's median and the worst ratio seen so far says they fit the budget.
    base_med = results[BASELINE].median
    for e in engines:
        if not e.slow or results[e.name].skipped:
            continue
        if base_med is not None:
            estimate = base_med * slow_ratio.get(e.name, 1000.0) * (1 + opts.slow_repeat)
            if estimate > opts.peer_budget:
                results[e.name].skipped = f"estimated {estimate:.0f} s > --peer-budget {opts.peer_budget:g} s"
                continue
        start(e)
        if e.name in runners:
            for _ in range(opts.slow_repeat):
                timed_run(e)
        med = results[e.name].median
        if base_med and med:
            slow_ratio[e.name] = max(slow_ratio.get(e.name, 0.0), med / base_med)
    return CaseResult(case.name, results)


def run_bench(cases: Sequence[Case], peers: Sequence[Engine] = (), opts: Optional[BenchOptions] = None,
              progress: Optional[Callable[[int, int, str], None]] = None) -> BenchReport:
    """Time every case in cyevm and each of ``peers``; see the module docstring for the method."""
    opts = opts or BenchOptions()
    engines: List[Engine] = [CyevmEngine()] + [p for p in peers if p.name != BASELINE]
    slow_ratio: Dict[str, float] = {}
    out: List[CaseResult] = []
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), case.name)
        out.append(_bench_case(case, engines, opts, slow_ratio))
    if progress is not None:
        progress(len(cases), len(cases), "")
    return BenchReport([e.name for e in engines], {e.name: e.version() for e in engines}, out)
