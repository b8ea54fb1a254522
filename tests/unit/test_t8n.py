"""``evm t8n``: inputs and outputs in geth's contract, exit codes, traces."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evm.rlp import decode as rlp_decode
from evm.transaction import sender_from_secret_key
from evm.signed_transaction import decode_block_transaction

REPO = Path(__file__).resolve().parents[2]
KEY = "0x45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8"
SENDER = "0x" + sender_from_secret_key(bytes.fromhex(KEY[2:])).hex()
CONTRACT = "0x00000000000000000000000000000000000c0de1"
ALLOC = {SENDER: {"balance": "0x3635c9adc5dea00000"},
         CONTRACT: {"code": "0x602a60005533600460006000a100", "nonce": "0x1"}}  # SSTORE 42, LOG1
ENV = {"currentCoinbase": "0x00000000000000000000000000000000000000ba", "currentGasLimit": "0x1000000",
       "currentNumber": "0x1", "currentTimestamp": "0x3e8", "currentBaseFee": "0x7",
       "currentRandom": "0x" + "00" * 32, "withdrawals": [], "parentBeaconBlockRoot": "0x" + "00" * 32,
       "currentExcessBlobGas": "0x0"}
TXS = [
    {"type": "0x2", "chainId": "0x1", "nonce": "0x0", "gas": "0x186a0", "maxFeePerGas": "0x3b9aca00",
     "maxPriorityFeePerGas": "0x1", "to": CONTRACT, "value": "0x0", "input": "0x", "accessList": [],
     "secretKey": KEY},
    {"nonce": "0x5", "gas": "0x5208", "gasPrice": "0x3b9aca00", "to": CONTRACT, "value": "0x1", "input": "0x",
     "secretKey": KEY},  # nonce too high: rejected
    {"nonce": "0x1", "gas": "0x5208", "gasPrice": "0x3b9aca00", "to": CONTRACT, "value": "0x1", "input": "0x",
     "secretKey": KEY},
]


def t8n(*args: str, stdin: str = "", cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "evm", "t8n", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=120)


def _write_inputs(folder: Path) -> None:
    for name, value in (("alloc", ALLOC), ("env", ENV), ("txs", TXS)):
        (folder / f"{name}.json").write_text(json.dumps(value))


def test_files_in_files_out(tmp_path):
    _write_inputs(tmp_path)
    p = t8n("--state.fork", "Cancun", "--output.basedir", str(tmp_path / "out"), "--output.body", "body.json",
            cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    result = json.loads((tmp_path / "out" / "result.json").read_text())
    alloc = json.loads((tmp_path / "out" / "alloc.json").read_text())
    body = json.loads((tmp_path / "out" / "body.json").read_text())
    assert [r["index"] for r in result["rejected"]] == [1]
    assert "nonce" in result["rejected"][0]["error"].lower()
    assert len(result["receipts"]) == 2 and result["receipts"][0]["status"] == "0x1"
    assert result["receipts"][0]["logs"][0]["address"] == CONTRACT
    assert int(result["gasUsed"], 16) == int(result["receipts"][1]["cumulativeGasUsed"], 16)
    assert alloc[CONTRACT]["storage"] == {"0x" + "00" * 32: "0x" + "00" * 31 + "2a"}
    assert alloc[SENDER]["nonce"] == "0x2"
    txs = [decode_block_transaction(item) for item in rlp_decode(bytes.fromhex(body[2:]))]
    assert [t.nonce for t in txs] == [0, 1] and all("0x" + t.sender.hex() == SENDER for t in txs)
    for key in ("stateRoot", "txRoot", "receiptsRoot", "logsHash", "logsBloom", "currentBaseFee",
                "withdrawalsRoot", "currentExcessBlobGas", "blobGasUsed"):
        assert key in result


def test_stdin_to_stdout_matches_the_specs():
    p = t8n("--input.alloc", "stdin", "--input.env", "stdin", "--input.txs", "stdin", "--output.result", "stdout",
            "--output.alloc", "stdout", "--state.fork", "Cancun", stdin=json.dumps({"alloc": ALLOC, "env": ENV,
                                                                                    "txs": TXS}))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert set(out) == {"alloc", "result"}
    pytest.importorskip("ethereum_spec_tools", reason="the execution specs are not installed")
    sys.path.insert(0, str(REPO / "tests" / "differential"))
    from t8n_vs_spec import differences, run_spec
    from evm.forks import Fork

    assert differences(out["result"], run_spec(Fork.CANCUN, {"alloc": ALLOC, "env": ENV, "txs": TXS})) == []


def test_trace_files(tmp_path):
    _write_inputs(tmp_path)
    p = t8n("--state.fork", "Cancun", "--trace", "--output.basedir", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    traces = sorted(f.name for f in tmp_path.glob("trace-*.jsonl"))
    assert len(traces) == 3 and traces[0].startswith("trace-0-0x")
    first = [json.loads(line) for line in (tmp_path / traces[0]).read_text().splitlines()]
    assert first[0]["opName"] == "PUSH1"


def test_rlp_txs(tmp_path):
    _write_inputs(tmp_path)
    p = t8n("--state.fork", "Cancun", "--output.body", "stdout", "--output.result", "stdout", cwd=tmp_path)
    body = json.loads(p.stdout)["body"]
    (tmp_path / "txs.rlp").write_text(json.dumps(body))
    p2 = t8n("--state.fork", "Cancun", "--input.txs", "txs.rlp", "--output.result", "stdout", cwd=tmp_path)
    assert p2.returncode == 0, p2.stderr
    assert json.loads(p2.stdout)["result"]["stateRoot"] == json.loads(p.stdout)["result"]["stateRoot"]


@pytest.mark.parametrize("args,files,code", [
    (["--state.fork", "Nope"], {}, 3),
    (["--state.fork", "Cancun"], {"env.json": "{"}, 10),
    (["--state.fork", "Cancun", "--input.env", "missing.json"], {}, 11),
    (["--state.fork", "Cancun", "--input.txs", "bad.rlp"], {"bad.rlp": '"0xzz"'}, 12),
])
def test_exit_codes(tmp_path, args, files, code):
    _write_inputs(tmp_path)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    p = t8n(*args, cwd=tmp_path)
    assert p.returncode == code, p.stderr
    assert len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_help_lists_the_forks():
    p = t8n("--help")
    assert p.returncode == 0 and "Prague" in p.stdout and "Frontier" in p.stdout


def test_stream_mode_answers_each_line():
    request = json.dumps({"alloc": ALLOC, "env": ENV, "txs": TXS, "fork": "Cancun"})
    lines = "\n".join([request, "{not json", json.dumps({"alloc": {}, "env": ENV, "txs": [], "fork": "Nope"}),
                       request]) + "\n"
    p = t8n("--stream", stdin=lines)
    assert p.returncode == 0, p.stderr
    answers = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(answers) == 4
    assert answers[0]["result"]["stateRoot"] == answers[3]["result"]["stateRoot"]
    assert [r["index"] for r in answers[0]["result"]["rejected"]] == [1]
    assert answers[1]["code"] == 10 and answers[2]["code"] == 3
    one_shot = t8n("--input.alloc", "stdin", "--input.env", "stdin", "--input.txs", "stdin", "--output.result",
                   "stdout", "--output.alloc", "stdout", "--state.fork", "Cancun", stdin=request)
    assert json.loads(one_shot.stdout)["result"] == answers[0]["result"]
