"""``evm bench``: time transactions in cyevm and, side by side, in peer EVMs.

What is timed, the same for every engine: executing one case's transaction —
a message call sender -> contract with the case's calldata, value and gas
limit — on a pre-state that was set up before the timer started, through each
engine's public Python entry point for "run this transaction":

- cyevm: ``evm.EVM(state).transact(tx)``, the machine made over a fresh
  copy of the pre-state before the timer starts: validation, buying gas,
  the message call, refunds and paying the coinbase, the changes kept in the
  machine (as pyrevm keeps them in its journal). ``--compare cyevm-apply``
  adds ``evm.apply_transaction`` on a copy of the state, which also makes
  the VM and writes the changes back to the ``State`` inside the timer;
- pyrevm: ``EVM.message_call`` on an EVM holding the pre-state, inside a
  journal checkpoint that is reverted after the timer stops. It runs revm's
  transaction handler (validation, intrinsic gas, the call, refunds) but, by
  pyrevm's design, skips buying the gas, the nonce bump, paying the coinbase
  and ending the transaction's journal (and runs with a zero base fee):
  slightly less work than the others;
- py-evm: ``state.apply_transaction`` of a spoofed (unsigned, sender given)
  transaction on a state object opened on the persisted pre-state root.

No engine recovers a signature, every engine starts warm (its bytecode
analysis caches may keep what the warm-up run put there) and the Python-call
overhead of each entry point is part of the time, as a user would pay it.

Per case and engine: one warm-up run (discarded), then timed runs. The
fast engines (cyevm, pyrevm) run interleaved (round robin, the order
rotating each round) so they share the machine's noise, at least ``repeat``
times each and until about ``min_time`` seconds were timed. Slow peers
(py-evm) run afterwards, ``slow_repeat`` times, and skip (said in the
output) a case whose cost, estimated from cyevm's median and the worst
slow-down seen so far, exceeds ``peer_budget`` seconds. Reported:
median and minimum time, Mgas/s (gas used / median), and per peer the ratio
cyevm median / peer median (below 1: cyevm is faster) and its geometric
mean over the cases. The gas used must be the same in every engine: a
mismatch is flagged and the case left out of the geometric mean.

``python -m evm.bench child ...`` is the child process of ``--memory``,
which runs one case in a fresh interpreter and reports its peak RSS.
"""
from __future__ import annotations

import gc
import json
import math
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, TextIO, Tuple

from .env import BlockEnv
from .forks import Fork
from .state import State
from .transaction import Transaction
from .workloads import SUITES, Case, builtin_cases

__all__ = [
    "BenchError",
    "BenchOptions",
    "Engine",
    "Runner",
    "EngineResult",
    "CaseResult",
    "BenchReport",
    "ENGINES",
    "PEER_ALIASES",
    "load_cases",
    "load_file_cases",
    "get_engine",
    "run_bench",
    "format_table",
    "report_json",
    "measure_memory",
    "format_memory_table",
    "run_command",
]

BASELINE = "cyevm"


class BenchError(ValueError):
    """A bad benchmark request (path, file, peer name, filter): one line, exit status 2."""


# --- Loading cases -----------------------------------------------------------
def _case_name(test: str, info: Any, d: int, g: int, v: int, variants: Tuple[int, int]) -> str:
    labels = info.get("labels") if isinstance(info, dict) else None
    label = labels.get(str(d)) if isinstance(labels, dict) else None
    name = f"{test}/{label if isinstance(label, str) and label else d}"
    if variants != (1, 1):  # several gas or value variants: say which
        name += f"/{g}:{v}"
    return name


def load_file_cases(path: str, fork: Optional[Fork] = None) -> List[Case]:
    """The cases of one state-test file: each (test, post entry) is one case.

    Without ``fork`` each test's newest fork is used. Entries that expect an
    invalid transaction are not benchmarks and are left out. Raises
    :class:`BenchError` for an unreadable or malformed file.
    """
    from .statetest import FixtureError, build_env, build_state, build_transaction
    from .forks import fork_from_name

    try:
        with open(path, "rb") as fh:
            fixture = json.load(fh)
    except OSError as e:
        raise BenchError(f"cannot read {path}: {e.strerror or e}") from None
    except (ValueError, RecursionError) as e:
        raise BenchError(f"{path}: not a JSON file ({' '.join(str(e).split())[:120]})") from None
    if not isinstance(fixture, dict) or not fixture:
        raise BenchError(f"{path}: not a state-test file (expected a JSON object of tests)")
    cases: List[Case] = []
    try:
        for test, body in fixture.items():
            if not isinstance(body, dict) or not isinstance(body.get("post"), dict):
                raise BenchError(f"{path}: {test}: not a state test (no 'post' object)")
            forks: Dict[Fork, str] = {}
            for label in body["post"]:
                try:
                    forks[fork_from_name(str(label))] = label
                except ValueError:
                    continue  # transition forks and the like: not benchmarks
            if fork is not None:
                chosen = fork if fork in forks else None
            else:
                chosen = max(forks) if forks else None
            if chosen is None:
                continue
            tx_json = body.get("transaction") or {}
            variants = (len(tx_json.get("gasLimit") or [0]), len(tx_json.get("value") or [0]))
            chain_id = 1
            if isinstance(body.get("config"), dict) and "chainid" in body["config"]:
                chain_id = int(str(body["config"]["chainid"]), 0)
            for post in body["post"][forks[chosen]] or []:
                if not isinstance(post, dict) or post.get("expectException"):
                    continue
                idx = post.get("indexes") or {}
                d, g, v = int(idx.get("data", 0)), int(idx.get("gas", 0)), int(idx.get("value", 0))
                state = build_state(body.get("pre"))
                env = build_env(body.get("env"), chosen, chain_id)
                prev = body["env"].get("previousHash") if isinstance(body.get("env"), dict) else None
                if prev and env.number > 0:
                    state.block_hashes[env.number - 1] = bytes.fromhex(prev[2:])
                tx = build_transaction(tx_json, d, g, v)
                cases.append(Case(_case_name(test, body.get("_info"), d, g, v, variants), chosen, state, env, tx))
    except (FixtureError, ValueError, TypeError, KeyError) as e:
        if isinstance(e, BenchError):
            raise
        raise BenchError(f"{path}: malformed state test: {' '.join(str(e).split())[:160]}") from None
    return cases


