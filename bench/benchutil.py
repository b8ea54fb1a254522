"""Shared by the bench/ suites: time one engine on one case with pytest-benchmark."""
from __future__ import annotations

import math
import time
from typing import Any, List, Optional, Tuple

import pytest

from evm.bench import CyevmEngine, Engine, Runner
from evm.workloads import Case


class _Cycle:
    """Adapts a Runner to pedantic's setup-before-each-round: finish the previous run, set up the next."""

    def __init__(self, runner: Runner) -> None:
        self.runner = runner
        self.pending = False
        self.gas: List[int] = []

    def setup(self) -> None:
        self.close()
        self.runner.setup()
        self.pending = True

    def close(self) -> None:
        if self.pending:
            self.gas.append(self.runner.finish()[0])
            self.pending = False


def _once(runner: Runner) -> Tuple[float, int]:
    """One untimed-setup run: (seconds, gas used)."""
    runner.setup()
    t0 = time.perf_counter()
    runner.run()
    elapsed = time.perf_counter() - t0
    return elapsed, runner.finish()[0]


def run_case(benchmark: Any, engine: Engine, case: Case, config: Any, expected_gas: Optional[int] = None) -> int:
    """Time ``engine`` on ``case`` with pytest-benchmark; assert and return the gas used."""
    why = engine.unsupported(case)
    if why is not None:
        pytest.skip(f"{engine.name}: {why}")
    budget = config.getoption("--bench-time")
    if engine.slow:
        # py-evm: estimate from one cyevm run (py-evm is ~100-1000x slower) before spending minutes.
        ref = CyevmEngine().prepare(case)
        _once(ref)  # the first run in a process pays one-time costs
        ref_time, _ = _once(ref)
        if ref_time * 300 > 10 * budget:
            pytest.skip(f"{engine.name}: estimated {ref_time * 300:.0f} s per run (--bench-time {budget:g})")
    runner = engine.prepare(case)
    warm, gas = _once(runner)
    if engine.slow and warm > 10 * budget:
        pytest.skip(f"{engine.name} takes {warm:.1f} s per run here")
    rounds = int(max(3, min(1000, math.ceil(budget / max(warm, 1e-6)))))
    cycle = _Cycle(runner)
    benchmark.extra_info.update(engine=engine.name, version=engine.version(), gas_used=gas)
    benchmark.pedantic(runner.run, setup=cycle.setup, rounds=rounds, iterations=1, warmup_rounds=0)
    cycle.close()
    assert set(cycle.gas) <= {gas}, f"gas changed between runs: {sorted(set(cycle.gas))}"
    want = expected_gas if expected_gas is not None else case.expected_gas
    if want is not None:
        assert gas == want, f"{engine.name} used {gas} gas on {case.name}, expected {want}"
    return gas
