"""Running fixture files: finding them, a crash-isolating process pool, and the report.

Shared by the fixture runners behind the ``evm`` command (``evm statetest``
today): each runner supplies a *worker*, a picklable callable that takes one
file's path and returns that file's list of case results, never raising.
:func:`map_files` runs it over the files, in worker processes with
``jobs`` > 1, and yields the lists in file order; :func:`report_results`
prints them as ``evm statetest`` does. A case result is a dict with at least
``name``, ``pass`` (``True``, ``False`` or ``None`` for skipped), ``error``,
``file``, ``fork`` and ``index``.
"""
from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, TextIO, Tuple, TypeVar, Union

__all__ = ["iter_fixture_files", "map_files", "crash_result", "Progress", "describe_failure", "report_results"]

R = TypeVar("R")
Result = Dict[str, Any]


def iter_fixture_files(paths: Sequence[Union[str, os.PathLike]]) -> Iterator[str]:
    """Each path as given if it is a file (or does not exist), or every ``*.json`` under it, sorted."""
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            found = []
            for root, dirs, files in os.walk(p):
                dirs.sort()
                found.extend(os.path.join(root, f) for f in files if f.endswith(".json"))
            yield from sorted(found)
        else:
            yield p


def crash_result(path: str) -> List[Result]:
    """The result list of a file whose worker process died."""
    return [{"name": path, "pass": False, "stateRoot": None, "fork": None, "file": path, "index": None,
             "error": "worker process died while running this file (a crash in the EVM core?)"}]


# --- The pool ----------------------------------------------------------------
def _worker_init() -> None:
    import signal

    # Ctrl-C is handled once, by the parent.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Workers forked later (maxtasksperchild) must not inherit the parent's SIGTERM handler.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def map_files(
    files: Sequence[str],
    worker: Callable[[str], R],
    jobs: int = 1,
    on_crash: Callable[[str], R] = crash_result,  # type: ignore[assignment]
    cluster: Any = None,
) -> Iterator[R]:
    """``worker(path)`` for each of ``files``, yielded in file order.

    ``cluster`` (an :class:`evm.batch.Cluster`, e.g. from
    :func:`evm.batch.parse_cluster` of a ``--cluster`` value) runs the calls
    on Dask or Ray instead (:func:`evm.batch.map_on_cluster`); ``jobs`` is
    then ignored.

    With ``jobs`` > 1 (and more than one file) the calls run in that many
    worker processes (forked where the platform allows; ``worker`` must be
    picklable, e.g. a module-level function or a ``functools.partial`` of
    one); else in this process. A worker process that dies (a crash of the
    compiled core) costs only the file it was running: the files in flight
    are re-run one at a time to find it, and it yields ``on_crash(path)``.
    SIGTERM and Ctrl-C stop the workers and raise ``KeyboardInterrupt``.
    """
    if cluster is not None and getattr(cluster, "backend", None) in ("dask", "ray"):
        from .batch import map_on_cluster

        yield from map_on_cluster(files, worker, cluster, on_crash)
        return
    if jobs <= 1 or len(files) <= 1:
        for path in files:
            yield worker(path)
        return

    import multiprocessing
    import signal
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    jobs = min(jobs, len(files))

    def new_pool(n: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=n, mp_context=ctx, initializer=_worker_init)

    def stop(p: ProcessPoolExecutor) -> None:
        for proc in list((getattr(p, "_processes", None) or {}).values()):
            proc.terminate()
        p.shutdown(wait=False, cancel_futures=True)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so the workers are stopped below, not orphaned

    previous = signal.signal(signal.SIGTERM, on_term)
    pool = new_pool(jobs)
    todo = iter(files)
    # Files in flight, in file order; a bounded window keeps memory small.
    pending: "deque[Tuple[str, Future]]" = deque()

    def fill() -> None:
        while len(pending) < 2 * jobs:
            path = next(todo, None)
            if path is None:
                return
            try:
                fut = pool.submit(worker, path)
            except BrokenProcessPool as e:  # a worker died since the last check
                fut = Future()
                fut.set_exception(e)
            pending.append((path, fut))

    try:
        fill()
        while pending:
            path, fut = pending[0]
            try:
                results = fut.result()
            except BrokenProcessPool:
                stop(pool)
                in_flight = list(pending)
                pending.clear()
                pool = new_pool(1)
                for p, f in in_flight:
                    if f.done() and not f.cancelled() and f.exception() is None:
                        yield f.result()
                        continue
                    try:
                        yield pool.submit(worker, p).result()
                    except BrokenProcessPool:
                        stop(pool)
                        pool = new_pool(1)
                        yield on_crash(p)
                pool.shutdown(wait=True)
                pool = new_pool(jobs)
                fill()
                continue
            pending.popleft()
            yield results
            fill()
        pool.shutdown(wait=True)
    except BaseException:
        stop(pool)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)