def load_cases(paths: Sequence[str] = (), suite: Optional[str] = None, fork: Optional[Fork] = None,
               run: Optional[str] = None) -> List[Case]:
    """The cases to run: the built-in ``suite`` (default ``"main"`` when no
    path is given) followed by the state-test files under ``paths``
    (folders are searched recursively for ``*.json``), filtered by the
    regular expression ``run`` (``re.search`` on the case name).

    Duplicate names get a ``#2``, ``#3``… suffix. Raises :class:`BenchError`
    for a missing path, a bad file or a bad regular expression.
    """
    from .statetest import iter_fixture_files

    pattern = None
    if run is not None:
        try:
            pattern = re.compile(run)
        except re.error as e:
            raise BenchError(f"bad --run regular expression {run!r}: {e}") from None
    cases: List[Case] = []
    if suite is None and not paths:
        suite = "main"
    if suite is not None:
        if suite not in SUITES:
            raise BenchError(f"unknown built-in suite {suite!r} (choose from {', '.join(SUITES)})")
        cases.extend(builtin_cases(suite))
    for p in paths:
        if not os.path.exists(p):
            raise BenchError(f"no such file or directory: {p}")
        files = list(iter_fixture_files([p]))
        if os.path.isdir(p) and not files:
            raise BenchError(f"no *.json file under {p}")
        for f in files:
            cases.extend(load_file_cases(f, fork))
    seen: Dict[str, int] = {}
    for c in cases:
        n = seen.get(c.name, 0) + 1
        seen[c.name] = n
        if n > 1:
            c.name = f"{c.name}#{n}"
    if pattern is not None:
        cases = [c for c in cases if pattern.search(c.name)]
    return cases


# --- Engines -----------------------------------------------------------------
class Runner:
    """One engine set up for one case. ``setup`` and ``finish`` are not timed; ``run`` is."""

    def setup(self) -> None:
        """Make a fresh pre-state for the next run."""

    def run(self) -> None:
        """Execute the transaction once (the timed part)."""
        raise NotImplementedError

    def finish(self) -> Tuple[int, bool]:
        """After ``run``: ``(gas_used, success)``; also undoes what ``run`` changed."""
        raise NotImplementedError


class Engine:
    """An EVM that ``evm bench`` can time. Subclasses name themselves and make runners."""

    name = "?"
    #: py-evm-like engines: fewer repetitions and a time budget per case.
    slow = False
    #: The distribution to ask for the version (``importlib.metadata``).
    distribution = ""

    @classmethod
    def available(cls) -> Optional[str]:
        """``None`` if the engine can be used here, else why not."""
        return None

    def version(self) -> str:
        """The installed version, for the report."""
        return _dist_version(self.distribution) if self.distribution else "?"

    def unsupported(self, case: Case) -> Optional[str]:
        """Why this engine cannot run ``case`` (``None``: it can)."""
        return None

    def prepare(self, case: Case) -> Runner:
        """Set up ``case`` (not timed) and return its runner."""
        raise NotImplementedError


def _dist_version(dist: str) -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version(dist)
        except PackageNotFoundError:
            pass
    except ImportError:  # pragma: no cover
        pass
    if dist == "cyevm":
        from . import __version__

        return __version__
    return "?"


class _CyevmRunner(Runner):
    """``EVM(state).transact(tx)``: a machine holding the pre-state, made before the timer starts."""

    def __init__(self, case: Case) -> None:
        from .machine import EVM

        self.case = case
        self.machine_class = EVM
        self.evm: Any = None
        self.result: Any = None

    def setup(self) -> None:
        c = self.case
        self.evm = self.machine_class(c.state.copy(), c.fork, c.env)
        self.result = None

    def run(self) -> None:
        self.result = self.evm.transact(self.case.tx)

    def finish(self) -> Tuple[int, bool]:
        return self.result.gas_used, self.result.success


class CyevmEngine(Engine):
    """cyevm itself: ``evm.EVM.transact`` on a machine over a copy of the pre-state."""

    name = "cyevm"
    distribution = "cyevm"

    def prepare(self, case: Case) -> Runner:
        return _CyevmRunner(case)


class _CyevmApplyRunner(Runner):
    """``apply_transaction(state, ...)``: a VM made, and the changes written back, inside the timer."""

    def __init__(self, case: Case) -> None:
        from .executor import apply_transaction

        self.case = case
        self.apply = apply_transaction
        self.state: State = case.state
        self.result: Any = None

    def setup(self) -> None:
        self.state = self.case.state.copy()
        self.result = None

    def run(self) -> None:
        c = self.case
        self.result = self.apply(self.state, c.env, c.tx, c.fork)

    def finish(self) -> Tuple[int, bool]:
        return self.result.gas_used, self.result.success


