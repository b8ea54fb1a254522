"""Many EVM tasks at once: threads, processes, a Dask cluster or a Ray cluster.

:func:`run` executes a list of *tasks* and returns one :class:`TaskResult`
per task, in task order, whatever backend ran them. A task is one of:

- a state-test case, :class:`evm.statetest.FixtureCase` (from
  :func:`evm.statetest.iter_cases`): its result is the case's result dict
  (``pass``, ``stateRoot``, ``error`` ... as ``evm statetest`` prints them);
- a :class:`TransactionTask`: a transaction on its own pre-state (result:
  :class:`evm.executor.TransactionResult`);
- a :class:`CallTask`: a message call on the *shared* deployed state given
  as ``run(..., shared=SharedState(...))`` (result: :class:`evm.machine.CallResult`).
  The shared state is shipped once per worker, not once per task (a forked
  process inherits it; Dask scatters it to every worker; Ray puts it in the
  object store and each worker process decodes it once); every call runs on
  its own machine over the unchanged shared state, so calls are independent
  and the results do not depend on the backend or on the chunking.

An error in one task (an invalid transaction, a malformed fixture, a bug)
is captured in its result (``error``), never raised through the pool; a
worker process that dies costs only the tasks of its chunk.

Backends:

- ``"threads"`` (the default): one :class:`evm.EVM` machine per task in a
  thread pool. Separate machines share nothing, so this scales with the
  cores once the core's interpreter loop runs without the GIL; while it
  holds the GIL, threads take turns (see the README's throughput table).
- ``"processes"``: forked worker processes (:func:`evm.fixturefiles.map_files`),
  for work that needs the GIL (Python precompiles, tracers) or today's core.
- ``"dask"`` (``pip install 'cyevm[dask]'``): a ``distributed.Client`` given
  as ``client=``, a scheduler address (``"tcp://host:8786"``), or, with
  neither, a ``LocalCluster`` of ``workers`` processes started for the run.
- ``"ray"`` (``pip install 'cyevm[ray]'``): Ray as already initialised, an
  address (``"ray://host:10001"`` or ``"auto"``) to connect to, or a local
  Ray of ``workers`` CPUs started for the run.

Tasks travel in chunks (``chunk_size``, default a few chunks per worker) so
that the engines' per-task overhead (milliseconds) is amortised.

:func:`map_on_cluster` is the same machinery for the per-file fixture
runners (``evm statetest --cluster ...``): it maps a per-file worker over
files on Dask or Ray; :func:`parse_cluster` reads the ``--cluster`` option.
"""
from __future__ import annotations

import functools
import itertools
import logging
import os
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, TextIO, Tuple, TypeVar, Union

from .env import BlockEnv
from .forks import Fork
from .state import State
from .statetest import FixtureCase, _one_line, run_case
from .transaction import Transaction

__all__ = [
    "BACKENDS",
    "TransactionTask",
    "CallTask",
    "SharedState",
    "TaskResult",
    "Cluster",
    "run",
    "iter_run",
    "parse_cluster",
    "map_on_cluster",
]

#: The backends :func:`run` accepts.
BACKENDS = ("threads", "processes", "dask", "ray")

T = TypeVar("T")
R = TypeVar("R")


# --- Tasks and results ---------------------------------------------------------
@dataclass
class TransactionTask:
    """A transaction on its own pre-state (which the task does not modify: it
    runs on a machine over ``state``, whose changes are not written back)."""

    state: State
    env: BlockEnv
    tx: Transaction
    fork: Fork = Fork.CANCUN


@dataclass
class CallTask:
    """A message call on the shared state (see :class:`SharedState`): no fees,
    no nonce, as :meth:`evm.EVM.message_call`."""

    caller: bytes
    to: bytes
    data: bytes = b""
    value: int = 0
    gas: int = 30_000_000
    is_static: bool = False


@dataclass
class SharedState:
    """The deployed state every :class:`CallTask` of a run reads, with its block and fork."""

    state: State
    env: BlockEnv = field(default_factory=BlockEnv)
    fork: Fork = Fork.CANCUN


@dataclass
class TaskResult:
    """The outcome of one task.

    ``result`` is the task's own record (a state-test case's result dict, a
    :class:`~evm.executor.TransactionResult`, a :class:`~evm.machine.CallResult`)
    or ``None`` when the task raised; ``error`` is then the exception as one
    line (``"InvalidTransaction: ..."``). ``ok`` is true when nothing was raised
    (the EVM's own outcome, e.g. a revert, is in ``result``).
    """

    index: int
    result: Any
    error: Optional[str] = None

    @property
    def ok(self) -> bool:
        """True when the task ran to an outcome (nothing was raised)."""
        return self.error is None


