"""Environment opcodes (0x30-0x3F, SELFBALANCE): ADDRESS ... EXTCODEHASH.

Rules from the Yellow Paper and EIP-150 (repricing), EIP-1884 (Istanbul),
EIP-2929 (Berlin cold/warm access), EIP-211 (RETURNDATA*), EIP-1052
(EXTCODEHASH), EIP-1884 (SELFBALANCE). Copies past the end of calldata and
code read zeros; RETURNDATACOPY past the end of the return data halts.
"""
from __future__ import annotations

import pytest

from evm import Account, BlockEnv, Fork, State, Transaction, apply_transaction
from evm.crypto import keccak256
from evm.state import EMPTY_CODE_HASH
from opcode_test_helpers import (
    CALLER,
    CONTRACT,
    RETURN_TOP_GAS,
    U256_MAX,
    asm,
    call,
    memory_cost,
    ret_top,
    run,
    static_gas,
    word,
    words,
)

OTHER = bytes.fromhex("00000000000000000000000000000000000b0b00")
OTHER_INT = int.from_bytes(OTHER, "big")
OTHER_CODE = bytes.fromhex("6001600055") + bytes(range(0x20, 0x40))
IDENTITY = 4

GAS_COLD_ACCOUNT_ACCESS = 2600
GAS_WARM_ACCESS = 100


def world(**extra) -> State:
    """CONTRACT with 7 wei, OTHER with code and 1 ether."""
    s = State({OTHER: Account(nonce=1, balance=10**18, code=OTHER_CODE)})
    for k, v in extra.items():
        s.set_account(bytes.fromhex(k), v)
    return s


# -- ADDRESS, ORIGIN, CALLER, CALLVALUE -----------------------------------

@pytest.mark.parametrize("name,expected", [
    ("ADDRESS", int.from_bytes(CONTRACT, "big")),
    ("CALLER", int.from_bytes(CALLER, "big")),
    ("ORIGIN", int.from_bytes(CALLER, "big")),  # execute_code: the caller is the origin
    ("CALLVALUE", 12345),
    ("GASPRICE", 0),  # execute_code runs without a transaction: gas price 0
])
def test_context_values_and_gas(name, expected):
    code = ret_top(name)
    r = run(code, value=12345)
    assert r.success and word(r) == expected
    assert r.gas_used == 2 + RETURN_TOP_GAS  # GAS_BASE + RETURN_TOP


def test_origin_and_gasprice_from_a_transaction():
    sender = bytes.fromhex("00000000000000000000000000000000000a11ce")
    state = State({sender: Account(balance=10**18),
                   OTHER: Account(code=asm("ORIGIN", 0, "SSTORE", "GASPRICE", 1, "SSTORE",
                                           "CALLER", 2, "SSTORE"))})
    tx = Transaction(sender=sender, to=OTHER, gas_limit=200_000, gas_price=7)
    res = apply_transaction(state, BlockEnv(), tx, Fork.CANCUN)
    assert res.success
    st = state.accounts[OTHER].storage
    assert st[0] == int.from_bytes(sender, "big")
    assert st[1] == 7
    assert st[2] == int.from_bytes(sender, "big")


def test_caller_and_address_inside_a_call():
    """In a CALL the callee sees CALLER = the calling contract, ADDRESS = itself."""
    callee = asm("CALLER", 0, "MSTORE", "ADDRESS", 32, "MSTORE", 64, 0, "RETURN")
    state = world()
    state.accounts[OTHER].code = callee
    code = call(OTHER, out_size=64) + asm(64, 0, "RETURN")
    r = run(code, state=state)
    assert r.output[:32] == CONTRACT.rjust(32, b"\0")
    assert r.output[32:] == OTHER.rjust(32, b"\0")


# -- BALANCE / SELFBALANCE -------------------------------------------------

@pytest.mark.parametrize("fork,cost", [
    (Fork.FRONTIER, 20), (Fork.TANGERINE_WHISTLE, 400), (Fork.ISTANBUL, 700),
    (Fork.BERLIN, GAS_COLD_ACCOUNT_ACCESS), (Fork.CANCUN, GAS_COLD_ACCOUNT_ACCESS),
])
def test_balance_value_and_gas_per_fork(fork, cost):
    code = ret_top(OTHER_INT, "BALANCE")
    r = run(code, state=world(), fork=fork)
    assert word(r) == 10**18
    assert r.gas_used == 3 + cost + RETURN_TOP_GAS