class CyevmApplyEngine(Engine):
    """cyevm through ``evm.apply_transaction`` on a copy of the pre-state
    (``--compare cyevm-apply``: what a new VM per transaction and writing
    the changes back to the ``State`` cost next to ``EVM.transact``)."""

    name = "cyevm-apply"
    distribution = "cyevm"

    def prepare(self, case: Case) -> Runner:
        return _CyevmApplyRunner(case)


# pyrevm 0.3.7 takes revm's fork names and silently runs the latest fork for
# any name it does not know: map only forks we checked (up to Cancun).
_PYREVM_SPEC = {
    Fork.FRONTIER: "Frontier", Fork.HOMESTEAD: "Homestead", Fork.TANGERINE_WHISTLE: "Tangerine",
    Fork.SPURIOUS_DRAGON: "Spurious", Fork.BYZANTIUM: "Byzantium", Fork.CONSTANTINOPLE: "Constantinople",
    Fork.PETERSBURG: "Petersburg", Fork.ISTANBUL: "Istanbul", Fork.BERLIN: "Berlin", Fork.LONDON: "London",
    Fork.PARIS: "Merge", Fork.SHANGHAI: "Shanghai", Fork.CANCUN: "Cancun",
}
_PYREVM_GAS = re.compile(r"gas_used:\s*(\d+)")


def _hexaddr(a: bytes) -> str:
    return "0x" + bytes(a).hex()


def _gas_price(tx: Transaction, env: BlockEnv, fork: Fork) -> int:
    if tx.gas_price is not None:
        return tx.gas_price
    base = env.base_fee_per_gas(fork)
    return min(tx.max_fee_per_gas or 0, base + (tx.max_priority_fee_per_gas or 0))


class _PyrevmRunner(Runner):
    def __init__(self, case: Case) -> None:
        import pyrevm

        env, fork, tx = case.env, case.fork, case.tx
        block = pyrevm.BlockEnv(
            number=env.number, coinbase=_hexaddr(env.coinbase), timestamp=env.timestamp,
            difficulty=env.difficulty if fork < Fork.PARIS else 0,
            prevrandao=env.prev_randao if fork >= Fork.PARIS else None,
            basefee=env.base_fee_per_gas(fork), gas_limit=env.gas_limit,
            excess_blob_gas=(env.excess_blob_gas or 0) if fork >= Fork.CANCUN else None,
        )
        self.evm = pyrevm.EVM(env=pyrevm.Env(cfg=pyrevm.CfgEnv(chain_id=env.chain_id), block=block),
                              spec_id=_PYREVM_SPEC[fork])
        # The pre-state must land in pyrevm's database, not its journal: an
        # account or slot in the journal counts as warm (pyrevm never ends a
        # transaction's journal). So no set_balance (it loads the account
        # into the journal; AccountInfo takes the balance instead), and each
        # storage insert, which pulls the account into the journal, is
        # wrapped in a checkpoint that is reverted (the database keeps the slot).
        for address, acct in case.state.accounts.items():
            a = _hexaddr(address)
            self.evm.insert_account_info(
                a, pyrevm.AccountInfo(balance=acct.balance, nonce=acct.nonce, code=acct.code))
            for k, v in acct.storage.items():
                checkpoint = self.evm.snapshot()
                self.evm.insert_account_storage(a, k, v)
                self.evm.revert(checkpoint)
        if self.evm.journal_state:
            raise RuntimeError("pyrevm: the pre-state leaked into the journal (accounts would be warm)")
        self.args = (_hexaddr(tx.sender), _hexaddr(tx.to or b""), tx.data, tx.value, tx.gas_limit,
                     _gas_price(tx, env, fork))
        self.checkpoint: Any = None
        self.error: Optional[BaseException] = None

    def setup(self) -> None:
        self.checkpoint = self.evm.snapshot()
        self.error = None

    def run(self) -> None:
        try:
            self.evm.message_call(*self.args)
        except RuntimeError as e:  # pyrevm raises on revert and halt
            self.error = e

    def finish(self) -> Tuple[int, bool]:
        try:
            if self.error is not None:
                m = _PYREVM_GAS.search(str(self.error))
                if m is None:
                    raise RuntimeError(f"pyrevm: {self.error}")
                return int(m.group(1)), False
            r = self.evm.result
            return r.gas_used, bool(r.is_success)
        finally:
            self.evm.revert(self.checkpoint)


class PyrevmEngine(Engine):
    """pyrevm (revm in Rust): ``EVM.message_call`` inside a reverted checkpoint."""

    name = "pyrevm"
    distribution = "pyrevm"

    @classmethod
    def available(cls) -> Optional[str]:
        try:
            import pyrevm  # noqa: F401
        except ImportError:
            return "pyrevm is not installed (pip install 'cyevm[bench]')"
        return None

    def unsupported(self, case: Case) -> Optional[str]:
        tx = case.tx
        if case.fork not in _PYREVM_SPEC:
            return f"fork {case.fork.fixture_name} not mapped for pyrevm"
        if tx.to is None:
            return "contract creation"
        if tx.access_list or tx.blob_versioned_hashes or tx.authorization_list:
            return "message_call takes no access list, blobs or authorizations"
        return None

    def prepare(self, case: Case) -> Runner:
        return _PyrevmRunner(case)


