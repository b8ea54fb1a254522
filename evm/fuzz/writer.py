"""A :class:`~evm.fuzz.generator.Case` as a state-test fixture, and writing one out.

The fixture has the shape of ethereum/tests ``GeneralStateTests``: one test,
one fork, one post entry whose ``hash`` and ``logs`` are the oracle's (the
execution specs'), so ``evm statetest`` replays it as a regression test.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Dict, Optional

from .generator import COINBASE, SENDER, SENDER_KEY, Case

__all__ = ["ENV", "to_fixture", "case_name", "write_case"]

#: The block environment of every case (the ethereum/tests default).
ENV: Dict[str, str] = {
    "currentCoinbase": "0x" + COINBASE.hex(),
    "currentDifficulty": "0x020000",
    "currentGasLimit": "0x05f5e100",
    "currentNumber": "0x01",
    "currentTimestamp": "0x03e8",
    "currentBaseFee": "0x07",
    "currentRandom": "0x0000000000000000000000000000000000000000000000000000000000020000",
    "currentExcessBlobGas": "0x00",
    "previousHash": "0x5e20a0453cecd065ea59c37ac63e079ee08998b6045136a8ce6635c7912ec0b6",
}
# BLOCKHASH(number - 1) is previousHash for the specs' statetest and for
# ours; evmone-statetest reads the same fact from env.blockHashes.
ENV["blockHashes"] = {"0x00": ENV["previousHash"]}


def _hex(n: int) -> str:
    # an even number of digits: evmone reads storage keys and values as bytes
    digits = "%x" % n
    return "0x" + ("0" * (len(digits) % 2)) + digits


def to_fixture(case: Case, post: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The state test (one test object, not yet keyed by name) of ``case``.

    ``post`` is the post entry (``hash``, ``logs``); without it a zero hash is
    written, which is what the oracles are given (they compute the real one).
    """
    pre = {}
    for addr, acct in sorted(case.accounts.items()):
        pre["0x" + addr.hex()] = {
            "balance": _hex(acct.balance),
            "nonce": _hex(acct.nonce),
            "code": "0x" + acct.code_bytes().hex(),
            "storage": {_hex(k): _hex(v) for k, v in sorted(acct.storage.items())},
        }
    tx: Dict[str, Any] = {
        "data": ["0x" + case.data_bytes().hex()],
        "gasLimit": [_hex(case.gas_limit)],
        "nonce": "0x00",
        "secretKey": "0x" + SENDER_KEY.hex(),
        "sender": "0x" + SENDER.hex(),
        "to": "0x" + case.to.hex() if case.to is not None else "",
        "value": [_hex(case.value)],
    }
    if case.fees is not None:
        tx["maxFeePerGas"], tx["maxPriorityFeePerGas"] = _hex(case.fees[0]), _hex(case.fees[1])
    else:
        tx["gasPrice"] = _hex(case.gas_price)
    if case.access_list is not None:
        tx["accessLists"] = [[
            {"address": "0x" + a.hex(), "storageKeys": ["0x%064x" % k for k in keys]}
            for a, keys in case.access_list
        ]]
    entry = dict(post or {"hash": "0x" + "00" * 32, "logs": "0x" + "00" * 32})
    entry["indexes"] = {"data": 0, "gas": 0, "value": 0}
    return {
        "env": dict(ENV),
        "pre": pre,
        "transaction": tx,
        "post": {case.fork.fixture_name: [entry]},
    }


def case_name(case: Case) -> str:
    """A stable name from the fork and the content: ``fuzz_<Fork>_<12 hex>``."""
    body = json.dumps(to_fixture(case), sort_keys=True).encode()
    return f"fuzz_{case.fork.fixture_name}_{hashlib.sha256(body).hexdigest()[:12]}"


def write_case(case: Case, directory: str, state_root: bytes, logs_hash: bytes,
               comment: str = "") -> str:
    """Write ``case`` as ``<directory>/<name>.json`` expecting ``state_root``/``logs_hash``.

    Returns the path. The expected values must come from the oracle.
    """
    name = case_name(case)
    test = to_fixture(case, {"hash": "0x" + state_root.hex(), "logs": "0x" + logs_hash.hex()})
    info: Dict[str, Any] = {"source": "evm fuzz (differential, minimised)"}
    if case.seed is not None:
        info["seed"] = case.seed
    if comment:
        info["comment"] = comment
    test = {"_info": info, **test}
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name + ".json")
    with open(path, "w") as fh:
        json.dump({name: test}, fh, indent=1, sort_keys=False)
        fh.write("\n")
    return path
