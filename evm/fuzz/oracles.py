"""The implementations a case runs on, each giving an :class:`Outcome`.

- :class:`CyevmOracle`: this package, through the state-test runner's
  builders (:func:`evm.statetest.run_transaction`) and the trie helpers.
- :class:`SpecOracle`: the Ethereum execution specs (``ethereum-execution``),
  in-process through their t8n tool (the path ``ethereum-spec-evm
  statetest`` takes, with the parsed options and fork list kept between
  cases), with a trace hook that reads the top frame's output and error
  from the spec's ``TransactionEnd`` event.
- :class:`EvmoneOracle`: ``evmone-statetest`` (built from
  ``../shared/peers/evmone``) on a batch file of cases; it reports only
  whether each case's state root and logs hash equal the expected ones.
"""
from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from ..forks import Fork
from .generator import Case
from .writer import to_fixture

__all__ = ["Outcome", "CyevmOracle", "SpecOracle", "EvmoneOracle", "spec_available", "find_evmone"]


@dataclass(frozen=True)
class Outcome:
    """What one implementation did with one case.

    ``status`` is ``"success"``, ``"failure"`` (the top frame reverted or
    halted exceptionally) or ``"invalid"`` (the transaction was rejected).
    ``gas_used`` is the transaction's gas after refunds (the receipt's);
    ``output`` is ``None`` where the implementation does not report it, and
    for a contract creation (the spec reports the deployed code there, cyevm
    nothing; the code itself is in the state root).
    """

    status: str
    gas_used: int
    output: Optional[bytes]
    logs_hash: bytes
    state_root: bytes
    detail: str = ""  # an error name, for the report only (never compared)


def spec_available() -> Optional[str]:
    """``None`` if the execution specs can be imported, else why not."""
    try:
        import ethereum  # noqa: F401
        from ethereum_spec_tools.evm_tools.t8n import T8N  # noqa: F401
    except ImportError as e:
        return f"ethereum-execution is not importable ({e}); install cyevm[test]"
    return None


class CyevmOracle:
    """Runs a case on cyevm."""

    name = "cyevm"

    def run(self, case: Case) -> Outcome:
        """The outcome of ``case``; an exception from the core propagates (a crash is a finding)."""
        from ..statetest import run_transaction
        from ..trie import logs_hash, state_root

        state, result, invalid = run_transaction(to_fixture(case), case.fork)
        if result is None:
            return Outcome("invalid", 0, None, logs_hash([]), state_root(state), str(invalid))
        return Outcome(
            "success" if result.success else "failure",
            result.gas_used,
            bytes(result.output) if case.to is not None else None,
            logs_hash(result.logs),
            state_root(state),
            result.error or "",
        )


class SpecOracle:
    """Runs a case on the execution specs, in this process."""

    name = "spec"
    #: The specs have no Constantinople (it never activated on mainnet:
    #: Petersburg, fixture name ``ConstantinopleFix``, replaced it).
    forks = tuple(f for f in Fork if f != Fork.CONSTANTINOPLE)

    def __init__(self) -> None:
        why = spec_available()
        if why:
            raise RuntimeError(why)
        from ethereum import trace
        from ethereum_spec_tools.evm_tools import t8n
        from ethereum_spec_tools.forks import Hardfork

        self._trace = trace
        self._t8n = t8n
        self._ends: List[Any] = []
        self._fork_cache = t8n.ForkCache()
        self._options: Dict[str, Any] = {}
        # T8N() rediscovers the fork packages (a walk of the ``ethereum``
        # package) on every transition, and the statetest tool rebuilds its
        # argument parser (running ``git``) per case: together a third of
        # the oracle's time. Both answers are constant within a process.
        forks = Hardfork.discover()
        self._hardfork = type("CachedHardfork", (Hardfork,), {"discover": classmethod(lambda cls, *a, **k: forks)})
        # The spec's interpreter recurses in Python once per call frame; a
        # 1024-deep call chain needs more than the default limit.
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))
        # The t8n tool logs every rejected transaction on stdout; a rejection
        # is an outcome here, not news.
        logging.getLogger("T8N").disabled = True

    def _hook(self, evm: object, event: object) -> None:
        if isinstance(event, self._trace.TransactionEnd):
            self._ends.append(event)

    def run(self, case: Case) -> Outcome:
        """The spec's outcome of ``case``."""
        if case.fork not in self.forks:
            raise ValueError(f"the execution specs have no {case.fork.fixture_name}")
        return self.run_fixture(to_fixture(case), case.fork.fixture_name, compare_output=case.to is not None)

    def run_fixture(self, test: Dict[str, Any], fork_name: str, compare_output: bool = True) -> Outcome:
        """The spec's outcome of the first post entry of state test ``test`` under ``fork_name``."""
        import io

        post = test["post"][fork_name][0]["indexes"]
        tx: Dict[str, Any] = {}
        for key, value in test["transaction"].items():
            if key == "data":
                tx["input"] = value[post["data"]]
            elif key == "gasLimit":
                tx["gas"] = value[post["gas"]]
            elif key == "value":
                tx["value"] = value[post["value"]]
            elif key == "accessLists":
                if value[post["data"]] is not None:
                    tx["accessList"] = value[post["data"]]
            else:
                tx[key] = value
        env = dict(test["env"])
        env["blockHashes"] = {"0": env["previousHash"]} if "previousHash" in env else {}
        env["withdrawals"] = []
        stdin = io.StringIO(json.dumps({"env": env, "alloc": test["pre"], "txs": [tx]}))
        options = self._options.get(fork_name)
        if options is None:
            from ethereum_spec_tools.evm_tools import create_parser

            options = self._options[fork_name] = create_parser().parse_args([
                "t8n", "--input.alloc", "stdin", "--input.env", "stdin", "--input.txs", "stdin",
                "--state.fork", fork_name, "--state-test"])
        self._ends.clear()
        old = self._trace.set_evm_trace(self._hook)
        saved, self._t8n.Hardfork = self._t8n.Hardfork, self._hardfork
        try:
            transition = self._t8n.T8N(options, io.StringIO(), stdin, self._fork_cache)
            transition.run_state_test()
            result = transition.result
        finally:
            self._t8n.Hardfork = saved
            self._trace.set_evm_trace(old)
        state_root = bytes(result.state_root)
        logs_hash = bytes(result.logs_hash)
        if result.rejected:
            return Outcome("invalid", 0, None, logs_hash, state_root, str(result.rejected.get(0, "")))
        end = self._ends[-1] if self._ends else None
        if end is None:
            # process_message_call returns before any frame (and any trace
            # event) on a creation-address collision: all gas is used
            return Outcome("failure", int(result.gas_used), b"" if compare_output else None, logs_hash,
                           state_root, "AddressCollision")
        return Outcome(
            "success" if end.error is None else "failure",
            int(result.gas_used),
            bytes(end.output) if compare_output else None,
            logs_hash,
            state_root,
            type(end.error).__name__ if end.error is not None else "",
        )


