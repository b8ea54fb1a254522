"""Micro-benchmarks per opcode class: arithmetic, DIV/MOD, MULMOD/ADDMOD, EXP,
KECCAK256, memory, SLOAD/SSTORE warm and cold, CALL, CREATE (the ``micro``
suite of ``evm bench``; each a loop of the class's opcodes, unrolled)."""
from __future__ import annotations

import pytest

from evm.workloads import builtin_cases

from benchutil import run_case

CASES = builtin_cases("micro")


@pytest.mark.parametrize("case", CASES, ids=[c.name.split("/", 1)[1] for c in CASES])
def test_opcode_class(benchmark, engine, case, pytestconfig):
    benchmark.group = case.name
    run_case(benchmark, engine, case, pytestconfig)
