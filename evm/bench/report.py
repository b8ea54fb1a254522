"""The reports of ``evm bench``: the text table and the ``--json`` object of a
timing run, and the table of a ``--memory`` run."""
from __future__ import annotations

import os
import platform
from typing import Any, Dict, List, Optional

from .engines import BASELINE
from .timing import BenchReport

__all__ = ["format_table", "report_json", "format_memory_table"]


def _fmt_time(s: Optional[float]) -> str:
    if s is None:
        return "-"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if s >= scale or unit == "µs":
            v = s / scale
            return (f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}") + " " + unit
    return "-"  # pragma: no cover


def _fmt_ratio(r: Optional[float]) -> str:
    if r is None:
        return "-"
    return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


def _method_line(report: BenchReport) -> str:
    return ("one transaction on a prepared pre-state (setup excluded); median of the timed runs after one "
            "warm-up; ratio = cyevm time / peer time (below 1: cyevm is faster)")


def _header(report: BenchReport) -> str:
    names = [f"{e} {report.versions.get(e, '?')}" for e in report.engines]
    head = names[0] + (" vs " + ", ".join(names[1:]) if len(names) > 1 else "")
    return (f"evm bench: {head} (Python {platform.python_version()}, {os.cpu_count() or '?'} CPUs)\n"
            f"time: {_method_line(report)}")


def format_table(report: BenchReport) -> str:
    """The text report: a row per case, the geometric means, then notes (skips, errors, gas mismatches)."""
    peers = report.peers
    head = ["case", "gas", "cyevm", "min", "Mgas/s", "runs"]
    for p in peers:
        head += [p, "ratio"]
    rows: List[List[str]] = []
    notes: List[str] = []
    for c in report.cases:
        base = c.results[BASELINE]
        mgas = (base.gas_used / base.median / 1e6) if base.gas_used and base.median else None
        row = [c.name, f"{c.gas_used:,}" if c.gas_used is not None else "-",
               _fmt_time(base.median) if not base.error else "error", _fmt_time(base.min),
               f"{mgas:.1f}" if mgas is not None else "-", str(len(base.times))]
        if base.error:
            notes.append(f"! {c.name}: cyevm error: {base.error}")
        for p in peers:
            res = c.results[p]
            if res.skipped:
                row += ["skipped", "-"]
                notes.append(f"- {c.name}: {p} skipped: {res.skipped}")
            elif res.error:
                row += ["error", "-"]
                notes.append(f"! {c.name}: {p} error: {res.error}")
            elif c.mismatch(p):
                row += [_fmt_time(res.median), "GAS!"]
                notes.append(f"! {c.name}: gas mismatch: cyevm {c.gas_used}, {p} {res.gas_used}"
                             " (left out of the geometric mean)")
            else:
                row += [_fmt_time(res.median), _fmt_ratio(c.ratio(p))]
        rows.append(row)
    if peers:
        geo = ["geomean", "", "", "", "", ""]
        for p in peers:
            n = sum(1 for c in report.cases if c.ratio(p) is not None)
            geo += [f"({n} cases)", _fmt_ratio(report.geomean(p))]
        rows.append(geo)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(cells: List[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [_header(report), "", line(head)]
    for i, r in enumerate(rows):
        if peers and i == len(rows) - 1:
            out.append("  ".join("-" * w for w in widths))
        out.append(line(r))
    if notes:
        out.append("")
        out.extend(notes)
    return "\n".join(out) + "\n"


def report_json(report: BenchReport) -> Dict[str, Any]:
    """The ``--json`` object: ``{"cases": [{"name", "gas_used", "time_s", "ratio", …}], "geomean": {…}, …}``.

    ``time_s`` holds median times; ``ratio`` is cyevm / peer per peer that
    ran with the same gas. Extra keys: ``time_min_s``, ``runs``,
    ``mgas_per_s`` (cyevm), and only when they apply ``gas_mismatch``
    (peer -> its gas), ``skipped`` and ``errors`` (engine -> reason).
    """
    cases = []
    for c in report.cases:
        base = c.results[BASELINE]
        obj: Dict[str, Any] = {
            "name": c.name,
            "gas_used": c.gas_used,
            "time_s": {e: c.results[e].median for e in report.engines if c.results[e].times},
            "ratio": {p: c.ratio(p) for p in report.peers if c.ratio(p) is not None},
            "time_min_s": {e: c.results[e].min for e in report.engines if c.results[e].times},
            "runs": {e: len(c.results[e].times) for e in report.engines},
            "mgas_per_s": (base.gas_used / base.median / 1e6) if base.gas_used and base.median else None,
        }
        mism = {p: c.results[p].gas_used for p in report.peers if c.mismatch(p)}
        if mism:
            obj["gas_mismatch"] = mism
        skipped = {e: c.results[e].skipped for e in report.engines if c.results[e].skipped}
        if skipped:
            obj["skipped"] = skipped
        errors = {e: c.results[e].error for e in report.engines if c.results[e].error}
        if errors:
            obj["errors"] = errors
        cases.append(obj)
    return {
        "cases": cases,
        "geomean": {p: report.geomean(p) for p in report.peers},
        "engines": report.versions,
        "method": _method_line(report),
    }



def format_memory_table(result: Dict[str, Any]) -> str:
    """The text form of :func:`measure_memory`'s result."""
    engines = list(result["engines"])
    head = ["case", "gas"] + [f"{e} MiB" for e in engines] + [f"{e} setup" for e in engines]
    rows, notes = [], []
    for c in result["cases"]:
        row = [c["name"], f"{c['gas_used']:,}" if c.get("gas_used") is not None else "-"]
        row += [f"{c['peak_rss_mib'][e]:.1f}" if e in c["peak_rss_mib"] else "-" for e in engines]
        row += [f"{c['setup_rss_mib'][e]:.1f}" if e in c["setup_rss_mib"] else "-" for e in engines]
        rows.append(row)
        for e, why in (c.get("skipped") or {}).items():
            notes.append(f"- {c['name']}: {e} skipped: {why}")
        for e, why in (c.get("errors") or {}).items():
            notes.append(f"! {c['name']}: {e} error: {why}")
        for e, gas in (c.get("gas_mismatch") or {}).items():
            notes.append(f"! {c['name']}: gas mismatch: cyevm {c['gas_used']}, {e} {gas}")
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = [f"evm bench --memory: {', '.join(f'{e} {v}' for e, v in result['engines'].items())}",
             f"memory: {result['method']}", ""]
    for r in [head] + rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"
