"""Separate machines in separate threads (issue 12): the loop runs without
the GIL, so two threads each running a long loop on its own EVM should take
about the wall time of one on two free cores.

Each test times ``threads`` threads, each making CALLS calls of one built-in
case on its own machine (made and warmed outside the timer). Compare the two
rows of a group: ``2 threads`` over ``1 thread`` is the scaling ratio that
``evm bench --thread-scaling`` prints (1.0: perfect; 2.0: the threads take
turns).

    python -m pytest bench/test_thread_scaling.py --benchmark-columns=min,mean
"""
from __future__ import annotations

import threading

import pytest

from evm.machine import EVM
from evm.workloads import builtin_cases

CALLS = 10
CASES = {c.name: c for c in builtin_cases("main")}


def _run(evm: EVM, case, calls: int) -> None:
    tx = case.tx
    for _ in range(calls):
        assert evm.message_call(tx.sender, tx.to, tx.data, gas=tx.gas_limit).success


@pytest.mark.parametrize("name", ["keccak256/loop", "arith/loop", "erc20/transfer_mint_approve"])
@pytest.mark.parametrize("threads", [1, 2])
def test_threads_on_separate_machines(benchmark, name, threads):
    case = CASES[name]
    benchmark.group = f"threads {name}"
    benchmark.name = f"{threads} thread{'s' if threads > 1 else ''}"

    def setup():
        machines = [EVM(case.state.copy(), case.fork, case.env) for _ in range(threads)]
        for m in machines:
            _run(m, case, 1)  # cold loads and code analysis outside the timer
        return (machines,), {}

    def go(machines):
        workers = [threading.Thread(target=_run, args=(m, case, CALLS)) for m in machines]
        for w in workers:
            w.start()
        for w in workers:
            w.join()

    benchmark.pedantic(go, setup=setup, rounds=5)
