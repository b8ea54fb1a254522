"""Exact per-opcode counts of a run, from the core's counting build of the loop.

The counting build is the interpreter loop compiled a third time (next to
the plain and the traced build) with counters in it; it is chosen when the
VM's tracer is an :class:`evm._core.OpCounter`. It counts, per opcode, the
instructions started (as an EIP-3155 trace has one line per started
instruction, failing ones included), the static gas and the dynamic gas
charged (what the spec's ``charge_gas`` took beyond the opcode's base cost,
less the gas the CALL family hands to the callee: the callee's own
instructions count what it spends), and the
instructions started per call depth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple, Union

from .. import _core
from ..forks import Fork
from ..opcodes import op_name

__all__ = ["OpCounts", "count", "count_transaction", "count_cases", "OpCounter"]

OpCounter = _core.OpCounter


@dataclass
class OpCounts:
    """Per-opcode counts: ``n[op]`` instructions started, ``static_gas[op]``
    and ``dynamic_gas[op]`` charged; ``by_depth[depth][op]``."""

    n: Dict[int, int] = field(default_factory=dict)
    static_gas: Dict[int, int] = field(default_factory=dict)
    dynamic_gas: Dict[int, int] = field(default_factory=dict)
    by_depth: Dict[int, Dict[int, int]] = field(default_factory=dict)
    gas_used: int = 0
    runs: int = 0

    @classmethod
    def from_counter(cls, counter: Any, gas_used: int = 0) -> "OpCounts":
        """The counts an :class:`OpCounter` holds."""
        c = counter.counts()
        return cls({op: v[0] for op, v in c.items()}, {op: v[1] for op, v in c.items()},
                   {op: v[2] for op, v in c.items()}, counter.by_depth(), gas_used, 1)

    def add(self, other: "OpCounts") -> None:
        """Add ``other``'s counts to these."""
        for mine, theirs in ((self.n, other.n), (self.static_gas, other.static_gas),
                             (self.dynamic_gas, other.dynamic_gas)):
            for op, v in theirs.items():
                mine[op] = mine.get(op, 0) + v
        for d, ops in other.by_depth.items():
            mine = self.by_depth.setdefault(d, {})
            for op, v in ops.items():
                mine[op] = mine.get(op, 0) + v
        self.gas_used += other.gas_used
        self.runs += other.runs

    @property
    def total(self) -> int:
        """Instructions started, all opcodes."""
        return sum(self.n.values())

    def gas(self, op: int) -> int:
        """Static plus dynamic gas charged to ``op``."""
        return self.static_gas.get(op, 0) + self.dynamic_gas.get(op, 0)

    def by_name(self) -> Dict[str, int]:
        """``{"ADD": n, ...}`` (the spec's mnemonics)."""
        return {op_name(op): n for op, n in sorted(self.n.items())}


def count(code: Union[bytes, str], *, input: bytes = b"", gas: int = 10_000_000, value: int = 0,
          fork: Fork = Fork.CANCUN, create: bool = False, **kwargs: Any) -> OpCounts:
    """Run ``code`` as :func:`evm.execute_code` does (hex text accepted) and
    return its per-opcode counts."""
    from ..executor import execute_code

    if isinstance(code, str):
        text = code.strip()
        try:
            code = bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)
        except ValueError:
            raise ValueError(f"code: not hex: {text[:40]!r}") from None
    counter = OpCounter()
    result = execute_code(code, input=input, gas=gas, value=value, fork=fork, create=create,
                          tracer=counter, **kwargs)
    return OpCounts.from_counter(counter, result.gas_used)


def count_transaction(state: Any, env: Any, tx: Any, fork: Fork) -> OpCounts:
    """Apply ``tx`` to a copy of ``state`` (see :func:`evm.apply_transaction`)
    and return its per-opcode counts."""
    from ..executor import apply_transaction

    counter = OpCounter()
    result = apply_transaction(state.copy(), env, tx, fork, tracer=counter)
    return OpCounts.from_counter(counter, result.gas_used)


@dataclass
class CaseCounts:
    """The counts of one state-test case (``name`` is ``test/fork/d:g:v``)."""

    name: str
    file: str
    counts: Optional[OpCounts]
    error: Optional[str] = None


def iter_state_test_cases(paths: Iterable[str], run: Optional[str] = None, fork: Optional[str] = None,
                          index: Optional[str] = None) -> Iterator[Any]:
    """The :class:`evm.statetest.FixtureCase` of every state-test file under
    ``paths`` passing ``evm statetest``'s filters (``--run`` regex, ``--fork``,
    ``--index d:g:v``); cases expecting an invalid transaction are left out.
    Raises :class:`evm.statetest.FixtureError` for an unreadable file."""
    from ..fixturefiles import iter_fixture_files
    from ..statetest import FixtureCase, iter_cases, parse_fork_filter, parse_index, read_fixture

    pattern = re.compile(run) if run else None
    fork_filter = parse_fork_filter(fork)
    index_filter = parse_index(index)
    for path in paths:
        for file in iter_fixture_files([path]):
            fixture = read_fixture(file)
            for case in iter_cases(fixture, file, fork_filter, pattern, index_filter,
                                   skip_unknown_forks=True):
                if isinstance(case, FixtureCase) and not case.expect_exception:
                    yield case


def count_cases(cases: Iterable[Any], progress: Optional[Callable[[int, str], None]] = None) -> List[CaseCounts]:
    """Count every :class:`evm.statetest.FixtureCase` of ``cases``; a case
    whose transaction is invalid gets an ``error`` instead of counts."""
    out = []
    for i, case in enumerate(cases):
        name = f"{case.name}/{case.fork_label}/{case.index}"
        if progress is not None:
            progress(i, name)
        try:
            state, env, tx = case.build()
            out.append(CaseCounts(name, case.file, count_transaction(state, env, tx, case.fork)))
        except Exception as e:  # an invalid transaction or malformed case: reported, not raised
            out.append(CaseCounts(name, case.file, None, f"{type(e).__name__}: {e}"))
    return out
