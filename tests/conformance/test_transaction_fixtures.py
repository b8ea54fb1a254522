"""Signed transactions against ethereum/tests TransactionTests.

Each (test, fork) case gives the raw transaction bytes and either the sender,
hash and intrinsic gas the fork computes for it, or an exception: the
transaction must then be rejected (decoding, signature, chain id or the
state-free validity rules).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from evm.forks import fork_from_name
from evm.transaction import InvalidTransaction, calculate_intrinsic_cost
from evm.signed_transaction import check_signed_transaction, decode_transaction

TX_DIR = (Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "ethereum-tests"
          / "TransactionTests")


def _cases() -> List[Tuple[str, str, str, Any]]:
    if not TX_DIR.is_dir():
        return []
    out = []
    for path in sorted(TX_DIR.rglob("*.json")):
        for name, test in json.loads(path.read_text()).items():
            for fork, result in sorted(test["result"].items()):
                out.append((f"{path.relative_to(TX_DIR)}::{name}[{fork}]", test["txbytes"], fork, result))
    return out


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"TransactionTests fixtures not found at {TX_DIR}")


def _unhex(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s[:2] == "0x" else s)


@pytest.mark.parametrize("case_id,txbytes,fork_name,result", CASES, ids=[c[0] for c in CASES])
def test_transaction_fixture(case_id: str, txbytes: str, fork_name: str, result: Any) -> None:
    fork = fork_from_name(fork_name)
    raw = _unhex(txbytes)
    if "exception" in result:
        with pytest.raises(InvalidTransaction):
            check_signed_transaction(decode_transaction(raw), fork, chain_id=1)
        return
    stx = decode_transaction(raw)
    tx = check_signed_transaction(stx, fork, chain_id=1)
    assert "0x" + tx.sender.hex() == result["sender"].lower()
    assert "0x" + stx.hash.hex() == result["hash"].lower()
    assert calculate_intrinsic_cost(tx, fork)[0] == int(result["intrinsicGas"], 16)
    assert stx.encode() == raw  # decoding is strict, so encoding gives the same bytes back


def test_case_count() -> None:
    """Every test × fork pair of the suite is collected (2,274 in the shared copy)."""
    assert len(CASES) >= 2000
