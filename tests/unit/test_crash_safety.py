"""Crash safety: arbitrary bytecode must end in a clean result, never a crash.

For every program, in every fork tried: no Python exception, no crash of the
process, ``error`` is None or one of the spec's halt names, ``gas_used`` is
within the budget, and an exceptional halt consumes all gas and returns no
output.

Three sources of programs:
  * hypothesis: raw random bytes, and op sequences built from real opcodes;
  * a seeded ``random`` corpus biased towards the dangerous cases (huge
    offsets/sizes, CALL/CREATE/RETURNDATACOPY/MCOPY/EXTCODECOPY with absurd
    arguments, self-recursion through CALL and CREATE to the depth limit).
The corpus runs in a subprocess (this file is also the worker: ``python
test_crash_safety.py SEED START COUNT``), so a segfault becomes a test failure
naming the offending code instead of killing pytest.
"""
from __future__ import annotations

import os
import random
import subprocess
import sys
from typing import Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HERE = os.path.dirname(os.path.abspath(__file__))
if __name__ == "__main__":  # worker mode: make the package and the helpers importable
    sys.path[:0] = [os.path.dirname(os.path.dirname(HERE)), HERE]

from evm import Account, Fork, State, execute_code  # noqa: E402
from evm.executor import DEFAULT_CALLER, DEFAULT_CONTRACT  # noqa: E402
from evm.opcodes import OPCODES  # noqa: E402
from opcode_test_helpers import HALT_NAMES  # noqa: E402

OTHER = bytes.fromhex("00000000000000000000000000000000000b0b00")
FORKS = [Fork.FRONTIER, Fork.HOMESTEAD, Fork.TANGERINE_WHISTLE, Fork.SPURIOUS_DRAGON,
         Fork.BYZANTIUM, Fork.CONSTANTINOPLE, Fork.PETERSBURG, Fork.ISTANBUL, Fork.BERLIN,
         Fork.LONDON, Fork.PARIS, Fork.SHANGHAI, Fork.CANCUN, Fork.PRAGUE, Fork.OSAKA]

NASTY = [0, 1, 2, 3, 31, 32, 33, 63, 64, 96, 0xFF, 0x100, 1023, 1024, 0x5FFF, 0x6000, 0x6001,
         0xC000, 0xC001, 2**16, 2**24, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1,
         2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**64 + 1, 2**96, 2**128, 2**160 - 1, 2**255,
         2**256 - 1, 2**256 - 32, 2**256 - 2**32]
ADDRESSES = [0, *range(1, 0x12), 0x100, int.from_bytes(DEFAULT_CONTRACT, "big"),
             int.from_bytes(OTHER, "big"), int.from_bytes(DEFAULT_CALLER, "big"), 0xDEAD]
#: opcodes whose arguments are offsets, sizes, addresses or gas
DANGEROUS = ["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL", "CREATE", "CREATE2",
             "RETURNDATACOPY", "MCOPY", "EXTCODECOPY", "CODECOPY", "CALLDATACOPY", "KECCAK256",
             "LOG0", "LOG2", "LOG4", "RETURN", "REVERT", "MLOAD", "MSTORE", "MSTORE8",
             "SELFDESTRUCT", "SSTORE", "SLOAD", "TSTORE", "TLOAD", "BLOCKHASH", "BLOBHASH",
             "EXP", "JUMP", "JUMPI", "CALLDATALOAD", "BALANCE", "EXTCODESIZE", "EXTCODEHASH",
             "SIGNEXTEND", "BYTE", "SAR", "SDIV", "SMOD", "MULMOD", "ADDMOD"]
BY_NAME = {info.name: info for info in OPCODES.values()}
REAL_OPS = sorted(OPCODES)
GASES = [0, 1, 2, 3, 100, 2300, 21_000, 100_000, 400_000, 1_000_000, 2_000_000]


# -- checking one run -------------------------------------------------------------

