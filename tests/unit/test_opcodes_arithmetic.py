"""Arithmetic opcodes (0x01-0x0B): semantics at the 256-bit edges and exact gas.

Expected values follow the Yellow Paper (Appendix H) and the execution specs'
``vm/instructions/arithmetic.py``; operands are pushed so that the first
stack item (the top) is ``a``: ``PUSH c PUSH b PUSH a OP``.
"""
from __future__ import annotations

import pytest

from evm import Fork
from evm.opcodes import BY_NAME
from opcode_test_helpers import (
    U256_MAX,
    asm,
    base_gas,
    memory_cost,
    ret_top,
    run,
    static_gas,
    word,
)

NEG1 = U256_MAX
MIN_INT = 2**255  # -2**255 as a word


def neg(x: int) -> int:
    """-x as a 256-bit word."""
    return (-x) % 2**256


def eval_op(name: str, *args: int, fork: Fork = Fork.CANCUN):
    """Run ``PUSH args[-1] ... PUSH args[0] name`` and return (result word, exec result)."""
    code = ret_top(*reversed(args), name)
    r = run(code, fork=fork)
    assert r.success, r.error
    return word(r), r


CASES = [
    # ADD wraps modulo 2**256
    ("ADD", (1, 2), 3),
    ("ADD", (U256_MAX, 1), 0),
    ("ADD", (U256_MAX, U256_MAX), U256_MAX - 1),
    # MUL wraps
    ("MUL", (3, 7), 21),
    ("MUL", (2**255, 2), 0),
    ("MUL", (NEG1, NEG1), 1),
    ("MUL", (2**128, 2**128), 0),
    ("MUL", (2**128 + 1, 2**128 - 1), (2**256 - 1) % 2**256),
    # SUB: a - b, wrapping
    ("SUB", (5, 3), 2),
    ("SUB", (3, 5), neg(2)),
    ("SUB", (0, 1), U256_MAX),
    # DIV: a // b, x/0 = 0
    ("DIV", (7, 2), 3),
    ("DIV", (7, 0), 0),
    ("DIV", (U256_MAX, 1), U256_MAX),
    ("DIV", (U256_MAX, 2**128), 2**128 - 1),
    # SDIV: truncates toward zero; -2**255 / -1 overflows to -2**255; x/0 = 0
    ("SDIV", (neg(7), 2), neg(3)),
    ("SDIV", (7, neg(2)), neg(3)),
    ("SDIV", (neg(7), neg(2)), 3),
    ("SDIV", (MIN_INT, NEG1), MIN_INT),
    ("SDIV", (MIN_INT, 1), MIN_INT),
    ("SDIV", (neg(1), 0), 0),
    ("SDIV", (MIN_INT, 2), neg(2**254)),
    # MOD: x % 0 = 0
    ("MOD", (7, 3), 1),
    ("MOD", (7, 0), 0),
    ("MOD", (U256_MAX, 2**255), 2**255 - 1),
    # SMOD: the result takes the sign of the dividend
    ("SMOD", (neg(7), 3), neg(1)),
    ("SMOD", (7, neg(3)), 1),
    ("SMOD", (neg(7), neg(3)), neg(1)),
    ("SMOD", (MIN_INT, NEG1), 0),
    ("SMOD", (neg(7), 0), 0),
    ("SMOD", (MIN_INT, 3), neg(2**255 % 3)),
    # ADDMOD: (a + b) % N without 256-bit truncation of the sum; N = 0 gives 0
    ("ADDMOD", (10, 10, 8), 4),
    ("ADDMOD", (U256_MAX, 2, 2), (U256_MAX + 2) % 2),
    ("ADDMOD", (U256_MAX, U256_MAX, 7), (2 * U256_MAX) % 7),
    ("ADDMOD", (U256_MAX, 1, U256_MAX), 1),
    ("ADDMOD", (5, 6, 0), 0),
    # MULMOD: (a * b) % N with a 512-bit intermediate; N = 0 gives 0
    ("MULMOD", (10, 10, 8), 4),
    ("MULMOD", (U256_MAX, U256_MAX, 12), (U256_MAX * U256_MAX) % 12),
    ("MULMOD", (2**255, 2, U256_MAX), (2**256) % U256_MAX),
    ("MULMOD", (U256_MAX, U256_MAX, U256_MAX - 1), (U256_MAX * U256_MAX) % (U256_MAX - 1)),
    ("MULMOD", (5, 6, 0), 0),
    # EXP: a ** b mod 2**256
    ("EXP", (2, 10), 1024),
    ("EXP", (0, 0), 1),
    ("EXP", (2, 256), 0),
    ("EXP", (2, 255), 2**255),
    ("EXP", (3, U256_MAX), pow(3, U256_MAX, 2**256)),
    ("EXP", (NEG1, 2), 1),
    ("EXP", (NEG1, 3), NEG1),
    ("EXP", (0, 5), 0),
    # SIGNEXTEND: extend the sign of byte b (counted from the right) of x
    ("SIGNEXTEND", (0, 0xFF), NEG1),
    ("SIGNEXTEND", (0, 0x7F), 0x7F),
    ("SIGNEXTEND", (0, 0x1280), neg(0x80)),
    ("SIGNEXTEND", (1, 0x8000), neg(0x8000)),
    ("SIGNEXTEND", (1, 0xAB7FFF), 0x7FFF),
    ("SIGNEXTEND", (30, 0x80 << 240), (U256_MAX << 247) % 2**256),
    ("SIGNEXTEND", (31, 0x80 << 248), 0x80 << 248),
    ("SIGNEXTEND", (32, 0xFF), 0xFF),
    ("SIGNEXTEND", (U256_MAX, 0xFF), 0xFF),
    ("SIGNEXTEND", (2**64, 0xFF), 0xFF),
]


