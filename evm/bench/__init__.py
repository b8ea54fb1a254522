"""``evm bench``: time transactions in cyevm and, side by side, in peer EVMs.

What is timed, the same for every engine: executing one case's transaction —
a message call sender -> contract with the case's calldata, value and gas
limit — on a pre-state that was set up before the timer started, through each
engine's public Python entry point for "run this transaction":

- cyevm: ``evm.EVM(state).transact(tx)``, the machine made over a fresh
  copy of the pre-state before the timer starts: validation, buying gas,
  the message call, refunds and paying the coinbase, the changes kept in the
  machine (as pyrevm keeps them in its journal). ``--compare cyevm-apply``
  adds ``evm.apply_transaction`` on a copy of the state, which also makes
  the VM and writes the changes back to the ``State`` inside the timer;
- pyrevm: ``EVM.message_call`` on an EVM holding the pre-state, inside a
  journal checkpoint that is reverted after the timer stops. It runs revm's
  transaction handler (validation, intrinsic gas, the call, refunds) but, by
  pyrevm's design, skips buying the gas, the nonce bump, paying the coinbase
  and ending the transaction's journal (and runs with a zero base fee):
  slightly less work than the others;
- py-evm: ``state.apply_transaction`` of a spoofed (unsigned, sender given)
  transaction on a state object opened on the persisted pre-state root.

No engine recovers a signature, every engine starts warm (its bytecode
analysis caches may keep what the warm-up run put there) and the Python-call
overhead of each entry point is part of the time, as a user would pay it.

Per case and engine: one warm-up run (discarded), then timed runs. The
fast engines (cyevm, pyrevm) run interleaved (round robin, the order
rotating each round) so they share the machine's noise, at least ``repeat``
times each and until about ``min_time`` seconds were timed. Slow peers
(py-evm) run afterwards, ``slow_repeat`` times, and skip (said in the
output) a case whose cost, estimated from cyevm's median and the worst
slow-down seen so far, exceeds ``peer_budget`` seconds. Reported:
median and minimum time, Mgas/s (gas used / median), and per peer the ratio
cyevm median / peer median (below 1: cyevm is faster) and its geometric
mean over the cases. The gas used must be the same in every engine: a
mismatch is flagged and the case left out of the geometric mean.

``python -m evm.bench child ...`` is the child process of ``--memory``,
which runs one case in a fresh interpreter and reports its peak RSS.

The parts, by concern: :mod:`~evm.bench.cases` (built-in workloads and
state-test files, read with the state-test runner's loader),
:mod:`~evm.bench.engines` (cyevm, pyrevm, py-evm behind one runner
protocol), :mod:`~evm.bench.timing` (repetitions, interleaving, results),
:mod:`~evm.bench.report` (table and JSON), :mod:`~evm.bench.memory` (peak
RSS in child processes) and :mod:`~evm.bench.command` (``evm bench``).
"""
from __future__ import annotations

from .cases import BenchError, fixture_gas_used, load_cases, load_file_cases
from .command import run_command
from .engines import (
    BASELINE,
    ENGINES,
    PEER_ALIASES,
    CyevmApplyEngine,
    CyevmEngine,
    Engine,
    PyEvmEngine,
    PyrevmEngine,
    Runner,
    get_engine,
)
from .memory import measure_memory
from .report import format_memory_table, format_table, report_json
from .timing import BenchOptions, BenchReport, CaseResult, EngineResult, run_bench

__all__ = [
    "BenchError",
    "BenchOptions",
    "Engine",
    "Runner",
    "EngineResult",
    "CaseResult",
    "BenchReport",
    "ENGINES",
    "PEER_ALIASES",
    "BASELINE",
    "CyevmEngine",
    "CyevmApplyEngine",
    "PyrevmEngine",
    "PyEvmEngine",
    "load_cases",
    "load_file_cases",
    "fixture_gas_used",
    "get_engine",
    "run_bench",
    "format_table",
    "report_json",
    "measure_memory",
    "format_memory_table",
    "run_command",
]
