"""RLP against ethereum/tests RLPTests (../shared/fixtures relative to the repo root)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, List, Tuple

import pytest

from evm import rlp

RLP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "ethereum-tests" / "RLPTests"


def _cases() -> List[Tuple[str, Any, str]]:
    if not RLP_DIR.is_dir():
        return []
    out = []
    for path in sorted(RLP_DIR.rglob("*.json")):
        for name, case in json.loads(path.read_text()).items():
            out.append((f"{path.relative_to(RLP_DIR)}::{name}", case["in"], case["out"]))
    return out


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"RLP fixtures not found at {RLP_DIR}")


def _unhex(s: str) -> bytes:
    # Some invalid vectors omit the 0x prefix or use upper case.
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def _to_item(x: Any) -> Any:
    """The fixture's JSON input as an encodable item: '#N' is a big int, str is its bytes."""
    if isinstance(x, list):
        return [_to_item(y) for y in x]
    if isinstance(x, str):
        if x.startswith("#"):
            return int(x[1:])
        return x.encode("utf-8")
    return x


def _as_decoded(item: Any) -> Any:
    """What decode() should give back for an input: ints become minimal big-endian bytes."""
    if isinstance(item, list):
        return [_as_decoded(y) for y in item]
    if isinstance(item, int):
        return item.to_bytes((item.bit_length() + 7) // 8, "big")
    return item


@pytest.mark.parametrize("name,inp,out", CASES, ids=[c[0] for c in CASES] or None)
def test_rlp_fixture(name: str, inp: Any, out: str) -> None:
    data = _unhex(out)
    if inp == "INVALID":
        with pytest.raises(rlp.RLPDecodingError):
            rlp.decode(data)
    elif inp == "VALID":
        # Valid vectors with no stated input must decode and re-encode to themselves.
        assert rlp.encode(rlp.decode(data)) == data
    else:
        item = _to_item(inp)
        assert rlp.encode(item) == data
        assert rlp.decode(data) == _as_decoded(item)
