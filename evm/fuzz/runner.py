"""The fuzzing loop and the ``evm fuzz`` / ``python -m evm.fuzz`` command.

Case ``i`` of a run with seed ``S`` is :func:`~evm.fuzz.generator.generate_case`
of ``case_seed(S, i)`` over the run's forks, so any case is reproduced with
``--case-seed N`` and the same ``--fork``. Each case runs on cyevm and on
the oracle; a divergence is minimised against the execution specs and written
to ``--out`` as a state test whose expected ``hash``/``logs`` are the spec's.
"""
from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, TextIO, Tuple

from ..forks import Fork, fork_from_name
from .compare import describe, differences
from .generator import Case, generate_case
from .minimise import minimise
from .oracles import CyevmOracle, EvmoneOracle, Outcome, SpecOracle, spec_available
from .writer import write_case

__all__ = ["Finding", "FuzzStats", "case_seed", "check_case", "fuzz", "fork_list",
           "add_arguments", "run_command", "main"]


def case_seed(seed: int, i: int) -> int:
    """The generator seed of case ``i`` of a run seeded with ``seed``."""
    return (seed << 32) | i


def fork_list(text: Optional[str], default: Sequence[Fork] = tuple(Fork),
              allowed: Optional[Sequence[Fork]] = None) -> List[Fork]:
    """Forks from ``"Frontier..Osaka"``, ``"Cancun"`` or ``"Berlin,London"``.

    ``None`` means ``default``; forks outside ``allowed`` (default: ``default``)
    are dropped from a range and are a ``ValueError`` when named alone.
    """
    if not text:
        return list(default)
    allowed = default if allowed is None else allowed
    out: List[Fork] = []
    for part in text.split(","):
        part = part.strip()
        if ".." in part:
            lo, hi = (fork_from_name(x) for x in part.split("..", 1))
            out.extend(f for f in Fork if lo <= f <= hi and f in allowed)
        else:
            f = fork_from_name(part)
            if f not in allowed:
                raise ValueError(f"the oracle cannot run {f.fixture_name}")
            out.append(f)
    if not out:
        raise ValueError(f"no fork in {text!r}")
    return sorted(set(out))


@dataclass
class Finding:
    """One divergence: the original and the minimised case, and how they differ."""

    seed: Optional[int]
    fork: Fork
    fields: List[str]
    description: str
    case: Case
    minimised: Case
    spec: Optional[Outcome]  # the oracle's outcome of the minimised case
    path: Optional[str] = None


@dataclass
class FuzzStats:
    """Counts of a run."""

    programs: Counter = field(default_factory=Counter)  # per fork name
    divergences: Counter = field(default_factory=Counter)  # per fork name
    oracle_errors: int = 0
    oracle_disagreements: List[str] = field(default_factory=list)  # evmone vs the spec, cyevm agreeing
    findings: List[Finding] = field(default_factory=list)
    seconds: float = 0.0

    def merge(self, other: "FuzzStats") -> None:
        self.programs.update(other.programs)
        self.divergences.update(other.divergences)
        self.oracle_errors += other.oracle_errors
        self.oracle_disagreements.extend(other.oracle_disagreements)
        self.findings.extend(other.findings)


class _Checker:
    """cyevm and the spec, with the comparison used by the loop and by the minimiser."""

    def __init__(self) -> None:
        self.cyevm = CyevmOracle()
        self.spec = SpecOracle()

    def run(self, case: Case) -> Tuple[Any, Outcome]:
        try:
            mine: Any = self.cyevm.run(case)
        except Exception as e:  # a Python-level fault in cyevm is a finding too
            mine = e
        return mine, self.spec.run(case)

    def diff(self, case: Case) -> Tuple[List[str], str, Outcome]:
        mine, spec = self.run(case)
        if isinstance(mine, Exception):
            return ["exception"], f"exception: cyevm raised {type(mine).__name__}: {mine}", spec
        return differences(mine, spec), describe(mine, spec), spec


def check_case(case: Case) -> Tuple[List[str], str]:
    """Run ``case`` on cyevm and the spec: the differing fields and a description."""
    fields, text, _ = _Checker().diff(case)
    return fields, text


