"""Property tests: every arithmetic, comparison and bitwise opcode, run through
the interpreter, against Python-int reference semantics written here.

Each example runs ``PUSH32 c? PUSH32 b PUSH32 a OP PUSH1 0 MSTORE PUSH1 32
PUSH1 0 RETURN`` (``a`` on top) and checks the returned word and the exact
gas. A second property runs random straight-line programs (arithmetic, DUP,
SWAP, POP) against a small Python stack machine.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evm import Fork
from evm.opcodes import BY_NAME, base_gas_table
from opcode_test_helpers import RETURN_TOP, RETURN_TOP_GAS, push, run

M = 2**256
MASK = M - 1


def s(x: int) -> int:
    """Signed view of a word."""
    return x - M if x >> 255 else x


def u(x: int) -> int:
    """Word view of a Python int."""
    return x % M


def _sdiv(a: int, b: int) -> int:
    sa, sb = s(a), s(b)
    if sb == 0:
        return 0
    q = abs(sa) // abs(sb)
    return u(-q if (sa < 0) != (sb < 0) else q)


def _smod(a: int, b: int) -> int:
    sa, sb = s(a), s(b)
    if sb == 0:
        return 0
    r = abs(sa) % abs(sb)
    return u(-r if sa < 0 else r)


def _signextend(b: int, x: int) -> int:
    if b >= 31:
        return x
    bit = 8 * b + 7
    low = x & ((1 << (bit + 1)) - 1)
    return low | (MASK ^ ((1 << (bit + 1)) - 1)) if (x >> bit) & 1 else low


def _byte(i: int, x: int) -> int:
    return (x >> (8 * (31 - i))) & 0xFF if i < 32 else 0


def _sar(shift: int, v: int) -> int:
    if shift >= 256:
        return MASK if v >> 255 else 0
    return u(s(v) >> shift)


#: name -> reference function of the stack arguments (first = top of stack)
REFERENCE: Dict[str, Callable[..., int]] = {
    "ADD": lambda a, b: (a + b) % M,
    "MUL": lambda a, b: (a * b) % M,
    "SUB": lambda a, b: (a - b) % M,
    "DIV": lambda a, b: a // b if b else 0,
    "SDIV": _sdiv,
    "MOD": lambda a, b: a % b if b else 0,
    "SMOD": _smod,
    "ADDMOD": lambda a, b, n: (a + b) % n if n else 0,
    "MULMOD": lambda a, b, n: (a * b) % n if n else 0,
    "EXP": lambda a, b: pow(a, b, M),
    "SIGNEXTEND": _signextend,
    "LT": lambda a, b: int(a < b),
    "GT": lambda a, b: int(a > b),
    "SLT": lambda a, b: int(s(a) < s(b)),
    "SGT": lambda a, b: int(s(a) > s(b)),
    "EQ": lambda a, b: int(a == b),
    "ISZERO": lambda a: int(a == 0),
    "AND": lambda a, b: a & b,
    "OR": lambda a, b: a | b,
    "XOR": lambda a, b: a ^ b,
    "NOT": lambda a: MASK ^ a,
    "BYTE": _byte,
    "SHL": lambda shift, v: (v << shift) % M if shift < 256 else 0,
    "SHR": lambda shift, v: v >> shift if shift < 256 else 0,
    "SAR": _sar,
    "CLZ": lambda a: 256 - a.bit_length(),
}

#: interesting words: 0, 1, small, the sign boundary, all ones, powers of two and neighbours
EDGES = sorted({0, 1, 2, 3, 7, 8, 31, 32, 33, 255, 256, 257, MASK, MASK - 1, 2**255, 2**255 - 1,
                2**255 + 1, 2**128, 2**128 - 1, 2**64, 2**64 - 1, 2**63, 2**32, 2**32 - 1}
               | {2**k for k in range(0, 256, 17)} | {M - 2**k for k in range(0, 256, 23)})

words = st.one_of(
    st.integers(0, MASK),
    st.sampled_from(EDGES),
    st.integers(0, 300),
    st.integers(0, 2**64 + 5),
    st.integers(-(2**70), 2**70).map(u),  # small signed values
    st.builds(lambda k, d: u(2**k + d), st.integers(0, 255), st.integers(-2, 2)),
)


def first_fork(name: str) -> Fork:
    return BY_NAME[name].since


def run_op(name: str, args: Tuple[int, ...], fork: Fork):
    """Run the op with ``args[0]`` on top; return (word, gas_used, expected gas)."""
    code = b"".join(push(v, 32) for v in reversed(args)) + bytes([BY_NAME[name].code]) + RETURN_TOP
    r = run(code, fork=fork)
    assert r.success, (name, args, r.error)
    gas = 3 * len(args) + base_gas_table(fork)[BY_NAME[name].code] + RETURN_TOP_GAS
    if name == "EXP":
        exponent = args[1]
        gas += (50 if fork >= Fork.SPURIOUS_DRAGON else 10) * ((exponent.bit_length() + 7) // 8)
    return int.from_bytes(r.output, "big"), r.gas_used, gas


SETTINGS = settings(max_examples=120, deadline=None, derandomize=False,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(REFERENCE))
@SETTINGS
@given(data=st.data())
def test_opcode_matches_reference(name, data):
    info = BY_NAME[name]
    args = tuple(data.draw(words, label=f"arg{i}") for i in range(info.pops))
    forks = [f for f in (Fork.FRONTIER, Fork.SPURIOUS_DRAGON, Fork.CONSTANTINOPLE, Fork.CANCUN, Fork.OSAKA)
             if f >= first_fork(name)]
    fork = data.draw(st.sampled_from(forks), label="fork")
    got, gas_used, gas = run_op(name, args, fork)
    assert got == REFERENCE[name](*args), (name, [hex(a) for a in args])
    assert gas_used == gas


@pytest.mark.parametrize("name", ["SDIV", "SMOD", "SIGNEXTEND", "SAR", "SLT", "SGT", "BYTE", "MULMOD", "ADDMOD"])
def test_edge_cross_product(name):
    """Every pair (or triple, with a fixed modulus set) of edge words: deterministic."""
    info = BY_NAME[name]
    edges = EDGES[::2] if info.pops == 2 else [0, 1, 2**255, MASK, 2**128 + 1]
    if info.pops == 2:
        cases = [(a, b) for a in edges for b in edges]
    else:
        cases = [(a, b, n) for a in edges for b in edges for n in edges]
    code_op = bytes([info.code])
    # one program per case would be slow: evaluate 16 cases per run, results in memory
    for i in range(0, len(cases), 16):
        chunk = cases[i:i + 16]
        code = b""
        for j, args in enumerate(chunk):
            code += b"".join(push(v, 32) for v in reversed(args)) + code_op + push(32 * j, 2) + b"\x52"
        code += push(32 * len(chunk), 2) + push(0) + b"\xf3"
        r = run(code, fork=Fork.OSAKA)
        assert r.success
        for j, args in enumerate(chunk):
            got = int.from_bytes(r.output[32 * j:32 * j + 32], "big")
            assert got == REFERENCE[name](*args), (name, [hex(a) for a in args])


# -- random straight-line programs against a Python stack machine -------------

BINARY = [n for n in REFERENCE if BY_NAME[n].pops == 2 and n != "EXP"]
UNARY = [n for n in REFERENCE if BY_NAME[n].pops == 1]
TERNARY = ["ADDMOD", "MULMOD"]


@st.composite
def programs(draw):
    """A list of instructions keeping 1..40 items on the stack."""
    ops: List[Tuple[str, int]] = [("PUSH", draw(words))]
    depth = 1
    for _ in range(draw(st.integers(1, 60))):
        choices = ["PUSH"]
        if depth >= 1:
            choices += ["UNARY", "DUP"]
        if depth >= 2:
            choices += ["BINARY", "SWAP", "POP", "EXP"]
        if depth >= 3:
            choices += ["TERNARY"]
        kind = draw(st.sampled_from(choices))
        if depth >= 40 and kind in ("PUSH", "DUP"):
            kind = "POP"
        if kind == "PUSH":
            ops.append(("PUSH", draw(words)))
            depth += 1
        elif kind == "UNARY":
            ops.append((draw(st.sampled_from(UNARY)), 0))
        elif kind == "BINARY":
            ops.append((draw(st.sampled_from(BINARY)), 0))
            depth -= 1
        elif kind == "EXP":
            ops.append(("EXP", 0))
            depth -= 1
        elif kind == "TERNARY":
            ops.append((draw(st.sampled_from(TERNARY)), 0))
            depth -= 2
        elif kind == "DUP":
            ops.append((f"DUP{draw(st.integers(1, min(16, depth)))}", 0))
            depth += 1
        elif kind == "SWAP":
            ops.append((f"SWAP{draw(st.integers(1, min(16, depth - 1)))}", 0))
        else:
            ops.append(("POP", 0))
            depth -= 1
    return ops


def simulate(ops, fork: Fork):
    """Assemble ``ops``, run them in Python; return (code, final stack (top last), gas)."""
    table = base_gas_table(fork)
    stack: List[int] = []
    code = b""
    gas = 0
    for name, value in ops:
        if name == "PUSH":
            code += push(value, 32)
            stack.append(value)
            gas += 3
            continue
        info = BY_NAME[name]
        code += bytes([info.code])
        gas += table[info.code]
        if name.startswith("DUP"):
            stack.append(stack[-int(name[3:])])
        elif name.startswith("SWAP"):
            n = int(name[4:])
            stack[-1], stack[-1 - n] = stack[-1 - n], stack[-1]
        elif name == "POP":
            stack.pop()
        else:
            args = [stack.pop() for _ in range(info.pops)]
            if name == "EXP":
                gas += 50 * ((args[1].bit_length() + 7) // 8)
            stack.append(REFERENCE[name](*args))
    return code, stack, gas


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=programs())
def test_random_programs_match_stack_machine(ops):
    fork = Fork.OSAKA
    code, stack, gas = simulate(ops, fork)
    n = len(stack)
    # store every remaining item (top first) at 32*i, then return them all
    tail = b""
    for i in range(n):
        tail += push(32 * i, 2) + b"\x52"  # MSTORE
    tail += push(32 * n, 2) + push(0) + b"\xf3"
    r = run(code + tail, fork=fork)
    assert r.success, r.error
    got = [int.from_bytes(r.output[32 * i:32 * i + 32], "big") for i in range(n)]
    assert got == stack[::-1]
    mem_words = n
    tail_gas = n * (3 + 3) + 3 + 3 + 3 * mem_words + mem_words * mem_words // 512
    assert r.gas_used == gas + tail_gas
