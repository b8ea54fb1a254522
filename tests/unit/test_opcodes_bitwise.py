"""Comparison and bitwise opcodes (0x10-0x1E): LT..SAR, BYTE, CLZ (EIP-7939).

Semantics from the Yellow Paper, EIP-145 (shifts, Constantinople) and
EIP-7939 (CLZ, Osaka). The top of the stack is the first argument:
``eval_op("SHL", shift, value)`` runs ``PUSH value PUSH shift SHL``.
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

MIN_INT = 2**255


def neg(x: int) -> int:
    """-x as a 256-bit word."""
    return (-x) % 2**256


def eval_op(name: str, *args: int, fork: Fork = Fork.OSAKA) -> int:
    """Result word of ``name`` applied to ``args`` (args[0] on top of the stack)."""
    r = run(ret_top(*reversed(args), name), fork=fork)
    assert r.success, r.error
    return word(r)


CASES = [
    # unsigned comparisons
    ("LT", (1, 2), 1), ("LT", (2, 1), 0), ("LT", (2, 2), 0), ("LT", (0, U256_MAX), 1),
    ("GT", (2, 1), 1), ("GT", (1, 2), 0), ("GT", (2, 2), 0), ("GT", (U256_MAX, 0), 1),
    # signed comparisons: the top bit is the sign
    ("SLT", (neg(1), 0), 1), ("SLT", (0, neg(1)), 0), ("SLT", (MIN_INT, 2**255 - 1), 1),
    ("SLT", (neg(2), neg(1)), 1), ("SLT", (5, 5), 0),
    ("SGT", (0, neg(1)), 1), ("SGT", (neg(1), 0), 0), ("SGT", (2**255 - 1, MIN_INT), 1),
    ("SGT", (neg(1), neg(2)), 1), ("SGT", (5, 5), 0),
    ("EQ", (5, 5), 1), ("EQ", (5, 6), 0), ("EQ", (U256_MAX, U256_MAX), 1),
    ("EQ", (1, 1 + 2**128), 0),
    ("ISZERO", (0,), 1), ("ISZERO", (1,), 0), ("ISZERO", (2**255,), 0),
    # bitwise logic
    ("AND", (0xF0F0, 0xFF00), 0xF000), ("AND", (U256_MAX, 2**200 + 7), 2**200 + 7),
    ("OR", (0xF0F0, 0x0F00), 0xFFF0), ("OR", (2**255, 1), 2**255 + 1),
    ("XOR", (0xFF00, 0x0FF0), 0xF0F0), ("XOR", (U256_MAX, U256_MAX), 0),
    ("NOT", (0,), U256_MAX), ("NOT", (U256_MAX,), 0), ("NOT", (0xFF,), U256_MAX - 0xFF),
    # BYTE: byte i counted from the most significant end; i >= 32 gives 0
    ("BYTE", (0, 0xAB << 248), 0xAB), ("BYTE", (31, 0x12AB), 0xAB), ("BYTE", (30, 0x12AB), 0x12),
    ("BYTE", (32, U256_MAX), 0), ("BYTE", (U256_MAX, U256_MAX), 0), ("BYTE", (2**64, U256_MAX), 0),
    ("BYTE", (15, int.from_bytes(bytes(range(32)), "big")), 15),
    # SHL / SHR / SAR (EIP-145): shift >= 256 gives 0 (or all ones for negative SAR)
    ("SHL", (0, 1), 1), ("SHL", (1, 1), 2), ("SHL", (255, 1), 2**255), ("SHL", (256, 1), 0),
    ("SHL", (1, U256_MAX), U256_MAX - 1), ("SHL", (U256_MAX, 1), 0), ("SHL", (2**64, 1), 0),
    ("SHL", (4, 0xFF << 248), 0xF0 << 248),
    ("SHR", (0, 1), 1), ("SHR", (1, 1), 0), ("SHR", (1, 2), 1), ("SHR", (255, 2**255), 1),
    ("SHR", (256, U256_MAX), 0), ("SHR", (2**128, U256_MAX), 0), ("SHR", (4, 0xFF), 0xF),
    ("SAR", (1, 2), 1), ("SAR", (1, MIN_INT), 3 << 254), ("SAR", (255, MIN_INT), U256_MAX),
    ("SAR", (256, MIN_INT), U256_MAX), ("SAR", (U256_MAX, MIN_INT), U256_MAX),
    ("SAR", (256, 2**255 - 1), 0), ("SAR", (254, 2**255 - 1), 1), ("SAR", (2**70, 1), 0),
    ("SAR", (0, neg(5)), neg(5)), ("SAR", (1, neg(5)), neg(3)), ("SAR", (4, neg(1)), U256_MAX),
    # CLZ (EIP-7939): number of leading zero bits; 256 for zero
    ("CLZ", (0,), 256), ("CLZ", (1,), 255), ("CLZ", (2**255,), 0), ("CLZ", (U256_MAX,), 0),
    ("CLZ", (2**128,), 127), ("CLZ", (2**64 - 1,), 192), ("CLZ", (0x7F << 248,), 1),
]


@pytest.mark.parametrize("name,args,expected", CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_bitwise_and_comparison_results(name, args, expected):
    assert eval_op(name, *args) == expected


BITWISE_OPS = ["LT", "GT", "SLT", "SGT", "EQ", "ISZERO", "AND", "OR", "XOR", "NOT",
               "BYTE", "SHL", "SHR", "SAR", "CLZ"]


@pytest.mark.parametrize("name", BITWISE_OPS)
def test_bitwise_exact_gas(name):
    """GAS_VERY_LOW (3) for all of them except CLZ, GAS_LOW (5) (EIP-7939)."""
    fork = Fork.OSAKA
    n = BY_NAME[name].pops
    code = asm(*([9] * n), name)
    r = run(code, fork=fork)
    assert r.success
    spec = 5 if name == "CLZ" else 3
    assert base_gas(fork, name) == spec
    assert r.gas_used == 3 * n + spec
    code = ret_top(*([9] * n), name)
    assert run(code, fork=fork).gas_used == static_gas(code, fork) + memory_cost(32)


@pytest.mark.parametrize("name", ["SHL", "SHR", "SAR"])
def test_shifts_arrive_at_constantinople(name):
    code = asm(1, 1, name, "STOP")
    for fork in Fork:
        r = run(code, fork=fork, gas=50_000)
        if fork >= Fork.CONSTANTINOPLE:
            assert r.success and r.gas_used == 9, fork
        else:
            assert r.error == "InvalidOpcode" and r.gas_used == 50_000, fork


def test_clz_arrives_at_osaka():
    code = ret_top(0x10, "CLZ")
    r = run(code, fork=Fork.PRAGUE, gas=50_000)
    assert r.error == "InvalidOpcode" and r.gas_used == 50_000
    r = run(code, fork=Fork.OSAKA)
    assert r.success and word(r) == 251


def test_byte_operand_order():
    """BYTE pops the index first, then the word (top = index)."""
    code = ret_top(0x1122, 30, "BYTE")
    assert word(run(code)) == 0x11


def test_comparison_operand_order():
    """LT computes top < second."""
    assert word(run(ret_top(2, 1, "LT"))) == 1  # 1 < 2
    assert word(run(ret_top(1, 2, "LT"))) == 0  # 2 < 1


@pytest.mark.parametrize("name", BITWISE_OPS)
def test_bitwise_stack_underflow(name):
    n = BY_NAME[name].pops
    r = run(asm(*([1] * (n - 1)), name), fork=Fork.OSAKA, gas=10_000)
    assert r.error == "StackUnderflowError" and r.gas_used == 10_000