_PYEVM_VM = {
    Fork.FRONTIER: "FrontierVM", Fork.HOMESTEAD: "HomesteadVM", Fork.TANGERINE_WHISTLE: "TangerineWhistleVM",
    Fork.SPURIOUS_DRAGON: "SpuriousDragonVM", Fork.BYZANTIUM: "ByzantiumVM",
    Fork.CONSTANTINOPLE: "ConstantinopleVM", Fork.PETERSBURG: "PetersburgVM", Fork.ISTANBUL: "IstanbulVM",
    Fork.BERLIN: "BerlinVM", Fork.LONDON: "LondonVM", Fork.PARIS: "ParisVM", Fork.SHANGHAI: "ShanghaiVM",
    Fork.CANCUN: "CancunVM", Fork.PRAGUE: "PragueVM",
}


class _PyEvmRunner(Runner):
    def __init__(self, case: Case) -> None:
        import eth.vm.forks as forks
        from eth.constants import BLANK_ROOT_HASH
        from eth.db.atomic import AtomicDB
        from eth.vm.execution_context import ExecutionContext
        from eth.vm.spoof import SpoofTransaction

        env, fork, tx = case.env, case.fork, case.tx
        self.vm_class = getattr(forks, _PYEVM_VM[fork])
        self.state_class = self.vm_class.get_state_class()
        depth = min(256, env.number)
        self.context = ExecutionContext(
            coinbase=env.coinbase, timestamp=env.timestamp, block_number=env.number,
            difficulty=env.difficulty if fork < Fork.PARIS else 0,
            mix_hash=env.prev_randao if fork >= Fork.PARIS else b"\x00" * 32,
            gas_limit=env.gas_limit,
            prev_hashes=[case.state.get_block_hash(env.number - 1 - i) for i in range(depth)],
            chain_id=env.chain_id,
            base_fee_per_gas=env.base_fee_per_gas(fork) if fork >= Fork.LONDON else None,
            excess_blob_gas=(env.excess_blob_gas or 0) if fork >= Fork.CANCUN else None,
        )
        self.db = AtomicDB()
        state = self.state_class(self.db, self.context, BLANK_ROOT_HASH)
        for address, acct in case.state.accounts.items():
            state.set_balance(address, acct.balance)
            state.set_nonce(address, acct.nonce)
            state.set_code(address, acct.code)
            for k, v in acct.storage.items():
                state.set_storage(address, k, v)
        state.persist()
        self.root = state.state_root
        builder = self.vm_class.get_transaction_builder()
        to = tx.to or b""
        if tx.max_fee_per_gas is not None:
            utx = builder.new_unsigned_dynamic_fee_transaction(
                chain_id=env.chain_id, nonce=tx.nonce, max_priority_fee_per_gas=tx.max_priority_fee_per_gas,
                max_fee_per_gas=tx.max_fee_per_gas, gas=tx.gas_limit, to=to, value=tx.value, data=tx.data,
                access_list=[(a, list(keys)) for a, keys in tx.access_list or ()])
        elif tx.access_list is not None:
            utx = builder.new_unsigned_access_list_transaction(
                chain_id=env.chain_id, nonce=tx.nonce, gas_price=tx.gas_price, gas=tx.gas_limit, to=to,
                value=tx.value, data=tx.data, access_list=[(a, list(keys)) for a, keys in tx.access_list])
        else:
            utx = builder.create_unsigned_transaction(
                nonce=tx.nonce, gas_price=tx.gas_price, gas=tx.gas_limit, to=to, value=tx.value, data=tx.data)
        self.tx = SpoofTransaction(utx, from_=tx.sender)
        self.state: Any = None
        self.computation: Any = None

    def setup(self) -> None:
        self.state = self.state_class(self.db, self.context, self.root)
        self.computation = None

    def run(self) -> None:
        self.computation = self.state.apply_transaction(self.tx)

    def finish(self) -> Tuple[int, bool]:
        comp = self.computation
        return self.vm_class.finalize_gas_used(self.tx, comp), bool(comp.is_success)


class PyEvmEngine(Engine):
    """py-evm (pure Python): ``state.apply_transaction`` of a spoofed transaction."""

    name = "py-evm"
    slow = True
    distribution = "py-evm"

    @classmethod
    def available(cls) -> Optional[str]:
        try:
            import eth.vm.forks  # noqa: F401
        except ImportError:
            return "py-evm is not installed (pip install 'cyevm[bench]')"
        return None

    def unsupported(self, case: Case) -> Optional[str]:
        if case.fork not in _PYEVM_VM:
            return f"fork {case.fork.fixture_name} not in py-evm"
        if case.tx.blob_versioned_hashes or case.tx.authorization_list:
            return "blob and set-code transactions are not set up for py-evm"
        return None

    def prepare(self, case: Case) -> Runner:
        return _PyEvmRunner(case)