@pytest.mark.parametrize(
    "name,args,expected", CASES,
    ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)],
)
def test_arithmetic_result_at_edges(name, args, expected):
    got, _ = eval_op(name, *args)
    assert got == expected


@pytest.mark.parametrize("name,arity", [
    ("ADD", 2), ("MUL", 2), ("SUB", 2), ("DIV", 2), ("SDIV", 2), ("MOD", 2),
    ("SMOD", 2), ("ADDMOD", 3), ("MULMOD", 3), ("SIGNEXTEND", 2),
])
@pytest.mark.parametrize("fork", [Fork.FRONTIER, Fork.BERLIN, Fork.OSAKA])
def test_arithmetic_exact_gas(name, arity, fork):
    """Base gas only: GAS_VERY_LOW (ADD, SUB), GAS_LOW (MUL..SIGNEXTEND), GAS_MID (ADDMOD, MULMOD)."""
    code = ret_top(*([7] * arity), name)
    r = run(code, fork=fork)
    assert r.success
    assert r.gas_used == static_gas(code, fork) + memory_cost(32)


@pytest.mark.parametrize("name,spec_gas", [
    ("ADD", 3), ("SUB", 3), ("MUL", 5), ("DIV", 5), ("SDIV", 5), ("MOD", 5),
    ("SMOD", 5), ("SIGNEXTEND", 5), ("ADDMOD", 8), ("MULMOD", 8), ("EXP", 10),
])
def test_arithmetic_base_gas_is_yellow_paper_tier(name, spec_gas):
    """W_verylow = 3, W_low = 5, W_mid = 8, G_exp = 10, in every fork."""
    # bare "PUSH1 PUSH1 OP" (exponent 0 for EXP: no per-byte charge)
    n = BY_NAME[name].pops
    code = asm(*([0] * n), name)
    for fork in (Fork.FRONTIER, Fork.ISTANBUL, Fork.OSAKA):
        assert base_gas(fork, name) == spec_gas
        r = run(code, fork=fork)
        assert r.success and r.gas_used == 3 * n + spec_gas


@pytest.mark.parametrize("exponent,nbytes", [
    (0, 0), (1, 1), (0xFF, 1), (0x100, 2), (0xFFFF, 2), (0x10000, 3),
    (2**255, 32), (U256_MAX, 32),
])
@pytest.mark.parametrize("fork,per_byte", [
    (Fork.FRONTIER, 10), (Fork.TANGERINE_WHISTLE, 10),
    (Fork.SPURIOUS_DRAGON, 50), (Fork.CANCUN, 50),  # EIP-160
])
def test_exp_charges_per_exponent_byte(exponent, nbytes, fork, per_byte):
    code = ret_top(exponent, 3, "EXP")
    r = run(code, fork=fork)
    assert r.success
    assert word(r) == pow(3, exponent, 2**256)
    assert r.gas_used == static_gas(code, fork) + per_byte * nbytes + memory_cost(32)


def test_exp_out_of_gas_on_exponent_bytes():
    """EXP with a 32-byte exponent needs 10 + 50*32; one gas short halts."""
    code = asm(U256_MAX, 2, "EXP")
    need = 3 + 3 + 10 + 50 * 32
    r = run(code, gas=need - 1)
    assert r.error == "OutOfGasError" and r.gas_used == need - 1
    r = run(code, gas=need)
    assert r.success and r.gas_left == 0


def test_operand_order_first_pop_is_left_operand():
    """SUB/DIV/MOD/EXP take the top of the stack as the left operand."""
    assert eval_op("SUB", 10, 3)[0] == 7
    assert eval_op("DIV", 10, 3)[0] == 3
    assert eval_op("MOD", 10, 3)[0] == 1
    assert eval_op("EXP", 10, 3)[0] == 1000
    assert eval_op("SIGNEXTEND", 0, 0x80)[0] == neg(0x80)


@pytest.mark.parametrize("name", ["ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD",
                                  "EXP", "SIGNEXTEND", "ADDMOD", "MULMOD"])
def test_arithmetic_stack_underflow(name):
    """One operand fewer than needed: StackUnderflowError, all gas consumed."""
    n = BY_NAME[name].pops
    code = ret_top(*([1] * (n - 1)), name)
    r = run(code, gas=100_000)
    assert r.error == "StackUnderflowError"
    assert not r.success and r.gas_used == 100_000 and r.output == b""
