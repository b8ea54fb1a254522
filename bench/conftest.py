"""pytest-benchmark suites for cyevm, side by side with pyrevm and py-evm.

Run from the repository root::

    python -m pytest bench                          # cyevm and pyrevm (when installed)
    python -m pytest bench --engines cyevm,pyrevm,py-evm -k "micro and not exp"
    python -m pytest bench --benchmark-compare      # against the last saved run

Every test times one engine on one case with the protocol of ``evm bench``
(see ``evm/bench/``): the pre-state is set up outside the timer, one
warm-up run is discarded, then ``rounds`` timed runs each on a fresh
pre-state. Each test also asserts the gas the engine used, so a timing is
never reported for a run that did something else.
"""
from __future__ import annotations

from typing import Any

import pytest

from evm.bench import BenchError, Engine, get_engine


def pytest_addoption(parser: Any) -> None:
    parser.addoption("--engines", default="cyevm,pyrevm",
                     help="comma-separated engines to time: cyevm, pyrevm, py-evm (default cyevm,pyrevm)")
    parser.addoption("--bench-time", type=float, default=0.5,
                     help="about this many seconds of timed runs per test (default 0.5)")


def pytest_generate_tests(metafunc: Any) -> None:
    if "engine" in metafunc.fixturenames:
        names = [n.strip() for n in metafunc.config.getoption("--engines").split(",") if n.strip()]
        metafunc.parametrize("engine", names, indirect=True)


@pytest.fixture
def engine(request: Any) -> Engine:
    """The engine under test; skipped when it is not installed."""
    try:
        return get_engine(request.param)
    except BenchError as e:
        pytest.skip(str(e))