#: Engines by name. Tests may add fakes.
ENGINES: Dict[str, Callable[[], Engine]] = {
    "cyevm": CyevmEngine,
    "cyevm-apply": CyevmApplyEngine,
    "pyrevm": PyrevmEngine,
    "py-evm": PyEvmEngine,
}
#: Other spellings accepted by ``--compare``.
PEER_ALIASES = {"pyevm": "py-evm", "py_evm": "py-evm", "revm": "pyrevm"}


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``cyevm``, ``pyrevm``, ``py-evm``); :class:`BenchError` if unknown or missing."""
    key = PEER_ALIASES.get(name.strip().lower(), name.strip().lower())
    factory = ENGINES.get(key)
    if factory is None:
        raise BenchError(f"unknown engine {name!r} (known: {', '.join(n for n in ENGINES if n != BASELINE)})")
    engine = factory()
    why = type(engine).available()
    if why is not None:
        raise BenchError(why)
    return engine


# --- Running -----------------------------------------------------------------
@dataclass
class BenchOptions:
    """How much to repeat.

    Attributes:
        repeat: at least this many timed runs per fast engine and case.
        min_time: fast engines repeat until about this many seconds were timed.
        max_repeat: never more runs than this per engine and case.
        slow_repeat: timed runs of a slow peer (py-evm) per case.
        peer_budget: a slow peer skips a case whose warm-up plus runs are
            estimated to take longer than this (seconds).
    """

    repeat: int = 5
    min_time: float = 0.2
    max_repeat: int = 10_000
    slow_repeat: int = 1
    peer_budget: float = 60.0


@dataclass
class EngineResult:
    """One engine on one case: timed runs in seconds, gas used, or why not."""

    times: List[float] = field(default_factory=list)
    gas_used: Optional[int] = None
    success: Optional[bool] = None
    skipped: Optional[str] = None
    error: Optional[str] = None

    @property
    def median(self) -> Optional[float]:
        """Median run time (s), ``None`` without runs."""
        return statistics.median(self.times) if self.times else None

    @property
    def min(self) -> Optional[float]:
        """Fastest run time (s), ``None`` without runs."""
        return min(self.times) if self.times else None


@dataclass
class CaseResult:
    """Every engine's result on one case (``engines[0]`` is cyevm)."""

    name: str
    results: Dict[str, EngineResult]

    @property
    def gas_used(self) -> Optional[int]:
        """The gas cyevm used."""
        return self.results[BASELINE].gas_used

    def mismatch(self, peer: str) -> bool:
        """Whether ``peer`` used different gas than cyevm (both having run)."""
        a, b = self.results[BASELINE].gas_used, self.results[peer].gas_used
        return a is not None and b is not None and a != b

    def ratio(self, peer: str) -> Optional[float]:
        """cyevm median time / ``peer`` median time; ``None`` if either did not run or gas differs."""
        ours, theirs = self.results[BASELINE].median, self.results[peer].median
        if ours is None or theirs is None or theirs <= 0 or self.mismatch(peer):
            return None
        return ours / theirs


@dataclass
class BenchReport:
    """The outcome of :func:`run_bench`."""

    engines: List[str]
    versions: Dict[str, str]
    cases: List[CaseResult]

    @property
    def peers(self) -> List[str]:
        """The engines other than cyevm."""
        return [e for e in self.engines if e != BASELINE]

    def geomean(self, peer: str) -> Optional[float]:
        """Geometric mean of ``peer``'s ratios (cases without a ratio left out)."""
        ratios = [r for r in (c.ratio(peer) for c in self.cases) if r is not None and r > 0]
        if not ratios:
            return None
        return math.exp(sum(math.log(r) for r in ratios) / len(ratios))

    @property
    def problems(self) -> int:
        """Gas mismatches plus engine errors: a non-zero exit status."""
        n = 0
        for c in self.cases:
            n += sum(1 for e in self.engines if c.results[e].error)
            n += sum(1 for p in self.peers if c.mismatch(p))
        return n


def _one_line(text: object, limit: int = 200) -> str:
    s = " ".join(str(text).split())
    return s if len(s) <= limit else s[: limit - 3] + "..."


def _timed(runner: Runner) -> Tuple[float, int, bool]:
    """One run: setup (untimed), run (timed, with the garbage collector off, as timeit does), finish."""
    runner.setup()
    enabled = gc.isenabled()
    gc.disable()
    try:
        t0 = time.perf_counter()
        runner.run()
        t1 = time.perf_counter()
    finally:
        if enabled:
            gc.enable()
    gas, ok = runner.finish()
    return t1 - t0, gas, ok


