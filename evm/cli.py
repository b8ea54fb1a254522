"""The ``evm`` command: ``evm statetest``, ``evm run`` and ``evm bench``.

``evm statetest [--fork NAME] [--run REGEX] [--index D:G:V] [--json | --human]
[--trace] [-j N] PATH...`` runs state-test fixtures (files or folders, searched
recursively for ``*.json``; with no PATH, file names are read from stdin) and
prints a line per failure and ``N passed, M failed[, K skipped]`` (or, with
``--json``, a JSON array of results). It exits 0 only if nothing failed.

``evm run [--codefile F | CODE] [--input HEX] [--gas N] [--value N] [--fork NAME]
[--create] [--json] [--trace]`` runs bytecode like go-ethereum's ``evm run``
and prints the output, the gas used and the error, if any. With ``--json`` it
prints ``{"output": "0x…", "gasUsed": "0x…", "error": null | "…"}``: ``gasUsed``
is a hex string, as in geth's ``evm run --json`` and the EIP-3155 summary line.
It exits 0 when the code ran, whatever its outcome.

``evm bench [PATH...] [--compare PEERS] [--json] [--memory] ...`` times
transactions: with no PATH the built-in workloads, else state-test files;
``--compare pyrevm,py-evm`` runs the same cases in those peers, interleaved,
and prints time ratios (see :mod:`evm.bench` for what is timed).

``run`` and ``statetest`` take ``--trace`` to write EIP-3155 lines to stderr. Usage errors (bad
option, malformed hex, unknown fork) print one line on stderr and exit 2.

This module only parses and dispatches: a subcommand is its parser in
:func:`build_parser` and a handler in ``_COMMANDS``; the work is done in
its module (:mod:`evm.statetest` with :mod:`evm.fixturefiles`, :mod:`evm.executor`,
:mod:`evm.bench`).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, List, NoReturn, Optional, Sequence

from .forks import Fork, fork_from_name

__all__ = ["main", "build_parser", "UsageError"]


class UsageError(Exception):
    """A command-line mistake: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and do not exit by themselves."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def _version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("cyevm")
        except PackageNotFoundError:
            pass
    except ImportError:  # pragma: no cover - Python < 3.8
        pass
    try:
        import evm

        return str(getattr(evm, "__version__", "0+unknown"))
    except Exception:
        return "0+unknown"


# --- Argument helpers ------------------------------------------------------
def _uint(text: str) -> int:
    """A non-negative integer, decimal or 0x-hex."""
    t = text.strip().replace("_", "")
    try:
        n = int(t, 16) if t[:2].lower() == "0x" else int(t, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text!r}")
    return n


def _jobs(text: str) -> int:
    n = _uint(text)
    return n if n > 0 else (os.cpu_count() or 1)


def _fork(text: str) -> Fork:
    try:
        return fork_from_name(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _hex(text: str, what: str) -> bytes:
    """Hex with or without 0x; whitespace (e.g. a trailing newline) is ignored."""
    s = "".join(text.split())
    if s[:2] in ("0x", "0X"):
        s = s[2:]
    if len(s) % 2:
        raise UsageError(f"evm run: error: {what}: odd number of hex digits")
    try:
        return bytes.fromhex(s)
    except ValueError:
        bad = next((c for c in s if c not in "0123456789abcdefABCDEF"), "?")
        raise UsageError(f"evm run: error: {what}: malformed hex (unexpected {bad!r})") from None


def _add_parallel_options(p: argparse.ArgumentParser) -> None:
    """``-j N`` and ``--cluster WHERE``: the options of every per-file runner (see :func:`_cluster`)."""
    p.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                   help="worker processes (default 1; 0 = one per core); with --cluster local-*: its workers")
    p.add_argument("--cluster", metavar="WHERE",
                   help="run the files on Dask or Ray: dask://HOST:PORT (a scheduler), ray://HOST:PORT, "
                        "ray:auto, local-dask or local-ray (started here with -j workers, default one per "
                        "core); needs pip install 'cyevm[dask]' or 'cyevm[ray]'")


