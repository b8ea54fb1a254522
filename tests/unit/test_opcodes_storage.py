"""Storage opcodes: SLOAD, SSTORE (gas and refunds per fork), TLOAD/TSTORE.

SSTORE rules by fork:
  * Frontier .. Byzantium and Petersburg: 20000 to set a zero slot, 5000
    otherwise, 15000 refund for clearing (Yellow Paper).
  * Constantinople: EIP-1283 net gas metering (SLOAD_GAS 200).
  * Istanbul: EIP-2200 (SLOAD_GAS 800, and SSTORE fails when gas_left <= 2300).
  * Berlin: EIP-2929 (cold slot +2100, SLOAD_GAS -> 100, reset 5000 - 2100).
  * London: EIP-3529 (clear refund 4800).
The expected values come from :func:`sstore_reference`, a transcription of
those EIPs' pseudocode, and from the EIPs' own published test vectors.
"""
from __future__ import annotations

import pytest

from evm import Account, Fork, State
from opcode_test_helpers import (
    CONTRACT,
    RETURN_TOP_GAS,
    asm,
    call,
    ret_top,
    run,
    word,
)

OTHER = bytes.fromhex("00000000000000000000000000000000000b0b00")

GAS_STORAGE_SET = 20000
GAS_STORAGE_UPDATE = 5000
GAS_COLD_SLOAD = 2100
GAS_WARM_ACCESS = 100


def sstore_reference(fork: Fork, original: int, current: int, new: int, warm: bool):
    """(gas, refund delta) of one SSTORE, from the EIPs listed in the module docstring."""
    cold = 0 if fork < Fork.BERLIN or warm else GAS_COLD_SLOAD
    if fork < Fork.CONSTANTINOPLE or fork == Fork.PETERSBURG:
        gas = GAS_STORAGE_SET if current == 0 and new != 0 else GAS_STORAGE_UPDATE
        refund = 15000 if current != 0 and new == 0 else 0
        return gas, refund
    if fork >= Fork.BERLIN:
        sload, reset = GAS_WARM_ACCESS, GAS_STORAGE_UPDATE - GAS_COLD_SLOAD
    elif fork >= Fork.ISTANBUL:
        sload, reset = 800, GAS_STORAGE_UPDATE
    else:  # Constantinople, EIP-1283
        sload, reset = 200, GAS_STORAGE_UPDATE
    clear = 4800 if fork >= Fork.LONDON else 15000
    if current == new:
        return sload + cold, 0
    if original == current:  # clean slot
        gas = GAS_STORAGE_SET if original == 0 else reset
        return gas + cold, clear if original != 0 and new == 0 else 0
    refund = 0  # dirty slot
    if original != 0:
        if current == 0:
            refund -= clear
        elif new == 0:
            refund += clear
    if original == new:
        refund += (GAS_STORAGE_SET if original == 0 else reset) - sload
    return sload + cold, refund


def sstore_program(values):
    """SSTORE each of ``values`` to slot 0 in turn."""
    return b"".join(asm(v, 0, "SSTORE") for v in values)


def expected_sequence(fork: Fork, original: int, values):
    """Gas and refund of :func:`sstore_program` from the reference, slot 0 initially cold."""
    gas, refund, current = 0, 0, original
    for i, v in enumerate(values):
        g, rf = sstore_reference(fork, original, current, v, warm=i > 0)
        gas += 6 + g
        refund += rf
        current = v
    return gas, refund


def run_sstores(fork: Fork, original: int, values, gas: int = 1_000_000):
    state = State({CONTRACT: Account(storage={0: original} if original else {})})
    return run(sstore_program(values), state=state, fork=fork, gas=gas)


SEQUENCES = [
    (0, [0, 0]), (0, [0, 1]), (0, [1, 0]), (0, [1, 2]), (0, [1, 1]),
    (1, [0, 0]), (1, [0, 1]), (1, [0, 2]), (1, [2, 0]), (1, [2, 3]), (1, [2, 1]),
    (1, [2, 2]), (1, [1, 0]), (1, [1, 2]), (1, [1, 1]),
    (0, [1, 0, 1]), (1, [0, 1, 0]), (0, [5]), (7, [0]), (7, [7]), (7, [8]),
    (3, [0, 0, 3, 0, 4, 3]),
]
SSTORE_FORKS = [Fork.FRONTIER, Fork.TANGERINE_WHISTLE, Fork.BYZANTIUM, Fork.CONSTANTINOPLE,
                Fork.PETERSBURG, Fork.ISTANBUL, Fork.BERLIN, Fork.LONDON, Fork.CANCUN, Fork.OSAKA]


