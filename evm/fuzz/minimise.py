"""Shrinking a diverging case while it still diverges.

Greedy passes, repeated until none makes progress or the budget of oracle
runs is spent: drop accounts; drop runs of snippets from each program (and
from the transaction data), halving the run length down to one (as in
ddmin); then split snippets into single instructions and drop those; drop
storage slots, a 7702 delegation, the value and the access list.
"""
from __future__ import annotations

from typing import Callable, List

from .generator import SENDER, Case, Snippet

__all__ = ["minimise"]

Predicate = Callable[[Case], bool]


class _Budget(Exception):
    pass


class _Shrinker:
    def __init__(self, case: Case, still_diverges: Predicate, max_runs: int) -> None:
        self.best = case
        self.test = still_diverges
        self.runs = 0
        self.max_runs = max_runs

    def try_(self, candidate: Case) -> bool:
        if self.runs >= self.max_runs:
            raise _Budget
        self.runs += 1
        try:
            ok = self.test(candidate)
        except Exception:  # a candidate an oracle cannot run is not a smaller witness
            ok = False
        if ok:
            self.best = candidate
        return ok

    # --- passes -------------------------------------------------------------
    def drop_accounts(self) -> bool:
        progress = False
        for addr in sorted(self.best.accounts):
            if addr == SENDER or addr not in self.best.accounts:
                continue
            c = self.best.copy()
            del c.accounts[addr]
            progress |= self.try_(c)
        return progress

    def _lists(self, case: Case) -> List[List[Snippet]]:
        return [case.data] + [case.accounts[a].code for a in sorted(case.accounts)]

    def drop_runs(self) -> bool:
        """ddmin-style removal of runs of snippets, list by list."""
        progress = False
        for i in range(len(self._lists(self.best))):
            n = len(self._lists(self.best)[i])
            size = max(1, n // 2)
            while size >= 1:
                start = 0
                while start < len(self._lists(self.best)[i]):
                    c = self.best.copy()
                    lst = self._lists(c)[i]
                    del lst[start:start + size]
                    if self.try_(c):
                        progress = True
                    else:
                        start += size
                size //= 2
        return progress

    def split(self) -> bool:
        """Make every instruction its own snippet (for the next drop_runs)."""
        c = self.best.copy()
        changed = False
        for lst in self._lists(c):
            flat = [[ins] for snip in lst for ins in snip]
            if len(flat) != len(lst):
                lst[:] = flat
                changed = True
        if changed:
            self.best = c  # same bytes: no need to re-run the oracles
        return changed

    def simplify(self) -> bool:
        progress = False
        for addr in sorted(self.best.accounts):
            for key in sorted(self.best.accounts[addr].storage):
                c = self.best.copy()
                del c.accounts[addr].storage[key]
                progress |= self.try_(c)
            if addr in self.best.accounts and self.best.accounts[addr].raw_code:
                c = self.best.copy()
                c.accounts[addr].raw_code = b""
                progress |= self.try_(c)
        if self.best.value:
            c = self.best.copy()
            c.value = 0
            progress |= self.try_(c)
        if self.best.fees is not None:
            c = self.best.copy()
            c.fees = None
            progress |= self.try_(c)
        if self.best.access_list is not None:
            c = self.best.copy()
            c.access_list = None
            progress |= self.try_(c)
        return progress

    def run(self) -> Case:
        try:
            while True:
                progress = self.drop_accounts()
                progress |= self.drop_runs()
                if self.split():
                    progress |= self.drop_runs()
                progress |= self.simplify()
                if not progress:
                    break
        except _Budget:
            pass
        return self.best


def minimise(case: Case, still_diverges: Predicate, max_runs: int = 2000) -> Case:
    """A smaller case for which ``still_diverges`` holds (``case`` itself if none is found).

    ``still_diverges(case)`` must be true; at most ``max_runs`` candidates are tried.
    """
    return _Shrinker(case.copy(), still_diverges, max_runs).run()
