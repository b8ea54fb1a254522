"""The evm-benchmarks state-test files (``../shared/bench/evm-benchmarks``):
each (file, post entry) is one case. The gas must be the same in every engine;
cyevm's is the reference checked by the conformance suite."""
from __future__ import annotations

import os

import pytest

from evm.bench import load_cases
from evm.executor import apply_transaction

from benchutil import run_case

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "bench", "evm-benchmarks")
CASES = load_cases([ROOT]) if os.path.isdir(ROOT) else []


def _reference_gas(case):
    return apply_transaction(case.state.copy(), case.env, case.tx, case.fork).gas_used


@pytest.mark.skipif(not CASES, reason=f"benchmark files not found at {ROOT}")
@pytest.mark.parametrize("case", CASES or [None], ids=[c.name for c in CASES] or ["none"])
def test_evm_benchmark(benchmark, engine, case, pytestconfig):
    benchmark.group = case.name
    run_case(benchmark, engine, case, pytestconfig, expected_gas=_reference_gas(case))