def find_evmone() -> Optional[str]:
    """The ``evmone-statetest`` binary: ``$EVMONE_STATETEST``, ``PATH`` or the peers' build dir."""
    for candidate in (
        os.environ.get("EVMONE_STATETEST"),
        shutil.which("evmone-statetest"),
        os.path.expanduser("~/.cache/evmone/build/bin/evmone-statetest"),
    ):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


class EvmoneOracle:
    """Checks cases against ``evmone-statetest``, many per process.

    evmone prints no state root of its own for a passing case; it compares
    with the expected ``hash``/``logs``. :meth:`check` therefore takes the
    expected outcome (another oracle's) and answers, per case, whether evmone
    agrees (``None``) or how it differs (its failure message).
    """

    name = "evmone"
    #: Forks compared by default. The peers' build (evmone 0.15+, July 2025)
    #: predates parts of Osaka (P256VERIFY at 0x100 disagrees with the
    #: specs), so Osaka runs only when asked for.
    forks = tuple(f for f in Fork if f < Fork.OSAKA)

    def __init__(self, binary: Optional[str] = None) -> None:
        self.binary = binary or find_evmone()
        if not self.binary:
            raise RuntimeError("evmone-statetest not found: build it with ../shared/peers/evmone/build.sh "
                               "or set EVMONE_STATETEST")

    def check(self, cases: Sequence[Case], expected: Sequence[Outcome]) -> List[Optional[str]]:
        """For each case, ``None`` if evmone's state root and logs hash equal ``expected``'s."""
        names = [f"case{i}" for i in range(len(cases))]
        failures: Dict[str, str] = {}
        with tempfile.TemporaryDirectory(prefix="cyevm-fuzz-") as tmp:
            # evmone-statetest makes each file one test: one case per file
            for name, case, want in zip(names, cases, expected):
                post = {"hash": "0x" + want.state_root.hex(), "logs": "0x" + want.logs_hash.hex()}
                if want.status == "invalid":
                    post["expectException"] = "TR_Invalid"  # evmone accepts any name for a rejection
                with open(os.path.join(tmp, name + ".json"), "w") as fh:
                    fh.write(json.dumps({name: to_fixture(case, post)}))  # dumps: the C encoder
            proc = subprocess.run([self.binary, tmp], capture_output=True, text=True, timeout=3600)
        # gtest: "[ RUN      ] <dir>.<name>", failure messages, "[  FAILED  ] <dir>.<name> (N ms)"
        current: List[str] = []
        for line in proc.stdout.splitlines():
            if line.startswith("[ RUN      ]"):
                current = []
            elif line.startswith("[  FAILED  ]"):
                m = re.search(r"\.(case\d+)\b", line)
                if m and m.group(1) not in failures:
                    msg = [x.strip() for x in current if x.strip() and not x.startswith(("/", "Google Test"))]
                    failures[m.group(1)] = " ".join(msg)[:400] or "failed"
            else:
                current.append(line)
        if proc.returncode not in (0, 1) and not failures:
            raise RuntimeError(f"evmone-statetest exited {proc.returncode}: {(proc.stderr or proc.stdout)[-400:]}")
        return [failures.get(n) for n in names]