Task = Any  # FixtureCase | TransactionTask | CallTask


def _run_task(task: Task, shared: Optional[SharedState]) -> Any:
    """One task's result record; raises what the task raises."""
    from .machine import EVM

    if isinstance(task, CallTask):
        if shared is None:
            raise ValueError("a CallTask needs run(..., shared=SharedState(...))")
        # A machine per call: it reads the shared state and keeps its changes to itself.
        evm = EVM(shared.state, shared.fork, shared.env)
        return evm.message_call(task.caller, task.to, task.data, task.value, task.gas, task.is_static)
    if isinstance(task, TransactionTask):
        return EVM(task.state, task.fork, task.env).transact(task.tx)
    if isinstance(task, FixtureCase):
        return run_case(task)
    raise TypeError(f"task: expected a FixtureCase, TransactionTask or CallTask, got {type(task).__name__}")


def _run_chunk(chunk: Sequence[Tuple[int, Task]], shared: Optional[SharedState]) -> List[TaskResult]:
    """Each ``(index, task)`` of ``chunk`` run, its exception captured."""
    out = []
    for i, task in chunk:
        try:
            out.append(TaskResult(i, _run_task(task, shared)))
        except Exception as e:  # captured per task, never through the pool
            out.append(TaskResult(i, None, _one_line(f"{type(e).__name__}: {e}")))
    return out


# Results cross process boundaries as plain tuples: unpickling dataclasses
# costs about a quarter of running an ERC-20 transfer, and it is paid
# serially in the parent; tuples and a rebuild cost a quarter of that.
def _pack(r: TaskResult) -> Tuple[Any, ...]:
    from .executor import TransactionResult
    from .machine import CallResult

    x = r.result
    if isinstance(x, (CallResult, TransactionResult)):
        logs = [(log.address, log.topics, log.data) for log in x.logs]
        if isinstance(x, CallResult):
            return r.index, r.error, "c", (x.success, x.gas_used, x.output, logs, x.error, x.contract_address)
        return r.index, r.error, "t", (x.success, x.gas_used, x.gas_refund, x.output, logs, x.error,
                                       x.contract_address)
    return r.index, r.error, None, x


def _unpack(row: Any) -> TaskResult:
    if isinstance(row, TaskResult):
        return row
    from .executor import Log, TransactionResult
    from .machine import CallResult

    index, error, kind, x = row
    if kind == "c":
        x = CallResult(x[0], x[1], x[2], [Log(*log) for log in x[3]], x[4], x[5])
    elif kind == "t":
        x = TransactionResult(x[0], x[1], x[2], x[3], [Log(*log) for log in x[4]], x[5], x[6])
    return TaskResult(index, x, error)


def _run_chunk_packed(chunk: Sequence[Tuple[int, Task]], shared: Optional[SharedState]) -> List[Tuple[Any, ...]]:
    """:func:`_run_chunk` in a worker process: its results as tuples (see :func:`_unpack`)."""
    return [_pack(r) for r in _run_chunk(chunk, shared)]


def _crashed_chunk(chunk: Sequence[Tuple[int, Task]]) -> List[TaskResult]:
    return [TaskResult(i, None, "worker process died while running this task (a crash in the EVM core?)")
            for i, _ in chunk]


# --- Where work runs -----------------------------------------------------------------
@dataclass
class Cluster:
    """A place to run work: a backend and, for Dask/Ray, how to reach it.

    ``client`` is a ``distributed.Client`` (Dask); ``address`` a Dask
    scheduler address or a Ray address; with neither, a local cluster of
    ``workers`` processes is started for the run and stopped after it.
    """

    backend: str = "threads"
    workers: Optional[int] = None
    address: Optional[str] = None
    client: Any = None

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: expected one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.workers is not None and (not isinstance(self.workers, int) or self.workers < 1):
            raise ValueError(f"workers: expected a positive integer, got {self.workers!r}")


