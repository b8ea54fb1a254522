"""Fork mode: the cost of one cold account or slot read by ``RPCDatabase``.

A JSON-RPC server on 127.0.0.1 (the tests' ``rpc_node.FakeNode``) serves
``N`` contracts with one storage slot each. Each test reads all of them:

- ``cold``: a new database with no cache, one HTTP round trip per account
  (its balance, nonce and code in one batch) or per slot;
- ``cold, prefetched``: a new database, everything in one ``prefetch`` batch
  (``batch_size`` 100), then read;
- ``warm, SQLite``: a new database on a cache file a previous run filled
  (no request is made);
- ``in memory``: the same database read again (its dictionaries), and a
  dict-backed ``State`` for reference.

``extra_info["us_per_item"]`` is the mean time of one read in microseconds.
Loopback round trips are the floor of a real endpoint's: over a network
each cold round trip costs the endpoint's latency on top.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from evm import Account, State
from evm.forkdb import RPCDatabase

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "unit"))
from rpc_node import FakeNode  # noqa: E402  (the tests' server, not copied)

N = 100
BLOCK = 1000
CHAIN_ID = 1337
ADDRESSES = [(0x1000 + i).to_bytes(20, "big") for i in range(N)]
SLOTS = [(a, 7) for a in ADDRESSES]
STATE = State({a: Account(nonce=1, balance=10**18 + i, code=b"\x60\x00\x54" * 8, storage={7: i + 1})
               for i, a in enumerate(ADDRESSES)})


@pytest.fixture(scope="module")
def node():
    with FakeNode({BLOCK: STATE}, chain_id=CHAIN_ID) as n:
        yield n


@pytest.fixture(scope="module")
def warm_cache(node, tmp_path_factory):
    path = tmp_path_factory.mktemp("forkdb") / "cache.sqlite"
    with RPCDatabase(node.url, BLOCK, cache=path) as db:
        db.prefetch(ADDRESSES, SLOTS)
    return path


def read_accounts(db) -> None:
    for a in ADDRESSES:
        db.get_account(a)


def read_slots(db) -> None:
    for a, k in SLOTS:
        db.get_storage(a, k)


READS = {"account": read_accounts, "slot": read_slots}


def _per_item(benchmark) -> None:
    if benchmark.stats is not None:  # None under --benchmark-disable
        benchmark.extra_info["us_per_item"] = benchmark.stats.stats.mean / N * 1e6


def _time_fresh(benchmark, make, read, rounds: int) -> None:
    """Time ``read(db)`` on a new database from ``make()`` each round."""
    benchmark.pedantic(read, setup=lambda: ((make(),), {}), rounds=rounds, iterations=1,
                       warmup_rounds=1)
    _per_item(benchmark)


@pytest.mark.parametrize("kind", READS)
def test_fork_cold(benchmark, node, kind):
    benchmark.group = f"fork mode: {N} {kind} reads"
    before = len(node.requests)
    _time_fresh(benchmark, lambda: RPCDatabase(node.url, BLOCK, chain_id=CHAIN_ID),
                READS[kind], rounds=10)
    assert len(node.requests) - before == N * 11  # warm-up + 10 rounds, one request per item


@pytest.mark.parametrize("kind", READS)
def test_fork_cold_prefetched(benchmark, node, kind):
    benchmark.group = f"fork mode: {N} {kind} reads"

    def run(db: RPCDatabase) -> None:
        db.prefetch(ADDRESSES if kind == "account" else (), SLOTS if kind == "slot" else ())
        READS[kind](db)

    _time_fresh(benchmark, lambda: RPCDatabase(node.url, BLOCK, chain_id=CHAIN_ID), run, rounds=10)


@pytest.mark.parametrize("kind", READS)
def test_fork_warm_sqlite(benchmark, node, warm_cache, kind):
    benchmark.group = f"fork mode: {N} {kind} reads"
    before = len(node.requests)
    _time_fresh(benchmark, lambda: RPCDatabase(node.url, BLOCK, cache=warm_cache),
                READS[kind], rounds=20)
    assert len(node.requests) == before  # all from the cache


@pytest.mark.parametrize("kind", READS)
def test_fork_in_memory(benchmark, node, kind):
    benchmark.group = f"fork mode: {N} {kind} reads"
    db = RPCDatabase(node.url, BLOCK, chain_id=CHAIN_ID)
    db.prefetch(ADDRESSES, SLOTS)
    before = len(node.requests)
    benchmark(READS[kind], db)
    _per_item(benchmark)
    assert len(node.requests) == before


@pytest.mark.parametrize("kind", READS)
def test_state_dict(benchmark, kind):
    benchmark.group = f"fork mode: {N} {kind} reads"
    benchmark(READS[kind], STATE)
    _per_item(benchmark)
