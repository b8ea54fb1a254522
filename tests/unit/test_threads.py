"""Threads: the interpreter runs without the GIL, separate machines in
separate threads stay independent, and a call can be bounded by a timeout.

The core releases the GIL while bytecode runs and takes it back for what
needs Python (a cold load from a Python database, calls, logs, raising).
"""
import threading

import pytest
from Crypto.Hash import keccak

from evm import EVM, Account, Fork, State
from evm.errors import ExecutionTimeout, ReentrancyError
from evm.workloads import assemble, erc20_transfer_calls, BENCH_FORK, bench_env

ME = b"\x01" * 20
LOOPER = b"\x02" * 20
HASHER = b"\x03" * 20
READER = b"\x04" * 20

# JUMPDEST PUSH1 0 JUMP: loops until the gas (or the timeout) runs out
FOREVER = bytes.fromhex("5b600056")


def _hash_chain_code() -> bytes:
    """h = calldata[0]; calldata[32] times h = keccak256(h); SSTORE(0, h)."""
    return assemble([
        0, "CALLDATALOAD", 0, "MSTORE",
        32, "CALLDATALOAD",
        "loop:",
        "DUP1", "ISZERO", "@end", "JUMPI",
        32, 0, "KECCAK256", 0, "MSTORE",
        1, "SWAP1", "SUB",
        "@loop", "JUMP",
        "end:",
        0, "MLOAD", 0, "SSTORE", "STOP",
    ])


def _reader_code() -> bytes:
    """SSTORE(0, SLOAD(1) + SLOAD(2) + BALANCE(0xbeef)): three cold loads."""
    return assemble([1, "SLOAD", 2, "SLOAD", "ADD", 0xBEEF, "BALANCE", "ADD", 0, "SSTORE", "STOP"])


def _keccak_chain(seed: int, n: int) -> int:
    h = seed.to_bytes(32, "big")
    for _ in range(n):
        h = keccak.new(digest_bits=256, data=h).digest()
    return int.from_bytes(h, "big")


