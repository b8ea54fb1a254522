"""The engines ``evm bench`` times: cyevm (``EVM.transact``, and ``apply_transaction``
as ``cyevm-apply``), pyrevm and py-evm, each behind the same :class:`Runner`
protocol (``setup`` and ``finish`` untimed, ``run`` timed).

Peers are optional (``pip install 'cyevm[bench]'``): :func:`get_engine`
says, as a :class:`~evm.bench.cases.BenchError`, when one is missing.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Dict, Optional, Tuple

from ..env import BlockEnv
from ..forks import Fork
from ..state import State
from ..transaction import Transaction
from ..workloads import Case
from .cases import BenchError

__all__ = [
    "BASELINE",
    "Runner",
    "Engine",
    "CyevmEngine",
    "CyevmApplyEngine",
    "PyrevmEngine",
    "PyEvmEngine",
    "ENGINES",
    "PEER_ALIASES",
    "get_engine",
]

#: The engine every peer is compared with.
BASELINE = "cyevm"


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
        from .. import __version__

        return __version__
    return "?"


class _CyevmRunner(Runner):
    """``EVM(state).transact(tx)``: a machine holding the pre-state, made before the timer starts."""

    def __init__(self, case: Case) -> None:
        from ..machine import EVM

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
        from ..executor import apply_transaction

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
