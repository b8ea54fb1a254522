"""``evm bench --memory``: each engine's peak RSS for one run of a case, measured in
a fresh child process (``python -m evm.bench child ...``, :func:`child_main`)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

from ..forks import Fork
from ..statetest import _one_line
from ..workloads import Case, builtin_cases
from .cases import load_cases
from .engines import BASELINE, CyevmEngine, Engine, get_engine
from .timing import BenchOptions

__all__ = ["measure_memory", "child_main"]


def _child_argv(engine: str, case: str, mode: str, paths: Sequence[str], suite: Optional[str],
                fork: Optional[Fork]) -> List[str]:
    argv = [sys.executable, "-m", "evm.bench", "child", "--engine", engine, "--case", case, "--mode", mode]
    if suite is not None:
        argv += ["--builtin", suite]
    if fork is not None:
        argv += ["--fork", fork.fixture_name]
    return argv + ["--", *paths]


def _run_child(argv: List[str], timeout: float) -> Dict[str, Any]:
    env = dict(os.environ)
    # The child must import the same evm package as this process.
    pkg_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": _one_line(f"child exited {proc.returncode}: {tail}", 200)}
    return json.loads(lines[-1])


def measure_memory(cases: Sequence[Case], peers: Sequence[Engine], paths: Sequence[str],
                   suite: Optional[str], fork: Optional[Fork], opts: Optional[BenchOptions] = None,
                   progress: Optional[Callable[[int, int, str], None]] = None) -> Dict[str, Any]:
    """Peak resident memory of one run of each case, per engine, each in a fresh child process.

    For every case and engine two children run: one sets the case up only
    (imports, pre-state, and one trivial transaction so that lazy imports
    count there), the other also runs the case's transaction once; each
    reports its ``ru_maxrss``. Returns the ``--memory --json`` object:
    ``{"cases": [{"name", "gas_used", "peak_rss_mib": {engine: MiB}, "setup_rss_mib": {...},
    "skipped"?, "errors"?}], "engines": {...}}``.
    """
    opts = opts or BenchOptions()
    engines: List[Engine] = [CyevmEngine()] + [p for p in peers if p.name != BASELINE]
    out = []
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), case.name)
        row: Dict[str, Any] = {"name": case.name, "gas_used": None, "peak_rss_mib": {}, "setup_rss_mib": {}}
        skipped: Dict[str, str] = {}
        errors: Dict[str, str] = {}
        base_time: Optional[float] = None
        for e in engines:
            why = e.unsupported(case)
            if why is None and e.slow and base_time is not None:
                estimate = base_time * 1000.0
                if estimate > opts.peer_budget:
                    why = f"estimated {estimate:.0f} s > --peer-budget {opts.peer_budget:g} s"
            if why is not None:
                skipped[e.name] = why
                continue
            setup = _run_child(_child_argv(e.name, case.name, "setup", paths, suite, fork), 600)
            run = _run_child(_child_argv(e.name, case.name, "run", paths, suite, fork), 3600)
            if "error" in setup or "error" in run:
                errors[e.name] = setup.get("error") or run.get("error")
                continue
            row["peak_rss_mib"][e.name] = run["maxrss_kib"] / 1024
            row["setup_rss_mib"][e.name] = setup["maxrss_kib"] / 1024
            if e.name == BASELINE:
                row["gas_used"] = run["gas_used"]
                base_time = run["time_s"]
            elif row["gas_used"] is not None and run["gas_used"] != row["gas_used"]:
                row.setdefault("gas_mismatch", {})[e.name] = run["gas_used"]
        if skipped:
            row["skipped"] = skipped
        if errors:
            row["errors"] = errors
        out.append(row)
    if progress is not None:
        progress(len(cases), len(cases), "")
    return {"cases": out, "engines": {e.name: e.version() for e in engines},
            "method": "peak RSS (ru_maxrss) of a fresh child process that sets the case up, runs one trivial "
                      "transaction (lazy imports) and then the case once; setup = the same child without the case's run"}



def child_main(argv: Sequence[str]) -> int:
    """``python -m evm.bench child --engine E --case NAME --mode setup|run [--builtin S] [--fork F] -- PATH...``"""
    import argparse
    import resource

    from ..forks import fork_from_name

    ap = argparse.ArgumentParser(prog="python -m evm.bench child")
    ap.add_argument("--engine", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--mode", choices=("setup", "run"), required=True)
    ap.add_argument("--builtin")
    ap.add_argument("--fork")
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args(list(argv))
    fork = fork_from_name(args.fork) if args.fork else None
    cases = [c for c in load_cases(args.paths, args.builtin, fork) if c.name == args.case]
    if not cases:
        sys.stderr.write(f"no case named {args.case!r}\n")
        return 2
    engine = get_engine(args.engine)
    # One trivial transaction first, in both modes, so that what an engine
    # loads lazily on its first transaction is part of the baseline.
    warm = engine.prepare(next(c for c in builtin_cases("main") if c.name == "call/trivial"))
    warm.setup()
    warm.run()
    warm.finish()
    runner = engine.prepare(cases[0])
    runner.setup()
    gas, elapsed = None, None
    if args.mode == "run":
        t0 = time.perf_counter()
        runner.run()
        elapsed = time.perf_counter() - t0
        gas, _ = runner.finish()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    if sys.platform == "darwin":  # pragma: no cover - bytes there
        maxrss //= 1024
    sys.stdout.write(json.dumps({"maxrss_kib": maxrss, "gas_used": gas, "time_s": elapsed}) + "\n")
    return 0
