"""Control flow and stack: STOP, JUMP, JUMPI, JUMPDEST, PC, GAS, POP, PUSH0..32,
DUP1..16, SWAP1..16, INVALID; undefined opcodes per fork; stack limits.

Rules: Yellow Paper (JUMPDEST analysis skips PUSH data; the stack holds at
most 1024 items), EIP-3855 (PUSH0, Shanghai). Which opcodes exist in which
fork, and how many items each takes, is read from :mod:`evm.opcodes` and
cross-checked against the execution specs' ``Ops`` enums.
"""
from __future__ import annotations

import importlib

import pytest

from evm import Fork
from evm.opcodes import BY_NAME, OPCODES, base_gas_table
from opcode_test_helpers import (
    RETURN_TOP_GAS,
    U256_MAX,
    asm,
    defined_in,
    push,
    ret_top,
    run,
    static_gas,
    word,
)

SPEC_MODULE = {
    Fork.FRONTIER: "frontier", Fork.HOMESTEAD: "homestead",
    Fork.TANGERINE_WHISTLE: "tangerine_whistle", Fork.SPURIOUS_DRAGON: "spurious_dragon",
    Fork.BYZANTIUM: "byzantium", Fork.CONSTANTINOPLE: "constantinople",
    Fork.PETERSBURG: "constantinople", Fork.ISTANBUL: "istanbul", Fork.BERLIN: "berlin",
    Fork.LONDON: "london", Fork.PARIS: "paris", Fork.SHANGHAI: "shanghai",
    Fork.CANCUN: "cancun", Fork.PRAGUE: "prague", Fork.OSAKA: "osaka",
}


class StackRecorder:
    """A minimal tracer: remembers the stack seen before each instruction."""

    def __init__(self) -> None:
        self.steps = []

    def op_start(self, pc, op, gas, mem_size, stack, depth, *args, **kwargs):
        self.steps.append((pc, op, list(stack)))

    def __getattr__(self, name):  # every other hook is a no-op
        return lambda *a, **k: None


# -- the opcode table --------------------------------------------------------

@pytest.mark.parametrize("fork", list(Fork), ids=lambda f: f.name)
def test_defined_opcodes_match_the_execution_specs(fork):
    """The table's set of opcodes per fork equals the spec's ``Ops`` enum."""
    try:
        ins = importlib.import_module(f"ethereum.forks.{SPEC_MODULE[fork]}.vm.instructions")
    except ImportError:
        pytest.skip("execution specs not installed")
    spec = {o.value for o in ins.Ops}
    ours = {code for code in range(256) if defined_in(fork, code)}
    assert ours == spec


@pytest.mark.parametrize("fork", list(Fork), ids=lambda f: f.name)
def test_undefined_opcodes_are_invalid(fork):
    """Every byte the table leaves undefined halts with InvalidOpcode, all gas gone."""
    table = base_gas_table(fork)
    for code in range(256):
        if table[code] >= 0:
            continue
        r = run(asm(1, 1, 1) + bytes([code]), fork=fork, gas=20_000)
        assert r.error == "InvalidOpcode", hex(code)
        assert r.gas_used == 20_000 and not r.success and r.output == b""


@pytest.mark.parametrize("fork", [Fork.FRONTIER, Fork.BYZANTIUM, Fork.ISTANBUL, Fork.CANCUN, Fork.OSAKA],
                         ids=lambda f: f.name)
def test_defined_opcodes_are_not_invalid(fork):
    """With enough (zero) operands no defined opcode reports InvalidOpcode."""
    for code, info in OPCODES.items():
        if not defined_in(fork, code):
            continue
        prog = asm(*([0] * info.pops)) + bytes([code]) + bytes(info.immediate)
        r = run(prog, fork=fork, gas=200_000)
        assert r.error != "InvalidOpcode", info.name


def test_designated_invalid_opcode():
    """0xFE (INVALID) halts in every fork and consumes all gas."""
    for fork in Fork:
        r = run(asm(1, "POP") + b"\xfe" + asm(1, "POP"), fork=fork, gas=5000)
        assert r.error == "InvalidOpcode" and r.gas_used == 5000


# -- stack limits ---------------------------------------------------------

