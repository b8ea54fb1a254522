"""evm.batch: every backend gives, in task order, what running each task alone gives."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from evm import EVM, Account, BlockEnv, Fork, State, Transaction
from evm import batch
from evm.batch import CallTask, Cluster, SharedState, TaskResult, TransactionTask, parse_cluster
from evm.cli import main
from evm.transaction import InvalidTransaction, NonceMismatchError
from evm.statetest import FixtureCase, iter_cases, read_fixture, run_file
from evm.workloads import BENCH_FORK, bench_env, erc20_transfer_calls

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO.parent / "shared" / "fixtures"
ST_EXAMPLE = FIXTURES / "ethereum-tests" / "GeneralStateTests" / "stExample"

SENDER = b"\x0a" * 20
OTHER = b"\x0b" * 20


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"fixture {path} not available")
    return path


def _erc20(n: int):
    state, calls = erc20_transfer_calls(n)
    return SharedState(state, bench_env(), BENCH_FORK), [CallTask(c, t, d) for c, t, d in calls]


def _alone(shared: SharedState, task: CallTask):
    """The task on a machine of its own over the shared state: what a batch must reproduce."""
    return EVM(shared.state, shared.fork, shared.env).message_call(task.caller, task.to, task.data)


def _fixture_cases(folder: Path, limit: int = 40):
    cases = []
    for path in sorted(folder.glob("*.json")):
        cases += [c for c in iter_cases(read_fixture(str(path)), str(path)) if isinstance(c, FixtureCase)]
    return cases[:limit]


# --- local backends --------------------------------------------------------------
@pytest.mark.parametrize("backend,workers,chunk", [("threads", 1, None), ("threads", 2, 3),
                                                   ("processes", 2, 5)])
def test_calls_on_a_shared_state_match_each_call_run_alone(backend, workers, chunk):
    shared, tasks = _erc20(23)
    results = batch.run(tasks, backend=backend, workers=workers, chunk_size=chunk, shared=shared, progress=False)
    assert [r.index for r in results] == list(range(len(tasks)))
    for task, r in zip(tasks, results):
        want = _alone(shared, task)
        assert r.ok and r.result.success
        assert (r.result.gas_used, r.result.output, r.result.logs) == (want.gas_used, want.output, want.logs)
    # The shared state itself is unchanged: the first holder still has nothing.
    assert EVM(shared.state, shared.fork, shared.env).message_call(
        tasks[0].caller, tasks[0].to, bytes.fromhex("70a08231") + bytes(12) + (0x10_0000).to_bytes(20, "big")
    ).output == bytes(32)


def test_transaction_tasks_capture_invalid_transactions_in_order():
    env = BlockEnv(base_fee=7)
    state = State({SENDER: Account(balance=10**18)})
    ok = Transaction(sender=SENDER, to=OTHER, value=5, gas_limit=21_000, gas_price=10)
    bad_nonce = Transaction(sender=SENDER, to=OTHER, nonce=3, gas_limit=21_000, gas_price=10)
    tasks = [TransactionTask(state, env, ok, Fork.CANCUN), TransactionTask(state, env, bad_nonce, Fork.CANCUN),
             "not a task", TransactionTask(state, env, ok, Fork.CANCUN)]
    for backend in ("threads", "processes"):
        results = batch.run(tasks, backend=backend, workers=2, chunk_size=1, progress=False)
        assert [r.index for r in results] == [0, 1, 2, 3]
        assert results[0].ok and results[0].result.success and results[0].result.gas_used == 21_000
        assert not results[1].ok and results[1].result is None
        # The exception as one line, its class first (an InvalidTransaction of the nonce kind).
        assert results[1].error.split(":")[0] == NonceMismatchError.__name__ and "nonce 3" in results[1].error
        assert results[2].error.startswith("TypeError: task:")
        assert results[3] == TaskResult(3, results[0].result)
    # The task's pre-state was not modified by running it.
    assert state.accounts[SENDER].balance == 10**18 and OTHER not in state.accounts


def test_nonce_mismatch_is_an_invalid_transaction():
    assert issubclass(NonceMismatchError, InvalidTransaction)


def test_a_call_task_without_a_shared_state_is_an_error_result():
    [r] = batch.run([CallTask(SENDER, OTHER)], backend="threads", workers=1, progress=False)
    assert not r.ok and "shared=SharedState" in r.error


def test_state_test_cases_match_the_file_runner():
    cases = _fixture_cases(need(ST_EXAMPLE))
    expected = {}
    for path in {c.file for c in cases}:
        for r in run_file(path):
            expected[(r["file"], r["name"], r["fork"], r["index"])] = r
    for backend in ("threads", "processes"):
        results = batch.run(cases, backend=backend, workers=2, progress=False)
        assert len(results) == len(cases) > 10
        for case, r in zip(cases, results):
            assert r.ok and r.result["name"] == case.name and r.result["fork"] == case.fork_label
            assert r.result == expected[(case.file, case.name, case.fork_label, r.result["index"])]
            assert r.result["pass"] is True


def test_progress_bar_counts_tasks(tmp_path):
    shared, tasks = _erc20(6)
    stream = open(tmp_path / "bar", "w+")
    batch.run(tasks, backend="threads", workers=1, chunk_size=2, shared=shared, progress=stream)
    stream.seek(0)
    text = stream.read()
    assert "2/6 tasks" in text and "6/6 tasks" in text


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="backend"):
        batch.run([], backend="mpi")
    with pytest.raises(ValueError, match="workers"):
        batch.run([], workers=0)
    with pytest.raises(ValueError, match="chunk_size"):
        batch.run([CallTask(SENDER, OTHER)], chunk_size=0)


@pytest.mark.parametrize("spec,want", [
    ("local-dask", ("dask", 3, None)),
    ("local-ray", ("ray", 3, None)),
    ("dask://10.0.0.1:8786", ("dask", 3, "tcp://10.0.0.1:8786")),
    ("dask+tls://sched:8786", ("dask", 3, "tls://sched:8786")),
    ("ray://head:10001", ("ray", 3, "ray://head:10001")),
    ("ray:auto", ("ray", 3, "auto")),
])
def test_parse_cluster(spec, want):
    c = parse_cluster(spec, 3)
    assert (c.backend, c.workers, c.address) == want


@pytest.mark.parametrize("spec", ["dask://", "dask://:8786", "spark://x:1", "local", "ray://h:1/x"])
def test_parse_cluster_rejects(spec):
    with pytest.raises(ValueError, match="--cluster"):
        parse_cluster(spec)


def test_cli_cluster_usage_errors(capsys):
    assert main(["statetest", "--cluster", "spark://x:1", "x.json"]) == 2
    assert "--cluster 'spark://x:1'" in capsys.readouterr().err
    assert main(["statetest", "--cluster", "local-dask", "--trace", "x.json"]) == 2
    assert "--trace" in capsys.readouterr().err


# --- Dask ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed", reason="dask backend not installed (pip install 'cyevm[dask]')")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_batch_matches_threads(dask_client):
    shared, tasks = _erc20(30)
    env = BlockEnv(base_fee=7)
    state = State({SENDER: Account(balance=10**18)})
    tasks += [TransactionTask(state, env, Transaction(sender=SENDER, to=OTHER, value=1, gas_limit=21_000,
                                                      gas_price=10)),
              TransactionTask(state, env, Transaction(sender=SENDER, to=OTHER, nonce=9, gas_limit=21_000,
                                                      gas_price=10))]
    local = batch.run(tasks, backend="threads", workers=1, shared=shared, progress=False)
    remote = batch.run(tasks, backend="dask", client=dask_client, chunk_size=4, shared=shared, progress=False)
    assert remote == local
    assert remote[-1].error.startswith(NonceMismatchError.__name__) and remote[-2].result.success


def test_statetest_cli_on_local_dask_matches_local_run():
    """A CI-sized sample of `evm statetest --cluster local-dask` (a few files)."""
    pytest.importorskip("distributed", reason="dask backend not installed (pip install 'cyevm[dask]')")
    folder = need(ST_EXAMPLE)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))

    def evm(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "evm", *args], capture_output=True, text=True, env=env,
                              cwd=REPO, timeout=300)

    local = evm("statetest", "--json", str(folder))
    dask = evm("statetest", "--json", "--cluster", "local-dask", "-j", "2", str(folder))
    assert dask.returncode == local.returncode == 0, dask.stderr
    assert json.loads(dask.stdout) == json.loads(local.stdout)
    assert len(json.loads(dask.stdout)) > 10


# --- Ray (slow to start: one test; deselect with -m "not ray") ---------------------------------
@pytest.mark.ray
def test_ray_batch_and_file_runner_match_local():
    ray = pytest.importorskip("ray", reason="ray backend not installed (pip install 'cyevm[ray]')")
    from evm.statetest import run_files

    shared, tasks = _erc20(12)
    local = batch.run(tasks, backend="threads", workers=1, shared=shared, progress=False)
    files = sorted(str(p) for p in need(ST_EXAMPLE).glob("*.json"))[:6]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        assert batch.run(tasks, backend="ray", chunk_size=5, shared=shared, progress=False) == local
        on_ray = list(run_files(files, cluster=Cluster("ray", 2)))
    finally:
        ray.shutdown()
    assert on_ray == list(run_files(files))


def test_bench_throughput_json(capsys):
    folder = need(ST_EXAMPLE)
    assert main(["bench", "--throughput", "--json", "--backends", "threads,processes", "--workers", "1,2",
                 "--transfers", "40", str(folder / "add11.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["transfers"] == 40 and out["cases"] >= 1
    rows = {(r["backend"], r["workers"]): r for r in out["rows"]}
    assert set(rows) == {("threads", 1), ("threads", 2), ("processes", 1), ("processes", 2)}
    for r in rows.values():
        assert r["erc20_per_s"] > 0 and r["cases_per_s"] > 0 and r["problems"] == []
    r2 = rows[("threads", 2)]
    assert r2["erc20_scaling"] == pytest.approx(r2["erc20_per_s"] / rows[("threads", 1)]["erc20_per_s"])


def test_bench_throughput_usage_errors(capsys):
    assert main(["bench", "--throughput", "--backends", "mpi"]) == 2
    assert "unknown backend 'mpi'" in capsys.readouterr().err
    assert main(["bench", "--throughput", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
