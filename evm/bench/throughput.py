"""``evm bench --throughput``: tasks per second through :func:`evm.batch.run`, per backend and worker count.

Two workloads, each run through the batch API exactly as a user would:

- ERC-20 transfers: ``transfers`` message calls ``transfer(holder_i, x)`` on
  one deployed token (:func:`evm.workloads.erc20_transfer_calls`), as
  :class:`~evm.batch.CallTask` values on a :class:`~evm.batch.SharedState`
  (shipped once per worker);
- state-test cases: every case of the state-test files given as PATH, as
  :class:`~evm.statetest.FixtureCase` tasks (checked against the fixture:
  a failed case is reported as a problem).

For each backend and worker count the engine is started first (a Dask
``LocalCluster``, a local Ray), its start-up time reported apart, one small
warm-up batch run, then each workload timed once, end to end (shipping
tasks, running them, collecting results in order). A process pool is made
per run by design (crash isolation), so its start-up is part of its time.
The scaling ratio is the rate at the largest worker count over the rate
at one worker.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO

from ..batch import BACKENDS, CallTask, SharedState, TaskResult, run
from ..fixturefiles import iter_fixture_files
from ..statetest import FixtureCase, FixtureError, iter_cases, read_fixture
from ..workloads import BENCH_FORK, bench_env, erc20_transfer_calls
from .cases import BenchError

__all__ = ["ThroughputRow", "state_test_tasks", "erc20_tasks", "measure_throughput", "format_throughput",
           "run_throughput_command"]


@dataclass
class ThroughputRow:
    """One backend at one worker count: rates in tasks per second (``None``: not run)."""

    backend: str
    workers: int
    startup_s: float
    erc20_per_s: Optional[float] = None
    cases_per_s: Optional[float] = None
    problems: List[str] = field(default_factory=list)


def erc20_tasks(n: int) -> tuple:
    """``(SharedState, [CallTask] * n)``: ``n`` ERC-20 transfers on one deployed token."""
    state, calls = erc20_transfer_calls(n)
    return SharedState(state, bench_env(), BENCH_FORK), [CallTask(c, t, d) for c, t, d in calls]


def state_test_tasks(paths: Sequence[str]) -> List[FixtureCase]:
    """Every case of the state-test files under ``paths`` (unreadable files and
    entries with nothing to run are left out)."""
    out: List[FixtureCase] = []
    for path in iter_fixture_files(paths):
        try:
            fixture = read_fixture(path)
        except FixtureError:
            continue
        out.extend(c for c in iter_cases(fixture, path, skip_unknown_forks=True) if isinstance(c, FixtureCase))
    return out


class _Engine:
    """A started backend: the keyword arguments for :func:`run`, and how to stop it."""

    def __init__(self, backend: str, workers: int, address: Optional[str] = None) -> None:
        self.backend, self.workers = backend, workers
        self.kwargs: Dict[str, Any] = {"backend": backend, "workers": workers}
        self._stop: Callable[[], None] = lambda: None
        t = time.perf_counter()
        if address is not None:  # a running cluster: connect (run() disconnects after each run)
            self.kwargs["address"] = address
        elif backend == "dask":
            try:
                import distributed
            except ImportError:
                raise BenchError("the dask backend needs: pip install 'cyevm[dask]'") from None
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=None)
            client = distributed.Client(cluster)
            self.kwargs["client"] = client

            def stop() -> None:
                client.close()
                cluster.close()

            self._stop = stop
        elif backend == "ray":
            try:
                import ray
            except ImportError:
                raise BenchError("the ray backend needs: pip install 'cyevm[ray]'") from None
            import logging

            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
            self._stop = ray.shutdown
        self.startup_s = time.perf_counter() - t

    def run(self, tasks: Sequence[Any], shared: Optional[SharedState] = None) -> tuple:
        """``(seconds, results)`` of one :func:`run` of ``tasks``."""
        t = time.perf_counter()
        results = run(tasks, shared=shared, progress=False, **self.kwargs)
        return time.perf_counter() - t, results

    def stop(self) -> None:
        self._stop()


def _check_erc20(results: List[TaskResult]) -> List[str]:
    bad = [r for r in results if not r.ok or not r.result.success]
    return [f"{len(bad)} ERC-20 transfers failed (first: {bad[0].error or bad[0].result.error})"] if bad else []


def _check_cases(results: List[TaskResult]) -> List[str]:
    bad = [r for r in results if not r.ok or r.result.get("pass") is False]
    if not bad:
        return []
    first = bad[0].error or bad[0].result.get("error")
    return [f"{len(bad)} state-test cases failed (first: {first})"]


def measure_throughput(
    backends: Sequence[str],
    workers: Sequence[int],
    transfers: int,
    case_tasks: Sequence[FixtureCase],
    progress: Optional[Callable[[str], None]] = None,
    address: Optional[str] = None,
) -> List[ThroughputRow]:
    """Time both workloads on each backend at each worker count (see the module docstring).

    With ``address`` (a Dask scheduler or Ray address) the one backend runs
    on that cluster, whatever its size; ``workers`` then only sets the chunking.
    """
    shared, calls = erc20_tasks(transfers)
    rows: List[ThroughputRow] = []
    for backend in backends:
        for w in workers:
            if progress:
                progress(f"{backend} x{w}: starting")
            engine = _Engine(backend, w, address)
            row = ThroughputRow(backend, w, engine.startup_s)
            try:
                engine.run(calls[: max(1, min(len(calls), 8 * w))], shared)  # warm-up: imports, shipping
                if progress:
                    progress(f"{backend} x{w}: {transfers} ERC-20 transfers")
                dt, results = engine.run(calls, shared)
                row.erc20_per_s = len(calls) / dt
                row.problems += _check_erc20(results)
                if case_tasks:
                    if progress:
                        progress(f"{backend} x{w}: {len(case_tasks)} state-test cases")
                    dt, results = engine.run(case_tasks)
                    row.cases_per_s = len(case_tasks) / dt
                    row.problems += _check_cases(results)
            finally:
                engine.stop()
            rows.append(row)
    return rows


def _scaling(rows: List[ThroughputRow], row: ThroughputRow, attr: str) -> Optional[float]:
    one = next((r for r in rows if r.backend == row.backend and r.workers == 1), None)
    a, b = getattr(row, attr), getattr(one, attr) if one is not None else None
    return a / b if a and b and row.workers != 1 else None


def format_throughput(rows: List[ThroughputRow], transfers: int, cases: int) -> str:
    """The table: per backend and worker count, rates and the scaling over one worker."""
    head = f"{'backend':<10} {'workers':>7} {'start s':>8} {'ERC-20 transfers/s':>19} {'x1':>6}"
    if cases:
        head += f" {'cases/s':>9} {'x1':>6}"
    lines = [f"{transfers} ERC-20 transfers" + (f", {cases} state-test cases" if cases else "")
             + f"; {os.cpu_count()} cores", head]
    for r in rows:
        s_erc = _scaling(rows, r, "erc20_per_s")
        line = (f"{r.backend:<10} {r.workers:>7} {r.startup_s:>8.2f} {r.erc20_per_s or 0:>19,.0f} "
                f"{(f'{s_erc:.2f}' if s_erc else '-'):>6}")
        if cases:
            s_c = _scaling(rows, r, "cases_per_s")
            line += f" {r.cases_per_s or 0:>9,.0f} {(f'{s_c:.2f}' if s_c else '-'):>6}"
        lines.append(line)
        lines.extend(f"  problem: {p}" for p in r.problems)
    return "\n".join(lines) + "\n"


def _int_list(text: str, what: str) -> List[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise BenchError(f"{what}: expected comma-separated numbers, got {text!r}") from None
    if not out or any(n < 1 for n in out):
        raise BenchError(f"{what}: expected positive numbers, got {text!r}")
    return out


def run_throughput_command(args: Any, stdout: TextIO, stderr: TextIO) -> int:
    """``evm bench --throughput``: measure and print (``--json``: one object). Exit 1 if a task failed."""
    address = None
    if getattr(args, "cluster", None):
        from ..batch import parse_cluster

        try:
            cluster = parse_cluster(args.cluster)
        except ValueError as e:
            raise BenchError(str(e)) from None
        address = cluster.address
        args.backends = cluster.backend
    backends = [b.strip() for b in (args.backends or "threads,processes,dask").split(",") if b.strip()]
    for b in backends:
        if b not in BACKENDS:
            raise BenchError(f"--backends: unknown backend {b!r} (choose from {', '.join(BACKENDS)})")
    workers = _int_list(args.workers or "1,2", "--workers")
    if args.transfers < 1:
        raise BenchError("--transfers: expected a positive number")
    case_tasks = state_test_tasks(args.paths) if args.paths else []
    if args.paths and not case_tasks:
        raise BenchError("no state-test case found under the given paths")
    tty = bool(getattr(stderr, "isatty", lambda: False)())

    def progress(msg: str) -> None:
        if tty:
            stderr.write(f"\r\x1b[K{msg}")
            stderr.flush()

    rows = measure_throughput(backends, workers, args.transfers, case_tasks, progress, address)
    progress("")
    if args.json:
        stdout.write(json.dumps({"transfers": args.transfers, "cases": len(case_tasks), "cores": os.cpu_count(),
                                 "rows": [asdict(r) | {"erc20_scaling": _scaling(rows, r, "erc20_per_s"),
                                                       "cases_scaling": _scaling(rows, r, "cases_per_s")}
                                          for r in rows]}, indent=2) + "\n")
    else:
        stdout.write(format_throughput(rows, args.transfers, len(case_tasks)))
    return 1 if any(r.problems for r in rows) else 0