def parse_cluster(spec: str, workers: Optional[int] = None) -> Cluster:
    """The :class:`Cluster` of a ``--cluster`` value.

    ``dask://HOST:PORT`` (a Dask scheduler; ``tls://`` addresses too, as
    ``dask+tls://HOST:PORT``), ``ray://HOST:PORT`` (a Ray cluster through Ray
    Client), ``ray:auto`` (the Ray cluster this machine belongs to, as ``ray
    start`` made it), ``local-dask`` or ``local-ray`` (started here with
    ``workers`` processes, default one per core). Raises ``ValueError``.
    """
    s = spec.strip()
    if s in ("local-dask", "local-ray"):
        return Cluster(s[len("local-"):], workers or os.cpu_count() or 1)
    for prefix, backend, scheme in (("dask://", "dask", "tcp://"), ("dask+tls://", "dask", "tls://"),
                                    ("ray://", "ray", "ray://")):
        if s.startswith(prefix):
            rest = s[len(prefix):]
            if not rest or rest.startswith(":") or "/" in rest:
                raise ValueError(f"--cluster {spec!r}: expected {prefix}HOST:PORT")
            return Cluster(backend, workers, address=scheme + rest)
    if s == "ray:auto":
        return Cluster("ray", workers, address="auto")
    raise ValueError(f"--cluster {spec!r}: expected dask://HOST:PORT, ray://HOST:PORT, ray:auto, "
                     "local-dask or local-ray")


def _need(module: str, extra: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise RuntimeError(f"the {extra} backend needs {module!r}: pip install 'cyevm[{extra}]' ({e})") from None


# --- The ordered map, per backend --------------------------------------------------
# Values shared with forked worker processes: set before the pool forks, read by key.
_FORK_SHARED: Dict[int, Any] = {}
_key_counter = itertools.count(1)
# Values a Ray worker process has already fetched, by object id.
_RAY_CACHE: Dict[str, Any] = {}
_RAY_LOCK = threading.Lock()


def _call_forked(fn: Callable[[T, Any], R], key: int, item: T) -> R:
    return fn(item, _FORK_SHARED.get(key))


def _call_with(fn: Callable[[T, Any], R], shared: Any, item: T) -> R:
    return fn(item, shared)


def _call_ray(fn: Callable[[T, Any], R], boxed: List[Any], item: T) -> R:
    # The ref travels inside a list so Ray does not decode it for every task:
    # it is fetched (and decoded) once per worker process.
    shared = None
    if boxed:
        ref = boxed[0]
        key = ref.hex()
        with _RAY_LOCK:
            if key not in _RAY_CACHE:
                import ray

                _RAY_CACHE.clear()  # only the current run's value is kept
                _RAY_CACHE[key] = ray.get(ref)
            shared = _RAY_CACHE[key]
    return fn(item, shared)


def _map_threads(fn: Callable[[T, Any], R], items: Sequence[T], shared: Any, workers: int) -> Iterator[R]:
    from concurrent.futures import ThreadPoolExecutor

    if workers <= 1 or len(items) <= 1:
        for item in items:
            yield fn(item, shared)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="evm-batch") as pool:
        todo = iter(items)
        pending: deque = deque()
        try:
            for item in itertools.islice(todo, 2 * workers):
                pending.append(pool.submit(fn, item, shared))
            while pending:
                yield pending.popleft().result()
                item = next(todo, None)
                if item is not None:
                    pending.append(pool.submit(fn, item, shared))
        finally:
            for f in pending:
                f.cancel()


def _map_processes(fn: Callable[[T, Any], R], items: Sequence[T], shared: Any, workers: int,
                   on_crash: Callable[[T], R]) -> Iterator[R]:
    import multiprocessing

    from .fixturefiles import map_files

    if "fork" in multiprocessing.get_all_start_methods():
        key = next(_key_counter)
        _FORK_SHARED[key] = shared  # inherited by the forked workers: shipped once per worker
        try:
            yield from map_files(items, functools.partial(_call_forked, fn, key), workers,  # type: ignore[arg-type]
                                 on_crash=on_crash)
        finally:
            _FORK_SHARED.pop(key, None)
    else:  # pragma: no cover - spawn platforms pickle the shared value with each chunk
        yield from map_files(items, functools.partial(_call_with, fn, shared), workers,  # type: ignore[arg-type]
                             on_crash=on_crash)


def _dask_client(cluster: Cluster) -> Tuple[Any, Callable[[], None]]:
    """The Client to use and how to let go of it (close what was started here)."""
    if cluster.client is not None:
        return cluster.client, lambda: None
    distributed = _need("distributed", "dask")
    if cluster.address is not None:
        client = distributed.Client(cluster.address)
        return client, client.close
    local = distributed.LocalCluster(n_workers=cluster.workers or os.cpu_count() or 1, threads_per_worker=1,
                                     processes=True, dashboard_address=None)
    client = distributed.Client(local)

    def close() -> None:
        client.close()
        local.close()

    return client, close