def _minimise_and_write(checker: _Checker, case: Case, fields: List[str], text: str,
                        out: Optional[str], max_runs: int) -> Finding:
    def still(c: Case) -> bool:
        f, _, _ = checker.diff(c)
        return bool(f) and (("exception" in f) == ("exception" in fields))

    small = minimise(case, still, max_runs=max_runs)
    small_fields, small_text, spec = checker.diff(small)
    finding = Finding(case.seed, case.fork, small_fields or fields, small_text or text, case, small, spec)
    if out and spec is not None:
        finding.path = write_case(small, out, spec.state_root, spec.logs_hash,
                                  comment=f"{case.fork.fixture_name}: " + (small_text or text).replace("\n", "; "))
    return finding


def _progress(stats: FuzzStats, worker: int, verbose: bool, every: int = 5000) -> None:
    """A line on stderr every ``every`` programs of a worker (long runs show they are alive)."""
    n = sum(stats.programs.values())
    if verbose and n % every == 0:
        sys.stderr.write(f"[worker from case {worker}] {n} programs, {sum(stats.divergences.values())} diverging\n")
        sys.stderr.flush()


_Job = Tuple[str, int, int, int, Optional[int], Optional[float], List[int], Optional[str], int, int, bool]


def _run_slice(job: _Job) -> FuzzStats:
    """Cases start, start+step, ... of one run (a worker's share)."""
    oracle, seed, start, step, count, deadline, fork_ids, out, max_runs, max_findings, verbose = job
    forks = [Fork(f) for f in fork_ids]
    if oracle == "evmone":
        return _evmone_slice(seed, start, step, count, deadline, forks, out, max_runs, verbose)
    checker = _Checker()
    stats = FuzzStats()
    per_kind: Counter = Counter()
    i = start
    while True:
        if count is not None and i >= count:
            break
        if deadline is not None and time.time() >= deadline:
            break
        case = generate_case(case_seed(seed, i), forks)
        i += step
        try:
            fields, text, _ = checker.diff(case)
        except Exception as e:  # the oracle could not run the case: not a divergence
            stats.oracle_errors += 1
            if verbose:
                sys.stderr.write(f"oracle error on case seed {case.seed}: {type(e).__name__}: {e}\n")
            continue
        stats.programs[case.fork.fixture_name] += 1
        _progress(stats, start, verbose)
        if not fields:
            continue
        stats.divergences[case.fork.fixture_name] += 1
        kind = (case.fork, tuple(fields))
        per_kind[kind] += 1
        if per_kind[kind] > max_findings:
            continue  # the same kind of divergence again: counted, not minimised
        finding = _minimise_and_write(checker, case, fields, text, out, max_runs)
        stats.findings.append(finding)
        if verbose:
            sys.stderr.write(f"DIVERGENCE {case.fork.fixture_name} case seed {case.seed}: "
                             f"{', '.join(finding.fields)}" + (f" -> {finding.path}" if finding.path else "") + "\n")
    return stats


