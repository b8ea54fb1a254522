"""``evm bench --compare evmone``: execution only, side by side with evmone.

evmone's benchmark binary (``evmone-bench-london``, built by
``../shared/peers/evmone/build.sh``) times each state-test file of a
benchmark folder as *execution only*: the code of the transaction's ``to``
account run with each calldata input of the file, as a depth-0 message
with 2**63-1 gas, on a mocked host, London rules, code analysis done once.
This mode measures cyevm the same way:

- **exec**: :meth:`evm._core.VM.bench_execute` runs the same code and
  calldata as a depth-0 message under London, timed in C around each run
  (the run's changes undone after it), the code analysis cached — no Python
  in the timed region;
- **from Python**: :func:`evm.execute_code` on the same code and calldata,
  timed from Python: the execution plus the per-call floor a Python caller
  pays.

The two sides alternate over ``rounds`` rounds (evmone on the whole folder,
then cyevm on every case), so a slow spell of a shared machine falls on
both; in each round a side's time is the mean over runs lasting at least
``min_time`` (google-benchmark's own loop for evmone, a batch for cyevm),
and the median over the rounds is reported. The case names are evmone's:
the file's path under the folder given, then the input's label.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import statistics
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from ..executor import _make_vm, execute_code
from ..env import BlockEnv
from ..forks import Fork
from ..state import Account, State, to_address
from .cases import BenchError

__all__ = ["ExecCase", "ExecRow", "find_evmone_bench", "load_exec_cases", "run_evmone", "measure_cyevm",
           "compare_with_evmone", "format_evmone_table", "run_evmone_command"]

EVMONE_BINARY = "evmone-bench-london"
FORK = Fork.LONDON  # evmone-bench-london's rules
GAS = (1 << 63) - 1  # evmone-bench's message gas
_CALLER = to_address(0xCA11E2)


@dataclass
class ExecCase:
    """One (file, calldata input): the code of the file's ``to`` account."""

    name: str
    code: bytes
    data: bytes
    to: bytes


@dataclass
class ExecRow:
    """One case measured: times in seconds (``None``: not measured)."""

    name: str
    gas_used: Optional[int] = None
    evmone_s: Optional[float] = None
    exec_s: Optional[float] = None
    python_s: Optional[float] = None
    error: Optional[str] = None
    notes: List[str] = field(default_factory=list)

    @property
    def exec_ratio(self) -> Optional[float]:
        """cyevm's execution-only time over evmone's."""
        return self.exec_s / self.evmone_s if self.exec_s and self.evmone_s else None

    @property
    def python_ratio(self) -> Optional[float]:
        """cyevm's time from Python (``execute_code``) over evmone's."""
        return self.python_s / self.evmone_s if self.python_s and self.evmone_s else None


def find_evmone_bench(path: Optional[str] = None) -> str:
    """The evmone benchmark binary: ``path``, else ``evmone-bench-london`` on
    PATH, else where ``../shared/peers/evmone/build.sh`` puts it."""
    candidates = [path] if path else [shutil.which(EVMONE_BINARY),
                                      os.path.expanduser(f"~/.cache/evmone/build/bin/{EVMONE_BINARY}")]
    for c in candidates:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    where = f"--evmone {path}: not an executable file" if path else f"{EVMONE_BINARY} is not on PATH"
    raise BenchError(f"{where}; build evmone with ../shared/peers/evmone/build.sh (about 4 minutes), "
                     f"then pass --evmone ~/.cache/evmone/build/bin/{EVMONE_BINARY} or put it on PATH")


def _hex(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s[:2] in ("0x", "0X") else s)


def load_exec_cases(folder: str) -> List[ExecCase]:
    """Every (file, input) of the state-test benchmark files under ``folder``,
    named as evmone-bench names them."""
    root = Path(folder)
    if not root.is_dir():
        raise BenchError(f"{folder}: evmone-bench takes a folder of state-test files")
    cases: List[ExecCase] = []
    for path in sorted(root.rglob("*.json")):
        try:
            test = next(iter(json.loads(path.read_text()).values()))
            tx = test["transaction"]
            to = to_address(tx["to"])
            code = _hex(test["pre"][next(a for a in test["pre"] if to_address(a) == to)]["code"])
            labels = (test.get("_info") or {}).get("labels") or {}
            inputs = [_hex(d) for d in tx["data"]]
        except (OSError, ValueError, KeyError, StopIteration, AttributeError, TypeError) as e:
            raise BenchError(f"{path}: not a benchmark state test ({type(e).__name__}: {e})") from None
        stem = path.relative_to(root).with_suffix("").as_posix()
        for i, data in enumerate(inputs):
            label = labels.get(str(i), "")
            cases.append(ExecCase(stem + (f"/{label}" if label else ""), code, data, to))
    return cases


