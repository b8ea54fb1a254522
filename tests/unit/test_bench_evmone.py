"""evm bench --compare evmone: the execution-only mode (issue 14).

evmone itself is not needed: a stand-in script plays evmone-bench-london
(its JSON is google-benchmark's), so what is tested is our side — case
names as evmone names them, the parsing, the core's in-C timing and the
table. The real comparison is in the README.
"""
from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import pytest

from evm import Fork, State, Account
from evm.bench import BenchError
from evm.bench.evmone import (ExecCase, find_evmone_bench, format_evmone_table, load_exec_cases, measure_cyevm,
                              run_evmone)
from evm.cli import main
from evm.executor import _make_vm
from evm.env import BlockEnv

TO = "0x" + "cc" * 20
# counter = calldata[0]; while counter: counter -= 1; STOP
LOOP = "6000355b80156011576001900360035600" + "5b00"


def _bench_file(path: Path, code: str, inputs, labels) -> None:
    path.write_text(json.dumps({path.stem: {
        "_info": {"labels": {str(i): l for i, l in enumerate(labels)}},
        "env": {}, "post": {"London": []},
        "pre": {TO: {"code": code, "balance": "0x0", "nonce": "0x0", "storage": {}}},
        "transaction": {"data": inputs, "gasLimit": ["0x3b9aca00"], "to": TO, "value": ["0x0"],
                        "nonce": "0x0", "gasPrice": "0x1", "secretKey": "0x" + "45" * 32},
    }}))


def test_cases_are_named_as_evmone_names_them(tmp_path):
    (tmp_path / "main").mkdir()
    _bench_file(tmp_path / "main" / "loop.json", "0x" + LOOP, ["0x" + "00" * 32, "0x" + "00" * 31 + "05"],
                ["zero", "five"])
    _bench_file(tmp_path / "top.json", "0x00", ["0x"], [""])
    cases = load_exec_cases(str(tmp_path))
    assert [c.name for c in cases] == ["main/loop/zero", "main/loop/five", "top"]
    assert cases[1].data == bytes(31) + b"\x05" and cases[1].code == bytes.fromhex(LOOP)
    with pytest.raises(BenchError, match="folder"):
        load_exec_cases(str(tmp_path / "top.json"))
    (tmp_path / "broken.json").write_text("{}")
    with pytest.raises(BenchError, match="broken.json: not a benchmark state test"):
        load_exec_cases(str(tmp_path))


def test_bench_execute_times_the_code_in_c_and_undoes_each_run():
    # SSTORE(0, SLOAD(0) + 1): every run must start from the same state
    code = bytes.fromhex("6000546001016000555b00")
    to, caller = b"\xcc" * 20, b"\xca" * 20
    vm = _make_vm(State({to: Account(code=code, storage={0: 41})}), BlockEnv(), Fork.LONDON, None, None)
    times, gas_used, error = vm.bench_execute(caller, to, b"", 1_000_000, 5)
    assert len(times) == 5 and all(t > 0 for t in times) and error is None
    # warm: 2100 cold SLOAD + 3 + 3 + 3 + SSTORE 41 -> 42 (2900 + cold surcharge 0, slot warm) + JUMPDEST
    assert gas_used == 3 + 2100 + 3 + 3 + 3 + 2900 + 1
    assert vm.storage(to, 0) == 41  # nothing of the runs is kept


def test_run_evmone_reads_google_benchmark_json(tmp_path):
    fake = tmp_path / "evmone-bench-london"
    report = {"benchmarks": [
        {"run_name": "baseline/execute/main/loop/five", "aggregate_name": "mean", "real_time": 9.0, "time_unit": "us"},
        {"run_name": "baseline/execute/main/loop/five", "aggregate_name": "median", "real_time": 2.5,
         "time_unit": "us"},
        {"run_name": "baseline/execute/top", "aggregate_name": "median", "real_time": 40.0, "time_unit": "ns"},
    ]}
    fake.write_text(f"#!{sys.executable}\nimport sys\nassert '--benchmark_filter=^baseline/execute/' in sys.argv\n"
                    f"print({json.dumps(json.dumps(report))})\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    assert find_evmone_bench(str(fake)) == str(fake)
    times = run_evmone(str(fake), str(tmp_path), 3, 0.01)
    assert times == {"main/loop/five": pytest.approx(2.5e-6), "top": pytest.approx(40e-9)}


def test_missing_evmone_says_how_to_build_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(BenchError, match="build.sh"):
        find_evmone_bench()
    assert main(["bench", "--compare", "evmone", str(tmp_path)]) == 2
    assert "build.sh" in capsys.readouterr().err
    assert main(["bench", "--compare", "evmone,pyrevm", str(tmp_path)]) == 2
    assert "another run" in capsys.readouterr().err


def test_measure_and_table(tmp_path):
    case = ExecCase("main/loop/five", bytes.fromhex(LOOP), bytes(31) + b"\x05", b"\xcc" * 20)
    row = measure_cyevm(case, rounds=2, min_time=0.01)
    # PUSH1 CALLDATALOAD, then 5 rounds of JUMPDEST DUP1 ISZERO PUSH1 JUMPI PUSH1 SWAP1 SUB PUSH1 JUMP,
    # then JUMPDEST DUP1 ISZERO PUSH1 JUMPI, JUMPDEST STOP
    assert row.notes == [] and row.gas_used == 3 + 3 + 5 * (1 + 3 + 3 + 3 + 10 + 3 + 3 + 3 + 3 + 8) + (1 + 3 + 3 + 3 + 10) + 1
    assert row.exec_s > 0 and row.python_s > 0  # (no order between two timings: this is no timed test)
    row.evmone_s = row.exec_s / 2
    text = format_evmone_table([row], "evmone-bench-london")
    assert "main/loop/five" in text and "2.00" in text
