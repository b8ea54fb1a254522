"""The cases ``evm bench`` runs: the built-in workloads and the entries of state-test files.

A state-test file is read and walked by the state-test runner's own loader
(:func:`evm.statetest.read_fixture`, :func:`evm.statetest.iter_cases`,
:meth:`evm.statetest.FixtureCase.build`), so a benchmark case gets exactly
the pre-state, environment (chain id, ``previousHash``) and transaction
that ``evm statetest`` checks against the fixture.
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..fixturefiles import iter_fixture_files
from ..forks import Fork
from ..statetest import FixtureCase, FixtureError, iter_cases, read_fixture
from ..workloads import SUITES, Case, builtin_cases

__all__ = ["BenchError", "load_file_cases", "load_cases", "fixture_gas_used"]


class BenchError(ValueError):
    """A bad benchmark request (path, file, peer name, filter): one line, exit status 2."""


def _case_name(test: str, info: Any, d: int, g: int, v: int, variants: Tuple[int, int]) -> str:
    labels = info.get("labels") if isinstance(info, dict) else None
    label = labels.get(str(d)) if isinstance(labels, dict) else None
    name = f"{test}/{label if isinstance(label, str) and label else d}"
    if variants != (1, 1):  # several gas or value variants: say which
        name += f"/{g}:{v}"
    return name


def _variants(test: Dict[str, Any]) -> Tuple[int, int]:
    tx = test.get("transaction")
    tx = tx if isinstance(tx, dict) else {}
    return len(tx.get("gasLimit") or [0]), len(tx.get("value") or [0])


def load_file_cases(path: str, fork: Optional[Fork] = None) -> List[Case]:
    """The cases of one state-test file: each (test, post entry) is one case.

    Without ``fork`` each test's newest fork is used. Entries that expect an
    invalid transaction are not benchmarks and are left out; transition
    forks and forks this package does not know are passed over. Each case keeps the fixture's expected post state
    root (``post_root``). Raises :class:`BenchError` for an unreadable or
    malformed file.
    """
    try:
        fixture = read_fixture(path)
    except FixtureError as e:
        raise BenchError(f"{path}: {e}") from None
    # Per test, in file order: the entries of the fork to run.
    chosen: Dict[str, List[FixtureCase]] = {}
    for item in iter_cases(fixture, path, fork, skip_unknown_forks=True):
        if isinstance(item, dict):
            if item.get("pass") is None:  # a transition fork: not a benchmark
                continue
            raise BenchError(f"{path}: {item['name']}: {item['error']}")
        entries = chosen.setdefault(item.name, [])
        if entries and item.fork != entries[0].fork:
            if item.fork < entries[0].fork:
                continue
            if item.fork > entries[0].fork:
                entries.clear()
        entries.append(item)
    cases: List[Case] = []
    try:
        for name, entries in chosen.items():
            variants = _variants(entries[0].test)
            for entry in entries:
                if entry.expect_exception:
                    continue
                d, g, v = entry.indexes()
                state, env, tx = entry.build()
                cases.append(Case(_case_name(name, entry.test.get("_info"), d, g, v, variants),
                                  entry.fork, state, env, tx,
                                  post_root=entry.expected_root() if "hash" in entry.post else None))
    except (ValueError, TypeError, KeyError) as e:  # FixtureError is a ValueError
        raise BenchError(f"{path}: malformed state test: {' '.join(str(e).split())[:160]}") from None
    return cases


def load_cases(paths: Sequence[str] = (), suite: Optional[str] = None, fork: Optional[Fork] = None,
               run: Optional[str] = None) -> List[Case]:
    """The cases to run: the built-in ``suite`` (default ``"main"`` when no
    path is given) followed by the state-test files under ``paths``
    (folders are searched recursively for ``*.json``), filtered by the
    regular expression ``run`` (``re.search`` on the case name).

    Duplicate names get a ``#2``, ``#3``… suffix. Raises :class:`BenchError`
    for a missing path, a bad file or a bad regular expression.
    """
    pattern = None
    if run is not None:
        try:
            pattern = re.compile(run)
        except re.error as e:
            raise BenchError(f"bad --run regular expression {run!r}: {e}") from None
    cases: List[Case] = []
    if suite is None and not paths:
        suite = "main"
    if suite is not None:
        if suite not in SUITES:
            raise BenchError(f"unknown built-in suite {suite!r} (choose from {', '.join(SUITES)})")
        cases.extend(builtin_cases(suite))
    for p in paths:
        if not os.path.exists(p):
            raise BenchError(f"no such file or directory: {p}")
        files = list(iter_fixture_files([p]))
        if os.path.isdir(p) and not files:
            raise BenchError(f"no *.json file under {p}")
        for f in files:
            cases.extend(load_file_cases(f, fork))
    seen: Dict[str, int] = {}
    for c in cases:
        n = seen.get(c.name, 0) + 1
        seen[c.name] = n
        if n > 1:
            c.name = f"{c.name}#{n}"
    if pattern is not None:
        cases = [c for c in cases if pattern.search(c.name)]
    return cases


def fixture_gas_used(case: Case) -> int:
    """The gas the fixture's expected post state says ``case``'s transaction used.

    The transaction is run on a copy of the pre-state and the result must
    hash to the fixture's ``post_root``: the post state is then the
    fixture's. The gas follows from what the sender paid, ``pre balance -
    post balance - value``, divided by what the sender pays per gas (the
    effective gas price, less the priority fee when the sender is also the
    coinbase). Raises ``ValueError`` when the case has no fixture root, the
    roots differ, or the post state does not pin the gas (nothing paid per
    gas, blob gas, or a payment that is not a whole number of gas).
    """
    from ..executor import apply_transaction
    from ..transaction import validate_transaction
    from ..trie import state_root

    if case.post_root is None:
        raise ValueError(f"{case.name}: no fixture post state root to check against")
    tx, env, fork = case.tx, case.env, case.fork
    if tx.blob_versioned_hashes:
        raise ValueError(f"{case.name}: blob gas is paid too: the balance does not pin the gas")
    pre = case.state.get_account(tx.sender)
    price = validate_transaction(tx, pre, env, fork)
    post_state = case.state.copy()
    apply_transaction(post_state, env, tx, fork)
    root = state_root(post_state)
    if root != case.post_root:
        raise ValueError(f"{case.name}: post state root {root.hex()} is not the fixture's {case.post_root.hex()}")
    per_gas = price
    if env.coinbase == tx.sender:  # the sender gets the priority fee back
        per_gas = env.base_fee_per_gas(fork) if fork >= Fork.LONDON else 0
    if per_gas == 0:
        raise ValueError(f"{case.name}: the sender pays nothing per gas: the balance does not pin the gas")
    post = post_state.get_account(tx.sender)
    paid = (pre.balance if pre else 0) - (post.balance if post else 0) - tx.value
    gas, rest = divmod(paid, per_gas)
    if rest or gas <= 0:
        raise ValueError(f"{case.name}: the sender paid {paid} wei, not a whole number of gas at {per_gas} wei")
    return gas
