"""Blocks against ethereum/tests BlockchainTests (../shared/fixtures relative to the repo root).

Every file runs (the whole suite takes seconds): each test imports its
blocks into a Chain, invalid ones must be rejected, and the last block hash
and post-state must match. CI runs the same suite through `evm blocktest`
against the known-failures ratchet.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from evm.tools.blocktest import run_file

BT_DIR = (Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "ethereum-tests"
          / "BlockchainTests")
FILES = sorted(BT_DIR.rglob("*.json")) if BT_DIR.is_dir() else []
pytestmark = pytest.mark.skipif(not FILES, reason=f"BlockchainTests fixtures not found at {BT_DIR}")


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(BT_DIR)) for p in FILES])
def test_blockchain_fixture(path: Path) -> None:
    results = run_file(path)
    assert results
    failures = [f"{r['name']}: {r['error']}" for r in results if r["pass"] is not True]
    assert not failures, "\n".join(failures)


def test_invalid_blocks_are_rejected_with_a_reason() -> None:
    """Each block marked invalid is refused, and the refusal names an exception."""
    rejected = [x for p in FILES if "InvalidBlocks" in p.parts for r in run_file(p) for x in r["rejected"]]
    assert len(rejected) >= 100
    for x in rejected:
        assert x["expected"], x
        assert x["got"].split(":")[0].startswith(("BlockException.", "TransactionException.")), x
