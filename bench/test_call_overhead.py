"""The Python-call overhead of a trivial message call: one call to a
contract that returns one word, as a user makes it, many times on one state.

- cyevm ``EVM.message_call``: a call on a persistent machine, outside any
  transaction (no intrinsic gas, no validation, no fees): 18 gas;
- cyevm ``EVM.transact``: a whole transaction (next nonce) on a persistent
  machine: 21,018 gas;
- cyevm ``apply_transaction``: a whole transaction on a ``State`` dict (a new
  VM per call, changes written back): 21,018 gas;
- cyevm ``execute_code``: the code run directly, no state given (go-ethereum's
  ``evm run``; this thread's reusable VM, the result's state built only if
  read): 18 gas;
- pyrevm ``EVM.message_call``: revm's transaction handler without fees or
  nonce bump (intrinsic gas charged): 21,018 gas.

The mean time per call is the inverse of calls per second (``extra_info``
has ``calls_per_s``).
"""
from __future__ import annotations

import itertools

import pytest

from evm import EVM, Account, State, Transaction, apply_transaction, execute_code
from evm.workloads import BENCH_FORK, CONTRACT, SENDER, builtin_cases

TRIVIAL = next(c for c in builtin_cases("main") if c.name == "call/trivial")
CODE = TRIVIAL.state.accounts[CONTRACT].code
GAS = 21_018  # 21000 + PUSH1 PUSH1 MSTORE (3+3 memory) PUSH1 PUSH1 RETURN


def _state() -> State:
    return State({SENDER: Account(balance=10**30), CONTRACT: Account(code=CODE)})


def _record_rate(benchmark):
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["calls_per_s"] = 1 / benchmark.stats.stats.mean


def test_trivial_call_cyevm_message_call(benchmark):
    benchmark.group = "trivial call"
    evm = EVM(_state(), BENCH_FORK, TRIVIAL.env)

    def call():
        return evm.message_call(SENDER, CONTRACT, b"", 0, 100_000)

    call()  # the first call imports the precompiles' libraries: not what is measured here
    result = benchmark(call)
    assert result.success and result.gas_used == GAS - 21_000
    _record_rate(benchmark)


def test_trivial_call_cyevm_transact(benchmark):
    benchmark.group = "trivial call"
    evm = EVM(_state(), BENCH_FORK, TRIVIAL.env)
    nonces = itertools.count()

    def call():
        return evm.transact(Transaction(sender=SENDER, to=CONTRACT, nonce=next(nonces),
                                        gas_limit=100_000, gas_price=10))

    call()
    result = benchmark(call)
    assert result.success and result.gas_used == GAS
    _record_rate(benchmark)


def test_trivial_call_cyevm_apply_transaction(benchmark):
    benchmark.group = "trivial call"
    state, env = _state(), TRIVIAL.env
    nonces = itertools.count()

    def call():
        tx = Transaction(sender=SENDER, to=CONTRACT, nonce=next(nonces), gas_limit=100_000, gas_price=10)
        return apply_transaction(state, env, tx, BENCH_FORK)

    call()
    result = benchmark(call)
    assert result.success and result.gas_used == GAS
    _record_rate(benchmark)


def test_trivial_call_cyevm_execute_code(benchmark):
    benchmark.group = "trivial call"

    def call():
        return execute_code(CODE, fork=BENCH_FORK)

    call()
    result = benchmark(call)
    assert result.success and result.gas_used == GAS - 21_000 and int.from_bytes(result.output, "big") == 1
    _record_rate(benchmark)


def test_trivial_call_pyrevm(benchmark):
    pyrevm = pytest.importorskip("pyrevm")
    benchmark.group = "trivial call"
    evm = pyrevm.EVM(spec_id="Cancun")
    sender, contract = "0x" + SENDER.hex(), "0x" + CONTRACT.hex()
    evm.insert_account_info(sender, pyrevm.AccountInfo(balance=10**30))
    evm.insert_account_info(contract, pyrevm.AccountInfo(code=CODE))

    def call():
        return evm.message_call(sender, contract, b"", 0, 100_000, 10)

    call()
    out = benchmark(call)
    assert int.from_bytes(out, "big") == 1 and evm.result.gas_used == GAS
    _record_rate(benchmark)
