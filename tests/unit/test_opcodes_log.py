"""LOG0..LOG4: records, exact gas, static context and reverts.

Gas (Yellow Paper): G_log 375 + 375 per topic + 8 per data byte + memory
expansion. The stack holds offset, size, then the topics in order. A log is
a state change: forbidden in a static frame (EIP-214) and discarded when its
frame (or an ancestor) reverts.
"""
from __future__ import annotations

import pytest

from evm import Account, Fork, State
from opcode_test_helpers import (
    CONTRACT,
    U256_MAX,
    asm,
    call,
    memory_cost,
    ret_top,
    run,
    static_gas,
    word,
)

OTHER = bytes.fromhex("00000000000000000000000000000000000b0b00")
TOPICS = [0x1111, 2**256 - 1, 0, 0xABCDEF << 100]


def log_code(n: int, offset: int, size: int, topics=TOPICS) -> bytes:
    """LOGn(offset, size, topics[0..n-1])."""
    return asm(*reversed(topics[:n]), size, offset, f"LOG{n}")


@pytest.mark.parametrize("n", range(5))
def test_log_record_and_exact_gas(n):
    data = bytes(range(1, 41))
    setup = asm(int.from_bytes(data[:32], "big"), 0, "MSTORE",
                int.from_bytes(data[32:] + bytes(24), "big"), 32, "MSTORE")
    code = setup + log_code(n, 0, 40)
    r = run(code, fork=Fork.CANCUN)
    assert r.success
    assert len(r.logs) == 1
    log = r.logs[0]
    assert log.address == CONTRACT
    assert log.topics == [t.to_bytes(32, "big") for t in TOPICS[:n]]
    assert log.data == data
    # the table base of LOGn already holds G_log + n * G_logtopic
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 8 * 40 + memory_cost(64)
    assert 375 * (n + 1) == static_gas(log_code(n, 0, 40), Fork.CANCUN) - 3 * (n + 2)


@pytest.mark.parametrize("n", range(5))
def test_log_expands_memory(n):
    code = log_code(n, 0x100, 1)
    r = run(code)
    assert r.logs[0].data == b"\x00"
    assert r.gas_used == 3 * (n + 2) + 375 * (n + 1) + 8 + memory_cost(0x101)


def test_log_without_data_or_memory():
    r = run(log_code(0, 0, 0))
    assert r.logs[0].data == b"" and r.logs[0].topics == []
    assert r.gas_used == 6 + 375


@pytest.mark.parametrize("offset", [2**64, 2**255, U256_MAX])
def test_log_zero_size_huge_offset_is_free(offset):
    r = run(log_code(2, offset, 0))
    assert r.success and r.logs[0].data == b""
    assert r.gas_used == 3 * 4 + 375 * 3


@pytest.mark.parametrize("offset,size", [(0, 2**64), (2**64, 1), (U256_MAX, U256_MAX), (0, 2**32)])
def test_log_huge_region_out_of_gas(offset, size):
    r = run(log_code(1, offset, size), gas=1_000_000)
    assert r.error == "OutOfGasError" and r.gas_used == 1_000_000 and r.logs == []


def test_log_data_gas_boundary():
    code = log_code(0, 0, 100)
    need = 6 + 375 + 800 + memory_cost(100)
    assert run(code, gas=need).success
    r = run(code, gas=need - 1)
    assert r.error == "OutOfGasError" and r.logs == []


def test_logs_keep_their_order():
    code = log_code(1, 0, 0, [1]) + log_code(1, 0, 0, [2]) + log_code(1, 0, 0, [3])
    r = run(code)
    assert [int.from_bytes(l.topics[0], "big") for l in r.logs] == [1, 2, 3]


def test_logs_dropped_when_the_frame_reverts():
    r = run(log_code(1, 0, 0) + asm(0, 0, "REVERT"))
    assert r.error == "Revert" and r.logs == []


def test_logs_dropped_on_exceptional_halt():
    r = run(log_code(1, 0, 0) + b"\xfe")
    assert r.error == "InvalidOpcode" and r.logs == []


def test_logs_of_a_reverted_subcall_dropped_parent_kept():
    state = State({OTHER: Account(code=log_code(1, 0, 0, [7]) + asm(0, 0, "REVERT"))})
    code = log_code(1, 0, 0, [1]) + call(OTHER) + asm("POP") + log_code(1, 0, 0, [2])
    r = run(code, state=state)
    assert [int.from_bytes(l.topics[0], "big") for l in r.logs] == [1, 2]


def test_logs_of_a_successful_subcall_carry_its_address():
    state = State({OTHER: Account(code=log_code(1, 0, 0, [7]))})
    code = log_code(1, 0, 0, [1]) + call(OTHER) + asm("POP") + log_code(1, 0, 0, [2])
    r = run(code, state=state)
    assert [(l.address, int.from_bytes(l.topics[0], "big")) for l in r.logs] == [
        (CONTRACT, 1), (OTHER, 7), (CONTRACT, 2)]


@pytest.mark.parametrize("n", range(5))
def test_log_in_static_context_fails(n):
    state = State({OTHER: Account(code=log_code(n, 0, 0))})
    r = run(ret_top(call(OTHER, gas=30_000, opname="STATICCALL")), state=state, fork=Fork.BYZANTIUM)
    assert r.success and word(r) == 0 and r.logs == []
    # STATICCALL base 700 (Byzantium) + forwarded 30000 all consumed
    assert r.gas_used == 6 * 3 + 700 + 30_000 + 15
