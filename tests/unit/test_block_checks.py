"""The plain loop checks stack and static gas once per basic block
(analyse_blocks / run_fast); the counting build checks every instruction
(run_inner). Both must halt at the same instruction with the same gas, for
every gas limit, so these tests sweep the limit across each program's cost
and compare the two, and pin the values the spec gives."""
from __future__ import annotations

import random

import pytest

from evm import Fork, execute_code
from evm.fuzz.generator import generate_case
from evm.profile import OpCounter


def both(code: bytes, gas: int, fork: Fork = Fork.CANCUN, data: bytes = b""):
    plain = execute_code(code, input=data, gas=gas, fork=fork)
    counted = execute_code(code, input=data, gas=gas, fork=fork, tracer=OpCounter())
    summary = [(r.success, r.error, r.gas_used, r.output, r.logs) for r in (plain, counted)]
    assert summary[0] == summary[1], (code.hex(), gas, fork)
    return plain


def sweep(code: bytes, fork: Fork = Fork.CANCUN, extra: int = 3) -> int:
    """Run ``code`` at every gas limit from 0 to its cost + extra; its cost."""
    cost = execute_code(code, gas=10**6, fork=fork, tracer=OpCounter()).gas_used
    for gas in range(0, cost + extra + 1):
        both(code, gas, fork)
    return cost


def test_out_of_gas_inside_a_block_halts_there_and_uses_all_gas() -> None:
    # 5 x (PUSH1 1, PUSH1 2, ADD, POP) then STOP: one block of 20 instructions
    code = bytes.fromhex("6001600201" "50" * 1) * 5 + b"\x00"
    assert sweep(code) == 5 * (3 + 3 + 3 + 2)
    r = both(code, 20)  # pays the first two groups only
    assert (r.success, r.error, r.gas_used) == (False, "OutOfGasError", 20)


def test_gas_reads_the_exact_gas_left_at_its_own_position() -> None:
    # PUSH1 0, PUSH1 0, ADD, GAS, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN
    code = bytes.fromhex("6000600001" "5a" "600052" "60206000f3")
    r = both(code, 1000)
    assert int.from_bytes(r.output, "big") == 1000 - 3 - 3 - 3 - 2
    sweep(code)


def test_a_stack_failure_late_in_a_block_is_the_specs_failure() -> None:
    underflow = bytes.fromhex("6001" "6002" "01" "01" "00")  # the second ADD has one operand
    r = both(underflow, 100)
    assert (r.success, r.error, r.gas_used) == (False, "StackUnderflowError", 100)
    sweep(underflow)
    overflow = bytes.fromhex("5f") * 1025 + b"\x00"  # PUSH0 x 1025 (Shanghai+)
    r = both(overflow, 10**5)
    assert (r.success, r.error, r.gas_used) == (False, "StackOverflowError", 10**5)
    # with too little gas the out-of-gas comes first, at the instruction it hits
    r = both(overflow, 1000)
    assert r.error == "OutOfGasError"


def test_undefined_instruction_after_pure_ones() -> None:
    code = bytes.fromhex("6001600201" "0c" "00")  # 0x0C is undefined
    r = both(code, 500)
    assert (r.success, r.error, r.gas_used) == (False, "InvalidOpcode", 500)
    # PUSH0 is undefined before Shanghai: the same block, a different fork
    r = both(bytes.fromhex("60015f00"), 500, Fork.PARIS)
    assert (r.success, r.error) == (False, "InvalidOpcode")
    assert both(bytes.fromhex("60015f00"), 500, Fork.SHANGHAI).gas_used == 5


def test_jumps_into_a_run_of_jumpdests_and_a_push_cut_by_the_end() -> None:
    # PUSH1 6, JUMP, JUMPDEST x 4 (jump to the 3rd), PUSH1 1, STOP
    code = bytes.fromhex("600556" "5b5b5b5b" "600100")
    cost = sweep(code)
    assert cost == 3 + 8 + 2 + 3  # the 2 JUMPDESTs from the destination on
    # a PUSH32 whose immediate runs past the code: zeros, then the implicit STOP
    cut = bytes.fromhex("7fff")
    sweep(cut)
    assert both(cut, 100).gas_used == 3


def test_a_loop_runs_the_same_at_every_limit() -> None:
    # i = 5; do { i -= 1 } while (i): JUMPDEST-led block with a JUMPI back
    code = bytes.fromhex("6005" "5b" "600190" "03" "80" "6002" "57" "00")
    sweep(code)