def _cluster(args: argparse.Namespace, command: str) -> Any:
    """The :class:`evm.batch.Cluster` of ``--cluster`` (None without it); a bad value is a usage error."""
    if getattr(args, "cluster", None) is None:
        return None
    from .batch import parse_cluster

    if getattr(args, "trace", False):
        raise UsageError(f"{command}: error: --trace runs in this process; it cannot be used with --cluster")
    try:
        return parse_cluster(args.cluster, args.jobs)
    except ValueError as e:
        raise UsageError(f"{command}: error: {e}") from None


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``evm`` command."""
    parser = _Parser(prog="evm", description="cyevm: an Ethereum Virtual Machine for Python.")
    # "evm version ..." as geth's evm prints it: test fillers recognise a t8n tool by it
    parser.add_argument("-v", "--version", action="version", version=f"evm version {_version()} (cyevm)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    st = sub.add_parser(
        "statetest",
        help="run state-test fixtures (GeneralStateTests / EEST state_test JSON)",
        description="Run state-test fixtures: every test × fork × post entry is one case.",
    )
    st.add_argument("paths", nargs="*", metavar="PATH",
                    help="fixture file or folder (recursive *.json); none: read file names from stdin")
    st.add_argument("--fork", type=_fork, metavar="NAME", help="run only this fork's entries")
    st.add_argument("--run", metavar="REGEX", help="run only tests whose name matches REGEX")
    st.add_argument("--index", metavar="D:G:V",
                    help="run only entries with these data:gas:value indexes (* = any)")
    out = st.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print a JSON array of results on stdout")
    out.add_argument("--human", action="store_true",
                     help="print a line per failure and a summary (the default)")
    st.add_argument("--trace", action="store_true",
                    help="write EIP-3155 trace lines and a stateRoot line per case to stderr (implies -j 1)")
    st.add_argument("--dump", action="store_true",
                    help="add each case's post-state (root and accounts, geth's alloc form) to the "
                         "JSON results; implies --json")
    _add_parallel_options(st)

    rn = sub.add_parser(
        "run",
        help="run EVM bytecode (like geth's 'evm run')",
        description="Run CODE (hex) as the code of a contract, or as initcode with --create.",
    )
    rn.add_argument("code", nargs="?", metavar="CODE", help="bytecode in hex (default: read from stdin)")
    rn.add_argument("--codefile", metavar="F", help="read the bytecode hex from file F ('-' = stdin)")
    rn.add_argument("--input", default="", metavar="HEX", help="calldata in hex")
    rn.add_argument("--gas", type=_uint, default=10_000_000, metavar="N", help="gas (default 10000000)")
    rn.add_argument("--value", type=_uint, default=0, metavar="N", help="call value in wei")
    rn.add_argument("--fork", type=_fork, default=Fork.CANCUN, metavar="NAME", help="fork (default Cancun)")
    rn.add_argument("--create", action="store_true", help="run CODE as initcode of a creation")
    rn.add_argument("--json", action="store_true", help="print one JSON object")
    rn.add_argument("--trace", action="store_true", help="write EIP-3155 trace lines to stderr")
    rn.add_argument("--dump", action="store_true",
                    help="print the post-state as JSON in geth's alloc form after the result")
    rn.add_argument("--prestate", metavar="FILE",
                    help="pre-state: a JSON alloc (or a genesis file with an 'alloc'), as geth's evm takes")
    rn.add_argument("--sender", metavar="ADDR", help="the caller (default 0x...c0de)")
    rn.add_argument("--receiver", metavar="ADDR",
                    help="the called account (default 0x...0ca1); without CODE its code in --prestate runs")

    _add_bench_parser(sub)
    from .tools.blocktest import add_parser as _add_blocktest_parser
    from .tools.t8n import add_parser as _add_t8n_parser

    _add_blocktest_parser(sub, _fork, _jobs)
    _add_t8n_parser(sub)
    from .profile.command import add_profile_parser
    add_profile_parser(sub)
    from .fuzz.runner import add_arguments as _add_fuzz_arguments

    _add_fuzz_arguments(sub.add_parser(
        "fuzz", help="differential fuzzing against the execution specs (or evmone)",
        description="Run random programs on cyevm and an oracle; minimise and save divergences."))
    return parser


def _seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not v >= 0 or v == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a non-negative number of seconds: {text!r}")
    return v


_BENCH_EPILOG = """\
What is timed, the same for every engine: one case's transaction (sender ->
contract, calldata, value, gas limit) on a pre-state set up before the timer
starts, through each engine's own "run this transaction" call: cyevm's
evm.EVM(state).transact(tx) on a machine made for each run (cyevm-apply:
evm.apply_transaction on a copy of the state), pyrevm's EVM.message_call
inside a journal checkpoint reverted afterwards (it skips buying gas, the
nonce bump and paying the coinbase), py-evm's state.apply_transaction of a
spoofed (unsigned) transaction. One warm-up run per engine and case is
discarded; cyevm and pyrevm then alternate run by run; py-evm runs after
them. Per case: gas used, median and min time, Mgas/s, and per peer the
ratio cyevm/peer of the median times (below 1: cyevm is faster) with their
geometric mean. A peer that used different gas is flagged and left out of
the mean. py-evm runs --slow-repeat times and skips cases estimated over
--peer-budget seconds. Exit status: 0; 1 if a gas mismatch or an engine
error was flagged; 2 on a usage error. Peers are optional:
pip install 'cyevm[bench]'.
"""


def _add_bench_parser(sub: Any) -> None:
    from .workloads import SUITES

    bn = sub.add_parser(
        "bench",
        help="time transactions (built-in workloads or state-test files), optionally against pyrevm/py-evm",
        description="Time the built-in workloads (no PATH) or the cases of state-test benchmark\n"
                    "files: each (test, post entry) is one case.",
        epilog=_BENCH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    bn.add_argument("paths", nargs="*", metavar="PATH",
                    help="state-test file or folder (recursive *.json); none: the built-in workloads")
    bn.add_argument("--builtin", choices=SUITES, metavar="SUITE",
                    help="built-in suite to run: main (the default with no PATH), micro (per opcode class) or all")
    bn.add_argument("--compare", metavar="PEERS",
                    help="comma-separated peers to time too: pyrevm, py-evm, cyevm-apply (per transaction); "
                         "or evmone alone (execution only, on benchmark folders)")
    bn.add_argument("--evmone", metavar="PATH",
                    help="evmone's evmone-bench-london (default: on PATH, or ~/.cache/evmone/build/bin)")
    bn.add_argument("--json", action="store_true", help="print one JSON object")
    bn.add_argument("--run", metavar="REGEX", help="only cases whose name matches REGEX")
    bn.add_argument("--fork", type=_fork, metavar="NAME", help="fork of file cases (default: each test's newest)")
    bn.add_argument("--repeat", type=_uint, default=5, metavar="N",
                    help="at least N timed runs per engine and case (default 5)")
    bn.add_argument("--min-time", type=_seconds, default=0.2, metavar="S",
                    help="repeat until S seconds were timed per engine and case (default 0.2)")
    bn.add_argument("--slow-repeat", type=_uint, default=1, metavar="N",
                    help="timed runs of py-evm per case (default 1)")
    bn.add_argument("--peer-budget", type=_seconds, default=60.0, metavar="S",
                    help="py-evm skips cases estimated to take more than S seconds (default 60)")
    bn.add_argument("--memory", action="store_true",
                    help="instead of timing, report each engine's peak RSS for one run, in a child process")
    bn.add_argument("--list", action="store_true", help="list the cases and exit")
    tp = bn.add_argument_group("throughput (evm.batch)")
    tp.add_argument("--throughput", action="store_true",
                    help="instead of per-transaction times: ERC-20 transfers/s and (with PATH) state-test "
                         "cases/s through evm.batch.run, per backend and worker count, with the scaling ratio")
    tp.add_argument("--thread-scaling", action="store_true",
                    help="instead: the built-in loops on k threads, each with its own EVM, against one "
                         "thread (wall-time ratio; --workers sets k, --run filters the cases)")
    tp.add_argument("--backends", metavar="LIST",
                    help="backends to measure: threads, processes, dask, ray (default threads,processes,dask)")
    tp.add_argument("--workers", metavar="LIST", help="worker counts to measure (default 1,2)")
    tp.add_argument("--cluster", metavar="WHERE",
                    help="measure on this cluster instead: dask://HOST:PORT, ray://HOST:PORT, ray:auto, "
                         "local-dask or local-ray")
    tp.add_argument("--transfers", type=_uint, default=20_000, metavar="N",
                    help="ERC-20 transfers per measurement (default 20000)")


# --- evm statetest ---------------------------------------------------------
def _read_paths_from_stdin() -> List[str]:
    if sys.stdin is None or sys.stdin.isatty():
        raise UsageError("evm statetest: error: no PATH given (see 'evm statetest --help')")
    return [line.strip() for line in sys.stdin if line.strip()]


def _cmd_statetest(args: argparse.Namespace) -> int:
    import re

    from .fixturefiles import iter_fixture_files, report_results
    from .statetest import parse_index, run_files

    if args.run is not None:
        try:
            re.compile(args.run)
        except re.error as e:
            raise UsageError(f"evm statetest: error: bad --run regular expression: {e}") from None
    if args.index is not None:
        try:
            parse_index(args.index)
        except ValueError as e:
            raise UsageError(f"evm statetest: error: {e}") from None

    paths = args.paths or _read_paths_from_stdin()
    files = list(iter_fixture_files(paths))
    fork = args.fork.fixture_name if args.fork is not None else None
    trace = sys.stderr if args.trace else None
    cluster = _cluster(args, "evm statetest")
    results = run_files(files, fork, args.run, args.index, jobs=args.jobs or 1, trace=trace, cluster=cluster,
                        dump=args.dump)
    try:
        return report_results(results, len(files), "evm statetest", sys.stdout, sys.stderr,
                              as_json=args.json or args.dump,
                              progress=False if args.trace else None)
    except (RuntimeError, OSError, ImportError) as e:  # no backend, no cluster, or no cyevm on its workers
        sys.stderr.write(f"evm statetest: error: --cluster {args.cluster}: {e}\n")
        return 2


# --- evm run ---------------------------------------------------------------
def _read_code(args: argparse.Namespace) -> bytes:
    if args.code is not None and args.codefile is not None:
        raise UsageError("evm run: error: give CODE or --codefile, not both")
    if args.code is not None:
        return _hex(args.code, "CODE")
    if args.codefile is not None and args.codefile != "-":
        try:
            with open(args.codefile, "r", encoding="ascii", errors="replace") as fh:
                text = fh.read()
        except OSError as e:
            raise UsageError(f"evm run: error: cannot read --codefile {args.codefile!r}: {e.strerror or e}") from None
        return _hex(text, f"--codefile {args.codefile}")
    if sys.stdin is None:
        raise UsageError("evm run: error: no CODE given and no stdin to read it from")
    return _hex(sys.stdin.read(), "code from stdin")


def _prestate(path: str) -> Any:
    """The State in a geth-style alloc (or genesis) JSON file."""
    from .statetest import FixtureError, build_state

    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except OSError as e:
        raise UsageError(f"evm run: error: --prestate: {e.strerror or e}: {path}") from None
    except ValueError as e:
        raise UsageError(f"evm run: error: --prestate: {path} is not JSON: {e}") from None
    alloc = doc.get("alloc", doc) if isinstance(doc, dict) else doc
    if isinstance(alloc, dict):
        # geth's alloc may leave out any field: fill in the empty account's
        empty = {"balance": "0x0", "nonce": "0x0", "code": "0x", "storage": {}}
        alloc = {a: ({**empty, **v} if isinstance(v, dict) else v) for a, v in alloc.items()}
    try:
        return build_state(alloc)
    except FixtureError as e:
        raise UsageError(f"evm run: error: --prestate: {e}") from None


def _address_arg(text: Optional[str], default: bytes, what: str) -> bytes:
    if text is None:
        return default
    raw = _hex(text, what)
    if len(raw) != 20:
        raise UsageError(f"evm run: error: {what} must be a 20-byte address, got {len(raw)} bytes")
    return raw


def _cmd_run(args: argparse.Namespace) -> int:
    from .executor import DEFAULT_CALLER, DEFAULT_CONTRACT

    state = _prestate(args.prestate) if args.prestate else None
    sender = _address_arg(args.sender, DEFAULT_CALLER, "--sender")
    receiver = _address_arg(args.receiver, DEFAULT_CONTRACT, "--receiver")
    if state is not None and args.code is None and args.codefile is None:
        acct = state.get_account(receiver)
        if acct is None or not acct.code:
            raise UsageError("evm run: error: no CODE given and the --receiver has no code in --prestate")
        code = bytes(acct.code)
    else:
        code = _read_code(args)
    data = _hex(args.input, "--input")
    try:
        from .executor import execute_code
    except ImportError as e:
        sys.stderr.write(f"evm run: error: executor not available: {e}\n")
        return 1
    tracer = None
    if args.trace:
        from .tracing import EIP3155Tracer

        tracer = EIP3155Tracer(sys.stderr, fork=args.fork)
    try:
        res = execute_code(code, input=data, gas=args.gas, value=args.value, fork=args.fork,
                           create=args.create, tracer=tracer, state=state, caller=sender,
                           address=receiver)
    except (ValueError, TypeError, OverflowError) as e:
        raise UsageError(f"evm run: error: {e}") from None
    if tracer is not None:
        tracer.flush()
    gas_used = res.gas_used
    output = bytes(res.output)
    if args.json:
        obj = {"output": "0x" + output.hex(), "gasUsed": hex(gas_used), "error": res.error}
        if res.contract_address is not None:
            obj["contractAddress"] = "0x" + bytes(res.contract_address).hex()
        sys.stdout.write(json.dumps(obj) + "\n")
    else:
        lines = ["0x" + output.hex(), f"gas used: {gas_used}"]
        if res.contract_address is not None:
            lines.append("contract address: 0x" + bytes(res.contract_address).hex())
        if res.error:
            lines.append(f"error: {res.error}")
        sys.stdout.write("\n".join(lines) + "\n")
    if args.dump:
        from .tools.t8n import state_to_alloc

        sys.stdout.write(json.dumps(state_to_alloc(res.state), indent=2) + "\n")
    return 0


# --- evm bench -------------------------------------------------------------
def _cmd_bench(args: argparse.Namespace) -> int:
    from .bench import BenchError, run_command

    try:
        return run_command(args, sys.stdout, sys.stderr)
    except BenchError as e:
        raise UsageError(f"evm bench: error: {e}") from None
    except KeyboardInterrupt:
        sys.stderr.write("\nevm bench: interrupted\n")
        return 130


def _cmd_profile(args: argparse.Namespace) -> int:
    from .profile.command import ProfileError, run_command

    try:
        return run_command(args, sys.stdout, sys.stderr)
    except ProfileError as e:
        raise UsageError(f"evm profile: error: {e}") from None
    except KeyboardInterrupt:
        sys.stderr.write("\nevm profile: interrupted\n")
        return 130


# --- Entry point -----------------------------------------------------------
#: Subcommand name -> handler (parsed arguments -> exit status); the parsers are in build_parser.
def _cmd_blocktest(args: argparse.Namespace) -> int:
    from .tools.blocktest import main as blocktest_main

    return blocktest_main(args, sys.stdout, sys.stderr)


def _cmd_t8n(args: argparse.Namespace) -> int:
    from .tools.t8n import main as t8n_main

    return t8n_main(args, sys.stdin, sys.stdout, sys.stderr)


def _cmd_fuzz(args: argparse.Namespace) -> int:
    from .fuzz.runner import run_command

    return run_command(args)


_COMMANDS = {
    "statetest": _cmd_statetest,
    "run": _cmd_run,
    "bench": _cmd_bench,
    "blocktest": _cmd_blocktest,
    "t8n": _cmd_t8n,
    "profile": _cmd_profile,
    "fuzz": _cmd_fuzz,
}


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the ``evm`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status."""
    try:
        parser = build_parser()
        try:
            args = parser.parse_args(list(argv) if argv is not None else None)
        except SystemExit as e:  # --help / --version
            return int(e.code or 0) if not isinstance(e.code, str) else 2
        command = _COMMANDS.get(args.command)
        if command is None:
            parser.print_help(sys.stderr)
            return 2
        return command(args)
    except UsageError as e:
        sys.stderr.write(f"{e}\n")
        return 2
    except KeyboardInterrupt:
        # Ctrl-C: the core stops within milliseconds; exit as shells expect
        sys.stderr.write("\nevm: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
