"""Limits of the host, not of the EVM: the memory limit, re-entrancy and
threads. (Ctrl-C is in test_interrupt.py.)"""
from __future__ import annotations

import threading
import time

import pytest

from evm import EVM, Account, Fork, MemoryLimitExceeded, ReentrancyError, State, execute_code
from evm.executor import DEFAULT_CONTRACT
from evm.errors import DEFAULT_MEMORY_LIMIT
from evm.gas import calculate_memory_gas_cost

CALLER = b"\x01" * 20
TARGET = b"\x02" * 20


def mstore_at(offset: int) -> bytes:
    """PUSH1 1, PUSH8 offset, MSTORE, STOP."""
    return bytes.fromhex("6001") + b"\x67" + offset.to_bytes(8, "big") + b"\x52\x00"


def test_memory_below_the_limit_follows_the_gas_rule_exactly():
    limit = 1 << 20
    offset = limit - 32
    cost = 3 + 3 + 3 + calculate_memory_gas_cost(limit)  # PUSH1 PUSH8 MSTORE + expansion
    ok = execute_code(mstore_at(offset), gas=cost, memory_limit=limit)
    assert ok.success and ok.gas_used == cost
    short = execute_code(mstore_at(offset), gas=cost - 1, memory_limit=limit)
    assert short.error == "OutOfGasError"


def test_memory_beyond_the_limit_is_a_distinct_error_not_out_of_gas():
    limit = 1 << 20
    state = State({TARGET: Account(code=mstore_at(limit))})
    with pytest.raises(MemoryLimitExceeded, match="memory_limit is 1048576"):
        execute_code(mstore_at(limit), gas=10**9, memory_limit=limit, state=state)
    assert state.accounts[TARGET].storage == {}  # the input state is never touched
    # without enough gas it is the EVM's own out of gas, as the spec says
    assert execute_code(mstore_at(limit), gas=10**5, memory_limit=limit).error == "OutOfGasError"


def test_a_lowered_limit_holds_for_the_next_frame_of_the_same_machine():
    """A VM keeps a finished frame's buffer for the next frame; a limit set
    lower in between still holds: no growth into the kept buffer past it."""
    from evm.executor import _make_vm

    vm = _make_vm(State(), None, Fork.CANCUN)
    result, _ = vm.run_code(State(), CALLER, TARGET, mstore_at(0x3E0), b"", 0, 10**6, False)  # a 1 KiB buffer
    assert result.success
    vm.memory_limit = 0x100
    with pytest.raises(MemoryLimitExceeded, match="memory_limit is 256"):
        vm.run_code(State(), CALLER, TARGET, mstore_at(0x100), b"", 0, 10**6, False)
    vm.memory_limit = 0x120
    result, _ = vm.run_code(State(), CALLER, TARGET, mstore_at(0x100), b"", 0, 10**6, False)
    assert result.success


def test_the_default_limit_and_bad_limits():
    assert DEFAULT_MEMORY_LIMIT == 1 << 31
    assert issubclass(MemoryLimitExceeded, MemoryError)
    for bad in (-1, 1 << 62, 1.5, "1"):
        with pytest.raises(ValueError, match="memory_limit"):
            execute_code(b"\x00", memory_limit=bad)


class ReenteringState(State):
    """A Database whose cold storage read calls back into the machine."""

    machine: EVM

    def get_storage(self, address: bytes, key: int) -> int:
        self.machine.message_call(CALLER, TARGET)
        return 0


def test_reentering_a_machine_from_its_database_is_a_clear_error():
    db = ReenteringState({CALLER: Account(balance=10**18),
                          TARGET: Account(code=bytes.fromhex("600054"), storage={0: 5})})
    db.machine = evm = EVM(db, Fork.CANCUN)
    with pytest.raises(ReentrancyError, match="already running a call"):
        evm.message_call(CALLER, TARGET)
    # the machine is usable again afterwards
    assert evm.message_call(CALLER, b"\x03" * 20).success


class SlowState(State):
    """A Database whose cold reads sleep, so another thread runs meanwhile."""

    def get_storage(self, address: bytes, key: int) -> int:
        time.sleep(0.05)
        return super().get_storage(address, key)


