"""Differential fuzzing: random programs on cyevm and on the execution specs.

``python -m evm.fuzz`` (or ``evm fuzz``) generates state-test-shaped cases
(:mod:`.generator`), runs each on cyevm and on an oracle (:mod:`.oracles`:
the execution specs in-process, or evmone), compares status, gas used,
output, logs hash and state root (:mod:`.compare`), shrinks any divergence
(:mod:`.minimise`) and writes it as a state test expecting the spec's post
state (:mod:`.writer`). The loop and the command are in :mod:`.runner`.
"""
from .generator import Case, generate_case
from .runner import FuzzStats, check_case, fuzz

__all__ = ["Case", "FuzzStats", "check_case", "fuzz", "generate_case"]