def test_balance_warm_after_first_access():
    code = asm(OTHER_INT, "BALANCE", "POP", OTHER_INT, "BALANCE")
    r = run(code, state=world(), fork=Fork.BERLIN)
    assert r.gas_used == 3 + 2600 + 2 + 3 + 100


def test_balance_of_self_and_caller_is_warm():
    """execute_code warms the caller and the contract, as a transaction does."""
    r = run(asm(int.from_bytes(CONTRACT, "big"), "BALANCE", int.from_bytes(CALLER, "big"), "BALANCE"),
            fork=Fork.CANCUN)
    assert r.gas_used == 3 + 100 + 3 + 100


def test_balance_of_precompile_is_warm():
    r = run(asm(IDENTITY, "BALANCE"), fork=Fork.CANCUN)
    assert r.gas_used == 3 + 100


def test_balance_ignores_high_address_bits():
    code = ret_top((2**255) | OTHER_INT, "BALANCE")
    assert word(run(code, state=world())) == 10**18


def test_balance_of_missing_account_is_zero():
    assert word(run(ret_top(0xDEAD, "BALANCE"))) == 0


def test_selfbalance_value_and_gas():
    state = State({CONTRACT: Account(balance=777)})
    code = ret_top("SELFBALANCE")
    r = run(code, state=state, fork=Fork.ISTANBUL)
    assert word(r) == 777
    assert r.gas_used == 5 + RETURN_TOP_GAS  # GAS_FAST_STEP (EIP-1884)
    r = run(code, state=state, fork=Fork.PETERSBURG, gas=10_000)
    assert r.error == "InvalidOpcode"


def test_selfbalance_includes_callvalue():
    state = State({CONTRACT: Account(balance=5)})
    assert word(run(ret_top("SELFBALANCE"), state=state, value=10)) == 15


# -- CALLDATALOAD / CALLDATASIZE / CALLDATACOPY ------------------------------

DATA = bytes(range(1, 41))  # 40 bytes


@pytest.mark.parametrize("offset,expected", [
    (0, DATA[:32]),
    (8, DATA[8:40]),
    (9, DATA[9:] + b"\0"),
    (39, DATA[39:] + bytes(31)),
    (40, bytes(32)),
    (1000, bytes(32)),
    (2**64, bytes(32)),
    (U256_MAX, bytes(32)),
])
def test_calldataload_pads_with_zeros_past_the_end(offset, expected):
    code = ret_top(offset, "CALLDATALOAD")
    r = run(code, input=DATA)
    assert r.output == expected
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(32)


def test_calldatasize():
    code = ret_top("CALLDATASIZE")
    assert word(run(code, input=DATA)) == 40
    assert word(run(code)) == 0
    assert run(code).gas_used == 2 + RETURN_TOP_GAS


@pytest.mark.parametrize("data_offset,size,expected", [
    (0, 40, DATA),
    (30, 20, DATA[30:] + bytes(10)),
    (40, 5, bytes(5)),
    (2**255, 33, bytes(33)),
    (U256_MAX, 3, bytes(3)),
    (0, 0, b""),
])
def test_calldatacopy_pads_and_charges_per_word(data_offset, size, expected):
    code = asm(size, data_offset, 0, "CALLDATACOPY", size, 0, "RETURN")
    r = run(code, input=DATA)
    assert r.success and r.output == expected
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 3 * words(size) + memory_cost(size)


def test_calldatacopy_zero_size_huge_offsets_is_free():
    code = asm(0, U256_MAX, U256_MAX, "CALLDATACOPY", "MSIZE") + ret_top()
    r = run(code, input=DATA)
    assert word(r) == 0 and r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(32)


def test_calldatacopy_huge_memory_offset_out_of_gas():
    r = run(asm(1, 0, 2**64, "CALLDATACOPY"), input=DATA, gas=500_000)
    assert r.error == "OutOfGasError" and r.gas_used == 500_000


def test_calldatacopy_huge_size_out_of_gas():
    r = run(asm(2**40, 0, 0, "CALLDATACOPY"), input=DATA, gas=500_000)
    assert r.error == "OutOfGasError"


# -- CODESIZE / CODECOPY ------------------------------------------------------

def test_codesize():
    code = ret_top("CODESIZE") + b"\xfe" * 10
    r = run(code)
    assert word(r) == len(code) and r.gas_used == 2 + RETURN_TOP_GAS


