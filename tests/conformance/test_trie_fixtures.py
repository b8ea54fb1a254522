"""Trie roots against ethereum/tests TrieTests, plus pre-state roots from GeneralStateTests.

TrieTests formats: ``in`` is either a dict (insertion order irrelevant) or a
list of [key, value] applied in order where a null value deletes the key.
Strings starting with 0x are hex, others are their UTF-8 bytes. Files named
*secureTrie* / *securetrie* hash the keys first.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

from evm.state import Account, to_address
from evm.trie import logs_hash, secure_trie_root, state_root, trie_root

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "ethereum-tests"
TRIE_DIR = FIXTURES / "TrieTests"
STATE_DIR = FIXTURES / "GeneralStateTests"


def _bytes(s: Optional[str]) -> bytes:
    if s is None:
        return b""
    if s.startswith("0x"):
        return bytes.fromhex(s[2:])
    return s.encode("utf-8")


def _trie_cases() -> List[Tuple[str, str, Dict[str, Any]]]:
    if not TRIE_DIR.is_dir():
        return []
    out = []
    for path in sorted(TRIE_DIR.glob("*.json")):
        for name, case in json.loads(path.read_text()).items():
            out.append((path.name, name, case))
    return out


TRIE_CASES = _trie_cases()


@pytest.mark.skipif(not TRIE_CASES, reason=f"TrieTests fixtures not found at {TRIE_DIR}")
@pytest.mark.parametrize(
    "file,name,case", TRIE_CASES, ids=[f"{f}::{n}" for f, n, _ in TRIE_CASES] or None
)
def test_trie_fixture(file: str, name: str, case: Dict[str, Any]) -> None:
    if "root" not in case:
        # trietestnextprev.json checks key iteration (next/prev), not a root.
        pytest.skip("no root: tests trie iteration, which evm.trie does not provide")
    items: Dict[bytes, bytes] = {}
    pairs = case["in"].items() if isinstance(case["in"], dict) else case["in"]
    for key, value in pairs:
        k = _bytes(key)
        v = _bytes(value)
        if v:
            items[k] = v
        else:
            items.pop(k, None)
    root = secure_trie_root(items) if "secure" in file.lower() else trie_root(items)
    assert "0x" + root.hex() == case["root"]


def _account(j: Dict[str, Any]) -> Account:
    return Account(
        nonce=int(j["nonce"], 16),
        balance=int(j["balance"], 16),
        code=bytes.fromhex(j["code"][2:]),
        storage={int(k, 16): int(v, 16) for k, v in j["storage"].items()},
    )


def pre_state(pre: Dict[str, Any]) -> Dict[bytes, Account]:
    """A fixture's ``pre`` section as address -> Account."""
    return {to_address(a): _account(j) for a, j in pre.items()}


def _rejected_tx_cases() -> List[Tuple[str, Dict[str, Any], List[str]]]:
    """Per state-test file: its pre-state and the post roots of entries with expectException."""
    if not STATE_DIR.is_dir():
        return []
    out = []
    for path in sorted(STATE_DIR.rglob("*.json")):
        for name, test in json.loads(path.read_text()).items():
            roots = [
                p["hash"]
                for posts in test["post"].values()
                for p in posts
                if "expectException" in p
            ]
            if roots:
                out.append((f"{path.relative_to(STATE_DIR)}::{name}", test["pre"], roots))
    return out


REJECTED = _rejected_tx_cases()
EMPTY_LOGS = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"


@pytest.mark.skipif(not REJECTED, reason=f"GeneralStateTests fixtures not found at {STATE_DIR}")
@pytest.mark.parametrize("name,pre,roots", REJECTED, ids=[r[0] for r in REJECTED] or None)
def test_rejected_tx_root_is_pre_state_root(name: str, pre: Dict[str, Any], roots: List[str]) -> None:
    # A rejected transaction changes nothing, so the expected root is the pre-state's.
    got = "0x" + state_root(pre_state(pre)).hex()
    assert all(r == got for r in roots)


def test_empty_logs_hash() -> None:
    assert "0x" + logs_hash([]).hex() == EMPTY_LOGS