def _bench_case(case: Case, engines: List[Engine], opts: BenchOptions,
                slow_ratio: Dict[str, float]) -> CaseResult:
    results = {e.name: EngineResult() for e in engines}
    runners: Dict[str, Runner] = {}
    warm: Dict[str, float] = {}  # warm-up times: discarded, but they size the repetitions

    def start(e: Engine) -> None:
        """Set ``e`` up and run its warm-up, or record why not."""
        res = results[e.name]
        try:
            runner = e.prepare(case)
            t, gas, ok = _timed(runner)
        except Exception as ex:  # an engine failing must not stop the run
            res.error = _one_line(f"{type(ex).__name__}: {ex}")
            return
        runners[e.name], warm[e.name] = runner, t
        res.gas_used, res.success = gas, ok

    def timed_run(e: Engine) -> None:
        res = results[e.name]
        if res.error:
            return
        try:
            t, gas, _ = _timed(runners[e.name])
        except Exception as ex:
            res.error = _one_line(f"{type(ex).__name__}: {ex}")
            return
        if gas != res.gas_used:
            res.error = f"gas used changed between runs ({res.gas_used} then {gas}): state leaks across runs"
        res.times.append(t)

    for e in engines:
        why = e.unsupported(case)
        if why is not None:
            results[e.name].skipped = why

    # Fast engines: warm-up, then rounds of one run each, the order rotating.
    fast = [e for e in engines if not e.slow and not results[e.name].skipped]
    for e in fast:
        start(e)
    fast = [e for e in fast if e.name in runners]
    longest = max((warm[e.name] for e in fast), default=0.0)
    reps = opts.repeat if longest <= 0 else \
        int(min(opts.max_repeat, max(opts.repeat, math.ceil(opts.min_time / longest))))
    for r in range(reps if fast else 0):
        k = r % len(fast)
        for e in fast[k:] + fast[:k]:
            timed_run(e)

    # Slow peers (py-evm, 100x slower or more) only after an estimate from
    # cyevm's median and the worst ratio seen so far says they fit the budget.
    base_med = results[BASELINE].median
    for e in engines:
        if not e.slow or results[e.name].skipped:
            continue
        if base_med is not None:
            estimate = base_med * slow_ratio.get(e.name, 1000.0) * (1 + opts.slow_repeat)
            if estimate > opts.peer_budget:
                results[e.name].skipped = f"estimated {estimate:.0f} s > --peer-budget {opts.peer_budget:g} s"
                continue
        start(e)
        if e.name in runners:
            for _ in range(opts.slow_repeat):
                timed_run(e)
        med = results[e.name].median
        if base_med and med:
            slow_ratio[e.name] = max(slow_ratio.get(e.name, 0.0), med / base_med)
    return CaseResult(case.name, results)


def run_bench(cases: Sequence[Case], peers: Sequence[Engine] = (), opts: Optional[BenchOptions] = None,
              progress: Optional[Callable[[int, int, str], None]] = None) -> BenchReport:
    """Time every case in cyevm and each of ``peers``; see the module docstring for the method."""
    opts = opts or BenchOptions()
    engines: List[Engine] = [CyevmEngine()] + [p for p in peers if p.name != BASELINE]
    slow_ratio: Dict[str, float] = {}
    out: List[CaseResult] = []
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), case.name)
        out.append(_bench_case(case, engines, opts, slow_ratio))
    if progress is not None:
        progress(len(cases), len(cases), "")
    return BenchReport([e.name for e in engines], {e.name: e.version() for e in engines}, out)


# --- Output ------------------------------------------------------------------
def _fmt_time(s: Optional[float]) -> str:
    if s is None:
        return "-"
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs")):
        if s >= scale or unit == "µs":
            v = s / scale
            return (f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}") + " " + unit
    return "-"  # pragma: no cover


def _fmt_ratio(r: Optional[float]) -> str:
    if r is None:
        return "-"
    return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"


def _method_line(report: BenchReport) -> str:
    return ("one transaction on a prepared pre-state (setup excluded); median of the timed runs after one "
            "warm-up; ratio = cyevm time / peer time (below 1: cyevm is faster)")


def _header(report: BenchReport) -> str:
    names = [f"{e} {report.versions.get(e, '?')}" for e in report.engines]
    head = names[0] + (" vs " + ", ".join(names[1:]) if len(names) > 1 else "")
    return (f"evm bench: {head} (Python {platform.python_version()}, {os.cpu_count() or '?'} CPUs)\n"
            f"time: {_method_line(report)}")