# --- The report ----------------------------------------------------------------
class Progress:
    """A one-line progress display on ``stream``, drawn only when ``enabled``."""

    def __init__(self, total: int, stream: TextIO, enabled: bool) -> None:
        self.total, self.stream, self.enabled = total, stream, enabled
        self.done = self.cases = self.failed = 0

    def update(self, results: List[Result]) -> None:
        """Count one more file and its results, and redraw."""
        self.done += 1
        self.cases += len(results)
        self.failed += sum(1 for r in results if r.get("pass") is False)
        if not self.enabled:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        self.stream.write(
            f"\r[{'#' * filled}{' ' * (width - filled)}] {self.done}/{self.total} files, "
            f"{self.cases} cases, {self.failed} failed"
        )
        self.stream.flush()

    def clear(self) -> None:
        """Erase the line (before other output, and at the end)."""
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def describe_failure(r: Result) -> str:
    """``FAIL file: name [fork index]: error``: one line for a failed case."""
    where = " ".join(str(x) for x in (r.get("fork"), r.get("index")) if x)
    name = r.get("name") or "?"
    file = r.get("file")
    head = f"{file}: {name}" if file and file != name else name
    return f"FAIL {head}" + (f" [{where}]" if where else "") + f": {r.get('error')}"


def report_results(
    results_by_file: Iterable[List[Result]],
    total_files: int,
    command: str,
    out: TextIO,
    err: TextIO,
    as_json: bool = False,
    progress: Optional[bool] = None,
) -> int:
    """Print case results as they come and return the exit status.

    Without ``as_json``: a ``FAIL`` line per failed case, then ``N passed,
    M failed[, K skipped]``; with it, one JSON array of every result at the
    end. ``progress`` (default: ``err`` is a terminal) draws a progress bar
    on ``err``. Exit status 0 if nothing failed, 1 if a case failed, 130
    when interrupted (``command`` names the tool in the message).
    """
    if progress is None:
        progress = bool(getattr(err, "isatty", lambda: False)())
    bar = Progress(total_files, err, enabled=progress)
    passed = failed = skipped = 0
    collected: List[Result] = []
    try:
        for results in results_by_file:
            bar.update(results)
            for r in results:
                if r.get("pass") is True:
                    passed += 1
                elif r.get("pass") is None:
                    skipped += 1
                else:
                    failed += 1
                    if not as_json:
                        bar.clear()
                        out.write(describe_failure(r) + "\n")
            if as_json:
                collected.extend(results)
    except KeyboardInterrupt:
        bar.clear()
        err.write(f"{command}: interrupted\n")
        return 130
    bar.clear()

    if as_json:
        json.dump(collected, out, indent=2)
        out.write("\n")
    else:
        summary = f"{passed} passed, {failed} failed"
        if skipped:
            summary += f", {skipped} skipped"
        out.write(summary + "\n")
    if passed + failed + skipped == 0:
        err.write(f"{command}: warning: no test case matched\n")
    return 0 if failed == 0 else 1