def check_result(r, gas: int) -> Optional[str]:
    """None if ``r`` is a clean outcome for a budget of ``gas``, else what is wrong."""
    if r.error is not None and r.error not in HALT_NAMES:
        return f"unknown error name {r.error!r}"
    if r.success != (r.error is None):
        return f"success={r.success} but error={r.error!r}"
    if not 0 <= r.gas_used <= gas or r.gas_left != gas - r.gas_used:
        return f"gas_used={r.gas_used} gas_left={r.gas_left} for gas={gas}"
    if not isinstance(r.output, bytes):
        return f"output is {type(r.output).__name__}"
    if r.error not in (None, "Revert") and (r.gas_used != gas or r.output):
        return f"exceptional halt {r.error} kept gas ({r.gas_left}) or output ({len(r.output)} bytes)"
    if not r.success and r.logs:
        return "failed execution kept logs"
    if r.success and r.gas_refund < 0:
        return f"negative refund {r.gas_refund}"
    return None


def world(other_code: bytes) -> State:
    """Funded contract and caller, and a second contract running ``other_code``."""
    return State({
        DEFAULT_CONTRACT: Account(nonce=1, balance=10**20, storage={0: 1, 1: 2**255}),
        DEFAULT_CALLER: Account(balance=10**20),
        OTHER: Account(nonce=1, balance=1, code=other_code, storage={5: 5}),
    })


def execute_case(code: bytes, fork: Fork, gas: int, data: bytes, other: bytes) -> Optional[str]:
    """Run one case; a description of the problem, or None."""
    try:
        r = execute_code(code, input=data, gas=gas, fork=fork, state=world(other), value=1)
    except Exception as exc:  # any exception is a failure: bad bytecode is not bad input
        return f"raised {type(exc).__name__}: {exc}"
    return check_result(r, gas)


# -- the seeded corpus ------------------------------------------------------------

def _value(rng: random.Random) -> int:
    x = rng.random()
    if x < 0.45:
        return rng.choice(NASTY)
    if x < 0.65:
        return rng.choice(ADDRESSES)
    if x < 0.75:
        return rng.getrandbits(256)
    return rng.randint(0, 300)