@pytest.mark.parametrize("code_offset,size", [(0, 20), (5, 40), (100, 7), (U256_MAX, 32), (2**64 + 1, 2)])
def test_codecopy_pads_with_zeros(code_offset, size):
    code = asm(size, code_offset, 0, "CODECOPY", size, 0, "RETURN")
    r = run(code)
    padded = code + bytes(max(0, min(code_offset, 2**20) + size))
    expected = padded[code_offset:code_offset + size] if code_offset < 2**20 else bytes(size)
    assert r.output == expected
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 3 * words(size) + memory_cost(size)


# -- EXTCODESIZE / EXTCODECOPY / EXTCODEHASH -------------------------------

@pytest.mark.parametrize("fork,cost", [
    (Fork.FRONTIER, 20), (Fork.TANGERINE_WHISTLE, 700), (Fork.ISTANBUL, 700), (Fork.BERLIN, 2600),
])
def test_extcodesize_value_and_gas(fork, cost):
    code = ret_top(OTHER_INT, "EXTCODESIZE")
    r = run(code, state=world(), fork=fork)
    assert word(r) == len(OTHER_CODE)
    assert r.gas_used == 3 + cost + RETURN_TOP_GAS


def test_extcodesize_of_self_and_missing():
    assert word(run(ret_top(int.from_bytes(CONTRACT, "big"), "EXTCODESIZE"))) == len(
        ret_top(int.from_bytes(CONTRACT, "big"), "EXTCODESIZE"))
    assert word(run(ret_top(0xDEAD, "EXTCODESIZE"))) == 0


@pytest.mark.parametrize("fork,access", [
    (Fork.FRONTIER, 20), (Fork.TANGERINE_WHISTLE, 700), (Fork.BERLIN, 2600), (Fork.CANCUN, 2600),
])
def test_extcodecopy_value_and_gas(fork, access):
    code = asm(40, 3, 0, OTHER_INT, "EXTCODECOPY", 40, 0, "RETURN")
    r = run(code, state=world(), fork=fork)
    assert r.output == (OTHER_CODE + bytes(40))[3:43]
    base = 3 * 4 + access + 3 + 3 + 0
    assert r.gas_used == base + 3 * words(40) + memory_cost(40)


def test_extcodecopy_warm_second_time():
    one = asm(1, 0, 0, OTHER_INT, "EXTCODECOPY")
    r = run(one + one, state=world(), fork=Fork.BERLIN)
    assert r.gas_used == (12 + 2600 + 3 + 3) + (12 + 100 + 3)


def test_extcodecopy_zero_size_huge_offsets():
    code = asm(0, U256_MAX, U256_MAX, OTHER_INT, "EXTCODECOPY", "MSIZE") + ret_top()
    r = run(code, state=world(), fork=Fork.CANCUN)
    assert r.success and word(r) == 0
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 2500 + memory_cost(32)


def test_extcodecopy_huge_destination_out_of_gas():
    r = run(asm(1, 0, 2**64, OTHER_INT, "EXTCODECOPY"), state=world(), gas=300_000)
    assert r.error == "OutOfGasError" and r.gas_used == 300_000


@pytest.mark.parametrize("fork,cost", [
    (Fork.CONSTANTINOPLE, 400), (Fork.ISTANBUL, 700), (Fork.BERLIN, 2600), (Fork.OSAKA, 2600),
])
def test_extcodehash_value_and_gas(fork, cost):
    code = ret_top(OTHER_INT, "EXTCODEHASH")
    r = run(code, state=world(), fork=fork)
    assert r.output == keccak256(OTHER_CODE)
    assert r.gas_used == 3 + cost + RETURN_TOP_GAS


def test_extcodehash_undefined_before_constantinople():
    r = run(ret_top(OTHER_INT, "EXTCODEHASH"), state=world(), fork=Fork.BYZANTIUM, gas=10_000)
    assert r.error == "InvalidOpcode" and r.gas_used == 10_000


def test_extcodehash_of_missing_empty_and_codeless_accounts():
    """EIP-1052: 0 for a non-existent or empty account, keccak256(b"") for one without code."""
    codeless = bytes.fromhex("00000000000000000000000000000000000c0c0c")
    empty = bytes.fromhex("00000000000000000000000000000000000e0e0e")
    state = State({codeless: Account(balance=1), empty: Account()})
    for addr, expected in [(0xDEAD, bytes(32)), (empty, bytes(32)), (codeless, EMPTY_CODE_HASH)]:
        a = addr if isinstance(addr, int) else int.from_bytes(addr, "big")
        r = run(ret_top(a, "EXTCODEHASH"), state=state, fork=Fork.CANCUN)
        assert r.output == expected, addr


