"""Run `evm statetest` (or `evm blocktest`) over a fixture folder and hold it to the ratchet.

Fails if a case fails that is not in the known-failures file, or if a case
listed there now passes (remove it: the list may only shrink). The file
holds one case name per line, then `#` and the reason; a blockchain-test
case is written `blocktest: <name> [<fork>]`.
"""
import argparse
import json
import os
import subprocess
import sys
import time


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--known", required=True)
    ap.add_argument("-j", default="0")
    ap.add_argument("--command", choices=("statetest", "blocktest"), default="statetest")
    args = ap.parse_args()
    prefix = "blocktest: " if args.command == "blocktest" else ""
    known = {}
    with open(args.known) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition("#")
            if not reason.strip():
                print(f"known-failures entry without a reason: {line}")
                return 1
            name = name.strip()
            if name.startswith("blocktest: ") == bool(prefix):
                known[name[len(prefix):]] = reason.strip()
    t0 = time.time()
    proc = subprocess.run(
        [sys.executable, "-m", "evm", args.command, "--json", "-j", args.j, args.path],
        stdout=subprocess.PIPE, text=True,
    )
    wall = time.time() - t0
    try:
        results = json.loads(proc.stdout)
    except ValueError:
        print(f"evm {args.command} did not print JSON; exit code", proc.returncode)
        print(proc.stdout[-2000:])
        return 1
    failed = {r["name"] + f" [{r['fork']}]": r for r in results if r["pass"] is False}
    passed = sum(1 for r in results if r["pass"])
    new = sorted(set(failed) - set(known))
    fixed = sorted(set(known) - set(failed))
    print(f"{passed} passed, {len(failed)} failed ({len(known)} known) in {wall:.0f} s")
    for n in new:
        print(f"NEW FAILURE: {n}: {failed[n].get('error')}")
    for n in fixed:
        print(f"NOW PASSES (remove from {os.path.basename(args.known)}): {prefix}{n}")
    return 1 if new or fixed else 0


if __name__ == "__main__":
    sys.exit(main())