@pytest.mark.parametrize("name", sorted(n for n, i in BY_NAME.items() if i.pops > 0 and n == i.name))
def test_stack_underflow_for_every_opcode(name):
    info = BY_NAME[name]
    fork = max(Fork)
    code = asm(*([1] * (info.pops - 1))) + bytes([info.code]) + bytes(info.immediate)
    r = run(code, fork=fork, gas=30_000)
    assert r.error == "StackUnderflowError"
    assert r.gas_used == 30_000


def test_stack_holds_exactly_1024_items():
    code = push(1) * 1024
    r = run(code)
    assert r.success and r.gas_used == 3 * 1024
    r = run(code + push(1), gas=100_000)
    assert r.error == "StackOverflowError" and r.gas_used == 100_000


@pytest.mark.parametrize("grow", ["DUP1", "DUP16", "PC", "MSIZE", "GAS", "ADDRESS", "PUSH32"])
def test_stack_overflow_on_any_push_at_1024(grow):
    code = push(1) * 1024 + (push(7, 32) if grow == "PUSH32" else asm(grow))
    r = run(code, gas=100_000)
    assert r.error == "StackOverflowError" and r.gas_used == 100_000


def test_swap_and_pop_at_full_stack_do_not_overflow():
    code = push(1) * 1024 + asm("SWAP16", "POP", "DUP1", "ADD")
    r = run(code)
    assert r.success and r.gas_used == 3 * 1024 + 3 + 2 + 3 + 3


def test_stack_overflow_in_a_loop():
    """JUMPDEST PUSH1 0 PUSH1 0 JUMP: grows one item per iteration until 1025."""
    code = asm("JUMPDEST", 0, 0, "JUMP")
    r = run(code, gas=1_000_000)
    assert r.error == "StackOverflowError" and r.gas_used == 1_000_000


# -- JUMP / JUMPI / JUMPDEST / PC -----------------------------------------------

def test_jump_to_jumpdest_and_gas():
    # 0: PUSH1 4, 2: JUMP, 3: INVALID, 4: JUMPDEST, 5: STOP
    code = asm(4, "JUMP") + b"\xfe" + asm("JUMPDEST", "STOP")
    r = run(code)
    assert r.success and r.gas_used == 3 + 8 + 1  # GAS_MID for JUMP, GAS_JUMPDEST


def test_jumpi_taken_and_not_taken():
    # 0: PUSH1 cond, 2: PUSH1 8, 4: JUMPI, 5: PUSH1 1, 7: INVALID..., 8: JUMPDEST
    taken = asm(1, 8, "JUMPI") + asm(0xAA) + b"\xfe" + asm("JUMPDEST")
    assert len(taken) == 9 and taken[8] == 0x5B
    r = run(taken)
    assert r.success and r.gas_used == 3 + 3 + 10 + 1  # GAS_HIGH for JUMPI
    not_taken = asm(0, 8, "JUMPI", 0xAA, "STOP", "STOP", "JUMPDEST")
    r = run(not_taken)
    assert r.success and r.gas_used == 3 + 3 + 10 + 3


def test_jumpi_not_taken_ignores_invalid_destination():
    r = run(asm(0, U256_MAX, "JUMPI", "STOP"))
    assert r.success and r.gas_used == 16


def test_jump_into_push_data_is_invalid():
    # 0: PUSH1 4, 2: JUMP, 3: PUSH1 0x5b, 5: STOP  -> byte 4 is PUSH data
    code = asm(4, "JUMP") + push(0x5B) + asm("STOP")
    assert code[4] == 0x5B
    r = run(code, gas=10_000)
    assert r.error == "InvalidJumpDestError" and r.gas_used == 10_000


def test_jumpi_into_push_data_is_invalid():
    code = asm(1, 6, "JUMPI") + push(0x5B5B, 2) + asm("STOP")
    assert code[6] == 0x5B
    r = run(code, gas=10_000)
    assert r.error == "InvalidJumpDestError" and r.gas_used == 10_000


def test_jump_into_deep_push32_data_is_invalid():
    code = asm(35, "JUMP") + push(int.from_bytes(b"\x5b" * 32, "big"), 32) + asm("JUMPDEST")
    # bytes 4..35 are PUSH32 data; 36 is the real JUMPDEST
    assert run(code, gas=10_000).error == "InvalidJumpDestError"
    code = asm(36, "JUMP") + push(int.from_bytes(b"\x5b" * 32, "big"), 32) + asm("JUMPDEST")
    assert run(code).success


