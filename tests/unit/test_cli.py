"""The ``evm`` command: exit codes, error lines, output formats (subprocess and in-process)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evm.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures"
ADD11 = FIXTURES / "ethereum-tests" / "GeneralStateTests" / "stExample" / "add11.json"


def evm(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """Run ``python -m evm ARGS`` with the repository on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "evm", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=REPO, timeout=120)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"fixture {path} not available")
    return path


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


# --- global options ------------------------------------------------------------
def test_help_lists_subcommands():
    r = evm("--help")
    assert r.returncode == 0
    assert "statetest" in r.stdout and "run" in r.stdout


def test_version():
    import re

    for flag in ("--version", "-v"):
        r = evm(flag)
        # execution-spec-tests recognises a geth-style t8n tool by this line
        assert r.returncode == 0 and re.match(r"^evm(.exe)? version\b", r.stdout)
        assert "cyevm" in r.stdout


def test_run_dump_prints_the_post_state_alloc():
    # SSTORE(0, 0x2a) then STOP
    r = evm("run", "--dump", "602a60005500")
    assert r.returncode == 0, r.stderr
    alloc = json.loads(r.stdout[r.stdout.index("{"):])
    contract = alloc["0x0000000000000000000000000000000000000ca1"]
    assert contract["code"] == "0x602a60005500"
    assert int(next(iter(contract["storage"].values())), 16) == 0x2A


def test_run_prestate_sender_receiver(tmp_path):
    receiver = "0x" + "22" * 20
    sender = "0x" + "11" * 20
    # the receiver's code returns CALLER as a word
    alloc = {"alloc": {receiver: {"balance": "0x0", "code": "0x3360005260206000f3"},
                       sender: {"balance": "0x100"}}}
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(alloc))
    r = evm("run", "--prestate", str(path), "--sender", sender, "--receiver", receiver, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["output"] == "0x" + "00" * 12 + "11" * 20
    bad = evm("run", "--prestate", str(tmp_path / "missing.json"), "00")
    assert bad.returncode == 2 and "--prestate" in bad.stderr and "Traceback" not in bad.stderr


def test_no_subcommand_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "statetest" in capsys.readouterr().err


def test_unknown_option_one_line_exit_2():
    r = evm("statetest", "--bogus", "x.json")
    assert r.returncode == 2
    line = _one_error_line(r.stderr)
    assert line.startswith("evm: error: unrecognized arguments: --bogus")


# --- evm statetest: usage errors ---------------------------------------------------
def test_statetest_unknown_fork_exit_2():
    r = evm("statetest", "--fork", "Atlantis", "x.json")
    assert r.returncode == 2
    line = _one_error_line(r.stderr)
    assert line.startswith("evm statetest: error: argument --fork: unknown fork 'Atlantis'")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--index", "1:2"], "bad index '1:2'"),
        (["--run", "("], "bad --run regular expression"),
        (["-j", "x"], "argument -j/--jobs: not a number"),
        (["-j", "-2"], "argument -j/--jobs"),
        (["--json", "--human"], "not allowed with argument"),
    ],
)
def test_statetest_bad_arguments(capsys, args, fragment):
    assert main(["statetest", *args, "x.json"]) == 2
    err = capsys.readouterr().err
    assert fragment in _one_error_line(err)


def test_statetest_without_paths_and_no_stdin_reads_stdin_list(tmp_path):
    bad = tmp_path / "broken.json"
    bad.write_text("{")
    r = evm("statetest", stdin=f"{bad}\n")
    assert r.returncode == 1
    assert r.stdout.splitlines()[-1] == "0 passed, 1 failed"


# --- evm statetest: broken fixtures (no executor needed) -----------------------------
def test_statetest_broken_files_are_failures_and_run_goes_on(tmp_path):
    (tmp_path / "a_truncated.json").write_text('{"x": {"env": {')
    (tmp_path / "b_notjson.json").write_text("hello")
    (tmp_path / "c_list.json").write_text("[]")
    r = evm("statetest", str(tmp_path))
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[-1] == "0 passed, 3 failed"
    assert lines[0].startswith(f"FAIL {tmp_path / 'a_truncated.json'}") and "truncated JSON" in lines[0]
    assert "malformed JSON" in lines[1]
    assert "not a state-test file" in lines[2]
    assert "Traceback" not in r.stderr


def test_statetest_missing_path_is_a_failure(tmp_path, capsys):
    assert main(["statetest", str(tmp_path / "nope.json")]) == 1
    out = capsys.readouterr().out
    assert "cannot read fixture" in out and out.splitlines()[-1] == "0 passed, 1 failed"


def test_statetest_json_output_of_broken_file(tmp_path, capsys):
    p = tmp_path / "t.json"
    p.write_text('{"x": ')
    assert main(["statetest", "--json", str(p)]) == 1
    results = json.loads(capsys.readouterr().out)
    assert len(results) == 1
    r = results[0]
    assert r["pass"] is False and r["stateRoot"] is None and r["fork"] is None
    assert r["name"] == str(p) and r["error"].startswith("truncated JSON")