def test_extcodehash_of_self():
    code = ret_top(int.from_bytes(CONTRACT, "big"), "EXTCODEHASH")
    r = run(code)
    assert r.output == keccak256(code) and r.gas_used == 3 + 100 + RETURN_TOP_GAS


# -- RETURNDATASIZE / RETURNDATACOPY ---------------------------------------

def identity_call(n: int) -> bytes:
    """Fill memory[0:n] with 0xAA.. bytes, call the identity precompile on it."""
    return asm(int.from_bytes(bytes([0xAA]) * 32, "big"), 0, "MSTORE") + call(
        IDENTITY, gas=1000, in_size=n)


def test_returndatasize_is_zero_at_start_and_after_call():
    r = run(ret_top("RETURNDATASIZE"))
    assert word(r) == 0 and r.gas_used == 2 + RETURN_TOP_GAS
    r = run(identity_call(5) + asm("POP", "RETURNDATASIZE") + ret_top())
    assert word(r) == 5


def test_returndata_opcodes_undefined_before_byzantium():
    for name in ("RETURNDATASIZE",):
        r = run(asm(name), fork=Fork.SPURIOUS_DRAGON, gas=10_000)
        assert r.error == "InvalidOpcode"
    r = run(asm(0, 0, 0, "RETURNDATACOPY"), fork=Fork.SPURIOUS_DRAGON, gas=10_000)
    assert r.error == "InvalidOpcode"


def test_returndatacopy_copies_and_charges():
    code = identity_call(20) + asm("POP", 20, 0, 64, "RETURNDATACOPY", 20, 64, "RETURN")
    r = run(code)
    assert r.success and r.output == b"\xaa" * 20
    # call: 100 (warm precompile) + identity 15 + 3; memory grows to 84 bytes
    fixed = static_gas(code, Fork.CANCUN)
    assert r.gas_used == fixed + 15 + 3 + 3 * words(20) + memory_cost(84)


@pytest.mark.parametrize("offset,size,error", [
    (0, 6, "OutOfBoundsRead"), (5, 1, "OutOfBoundsRead"), (1, 5, "OutOfBoundsRead"),
    (6, 0, "OutOfBoundsRead"), (2**64, 0, "OutOfBoundsRead"), (U256_MAX, 1, "OutOfBoundsRead"),
    # the memory expansion for a huge size is charged before the bounds check
    (3, U256_MAX, "OutOfGasError"),
])
def test_returndatacopy_out_of_bounds_halts(offset, size, error):
    """EIP-211: offset + size > RETURNDATASIZE is an exceptional halt (all gas)."""
    code = identity_call(5) + asm("POP", size, offset, 0, "RETURNDATACOPY")
    r = run(code, gas=200_000)
    assert r.error == error
    assert r.gas_used == 200_000 and not r.success


@pytest.mark.parametrize("offset,size", [(0, 5), (5, 0), (4, 1), (0, 0)])
def test_returndatacopy_within_bounds_succeeds(offset, size):
    code = identity_call(5) + asm("POP", size, offset, 0, "RETURNDATACOPY")
    assert run(code).success


def test_returndatacopy_with_no_return_data():
    assert run(asm(0, 0, 0, "RETURNDATACOPY")).success
    r = run(asm(1, 0, 0, "RETURNDATACOPY"), gas=50_000)
    assert r.error == "OutOfBoundsRead" and r.gas_used == 50_000


def test_return_data_of_a_reverted_call_is_kept():
    callee = asm(0x1234, 0, "MSTORE", 32, 0, "REVERT")
    state = world()
    state.accounts[OTHER].code = callee
    code = call(OTHER) + asm("RETURNDATASIZE", 0, "MSTORE", 32, 0, 32, "RETURNDATACOPY", 64, 0, "RETURN")
    r = run(code, state=state)
    assert word(r) == (32 << 256) | 0x1234


def test_return_data_is_cleared_by_a_new_call():
    """A later call that returns nothing resets RETURNDATASIZE to 0."""
    code = identity_call(5) + asm("POP") + call(IDENTITY, gas=1000) + asm("POP", "RETURNDATASIZE") + ret_top()
    assert word(run(code)) == 0
