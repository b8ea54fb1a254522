"""``evm.fixturefiles``: the per-file process pool any fixture runner can use, and its report."""
from __future__ import annotations

import io
import json
import multiprocessing
import os

import pytest

from evm.fixturefiles import describe_failure, iter_fixture_files, map_files, report_results


def _size_worker(path):
    """A worker that is not a state-test runner: the file's size, or a crash for 'crash' files."""
    if "crash" in os.path.basename(path):
        os.kill(os.getpid(), 9)  # as abrupt as a segfault in the compiled core
    return (os.path.basename(path), os.path.getsize(path))


def _files(tmp_path, names):
    for i, n in enumerate(names):
        (tmp_path / n).write_text("x" * i)
    return list(iter_fixture_files([tmp_path]))


@pytest.mark.parametrize("jobs", [1, 2])
def test_map_files_yields_each_files_result_in_order(tmp_path, jobs):
    files = _files(tmp_path, ["a.json", "b.json", "c.json", "d.json", "e.json"])
    assert list(map_files(files, _size_worker, jobs)) == [("a.json", 0), ("b.json", 1), ("c.json", 2),
                                                          ("d.json", 3), ("e.json", 4)]


def test_map_files_isolates_a_crashing_worker(tmp_path):
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("a worker defined in a test module needs the fork start method")
    files = _files(tmp_path, ["a.json", "b_crash.json", "c.json", "d.json"])
    got = list(map_files(files, _size_worker, 2, on_crash=lambda p: ("died", os.path.basename(p))))
    assert got == [("a.json", 0), ("died", "b_crash.json"), ("c.json", 2), ("d.json", 3)]


def test_iter_fixture_files_walks_folders_sorted_and_keeps_files(tmp_path):
    (tmp_path / "sub").mkdir()
    for n in ("sub/b.json", "a.json", "sub/notes.txt"):
        (tmp_path / n).write_text("{}")
    missing = str(tmp_path / "missing.json")
    assert list(iter_fixture_files([tmp_path, missing])) == [
        str(tmp_path / "a.json"), str(tmp_path / "sub" / "b.json"), missing]


def _result(name, ok, error=None):
    return {"name": name, "pass": ok, "error": error, "file": "f.json", "fork": "Cancun", "index": "0:0:0"}


def test_report_results_counts_and_prints_failures():
    out, err = io.StringIO(), io.StringIO()
    by_file = [[_result("a", True), _result("b", False, "boom")], [_result("c", None, "skipped")]]
    assert report_results(by_file, 2, "evm x", out, err, progress=False) == 1
    assert out.getvalue().splitlines() == ["FAIL f.json: b [Cancun 0:0:0]: boom", "1 passed, 1 failed, 1 skipped"]
    assert err.getvalue() == ""


def test_report_results_json_and_no_match_warning():
    out, err = io.StringIO(), io.StringIO()
    assert report_results([[_result("a", True)]], 1, "evm x", out, err, as_json=True, progress=False) == 0
    assert [r["name"] for r in json.loads(out.getvalue())] == ["a"]
    out, err = io.StringIO(), io.StringIO()
    assert report_results([[]], 1, "evm x", out, err, progress=False) == 0
    assert out.getvalue() == "0 passed, 0 failed\n" and "evm x: warning: no test case matched" in err.getvalue()


def test_describe_failure_without_file_or_fork():
    assert describe_failure({"name": "t", "error": "bad"}) == "FAIL t: bad"
