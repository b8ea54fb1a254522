"""evm.profile: the fit, the file formats, the plot and the command."""
import csv
import io
import json
import random

import pytest

from evm.cli import main
from evm.forks import Fork
from evm.profile import count
from evm.profile.fit import DYN, features, fit_costs
from evm.profile.formats import (PG_MARGINAL_HEADER, read_pg_marginal, write_gasfit, write_histogram,
                                 write_pg_marginal, write_results)
from evm.profile.generator import generate

np = pytest.importorskip("numpy")


# -- the fit -------------------------------------------------------------------------
def _synthetic(costs, intercept, rows=80, noise=0.0, seed=3):
    rng = random.Random(seed)
    counts, times = [], []
    for _ in range(rows):
        c = {op: rng.randrange(0, 5000) for op in costs}
        counts.append(c)
        t = intercept + sum(n * costs[op] for op, n in c.items())
        times.append(t * (1 + rng.gauss(0, noise)))
    return counts, times


@pytest.mark.parametrize("method", ["ols", "nnls"])
def test_fit_recovers_known_costs(method):
    pytest.importorskip("scipy")
    costs = {0x01: 2.0, 0x02: 5.5, 0x54: 40.0, 0x60: 3.0, DYN + 0x0A: 1.5}
    counts, times = _synthetic(costs, 8000.0)
    fit = fit_costs(counts, times, method)
    for op, c in costs.items():
        assert fit.ns[op] == pytest.approx(c, rel=1e-6)
    assert fit.intercept == pytest.approx(8000.0, rel=1e-6)
    assert fit.r2 == pytest.approx(1.0)


def test_fit_with_noise_gives_standard_errors_that_cover_the_truth():
    costs = {0x01: 2.0, 0x02: 5.5, 0x54: 40.0}
    counts, times = _synthetic(costs, 8000.0, rows=200, noise=0.01)
    fit = fit_costs(counts, times, "ols")
    for op, c in costs.items():
        assert abs(fit.ns[op] - c) < 4 * fit.se[op]
        assert fit.se[op] > 0
    assert 0.95 < fit.r2 < 1.0


def test_nnls_keeps_costs_non_negative():
    pytest.importorskip("scipy")
    counts, times = _synthetic({0x01: 3.0, 0x02: 0.0}, 1000.0, noise=0.05)
    fit = fit_costs(counts, times, "nnls")
    assert all(v >= 0 for v in fit.ns.values())


def test_fit_rejects_bad_input():
    with pytest.raises(ValueError, match="method"):
        fit_costs([{1: 1}], [1.0], "lasso")
    with pytest.raises(ValueError, match="one length"):
        fit_costs([{1: 1}], [1.0, 2.0])


# -- the generator -----------------------------------------------------------------
def test_generated_programs_run_their_opcode_op_count_times_without_failing():
    programs = generate(Fork.CANCUN, opcodes=[0x01, 0x54, 0x56, 0x80, 0x90, 0xF1, 0xF5], max_count=50)
    assert {p.opcode for p in programs} == {0x01, 0x54, 0x56, 0x80, 0x90, 0xF1, 0xF5}
    for p in programs:
        from evm.executor import execute_code
        from evm.profile.counting import OpCounter, OpCounts

        counter = OpCounter()
        result = execute_code(p.bytecode, gas=100_000_000, tracer=counter)
        assert result.success, p.program_id
        got = OpCounts.from_counter(counter).n.get(p.opcode, 0)
        # the background is made of common opcodes, so it may hold a few of the same
        assert got >= p.op_count, p.program_id


# -- the formats ---------------------------------------------------------------------
def test_pg_marginal_round_trips_with_the_imapp_header(tmp_path):
    programs = generate(Fork.CANCUN, opcodes=[0x01], max_count=10, background=5)
    path = tmp_path / "pg_marginal.csv"
    with open(path, "w", newline="") as fh:
        write_pg_marginal(fh, programs)
    assert path.read_text().splitlines()[0] == "program_id,opcode,op_count,bytecode"
    back = read_pg_marginal(str(path))
    assert [(p.program_id, p.opcode, p.op_count, p.bytecode) for p in back] == \
           [(p.program_id, p.opcode, p.op_count, p.bytecode) for p in programs]