def format_table(report: BenchReport) -> str:
    """The text report: a row per case, the geometric means, then notes (skips, errors, gas mismatches)."""
    peers = report.peers
    head = ["case", "gas", "cyevm", "min", "Mgas/s", "runs"]
    for p in peers:
        head += [p, "ratio"]
    rows: List[List[str]] = []
    notes: List[str] = []
    for c in report.cases:
        base = c.results[BASELINE]
        mgas = (base.gas_used / base.median / 1e6) if base.gas_used and base.median else None
        row = [c.name, f"{c.gas_used:,}" if c.gas_used is not None else "-",
               _fmt_time(base.median) if not base.error else "error", _fmt_time(base.min),
               f"{mgas:.1f}" if mgas is not None else "-", str(len(base.times))]
        if base.error:
            notes.append(f"! {c.name}: cyevm error: {base.error}")
        for p in peers:
            res = c.results[p]
            if res.skipped:
                row += ["skipped", "-"]
                notes.append(f"- {c.name}: {p} skipped: {res.skipped}")
            elif res.error:
                row += ["error", "-"]
                notes.append(f"! {c.name}: {p} error: {res.error}")
            elif c.mismatch(p):
                row += [_fmt_time(res.median), "GAS!"]
                notes.append(f"! {c.name}: gas mismatch: cyevm {c.gas_used}, {p} {res.gas_used}"
                             " (left out of the geometric mean)")
            else:
                row += [_fmt_time(res.median), _fmt_ratio(c.ratio(p))]
        rows.append(row)
    if peers:
        geo = ["geomean", "", "", "", "", ""]
        for p in peers:
            n = sum(1 for c in report.cases if c.ratio(p) is not None)
            geo += [f"({n} cases)", _fmt_ratio(report.geomean(p))]
        rows.append(geo)
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]

    def line(cells: List[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    out = [_header(report), "", line(head)]
    for i, r in enumerate(rows):
        if peers and i == len(rows) - 1:
            out.append("  ".join("-" * w for w in widths))
        out.append(line(r))
    if notes:
        out.append("")
        out.extend(notes)
    return "\n".join(out) + "\n"


def report_json(report: BenchReport) -> Dict[str, Any]:
    """The ``--json`` object: ``{"cases": [{"name", "gas_used", "time_s", "ratio", …}], "geomean": {…}, …}``.

    ``time_s`` holds median times; ``ratio`` is cyevm / peer per peer that
    ran with the same gas. Extra keys: ``time_min_s``, ``runs``,
    ``mgas_per_s`` (cyevm), and only when they apply ``gas_mismatch``
    (peer -> its gas), ``skipped`` and ``errors`` (engine -> reason).
    """
    cases = []
    for c in report.cases:
        base = c.results[BASELINE]
        obj: Dict[str, Any] = {
            "name": c.name,
            "gas_used": c.gas_used,
            "time_s": {e: c.results[e].median for e in report.engines if c.results[e].times},
            "ratio": {p: c.ratio(p) for p in report.peers if c.ratio(p) is not None},
            "time_min_s": {e: c.results[e].min for e in report.engines if c.results[e].times},
            "runs": {e: len(c.results[e].times) for e in report.engines},
            "mgas_per_s": (base.gas_used / base.median / 1e6) if base.gas_used and base.median else None,
        }
        mism = {p: c.results[p].gas_used for p in report.peers if c.mismatch(p)}
        if mism:
            obj["gas_mismatch"] = mism
        skipped = {e: c.results[e].skipped for e in report.engines if c.results[e].skipped}
        if skipped:
            obj["skipped"] = skipped
        errors = {e: c.results[e].error for e in report.engines if c.results[e].error}
        if errors:
            obj["errors"] = errors
        cases.append(obj)
    return {
        "cases": cases,
        "geomean": {p: report.geomean(p) for p in report.peers},
        "engines": report.versions,
        "method": _method_line(report),
    }


# --- Peak memory (--memory) ------------------------------------------------------
def _child_argv(engine: str, case: str, mode: str, paths: Sequence[str], suite: Optional[str],
                fork: Optional[Fork]) -> List[str]:
    argv = [sys.executable, "-m", "evm.bench", "child", "--engine", engine, "--case", case, "--mode", mode]
    if suite is not None:
        argv += ["--builtin", suite]
    if fork is not None:
        argv += ["--fork", fork.fixture_name]
    return argv + ["--", *paths]


def _run_child(argv: List[str], timeout: float) -> Dict[str, Any]:
    env = dict(os.environ)
    # The child must import the same evm package as this process.
    pkg_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = pkg_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:g} s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": _one_line(f"child exited {proc.returncode}: {tail}")}
    return json.loads(lines[-1])


def measure_memory(cases: Sequence[Case], peers: Sequence[Engine], paths: Sequence[str],
                   suite: Optional[str], fork: Optional[Fork], opts: Optional[BenchOptions] = None,
                   progress: Optional[Callable[[int, int, str], None]] = None) -> Dict[str, Any]:
    """Peak resident memory of one run of each case, per engine, each in a fresh child process.

    For every case and engine two children run: one sets the case up only
    (imports, pre-state, and one trivial transaction so that lazy imports
    count there), the other also runs the case's transaction once; each
    reports its ``ru_maxrss``. Returns the ``--memory --json`` object:
    ``{"cases": [{"name", "gas_used", "peak_rss_mib": {engine: MiB}, "setup_rss_mib": {...},
    "skipped"?, "errors"?}], "engines": {...}}``.
    """
    opts = opts or BenchOptions()
    engines: List[Engine] = [CyevmEngine()] + [p for p in peers if p.name != BASELINE]
    out = []
    for i, case in enumerate(cases):
        if progress is not None:
            progress(i, len(cases), case.name)
        row: Dict[str, Any] = {"name": case.name, "gas_used": None, "peak_rss_mib": {}, "setup_rss_mib": {}}
        skipped: Dict[str, str] = {}
        errors: Dict[str, str] = {}
        base_time: Optional[float] = None
        for e in engines:
            why = e.unsupported(case)
            if why is None and e.slow and base_time is not None:
                estimate = base_time * 1000.0
                if estimate > opts.peer_budget:
                    why = f"estimated {estimate:.0f} s > --peer-budget {opts.peer_budget:g} s"
            if why is not None:
                skipped[e.name] = why
                continue
            setup = _run_child(_child_argv(e.name, case.name, "setup", paths, suite, fork), 600)
            run = _run_child(_child_argv(e.name, case.name, "run", paths, suite, fork), 3600)
            if "error" in setup or "error" in run:
                errors[e.name] = setup.get("error") or run.get("error")
                continue
            row["peak_rss_mib"][e.name] = run["maxrss_kib"] / 1024
            row["setup_rss_mib"][e.name] = setup["maxrss_kib"] / 1024
            if e.name == BASELINE:
                row["gas_used"] = run["gas_used"]
                base_time = run["time_s"]
            elif row["gas_used"] is not None and run["gas_used"] != row["gas_used"]:
                row.setdefault("gas_mismatch", {})[e.name] = run["gas_used"]
        if skipped:
            row["skipped"] = skipped
        if errors:
            row["errors"] = errors
        out.append(row)
    if progress is not None:
        progress(len(cases), len(cases), "")
    return {"cases": out, "engines": {e.name: e.version() for e in engines},
            "method": "peak RSS (ru_maxrss) of a fresh child process that sets the case up, runs one trivial "
                      "transaction (lazy imports) and then the case once; setup = the same child without the case's run"}


def format_memory_table(result: Dict[str, Any]) -> str:
    """The text form of :func:`measure_memory`'s result."""
    engines = list(result["engines"])
    head = ["case", "gas"] + [f"{e} MiB" for e in engines] + [f"{e} setup" for e in engines]
    rows, notes = [], []
    for c in result["cases"]:
        row = [c["name"], f"{c['gas_used']:,}" if c.get("gas_used") is not None else "-"]
        row += [f"{c['peak_rss_mib'][e]:.1f}" if e in c["peak_rss_mib"] else "-" for e in engines]
        row += [f"{c['setup_rss_mib'][e]:.1f}" if e in c["setup_rss_mib"] else "-" for e in engines]
        rows.append(row)
        for e, why in (c.get("skipped") or {}).items():
            notes.append(f"- {c['name']}: {e} skipped: {why}")
        for e, why in (c.get("errors") or {}).items():
            notes.append(f"! {c['name']}: {e} error: {why}")
        for e, gas in (c.get("gas_mismatch") or {}).items():
            notes.append(f"! {c['name']}: gas mismatch: cyevm {c['gas_used']}, {e} {gas}")
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    lines = [f"evm bench --memory: {', '.join(f'{e} {v}' for e, v in result['engines'].items())}",
             f"memory: {result['method']}", ""]
    for r in [head] + rows:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def _child_main(argv: Sequence[str]) -> int:
    """``python -m evm.bench child --engine E --case NAME --mode setup|run [--builtin S] [--fork F] -- PATH...``"""
    import argparse
    import resource

    from .forks import fork_from_name

    ap = argparse.ArgumentParser(prog="python -m evm.bench child")
    ap.add_argument("--engine", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--mode", choices=("setup", "run"), required=True)
    ap.add_argument("--builtin")
    ap.add_argument("--fork")
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args(list(argv))
    fork = fork_from_name(args.fork) if args.fork else None
    cases = [c for c in load_cases(args.paths, args.builtin, fork) if c.name == args.case]
    if not cases:
        sys.stderr.write(f"no case named {args.case!r}\n")
        return 2
    engine = get_engine(args.engine)
    # One trivial transaction first, in both modes, so that what an engine
    # loads lazily on its first transaction is part of the baseline.
    warm = engine.prepare(next(c for c in builtin_cases("main") if c.name == "call/trivial"))
    warm.setup()
    warm.run()
    warm.finish()
    runner = engine.prepare(cases[0])
    runner.setup()
    gas, elapsed = None, None
    if args.mode == "run":
        t0 = time.perf_counter()
        runner.run()
        elapsed = time.perf_counter() - t0
        gas, _ = runner.finish()
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    if sys.platform == "darwin":  # pragma: no cover - bytes there
        maxrss //= 1024
    sys.stdout.write(json.dumps({"maxrss_kib": maxrss, "gas_used": gas, "time_s": elapsed}) + "\n")
    return 0


# --- The command ---------------------------------------------------------------
class _Progress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = bool(getattr(stream, "isatty", lambda: False)())

    def __call__(self, i: int, n: int, name: str) -> None:
        if not self.enabled:
            return
        if i >= n:
            self.stream.write("\r\x1b[K")
        else:
            self.stream.write(f"\r\x1b[K[{i + 1}/{n}] {name}")
        self.stream.flush()


def run_command(args: Any, stdout: TextIO, stderr: TextIO) -> int:
    """Carry out ``evm bench`` from parsed arguments (see ``evm.cli``); return the exit status.

    Raises :class:`BenchError` for a usage problem (exit status 2).
    """
    peers: List[Engine] = []
    if args.compare:
        names = [n for n in args.compare.split(",") if n.strip()]
        if not names:
            raise BenchError("--compare needs peer names, e.g. --compare pyrevm,py-evm")
        for n in names:
            e = get_engine(n)
            if e.name != BASELINE and e.name not in [p.name for p in peers]:
                peers.append(e)
    cases = load_cases(args.paths, args.builtin, args.fork, args.run)
    if args.list:
        for c in cases:
            stdout.write(f"{c.name}\t{c.fork.fixture_name}\n")
        return 0
    if not cases:
        raise BenchError("no case to run (check the paths and --run)")
    opts = BenchOptions(repeat=max(1, args.repeat), min_time=args.min_time,
                        slow_repeat=max(1, getattr(args, "slow_repeat", 1)), peer_budget=args.peer_budget)
    progress = _Progress(stderr)
    if args.memory:
        suite = args.builtin if args.builtin is not None or args.paths else "main"
        result = measure_memory(cases, peers, args.paths, suite, args.fork, opts, progress)
        if args.json:
            stdout.write(json.dumps(result, indent=2) + "\n")
        else:
            stdout.write(format_memory_table(result))
        bad = sum(len(c.get("errors") or {}) + len(c.get("gas_mismatch") or {}) for c in result["cases"])
        return 1 if bad else 0
    report = run_bench(cases, peers, opts, progress)
    if args.json:
        stdout.write(json.dumps(report_json(report), indent=2) + "\n")
    else:
        stdout.write(format_table(report))
    return 1 if report.problems else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        raise SystemExit(_child_main(sys.argv[2:]))
    sys.stderr.write("usage: evm bench ... (python -m evm.bench is only the --memory child)\n")
    raise SystemExit(2)
