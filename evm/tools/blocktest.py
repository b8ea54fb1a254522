"""The blockchain-test runner behind ``evm blocktest``.

A blockchain-test fixture (ethereum/tests ``BlockchainTests`` and
execution-spec-tests ``blockchain_test`` JSON) maps test names to a
``network`` (the fork), a ``pre`` state, the ``genesisRLP``, a list of
``blocks`` (each its ``rlp``; ``expectException`` marks a block that must be
rejected), the ``lastblockhash`` and the post-state (``postState``, or only
its root ``postStateHash``).

Every test is one *case*: the genesis block is decoded and must commit to
``pre``; each block is imported into a :class:`evm.blocks.Chain` in order;
then the head must be ``lastblockhash`` and the head's state the post-state.
A case gives one result dict, like ``evm statetest``'s::

    {"name": str, "pass": bool | None, "stateRoot": "0x…" | None, "fork": str,
     "error": str | None, "file": str, "index": None,
     "rejected": [{"block": i, "expected": str, "got": str}, ...]}

``rejected`` lists the blocks the chain refused, with the fixture's expected
exception and ours. Transition networks (``BerlinToLondonAt5``,
``ShanghaiToCancunAtTime15k``) run with a :class:`~evm.blocks.ForkSchedule`;
those that switch by total difficulty are skipped.
"""
from __future__ import annotations

import functools
import json
import os
import re
from typing import Any, Dict, Iterator, List, Optional, Pattern, Sequence, TextIO, Union

from ..blocks import Block, Chain, ForkSchedule, InvalidBlock
from ..fixturefiles import map_files, report_results
from ..forks import Fork, fork_from_name
from ..statetest import (
    FixtureError,
    _failure,
    _get,
    _hex_bytes,
    _hex_int,
    _one_line,
    _state_diff,
    build_state,
    iter_fixture_files,
    parse_fork_filter,
    parse_run_filter,
)
from ..trie import state_root

__all__ = ["run_file", "iter_file", "run_case", "iter_fixture_files", "add_parser", "main"]

Result = Dict[str, Any]
_TRANSITION = re.compile(r"^[A-Za-z0-9]+To[A-Za-z0-9]+At[A-Za-z0-9]+$")
_BLOCKCHAIN_KEYS = frozenset(("blocks", "genesisRLP", "genesisBlockHeader"))