def test_one_machine_used_from_two_threads_is_refused_not_corrupted():
    code = bytes.fromhex("600054" + "600155" + "00")  # SLOAD(0) (cold: slow) ; SSTORE(1, value)
    db = SlowState({CALLER: Account(balance=10**18), TARGET: Account(code=code, storage={0: 7})})
    evm = EVM(db, Fork.CANCUN)
    errors: list[BaseException] = []
    results = []

    def worker() -> None:
        try:
            results.append(evm.message_call(CALLER, TARGET))
        except ReentrancyError as e:
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1 and results[0].success
    assert len(errors) == 1
    assert evm.get_storage(TARGET, 1) == 7  # exactly what the program writes


def test_separate_machines_in_separate_threads_match_one_thread():
    code = bytes.fromhex("5b" "600054" "600101" "600055" "5a" "61c350" "10" "600057" "00")  # count up while gas > 50000
    def run_one() -> tuple[int, int]:
        evm = EVM(State({CALLER: Account(balance=10**18), TARGET: Account(code=code)}), Fork.CANCUN)
        r = evm.message_call(CALLER, TARGET, gas=3_000_000)
        return r.gas_used, evm.get_storage(TARGET, 0)

    alone = run_one()
    out: list[tuple[int, int]] = []
    threads = [threading.Thread(target=lambda: out.append(run_one())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [alone] * 4
    assert alone[1] > 10


# -- what a Database answers is checked -------------------------------------------
class _Answering:
    """A Database whose answers the test chooses."""

    def __init__(self, account=None, storage=0, block_hash=None):
        self.account, self.storage, self.block_hash = account, storage, block_hash

    def get_account(self, address):
        if address == _CALLER:
            return Account(balance=10**18)
        return self.account

    def get_storage(self, address, key):
        return self.storage

    def get_block_hash(self, number):
        return self.block_hash


_CALLER = b"\x01" * 20
_TARGET = b"\x02" * 20


class _FakeAccount:
    def __init__(self, balance=0, nonce=0, code=b"", storage=None):
        self.balance, self.nonce, self.code, self.storage = balance, nonce, code, storage or {}


@pytest.mark.parametrize("account,expected", [
    ("not an account", "an Account"),
    (_FakeAccount(balance=-1), "a balance"),
    (_FakeAccount(balance=1 << 256), "a balance"),
    (_FakeAccount(balance=True), "a balance"),
    (_FakeAccount(nonce=1 << 64), "a nonce"),
    (_FakeAccount(nonce=1.0), "a nonce"),
    (_FakeAccount(code=5), "code as bytes"),
    (_FakeAccount(code="6000"), "code as bytes"),
])
def test_a_bad_account_answer_names_the_method_and_value(account, expected):
    from evm import DatabaseError

    evm = EVM(db=_Answering(account=account))
    with pytest.raises(DatabaseError, match=rf"get_account\(0x{_TARGET.hex()}\) returned .*expected {expected}"):
        evm.message_call(_CALLER, _TARGET)
    assert evm.get_balance(_CALLER) == 10**18


@pytest.mark.parametrize("value", [-1, 1 << 256, True, "5", 5.0, None])
def test_a_bad_storage_answer_names_the_method_and_value(value):
    from evm import DatabaseError

    # PUSH1 7 SLOAD: the slot of an account the database says has storage
    db = _Answering(account=Account(code=bytes.fromhex("600754"), storage={7: 1}), storage=value)
    evm = EVM(db=db)
    with pytest.raises(DatabaseError, match=rf"get_storage\(0x{_TARGET.hex()}, 7\) returned {value!r}"):
        evm.message_call(_CALLER, _TARGET)
    assert isinstance(DatabaseError("x"), (TypeError, ValueError))


@pytest.mark.parametrize("value", [b"\x01" * 31, b"\x01" * 64, "ab" * 32, 5])
def test_a_bad_block_hash_answer_names_the_method_and_value(value):
    from evm import DatabaseError
    from evm.env import BlockEnv

    # PUSH1 9 BLOCKHASH PUSH1 0 SSTORE
    evm = EVM(db=_Answering(account=Account(code=bytes.fromhex("600940600055")), block_hash=value),
              env=BlockEnv(number=10))
    with pytest.raises(DatabaseError, match=r"get_block_hash\(9\) returned"):
        evm.message_call(_CALLER, _TARGET)


def test_good_answers_are_used_as_given():
    from evm.env import BlockEnv

    h = bytes(range(32))
    code = bytes.fromhex("600940600055" "600754600155")  # slot0 = BLOCKHASH(9); slot1 = SLOAD(7)
    evm = EVM(db=_Answering(account=Account(code=code, storage={7: 1}), storage=(1 << 256) - 1,
                            block_hash=bytearray(h)), env=BlockEnv(number=10))
    assert evm.message_call(_CALLER, _TARGET).success
    assert evm.get_storage(_TARGET, 0) == int.from_bytes(h, "big")
    assert evm.get_storage(_TARGET, 1) == (1 << 256) - 1
    # None: a block the database does not know hashes to 0
    evm = EVM(db=_Answering(account=Account(code=code, storage={7: 1}), storage=3), env=BlockEnv(number=10))
    assert evm.message_call(_CALLER, _TARGET).success and evm.get_storage(_TARGET, 0) == 0


# -- bytes where bytes are meant, ints (not bools) where numbers are ------------------
@pytest.mark.parametrize("kwargs,error", [
    (dict(code=5), TypeError),            # bytes(5) would be five zero bytes
    (dict(code=b"", input=3), TypeError),
    (dict(code=[0x60, 0x00]), TypeError),
    (dict(code="0x60zz"), ValueError),
    (dict(code=b"", gas=True), TypeError),
    (dict(code=b"", gas=-1), ValueError),
    (dict(code=b"", gas=1 << 63), ValueError),
    (dict(code=b"", value=False), TypeError),
])
def test_execute_code_refuses_what_is_not_bytes_or_a_number(kwargs, error):
    with pytest.raises(error, match="code|input|gas|value"):
        execute_code(**kwargs)


def test_bytes_like_and_hex_inputs_are_accepted():
    ret = bytes.fromhex("60003560005260206000f3")  # return calldata[0:32]
    word = (7).to_bytes(32, "big")
    for code, data in ((ret, word), (bytearray(ret), memoryview(word)), ("0x" + ret.hex(), word.hex())):
        assert execute_code(code, input=data).output == word


def test_the_machine_refuses_int_calldata():
    evm = EVM()
    with pytest.raises(TypeError, match="data must be bytes"):
        evm.message_call(_CALLER, _TARGET, 5)
    with pytest.raises(TypeError, match="data must be bytes"):
        evm._vm.transaction(_CALLER, _TARGET, 0, 5, 100_000, fees=False)


def test_execute_code_calls_share_nothing():
    # execute_code reuses this thread's idle VM: nothing of one call may reach the next
    store = bytes.fromhex("602a60055560016000a000")  # SSTORE(5, 42); LOG0(0, 1); STOP
    load = bytes.fromhex("60055460005260206000f3")  # return SLOAD(5)
    first = execute_code(store)
    assert first.success and first.state.accounts[DEFAULT_CONTRACT].storage == {5: 42} and len(first.logs) == 1
    second = execute_code(load)
    assert second.success and second.output == bytes(32) and second.logs == []
    assert 5 not in second.state.accounts[DEFAULT_CONTRACT].storage
    # a failing call, then one on another fork and one with a memory limit: each starts clean
    assert execute_code(bytes.fromhex("fe")).error == "InvalidOpcode"
    assert execute_code(load, fork=Fork.BERLIN).output == bytes(32)
    with pytest.raises(MemoryLimitExceeded):
        execute_code(bytes.fromhex("6001630100000052"), gas=10**9, memory_limit=1 << 20)  # MSTORE at 16 MiB
    assert execute_code(load, memory_limit=1 << 20).output == bytes(32)
    # the first result's state is its own: later calls did not change it
    assert first.state.accounts[DEFAULT_CONTRACT].storage == {5: 42}