def run_evmone(binary: str, folder: str, rounds: int, min_time: float) -> Dict[str, float]:
    """evmone baseline's time per case (seconds, the median of ``rounds``
    repetitions' means), by case name."""
    cmd = [binary, folder, "--benchmark_filter=^baseline/execute/", "--benchmark_format=json",
           f"--benchmark_repetitions={rounds}", "--benchmark_report_aggregates_only=true",
           f"--benchmark_min_time={min_time}s"]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        detail = getattr(e, "stderr", "") or str(e)
        raise BenchError(f"{binary} failed: {detail.strip()[-500:]}") from None
    times: Dict[str, float] = {}
    for b in json.loads(out).get("benchmarks", []):
        # with repetitions, their median; with one, the run itself
        if (b.get("aggregate_name") != "median") if rounds > 1 else (b.get("run_type") == "aggregate"):
            continue
        name = (b.get("run_name") or b["name"])[len("baseline/execute/"):]
        unit = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b.get("time_unit", "ns")]
        times[name] = b["real_time"] * unit
    return times


class _CyevmTimer:
    """cyevm's two measurements of one case, one round at a time: the batch
    size is set by a calibration run so a batch lasts about ``min_time``."""

    def __init__(self, case: ExecCase, min_time: float) -> None:
        self.case = case
        self.vm = _make_vm(State({case.to: Account(code=case.code)}), BlockEnv(), FORK, None, None)
        times, self.gas_used, self.error = self.vm.bench_execute(_CALLER, case.to, case.data, GAS, 1)
        self.n_exec = max(1, min(1_000_000, int(min_time / max(times[0], 1e-7))))
        self.n_python = max(1, min(1_000_000, int(min_time / max(min(self._python(1)), 1e-7))))

    def _python(self, n: int) -> List[float]:
        c, out = self.case, []
        for _ in range(n):
            t = time.perf_counter()
            execute_code(c.code, input=c.data, gas=GAS, fork=FORK)
            out.append(time.perf_counter() - t)
        return out

    def round(self) -> Tuple[float, float]:
        """One round: the mean time of a batch in the core, and from Python."""
        c = self.case
        in_core = statistics.fmean(self.vm.bench_execute(_CALLER, c.to, c.data, GAS, self.n_exec)[0])
        return in_core, statistics.fmean(self._python(self.n_python))


def measure_cyevm(case: ExecCase, rounds: int, min_time: float) -> ExecRow:
    """Both cyevm measurements of ``case`` (see the module docstring), the
    median of ``rounds`` rounds each."""
    timer = _CyevmTimer(case, min_time)
    results = [timer.round() for _ in range(rounds)]
    return _row(timer, results)


def _row(timer: _CyevmTimer, results: List[Tuple[float, float]]) -> ExecRow:
    row = ExecRow(timer.case.name, gas_used=timer.gas_used)
    if timer.error is not None and timer.error != "Revert":
        row.notes.append(f"cyevm: {timer.error}")
    row.exec_s = statistics.median(r[0] for r in results)
    row.python_s = statistics.median(r[1] for r in results)
    return row


