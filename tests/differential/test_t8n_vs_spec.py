"""A sample of the `evm t8n` vs `ethereum-spec-evm t8n` comparison (two inputs per fork);
`python tests/differential/t8n_vs_spec.py` runs the whole set."""
from __future__ import annotations

import pytest

pytest.importorskip("ethereum_spec_tools", reason="the execution specs (ethereum-execution) are not installed")

from t8n_vs_spec import FIXTURES, compare, sample  # noqa: E402

CASES = sample(FIXTURES, per_fork=2)


@pytest.mark.skipif(not CASES, reason=f"state-test fixtures not found under {FIXTURES}")
@pytest.mark.parametrize("case_id,fork,inputs", CASES, ids=[c[0] for c in CASES])
def test_t8n_equals_the_specs(case_id, fork, inputs):
    assert compare(case_id, fork, inputs) == []


def test_sample_covers_the_forks():
    if not CASES:
        pytest.skip("no fixtures")
    assert len({fork for _, fork, _ in CASES}) >= 10