def test_jumpdest_after_truncated_push_is_data():
    """A 0x5b inside the (truncated) data of a final PUSH is not a destination."""
    code = asm(5, "JUMP") + b"\x00" + b"\x62\x5b"  # PUSH3 with one byte of data
    assert code[5] == 0x5B
    assert run(code, gas=10_000).error == "InvalidJumpDestError"


@pytest.mark.parametrize("dest", [0, 1, 32, 33, 35, 100, 2**64 + 34, 2**128 + 34, 2**255 + 34, U256_MAX])
def test_jump_to_non_jumpdest_is_invalid(dest):
    """Only offset 34 is a JUMPDEST; huge values must not alias onto it."""
    code = push(dest, 32) + asm("JUMP", "JUMPDEST", "STOP")
    assert code[34] == 0x5B
    r = run(code, gas=10_000)
    assert r.error == "InvalidJumpDestError" and r.gas_used == 10_000
    assert run(push(34, 32) + asm("JUMP", "JUMPDEST", "STOP")).success


def test_jump_to_code_end_is_invalid():
    code = asm(3, "JUMP")
    assert len(code) == 3
    assert run(code, gas=10_000).error == "InvalidJumpDestError"


def test_jump_backwards_loop_counts_down():
    # counter = 5; loop: counter -= 1; if counter: goto loop
    code = asm(5, "JUMPDEST", 1, "SWAP1", "SUB", "DUP1", 2, "JUMPI") + ret_top()
    assert code[2] == 0x5B
    r = run(code)
    assert r.success and word(r) == 0
    per_iter = 1 + 3 + 3 + 3 + 3 + 3 + 10
    assert r.gas_used == 3 + 5 * per_iter + RETURN_TOP_GAS


def test_jumpdest_gas():
    r = run(asm("JUMPDEST", "JUMPDEST"))
    assert r.gas_used == 2


def test_pc_reports_its_own_offset():
    code = asm(1, "POP", "PC") + ret_top()
    r = run(code)
    assert word(r) == 3 and r.gas_used == 3 + 2 + 2 + RETURN_TOP_GAS


def test_pc_after_jump():
    code = asm(5, "JUMP", "STOP", "STOP", "JUMPDEST", "PC") + ret_top()
    assert word(run(code)) == 6


def test_gas_reports_gas_left_after_itself():
    code = ret_top("GAS")
    r = run(code, gas=50_000)
    assert word(r) == 50_000 - 2
    assert r.gas_used == 2 + RETURN_TOP_GAS  # GAS_BASE
    r = run(asm(1, "POP", "GAS") + ret_top(), gas=1000)
    assert word(r) == 1000 - 3 - 2 - 2


def test_stop_and_code_end():
    r = run(b"")
    assert r.success and r.gas_used == 0 and r.output == b""
    r = run(b"\x00\xfe")  # STOP ends execution before INVALID
    assert r.success and r.gas_used == 0


# -- PUSH / DUP / SWAP / POP ----------------------------------------------------

def test_push0_arrives_at_shanghai():
    code = bytes([0x5F]) + ret_top()
    r = run(code, fork=Fork.PARIS, gas=10_000)
    assert r.error == "InvalidOpcode" and r.gas_used == 10_000
    r = run(code, fork=Fork.SHANGHAI)
    assert r.success and word(r) == 0 and r.gas_used == 2 + RETURN_TOP_GAS  # GAS_BASE


@pytest.mark.parametrize("n", range(1, 33))
def test_push_n_reads_n_bytes(n):
    value = int.from_bytes(bytes(range(0xA0, 0xA0 + n)), "big")
    code = push(value, n) + ret_top()
    r = run(code, fork=Fork.FRONTIER)
    assert word(r) == value and r.gas_used == 3 + RETURN_TOP_GAS


@pytest.mark.parametrize("n,present", [(1, 0), (2, 1), (32, 0), (32, 5), (32, 31), (20, 19)])
def test_push_at_code_end_reads_zeros(n, present):
    """A PUSHn missing some of its data costs 3 gas and execution then stops
    cleanly; the trace shows the implicit STOP at pc = n + 1 (past the end of
    the code), as the spec's EIP-3155 trace does."""
    data = bytes(range(1, present + 1))
    code = bytes([0x5F + n]) + data
    rec = StackRecorder()
    r = run(code, tracer=rec)
    assert r.success and r.gas_used == 3
    assert [(pc, op) for pc, op, _ in rec.steps] == [(0, 0x5F + n), (n + 1, 0x00)]


