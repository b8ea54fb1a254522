"""`evm t8n` against the execution specs' `ethereum-spec-evm t8n`, on inputs
made from the GeneralStateTests (every fork they cover).

Up to --per-fork state-test cases of each fork (test x fork x post entry,
--per-file per test, spread over the files) become t8n inputs: alloc = pre, env = the test's env (alternately with
the current base fee and difficulty given, or derived from parent fields),
txs = the case's transaction in geth's JSON form with its secretKey. Both
tools run in this process on the same input; the result objects must agree
on every field they share (the error texts of rejected transactions aside,
and the transactions and receipts roots when a transaction is rejected:
the specs' tool keeps a rejected transaction in its transactions trie and
counts it in the receipts' keys, geth's does neither).

    python tests/differential/t8n_vs_spec.py [--per-fork N] [--per-file N] [FIXTURE_DIR...]

prints each difference and `N equal, M different`; exit status 1 if any differ.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional, Tuple

from evm.forks import FIXTURE_NAMES, Fork, fork_from_name
from evm.tools.t8n import T8nError, transition

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
FIXTURES = [SHARED / "ethereum-tests" / "GeneralStateTests", SHARED / "eest"]
# The specs' tool needs code at the Prague request contracts (checked system calls).
_SYSTEM_STUBS = {
    "0x00000961ef480eb55e80d19ad83579a64c007002": {"nonce": "0x1", "balance": "0x0", "code": "0x00", "storage": {}},
    "0x0000bbddc7ce488642fb579f8b00f3a590007251": {"nonce": "0x1", "balance": "0x0", "code": "0x00", "storage": {}},
}
_SPEC_FORK = {Fork.TANGERINE_WHISTLE: "EIP150", Fork.SPURIOUS_DRAGON: "EIP158",
              Fork.PETERSBURG: "ConstantinopleFix"}


def _first_fork(test: Dict[str, Any]) -> Fork:
    """The first fork whose rules accept the test's transaction type."""
    t = test["transaction"]
    if "authorizationList" in t:
        return Fork.PRAGUE
    if "maxFeePerBlobGas" in t:
        return Fork.CANCUN
    if "maxFeePerGas" in t:
        return Fork.LONDON
    return Fork.BERLIN if any(a is not None for a in t.get("accessLists") or []) else Fork.FRONTIER


def make_inputs(path: Path, per_file: int = 1, other_forks: bool = False) -> Iterator[Tuple[str, Fork, Dict[str, Any]]]:
    """(case id, fork, {"alloc", "env", "txs"}) for the cases of one state-test file; with
    ``other_forks`` also each test's first case under every other fork its transaction exists in."""
    for name, test in json.loads(path.read_text()).items():
        if other_forks and test.get("post"):
            listed = {fork_from_name(f) for f in test["post"] if f in FIXTURE_NAMES}
            first = next(iter(test["post"].values()))[0]
            for fork in Fork:
                if fork >= _first_fork(test) and fork not in listed and fork != Fork.CONSTANTINOPLE:
                    yield (f"{path.name}::{name}[as {fork.fixture_name}]", fork,
                           _case(test, fork, first["indexes"], 0))
        for fork_name, entries in test.get("post", {}).items():
            try:
                fork = fork_from_name(fork_name)
            except ValueError:
                continue
            if fork == Fork.CONSTANTINOPLE:  # the specs have Petersburg's rules under that name
                continue
            for k, post in enumerate(entries[:per_file]):
                yield f"{path.name}::{name}[{fork_name}][{k}]", fork, _case(test, fork, post["indexes"], k)


