"""Profiling opcode costs: exact per-opcode counts, timings, marginal-cost fits.

- :func:`count` / :func:`count_transaction` / :func:`count_cases`: per-opcode
  counts (executions, static and dynamic gas, per call depth) from the core's
  counting build of the loop; needs nothing beyond cyevm.
- :mod:`evm.profile.generator`: programs varying the count of each opcode.
- :mod:`evm.profile.timing`: whole-program timing and sampled per-instruction timing.
- :mod:`evm.profile.fit`: time on counts by OLS/NNLS (``cyevm[profile]``: numpy, scipy).
- :mod:`evm.profile.formats`: Imapp, evm-gasfit and evmone-histogram files.
- :mod:`evm.profile.plot`: charts (``cyevm[plot]``: matplotlib).
"""
from .counting import CaseCounts, OpCounter, OpCounts, count, count_cases, count_transaction, iter_state_test_cases

__all__ = ["CaseCounts", "OpCounter", "OpCounts", "count", "count_cases", "count_transaction",
           "iter_state_test_cases"]