@pytest.mark.parametrize("seed", range(40))
def test_generated_programs_agree_at_gas_limits_around_their_cost(seed: int) -> None:
    case = generate_case(seed, list(Fork))
    rng = random.Random(seed)
    for account in case.accounts.values():
        code = account.code_bytes()
        if not code:
            continue
        cost = execute_code(code, gas=10**6, fork=case.fork, tracer=OpCounter()).gas_used
        for gas in {0, 1, cost, max(cost - 1, 0), cost + 1, rng.randrange(cost + 2), 10**6}:
            both(code, gas, case.fork, case.data_bytes())


def test_memory_growth_inside_and_beyond_the_allocated_buffer() -> None:
    # MSTORE at 0, at 0x100, MLOAD at 0x3e0 (all within the first 1 KiB
    # buffer: grown in the loop), MLOAD at 0x4500 (a reallocation: outer
    # path), MSIZE returned. (Past 16 KiB, so the machine keeps no buffer
    # for the next run: each run of the sweep starts without one.)
    code = bytes.fromhex("602a600052" "602a61010052" "6103e051" "61450051" "59600052" "60206000f3")
    cost = sweep(code, extra=5)
    r = both(code, cost)
    assert int.from_bytes(r.output, "big") == 0x4520
    words = 0x4520 // 32
    assert cost == 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 2 + 3 + 3 + 3 + 3 + 0 + (3 * words + words * words // 512)


@pytest.mark.parametrize("seed", range(30))
def test_execute_code_without_a_state_matches_the_state_path(seed: int) -> None:
    # execute_code(state=None) seeds caller and contract in the VM and builds
    # the result's state lazily; with a State it seeds a copy: same outcome
    from evm import State

    case = generate_case(seed, list(Fork))
    code = next((a.code_bytes() for a in case.accounts.values() if a.code_bytes()), b"\x00")
    for create, value, caller in ((False, 0, None), (False, 7, None), (True, 0, None), (False, 5, "address")):
        kw = dict(input=case.data_bytes(), gas=200_000, fork=case.fork, create=create, value=value)
        if caller == "address":  # the contract calls itself as the caller
            kw["caller"] = kw["address"] = bytes.fromhex("00000000000000000000000000000000000c0de0")
        fast = execute_code(code, **kw)
        slow = execute_code(code, state=State(), **kw)
        assert fast == slow
        accounts = [{a: (x.nonce, x.balance, x.code, sorted(x.storage.items())) for a, x in r.state.accounts.items()}
                    for r in (fast, slow)]
        assert accounts[0] == accounts[1]


def test_memory_access_in_the_middle_of_a_block() -> None:
    # MSTORE/MLOAD do not end a block: one that reallocates leaves the loop
    # mid-block (the rest of the block's charge given back), one that grows
    # within the buffer pays inside it; then more of the same block runs
    code = bytes.fromhex(
        "6001" "600052"            # MSTORE at 0 (grows to 32 in the buffer)
        "6002" "61080052"          # MSTORE at 0x800: beyond the first 1 KiB, a reallocation
        "6003" "6004" "01"         # ADD, same block
        "61500051"                 # MLOAD at 0x5000: another (past 16 KiB: no buffer kept)
        "01" "59" "01"             # ADD, MSIZE, ADD
        "600052" "60206000f3")     # return it
    cost = sweep(code, extra=4)
    r = both(code, cost)
    assert int.from_bytes(r.output, "big") == 0x5020 + 7  # MSIZE + 3 + 4 + 0 (the loaded word)


def test_execute_code_result_is_a_dataclass_with_a_lazy_state() -> None:
    import dataclasses

    from evm import ExecutionResult

    r = execute_code(bytes.fromhex("602a60005560206000f3"), value=3)  # SSTORE 42 at 0, return a word
    assert [f.name for f in dataclasses.fields(r)] == [
        "success", "gas_used", "gas_left", "gas_refund", "output", "logs", "error", "contract_address", "_state"]
    assert isinstance(r, ExecutionResult) and r.success and r.gas_used == 3 + 3 + (2_100 + 20_000) + 3 + 3 + 3 and r.output == bytes(32)
    state = r.state
    assert state is r.state  # built once
    contract = state.accounts[bytes.fromhex("0000000000000000000000000000000000000ca1")]
    assert contract.storage == {0: 42} and contract.balance == 3
    # the caller was given the value it sent, then left empty: EIP-161 removes it
    assert bytes.fromhex("000000000000000000000000000000000000c0de") not in state.accounts
    assert dataclasses.replace(r, gas_used=1).gas_used == 1 and dataclasses.replace(r, gas_used=1) != r
    assert "_state" not in repr(r)
