"""``evm bench`` from parsed arguments: pick the cases and engines, time or measure, print."""
from __future__ import annotations

import json
from typing import Any, List, TextIO

from .cases import BenchError, load_cases
from .engines import BASELINE, Engine, get_engine
from .memory import measure_memory
from .report import format_memory_table, format_table, report_json
from .timing import BenchOptions, run_bench

__all__ = ["run_command"]


class _Progress:
    """``[i/n] case`` on one line of ``stream``, only when it is a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, i: int, n: int, name: str) -> None:
        if not self.enabled:
            return
        if i >= n:
            self.stream.write("\r\x1b[K")
        else:
            self.stream.write(f"\r\x1b[K[{i + 1}/{n}] {name}")
        self.stream.flush()


def run_command(args: Any, stdout: TextIO, stderr: TextIO) -> int:
    """Carry out ``evm bench`` from parsed arguments (see ``evm.cli``); return the exit status.

    Raises :class:`BenchError` for a usage problem (exit status 2).
    """
    if getattr(args, "throughput", False):
        from .throughput import run_throughput_command

        return run_throughput_command(args, stdout, stderr)
    if getattr(args, "thread_scaling", False):
        from .threads import run_thread_scaling_command

        return run_thread_scaling_command(args, stdout, stderr)
    if args.compare and "evmone" in [n.strip() for n in args.compare.split(",")]:
        if [n for n in args.compare.split(",") if n.strip() and n.strip() != "evmone"]:
            raise BenchError("--compare evmone times execution only; compare pyrevm or py-evm in another run "
                             "(they are timed per transaction)")
        from .evmone import run_evmone_command

        return run_evmone_command(args, stdout, stderr)
    peers: List[Engine] = []
    if args.compare:
        names = [n for n in args.compare.split(",") if n.strip()]
        if not names:
            raise BenchError("--compare needs peer names, e.g. --compare pyrevm,py-evm")
        for n in names:
            e = get_engine(n)
            if e.name != BASELINE and e.name not in [p.name for p in peers]:
                peers.append(e)
    cases = load_cases(args.paths, args.builtin, args.fork, args.run)
    if args.list:
        for c in cases:
            stdout.write(f"{c.name}\t{c.fork.fixture_name}\n")
        return 0
    if not cases:
        raise BenchError("no case to run (check the paths and --run)")
    opts = BenchOptions(repeat=max(1, args.repeat), min_time=args.min_time,
                        slow_repeat=max(1, getattr(args, "slow_repeat", 1)), peer_budget=args.peer_budget)
    progress = _Progress(stderr)
    if args.memory:
        suite = args.builtin if args.builtin is not None or args.paths else "main"
        result = measure_memory(cases, peers, args.paths, suite, args.fork, opts, progress)
        if args.json:
            stdout.write(json.dumps(result, indent=2) + "\n")
        else:
            stdout.write(format_memory_table(result))
        bad = sum(len(c.get("errors") or {}) + len(c.get("gas_mismatch") or {}) for c in result["cases"])
        return 1 if bad else 0
    report = run_bench(cases, peers, opts, progress)
    if args.json:
        stdout.write(json.dumps(report_json(report), indent=2) + "\n")
    else:
        stdout.write(format_table(report))
    return 1 if report.problems else 0
