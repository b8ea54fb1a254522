"""``evm blocktest``: summary, JSON results, exit codes and error lines."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BT = REPO.parent / "shared" / "fixtures" / "ethereum-tests" / "BlockchainTests"


def evm(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "evm", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"fixture {path} not available")
    return path


def test_folder_summary_and_exit_status():
    p = evm("blocktest", "-j", "2", str(need(BT / "InvalidBlocks" / "bcEIP1559")))
    assert p.returncode == 0, p.stdout + p.stderr
    passed = int(p.stdout.split()[0])
    assert passed > 0 and p.stdout.strip().endswith(f"{passed} passed, 0 failed")


def test_json_reports_rejected_blocks():
    p = evm("blocktest", "--json", str(need(BT / "InvalidBlocks" / "bcInvalidHeaderTest")))
    results = json.loads(p.stdout)
    assert results and all(r["pass"] for r in results)
    rejected = [x for r in results for x in r["rejected"]]
    assert rejected and all(x["expected"] and x["got"] for x in rejected)


def test_run_and_fork_filters(tmp_path):
    folder = need(BT / "ValidBlocks" / "bcExample")
    p = evm("blocktest", "--run", "^basefeeExample", str(folder))
    assert p.stdout.strip() == "1 passed, 0 failed"
    p = evm("blocktest", "--fork", "Berlin", str(folder))
    assert p.stdout.strip() == "0 passed, 0 failed" and "no test case matched" in p.stderr


def test_trace_writes_eip3155_lines():
    p = evm("blocktest", "--trace", "--run", "^basefeeExample", str(need(BT / "ValidBlocks" / "bcExample")))
    lines = [json.loads(line) for line in p.stderr.splitlines()]
    assert any("opName" in line for line in lines) and "stateRoot" in lines[-1]


def test_errors_are_one_line(tmp_path):
    p = evm("blocktest", str(tmp_path / "missing.json"))
    assert p.returncode == 1 and "cannot read fixture" in p.stdout and "Traceback" not in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"t": {"network": "Cancun", "blocks": [], "genesisRLP": "0xzz", "pre": {}}}')
    p = evm("blocktest", str(bad))
    assert p.returncode == 1 and "genesisRLP" in p.stdout and "Traceback" not in p.stderr
    p = evm("blocktest", "--run", "(", str(bad))
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1
    p = evm("blocktest", "--fork", "Nope", str(bad))
    assert p.returncode == 2 and "unknown fork" in p.stderr