def _push(v: int) -> bytes:
    n = max(1, (v.bit_length() + 7) // 8)
    return bytes([0x5F + n]) + v.to_bytes(n, "big")


def _op(name: str) -> bytes:
    return bytes([BY_NAME[name].code])


def _with_args(rng: random.Random, name: str) -> bytes:
    info = BY_NAME[name]
    return b"".join(_push(_value(rng)) for _ in range(info.pops)) + _op(name)


def _random_bytes(rng: random.Random) -> bytes:
    out = bytearray()
    for _ in range(rng.randint(1, 200)):
        if rng.random() < 0.75:
            op = rng.choice(REAL_OPS)
            out.append(op)
            imm = OPCODES[op].immediate
            if imm:
                out += rng.getrandbits(8 * imm).to_bytes(imm, "big") if rng.random() < 0.5 else \
                    _value(rng).to_bytes(32, "big")[-imm:]
        else:
            out.append(rng.getrandbits(8))
    return bytes(out)


def _arg_program(rng: random.Random) -> bytes:
    out = b""
    if rng.random() < 0.5:  # leave some return data around
        out += _push(rng.choice([0, 1, 32, 100])) + _push(0) + _push(0) + _push(0) + _push(4) + _push(5000) + \
            _op("STATICCALL") + _op("POP")
    if rng.random() < 0.3:
        out += _push(_value(rng)) + _push(rng.choice([0, 32, 64])) + _op("MSTORE")
    for _ in range(rng.randint(1, 10)):
        out += _with_args(rng, rng.choice(DANGEROUS))
        if rng.random() < 0.2:
            out += _op("POP") if rng.random() < 0.5 else b""
    return out


def _self_call(rng: random.Random) -> bytes:
    """Re-enter ourselves through CALL-family opcodes, optionally doing damage first."""
    prefix = _arg_program(rng) if rng.random() < 0.3 else b""
    opname = rng.choice(["CALL", "CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"])
    n_mem = [_push(_value(rng) if rng.random() < 0.3 else rng.choice([0, 32, 64])) for _ in range(4)]
    gas_arg = rng.choice([_op("GAS"), _push(100) + _op("GAS") + _op("SUB"), _push(_value(rng))])
    call = b"".join(n_mem)
    if opname in ("CALL", "CALLCODE"):
        call += _push(rng.choice([0, 0, 1, 2**255]))
    call += _op("ADDRESS") + gas_arg + _op(opname)
    suffix = _arg_program(rng) if rng.random() < 0.3 else b""
    return prefix + call + suffix


def _self_create(rng: random.Random) -> bytes:
    """Copy our own code into memory and CREATE/CREATE2 it: recursion through creation."""
    prefix = _arg_program(rng) if rng.random() < 0.3 else b""
    copy = _op("CODESIZE") + _push(0) + _push(0) + _op("CODECOPY")
    if rng.random() < 0.5:
        create = _op("CODESIZE") + _push(0) + _push(rng.choice([0, 1])) + _op("CREATE")
    else:
        create = _push(_value(rng)) + _op("CODESIZE") + _push(0) + _push(0) + _op("CREATE2")
    return prefix + copy + create + (_arg_program(rng) if rng.random() < 0.3 else b"")


def _jumpy(rng: random.Random) -> bytes:
    body = bytearray(_random_bytes(rng))
    for _ in range(rng.randint(1, 6)):
        pos = rng.randint(0, len(body))
        target = rng.randint(0, len(body) + 40) if rng.random() < 0.8 else _value(rng)
        ins = _push(target) + (_op("JUMP") if rng.random() < 0.5 else _push(1) + _op("SWAP1") + _op("JUMPI"))
        body[pos:pos] = ins
        if rng.random() < 0.5:
            body[rng.randint(0, len(body)):0] = b"\x5b"
    return bytes(body)


KINDS = [(_random_bytes, 3), (_arg_program, 4), (_self_call, 2), (_self_create, 1), (_jumpy, 2)]


def make_case(seed: int, index: int) -> Tuple[bytes, Fork, int, bytes, bytes]:
    """Case ``index`` of the corpus of ``seed``: (code, fork, gas, calldata, other_code)."""
    rng = random.Random(seed * 1_000_003 + index)
    kinds = [k for k, w in KINDS for _ in range(w)]
    kind = rng.choice(kinds)
    code = kind(rng)
    fork = rng.choice(FORKS)
    gas = rng.choice(GASES)
    if kind in (_self_call, _self_create) and rng.random() < 0.6:
        # before EIP-150 all gas can be forwarded, so recursion reaches depth 1024 cheaply
        fork = rng.choice([Fork.FRONTIER, Fork.HOMESTEAD, fork])
        gas = rng.choice([1_000_000, 2_000_000])
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice([0, 0, 1, 4, 32, 100])))
    other = rng.choice(kinds)(rng)
    return code, fork, gas, data, other


def describe(case) -> str:
    code, fork, gas, data, other = case
    return f"fork={fork.name} gas={gas} code={code.hex()} input={data.hex()} other_code={other.hex()}"


def worker(seed: int, start: int, count: int) -> int:
    """Run cases start..start+count-1, printing each index before running it."""
    out = sys.stdout
    failures = 0
    for i in range(start, start + count):
        out.write(f"RUN {i}\n")
        out.flush()
        case = make_case(seed, i)
        problem = execute_case(*case)
        if problem is not None:
            failures += 1
            out.write(f"FAIL {i} {problem} :: {describe(case)}\n")
    out.write("DONE\n")
    out.flush()
    return 1 if failures else 0


# -- pytest entry points ---------------------------------------------------------

CORPUS_SEED = 20240611
CORPUS_CHUNKS = [(0, 15_000), (15_000, 15_000), (30_000, 15_000), (45_000, 15_000)]