class CountingState(State):
    """A Python database that counts the cold loads it serves (each one is
    made with the GIL taken back from the running loop)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loads = 0

    def get_account(self, address):
        self.loads += 1
        return super().get_account(address)

    def get_storage(self, address, key):
        self.loads += 1
        return super().get_storage(address, key)


def _machine() -> EVM:
    return EVM(CountingState({
        ME: Account(balance=10**20),
        LOOPER: Account(code=FOREVER),
        HASHER: Account(code=_hash_chain_code()),
        READER: Account(code=_reader_code(), storage={1: 40, 2: 2}),
        (0xBEEF).to_bytes(20, "big"): Account(balance=1000),
    }), Fork.CANCUN)


def _workload(evm: EVM, seed: int) -> list:
    """Hash chains, cold loads, and the storage they leave, as comparable values."""
    out = []
    for i in range(4):
        r = evm.message_call(ME, HASHER, (seed + i).to_bytes(32, "big") + (3000).to_bytes(32, "big"),
                             gas=10**8)
        out.append((r.success, r.gas_used, evm.get_storage(HASHER, 0)))
    r = evm.message_call(ME, READER, gas=10**6)
    out.append((r.success, r.gas_used, evm.get_storage(READER, 0)))
    return out


def test_two_threads_on_separate_machines_give_the_results_of_one():
    alone = [_workload(_machine(), seed) for seed in (11, 22)]
    # the values the programs must compute, independently of the engine
    for seed, results in zip((11, 22), alone):
        assert [h for _, _, h in results[:4]] == [_keccak_chain(seed + i, 3000) for i in range(4)]
        assert results[4][0] and results[4][2] == 40 + 2 + 1000
    machines = [_machine(), _machine()]
    got = [None, None]

    def run(k: int) -> None:
        got[k] = _workload(machines[k], (11, 22)[k])

    threads = [threading.Thread(target=run, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == alone
    assert all(m.db.loads > 0 for m in machines)  # cold loads went through Python in the threads


def test_erc20_transfers_in_two_threads_match_one_thread():
    state, calls = erc20_transfer_calls(40)

    def run(part):
        evm = EVM(state.copy(), BENCH_FORK, bench_env())
        results = [evm.message_call(c, t, d) for c, t, d in part]
        return [(r.success, r.gas_used, r.output) for r in results]

    alone = run(calls)
    halves = [calls[:20], calls[20:]]
    got = [None, None]
    threads = [threading.Thread(target=lambda k=k: got.__setitem__(k, run(halves[k]))) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got[0] + got[1] == alone
    # transfer(to, amount) returns true: 32 bytes, the last one 1
    assert all(ok and out == (1).to_bytes(32, "big") for ok, _, out in alone)


def test_the_gil_is_released_while_bytecode_runs():
    # While another thread runs a long loop, this thread keeps running Python.
    # With the GIL held by the loop, the counter could not move until the call ended.
    evm = _machine()
    done = threading.Event()
    outcome = []

    def run() -> None:
        try:
            evm.message_call(ME, LOOPER, gas=2**63 - 1, timeout=1.0)
        except ExecutionTimeout as e:
            outcome.append(e)
        finally:
            done.set()

    t = threading.Thread(target=run)
    t.start()
    spins = 0
    while not done.is_set():
        spins += 1
    t.join()
    assert isinstance(outcome[0], ExecutionTimeout)
    assert spins > 10_000


def test_one_machine_from_two_threads_is_refused_not_corrupted():
    evm = _machine()
    sid = evm.snapshot()
    started = threading.Event()
    errors = []

    def long_call() -> None:
        started.set()
        try:
            evm.message_call(ME, LOOPER, gas=2**63 - 1, timeout=1.0)
        except ExecutionTimeout:
            pass

    t = threading.Thread(target=long_call)
    t.start()
    started.wait()
    refused = 0
    for use in (lambda: evm.get_storage(HASHER, 0), evm.snapshot, lambda: evm.revert(sid), evm.commit):
        while t.is_alive():
            try:
                use()
            except ReentrancyError as e:
                errors.append(e)
                refused += 1
                break
    t.join()
    assert refused == 4
    assert "two threads" in str(errors[0])
    # the machine still works after both
    r = evm.message_call(ME, HASHER, (5).to_bytes(32, "big") + (2).to_bytes(32, "big"))
    assert r.success and evm.get_storage(HASHER, 0) == _keccak_chain(5, 2)


# -- timeout ------------------------------------------------------------------------

def test_timeout_stops_an_endless_loop_and_keeps_nothing():
    evm = _machine()
    evm.set_storage(LOOPER, 1, 7)
    # SSTORE(1, 8), then loop forever: the write must not survive the timeout
    evm.set_code(LOOPER, assemble([8, 1, "SSTORE", "loop:", "@loop", "JUMP"]))
    balance = evm.get_balance(ME)
    with pytest.raises(ExecutionTimeout, match="timeout of 0.2 s"):
        evm.message_call(ME, LOOPER, value=5, gas=2**63 - 1, timeout=0.2)
    assert evm.get_storage(LOOPER, 1) == 7
    assert evm.get_balance(ME) == balance
    # without a timeout the same machine runs the same code to its gas limit
    r = evm.message_call(ME, LOOPER, gas=100_000)
    assert r.error == "OutOfGasError"


def test_machine_default_timeout_and_per_call_override():
    evm = EVM(State({ME: Account(balance=1), LOOPER: Account(code=FOREVER)}), Fork.CANCUN, timeout=0.1)
    assert evm.timeout == 0.1
    with pytest.raises(ExecutionTimeout):
        evm.message_call(ME, LOOPER, gas=2**63 - 1)
    with pytest.raises(ExecutionTimeout, match="0.3 s"):
        evm.message_call(ME, LOOPER, gas=2**63 - 1, timeout=0.3)
    # deploying endless initcode is bounded the same way
    with pytest.raises(ExecutionTimeout):
        evm.deploy(ME, FOREVER, gas=2**63 - 1)
    assert evm.get_nonce(ME) == 0


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "1", [1]])
def test_timeout_must_be_a_positive_number(bad):
    with pytest.raises(ValueError, match="timeout"):
        EVM(timeout=bad)
    evm = _machine()
    with pytest.raises(ValueError, match="timeout"):
        evm.message_call(ME, LOOPER, gas=1000, timeout=bad)


def test_thread_scaling_command_reports_each_case_and_its_ratio(capsys):
    import json

    from evm.cli import main

    assert main(["bench", "--thread-scaling", "--json", "--run", "mcopy", "--workers", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["threads"] == [1, 2]
    [row] = report["rows"]
    assert row["case"] == "mcopy/loop" and row["calls"] == 20
    one, two = row["wall_s"]["1"], row["wall_s"]["2"]
    assert one > 0 and two > 0 and row["ratios"]["2"] == pytest.approx(two / one)
    assert main(["bench", "--thread-scaling", "--run", "no-such-case"]) == 2