@pytest.mark.parametrize("fork", SSTORE_FORKS, ids=lambda f: f.name)
@pytest.mark.parametrize("original,values", SEQUENCES, ids=lambda x: str(x))
def test_sstore_gas_and_refund_per_fork(fork, original, values):
    r = run_sstores(fork, original, values)
    gas, refund = expected_sequence(fork, original, values)
    assert r.success, r.error
    assert (r.gas_used, r.gas_refund) == (gas, refund)
    assert r.state.accounts[CONTRACT].storage.get(0, 0) == values[-1]


# Published vectors: (code, used gas, refund, original) ------------------------
EIP1283_VECTORS = [  # Constantinople
    ("60006000556000600055", 412, 0, 0), ("60006000556001600055", 20212, 0, 0),
    ("60016000556000600055", 20212, 19800, 0), ("60016000556002600055", 20212, 0, 0),
    ("60016000556001600055", 20212, 0, 0), ("60006000556000600055", 5212, 15000, 1),
    ("60006000556001600055", 5212, 4800, 1), ("60006000556002600055", 5212, 0, 1),
    ("60026000556000600055", 5212, 15000, 1), ("60026000556003600055", 5212, 0, 1),
    ("60026000556001600055", 5212, 4800, 1), ("60026000556002600055", 5212, 0, 1),
    ("60016000556000600055", 5212, 15000, 1), ("60016000556002600055", 5212, 0, 1),
    ("60016000556001600055", 412, 0, 1), ("600160005560006000556001600055", 40218, 19800, 0),
    ("600060005560016000556000600055", 10218, 19800, 1),
]
EIP2200_VECTORS = [  # Istanbul
    ("60006000556000600055", 1612, 0, 0), ("60006000556001600055", 20812, 0, 0),
    ("60016000556000600055", 20812, 19200, 0), ("60016000556002600055", 20812, 0, 0),
    ("60016000556001600055", 20812, 0, 0), ("60006000556000600055", 5812, 15000, 1),
    ("60006000556001600055", 5812, 4200, 1), ("60006000556002600055", 5812, 0, 1),
    ("60026000556000600055", 5812, 15000, 1), ("60026000556003600055", 5812, 0, 1),
    ("60026000556001600055", 5812, 4200, 1), ("60026000556002600055", 5812, 0, 1),
    ("60016000556000600055", 5812, 15000, 1), ("60016000556002600055", 5812, 0, 1),
    ("60016000556001600055", 1612, 0, 1), ("600160005560006000556001600055", 40818, 19200, 0),
    ("600060005560016000556000600055", 10818, 19200, 1),
]


@pytest.mark.parametrize("fork,vectors", [(Fork.CONSTANTINOPLE, EIP1283_VECTORS),
                                          (Fork.ISTANBUL, EIP2200_VECTORS)], ids=["EIP-1283", "EIP-2200"])
def test_sstore_published_vectors(fork, vectors):
    for code_hex, used, refund, original in vectors:
        state = State({CONTRACT: Account(storage={0: original} if original else {})})
        r = run(bytes.fromhex(code_hex), state=state, fork=fork)
        assert (r.gas_used, r.gas_refund) == (used, refund), code_hex


def test_sstore_eip3529_vectors_with_warm_slot():
    """EIP-3529's table assumes a warm slot; a cold one adds 2100 once."""
    for code_hex, used, refund, original in [
        ("60006000556000600055", 212, 0, 0), ("60006000556001600055", 20112, 0, 0),
        ("60016000556000600055", 20112, 19900, 0), ("60006000556000600055", 3012, 4800, 1),
        ("60006000556001600055", 3012, 2800, 1), ("60016000556001600055", 212, 0, 1),
    ]:
        state = State({CONTRACT: Account(storage={0: original} if original else {})})
        r = run(bytes.fromhex(code_hex), state=state, fork=Fork.LONDON)
        assert (r.gas_used, r.gas_refund) == (used + GAS_COLD_SLOAD, refund), code_hex


@pytest.mark.parametrize("fork,gas_needed", [(Fork.ISTANBUL, 800), (Fork.BERLIN, 2200), (Fork.CANCUN, 2200)])
def test_sstore_stipend_rule_eip2200(fork, gas_needed):
    """From Istanbul an SSTORE with gas_left <= 2300 fails even if it could pay."""
    code = asm(0, 0, "SSTORE")  # no-op store: costs SLOAD_GAS (+ cold)
    r = run(code, fork=fork, gas=6 + 2300)
    assert r.error == "OutOfGasError" and r.gas_used == 6 + 2300
    r = run(code, fork=fork, gas=6 + 2301)
    assert r.success and r.gas_used == 6 + gas_needed