@pytest.mark.parametrize("n", range(1, 17))
def test_dup_n(n):
    # stack (top first): 1, 2, ..., 16
    code = b"".join(push(v) for v in range(16, 0, -1)) + asm(f"DUP{n}") + ret_top()
    r = run(code)
    assert word(r) == n
    assert r.gas_used == 16 * 3 + 3 + RETURN_TOP_GAS


@pytest.mark.parametrize("n", range(1, 17))
def test_swap_n(n):
    # stack (top first): 1, 2, ..., 17; SWAPn exchanges 1 and n+1
    code = b"".join(push(v) for v in range(17, 0, -1)) + asm(f"SWAP{n}") + ret_top()
    r = run(code)
    assert word(r) == n + 1
    assert r.gas_used == 17 * 3 + 3 + RETURN_TOP_GAS
    # and the old top went to depth n + 1
    code = b"".join(push(v) for v in range(17, 0, -1)) + asm(f"SWAP{n}") + asm("POP") * n + ret_top()
    assert word(run(code)) == 1


def test_pop_gas_and_effect():
    code = asm(1, 2, "POP") + ret_top()
    r = run(code)
    assert word(r) == 1 and r.gas_used == 3 + 3 + 2 + RETURN_TOP_GAS


def test_static_gas_helper_matches_a_straight_line_program():
    code = asm(1, 2, "ADD", 3, "MUL", "PC", "POP", "JUMPDEST") + ret_top()
    r = run(code)
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 3


# -- which halt is reported when two checks fail at once ------------------------
# Both outcomes consume all gas; only the reported name (r.error, traces) differs.
# The execution specs charge gas *before* the DUP/SWAP underflow check
# (vm/instructions/stack.py: dup_n/swap_n call charge_gas, then test the
# stack) and before every push (vm/stack.py: push raises StackOverflowError
# after the instruction has charged its gas).

@pytest.mark.parametrize("name", ["DUP1", "DUP16", "SWAP1", "SWAP16"])
def test_dup_swap_out_of_gas_reported_before_underflow(name):
    r = run(asm(name), gas=2)
    assert r.error == "OutOfGasError"
    assert r.gas_used == 2


@pytest.mark.parametrize("name", ["PUSH1", "PUSH32", "DUP1", "ADDRESS", "PC", "GAS", "PUSH0"])
def test_out_of_gas_reported_before_stack_overflow(name):
    op = push(1, 32) if name == "PUSH32" else push(1) if name == "PUSH1" else asm(name)
    code = push(1) * 1024 + op
    gas = 3 * 1024 + base_gas_table(Fork.CANCUN)[op[0]] - 1  # one short of the last op
    r = run(code, gas=gas, fork=Fork.CANCUN)
    assert r.error == "OutOfGasError"


def test_underflow_reported_before_out_of_gas_for_popping_opcodes():
    """ADD pops before charging in the specs: underflow wins over out of gas."""
    r = run(asm("ADD"), gas=0)
    assert r.error == "StackUnderflowError"


@pytest.mark.parametrize("n,gas", [(10, 10), (10, 9), (10, 1), (1, 0), (100, 57)])
def test_a_run_of_jumpdests_costs_one_gas_each(n, gas):
    """The plain loop takes a run of JUMPDESTs in one go; it must still cost
    exactly 1 gas each and run out of gas at the first one it cannot pay."""
    r = run(b"\x5b" * n, gas=gas)
    if gas >= n:
        assert r.success and r.gas_used == n
    else:
        assert r.error == "OutOfGasError" and r.gas_used == gas


def test_jumpdest_run_then_jump_back_into_it():
    """A JUMP into the middle of a JUMPDEST run counts only the JUMPDESTs
    from the target on."""
    # 0: PUSH1 5, 2: JUMP, 3..7: JUMPDEST x5, 8: STOP -> jumps to 5: 3 JUMPDESTs
    code = bytes([0x60, 0x05, 0x56]) + b"\x5b" * 5 + b"\x00"
    r = run(code, gas=100)
    assert r.success and r.gas_used == 3 + 8 + 3