def fuzz(seed: int = 0, count: Optional[int] = None, seconds: Optional[float] = None,
         forks: Optional[Sequence[Fork]] = None, out: Optional[str] = None, jobs: int = 1,
         max_minimise_runs: int = 1500, max_findings: int = 3, verbose: bool = False,
         oracle: str = "spec", start: int = 0) -> FuzzStats:
    """Run ``count`` cases (or as many as fit in ``seconds``) on cyevm and ``oracle``.

    The cases are numbers ``start``, ``start + 1``, ... of the run ``seed``:
    a long run can be done in slices (``start=0, count=N``, then
    ``start=N``, ...) that together cover exactly the cases of one run.

    ``oracle`` is ``"spec"`` (the execution specs, in-process) or
    ``"evmone"`` (``evmone-statetest`` on batches; a disagreement is then
    confirmed and minimised against the specs when they are installed).
    Returns the counts and the findings (each minimised and, with ``out``,
    written as a state test). Raises ``RuntimeError`` if the oracle is missing.
    """
    if oracle == "spec":
        why = spec_available()
        if why:
            raise RuntimeError(why)
        default_forks = SpecOracle.forks
    elif oracle == "evmone":
        EvmoneOracle()  # raises RuntimeError when not built
        default_forks = EvmoneOracle.forks
    else:
        raise ValueError(f"unknown oracle {oracle!r} (spec or evmone)")
    if count is None and seconds is None:
        count = 1000
    forks = list(forks) if forks else list(default_forks)
    t0 = time.time()
    deadline = t0 + seconds if seconds is not None else None
    jobs = max(1, jobs)
    if start < 0:
        raise ValueError("start must be >= 0")
    end = start + count if count is not None else None
    slices: List[_Job] = [(oracle, seed, start + w, jobs, end, deadline, [int(f) for f in forks], out,
                           max_minimise_runs, max_findings, verbose) for w in range(jobs)]
    stats = FuzzStats()
    if jobs == 1:
        stats.merge(_run_slice(slices[0]))
    else:
        with ProcessPoolExecutor(jobs) as pool:
            for part in pool.map(_run_slice, slices):
                stats.merge(part)
    stats.seconds = time.time() - t0
    return stats


def _evmone_slice(seed: int, start: int, step: int, count: Optional[int], deadline: Optional[float],
                  forks: List[Fork], out: Optional[str], max_runs: int, verbose: bool,
                  batch: int = 500) -> FuzzStats:
    """A worker's share of an evmone run: cyevm's outcomes checked by evmone a batch at a time."""
    evmone = EvmoneOracle()
    cyevm = CyevmOracle()
    checker = _Checker() if spec_available() is None else None
    stats = FuzzStats()
    i = start
    while (count is None or i < count) and (deadline is None or time.time() < deadline):
        cases = []
        while len(cases) < batch and (count is None or i < count):
            cases.append(generate_case(case_seed(seed, i), forks))
            i += step
        outs: List[Outcome] = []
        kept: List[Case] = []
        for c in cases:
            try:
                outs.append(cyevm.run(c))
                kept.append(c)
            except Exception as e:
                stats.divergences[c.fork.fixture_name] += 1
                stats.findings.append(Finding(c.seed, c.fork, ["exception"], f"cyevm raised {e!r}", c, c, None))
        for c, verdict in zip(kept, evmone.check(kept, outs)):
            stats.programs[c.fork.fixture_name] += 1
            _progress(stats, start, verbose)
            if verdict is None:
                continue
            if verbose:
                sys.stderr.write(f"evmone disagrees on case seed {c.seed} ({c.fork.fixture_name}): {verdict}\n")
            if checker is not None:
                fields, text, _ = checker.diff(c)
                if fields:  # cyevm differs from the spec too
                    stats.divergences[c.fork.fixture_name] += 1
                    stats.findings.append(_minimise_and_write(checker, c, fields, text, out, max_runs))
                else:  # cyevm and the spec agree: evmone's own difference
                    stats.oracle_disagreements.append(f"{c.fork.fixture_name} (case seed {c.seed}): {verdict}")
            else:
                stats.divergences[c.fork.fixture_name] += 1
                stats.findings.append(Finding(c.seed, c.fork, ["evmone"], verdict, c, c, None))
    return stats


# --- Command line --------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``evm fuzz`` (shared by ``python -m evm.fuzz``)."""
    p.add_argument("--seed", type=int, default=None, help="run seed (default: random, printed)")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--count", type=int, metavar="N", help="run N programs (default 1000)")
    budget.add_argument("--seconds", type=float, metavar="S", help="run for S seconds")
    p.add_argument("--start", type=int, default=0, metavar="N",
                   help="begin at case N of the run (with --count: cases N..N+count-1; "
                        "slices of one long run)")
    p.add_argument("--case-seed", type=int, metavar="N", help="run (and minimise) the one case of this seed")
    p.add_argument("--fork", metavar="FORKS",
                   help="forks, e.g. Frontier..Osaka (default: every fork the oracle has), Cancun, Berlin,London")
    p.add_argument("--out", metavar="DIR", default="fuzz-out",
                   help="write minimised diverging cases here as state tests (default fuzz-out)")
    p.add_argument("--oracle", choices=("spec", "evmone"), default="spec",
                   help="compare with the execution specs (default) or evmone-statetest")
    p.add_argument("-j", "--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--max-findings", type=int, default=3, metavar="N",
                   help="minimise at most N divergences of each kind (fork, fields) per worker (default 3)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only the summary")