def _map_dask(fn: Callable[[T, Any], R], make_items: Callable[[int], Sequence[T]], shared: Any, cluster: Cluster,
              on_crash: Callable[[T], R]) -> Iterator[R]:
    client, close = _dask_client(cluster)
    from distributed.scheduler import KilledWorker as killed

    futures: deque = deque()
    try:
        # Chunked for the cluster's size, not this machine's.
        items = make_items(len(client.scheduler_info().get("workers", {})) or 1)
        # Scattered once to every worker; tasks receive the worker's copy.
        # hash=False: a fresh key per run, so releasing an earlier run's copy cannot drop this one.
        shared_f = client.scatter(shared, broadcast=True, hash=False) if shared is not None else None
        fs = client.map(fn, list(items), shared=shared_f, pure=False)
        futures.extend(zip(items, fs))
        while futures:
            item, f = futures.popleft()
            try:
                result = f.result()
            except killed:  # the worker running it died (every time the scheduler tried)
                result = on_crash(item)
            f.release()
            yield result
    finally:
        if futures:
            client.cancel([f for _, f in futures])
        close()


def _ray_init(cluster: Cluster) -> Tuple[Any, Callable[[], None]]:
    ray = _need("ray", "ray")
    if ray.is_initialized():
        return ray, lambda: None
    if cluster.address is not None:
        ray.init(address=cluster.address, log_to_driver=False, logging_level=logging.ERROR)
    else:
        ray.init(num_cpus=cluster.workers or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                 logging_level=logging.ERROR)
    return ray, ray.shutdown


def _map_ray(fn: Callable[[T, Any], R], make_items: Callable[[int], Sequence[T]], shared: Any, cluster: Cluster,
             on_crash: Callable[[T], R]) -> Iterator[R]:
    ray, close = _ray_init(cluster)
    remote = ray.remote(max_retries=1)(_call_ray)
    refs: deque = deque()
    try:
        items = make_items(int(ray.cluster_resources().get("CPU", 1)) or 1)
        boxed = [ray.put(shared)] if shared is not None else []
        fn_ref = ray.put(fn)  # one copy of the callable in the object store, not one per task
        refs.extend((item, remote.remote(fn_ref, boxed, item)) for item in items)
        while refs:
            item, ref = refs.popleft()
            try:
                result = ray.get(ref)
            except ray.exceptions.WorkerCrashedError:  # its worker died, also on the retry
                result = on_crash(item)
            yield result
    finally:
        for _, ref in refs:
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass
        close()


def _map(fn: Callable[[T, Any], R], make_items: Callable[[int], Sequence[T]], shared: Any, cluster: Cluster,
         on_crash: Callable[[T], R]) -> Iterator[R]:
    """``fn(item, shared)`` for each of ``make_items(number of workers)``, in order, on ``cluster``."""
    workers = cluster.workers or os.cpu_count() or 1
    if cluster.backend == "threads":
        return _map_threads(fn, make_items(workers), shared, workers)
    if cluster.backend == "processes":
        return _map_processes(fn, make_items(workers), shared, workers, on_crash)
    if cluster.backend == "dask":
        return _map_dask(fn, make_items, shared, cluster, on_crash)
    return _map_ray(fn, make_items, shared, cluster, on_crash)


def _chunker(items: Sequence[T], chunk_size: Optional[int], at_most: int) -> Callable[[int], List[Sequence[T]]]:
    """``items`` cut in chunks of ``chunk_size``, or of the default size for a number of workers."""
    def make(workers: int) -> List[Sequence[T]]:
        size = chunk_size or min(at_most, _default_chunk_size(len(items), workers))
        return [items[i:i + size] for i in range(0, len(items), size)]

    return make


