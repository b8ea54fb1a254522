"""``evm profile``: per-opcode counts, times and cost fits (parser and driver)."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence, TextIO, Tuple

__all__ = ["add_profile_parser", "run_command", "ProfileError"]

DESCRIPTION = """\
Profile opcode costs: exact per-opcode counts of a run (the core's counting
build of the loop), their time, and a fit of time on counts.

WHAT TO PROFILE (one of)
  CODE                      bytecode as hex (or --code HEX): run as `evm run` does
  PATH ...                  state-test files or folders (filters: --run, --fork, --index)
  --generate (the default)  built-in programs varying the count of every opcode of --fork
  --programs FILE           Imapp pg_marginal.csv programs (program_id,opcode,op_count,bytecode)

METHODS (--method)
  marginal (default)  time whole runs of the generated programs (many rounds,
                      interleaved; the minimum is kept; --clock cpu|wall), fit time on the exact
                      counts (NNLS by default, --fit ols): ns per opcode with a
                      standard error and R^2. For CODE/PATH the fitted costs
                      (from --model FILE, fitted and saved there if missing)
                      give each opcode's share of the run.
  sampled             run CODE/PATH in the traced loop reading the clock at every
                      instruction; the tracer's own overhead (measured on a run of
                      JUMPDESTs) is subtracted. Mean/p50/p90/p99 per opcode;
                      DISTORTED for cheap opcodes (overhead >> the instruction).
  count               counts and gas only (needs neither numpy nor scipy)

TABLE: opcode, name, count, gas (static + dynamic charged), ns total, ns per
op, gas per us, share of run time.

OUTPUTS
  --csv FILE             the table (opcode,name,count,gas,ns_total,ns_per_op,gas_per_us,share)
  --histogram FILE       evmone-compatible opcode,count
  --imapp-programs FILE  the programs as Imapp pg_marginal.csv
  --imapp-results FILE   Imapp results: program_id,sample_id,total_time_ns
  --gasfit DIR           evm-gasfit runtime.csv + opcounts.json (times each case/program)
  --plot FILE.png|.svg   ns per opcode beside its gas; gas vs ns with 60/100 Mgas/s lines
  --check                for PATH: time every case too, print predicted vs measured