def run_case(name: str, test: Dict[str, Any], fork: Union[Fork, ForkSchedule], path: str = "",
             trace: Optional[TextIO] = None, network: Optional[str] = None) -> Result:
    """Run one blockchain test under ``fork`` (or a transition schedule); return its result dict."""
    from ..tracing import EIP3155Tracer, write_state_root

    chain_id = 1
    config = test.get("config")
    if isinstance(config, dict) and "chainid" in config:
        chain_id = _hex_int(config["chainid"], "config.chainid")
    state = build_state(_get(test, "pre", name))
    genesis = Block.decode(_hex_bytes(_get(test, "genesisRLP", name), "genesisRLP"))
    want_genesis = test.get("genesisBlockHeader", {}).get("hash")
    if want_genesis is not None and genesis.hash != _hex_bytes(want_genesis, "genesisBlockHeader.hash", 32):
        raise FixtureError("genesisRLP does not hash to genesisBlockHeader.hash")
    if state_root(state) != genesis.header.state_root:
        raise FixtureError("the genesis state root is not the root of 'pre'")
    chain = Chain(genesis, state, fork, chain_id)

    rejected: List[Dict[str, Any]] = []
    error: Optional[str] = None
    blocks = _get(test, "blocks", name)
    if not isinstance(blocks, list):
        raise FixtureError("blocks: expected a list")
    for i, entry in enumerate(blocks):
        expected = entry.get("expectException") if isinstance(entry, dict) else None
        got: Optional[InvalidBlock] = None
        tracer = EIP3155Tracer(trace, fork=chain.fork) if trace is not None else None
        try:
            raw = _hex_bytes(_get(entry, "rlp", f"blocks[{i}]"), f"blocks[{i}].rlp")
        except FixtureError as e:
            if not expected:  # an invalid block may carry undecodable "rlp" on purpose
                raise
            got = InvalidBlock(str(e), "BlockException.RLP_STRUCTURES_ENCODING")
        if got is None:
            try:
                chain.import_block(raw, tracer=tracer)
            except InvalidBlock as e:
                got = e
        if tracer is not None:
            tracer.flush()
            write_state_root(trace, chain.head.header.state_root)
        if got is not None:
            rejected.append({"block": i, "expected": expected, "got": str(got)})
            if not expected:
                error = f"block {i} rejected: {got}"
                break
        elif expected:
            error = f"block {i} should have been rejected ({expected}), but was imported"
            break

    root = chain.state_at().copy()
    got_root = state_root(root)
    if error is None:
        want_last = _hex_bytes(_get(test, "lastblockhash", name), "lastblockhash", 32)
        if chain.head.hash != want_last:
            error = f"last block hash 0x{chain.head.hash.hex()}, want 0x{want_last.hex()}"
    if error is None:
        if "postState" in test:
            want_root = state_root(build_state(test["postState"]))
            if got_root != want_root:
                error = f"post state root mismatch: got {got_root.hex()}, want {want_root.hex()}"
                hint = _state_diff(test["postState"], root)
                if hint:
                    error += f" ({hint})"
        elif "postStateHash" in test:
            want_root = _hex_bytes(test["postStateHash"], "postStateHash", 32)
            if got_root != want_root:
                error = f"post state root mismatch: got {got_root.hex()}, want {want_root.hex()}"
        else:
            raise FixtureError("neither postState nor postStateHash")
    return {
        "name": name, "pass": error is None, "stateRoot": "0x" + got_root.hex(),
        "fork": network or chain.fork.fixture_name,
        "error": error, "file": path, "index": None, "rejected": rejected,
    }


def run_file(path: Union[str, os.PathLike], fork: Union[str, Fork, None] = None,
             run: Union[str, Pattern[str], None] = None, trace: Optional[TextIO] = None) -> List[Result]:
    """Run every blockchain test of the file ``path``; one result per test.

    ``fork`` keeps only tests of that network, ``run`` only tests whose name
    matches the regular expression. Raises ``ValueError`` only for a bad
    filter; problems with the file become failed results.
    """
    return list(iter_file(path, fork, run, trace))


def iter_file(path: Union[str, os.PathLike], fork: Union[str, Fork, None] = None,
              run: Union[str, Pattern[str], None] = None, trace: Optional[TextIO] = None) -> Iterator[Result]:
    """Like :func:`run_file`, yielding results as the tests finish."""
    fork_filter = parse_fork_filter(fork)
    run = parse_run_filter(run)
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            fixture = json.loads(fh.read())
    except OSError as e:
        yield _failure(path, path, f"cannot read fixture: {e.strerror or e}")
        return
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        yield _failure(path, path, f"malformed JSON: {_one_line(e)}")
        return
    if not isinstance(fixture, dict) or not fixture:
        yield _failure(path, path, "not a blockchain-test file: expected a non-empty JSON object of tests")
        return
    if not any(isinstance(t, dict) and _BLOCKCHAIN_KEYS & t.keys() for t in fixture.values()):
        yield {"name": path, "pass": None, "stateRoot": None, "fork": None, "file": path, "index": None,
               "error": "not a blockchain-test file (no test has blocks/genesisRLP)", "skipped": True}
        return
    for name, test in fixture.items():
        if run is not None and not run.search(name):
            continue
        network = test.get("network") if isinstance(test, dict) else None
        if not isinstance(network, str):
            yield _failure(path, name, "not a blockchain test: no 'network'")
            continue
        case_fork: Union[Fork, ForkSchedule]
        if _TRANSITION.match(network):
            try:
                case_fork = ForkSchedule.parse(network)
            except ValueError as e:
                if fork_filter is None:
                    yield {"name": name, "pass": None, "stateRoot": None, "fork": network, "file": path,
                           "index": None, "error": f"unsupported transition: {e}", "skipped": True}
                continue
            forks = {step[0] for step in case_fork.steps}
        else:
            try:
                case_fork = fork_from_name(network)
            except ValueError as e:
                if fork_filter is None:
                    yield _failure(path, name, str(e), fork=network)
                continue
            forks = {case_fork}
        if fork_filter is not None and fork_filter not in forks:
            continue
        try:
            yield run_case(name, test, case_fork, path, trace, network)
        except (FixtureError, InvalidBlock) as e:
            yield _failure(path, name, _one_line(e), fork=network)
        except RecursionError:
            yield _failure(path, name, "internal error: recursion limit", fork=network)
        except Exception as e:  # an EVM bug must not stop the run
            yield _failure(path, name, _one_line(f"internal error: {type(e).__name__}: {e}"), fork=network)


