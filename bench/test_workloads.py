"""The built-in main suite of ``evm bench`` (ERC-20, keccak, memory copy, arithmetic, trivial call)."""
from __future__ import annotations

import pytest

from evm.workloads import builtin_cases

from benchutil import run_case

CASES = builtin_cases("main")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_workload(benchmark, engine, case, pytestconfig):
    benchmark.group = case.name
    run_case(benchmark, engine, case, pytestconfig)