def test_sstore_no_stipend_rule_before_istanbul():
    code = asm(0, 0, "SSTORE")
    r = run(code, fork=Fork.CONSTANTINOPLE, gas=6 + 200)
    assert r.success and r.gas_left == 0
    r = run(code, fork=Fork.PETERSBURG, gas=6 + 5000)
    assert r.success and r.gas_left == 0
    r = run(code, fork=Fork.PETERSBURG, gas=6 + 4999)
    assert r.error == "OutOfGasError"


def test_sstore_out_of_gas_leaves_storage_untouched():
    state = State({CONTRACT: Account(storage={0: 5})})
    r = run(asm(9, 0, "SSTORE"), state=state, fork=Fork.CANCUN, gas=6 + 2899 + 2100)
    assert r.error == "OutOfGasError"
    assert r.state.accounts[CONTRACT].storage == {0: 5}


# -- SLOAD ---------------------------------------------------------------

@pytest.mark.parametrize("fork,cost", [
    (Fork.FRONTIER, 50), (Fork.TANGERINE_WHISTLE, 200), (Fork.CONSTANTINOPLE, 200),
    (Fork.ISTANBUL, 800), (Fork.BERLIN, GAS_COLD_SLOAD), (Fork.OSAKA, GAS_COLD_SLOAD),
])
def test_sload_value_and_gas(fork, cost):
    state = State({CONTRACT: Account(storage={7: 0xABCDEF})})
    code = ret_top(7, "SLOAD")
    r = run(code, state=state, fork=fork)
    assert word(r) == 0xABCDEF
    assert r.gas_used == 3 + cost + RETURN_TOP_GAS


def test_sload_warm_after_first_access_berlin():
    code = asm(1, "SLOAD", 1, "SLOAD", 2, "SLOAD")
    r = run(code, fork=Fork.BERLIN)
    assert r.gas_used == 9 + GAS_COLD_SLOAD + GAS_WARM_ACCESS + GAS_COLD_SLOAD


def test_sstore_warms_the_slot_for_sload():
    code = asm(1, 5, "SSTORE", 5, "SLOAD")
    r = run(code, fork=Fork.BERLIN)
    assert r.gas_used == 6 + GAS_COLD_SLOAD + GAS_STORAGE_SET + 3 + GAS_WARM_ACCESS


def test_sload_sees_the_current_value():
    code = ret_top(42, 3, "SSTORE", 3, "SLOAD")
    assert word(run(code)) == 42


def test_sload_of_missing_slot_is_zero():
    assert word(run(ret_top(2**255, "SLOAD"))) == 0


def test_storage_keys_are_full_256_bit():
    """Slots 1 and 1 + 2**128 are different."""
    code = asm(10, 1, "SSTORE", 20, 1 + 2**128, "SSTORE") + ret_top(1, "SLOAD")
    r = run(code)
    assert word(r) == 10
    assert r.state.accounts[CONTRACT].storage == {1: 10, 1 + 2**128: 20}


def test_sstore_writing_zero_deletes_the_slot():
    state = State({CONTRACT: Account(storage={4: 9, 5: 1})})
    r = run(asm(0, 4, "SSTORE"), state=state)
    assert r.state.accounts[CONTRACT].storage == {5: 1}


# -- refunds and reverts --------------------------------------------------

def test_refund_of_a_reverted_call_is_dropped():
    callee = asm(0, 0, "SSTORE", 0, 0, "REVERT")
    state = State({OTHER: Account(code=callee, storage={0: 1})})
    r = run(call(OTHER) + asm("POP"), state=state, fork=Fork.CANCUN)
    assert r.success and r.gas_refund == 0
    assert r.state.accounts[OTHER].storage == {0: 1}


def test_refund_of_a_successful_call_is_kept():
    callee = asm(0, 0, "SSTORE")
    state = State({OTHER: Account(code=callee, storage={0: 1})})
    r = run(call(OTHER) + asm("POP"), state=state, fork=Fork.CANCUN)
    assert r.success and r.gas_refund == 4800
    assert r.state.accounts[OTHER].storage == {}


def test_sstore_in_static_context_fails():
    state = State({OTHER: Account(code=asm(1, 0, "SSTORE"))})
    code = ret_top(call(OTHER, gas=100_000, opname="STATICCALL"))
    r = run(code, state=state, fork=Fork.CANCUN)
    assert r.success and word(r) == 0
    assert r.state.accounts[OTHER].storage == {}
    # the callee's 100000 gas is consumed; OTHER was cold (2600)
    assert r.gas_used == 6 * 3 + 2600 + 100_000 + RETURN_TOP_GAS


def test_sstore_in_static_context_fails_even_as_noop():
    """A static frame may not SSTORE at all, even the current value."""
    state = State({OTHER: Account(code=asm(0, 0, "SSTORE"))})
    r = run(ret_top(call(OTHER, gas=100_000, opname="STATICCALL")), state=state)
    assert word(r) == 0


