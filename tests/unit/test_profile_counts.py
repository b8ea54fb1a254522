"""The counting build of the loop (evm.profile) against an independent count:
the EIP-3155 trace of the same run, on a sample of state tests."""
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from evm.executor import apply_transaction
from evm.profile import count, count_cases, iter_state_test_cases
from evm.profile.counting import OpCounter, OpCounts
from evm.tracing import EIP3155Tracer

REPO = Path(__file__).resolve().parents[2]
GST = REPO.parent / "shared" / "fixtures" / "ethereum-tests" / "GeneralStateTests"
# A spread of folders (calls, creates, memory, storage, reverts, random code);
# the first files of each keep the test short.
SAMPLE = ["VMTests", "stCallCodes", "stCreate2", "stMemoryTest", "stSStoreTest", "stRevertTest",
          "stRandom", "stReturnDataTest", "stStaticCall", "stLogTests", "stPreCompiledContracts"]
FILES_PER_FOLDER = 4


def _sample_files():
    if not GST.is_dir():
        pytest.skip(f"state tests not available at {GST}")
    files = []
    for folder in SAMPLE:
        files += sorted((GST / folder).rglob("*.json"))[:FILES_PER_FOLDER]
    return files


def _trace_counts(state, env, tx, fork):
    buf = io.StringIO()
    tracer = EIP3155Tracer(buf, fork=fork)
    apply_transaction(state.copy(), env, tx, fork, tracer=tracer)
    tracer.flush()
    n, depth, gas = Counter(), Counter(), Counter()
    gas_exact = True
    for line in buf.getvalue().splitlines():
        rec = json.loads(line)
        if "op" not in rec:
            continue
        n[rec["op"]] += 1
        depth[(min(rec["depth"] - 1, 15), rec["op"])] += 1
        error = rec.get("error")
        # a CALL line's gasCost includes the gas handed to the callee, which
        # the counts leave to the callee's instructions
        if rec["op"] in (0xF1, 0xF2, 0xF4, 0xFA):
            continue
        if error is None or error == "Revert":
            gas[rec["op"]] += int(rec["gasCost"], 16)
        else:
            gas_exact = False  # whether a failing op was charged is not in the line
    return n, depth, gas, gas_exact


def test_counts_equal_the_eip3155_trace():
    compared = gas_compared = 0
    for path in _sample_files():
        for case in iter_state_test_cases([str(path)], fork="Cancun"):
            state, env, tx = case.build()
            try:
                n, depth, gas, gas_exact = _trace_counts(state, env, tx, case.fork)
            except Exception:  # an invalid transaction: nothing runs in either build
                continue
            counter = OpCounter()
            apply_transaction(state.copy(), env, tx, case.fork, tracer=counter)
            got = OpCounts.from_counter(counter)
            where = f"{path.name} {case.name} {case.index}"
            assert got.n == dict(n), where
            assert {(d, op): v for d, ops in got.by_depth.items() for op, v in ops.items()} == dict(depth), where
            if gas_exact:
                assert {op: got.gas(op) for op in got.n if got.gas(op) and op not in (0xF1, 0xF2, 0xF4, 0xFA)} == {k: v for k, v in gas.items() if v}, where
                gas_compared += 1
            compared += 1
    assert compared >= 40 and gas_compared >= 20, (compared, gas_compared)


def test_count_bytecode_static_and_dynamic_gas():
    # PUSH1 1 PUSH1 2 ADD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    c = count("0x600160020160005260206000f3")
    assert c.by_name() == {"ADD": 1, "MSTORE": 1, "PUSH1": 5, "RETURN": 1}
    assert c.static_gas[0x52] == 3 and c.dynamic_gas[0x52] == 3  # one word of memory expansion
    assert c.static_gas[0x60] == 15 and c.dynamic_gas[0x60] == 0
    assert sum(c.gas(op) for op in c.n) == c.gas_used == 24


def test_running_off_the_end_counts_a_stop_but_empty_code_nothing():
    assert count("6001").by_name() == {"PUSH1": 1, "STOP": 1}
    assert count("").n == {}


def test_counter_accumulates_until_reset_and_counts_transactions():
    from evm.executor import execute_code

    counter = OpCounter()
    for _ in range(3):
        execute_code(bytes.fromhex("600100"), tracer=counter)
    assert counter.counts()[0x60] == (3, 9, 0)
    assert counter.transactions == 3
    counter.reset()
    assert counter.counts() == {} and counter.transactions == 0


def test_count_cases_reports_errors_without_raising():
    files = _sample_files()[:1]
    results = count_cases(iter_state_test_cases([str(files[0])]))
    assert results and all(r.counts is not None or r.error for r in results)


def test_bad_hex_is_a_value_error_naming_the_field():
    with pytest.raises(ValueError, match="code"):
        count("zz")