def test_statetest_unknown_fork_in_fixture_is_a_failed_case(tmp_path, capsys):
    p = tmp_path / "t.json"
    p.write_text(json.dumps({"x": {"env": {}, "pre": {}, "transaction": {}, "post": {"Atlantis": [{}]}}}))
    assert main(["statetest", str(p)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"FAIL {p}: x [Atlantis]: unknown fork 'Atlantis'")
    assert out[-1] == "0 passed, 1 failed"


def test_statetest_bad_hex_in_fixture(tmp_path, capsys):
    p = tmp_path / "t.json"
    test = {"env": {}, "pre": {"0xzz": {}}, "transaction": {},
            "post": {"Cancun": [{"hash": "0x" + "00" * 32, "indexes": {"data": 0, "gas": 0, "value": 0}}]}}
    p.write_text(json.dumps({"x": test}))
    assert main(["statetest", str(p)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert "bad hex" in out[0] and out[-1] == "0 passed, 1 failed"


def test_no_progress_bar_when_stderr_is_not_a_tty(tmp_path):
    (tmp_path / "t.json").write_text("{")
    r = evm("statetest", str(tmp_path / "t.json"))
    assert r.stderr == ""


# --- evm statetest with the executor --------------------------------------------------
def test_statetest_add11_passes():
    r = evm("statetest", str(need(ADD11)))
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "1 passed, 0 failed\n"


def test_statetest_json_add11(capsys):
    assert main(["statetest", "--json", str(need(ADD11))]) == 0
    [r] = json.loads(capsys.readouterr().out)
    assert r["name"] == "add11" and r["pass"] is True and r["fork"] == "Cancun" and r["error"] is None
    assert r["stateRoot"] == "0xe8010ce590f401c9d61fef8ab05bea9bcec24281b795e5868809bc4e515aa530"


def test_statetest_parallel_gives_the_same_results(tmp_path):
    folder = need(FIXTURES / "ethereum-tests" / "GeneralStateTests" / "stExample")
    one = evm("statetest", "--json", str(folder))
    two = evm("statetest", "--json", "-j", "2", str(folder))
    assert one.returncode == two.returncode
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert len(json.loads(one.stdout)) > 1


def test_statetest_trace_goes_to_stderr():
    r = evm("statetest", "--trace", str(need(ADD11)))
    assert r.returncode == 0
    lines = r.stderr.splitlines()
    assert json.loads(lines[0])["opName"] == "PUSH1"
    assert lines[-1] == '{"stateRoot": "0xe8010ce590f401c9d61fef8ab05bea9bcec24281b795e5868809bc4e515aa530"}'
    assert r.stdout == "1 passed, 0 failed\n"


# --- evm run ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args, fragment",
    [
        (["60zz"], "CODE: malformed hex (unexpected 'z')"),
        (["600"], "CODE: odd number of hex digits"),
        (["--input", "0xg0", "00"], "--input: malformed hex"),
        (["--gas", "lots", "00"], "argument --gas: not a number"),
        (["--fork", "Nope", "00"], "argument --fork: unknown fork 'Nope'"),
        (["--codefile", "/nonexistent/code.hex"], "cannot read --codefile"),
        (["--codefile", "x", "00"], "give CODE or --codefile, not both"),
    ],
)
def test_run_usage_errors(capsys, args, fragment):
    assert main(["run", *args]) == 2
    assert fragment in _one_error_line(capsys.readouterr().err)


def test_run_malformed_hex_subprocess():
    r = evm("run", "0x6001zz")
    assert r.returncode == 2 and r.stdout == ""
    assert _one_error_line(r.stderr) == "evm run: error: CODE: malformed hex (unexpected 'z')"


# MSTORE 0x2a at 0 and RETURN 32 bytes: PUSH1 2a PUSH1 00 MSTORE PUSH1 20 PUSH1 00 RETURN
RETURN_42 = "602a60005260206000f3"
RETURN_42_OUT = "0x" + "00" * 31 + "2a"
RETURN_42_GAS = 3 + 3 + 6 + 3 + 3 + 0  # pushes, MSTORE (3 + 3 memory), RETURN (memory already paid)


def test_run_prints_output_and_gas(capsys):
    assert main(["run", RETURN_42]) == 0
    assert capsys.readouterr().out == f"{RETURN_42_OUT}\ngas used: {RETURN_42_GAS}\n"


def test_run_json(capsys):
    assert main(["run", "--json", "0x" + RETURN_42]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj == {"output": RETURN_42_OUT, "gasUsed": hex(RETURN_42_GAS), "error": None}


def test_run_reads_code_from_stdin_and_codefile(tmp_path):
    r = evm("run", "--json", stdin=RETURN_42 + "\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["output"] == RETURN_42_OUT
    f = tmp_path / "code.hex"
    f.write_text("0x" + RETURN_42 + "\n")
    r = evm("run", "--json", "--codefile", str(f))
    assert r.returncode == 0 and json.loads(r.stdout)["output"] == RETURN_42_OUT


def test_run_reports_errors(capsys):
    assert main(["run", "--json", "--gas", "2", "6001"]) == 0  # PUSH1 needs 3 gas
    obj = json.loads(capsys.readouterr().out)
    assert obj["error"] == "OutOfGasError" and obj["gasUsed"] == "0x2" and obj["output"] == "0x"
    assert main(["run", "60006000fd"]) == 0  # REVERT(0, 0)
    assert capsys.readouterr().out.splitlines()[-1] == "error: Revert"


def test_run_input_and_fork(capsys):
    # CALLDATALOAD(0) then RETURN it: PUSH1 0 CALLDATALOAD PUSH1 0 MSTORE PUSH1 32 PUSH1 0 RETURN
    assert main(["run", "--json", "--input", "0x" + "ab" * 32, "600035600052602060" + "00f3"]) == 0
    assert json.loads(capsys.readouterr().out)["output"] == "0x" + "ab" * 32
    assert main(["run", "--json", "--fork", "Shanghai", "5f"]) == 0  # PUSH0 exists from Shanghai
    assert json.loads(capsys.readouterr().out)["error"] is None
    assert main(["run", "--json", "--fork", "Paris", "5f"]) == 0
    assert json.loads(capsys.readouterr().out)["error"] == "InvalidOpcode"


def test_run_create(capsys):
    # initcode returning the one-byte runtime code 0x00: PUSH1 0 PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN
    assert main(["run", "--json", "--create", "60006000536001" + "6000f3"]) == 0
    obj = json.loads(capsys.readouterr().out)
    assert obj["error"] is None and obj["contractAddress"].startswith("0x") and len(obj["contractAddress"]) == 42


def test_run_trace(tmp_path):
    r = evm("run", "--trace", "600160020100")
    assert r.returncode == 0
    lines = [json.loads(x) for x in r.stderr.splitlines()]
    assert [x.get("opName") for x in lines[:4]] == ["PUSH1", "PUSH1", "ADD", "STOP"]
    assert lines[2]["stack"] == ["0x1", "0x2"] and lines[2]["gasCost"] == "0x3"


# --- parallel runs: crash isolation, progress display ------------------------------------
def _fake_worker(path, fork=None, run=None, index=None, dump=False):
    """Stands in for evm.statetest's pool worker in forked workers: 'crash' files kill the process."""
    if "crash" in os.path.basename(path):
        os.kill(os.getpid(), 9)  # as abrupt as a segfault in the compiled core
    return [{"name": os.path.basename(path), "pass": True, "stateRoot": "0x", "fork": "Cancun",
             "error": None, "file": path, "index": "0:0:0"}]


def test_a_crashing_worker_costs_only_its_file(tmp_path, monkeypatch, capsys):
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method to patch the worker")
    import evm.statetest

    monkeypatch.setattr(evm.statetest, "_run_file_safely", _fake_worker)
    names = ["a.json", "b_crash.json", "c.json", "d.json", "e_crash.json", "f.json"]
    for n in names:
        (tmp_path / n).write_text("{}")
    assert main(["statetest", "--json", "-j", "2", str(tmp_path)]) == 1
    results = json.loads(capsys.readouterr().out)
    assert [os.path.basename(r["file"]) for r in results] == names  # order kept, nothing lost
    crashed = [os.path.basename(r["file"]) for r in results if not r["pass"]]
    assert crashed == ["b_crash.json", "e_crash.json"]
    assert all("worker process died" in r["error"] for r in results if not r["pass"])


def test_progress_bar_only_on_a_terminal(tmp_path):
    pty = pytest.importorskip("pty")
    (tmp_path / "t.json").write_text("{")
    master, slave = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "evm", "statetest", str(tmp_path / "t.json")],
                          stdout=subprocess.PIPE, stderr=slave, env=env, cwd=REPO, timeout=120)
    os.close(slave)
    shown = b""
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            shown += chunk
    except OSError:
        pass
    os.close(master)
    assert proc.returncode == 1
    assert b"1/1 files" in shown and b"1 failed" in shown
    assert proc.stdout.decode().splitlines()[-1] == "0 passed, 1 failed"


def test_statetest_dump_gives_the_post_state_whose_root_the_fixture_expects():
    from evm.statetest import build_state
    from evm.trie import state_root

    path = need(FIXTURES / "ethereum-tests" / "GeneralStateTests" / "stExample" / "add11.json")
    r = evm("statetest", "--dump", str(path))
    assert r.returncode == 0, r.stderr
    results = json.loads(r.stdout)
    expected = {post["hash"] for posts in json.loads(path.read_text())["add11"]["post"].values() for post in posts}
    for res in results:
        assert res["pass"]
        alloc = {a: {"nonce": "0x0", "code": "0x", "storage": {}, **acct}
                 for a, acct in res["state"]["accounts"].items()}
        root = "0x" + state_root(build_state(alloc)).hex()
        assert root == res["state"]["root"] and root in expected