def _case(test: Dict[str, Any], fork: Fork, idx: Dict[str, int], k: int) -> Dict[str, Any]:
    t, e = test["transaction"], test["env"]
    d, g, v = idx["data"], idx["gas"], idx["value"]
    tx: Dict[str, Any] = {"nonce": t["nonce"], "gas": t["gasLimit"][g], "value": t["value"][v],
                          "input": t["data"][d], "to": t.get("to") or None, "secretKey": t["secretKey"]}
    for key in ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas", "maxFeePerBlobGas", "blobVersionedHashes",
                "authorizationList"):
        if key in t:
            tx[key] = t[key]
    if t.get("accessLists") and t["accessLists"][d] is not None:
        tx["accessList"] = t["accessLists"][d]
    elif "maxFeePerGas" in t:
        tx["accessList"] = []
    number = int(e["currentNumber"], 16)
    env: Dict[str, Any] = {"currentCoinbase": e["currentCoinbase"], "currentGasLimit": e["currentGasLimit"],
                           "currentNumber": e["currentNumber"], "currentTimestamp": e["currentTimestamp"],
                           "blockHashes": {hex(n): "0x" + (n + 1).to_bytes(32, "big").hex()
                                           for n in range(max(0, number - 256), number)}}
    derive = k % 2 == 1  # every other case gives parent fields instead of current values
    # a proof-of-work difficulty (a Paris-era test has 0 there)
    difficulty = hex(max(int(e.get("currentDifficulty", "0x0"), 16), 0x20000))
    if fork >= Fork.PARIS:
        env["currentRandom"] = e.get("currentRandom", "0x0")
    elif derive:
        env.update(parentDifficulty=difficulty, parentTimestamp="0x0")
    else:
        env["currentDifficulty"] = difficulty
    if fork >= Fork.LONDON:
        base = int(e.get("currentBaseFee", "0xa"), 16)
        if derive:
            gas_limit = int(e["currentGasLimit"], 16)
            env.update(parentBaseFee=hex(base), parentGasLimit=hex(gas_limit), parentGasUsed=hex(gas_limit // 2))
        else:
            env["currentBaseFee"] = hex(base)
    if fork >= Fork.SHANGHAI:
        env["withdrawals"] = [{"index": "0x0", "validatorIndex": "0x1", "amount": "0x2",
                               "address": e["currentCoinbase"]}] if derive else []
    if fork >= Fork.CANCUN:
        env["parentBeaconBlockRoot"] = "0x" + "ab" * 32
        if derive:
            env.update(parentExcessBlobGas="0x0", parentBlobGasUsed="0x0")
        else:
            env["currentExcessBlobGas"] = e.get("currentExcessBlobGas", "0x0")
    alloc = dict(test["pre"])
    if fork >= Fork.PRAGUE:
        alloc.update({a: acct for a, acct in _SYSTEM_STUBS.items() if a not in alloc})
    return {"alloc": alloc, "env": env, "txs": [tx]}


def run_spec(fork: Fork, inputs: Dict[str, Any], chain_id: int = 1) -> Dict[str, Any]:
    """The specs' t8n result object for ``inputs`` (in process)."""
    from ethereum_spec_tools.evm_tools.t8n import T8N, ForkCache, t8n_arguments

    parser = argparse.ArgumentParser()
    t8n_arguments(parser.add_subparsers(dest="cmd"))
    options = parser.parse_args(["t8n", "--input.alloc=stdin", "--input.env=stdin", "--input.txs=stdin",
                                 "--output.result=stdout", "--output.alloc=stdout",
                                 f"--state.fork={_SPEC_FORK.get(fork, fork.fixture_name)}",
                                 f"--state.chainid={chain_id}"])
    out = io.StringIO()
    with ForkCache() as cache, contextlib.redirect_stderr(io.StringIO()):
        T8N(options, out, io.StringIO(json.dumps(inputs)), cache).run()
    return json.loads(out.getvalue())["result"]


def differences(ours: Dict[str, Any], spec: Dict[str, Any]) -> List[str]:
    """The fields on which two result objects disagree."""
    diffs = []
    rejected_ours = [r["index"] for r in ours.get("rejected", [])]
    rejected_spec = [r["index"] for r in spec.get("rejected") or []]
    if rejected_ours != rejected_spec:
        diffs.append(f"rejected: {rejected_ours} vs {rejected_spec}")
    for key in ("stateRoot", "logsHash", "logsBloom", "gasUsed", "currentDifficulty",
                "currentBaseFee", "withdrawalsRoot", "currentExcessBlobGas", "requestsHash", "requests"):
        if ours.get(key) != spec.get(key):
            diffs.append(f"{key}: {ours.get(key)} vs {spec.get(key)}")
    for key in ("txRoot", "receiptsRoot"):  # keyed by included transactions in geth's tool only
        if not rejected_spec and ours[key] != spec[key]:
            diffs.append(f"{key}: {ours[key]} vs {spec[key]}")
    mine = [(r["transactionHash"], r["cumulativeGasUsed"], r["logsBloom"], r["status"] == "0x1",
             [(x["address"], x["topics"], x["data"]) for x in r["logs"] or []]) for r in ours["receipts"]]
    theirs = [(r["transactionHash"], r["cumulativeGasUsed"], r["bloom"], r.get("succeeded", True),
               [(x["address"], x["topics"], x["data"]) for x in r["logs"]]) for r in spec["receipts"]]
    if fork_has_status(spec) and mine != theirs:
        diffs.append("receipts differ")
    return diffs


def fork_has_status(spec_result: Dict[str, Any]) -> bool:
    """Whether the specs' receipts carry a status (Byzantium on); before, only roots are compared."""
    return all("succeeded" in r for r in spec_result["receipts"])


def compare(case_id: str, fork: Fork, inputs: Dict[str, Any]) -> List[str]:
    """Run both tools on one input; return the differences (empty when equal)."""
    try:
        ours, _, _ = transition(json.loads(json.dumps(inputs["alloc"])), inputs["env"], inputs["txs"], fork)
    except T8nError as e:
        ours = {"error": str(e)}
    spec = run_spec(fork, json.loads(json.dumps(inputs)))
    if "error" in ours:
        return [f"evm t8n failed: {ours['error']}"]
    return differences(ours, spec)


def sample(folders: List[Path], per_fork: int, per_file: int = 1,
           other_forks: bool = True) -> List[Tuple[str, Fork, Dict[str, Any]]]:
    """Up to ``per_fork`` inputs for each fork, from the state tests under ``folders`` (a test gives
    at most ``per_file`` post entries per fork; with ``other_forks`` the first one also runs under
    the forks the fixtures lack, e.g. Cancun tests as Frontier)."""
    files = sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*.json"))
    native: Dict[Fork, List[Tuple[str, Fork, Dict[str, Any]]]] = {}
    borrowed: Dict[Fork, List[Tuple[str, Fork, Dict[str, Any]]]] = {}
    for path in files:
        try:
            cases = list(make_inputs(path, per_file, other_forks))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a state-test file
        for case in cases:
            (borrowed if "[as " in case[0] else native).setdefault(case[1], []).append(case)

    def spread(items: List[Any], n: int) -> List[Any]:  # n items evenly spaced over the list
        return items if len(items) <= n else [items[i * len(items) // n] for i in range(n)]

    out = []
    for fork in sorted(set(native) | set(borrowed)):
        mine = spread(native.get(fork, []), per_fork)
        out += mine + spread(borrowed.get(fork, []), per_fork - len(mine))
    return out


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("fixtures", nargs="*", default=[str(p) for p in FIXTURES])
    ap.add_argument("--per-fork", type=int, default=40, help="inputs per fork (default 40)")
    ap.add_argument("--per-file", type=int, default=1, help="post entries per test and fork (default 1)")
    args = ap.parse_args(argv)
    equal = different = 0
    counts: Dict[str, int] = {}
    for case_id, fork, inputs in sample([Path(f) for f in args.fixtures], args.per_fork, args.per_file):
        counts[fork.fixture_name] = counts.get(fork.fixture_name, 0) + 1
        diffs = compare(case_id, fork, inputs)
        if diffs:
            different += 1
            print(f"DIFF {case_id}: {'; '.join(diffs)}", flush=True)
        else:
            equal += 1
    print("inputs per fork: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"{equal} equal, {different} different")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main())
