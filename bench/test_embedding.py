"""What the embedding API costs (issue 10): snapshot + revert, each
inspector hook per call or per step, and estimate_gas's executions.

The workload is one call to a contract that writes ``SLOTS`` storage slots
in a loop (each SSTORE 0 -> i+1) and makes one inner CALL, so the hooks
have something to report: ``storage_write`` fires SLOTS times, ``step``
once per instruction, ``call_start``/``call_end`` twice.

    python -m pytest bench/test_embedding.py --benchmark-columns=mean,ops
"""
from __future__ import annotations

import pytest

from evm import EVM, Account, AccessListBuilder, CallTracer, Fork, Inspector, OpcodeCounter, State

ME = b"\x01" * 20
LOOP = b"\x0a" * 20
CALLEE = b"\x0b" * 20
SLOTS = 50
# for i in SLOTS..1: sstore(i, i); then call(gas, CALLEE, 0, 0, 0, 0, 0); stop
LOOP_CODE = bytes.fromhex(
    f"60{SLOTS:02x}"            # PUSH1 SLOTS             [i]
    "5b"                        # JUMPDEST (pc 2)
    "80" "80" "55"              # DUP1 DUP1 SSTORE         [i]
    "6001" "90" "03"            # PUSH1 1 SWAP1 SUB        [i-1]
    "80" "6002" "57"            # DUP1 PUSH1 2 JUMPI       [i-1]
    "50"                        # POP
    "6000600060006000600073" + CALLEE.hex() + "5af1" "50" "00")
CALLEE_CODE = bytes.fromhex("00")


def machine() -> EVM:
    return EVM(State({ME: Account(balance=10**18), LOOP: Account(code=LOOP_CODE),
                      CALLEE: Account(code=CALLEE_CODE)}), Fork.CANCUN)


def test_snapshot_revert_of_one_call(benchmark):
    """snapshot(); the call (SLOTS slot writes); revert(): the price of
    running each test of a suite from the same state."""
    benchmark.group = "snapshot"
    evm = machine()

    def run():
        snap = evm.snapshot()
        evm.message_call(ME, LOOP)
        evm.revert(snap)
        evm.release(snap)

    benchmark(run)
    assert evm.get_storage(LOOP, 1) == 0


def test_call_without_snapshot(benchmark):
    """The same call with nothing recorded (the baseline of the one above;
    its writes stay, so later runs rewrite equal values)."""
    benchmark.group = "snapshot"
    evm = machine()
    benchmark(lambda: evm.message_call(ME, LOOP))


class _Step(Inspector):
    def step(self, pc, op, gas_left, depth, stack, memory):
        pass


class _Calls(Inspector):
    def call_start(self, kind, caller, to, value, input, gas, depth):
        pass

    def call_end(self, success, output, gas_used, error):
        pass


class _Writes(Inspector):
    def storage_write(self, address, key, old, new):
        pass


HOOKS = {"none": None, "step": _Step, "call_start+call_end": _Calls, "storage_write": _Writes,
         "CallTracer": CallTracer, "OpcodeCounter": OpcodeCounter, "AccessListBuilder": AccessListBuilder}


@pytest.mark.parametrize("hook", list(HOOKS))
def test_inspector_hook_cost(benchmark, hook):
    """One call with an inspector overriding only ``hook`` (per call:
    compare with "none"; per step or per write: divide the difference by
    the instructions run or SLOTS)."""
    benchmark.group = "inspector hooks"
    evm = machine()
    make = HOOKS[hook]

    def run():
        with evm.anchor():
            evm.message_call(ME, LOOP, inspector=make() if make else None)

    benchmark(run)
    counter = OpcodeCounter()
    evm.message_call(ME, LOOP, inspector=counter)
    benchmark.extra_info["steps"] = sum(counter.counts.values())


def test_estimate_gas_executions(benchmark):
    """estimate_gas of the looping call: its inner CALL needs the 63/64
    margin, so the search widens and bisects; ``runs`` is the executions."""
    benchmark.group = "estimate_gas"
    evm = machine()
    estimate = benchmark(lambda: evm.estimate_gas(ME, LOOP))
    benchmark.extra_info["runs"] = evm.estimate_runs
    assert machine().message_call(ME, LOOP, gas=estimate).success
