"""``evm statetest --trace`` against ``ethereum-spec-evm statetest --json``.

For every state-test file under ``stExample/`` and ``VMTests/`` (all cases of
all forks in each file), the lines our command writes to stderr, parsed as
JSON, must equal the spec tool's, line by line: the EIP-3155 instruction
lines, the ``{"output", "gasUsed"}`` line ending each transaction and the
``{"stateRoot"}`` line after each case.

Both tools run in this process: the spec's ``StateTest.run_one`` (what its
``statetest --json FILE`` command runs) and our ``evm.cli.main`` with
``statetest --trace FILE``, each with stderr captured. Only JSON lines are
compared: the spec also writes ``# WARNING:...`` comment lines (and log
messages) for invalid transactions, which are not part of the trace.

``VMTests/vmPerformance/loopMul.json`` is skipped: its three cases run about
10^8 instructions each, and the spec's tracer keeps a transaction's whole
trace in memory before writing it (many GB, hours). The spec is only a test
oracle here; the module is skipped when it or the fixtures are absent.
"""
from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import List

import pytest

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
STATE_TESTS = FIXTURES / "ethereum-tests" / "GeneralStateTests"
FOLDERS = ("stExample", "VMTests")
# Too large for the spec's in-memory tracer (see the module docstring).
TOO_LARGE = {"VMTests/vmPerformance/loopMul.json"}


def _files() -> List:
    params = []
    for folder in FOLDERS:
        base = STATE_TESTS / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.json")):
            rel = path.relative_to(STATE_TESTS).as_posix()
            marks = [pytest.mark.skip(reason="trace of ~10^8 instructions: too large for the spec's tracer")] \
                if rel in TOO_LARGE else []
            params.append(pytest.param(rel, id=rel, marks=marks))
    return params


FILES = _files()


def _json_lines(text: str) -> List[object]:
    """The JSON lines of a trace, parsed (comment and log lines dropped)."""
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def spec_trace(path: Path) -> str:
    """What ``ethereum-spec-evm statetest --json path`` writes to stderr."""
    statetest = pytest.importorskip("ethereum_spec_tools.evm_tools.statetest")
    from ethereum_spec_tools.evm_tools.t8n import ForkCache

    options = SimpleNamespace(file=str(path), json=True, memory=True, stack=True, return_data=True)
    import ethereum.trace as spec_trace_hooks

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), ForkCache() as cache:
            statetest.StateTest(options, io.StringIO(), io.StringIO()).run_one(str(path), cache)
    finally:
        # the spec's tool installs a process-wide tracer; leave the spec as we
        # found it for the differential tests that run after this one
        spec_trace_hooks.set_evm_trace(spec_trace_hooks.discard_evm_trace)
    return err.getvalue()


def our_trace(path: Path) -> str:
    """What ``evm statetest --trace path`` writes to stderr."""
    from evm.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        main(["statetest", "--trace", str(path)])
    return err.getvalue()


@pytest.mark.skipif(not FILES, reason=f"state-test fixtures not found under {STATE_TESTS}")
@pytest.mark.parametrize("rel", FILES or ["none"])
def test_trace_equals_the_spec_tool(rel: str) -> None:
    pytest.importorskip("ethereum", reason="the execution specs (test oracle) are not installed")
    path = STATE_TESTS / rel
    want = _json_lines(spec_trace(path))
    got = _json_lines(our_trace(path))
    assert want, "the spec tool wrote no trace"
    for i, (w, g) in enumerate(zip(want, got)):
        assert g == w, f"{rel}: line {i + 1} differs\n spec: {w}\n ours: {g}"
    assert len(got) == len(want), f"{rel}: {len(got)} lines, the spec wrote {len(want)}"