def compare_with_evmone(folders: Sequence[str], binary: str, rounds: int = 3, min_time: float = 0.2,
                        run: Optional[str] = None, progress: Optional[Callable[[str], None]] = None
                        ) -> List[ExecRow]:
    """Measure every case of ``folders`` on evmone and on cyevm, in
    ``rounds`` alternating rounds (evmone's whole folder, then cyevm's), so
    a slow spell of this shared machine falls on both sides."""
    import re

    rows: List[ExecRow] = []
    for folder in folders:
        cases = [c for c in load_exec_cases(folder) if not run or re.search(run, c.name)]
        if not cases:
            continue
        timers = [_CyevmTimer(c, min_time) for c in cases]
        evmone: Dict[str, List[float]] = {}
        ours: List[List[Tuple[float, float]]] = [[] for _ in cases]
        for k in range(rounds):
            if progress:
                progress(f"round {k + 1}/{rounds}: evmone on {folder}")
            for name, t in run_evmone(binary, folder, 1, min_time).items():
                evmone.setdefault(name, []).append(t)
            for timer, out in zip(timers, ours):
                if progress:
                    progress(f"round {k + 1}/{rounds}: cyevm {timer.case.name}")
                out.append(timer.round())
        for timer, out in zip(timers, ours):
            row = _row(timer, out)
            times = evmone.get(timer.case.name)
            row.evmone_s = statistics.median(times) if times else None
            if row.evmone_s is None:
                row.notes.append("evmone reported no time for this case")
            rows.append(row)
    return rows


def _geomean(values: List[float]) -> Optional[float]:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else None


def _us(s: Optional[float]) -> str:
    return "-" if s is None else f"{s * 1e6:,.1f}" if s < 1e-3 else f"{s * 1e6:,.0f}"


def format_evmone_table(rows: List[ExecRow], binary: str) -> str:
    """The text report: per case evmone's time, cyevm's execution-only time
    and time from Python, each ratio; geomeans; notes."""
    lines = [f"evm bench --compare evmone: execution only, London, {os.cpu_count()} CPUs; evmone = {binary}",
             "times in µs: median of rounds' means; exec = cyevm timed in C inside the core; "
             "python = execute_code from Python (with the call floor); ratio = cyevm / evmone", ""]
    head = f"{'case':<40} {'gas':>12} {'evmone':>10} {'exec':>10} {'ratio':>6} {'python':>10} {'ratio':>6}"
    lines += [head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r.name:<40} {r.gas_used or 0:>12,} {_us(r.evmone_s):>10} {_us(r.exec_s):>10} "
                     f"{(f'{r.exec_ratio:.2f}' if r.exec_ratio else '-'):>6} {_us(r.python_s):>10} "
                     f"{(f'{r.python_ratio:.2f}' if r.python_ratio else '-'):>6}")
    lines.append("-" * len(head))
    g_exec = _geomean([r.exec_ratio for r in rows if r.exec_ratio])
    g_py = _geomean([r.python_ratio for r in rows if r.python_ratio])
    heavy = [r for r in rows if r.evmone_s and r.evmone_s >= 20e-6 and r.python_ratio]
    g_heavy = _geomean([r.python_ratio for r in heavy])
    lines.append(f"{'geomean':<40} {'':>12} {'':>10} {'':>10} {(f'{g_exec:.2f}' if g_exec else '-'):>6} "
                 f"{'':>10} {(f'{g_py:.2f}' if g_py else '-'):>6}")
    if g_heavy:
        lines.append(f"from Python, cases where evmone takes >= 20 µs ({len(heavy)}): geomean {g_heavy:.2f}, "
                     f"worst {max(r.python_ratio for r in heavy):.2f}")
    for r in rows:
        lines.extend(f"! {r.name}: {n}" for n in r.notes)
    return "\n".join(lines) + "\n"


def run_evmone_command(args: Any, stdout: TextIO, stderr: TextIO) -> int:
    """``evm bench --compare evmone PATH...``: measure and print (``--json``: one object)."""
    if not args.paths:
        raise BenchError("--compare evmone needs benchmark folders, e.g. ../shared/bench/evm-benchmarks")
    binary = find_evmone_bench(getattr(args, "evmone", None))
    tty = bool(getattr(stderr, "isatty", lambda: False)())

    def progress(msg: str) -> None:
        if tty:
            stderr.write(f"\r\x1b[K{msg}")
            stderr.flush()

    rows = compare_with_evmone(args.paths, binary, rounds=max(1, min(args.repeat, 5)),
                               min_time=args.min_time, run=args.run, progress=progress)
    progress("")
    if not rows:
        raise BenchError("no case to run (check the paths and --run)")
    if args.json:
        stdout.write(json.dumps({"evmone": binary, "fork": FORK.fixture_name,
                                 "rows": [asdict(r) | {"exec_ratio": r.exec_ratio, "python_ratio": r.python_ratio}
                                          for r in rows]}, indent=2) + "\n")
    else:
        stdout.write(format_evmone_table(rows, binary))
    return 0