def _summary(stats: FuzzStats, oracle: str, seed: int, stream: TextIO, start: int = 0) -> None:
    total = sum(stats.programs.values())
    rate = total / stats.seconds if stats.seconds else 0.0
    stream.write(f"{total} programs against {oracle} in {stats.seconds:.1f}s ({rate:.0f}/s), seed {seed}"
                 + (f", cases from {start}" if start else "") + "\n")
    order = {f.fixture_name: int(f) for f in Fork}
    for name in sorted(stats.programs, key=lambda n: order.get(n, 99)):
        d = stats.divergences.get(name, 0)
        stream.write(f"  {name:18} {stats.programs[name]:8d}" + (f"  {d} diverging" if d else "") + "\n")
    if stats.oracle_errors:
        stream.write(f"  {stats.oracle_errors} cases the oracle could not run (not counted)\n")
    for line in stats.oracle_disagreements:
        stream.write(f"evmone differs from the spec (cyevm agrees with the spec): {line[:300]}\n")
    for f in stats.findings:
        stream.write(f"DIVERGENCE {f.fork.fixture_name} (case seed {f.seed}): {', '.join(f.fields)}\n")
        for line in f.description.splitlines():
            stream.write(f"    {line}\n")
        if f.path:
            stream.write(f"    minimised: {f.path}\n")
    total_div = sum(stats.divergences.values())
    stream.write(f"{total_div} diverging, {len(stats.findings)} minimised\n" if total_div or stats.findings
                 else "no divergence\n")


def run_command(args: argparse.Namespace, out: Optional[TextIO] = None, err: Optional[TextIO] = None) -> int:
    """Run ``evm fuzz`` with parsed ``args``; 0 = no divergence, 1 = divergences, 2 = usage error."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if args.jobs < 1:
            raise ValueError("-j must be at least 1")
        if args.count is not None and args.count < 0:
            raise ValueError("--count must be >= 0")
        if args.start < 0:
            raise ValueError("--start must be >= 0")
        if args.oracle == "spec":
            forks = fork_list(args.fork, SpecOracle.forks)
        else:
            forks = fork_list(args.fork, EvmoneOracle.forks, tuple(Fork))
    except ValueError as e:
        err.write(f"evm fuzz: error: {e}\n")
        return 2
    if args.oracle == "spec" or args.case_seed is not None:
        why = spec_available()
        if why:
            err.write(f"evm fuzz: error: {why}\n")
            return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    try:
        if args.case_seed is not None:
            case = generate_case(args.case_seed, forks)
            checker = _Checker()
            fields, text, _ = checker.diff(case)
            stats = FuzzStats()
            stats.programs[case.fork.fixture_name] += 1
            if fields:
                stats.divergences[case.fork.fixture_name] += 1
                stats.findings.append(_minimise_and_write(checker, case, fields, text, args.out, 1500))
        else:
            stats = fuzz(seed, args.count, args.seconds, forks, args.out, args.jobs,
                         max_findings=args.max_findings, verbose=not args.quiet, oracle=args.oracle,
                         start=args.start)
    except RuntimeError as e:
        err.write(f"evm fuzz: error: {e}\n")
        return 2
    except KeyboardInterrupt:
        err.write("\nevm fuzz: interrupted\n")
        return 130
    _summary(stats, args.oracle, seed, out, 0 if args.case_seed is not None else args.start)
    return 1 if stats.findings or sum(stats.divergences.values()) else 0


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m evm.fuzz``: the same as ``evm fuzz``."""
    parser = argparse.ArgumentParser(prog="python -m evm.fuzz",
                                     description="Differential fuzzing of cyevm against the execution specs.")
    add_arguments(parser)
    return run_command(parser.parse_args(argv))