def _default_chunk_size(n: int, workers: int) -> int:
    # About eight chunks per worker: enough to balance uneven tasks, few
    # enough that a chunk's overhead (ms on Dask/Ray) is small beside its work.
    return max(1, n // (8 * max(1, workers)))


# --- The batch API --------------------------------------------------------------------
class _Bar:
    """``[####    ] done/total tasks, failed`` on one line of ``stream``."""

    def __init__(self, total: int, stream: Optional[TextIO]) -> None:
        self.total, self.stream, self.done, self.failed = total, stream, 0, 0

    def update(self, results: Sequence[TaskResult]) -> None:
        self.done += len(results)
        self.failed += sum(1 for r in results if not r.ok)
        if self.stream is None:
            return
        width = 30
        filled = width * self.done // max(self.total, 1)
        self.stream.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {self.done}/{self.total} tasks"
                          + (f", {self.failed} raised" if self.failed else ""))
        self.stream.flush()

    def clear(self) -> None:
        if self.stream is not None:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def iter_run(
    tasks: Sequence[Task],
    *,
    workers: Optional[int] = None,
    backend: str = "threads",
    chunk_size: Optional[int] = None,
    shared: Optional[SharedState] = None,
    client: Any = None,
    address: Optional[str] = None,
) -> Iterator[List[TaskResult]]:
    """Like :func:`run`, yielding the results chunk by chunk, in task order."""
    cluster = Cluster(backend, workers, address, client)
    tasks = list(tasks)
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ValueError(f"chunk_size: expected a positive integer, got {chunk_size!r}")
    if not tasks:
        return
    make_chunks = _chunker(list(enumerate(tasks)), chunk_size, 1000)
    fn = _run_chunk if cluster.backend == "threads" else _run_chunk_packed
    for rows in _map(fn, make_chunks, shared, cluster, _crashed_chunk):  # type: ignore[arg-type]
        yield [_unpack(row) for row in rows]


def run(
    tasks: Sequence[Task],
    *,
    workers: Optional[int] = None,
    backend: str = "threads",
    chunk_size: Optional[int] = None,
    progress: Union[bool, TextIO] = True,
    shared: Optional[SharedState] = None,
    client: Any = None,
    address: Optional[str] = None,
) -> List[TaskResult]:
    """Run ``tasks`` and return one :class:`TaskResult` per task, in order.

    Args:
        tasks: :class:`evm.statetest.FixtureCase`, :class:`TransactionTask`
            and :class:`CallTask` values (they may be mixed).
        workers: threads or processes (default one per core); for Dask/Ray
            the size of a local cluster started for the run.
        backend: ``"threads"``, ``"processes"``, ``"dask"`` or ``"ray"``.
        chunk_size: tasks sent to a worker at a time (default: about eight
            chunks per worker).
        progress: draw a progress bar on stderr when it is a terminal (or on
            the stream given).
        shared: the state the :class:`CallTask` values run on, shipped once per worker.
        client: a ``distributed.Client`` (``backend="dask"``).
        address: a Dask scheduler or Ray address to connect to.

    Raises ``ValueError`` for a bad argument and ``RuntimeError`` when the
    backend's package is missing; a task's own failure is in its result.
    """
    tasks = list(tasks)
    stream: Optional[TextIO] = None
    if progress is True:
        stream = sys.stderr if getattr(sys.stderr, "isatty", lambda: False)() else None
    elif progress:
        stream = progress  # type: ignore[assignment]
    bar = _Bar(len(tasks), stream)
    out: List[TaskResult] = []
    try:
        for results in iter_run(tasks, workers=workers, backend=backend, chunk_size=chunk_size, shared=shared,
                                client=client, address=address):
            out.extend(results)
            bar.update(results)
    finally:
        bar.clear()
    return out


# --- Per-file runners on a cluster ----------------------------------------------------
def _map_chunk(worker: Callable[[T], R], chunk: Sequence[T], shared: Any = None) -> List[R]:
    return [worker(item) for item in chunk]


def _crash_chunk(on_crash: Callable[[T], R], chunk: Sequence[T]) -> List[R]:
    return [on_crash(item) for item in chunk]


def map_on_cluster(
    items: Sequence[T],
    worker: Callable[[T], R],
    cluster: Cluster,
    on_crash: Callable[[T], R],
    chunk_size: Optional[int] = None,
) -> Iterator[R]:
    """``worker(item)`` for each item, run on ``cluster``, yielded in order.

    The per-file runners' path to Dask and Ray (``evm statetest --cluster``;
    :func:`evm.fixturefiles.map_files` calls it): items travel in chunks
    (default: about eight per worker, at most 16 items, so the progress
    bar moves); a chunk whose worker died yields ``on_crash(item)`` for each
    of its items. ``worker`` must be picklable.
    """
    items = list(items)
    if not items:
        return
    if cluster.backend in ("threads", "processes"):
        raise ValueError("map_on_cluster runs on dask or ray; map_files runs processes")
    for results in _map(functools.partial(_map_chunk, worker), _chunker(items, chunk_size, 16), None, cluster,
                        functools.partial(_crash_chunk, on_crash)):
        yield from results
