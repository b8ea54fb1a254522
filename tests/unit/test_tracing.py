"""EIP3155Tracer against the execution specs' own EIP-3155 tracer.

The spec interpreter runs each test case with its t8n ``Eip3155Tracer`` and,
at the same time, an adapter that turns the spec's trace events into our
hooks (``op_start``/``op_gas``/``op_end``/``op_exception``/``precompile_*``/
``tx_end``), which is exactly what the compiled core is expected to call. The
two outputs must be identical, line for line. The spec is only a test oracle.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from evm.forks import Fork, fork_from_name
from evm.tracing import EIP3155Tracer, spec_op_name, write_state_root

pytest.importorskip("ethereum_spec_tools")
import ethereum.trace as spec_trace  # noqa: E402
from ethereum_spec_tools.evm_tools.statetest import read_test_cases, run_test_case  # noqa: E402
from ethereum_spec_tools.evm_tools.t8n import ForkCache  # noqa: E402

SENDER = "0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b"
KEY = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"
TARGET = "0x1000000000000000000000000000000000000000"
CALLEE = "0x2000000000000000000000000000000000000000"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def _refund(evm) -> int:
    total, parent = int(evm.refund_counter), evm.message.parent_evm
    while parent is not None:
        total += int(parent.refund_counter)
        parent = parent.message.parent_evm
    return total


class HookAdapter:
    """Spec trace events -> our tracer hooks, the way the core is meant to call them."""

    def __init__(self, tracer: EIP3155Tracer, with_op_gas: bool = True) -> None:
        self.t = tracer
        self.with_op_gas = with_op_gas

    def _start(self, evm, op: int) -> None:
        self.t.op_start(int(evm.pc), op, int(evm.gas_left), len(evm.memory), [int(x) for x in evm.stack],
                        int(evm.message.depth) + 1, bytes(getattr(evm, "return_data", b"")), _refund(evm),
                        memory=bytes(evm.memory))

    def __call__(self, evm, ev) -> None:
        T = spec_trace
        if isinstance(ev, T.OpStart):
            self._start(evm, ev.op.value)
        elif isinstance(ev, T.GasAndRefund):
            if self.with_op_gas:
                self.t.op_gas(int(ev.gas_cost), _refund(evm))
        elif isinstance(ev, T.OpEnd):
            if self.with_op_gas:
                self.t.op_end(int(evm.gas_left))
            else:
                self.t.op_end(int(evm.gas_left), _refund(evm))
        elif isinstance(ev, T.OpException):
            name = type(ev.error).__name__
            if name == "InvalidOpcode":  # the core starts the undefined opcode, then fails it
                self._start(evm, ev.error.code)
            self.t.op_exception(name)
        elif isinstance(ev, T.EvmStop):
            if evm.running and len(evm.code):  # ran off the end: the core executes the padding STOP
                self._start(evm, ev.op.value)
                self.t.op_end(int(evm.gas_left))
        elif isinstance(ev, T.PrecompileStart):
            self.t.precompile_start(bytes(ev.address))
        elif isinstance(ev, T.PrecompileEnd):
            self.t.precompile_end()
        elif isinstance(ev, T.TransactionEnd):
            self.t.tx_end(int(ev.gas_used), bytes(ev.output), type(ev.error).__name__ if ev.error else None)


def spec_and_ours(path: Path, with_op_gas: bool = True):
    """Run every case of ``path`` in the spec; return (spec trace text, our trace text)."""
    spec_out, ours = io.StringIO(), io.StringIO()
    original = spec_trace.set_evm_trace
    for case in read_test_cases(str(path)):
        mine = EIP3155Tracer(ours, fork=fork_from_name(case.fork_name))
        adapter = HookAdapter(mine, with_op_gas)

        def patched(tracer):
            def both(evm, event):
                tracer(evm, event)
                adapter(evm, event)
            return original(both)

        spec_trace.set_evm_trace = patched
        try:
            with ForkCache() as cache:
                result = run_test_case(case, cache, output_basedir=spec_out,
                                       t8n_extra=["--trace", "--trace.memory", "--trace.returndata"])
        finally:
            spec_trace.set_evm_trace = original
        mine.flush()
        # The spec's statetest prints this line after each case; ours comes from write_state_root.
        spec_out.write(json.dumps({"stateRoot": "0x" + result.state_root.hex()}) + "\n")
        write_state_root(ours, bytes(result.state_root))
    return spec_out.getvalue(), ours.getvalue()


def state_test(tmp_path: Path, code: str, fork: str = "Cancun", gas: str = "0x0f4240",
               callee_code: str = "0x", storage=None) -> Path:
    pre = {
        SENDER: {"nonce": "0x00", "balance": "0x0de0b6b3a7640000", "code": "0x", "storage": {}},
        TARGET: {"nonce": "0x01", "balance": "0x0de0b6b3a7640000", "code": code, "storage": storage or {}},
        CALLEE: {"nonce": "0x01", "balance": "0x00", "code": callee_code, "storage": {}},
    }
    test = {
        "env": {"currentCoinbase": "0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba", "currentGasLimit": "0x05500000",
                "currentNumber": "0x01", "currentTimestamp": "0x03e8", "currentRandom": "0x" + "00" * 31 + "07",
                "currentDifficulty": "0x020000", "currentBaseFee": "0x0a", "currentExcessBlobGas": "0x00"},
        "pre": pre,
        "transaction": {"nonce": "0x00", "gasPrice": "0x0a", "gasLimit": [gas], "to": TARGET, "value": ["0x00"],
                        "data": ["0x"], "sender": SENDER, "secretKey": KEY},
        "post": {fork: [{"hash": "0x" + "00" * 32, "logs": "0x" + "00" * 32,
                         "indexes": {"data": 0, "gas": 0, "value": 0}}]},
    }
    p = tmp_path / "case.json"
    p.write_text(json.dumps({"case": test}))
    return p


def call(address: str, gas: str = "ffff", value: str = "00", args=("00", "00"), ret=("00", "20")) -> str:
    """Bytecode for CALL(gas, address, value, argsOffset, argsSize, retOffset, retSize)."""
    return (f"60{ret[1]}60{ret[0]}60{args[1]}60{args[0]}60{value}73{address[2:]}61{gas}f1")


CASES = {
    "arithmetic_and_sstore": ("0x600160020160005560006001550000", {}, "0x"),
    "sstore_clear_refund": ("0x6000600155600060015500", {"0x01": "0x05"}, "0x"),
    "revert_with_memory": ("0x600160005260206000fd", {}, "0x"),
    "invalid_first_byte": ("0xfe", {}, "0x"),
    "undefined_after_push": ("0x600160020c", {}, "0x"),
    "stack_underflow": ("0x600101", {}, "0x"),
    "bad_jump": ("0x600556", {}, "0x"),
    "memory_oog_huge_cost": ("0x60017fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff52", {}, "0x"),
    "keccak_and_prevrandao": ("0x602060002044500000", {}, "0x"),
    "runs_off_the_end": ("0x6001", {}, "0x"),
    "call_child_returns": ("0x" + call(CALLEE) + "50" + "3d600060003e00", {}, "0x600160020160005260206000f3"),
    "call_child_runs_off_end": ("0x" + call(CALLEE) + "5000", {}, "0x6001600201"),
    "call_child_first_op_invalid": ("0x" + call(CALLEE) + "5000", {}, "0xfe"),
    "call_child_reverts_and_oog": ("0x" + call(CALLEE, gas="0010") + call(CALLEE) + "00", {}, "0x60006000fd"),
    "call_identity_precompile": ("0x602a600052" + call("0x0000000000000000000000000000000000000004",
                                                       args=("00", "20")) + "3d00", {}, "0x"),
    "call_ecrecover_out_of_gas": ("0x" + call("0x0000000000000000000000000000000000000001", gas="0010") + "00",
                                  {}, "0x"),
    "create_and_return_code": ("0x6c600160005360016000f3000000600052600d60136000f0600055", {}, "0x"),
    "staticcall_sstore": ("0x6000600060006000" + "73" + CALLEE[2:] + "61fffffa00", {}, "0x6001600055"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_the_spec_tracer(tmp_path, name):
    code, storage, callee = CASES[name]
    spec, ours = spec_and_ours(state_test(tmp_path, code, callee_code=callee, storage=storage))
    assert spec.count("\n") >= 2
    assert ours == spec


def test_out_of_gas_shows_the_attempted_cost(tmp_path):
    # 5000 gas left at SSTORE: above the EIP-2200 sentry, below the 22100 it costs.
    spec, ours = spec_and_ours(state_test(tmp_path, "0x600160005500", gas=hex(21000 + 6 + 5000)))
    assert ours == spec
    sstore = [json.loads(x) for x in ours.splitlines() if '"SSTORE"' in x][0]
    assert sstore["error"] == "OutOfGasError" and sstore["gasCost"] == hex(22100)


def test_sstore_sentry_fails_before_charging(tmp_path):
    # 242 gas left at SSTORE: the EIP-2200 sentry (<= 2300) fails it before any charge.
    spec, ours = spec_and_ours(state_test(tmp_path, "0x600160005500", gas=hex(21000 + 6 + 242)))
    assert ours == spec
    sstore = [json.loads(x) for x in ours.splitlines() if '"SSTORE"' in x][0]
    assert sstore["error"] == "OutOfGasError" and sstore["gasCost"] == "0x0"


@pytest.mark.parametrize("fork", ["Frontier", "Homestead", "Byzantium", "Berlin", "London", "Paris", "Prague", "Osaka"])
def test_matches_the_spec_tracer_on_other_forks(tmp_path, fork):
    code = "0x" + call(CALLEE) + "44" + "50" + "3d600060003e00"
    spec, ours = spec_and_ours(state_test(tmp_path, code, fork=fork, callee_code="0x60016000526001601ff3"))
    assert ours == spec
    first = json.loads(ours.splitlines()[0])
    assert ("returnData" in first) == (Fork[fork.upper()] >= Fork.BYZANTIUM if fork != "Homestead" else False)


def test_without_op_gas_costs_come_from_gas_difference(tmp_path):
    # No sub-calls and no failures: gas at start minus gas at end is the charged cost.
    code = "0x600160020160005260206000206000556001600155600060015500"
    spec, ours = spec_and_ours(state_test(tmp_path, code), with_op_gas=False)
    assert ours == spec


@pytest.mark.parametrize(
    "rel",
    [
        "ethereum-tests/GeneralStateTests/stExample/add11.json",
        "ethereum-tests/GeneralStateTests/stCallCodes/callcall_00.json",
        "ethereum-tests/GeneralStateTests/stRevertTest/RevertOpcodeCalls.json",
        "ethereum-tests/GeneralStateTests/stPreCompiledContracts2/CallEcrecover0.json",
    ],
)
def test_matches_the_spec_tracer_on_fixtures(rel):
    path = FIXTURES / rel
    if not path.exists():
        pytest.skip(f"fixture {rel} not available")
    spec, ours = spec_and_ours(path)
    assert ours == spec


# --- the tracer alone -----------------------------------------------------------------
def test_line_format_and_final_line():
    out = io.StringIO()
    t = EIP3155Tracer(out, fork=Fork.CANCUN)
    t.op_start(0, 0x60, 100, 0, [], 1, b"", 0)
    t.op_end(97)
    t.op_start(2, 0x00, 97, 32, [2**255], 1, b"\x01", 4, memory=b"\x00" * 32)
    t.op_end(97)
    t.tx_end(3, b"\xab", None)
    lines = out.getvalue().splitlines()
    assert lines[0] == ('{"pc":0,"op":96,"gas":"0x64","gasCost":"0x3","memSize":0,"stack":[],'
                        '"returnData":"0x","depth":1,"refund":0,"opName":"PUSH1"}')
    assert json.loads(lines[1])["memory"] == "0x" + "00" * 32
    assert json.loads(lines[1])["stack"] == [hex(2**255)]
    assert lines[2] == '{"output":"ab","gasUsed":"0x3"}'


def test_options_drop_fields():
    out = io.StringIO()
    t = EIP3155Tracer(out, memory=False, stack=False, return_data=False)
    t.op_start(0, 0x00, 10, 32, [1], 1, b"", 0, memory=b"\x00" * 32)
    t.op_end(10)
    t.tx_end(0, b"", "Revert")
    first, last = (json.loads(x) for x in out.getvalue().splitlines())
    assert "memory" not in first and "stack" not in first and "returnData" not in first
    assert last == {"output": "", "gasUsed": "0x0", "error": "Revert"}


def test_spec_op_names():
    assert spec_op_name(0x20) == "KECCAK"
    assert spec_op_name(0x44, Fork.LONDON) == "DIFFICULTY"
    assert spec_op_name(0x44, Fork.PARIS) == "PREVRANDAO"
    assert spec_op_name(0x5F, Fork.SHANGHAI) == "PUSH0"


def test_spec_op_names_match_the_spec_enum():
    import importlib

    for fork, module in [(Fork.FRONTIER, "frontier"), (Fork.LONDON, "london"), (Fork.OSAKA, "osaka")]:
        ops = importlib.import_module(f"ethereum.forks.{module}.vm.instructions").Ops
        for op in ops:
            assert spec_op_name(op.value, fork) == op.name, (fork, op)


def test_write_state_root():
    out = io.StringIO()
    write_state_root(out, b"\x01" * 32)
    assert out.getvalue() == '{"stateRoot": "0x' + "01" * 32 + '"}\n'