def test_sload_in_static_context_is_allowed():
    state = State({OTHER: Account(code=ret_top(0, "SLOAD"), storage={0: 77})})
    code = call(OTHER, gas=100_000, out_size=32, opname="STATICCALL") + asm(32, 0, "RETURN")
    assert word(run(code, state=state)) == 77


# -- TLOAD / TSTORE (EIP-1153) ---------------------------------------------

def test_tstore_tload_roundtrip_and_gas():
    code = ret_top(0xCAFE, 1, "TSTORE", 1, "TLOAD")
    r = run(code, fork=Fork.CANCUN)
    assert word(r) == 0xCAFE
    assert r.gas_used == 6 + 100 + 3 + 100 + RETURN_TOP_GAS  # GAS_WARM_ACCESS each
    assert r.state.accounts[CONTRACT].storage == {}  # nothing persistent


def test_tload_of_unset_slot_is_zero():
    r = run(ret_top(123, "TLOAD"), fork=Fork.CANCUN)
    assert word(r) == 0 and r.gas_used == 3 + 100 + RETURN_TOP_GAS


def test_transient_storage_undefined_before_cancun():
    for code in (asm(0, "TLOAD"), asm(0, 0, "TSTORE")):
        r = run(code, fork=Fork.SHANGHAI, gas=10_000)
        assert r.error == "InvalidOpcode" and r.gas_used == 10_000


def test_transient_storage_is_per_address():
    callee = ret_top(1, "TLOAD")
    state = State({OTHER: Account(code=callee)})
    code = asm(5, 1, "TSTORE") + call(OTHER, out_size=32) + asm(32, 0, "RETURN")
    assert word(run(code, state=state, fork=Fork.CANCUN)) == 0


def self_dispatch(outer: bytes, inner: bytes) -> bytes:
    """Code running ``outer`` when calldata is empty and ``inner`` otherwise."""
    target = 4 + len(outer)  # CALLDATASIZE PUSH1 target JUMPI = 4 bytes
    code = asm("CALLDATASIZE", target, "JUMPI") + outer + asm("JUMPDEST") + inner
    assert code[target] == 0x5B
    return code


def test_transient_storage_is_shared_by_reentrant_frames():
    """A call back into the same address sees the value stored by the outer frame."""
    outer = asm(5, 1, "TSTORE") + call(CONTRACT, in_size=1, out_size=32) + asm(32, 0, "RETURN")
    inner = ret_top(1, "TLOAD")
    assert word(run(self_dispatch(outer, inner), fork=Fork.CANCUN)) == 5


def test_tstore_reverted_with_its_frame():
    """A TSTORE in a frame that reverts is undone (EIP-1153)."""
    outer = asm(7, 1, "TSTORE") + call(CONTRACT, in_size=1) + asm("POP") + ret_top(1, "TLOAD")
    inner = asm(9, 1, "TSTORE", 0, 0, "REVERT")
    assert word(run(self_dispatch(outer, inner), fork=Fork.CANCUN)) == 7


def test_tstore_kept_when_the_inner_frame_succeeds():
    outer = asm(7, 1, "TSTORE") + call(CONTRACT, in_size=1) + asm("POP") + ret_top(1, "TLOAD")
    inner = asm(9, 1, "TSTORE", "STOP")
    assert word(run(self_dispatch(outer, inner), fork=Fork.CANCUN)) == 9


def test_tstore_in_static_context_fails():
    state = State({OTHER: Account(code=asm(1, 0, "TSTORE"))})
    code = ret_top(call(OTHER, gas=50_000, opname="STATICCALL"))
    r = run(code, state=state, fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.gas_used == 18 + 2600 + 50_000 + RETURN_TOP_GAS


def test_tload_in_static_context_is_allowed():
    state = State({OTHER: Account(code=ret_top(0, "TLOAD"))})
    code = ret_top(call(OTHER, gas=50_000, opname="STATICCALL"))
    assert word(run(code, state=state, fork=Fork.CANCUN)) == 1


def test_tstore_does_not_refund_or_persist():
    r = run(asm(1, 0, "TSTORE", 0, 0, "TSTORE"), fork=Fork.CANCUN)
    assert r.gas_refund == 0 and r.gas_used == 12 + 200
    assert r.state.accounts[CONTRACT].storage == {}


def test_execute_code_leaves_the_input_state_alone():
    """The result carries the new state; the State passed in is not modified."""
    state = State({CONTRACT: Account(storage={0: 1})})
    r = run(asm(0, 0, "SSTORE", 5, 1, "SSTORE"), state=state)
    assert r.state.accounts[CONTRACT].storage == {1: 5}
    assert state.accounts[CONTRACT].storage == {0: 1}