def test_pg_marginal_errors_name_the_line(tmp_path):
    path = tmp_path / "pg.csv"
    path.write_text("program_id,opcode,op_count,bytecode\nx,NOTANOP,1,00\n")
    with pytest.raises(ValueError, match="line 2.*opcode"):
        read_pg_marginal(str(path))
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="missing column"):
        read_pg_marginal(str(path))


def test_results_gasfit_and_histogram_headers(tmp_path):
    out = io.StringIO()
    write_results(out, ["p1"], [[100, 120]])
    assert out.getvalue().splitlines() == ["program_id,sample_id,total_time_ns", "p1,0,100", "p1,1,120"]
    c = count("600160020160005260206000f3")
    write_gasfit(str(tmp_path), ["case"], [2_500_000.0], [features(c)])
    assert (tmp_path / "runtime.csv").read_text().splitlines() == [
        "client_name,fixture_name,test_runtime_ms", "cyevm,case,2.500000"]
    oc = json.loads((tmp_path / "opcounts.json").read_text())
    assert oc == {"case": {"opcount": 8, "ADD": 1, "MSTORE": 1, "PUSH1": 5, "RETURN": 1}}
    out = io.StringIO()
    write_histogram(out, c.n)
    assert out.getvalue().splitlines() == ["opcode,count", "ADD,1", "MSTORE,1", "PUSH1,5", "RETURN,1"]


# -- the command ---------------------------------------------------------------------
def test_cli_count_on_bytecode_writes_csv_and_histogram(tmp_path, capsys):
    assert main(["profile", "--method", "count", "0x600160020160005260206000f3",
                 "--csv", str(tmp_path / "s.csv"), "--histogram", str(tmp_path / "h.csv")]) == 0
    rows = list(csv.reader(open(tmp_path / "s.csv")))
    assert rows[0] == ["opcode", "name", "count", "gas", "ns_total", "ns_per_op", "gas_per_us", "share"]
    assert {r[1]: (int(r[2]), int(r[3])) for r in rows[1:]} == {
        "PUSH1": (5, 15), "ADD": (1, 3), "MSTORE": (1, 6), "RETURN": (1, 0)}
    assert "PUSH1" in capsys.readouterr().out


def test_cli_marginal_on_generated_programs_writes_every_output(tmp_path, capsys):
    pytest.importorskip("scipy")
    pytest.importorskip("matplotlib")
    pg = tmp_path / "pg.csv"
    with open(pg, "w", newline="") as fh:
        write_pg_marginal(fh, generate(Fork.CANCUN, opcodes=[0x01, 0x02, 0x60, 0x50], max_count=200,
                                       background=20))
    args = ["profile", "--programs", str(pg), "--rounds", "2", "--csv", str(tmp_path / "s.csv"),
            "--imapp-results", str(tmp_path / "r.csv"), "--gasfit", str(tmp_path / "gf"),
            "--plot", str(tmp_path / "p.png"), "--model", str(tmp_path / "m.json")]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "R^2" in out
    for f in ("s.csv", "r.csv", "gf/runtime.csv", "gf/opcounts.json", "p.png", "m.json"):
        assert (tmp_path / f).stat().st_size > 0, f
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    # the saved model profiles code without refitting; svg too
    assert main(["profile", "6001600201", "--model", str(tmp_path / "m.json"), "--plot", str(tmp_path / "p.svg")]) == 0
    assert b"<svg" in (tmp_path / "p.svg").read_bytes()[:2000]


@pytest.mark.parametrize("argv, message", [
    (["profile", "zz-not-a-path"], "no such file"),
    (["profile", "--code", "0xzz"], "--code: not hex"),
    (["profile", "6001", "--plot", "x.gif", "--method", "count"], "must end in .png or .svg"),
    (["profile", "6001", "--check"], "--check"),
    (["profile", "--method", "sampled"], "sampled"),
    (["profile", "6001", "--fork", "Nope"], "--fork"),
])
def test_cli_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