def add_parser(sub: Any, fork_type: Any, jobs_type: Any) -> None:
    """Register ``evm blocktest`` on the ``evm`` command's subparsers (``fork_type``/``jobs_type``
    are the command's argument converters for fork names and job counts)."""
    bt = sub.add_parser(
        "blocktest",
        help="run blockchain-test fixtures (BlockchainTests / EEST blockchain_test JSON)",
        description="Run blockchain-test fixtures: import every block, compare the last block hash and post-state.",
    )
    bt.add_argument("paths", nargs="*", metavar="PATH",
                    help="fixture file or folder (recursive *.json); none: read file names from stdin")
    bt.add_argument("--fork", type=fork_type, metavar="NAME", help="run only tests of this network")
    bt.add_argument("--run", metavar="REGEX", help="run only tests whose name matches REGEX")
    bt.add_argument("--json", action="store_true", help="print a JSON array of results on stdout")
    bt.add_argument("--trace", action="store_true",
                    help="write EIP-3155 trace lines and a stateRoot line per block to stderr (implies -j 1)")
    bt.add_argument("-j", "--jobs", type=jobs_type, default=1, metavar="N",
                    help="worker processes (default 1; 0 = one per core)")


def _run_file_safely(path: str, fork: Optional[str], run: Optional[str]) -> List[Result]:
    """:func:`run_file` as a pool worker: never raises."""
    try:
        return run_file(path, fork=fork, run=run)
    except Exception as e:  # defensive: report, do not kill the pool
        return [_failure(path, path, f"internal error: {type(e).__name__}: {e}")]


def results_by_file(files: Sequence[str], fork: Optional[str], run: Optional[str], jobs: int,
                    trace: Optional[TextIO]) -> Iterator[List[Result]]:
    """Results of each file, in file order; with ``jobs`` > 1 from worker
    processes (:func:`evm.fixturefiles.map_files`: a crash costs only its file)."""
    if trace is not None:
        for path in files:
            yield run_file(path, fork=fork, run=run, trace=trace)
        return
    yield from map_files(files, functools.partial(_run_file_safely, fork=fork, run=run), jobs)


def main(args: Any, out: TextIO, err: TextIO) -> int:
    """``evm blocktest``: run the fixtures of ``args.paths``; print failures and a summary
    (or, with ``args.json``, a JSON array of results). Exit status 0 only if nothing failed."""
    paths = list(args.paths)
    if not paths:
        import sys

        if sys.stdin is None or sys.stdin.isatty():
            err.write("evm blocktest: error: no PATH given (see 'evm blocktest --help')\n")
            return 2
        paths = [line.strip() for line in sys.stdin if line.strip()]
    if args.run is not None:
        try:
            re.compile(args.run)
        except re.error as e:
            err.write(f"evm blocktest: error: bad --run regular expression: {e}\n")
            return 2
    files = list(iter_fixture_files(paths))
    fork = args.fork.fixture_name if args.fork is not None else None
    trace = err if args.trace else None
    jobs = 1 if args.trace else (args.jobs or 1)
    return report_results(results_by_file(files, fork, args.run, jobs, trace), len(files), "evm blocktest",
                          out, err, as_json=args.json, progress=False if args.trace else None)
