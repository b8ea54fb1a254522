"""The evm-benchmarks state-test files (``../shared/bench/evm-benchmarks``):
each (file, post entry) is one case. Every engine must use the gas the
fixture's expected post state implies (:func:`evm.bench.fixture_gas_used`:
the post state hashes to the fixture's root, and the sender's balance says
what was paid for gas)."""
from __future__ import annotations

import os

import pytest

from evm.bench import fixture_gas_used, load_cases

from benchutil import run_case

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench", "evm-benchmarks")
CASES = load_cases([ROOT]) if os.path.isdir(ROOT) else []


@pytest.mark.skipif(not CASES, reason=f"benchmark files not found at {ROOT}")
@pytest.mark.parametrize("case", CASES or [None], ids=[c.name for c in CASES] or ["none"])
def test_evm_benchmark(benchmark, engine, case, pytestconfig):
    benchmark.group = case.name
    run_case(benchmark, engine, case, pytestconfig, expected_gas=fixture_gas_used(case))
