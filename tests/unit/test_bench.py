"""``evm bench`` and its built-in workloads: fast checks only (nothing here is a timed test)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Tuple

import pytest

from evm import apply_transaction
from evm import bench
from evm.bench import BenchError, BenchOptions, Engine, Runner, fixture_gas_used, load_cases, report_json, run_bench
from evm.cli import main
from evm.forks import Fork
from evm.workloads import CONTRACT, SENDER, Case, assemble, builtin_cases

# The exact gas of every built-in case. pyrevm 0.3.7 and py-evm 0.12.1b1 use
# the same, and py-evm ends in the same post-state root (checked when pinned).
EXPECTED_GAS = {
    "erc20/transfer_mint_approve": 6_299_416,
    "keccak256/loop": 3_471_209,
    "mcopy/loop": 3_346_552,
    "arith/loop": 5_046_199,
    "call/trivial": 21_018,
    "micro/arith": 2_081_199,
    "micro/divmod": 1_935_199,
    "micro/mulmod_addmod": 1_731_199,
    "micro/exp": 13_066_099,
    "micro/keccak256": 2_141_200,
    "micro/memory": 1_269_606,
    "micro/sload_warm": 8_837_179,
    "micro/sload_cold": 3_416_367,
    "micro/sstore_warm": 8_917_979,
    "micro/sstore_cold": 2_676_527,
    "micro/call": 3_023_682,
    "micro/create": 3_227_079,
}

FAST = ["--repeat", "1", "--min-time", "0"]
BENCH_FILES = Path(__file__).resolve().parents[3] / "shared" / "bench" / "evm-benchmarks"


# --- Assembler -----------------------------------------------------------------
def test_assemble_pushes_opcodes_and_labels():
    code = assemble([0, 0x1234, "add", "start:", "@start", "JUMP", ("PUSH4", 1), b"\xfe"])
    assert code == bytes.fromhex("6000" "611234" "01" "5b" "610006" "56" "6300000001" "fe")


def test_assemble_forward_label():
    code = assemble(["@end", "JUMP", "INVALID", "end:", "STOP"])
    assert code == bytes.fromhex("610005" "56" "fe" "5b" "00")


@pytest.mark.parametrize("program, message", [
    (["NOPE"], "unknown opcode"),
    (["PUSH1"], "give a value"),
    (["@missing"], "undefined label"),
    (["a:", "a:"], "defined twice"),
    ([("PUSH1", 256)], "does not fit"),
    ([-1], "256-bit"),
    ([1 << 256], "256-bit"),
    ([3.5], "cannot assemble"),
])
def test_assemble_rejects_bad_programs(program, message):
    with pytest.raises(ValueError, match=message):
        assemble(program)


def test_assembled_loop_runs():
    # sum 1..n with the loop shape the workloads use
    code = assemble([0, 0, "CALLDATALOAD", "loop:", "DUP1", "ISZERO", "@end", "JUMPI",
                     "DUP1", "SWAP2", "ADD", "SWAP1", 1, "SWAP1", "SUB", "@loop", "JUMP",
                     "end:", "POP", 0, "MSTORE", 32, 0, "RETURN"])
    from evm import execute_code

    r = execute_code(code, input=(10).to_bytes(32, "big"))
    assert r.success and int.from_bytes(r.output, "big") == 55


# --- Built-in workloads ---------------------------------------------------------
@pytest.mark.parametrize("case", builtin_cases("all"), ids=lambda c: c.name)
def test_builtin_case_gas_is_exact(case):
    result = apply_transaction(case.state.copy(), case.env, case.tx, case.fork)
    assert result.success, result.error
    assert result.gas_used == EXPECTED_GAS[case.name] == case.expected_gas


def test_builtin_suites():
    main_names = [c.name for c in builtin_cases("main")]
    micro_names = [c.name for c in builtin_cases("micro")]
    assert main_names == [n for n in EXPECTED_GAS if not n.startswith("micro/")]
    assert micro_names == [n for n in EXPECTED_GAS if n.startswith("micro/")]
    assert [c.name for c in builtin_cases("all")] == main_names + micro_names
    with pytest.raises(ValueError, match="unknown built-in suite"):
        builtin_cases("nope")


def test_builtin_cases_are_fresh_and_not_mutated_by_a_run():
    case = builtin_cases("main")[0]
    before = case.state.accounts[CONTRACT].storage.copy()
    apply_transaction(case.state.copy(), case.env, case.tx, case.fork)
    assert case.state.accounts[CONTRACT].storage == before
    assert builtin_cases("main")[0].state is not case.state


def test_erc20_workload_moves_tokens():
    case = next(c for c in builtin_cases("main") if c.name.startswith("erc20/"))
    state = case.state.copy()
    r = apply_transaction(state, case.env, case.tx, case.fork)
    assert r.success
    # 100 rounds: mint 1000, transfer 300, transferFrom 100 -> 600 left per round
    assert int.from_bytes(r.output, "big") == 100 * 600
    assert len(r.logs) == 100 * 5  # Transfer, Transfer, Approval, Approval, Transfer


# --- evm bench: command line ------------------------------------------------------
def test_bench_runs_a_builtin_case(capsys):
    assert main(["bench", "--run", "^call/trivial$", *FAST]) == 0
    out = capsys.readouterr().out
    assert "call/trivial" in out and "21,018" in out and "Mgas/s" in out
    assert "geomean" not in out  # no peers, no ratios


def test_bench_json_schema(capsys):
    assert main(["bench", "--run", "^call/trivial$", "--json", *FAST]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert set(obj) >= {"cases", "geomean"}
    assert obj["geomean"] == {}
    (case,) = obj["cases"]
    assert set(case) >= {"name", "gas_used", "time_s", "ratio"}
    assert case["name"] == "call/trivial" and case["gas_used"] == 21_018
    assert set(case["time_s"]) == {"cyevm"} and case["time_s"]["cyevm"] > 0
    assert case["ratio"] == {}


def test_bench_list(capsys):
    assert main(["bench", "--list", "--builtin", "micro"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "micro/sload_cold\tCancun" in lines and len(lines) == 12


def test_bench_bad_path_is_exit_2_with_one_line(capsys, tmp_path):
    missing = tmp_path / "nope.json"
    assert main(["bench", str(missing)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "no such file" in lines[0] and "nope.json" in lines[0]


def test_bench_malformed_file_is_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["bench", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.json" in err[0]


@pytest.mark.parametrize("argv, message", [
    (["--compare", "nosuchevm"], "unknown engine"),
    (["--compare", ","], "needs peer names"),
    (["--run", "("], "regular expression"),
    (["--run", "nothing-matches-this"], "no case to run"),
    (["--builtin", "huge"], "invalid choice"),
    (["--min-time", "-1"], "non-negative"),
])
def test_bench_usage_errors(capsys, argv, message):
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_bench_missing_peer_is_a_usage_error(capsys, monkeypatch):
    class Missing(Engine):
        name = "missing"

        @classmethod
        def available(cls):
            return "missing is not installed (pip install 'cyevm[bench]')"

    monkeypatch.setitem(bench.ENGINES, "missing", Missing)
    assert main(["bench", "--compare", "missing"]) == 2
    assert "pip install" in capsys.readouterr().err


# --- Peers: a fake one ------------------------------------------------------------
class _FakeRunner(Runner):
    def __init__(self, case: Case, gas_delta: int) -> None:
        self.case, self.gas_delta = case, gas_delta
        self.runs = 0

    def run(self) -> None:
        self.runs += 1

    def finish(self) -> Tuple[int, bool]:
        return self.case.expected_gas + self.gas_delta, True


def _fake_engine(gas_delta: int, slow: bool = False):
    class Fake(Engine):
        name = "fake"

        def version(self) -> str:
            return "9.9"

        def prepare(self, case: Case) -> Runner:
            return _FakeRunner(case, gas_delta)

    Fake.slow = slow
    return Fake


def test_compare_with_a_fake_peer_gives_ratios_and_geomean(capsys, monkeypatch):
    monkeypatch.setitem(bench.ENGINES, "fake", _fake_engine(0))
    assert main(["bench", "--run", "call/trivial|micro/create", "--builtin", "all",
                 "--compare", "fake", "--json", *FAST]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["engines"]["fake"] == "9.9"
    assert [c["name"] for c in obj["cases"]] == ["call/trivial", "micro/create"]
    for c in obj["cases"]:
        assert set(c["time_s"]) == {"cyevm", "fake"}
        assert c["ratio"]["fake"] == pytest.approx(c["time_s"]["cyevm"] / c["time_s"]["fake"])
        assert "gas_mismatch" not in c
    r1, r2 = (c["ratio"]["fake"] for c in obj["cases"])
    assert obj["geomean"]["fake"] == pytest.approx((r1 * r2) ** 0.5)


def test_gas_mismatch_is_flagged_not_hidden(capsys, monkeypatch):
    monkeypatch.setitem(bench.ENGINES, "fake", _fake_engine(+7))
    assert main(["bench", "--run", "^call/trivial$", "--compare", "fake", *FAST]) == 1
    out = capsys.readouterr().out
    assert "GAS!" in out
    assert "gas mismatch: cyevm 21018, fake 21025" in out

    assert main(["bench", "--run", "^call/trivial$", "--compare", "fake", "--json", *FAST]) == 1
    obj = json.loads(capsys.readouterr().out)
    (case,) = obj["cases"]
    assert case["gas_mismatch"] == {"fake": 21_025}
    assert case["ratio"] == {}  # no ratio for a run that did different work
    assert obj["geomean"] == {"fake": None}


def test_slow_peer_over_budget_is_skipped_and_said(capsys, monkeypatch):
    monkeypatch.setitem(bench.ENGINES, "fake", _fake_engine(0, slow=True))
    assert main(["bench", "--run", "^keccak256/loop$", "--compare", "fake",
                 "--peer-budget", "0.001", *FAST]) == 0
    out = capsys.readouterr().out
    assert "skipped" in out and "--peer-budget" in out


def test_engine_error_is_reported(capsys, monkeypatch):
    class Broken(Engine):
        name = "fake"

        def prepare(self, case: Case) -> Runner:
            raise RuntimeError("boom")

    monkeypatch.setitem(bench.ENGINES, "fake", Broken)
    assert main(["bench", "--run", "^call/trivial$", "--compare", "fake", *FAST]) == 1
    assert "fake error: RuntimeError: boom" in capsys.readouterr().out


def test_run_bench_interleaves_equal_repetitions():
    fake = _fake_engine(0)()
    case = next(c for c in builtin_cases("main") if c.name == "call/trivial")
    report = run_bench([case], [fake], BenchOptions(repeat=4, min_time=0))
    (res,) = report.cases
    assert len(res.results["cyevm"].times) == len(res.results["fake"].times) == 4
    assert report_json(report)["cases"][0]["runs"] == {"cyevm": 4, "fake": 4}


# --- State-test files -------------------------------------------------------------
def _fixture(tmp_path, labels=True):
    code = assemble([0, "CALLDATALOAD", 0, "SSTORE", "STOP"])
    test = {
        "env": {"currentCoinbase": "0x" + "11" * 20, "currentNumber": "0x01", "currentTimestamp": "0x03e8",
                "currentGasLimit": "0x05f5e100", "currentBaseFee": "0x07", "currentDifficulty": "0x00",
                "currentRandom": "0x" + "00" * 32},
        "pre": {"0x" + SENDER.hex(): {"nonce": "0x00", "balance": "0x0de0b6b3a7640000", "code": "0x", "storage": {}},
                "0x" + CONTRACT.hex(): {"nonce": "0x00", "balance": "0x00", "code": "0x" + code.hex(), "storage": {}}},
        "transaction": {"sender": "0x" + SENDER.hex(), "to": "0x" + CONTRACT.hex(), "nonce": "0x00",
                        "gasPrice": "0x0a", "gasLimit": ["0x0186a0"], "value": ["0x00"],
                        "data": ["0x" + "00" * 32, "0x" + "00" * 31 + "05"]},
        "post": {"London": [{"indexes": {"data": 0, "gas": 0, "value": 0}, "hash": "0x" + "00" * 32},
                            {"indexes": {"data": 1, "gas": 0, "value": 0}, "hash": "0x" + "00" * 32},
                            {"indexes": {"data": 1, "gas": 0, "value": 0}, "hash": "0x" + "00" * 32,
                             "expectException": "TR_NoFunds"}]},
    }
    if labels:
        test["_info"] = {"labels": {"0": "zero", "1": "five"}}
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"store": test}))
    return path


def test_state_test_file_cases_are_named_by_label(tmp_path):
    cases = load_cases([str(_fixture(tmp_path))])
    assert [c.name for c in cases] == ["store/zero", "store/five"]  # the invalid-tx entry is left out
    assert all(c.fork == Fork.LONDON for c in cases)


def test_state_test_file_without_labels_uses_data_index(tmp_path):
    cases = load_cases([str(_fixture(tmp_path, labels=False))])
    assert [c.name for c in cases] == ["store/0", "store/1"]


def test_bench_runs_a_state_test_folder(capsys, tmp_path):
    _fixture(tmp_path)
    assert main(["bench", str(tmp_path), "--json", *FAST]) == 0
    obj = json.loads(capsys.readouterr().out)
    gas = {c["name"]: c["gas_used"] for c in obj["cases"]}
    # 21000 + calldata (32 zero bytes / 31 zero + 1 non-zero) + PUSH1 CALLDATALOAD PUSH1 + SSTORE
    assert gas == {"store/zero": 21000 + 32 * 4 + 3 + 3 + 3 + 2200,
                   "store/five": 21000 + 31 * 4 + 16 + 3 + 3 + 3 + 22100}


def test_state_test_file_cases_take_chain_id_and_previous_hash_as_statetest_does(tmp_path):
    path = _fixture(tmp_path)
    fixture = json.loads(path.read_text())
    fixture["store"]["config"] = {"chainid": "0x05"}
    fixture["store"]["env"]["previousHash"] = "0x" + "ab" * 32
    path.write_text(json.dumps(fixture))
    for case in load_cases([str(path)]):
        assert case.env.chain_id == 5
        assert case.state.get_block_hash(0) == b"\xab" * 32  # block number 1: its parent
        assert case.post_root == b"\x00" * 32


def test_fixture_gas_needs_the_fixtures_post_state(tmp_path):
    case = load_cases([str(_fixture(tmp_path))])[0]  # its post hash is all zeros: never a real root
    with pytest.raises(ValueError, match="not the fixture's"):
        fixture_gas_used(case)
    builtin = builtin_cases("main")[0]
    with pytest.raises(ValueError, match="no fixture post state root"):
        fixture_gas_used(builtin)


def test_file_cases_use_the_gas_the_fixture_implies():
    """Every engine's gas on the evm-benchmarks files equals what the fixture's post state says was paid."""
    if not BENCH_FILES.is_dir():
        pytest.skip(f"benchmark files not found at {BENCH_FILES}")
    cases = load_cases([str(BENCH_FILES)])
    peers = []
    for name in ("cyevm-apply", "pyrevm"):
        try:
            peers.append(bench.get_engine(name))
        except BenchError:
            pass  # not installed: cyevm alone is still checked against the fixture
    report = run_bench(cases, peers, BenchOptions(repeat=1, min_time=0))
    assert len(report.cases) == len(cases) > 0
    for case, res in zip(cases, report.cases):
        want = fixture_gas_used(case)
        for engine in report.engines:
            r = res.results[engine]
            if r.skipped:
                continue
            assert r.error is None, (case.name, engine, r.error)
            assert r.gas_used == want, (case.name, engine, r.gas_used, want)


def test_load_cases_rejects_a_non_state_test(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"t": {"no": "post"}}))
    with pytest.raises(BenchError, match="not a state test"):
        load_cases([str(p)])
    p.write_text(json.dumps([1, 2]))
    with pytest.raises(BenchError, match="not a state-test file"):
        load_cases([str(p)])


# --- The real peers, on tiny cases (skipped when not installed) ----------------------
def _tiny_cases():
    from evm import workloads as w

    return [w._trivial_call(21_018), w._micro_sload_cold(2, None), w._micro_sstore_warm(2, None),
            w._micro_call(2, None), w._micro_create(2, None), w._erc20(2, None)]


@pytest.mark.parametrize("peer", ["pyrevm", "py-evm", "cyevm-apply"])
def test_real_peers_use_the_same_gas_on_tiny_cases(peer):
    try:
        engine = bench.get_engine(peer)
    except BenchError as e:
        pytest.skip(str(e))
    report = run_bench(_tiny_cases(), [engine], BenchOptions(repeat=1, min_time=0, peer_budget=1e9))
    for c in report.cases:
        assert c.results[peer].error is None, (c.name, c.results[peer].error)
        assert c.results[peer].gas_used == c.gas_used, c.name
        assert c.ratio(peer) is not None


def test_memory_mode_reports_peak_rss(capsys):
    assert main(["bench", "--memory", "--run", "^call/trivial$", "--json"]) == 0
    obj = json.loads(capsys.readouterr().out)
    (case,) = obj["cases"]
    assert case["gas_used"] == 21_018
    assert case["peak_rss_mib"]["cyevm"] >= case["setup_rss_mib"]["cyevm"] > 1