Fitting needs pip install 'cyevm[profile]' (numpy, scipy); --plot needs 'cyevm[plot]'.
"""


class ProfileError(ValueError):
    """A bad ``evm profile`` request: one line, exit status 2."""


def add_profile_parser(sub: Any) -> None:
    """Add ``evm profile`` to the ``evm`` subcommand parsers."""
    p = sub.add_parser("profile", help="per-opcode counts, times and marginal-cost fits",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", nargs="*", metavar="CODE|PATH", help="bytecode (hex) or state-test files/folders")
    p.add_argument("--code", help="bytecode to profile (hex)")
    p.add_argument("--input", default="", help="calldata for --code (hex)")
    p.add_argument("--gas", type=int, default=10_000_000, help="gas for --code (default 10000000)")
    p.add_argument("--generate", action="store_true", help="profile the built-in programs (default with no target)")
    p.add_argument("--programs", metavar="FILE", help="Imapp pg_marginal.csv programs to time and fit")
    p.add_argument("--fork", help="fork (default: Cancun for code/programs; every fork of a state test)")
    p.add_argument("--run", metavar="REGEX", help="only state tests whose name matches")
    p.add_argument("--index", metavar="D:G:V", help="only post entries with these indexes (* for any)")
    p.add_argument("--method", choices=("marginal", "sampled", "count"), default="marginal")
    p.add_argument("--fit", choices=("nnls", "ols"), default="nnls", help="least squares method (default nnls)")
    p.add_argument("--rounds", type=int, default=20, help="timed runs per program or case (default 20)")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu",
                   help="time whole runs by the thread's CPU time (default: a shared machine's "
                        "preemptions are not charged) or by wall time")
    p.add_argument("--model", metavar="FILE.json",
                   help="fitted costs: read if present, else fitted on the generator and written")
    p.add_argument("--check", action="store_true", help="also time each state-test case: predicted vs measured")
    p.add_argument("--top", type=int, default=0, help="print only the N rows with the most time (or count)")
    p.add_argument("--csv", metavar="FILE")
    p.add_argument("--histogram", metavar="FILE")
    p.add_argument("--imapp-programs", metavar="FILE")
    p.add_argument("--imapp-results", metavar="FILE")
    p.add_argument("--gasfit", metavar="DIR")
    p.add_argument("--plot", metavar="FILE")


# -- progress --------------------------------------------------------------------
class Progress:
    """A one-line progress bar on ``stream`` when it is a terminal."""

    def __init__(self, stream: TextIO, what: str) -> None:
        self.stream, self.what = stream, what
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, i: int, n: int) -> None:
        if not self.enabled or n <= 0:
            return
        if i >= n:
            self.stream.write("\r\x1b[K")
        else:
            filled = int(30 * i / n)
            self.stream.write(f"\r\x1b[K{self.what} [{'#' * filled}{'.' * (30 - filled)}] {i}/{n}")
        self.stream.flush()


# -- the table -------------------------------------------------------------------
def summary_rows(n: Mapping[int, int], gas: Mapping[int, int], ns_total: Optional[Mapping[int, float]]) -> List[Dict[str, Any]]:
    """Rows of the summary table (sorted by time, else by count)."""
    from ..opcodes import op_name

    total_ns = sum(ns_total.values()) if ns_total else 0.0
    rows = []
    for op, cnt in n.items():
        t = ns_total.get(op) if ns_total is not None else None
        rows.append({
            "opcode": op, "name": op_name(op), "count": cnt, "gas": gas.get(op, 0),
            "ns_total": t, "ns_per_op": (t / cnt) if t is not None and cnt else None,
            "gas_per_us": (gas.get(op, 0) / (t / 1000.0)) if t else None,
            "share": (t / total_ns) if t is not None and total_ns > 0 else None,
        })
    rows.sort(key=lambda r: (-(r["ns_total"] or 0.0), -r["count"], r["opcode"]))
    return rows


def format_table(rows: Sequence[Mapping[str, Any]], top: int = 0, extra: Optional[Dict[int, str]] = None) -> str:
    """The summary rows as aligned text."""
    def f(v: Any, fmt: str) -> str:
        width = int(fmt.split(".")[0])
        return "-".rjust(width) if v is None else format(v, fmt)
    lines = [f"{'opcode':>6} {'name':<14} {'count':>12} {'gas':>14} {'ns total':>14} {'ns/op':>10} "
             f"{'gas/us':>10} {'share':>7}"]
    shown = rows[:top] if top else rows
    for r in shown:
        line = (f"  0x{r['opcode']:02x} {r['name']:<14} {r['count']:>12} {r['gas']:>14} {f(r['ns_total'], '14.0f')} "
                f"{f(r['ns_per_op'], '10.2f')} {f(r['gas_per_us'], '10.1f')} "
                f"{'-'.rjust(7) if r['share'] is None else format(100 * r['share'], '6.2f') + '%'}")
        if extra and r["opcode"] in extra:
            line += "  " + extra[r["opcode"]]
        lines.append(line)
    if top and len(rows) > top:
        lines.append(f"  ... {len(rows) - top} more")
    return "\n".join(lines) + "\n"


# -- the model (fitted costs) ------------------------------------------------------
def _fit_generated(args: Any, fork: Any, stderr: TextIO, programs: Optional[list] = None) -> Tuple[Any, list, list, list]:
    """Generate (or take) programs, count and time them, fit. Returns (fit, programs, features, times)."""
    from ..opcodes import OPCODES
    from .counting import count_transaction
    from .fit import features, fit_costs
    from .generator import generate
    from .timing import program_case, time_cases

    if programs is None:
        programs = generate(fork)
    cases = [program_case(p, fork) for p in programs]
    feats = [features(count_transaction(c.state, c.env, c.tx, c.fork)) for c in cases]
    stderr.write(f"timing {len(programs)} programs x {args.rounds} rounds ...\n")
    times = time_cases(cases, args.rounds, Progress(stderr, "timing"), args.clock)
    fit = fit_costs(feats, [t.best for t in times], args.fit)
    return fit, programs, feats, times


def _fit_to_json(fit: Any, fork: Any) -> Dict[str, Any]:
    from .fit import feature_name
    return {"fork": fork.name, "method": fit.method, "r2": fit.r2, "rows": fit.rows,
            "intercept_ns": fit.intercept, "intercept_se": fit.intercept_se,
            "ns": {feature_name(k): [v, fit.se[k]] for k, v in sorted(fit.ns.items())}}


def _fit_from_json(d: Dict[str, Any], path: str) -> Any:
    from .fit import DYN, Fit
    from .formats import opcode_from_name

    try:
        ns, se = {}, {}
        for name, (v, e) in d["ns"].items():
            key = opcode_from_name(name[:-4]) + DYN if name.endswith("/gas") else opcode_from_name(name)
            ns[key], se[key] = float(v), float(e)
        return Fit(ns, se, float(d["intercept_ns"]), float(d.get("intercept_se", 0.0)), float(d["r2"]),
                   str(d["method"]), int(d["rows"]))
    except (KeyError, TypeError, ValueError) as e:
        raise ProfileError(f"--model {path}: not a model file written by evm profile ({e})") from None


def _load_model(args: Any, fork: Any, stderr: TextIO) -> Any:
    if args.model and os.path.exists(args.model):
        try:
            with open(args.model) as fh:
                return _fit_from_json(json.load(fh), args.model)
        except (OSError, json.JSONDecodeError) as e:
            raise ProfileError(f"--model {args.model}: {e}") from None
    fit = _fit_generated(args, fork, stderr)[0]
    if args.model:
        with open(args.model, "w") as fh:
            json.dump(_fit_to_json(fit, fork), fh, indent=1)
            fh.write("\n")
        stderr.write(f"model written to {args.model}\n")
    return fit


def _times_from_fit(fit: Any, counts: Any) -> Dict[int, float]:
    """Per opcode, the time the fitted costs give a run with ``counts``."""
    from .fit import DYN

    out = {}
    for op, n in counts.n.items():
        out[op] = n * fit.ns.get(op, 0.0) + counts.dynamic_gas.get(op, 0) * fit.ns.get(DYN + op, 0.0)
    return out


# -- the command -------------------------------------------------------------------
def _parse_hex(text: str, what: str) -> bytes:
    t = text.strip()
    try:
        return bytes.fromhex(t[2:] if t[:2] in ("0x", "0X") else t)
    except ValueError:
        raise ProfileError(f"{what}: not hex: {t[:40]!r}") from None


def _looks_like_code(t: str) -> bool:
    s = t[2:] if t[:2] in ("0x", "0X") else t
    return not os.path.exists(t) and len(s) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in s)


def run_command(args: Any, stdout: TextIO, stderr: TextIO) -> int:
    """Carry out ``evm profile`` from parsed arguments; return the exit status."""
    from ..forks import Fork, fork_from_name
    from .counting import OpCounts, count, count_transaction, iter_state_test_cases
    from .fit import features

    if args.rounds < 1:
        raise ProfileError("--rounds must be at least 1")
    code: Optional[bytes] = _parse_hex(args.code, "--code") if args.code else None
    paths: List[str] = []
    for t in args.targets:
        if _looks_like_code(t) and code is None:
            code = _parse_hex(t, "CODE")
        elif os.path.exists(t):
            paths.append(t)
        else:
            raise ProfileError(f"{t}: no such file or folder (and not hex bytecode)")
    generated = args.generate or args.programs or (code is None and not paths)
    if sum(map(bool, (code is not None, paths, generated))) > 1:
        raise ProfileError("profile one of: CODE, state-test PATHs, or the programs (--generate/--programs)")
    try:
        fork = fork_from_name(args.fork) if args.fork else Fork.CANCUN
    except ValueError as e:
        raise ProfileError(f"--fork: {e}") from None
    if args.plot and not args.plot.lower().endswith((".png", ".svg")):
        raise ProfileError(f"--plot: {args.plot!r} must end in .png or .svg")
    if args.check and not paths:
        raise ProfileError("--check predicts state-test cases: give a PATH")
    if generated and args.method == "sampled":
        raise ProfileError("--method sampled times CODE or PATH runs, not the generated programs")

    names: List[str] = []                 # per run (case/program): name, features, timed samples
    run_feats: List[Dict[int, int]] = []
    run_times: List[Any] = []
    total = OpCounts()
    extra: Dict[int, str] = {}
    fit = None
    notes: List[str] = []

    if generated:
        programs = None
        if args.programs:
            from .formats import read_pg_marginal
            try:
                programs = read_pg_marginal(args.programs)
            except OSError as e:
                raise ProfileError(f"--programs: {e}") from None
            except ValueError as e:
                raise ProfileError(str(e)) from None
        if args.method == "count":
            from .generator import generate
            from .timing import program_case
            programs = programs if programs is not None else generate(fork)
            for p in programs:
                c = program_case(p, fork)
                cnt = count_transaction(c.state, c.env, c.tx, c.fork)
                total.add(cnt)
                names.append(p.program_id)
                run_feats.append(features(cnt))
        else:
            fit, programs, run_feats, run_times = _fit_generated(args, fork, stderr, programs)
            names = [p.program_id for p in programs]
            from .fit import DYN
            for op, v in fit.ns.items():  # the fit's standard errors beside the table
                if op < DYN:
                    extra[op] = f"fit {v:.2f}\u00b1{fit.se[op]:.2f} ns/op" + extra.get(op, "")
                else:
                    extra[op - DYN] = extra.get(op - DYN, "") + f" + {v:.3f}\u00b1{fit.se[op]:.3f} ns/gas"
            from .timing import program_case
            for p in programs:
                c = program_case(p, fork)
                total.add(count_transaction(c.state, c.env, c.tx, c.fork))
            if args.model:
                with open(args.model, "w") as fh:
                    json.dump(_fit_to_json(fit, fork), fh, indent=1)
                    fh.write("\n")
        if args.imapp_programs:
            from .formats import write_pg_marginal
            with open(args.imapp_programs, "w", newline="") as fh:
                write_pg_marginal(fh, programs)
    else:
        if code is not None:
            runs = [("code", None)]
        else:
            try:
                cases = list(iter_state_test_cases(paths, args.run, args.fork, args.index))
            except ValueError as e:
                raise ProfileError(str(e)) from None
            if not cases:
                raise ProfileError("no state-test case matches")
            runs = [(f"{c.name}/{c.fork_label}/{c.index}", c) for c in cases]
        bar = Progress(stderr, "counting")
        built = []
        for i, (name, case) in enumerate(runs):
            bar(i, len(runs))
            try:
                if case is None:
                    cnt = count(code, input=_parse_hex(args.input, "--input"), gas=args.gas, fork=fork)
                    built.append(None)
                else:
                    state, env, tx = case.build()
                    cnt = count_transaction(state, env, tx, case.fork)
                    built.append((state, env, tx, case.fork))
            except Exception as e:  # an invalid transaction or fixture: reported per case
                stderr.write(f"{name}: skipped: {type(e).__name__}: {e}\n")
                continue
            total.add(cnt)
            names.append(name)
            run_feats.append(features(cnt))
        bar(len(runs), len(runs))
        if not names:
            raise ProfileError("nothing ran")
        if args.method == "marginal":
            fit = _load_model(args, fork, stderr)
        elif args.method == "sampled":
            from .timing import sampled_timing
            from ..executor import apply_transaction, execute_code

            def run(tracer: Any) -> None:
                for b in built:
                    if b is None:
                        execute_code(code, input=_parse_hex(args.input, "--input"), gas=args.gas, fork=fork,
                                     tracer=tracer)
                    else:
                        apply_transaction(b[0].copy(), b[1], b[2], b[3], tracer=tracer)
            stats, overhead = sampled_timing(run, fork, repeat=min(args.rounds, 5))
            notes.append(f"sampled: tracer overhead {overhead:.0f} ns per instruction subtracted; "
                         "DISTORTED marks opcodes whose p50 is under twice that overhead")
            for op, s in stats.items():
                extra[op] = (f"mean {s.mean:.0f} p50 {s.p50:.0f} p90 {s.p90:.0f} p99 {s.p99:.0f} ns"
                             + ("  DISTORTED" if s.distorted else ""))
        if (args.check or args.gasfit) and code is None:
            from ..workloads import Case
            from .timing import time_cases
            bcases = [Case(n, b[3], b[0], b[1], b[2]) for n, b in zip(names, built) if b is not None]
            stderr.write(f"timing {len(bcases)} cases x {args.rounds} rounds ...\n")
            run_times = time_cases(bcases, args.rounds, Progress(stderr, "timing"), args.clock)

    # the table
    gas = {op: total.gas(op) for op in total.n}
    ns_total: Optional[Dict[int, float]] = None
    if fit is not None:
        ns_total = _times_from_fit(fit, total)
    elif args.method == "sampled" and extra:
        ns_total = {op: s.mean * total.n.get(op, 0) for op, s in stats.items()}  # type: ignore[possibly-undefined]
    rows = summary_rows(total.n, gas, ns_total)
    stdout.write(format_table(rows, args.top, extra))
    if fit is not None:
        stdout.write(f"fit: {fit.method}, {fit.rows} programs, R^2 {fit.r2:.4f}, "
                     f"intercept {fit.intercept / 1000:.1f} us per run\n")
        missing = fit.unknown(total.n)
        if missing and not generated:
            from ..opcodes import op_name
            notes.append("no fitted cost (counted as 0): " + ", ".join(op_name(o) for o in missing))
    for n in notes:
        stdout.write(n + "\n")
    if args.check and fit is not None and run_times:
        stdout.write(format_check(names, run_feats, run_times, fit))

    # the files
    if args.csv:
        from .formats import write_summary
        with open(args.csv, "w", newline="") as fh:
            write_summary(fh, rows)
    if args.histogram:
        from .formats import write_histogram
        with open(args.histogram, "w", newline="") as fh:
            write_histogram(fh, total.n)
    if args.imapp_results:
        if not run_times:
            raise ProfileError("--imapp-results needs timed programs (--generate/--programs, --method marginal)")
        from .formats import write_results
        with open(args.imapp_results, "w", newline="") as fh:
            write_results(fh, names, [t.samples for t in run_times])
    if args.gasfit:
        if not run_times:
            raise ProfileError("--gasfit needs timed runs: state-test PATHs or the programs (--method marginal)")
        from .formats import write_gasfit
        write_gasfit(args.gasfit, names, [t.best for t in run_times], run_feats)
    if args.plot:
        if ns_total is None:
            raise ProfileError("--plot needs times: --method marginal or sampled")
        from .plot import plot_profile
        try:
            plot_profile(args.plot, rows)
        except ImportError as e:
            raise ProfileError(str(e)) from None
    return 0


def format_check(names: Sequence[str], feats: Sequence[Mapping[int, int]], times: Sequence[Any], fit: Any) -> str:
    """Predicted vs measured per case, with the opcodes carrying the most predicted time."""
    from .fit import feature_name

    lines = [f"\n{'case':<44} {'measured us':>12} {'predicted us':>13} {'error':>8}  top predicted time"]
    for name, ft, t in zip(names, feats, times):
        p = fit.predict(ft)
        m = t.best
        top = sorted(((ft[k] * fit.ns.get(k, 0.0), feature_name(k)) for k in ft), reverse=True)[:3]
        lines.append(f"{name[:44]:<44} {m / 1000:12.1f} {p / 1000:13.1f} {100 * (p - m) / m:+7.1f}%  "
                     + ", ".join(f"{n} {v / 1000:.0f}us" for v, n in top))
    return "\n".join(lines) + "\n"
