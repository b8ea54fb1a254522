"""Files in the formats the opcode-cost tools read and write.

- summary CSV: ``opcode,name,count,gas,ns_total,ns_per_op,gas_per_us,share``
- Imapp gas-cost-estimator: program input ``pg_marginal.csv``
  (``program_id,opcode,op_count,bytecode``) and measurement results
  (``program_id,sample_id,total_time_ns``, optionally
  ``iterations_count,std_dev_time_ns``)
- evm-gasfit: ``runtime.csv`` (``client_name,fixture_name,test_runtime_ms``)
  and ``opcounts.json`` (``{fixture: {"opcount": n, "ADD": n, ...}}``)
- evmone's histogram: ``opcode,count`` (mnemonics)
"""
from __future__ import annotations

import csv
import json
import os
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, TextIO

from ..opcodes import OPCODES, op_name
from .generator import Program

__all__ = ["SUMMARY_HEADER", "PG_MARGINAL_HEADER", "RESULTS_HEADER", "RUNTIME_HEADER", "HISTOGRAM_HEADER",
           "write_summary", "write_histogram", "write_pg_marginal", "read_pg_marginal", "write_results",
           "write_gasfit", "opcode_from_name"]

SUMMARY_HEADER = ["opcode", "name", "count", "gas", "ns_total", "ns_per_op", "gas_per_us", "share"]
PG_MARGINAL_HEADER = ["program_id", "opcode", "op_count", "bytecode"]
RESULTS_HEADER = ["program_id", "sample_id", "total_time_ns"]
RUNTIME_HEADER = ["client_name", "fixture_name", "test_runtime_ms"]
HISTOGRAM_HEADER = ["opcode", "count"]

_BY_NAME = {info.name: op for op, info in OPCODES.items()}


def opcode_from_name(text: str) -> int:
    """An opcode from its mnemonic (``ADD``), ``0x01`` or ``1``; ValueError otherwise."""
    t = text.strip()
    if t.upper() in _BY_NAME:
        return _BY_NAME[t.upper()]
    try:
        v = int(t, 16) if t.lower().startswith("0x") else int(t)
    except ValueError:
        raise ValueError(f"opcode: unknown opcode {text!r}") from None
    if not 0 <= v < 256:
        raise ValueError(f"opcode: {text!r} is not a byte")
    return v


def _fmt(v: Optional[float], digits: int = 3) -> str:
    return "" if v is None else f"{v:.{digits}f}"


def write_summary(out: TextIO, rows: Sequence[Mapping[str, object]]) -> None:
    """The summary table as CSV (rows: dicts with the SUMMARY_HEADER keys; None = unknown)."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(SUMMARY_HEADER)
    for r in rows:
        w.writerow([f"0x{r['opcode']:02x}", r["name"], r["count"], r["gas"],
                    _fmt(r["ns_total"], 1), _fmt(r["ns_per_op"], 3), _fmt(r["gas_per_us"], 3),
                    _fmt(r["share"], 6)])


def write_histogram(out: TextIO, counts: Mapping[int, int]) -> None:
    """evmone's histogram: ``opcode,count`` per opcode run, in opcode order."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(HISTOGRAM_HEADER)
    for op in sorted(counts):
        if counts[op]:
            w.writerow([op_name(op), counts[op]])


def write_pg_marginal(out: TextIO, programs: Iterable[Program]) -> None:
    """Imapp's program input (bytecode as hex without 0x)."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(PG_MARGINAL_HEADER)
    for p in programs:
        w.writerow([p.program_id, op_name(p.opcode), p.op_count, p.bytecode.hex()])


def read_pg_marginal(path: str) -> List[Program]:
    """Programs from an Imapp ``pg_marginal.csv``; ValueError naming the
    row and field for bad input."""
    out = []
    csv.field_size_limit(1 << 30)  # a program's bytecode is one field (the default caps it at 128 KiB)
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [h for h in PG_MARGINAL_HEADER if h not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: not a pg_marginal.csv: missing column(s) {', '.join(missing)}")
        rows = enumerate(reader, start=2)
        while True:
            try:
                i, row = next(rows)
            except StopIteration:
                break
            except csv.Error as e:
                raise ValueError(f"{path}: line {reader.line_num}: {e}") from None
            try:
                op = opcode_from_name(row["opcode"])
                k = int(row["op_count"])
                code = row["bytecode"].strip()
                code = bytes.fromhex(code[2:] if code[:2] in ("0x", "0X") else code)
            except ValueError as e:
                raise ValueError(f"{path}: line {i}: {e}") from None
            out.append(Program(row["program_id"], op, k, code))
    return out


def write_results(out: TextIO, program_ids: Sequence[str], samples: Sequence[Sequence[int]]) -> None:
    """Imapp's measurement results: one row per timed run."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(RESULTS_HEADER)
    for pid, ts in zip(program_ids, samples):
        for i, t in enumerate(ts):
            w.writerow([pid, i, t])


def write_gasfit(directory: str, names: Sequence[str], times_ns: Sequence[float],
                 counts: Sequence[Mapping[int, int]], client: str = "cyevm") -> None:
    """evm-gasfit's ``runtime.csv`` and ``opcounts.json`` in ``directory``."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "runtime.csv"), "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(RUNTIME_HEADER)
        for name, t in zip(names, times_ns):
            w.writerow([client, name, f"{t / 1e6:.6f}"])
    opcounts: Dict[str, Dict[str, int]] = {}
    for name, c in zip(names, counts):
        entry = {"opcount": sum(n for op, n in c.items() if op < 256)}
        entry.update({op_name(op): n for op, n in sorted(c.items()) if op < 256 and n})
        opcounts[name] = entry
    with open(os.path.join(directory, "opcounts.json"), "w") as fh:
        json.dump(opcounts, fh, indent=1)
        fh.write("\n")