@pytest.mark.parametrize("start,count", CORPUS_CHUNKS, ids=lambda v: str(v))
def test_seeded_corpus_in_subprocess(start, count):
    """Thousands of biased programs across all forks, in a child process."""
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), str(CORPUS_SEED), str(start), str(count)],
        capture_output=True, text=True, timeout=300,
    )
    lines = proc.stdout.splitlines()
    fails = [l for l in lines if l.startswith("FAIL ")]
    if not lines or lines[-1] != "DONE":
        runs = [l for l in lines if l.startswith("RUN ")]
        last = int(runs[-1].split()[1]) if runs else start
        pytest.fail(f"worker died (exit {proc.returncode}) on case {last}: "
                    f"{describe(make_case(CORPUS_SEED, last))}\nstderr: {proc.stderr[-2000:]}")
    assert not fails, "\n".join(fails[:10])
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_corpus_is_deterministic():
    assert make_case(CORPUS_SEED, 17) == make_case(CORPUS_SEED, 17)


HYP = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@HYP
@given(code=st.binary(max_size=300), fork=st.sampled_from(FORKS),
       gas=st.sampled_from([0, 5, 21_000, 300_000]))
def test_random_bytes_end_cleanly(code, fork, gas):
    problem = execute_case(code, fork, gas, b"", b"")
    assert problem is None, f"{problem} :: fork={fork.name} code={code.hex()}"


def _op_or_value(draw) -> bytes:
    if draw(st.booleans()):
        v = draw(st.one_of(st.sampled_from(NASTY), st.sampled_from(ADDRESSES), st.integers(0, 2**256 - 1)))
        return _push(v)
    op = draw(st.sampled_from(REAL_OPS))
    imm = OPCODES[op].immediate
    return bytes([op]) + draw(st.binary(min_size=imm, max_size=imm))


@st.composite
def op_sequences(draw) -> bytes:
    return b"".join(_op_or_value(draw) for _ in range(draw(st.integers(1, 60))))


@HYP
@given(code=op_sequences(), fork=st.sampled_from(FORKS), gas=st.sampled_from([100, 50_000, 500_000]),
       other=op_sequences())
def test_real_opcode_sequences_end_cleanly(code, fork, gas, other):
    problem = execute_case(code, fork, gas, b"\x01\x02", other)
    assert problem is None, f"{problem} :: fork={fork.name} code={code.hex()} other={other.hex()}"


@pytest.mark.parametrize("fork", [Fork.FRONTIER, Fork.HOMESTEAD, Fork.BYZANTIUM, Fork.CANCUN])
def test_self_call_recursion_to_the_depth_limit(fork):
    """Re-enter with all gas but a margin (each frame then stores its CALL result) until
    the depth limit: 1025 frames run, the innermost CALL fails, all others succeed."""
    code = (bytes.fromhex("6000600060006000600030") + _push(10_000) + _op("GAS") + _op("SUB") + _op("CALL")
            + _op("ISZERO") + _push(0) + _op("SLOAD") + _op("ADD") + _push(0) + _op("SSTORE"))
    # slot 0 starts at 1 and counts the failed CALLs: only the one at depth 1024
    gas = 2**36 if fork >= Fork.TANGERINE_WHISTLE else 20_000_000
    r = execute_code(code, gas=gas, fork=fork, state=world(b""))
    assert check_result(r, gas) is None
    assert r.success and r.state.accounts[DEFAULT_CONTRACT].storage[0] == 2


def test_extreme_gas_budget_with_huge_memory_is_clean():
    """An absurd memory request with a big (but legal) budget: out of gas, not a crash."""
    for off in (2**32, 2**40, 2**62):
        gas = 2**40
        r = execute_code(_push(1) + _push(off) + _op("MSTORE"), gas=gas)
        assert check_result(r, gas) is None and r.error == "OutOfGasError"


if __name__ == "__main__":
    sys.exit(worker(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
