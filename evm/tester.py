"""``CyEVMBackend``: an eth-tester chain backend that runs on cyevm.

eth-tester's ``EthereumTester`` (and with it web3.py's
``EthereumTesterProvider``) talks to a *chain backend*; this one keeps a
single long-lived :class:`evm.machine.EVM` as the state of the pending
block, builds blocks, receipts and roots with :mod:`evm.blocks`, and uses
the machine's journal snapshots for ``take_snapshot``/``revert_to_snapshot``::

    from eth_tester import EthereumTester
    from web3 import Web3, EthereumTesterProvider
    from evm.tester import CyEVMBackend, web3_api_endpoints

    w3 = Web3(EthereumTesterProvider(EthereumTester(CyEVMBackend()),
                                     api_endpoints=web3_api_endpoints()))

``ETHEREUM_TESTER_CHAIN_BACKEND=evm.tester.CyEVMBackend`` makes it the
backend of a plain ``EthereumTester()``.

How it works. The pending block's transactions run on the live machine as
they are sent. Mining commits the machine's changes to the database (a
:class:`~evm.state.State` holding the state after the latest block), keeps
per block what it overwrote (so any earlier block's state can be read back
without a copy of the state per block), and builds the header: state root (from a cache of
account leaves, only changed accounts recomputed), transactions and
receipts roots, bloom, EIP-1559 base fee, EIP-4844 excess blob gas, EIP-4895
withdrawals and EIP-7685 requests. ``call`` runs in an anchor on the
machine, ``estimate_gas`` is :meth:`EVM.estimate_gas` plus the intrinsic
gas. Forks: Byzantium to Osaka (default: the newest, Osaka).

Differences from eth-tester's py-evm backend: a snapshot is the exact
state (pending transactions included), and reverting to a snapshot forgets
the snapshots taken after it; blobs of a blob transaction are checked
against their versioned hashes (commitment hashes) but KZG proofs are not
verified; the EIP-4788/2935/7002/7251 system calls run only when those
contracts have code (a tester genesis has none, so a block has no requests
from them).
"""
from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

try:
    from eth_tester.backends.base import BaseChainBackend
    from eth_tester.exceptions import (
        BlockNotFound,
        SnapshotNotFound,
        TransactionFailed,
        TransactionNotFound,
        ValidationError,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "evm.tester needs eth-tester (and eth-keys/eth-account): pip install 'cyevm[tester]'"
    ) from exc

from .blocks.block import receipts_root, withdrawals_root
from .blocks.header import (
    EMPTY_OMMER_HASH,
    INITIAL_BASE_FEE,
    ZERO_HASH,
    Header,
    calculate_base_fee_per_gas,
    calculate_block_difficulty,
    calculate_excess_blob_gas,
)
from .blocks.chain import block_reward
from .blocks.receipts import Receipt, logs_bloom
from .blocks.system import (
    BEACON_ROOTS_ADDRESS,
    CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
    CONSOLIDATION_REQUEST_TYPE,
    DEPOSIT_REQUEST_TYPE,
    HISTORY_STORAGE_ADDRESS,
    SYSTEM_ADDRESS,
    SYSTEM_TRANSACTION_GAS,
    WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
    WITHDRAWAL_REQUEST_TYPE,
    compute_requests_hash,
    parse_deposit_requests,
)
from .blocks.block import Withdrawal
from .crypto import keccak256
from .env import BlockEnv
from .executor import Log, compute_contract_address
from .forks import Fork
from .machine import EVM, MAX_GAS, as_fork, bisect_gas, decode_revert
from .rlp import encode as rlp_encode
from .signed_transaction import SignedTransaction, check_signed_transaction, decode_transaction
from .state import EMPTY_CODE_HASH, Account, State, to_address
from .tracing import EIP3155Tracer
from .transaction import (
    TX_MAX_GAS_LIMIT,
    Authorization,
    InvalidTransaction,
    Transaction,
    calculate_intrinsic_cost,
    calculate_total_blob_gas,
    max_blob_gas_per_block,
)
from .rlp import _length_prefix
from .trie import EMPTY_TRIE_ROOT, _root_of_hex, storage_root, trie_root

__all__ = [
    "CyEVMBackend",
    "ExecutionFailed",
    "default_account_keys",
    "account_keys_from_mnemonic",
    "web3_api_endpoints",
    "DEFAULT_CHAIN_ID",
    "DEFAULT_FORK",
]

#: The chain id eth-tester's py-evm backend uses, and the one web3.py's
#: tester provider answers to ``eth_chainId``.
DEFAULT_CHAIN_ID = 131277322940537
#: The genesis gas limit of eth-tester's py-evm backend (kept constant).
GENESIS_GAS_LIMIT = 30029122
#: The fork of a new backend: the newest cyevm supports.
DEFAULT_FORK = max(Fork)
#: Each test account's genesis balance: 1,000,000 ether.
DEFAULT_BALANCE = 10**24
ZERO_ADDRESS = b"\x00" * 20
_GWEI = 10**9
_LATEST_TAGS = ("latest", "safe", "finalized")


def _validator_knows_requests_hash() -> bool:
    """Whether this eth-tester accepts a block's ``requests_hash`` (0.13 on; 0.12's validator refuses it)."""
    try:
        from eth_tester.validation.outbound import BLOCK_VALIDATORS
    except ImportError:  # pragma: no cover - another layout: assume a recent eth-tester
        return True
    return "requests_hash" in BLOCK_VALIDATORS


_SERVES_REQUESTS_HASH = _validator_knows_requests_hash()


class ExecutionFailed(TransactionFailed):
    """A call or gas estimate that reverted or halted: eth-tester's
    ``TransactionFailed`` with the details. ``args[0]`` is the reason as
    eth-tester's backends give it (the ``Error(string)`` message, else the
    revert data as a bytes literal, else the halt's name); ``data`` is the
    revert data and ``error`` the execution specs' name of the failure."""

    def __init__(self, message: str, data: bytes, error: str) -> None:
        super().__init__(message)
        self.data = data
        self.error = error


def _failure(error: str, output: bytes) -> ExecutionFailed:
    """The ExecutionFailed of a call that ended with ``error`` and ``output``."""
    if error == "Revert":
        reason = decode_revert(output)
        if reason is not None and output[:4] == bytes.fromhex("08c379a0"):
            return ExecutionFailed(reason, output, error)
        # web3's tester provider parses panics and CCIP lookups from this form
        return ExecutionFailed(str(bytes(output)), output, error)
    return ExecutionFailed(error, b"", error)


# -- keys and genesis ------------------------------------------------------------------
def default_account_keys(quantity: Optional[int] = None) -> Tuple[Any, ...]:
    """The test keys of eth-tester: private keys 1, 2, ... ``quantity`` (default 10)."""
    from eth_keys import keys

    return tuple(keys.PrivateKey(i.to_bytes(32, "big")) for i in range(1, (quantity or 10) + 1))


def account_keys_from_mnemonic(mnemonic: str, quantity: Optional[int] = None,
                               hd_path: Optional[str] = None) -> Tuple[Any, ...]:
    """``quantity`` keys (default 10) derived from ``mnemonic`` along
    ``hd_path/i`` (default ``m/44'/60'/0'``), as eth-tester derives them."""
    from eth_account.hdaccount import HDPath, seed_from_mnemonic
    from eth_keys import keys

    seed = seed_from_mnemonic(mnemonic, "")
    path = hd_path or "m/44'/60'/0'"
    return tuple(keys.PrivateKey(HDPath(f"{path}/{i}").derive(seed)) for i in range(quantity or 10))


def _default_account_state(overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    state: Dict[str, Any] = {"balance": DEFAULT_BALANCE, "storage": {}, "code": b"", "nonce": 0}
    for name, value in (overrides or {}).items():
        if name not in state:
            raise ValueError(f"unknown genesis account field {name!r} (known: {sorted(state)})")
        state[name] = value
    return state


def _default_genesis_params(overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    params: Dict[str, Any] = {
        "coinbase": ZERO_ADDRESS, "difficulty": 0, "extra_data": b"", "gas_limit": GENESIS_GAS_LIMIT,
        "mix_hash": ZERO_HASH, "nonce": b"\x00" * 8, "timestamp": int(time.time()),
        "base_fee_per_gas": INITIAL_BASE_FEE,
        # accepted for compatibility with eth-tester's parameters; the roots are computed
        "receipt_root": EMPTY_TRIE_ROOT, "transaction_root": EMPTY_TRIE_ROOT,
    }
    for name, value in (overrides or {}).items():
        if name not in params:
            raise ValueError(f"unknown genesis parameter {name!r} (known: {sorted(params)})")
        params[name] = value
    return params


# -- records ------------------------------------------------------------------------------
@dataclass
class _TxRecord:
    """One included transaction and what it did."""

    stx: SignedTransaction
    tx: Transaction
    raw: bytes  # the canonical encoding (hashed, in the transactions trie and the block)
    hash: bytes
    index: int
    success: bool
    gas_used: int
    cumulative_gas_used: int
    logs: List[Log]
    first_log_index: int
    effective_gas_price: int
    blob_gas_used: int
    blob_gas_price: int
    output: bytes = b""
    block: Optional["_BlockRecord"] = None  # None while pending


@dataclass
class _Pending:
    """The block being filled: its environment and transactions so far."""

    env: BlockEnv
    difficulty: int
    txs: List[_TxRecord] = field(default_factory=list)
    gas_used: int = 0
    blob_gas_used: int = 0
    n_logs: int = 0
    withdrawals: List[Withdrawal] = field(default_factory=list)
    system_calls: bool = False  # whether EIP-4788/2935 calls changed the state at its start

    def copy(self) -> "_Pending":
        return _Pending(self.env, self.difficulty, list(self.txs), self.gas_used, self.blob_gas_used,
                        self.n_logs, list(self.withdrawals), self.system_calls)

    @property
    def untouched(self) -> bool:
        """Whether the state is still the latest block's."""
        return not self.txs and not self.system_calls


#: Per block, what it overwrote: address -> (prior (nonce, balance, code) or
#: None, prior values of the slots it wrote or None, the whole prior storage
#: when the block replaced or deleted it, else None).
_Undo = Dict[bytes, Tuple[Optional[Tuple[int, int, bytes]], Optional[Dict[int, int]], Optional[Dict[int, int]]]]


@dataclass
class _BlockRecord:
    """A mined block."""

    header: Header
    env: BlockEnv
    txs: List[_TxRecord]
    withdrawals: Optional[List[Withdrawal]]
    undo: _Undo
    total_difficulty: int
    hash: bytes = b""
    serialized: Dict[bool, Dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.hash = self.header.hash


class _StateAt:
    """The state after block ``number``: the database (state after the latest
    block) with the undo records of the later blocks applied. A Database."""

    def __init__(self, backend: "CyEVMBackend", number: int) -> None:
        self._db = backend._db
        self._undos = [b.undo for b in backend._blocks[number + 1:]]
        self._hashes = [b.hash for b in backend._blocks[:number + 1]]
        self._cache: Dict[bytes, Optional[Account]] = {}

    def get_account(self, address: bytes) -> Optional[Account]:
        """The account at ``address`` in that state, or None."""
        if address in self._cache:
            return self._cache[address]
        current = self._db.accounts.get(address)
        fields = (current.nonce, current.balance, current.code) if current is not None else None
        storage = current.storage if current is not None else {}
        copied = False
        for undo in reversed(self._undos):  # newest first: the oldest prior value wins
            entry = undo.get(address)
            if entry is None:
                continue
            fields, slots, whole = entry
            if whole is not None:
                storage, copied = dict(whole), True
                continue
            if not copied:
                storage, copied = dict(storage), True
            for key, value in (slots or {}).items():
                if value:
                    storage[key] = value
                else:
                    storage.pop(key, None)
        account = None if fields is None else Account(fields[0], fields[1], fields[2], dict(storage))
        self._cache[address] = account
        return account

    def get_storage(self, address: bytes, key: int) -> int:
        """Storage slot ``key`` of ``address`` in that state."""
        account = self.get_account(address)
        return account.storage.get(key, 0) if account is not None else 0

    def get_block_hash(self, number: int) -> bytes:
        """The hash of block ``number`` (zero if it is not an ancestor)."""
        return self._hashes[number] if 0 <= number < len(self._hashes) else ZERO_HASH


# -- the backend ------------------------------------------------------------------------
class CyEVMBackend(BaseChainBackend):
    """An eth-tester chain backend executing on cyevm.

    Args:
        genesis_parameters: overrides of the genesis header values (as
            eth-tester's ``generate_genesis_params``: ``gas_limit``,
            ``timestamp``, ``coinbase``, ``extra_data``, ``base_fee_per_gas`` ...).
        genesis_state: ``{address: {"balance", "nonce", "code", "storage"}}``;
            default: the test accounts, each with 1,000,000 ether.
        fork: a :class:`~evm.forks.Fork` or fork name, Byzantium on
            (default :data:`DEFAULT_FORK`: the newest cyevm supports, Osaka).
        mnemonic, hd_path: derive the test keys from a mnemonic.
        chain_id: the chain id (default eth-tester's, 131277322940537).
        num_accounts: how many test accounts (default 10).
    """

    def __init__(self, genesis_parameters: Optional[Dict[str, Any]] = None,
                 genesis_state: Optional[Dict[bytes, Dict[str, Any]]] = None,
                 fork: Any = DEFAULT_FORK, mnemonic: Optional[str] = None, hd_path: Optional[str] = None,
                 *, chain_id: int = DEFAULT_CHAIN_ID, num_accounts: Optional[int] = None) -> None:
        fork = as_fork(fork)
        if fork < Fork.BYZANTIUM:
            raise ValueError(f"CyEVMBackend supports Byzantium to Osaka, not {fork.fixture_name} "
                             "(earlier receipts hold intermediate state roots)")
        if not isinstance(chain_id, int) or isinstance(chain_id, bool) or not 0 < chain_id < 2**64:
            raise ValueError(f"chain_id must be a positive 64-bit int, got {chain_id!r}")
        self.fork = fork
        self.chain_id = chain_id
        self._genesis_args = (genesis_parameters, genesis_state, mnemonic, hd_path, num_accounts)
        self.reset_to_genesis()

    # -- genesis ------------------------------------------------------------------------
    @classmethod
    def generate_genesis_params(cls, overrides: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        """The default genesis parameters with ``overrides`` applied."""
        return _default_genesis_params(overrides)

    @classmethod
    def generate_genesis_state(cls, overrides: Optional[Dict[str, Any]] = None, num_accounts: Optional[int] = None,
                               mnemonic: Optional[str] = None, hd_path: Optional[str] = None
                               ) -> Dict[bytes, Dict[str, Any]]:
        """A genesis state funding the test accounts (``overrides`` change each
        account's ``balance``/``nonce``/``code``/``storage``)."""
        keys = account_keys_from_mnemonic(mnemonic, num_accounts, hd_path) if mnemonic \
            else default_account_keys(num_accounts)
        return {k.public_key.to_canonical_address(): _default_account_state(overrides) for k in keys}

    @classmethod
    def from_mnemonic(cls, mnemonic: str, genesis_state_overrides: Optional[Dict[str, Any]] = None,
                      num_accounts: Optional[int] = None, genesis_parameters: Optional[Dict[str, Any]] = None,
                      fork: Any = DEFAULT_FORK, hd_path: Optional[str] = None, **kwargs: Any) -> "CyEVMBackend":
        """A backend whose test accounts derive from ``mnemonic``."""
        state = cls.generate_genesis_state(genesis_state_overrides or {}, num_accounts, mnemonic, hd_path)
        return cls(genesis_parameters, state, fork, mnemonic, hd_path, num_accounts=num_accounts, **kwargs)

    def reset_to_genesis(self) -> None:
        """Start again from the genesis block (the keys added since are dropped)."""
        params, state, mnemonic, hd_path, num_accounts = self._genesis_args
        if state:
            num_accounts = len(state)
        self.account_keys = account_keys_from_mnemonic(mnemonic, num_accounts, hd_path) if mnemonic \
            else default_account_keys(num_accounts)
        if state is None:
            state = self.generate_genesis_state(num_accounts=num_accounts, mnemonic=mnemonic, hd_path=hd_path)
        self._keys: Dict[bytes, Any] = {}
        for key in self.account_keys:
            self._add_key(key)
        db = State()
        for address, fields in state.items():
            f = _default_account_state(fields)
            code = f["code"]
            if isinstance(code, str):
                code = bytes.fromhex(code[2:] if code[:2] in ("0x", "0X") else code)
            try:
                db.accounts[to_address(address)] = Account(f["nonce"], f["balance"], bytes(code), dict(f["storage"]))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"genesis account {address!r}: {exc}") from None
        self._db = db
        # state-trie leaves by address: (keccak(address) as hex, leaf RLP)
        self._leaves: Dict[bytes, Tuple[str, bytes]] = {a: (keccak256(a).hex(), self._leaf(acct))
                                                        for a, acct in db.accounts.items()}
        p = _default_genesis_params(params)
        fork = self.fork
        header = Header(
            coinbase=bytes(p["coinbase"]), state_root=_root_of_hex(self._leaves.values()),
            difficulty=p["difficulty"] if fork >= Fork.PARIS else max(p["difficulty"], 131072),
            number=0, gas_limit=p["gas_limit"], timestamp=p["timestamp"], extra_data=bytes(p["extra_data"]),
            prev_randao=bytes(p["mix_hash"]), nonce=bytes(p["nonce"]),
            base_fee_per_gas=p["base_fee_per_gas"] if fork >= Fork.LONDON else None,
            withdrawals_root=withdrawals_root([]) if fork >= Fork.SHANGHAI else None,
            blob_gas_used=0 if fork >= Fork.CANCUN else None,
            excess_blob_gas=0 if fork >= Fork.CANCUN else None,
            parent_beacon_block_root=ZERO_HASH if fork >= Fork.CANCUN else None,
            requests_hash=compute_requests_hash([]) if fork >= Fork.PRAGUE else None,
        )
        genesis = _BlockRecord(header, self._env_of(header), [], [] if fork >= Fork.SHANGHAI else None, {},
                               header.difficulty)
        self._blocks: List[_BlockRecord] = [genesis]
        self._by_hash: Dict[bytes, _BlockRecord] = {genesis.hash: genesis}
        self._tx_index: Dict[bytes, _TxRecord] = {}
        self._evm = EVM(db=db, fork=fork, env=genesis.env)
        self._evm.set_block_hash(0, genesis.hash)
        self._open_pending()

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _leaf(account: Account) -> bytes:
        """The state-trie leaf of ``account``."""
        code = account.code
        return rlp_encode([account.nonce, account.balance, storage_root(account.storage),
                           keccak256(code) if code else EMPTY_CODE_HASH])

    def _env_of(self, header: Header) -> BlockEnv:
        fork = self.fork
        return BlockEnv(
            coinbase=header.coinbase, number=header.number, timestamp=header.timestamp,
            gas_limit=header.gas_limit, base_fee=header.base_fee_per_gas if fork >= Fork.LONDON else None,
            prev_randao=header.prev_randao, difficulty=header.difficulty,
            excess_blob_gas=header.excess_blob_gas if fork >= Fork.CANCUN else None,
            chain_id=self.chain_id, parent_beacon_block_root=header.parent_beacon_block_root,
        )

    @property
    def _latest(self) -> _BlockRecord:
        return self._blocks[-1]

    def _has_code(self, evm: EVM, address: bytes) -> bool:
        return bool(evm.get_code(address))

    def _open_system_calls(self, evm: EVM, env: BlockEnv, parent_hash: bytes) -> bool:
        """EIP-4788 and EIP-2935 at the start of a block, when their contracts
        exist; whether any ran."""
        ran = False
        if self.fork >= Fork.CANCUN and self._has_code(evm, BEACON_ROOTS_ADDRESS):
            evm.message_call(SYSTEM_ADDRESS, BEACON_ROOTS_ADDRESS, env.parent_beacon_block_root or ZERO_HASH,
                             gas=SYSTEM_TRANSACTION_GAS)
            ran = True
        if self.fork >= Fork.PRAGUE and self._has_code(evm, HISTORY_STORAGE_ADDRESS):
            evm.message_call(SYSTEM_ADDRESS, HISTORY_STORAGE_ADDRESS, parent_hash, gas=SYSTEM_TRANSACTION_GAS)
            ran = True
        return ran

    def _open_pending(self, timestamp: Optional[int] = None) -> None:
        """Start the block after the latest one (its environment goes to the machine)."""
        parent = self._latest.header
        fork = self.fork
        number = parent.number + 1
        ts = timestamp if timestamp is not None else max(parent.timestamp + 1, int(time.time()))
        base_fee = None
        if fork >= Fork.LONDON:
            base_fee = INITIAL_BASE_FEE if parent.base_fee_per_gas is None else calculate_base_fee_per_gas(
                parent.gas_limit, parent.gas_limit, parent.gas_used, parent.base_fee_per_gas)
        difficulty = 0 if fork >= Fork.PARIS else calculate_block_difficulty(fork, number, ts, parent)
        env = BlockEnv(
            coinbase=ZERO_ADDRESS, number=number, timestamp=ts, gas_limit=parent.gas_limit, base_fee=base_fee,
            # a PREVRANDAO that differs per block, deterministically
            prev_randao=keccak256(b"cyevm.tester prevrandao" + parent.hash) if fork >= Fork.PARIS else ZERO_HASH,
            difficulty=difficulty,
            excess_blob_gas=calculate_excess_blob_gas(parent, fork) if fork >= Fork.CANCUN else None,
            chain_id=self.chain_id, parent_beacon_block_root=ZERO_HASH if fork >= Fork.CANCUN else None,
        )
        self._evm.env = env
        self._pending = _Pending(env, difficulty)
        self._pending.system_calls = self._open_system_calls(self._evm, env, parent.hash)

    def _block_id(self, block_number: Any) -> Union[int, str]:
        """A mined block number, or "pending"; BlockNotFound otherwise."""
        if block_number in _LATEST_TAGS:
            return self._latest.header.number
        if block_number == "earliest":
            return 0
        if block_number == "pending":
            return "pending"
        if isinstance(block_number, int) and not isinstance(block_number, bool) \
                and 0 <= block_number <= self._latest.header.number:
            return block_number
        raise BlockNotFound(f"No block found for block number: {block_number}")

    # -- snapshots ------------------------------------------------------------------------
    def take_snapshot(self) -> Tuple[int, int, _Pending]:
        """A snapshot of the exact current state (pending transactions included)."""
        return (self._evm.snapshot(), len(self._blocks), self._pending.copy())

    def revert_to_snapshot(self, snapshot: Tuple[int, int, _Pending]) -> None:
        """Return to ``snapshot`` (a value from :meth:`take_snapshot`): the machine
        reverts through its journal, later blocks are dropped. Snapshots taken
        after ``snapshot`` are forgotten."""
        try:
            sid, n_blocks, pending = snapshot
            self._evm.revert(sid)
        except (TypeError, ValueError) as exc:
            raise SnapshotNotFound(f"unknown or discarded snapshot: {exc}") from None
        changed = set()
        for block in self._blocks[n_blocks:]:
            del self._by_hash[block.hash]
            changed.update(block.undo)
            for rec in block.txs:
                self._tx_index.pop(rec.hash, None)
        for rec in self._pending.txs:
            self._tx_index.pop(rec.hash, None)
        del self._blocks[n_blocks:]
        for address in changed:  # the database is back; so must be its leaves
            acct = self._db.accounts.get(address)
            if acct is None:
                self._leaves.pop(address, None)
            else:
                self._leaves[address] = (keccak256(address).hex(), self._leaf(acct))
        self._pending = pending.copy()
        for rec in self._pending.txs:
            rec.block = None
            self._tx_index[rec.hash] = rec
        self._evm.env = self._pending.env

    # -- time and mining ---------------------------------------------------------------
    def time_travel(self, to_timestamp: int) -> int:
        """Mine the pending block; the next one has timestamp ``to_timestamp``."""
        if to_timestamp <= self._pending.env.timestamp:
            raise ValidationError(f"cannot travel to {to_timestamp}: the pending block is at "
                                  f"{self._pending.env.timestamp}")
        self._mine_one(ZERO_ADDRESS, next_timestamp=to_timestamp)
        return to_timestamp

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = ZERO_ADDRESS) -> Tuple[bytes, ...]:
        """Mine the pending block and ``num_blocks - 1`` empty ones; their hashes."""
        return tuple(self._mine_one(bytes(coinbase)) for _ in range(num_blocks))

    def apply_withdrawals(self, withdrawals_list: Sequence[Dict[str, Any]]) -> None:
        """Mine a block that credits EIP-4895 withdrawals (``amount`` in gwei)."""
        from eth_tester.validation.inbound import validate_inbound_withdrawals

        validate_inbound_withdrawals(withdrawals_list)
        if self.fork < Fork.SHANGHAI:
            raise ValidationError("Withdrawals are only supported after the Shanghai fork")
        from eth_utils import to_canonical_address

        for w in withdrawals_list:
            withdrawal = Withdrawal(w["index"], w["validator_index"], to_canonical_address(w["address"]),
                                    w["amount"])
            self._pending.withdrawals.append(withdrawal)
            self._evm.set_balance(withdrawal.address,
                                  self._evm.get_balance(withdrawal.address) + withdrawal.amount * _GWEI)
        self._mine_one(ZERO_ADDRESS)

    def _mine_one(self, coinbase: bytes, next_timestamp: Optional[int] = None) -> bytes:
        p = self._pending
        evm = self._evm
        fork = self.fork
        if coinbase != p.env.coinbase:
            # The transactions paid their priority fees to the pending block's
            # coinbase: move them to the miner's.
            fees = 0
            base_fee = p.env.base_fee_per_gas(fork)
            for rec in p.txs:
                fees += rec.gas_used * (rec.effective_gas_price - base_fee)
            if fees:
                evm.set_balance(p.env.coinbase, evm.get_balance(p.env.coinbase) - fees)
                evm.set_balance(coinbase, evm.get_balance(coinbase) + fees)
            p.env = BlockEnv(**{**p.env.__dict__, "coinbase": coinbase})
        if fork < Fork.PARIS:
            evm.set_balance(coinbase, evm.get_balance(coinbase) + block_reward(fork))
        logs = [log for rec in p.txs for log in rec.logs]
        requests: List[bytes] = []
        if fork >= Fork.PRAGUE:
            deposits = parse_deposit_requests(logs)
            if deposits:
                requests.append(DEPOSIT_REQUEST_TYPE + deposits)
            for request_type, target in ((WITHDRAWAL_REQUEST_TYPE, WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS),
                                         (CONSOLIDATION_REQUEST_TYPE, CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS)):
                if self._has_code(evm, target):
                    out = evm.message_call(SYSTEM_ADDRESS, target, b"", gas=SYSTEM_TRANSACTION_GAS).output
                    if out:
                        requests.append(request_type + bytes(out))

        # what the block overwrote, then the commit, then the changed leaves
        # (the machine's change set, read without clearing it: commit() writes it)
        changes = evm._vm.changes(False)
        accounts = self._db.accounts
        undo: _Undo = {}
        for address, change in changes.items():
            prior = accounts.get(address)
            fields = (prior.nonce, prior.balance, prior.code) if prior is not None else None
            prior_storage = prior.storage if prior is not None else {}
            if change is None or change[4]:
                undo[address] = (fields, None, dict(prior_storage))
            else:
                undo[address] = (fields, {k: prior_storage.get(k, 0) for k in change[3]}, None)
        evm.commit()
        for address in changes:
            acct = accounts.get(address)
            if acct is None:
                self._leaves.pop(address, None)
            else:
                self._leaves[address] = (keccak256(address).hex(), self._leaf(acct))
        parent = self._latest
        state_root = _root_of_hex(self._leaves.values()) if changes else parent.header.state_root

        receipts = [Receipt(rec.stx.tx_type, rec.success, rec.cumulative_gas_used, rec.logs) for rec in p.txs]
        env = p.env
        header = Header(
            parent_hash=parent.hash, ommers_hash=EMPTY_OMMER_HASH, coinbase=env.coinbase,
            state_root=state_root, transactions_root=_transactions_root(p.txs),
            receipt_root=receipts_root(receipts), bloom=logs_bloom(logs), difficulty=p.difficulty,
            number=env.number, gas_limit=env.gas_limit, gas_used=p.gas_used, timestamp=env.timestamp,
            extra_data=b"", prev_randao=env.prev_randao, nonce=b"\x00" * 8,
            base_fee_per_gas=env.base_fee if fork >= Fork.LONDON else None,
            withdrawals_root=withdrawals_root(p.withdrawals) if fork >= Fork.SHANGHAI else None,
            blob_gas_used=p.blob_gas_used if fork >= Fork.CANCUN else None,
            excess_blob_gas=env.excess_blob_gas if fork >= Fork.CANCUN else None,
            parent_beacon_block_root=env.parent_beacon_block_root if fork >= Fork.CANCUN else None,
            requests_hash=compute_requests_hash(requests) if fork >= Fork.PRAGUE else None,
        )
        block = _BlockRecord(header, env, p.txs, p.withdrawals if fork >= Fork.SHANGHAI else None, undo,
                             parent.total_difficulty + p.difficulty)
        for rec in p.txs:
            rec.block = block
        self._blocks.append(block)
        self._by_hash[block.hash] = block
        evm.set_block_hash(header.number, block.hash)
        self._open_pending(next_timestamp)
        return block.hash

    # -- accounts ------------------------------------------------------------------------
    def get_accounts(self) -> Tuple[bytes, ...]:
        """The test accounts' addresses."""
        return tuple(self._keys)

    def add_account(self, private_key: bytes) -> None:
        """Add an account (not funded) whose transactions the backend signs."""
        from eth_keys import keys

        key = keys.PrivateKey(bytes(private_key))
        self.account_keys = self.account_keys + (key,)
        self._add_key(key)

    def _add_key(self, key: Any) -> None:
        """Sign for ``key``'s address with a prepared secp256k1 key (coincurve's)."""
        import coincurve

        self._keys[key.public_key.to_canonical_address()] = coincurve.PrivateKey(key.to_bytes())

    # -- state ---------------------------------------------------------------------------
    def _account_at(self, account: bytes, block_number: Any) -> Tuple[int, int, bytes]:
        """(nonce, balance, code) of ``account`` at ``block_number``."""
        number = self._block_id(block_number)
        if number == "pending" or (number == self._latest.header.number and self._pending.untouched):
            exists, nonce, balance, code = self._evm._vm.account(bytes(account))
            return (nonce, balance, code) if exists else (0, 0, b"")
        acct = (self._db.get_account(bytes(account)) if number == self._latest.header.number
                else _StateAt(self, number).get_account(bytes(account)))
        return (acct.nonce, acct.balance, acct.code) if acct is not None else (0, 0, b"")

    def get_nonce(self, account: bytes, block_number: Any = "latest") -> int:
        """The nonce of ``account`` at ``block_number``."""
        return self._account_at(account, block_number)[0]

    def get_balance(self, account: bytes, block_number: Any = "latest") -> int:
        """The balance of ``account`` at ``block_number``."""
        return self._account_at(account, block_number)[1]

    def get_code(self, account: bytes, block_number: Any = "latest") -> bytes:
        """The code of ``account`` at ``block_number``."""
        return self._account_at(account, block_number)[2]

    def get_storage(self, account: bytes, slot: int, block_number: Any = "latest") -> int:
        """Storage slot ``slot`` of ``account`` at ``block_number``."""
        number = self._block_id(block_number)
        if number == "pending" or (number == self._latest.header.number and self._pending.untouched):
            return self._evm.get_storage(bytes(account), slot)
        db = self._db if number == self._latest.header.number else _StateAt(self, number)
        return db.get_storage(bytes(account), slot)

    def get_base_fee(self, block_number: Any = "latest") -> int:
        """The base fee of block ``block_number`` (0 before London)."""
        number = self._block_id(block_number)
        env = self._pending.env if number == "pending" else self._blocks[number].env
        return env.base_fee_per_gas(self.fork)

    # -- blocks and transactions ---------------------------------------------------------
    def _pending_header(self) -> Header:
        """A draft header of the pending block (its state root is the parent's)."""
        p = self._pending
        fork = self.fork
        parent = self._latest.header
        receipts = [Receipt(r.stx.tx_type, r.success, r.cumulative_gas_used, r.logs) for r in p.txs]
        return Header(
            parent_hash=self._latest.hash, coinbase=p.env.coinbase, state_root=parent.state_root,
            transactions_root=_transactions_root(p.txs), receipt_root=receipts_root(receipts),
            bloom=logs_bloom([log for r in p.txs for log in r.logs]), difficulty=p.difficulty,
            number=p.env.number, gas_limit=p.env.gas_limit, gas_used=p.gas_used, timestamp=p.env.timestamp,
            prev_randao=p.env.prev_randao, base_fee_per_gas=p.env.base_fee if fork >= Fork.LONDON else None,
            withdrawals_root=withdrawals_root(p.withdrawals) if fork >= Fork.SHANGHAI else None,
            blob_gas_used=p.blob_gas_used if fork >= Fork.CANCUN else None,
            excess_blob_gas=p.env.excess_blob_gas if fork >= Fork.CANCUN else None,
            parent_beacon_block_root=p.env.parent_beacon_block_root if fork >= Fork.CANCUN else None,
            requests_hash=compute_requests_hash([]) if fork >= Fork.PRAGUE else None,
        )

    def _serialize_block(self, header: Header, txs: List[_TxRecord], withdrawals: Optional[List[Withdrawal]],
                         total_difficulty: int, full: bool) -> Dict[str, Any]:
        # the size of rlp([header, transactions, ommers(, withdrawals)]), from the encodings at hand
        txs_payload = sum(len(r.raw) if r.raw[0] >= 0xC0 else len(_length_prefix(len(r.raw), 0x80)) + len(r.raw)
                          for r in txs)
        payload = len(header.encode()) + _rlp_size(txs_payload) + 1
        if withdrawals is not None:
            payload += len(rlp_encode([[w.index, w.validator_index, w.address, w.amount] for w in withdrawals]))
        size = _rlp_size(payload)
        block: Dict[str, Any] = {
            "number": header.number, "hash": header.hash, "parent_hash": header.parent_hash,
            "nonce": header.nonce, "sha3_uncles": header.ommers_hash,
            "logs_bloom": int.from_bytes(header.bloom, "big"), "transactions_root": header.transactions_root,
            "receipts_root": header.receipt_root, "state_root": header.state_root, "coinbase": header.coinbase,
            "difficulty": header.difficulty, "total_difficulty": total_difficulty, "mix_hash": header.prev_randao,
            "size": size, "extra_data": header.extra_data.rjust(32, b"\x00"), "gas_limit": header.gas_limit,
            "gas_used": header.gas_used, "timestamp": header.timestamp,
            "transactions": [self._serialize_tx(r) if full else r.hash for r in txs], "uncles": [],
        }
        if header.base_fee_per_gas is not None:
            block["base_fee_per_gas"] = header.base_fee_per_gas
        if header.withdrawals_root is not None:
            block["withdrawals"] = [{"index": w.index, "validator_index": w.validator_index, "address": w.address,
                                     "amount": w.amount} for w in withdrawals or ()]
            block["withdrawals_root"] = header.withdrawals_root
        if header.parent_beacon_block_root is not None:
            block.update(parent_beacon_block_root=header.parent_beacon_block_root,
                         blob_gas_used=header.blob_gas_used, excess_blob_gas=header.excess_blob_gas)
        if header.requests_hash is not None and _SERVES_REQUESTS_HASH:
            block["requests_hash"] = header.requests_hash
        return block

    def _block_dict(self, record: _BlockRecord, full: bool) -> Dict[str, Any]:
        cached = record.serialized.get(full)
        if cached is None:
            cached = record.serialized[full] = self._serialize_block(
                record.header, record.txs, record.withdrawals, record.total_difficulty, full)
        return dict(cached)  # eth-tester's validator may add keys to what it is given

    def get_block_by_number(self, block_number: Any, full_transaction: bool = True) -> Dict[str, Any]:
        """Block ``block_number`` ("pending": the block being filled)."""
        number = self._block_id(block_number)
        if number == "pending":
            p = self._pending
            td = self._latest.total_difficulty + p.difficulty
            return self._serialize_block(self._pending_header(), p.txs, p.withdrawals if self.fork >= Fork.SHANGHAI
                                         else None, td, full_transaction)
        return self._block_dict(self._blocks[number], full_transaction)

    def get_block_by_hash(self, block_hash: bytes, full_transaction: bool = True) -> Dict[str, Any]:
        """The mined block with ``block_hash``."""
        record = self._by_hash.get(bytes(block_hash))
        if record is None:
            raise BlockNotFound(f"No block found for block hash: 0x{bytes(block_hash).hex()}")
        return self._block_dict(record, full_transaction)

    def _tx_record(self, transaction_hash: bytes) -> _TxRecord:
        rec = self._tx_index.get(bytes(transaction_hash))
        if rec is None:
            raise TransactionNotFound(f"No transaction found for transaction hash: 0x{bytes(transaction_hash).hex()}")
        return rec

    def _serialize_tx(self, rec: _TxRecord) -> Dict[str, Any]:
        stx = rec.stx
        t = stx.tx_type
        block = rec.block
        out: Dict[str, Any] = {
            "type": t, "hash": rec.hash, "nonce": stx.nonce,
            "block_hash": block.hash if block is not None else None,
            "block_number": block.header.number if block is not None else None,
            "transaction_index": rec.index if block is not None else None,
            "from": rec.tx.sender, "to": stx.to if stx.to is not None else b"", "value": stx.value,
            "gas": stx.gas_limit, "data": stx.data,
        }
        if t in (0, 1):
            out["gas_price"] = stx.gas_price
        if t >= 1:
            out["chain_id"] = stx.chain_id
            out["access_list"] = tuple((a, tuple(keys)) for a, keys in stx.access_list or ())
        if t >= 2:
            out["max_fee_per_gas"] = stx.max_fee_per_gas
            out["max_priority_fee_per_gas"] = stx.max_priority_fee_per_gas
            out["gas_price"] = rec.effective_gas_price if block is not None else stx.max_fee_per_gas
        if t == 3:
            out["max_fee_per_blob_gas"] = stx.max_fee_per_blob_gas
            out["blob_versioned_hashes"] = list(stx.blob_versioned_hashes)
        if t == 4:
            out["authorization_list"] = [
                {"chain_id": a.chain_id, "address": a.address, "nonce": a.nonce, "y_parity": a.y_parity,
                 "r": a.r, "s": a.s} for a in stx.authorization_list or ()]
        out["v"] = stx.v
        out["s"] = stx.s
        out["r"] = stx.r
        if t >= 1:
            out["y_parity"] = stx.v
        return out

    def get_transaction_by_hash(self, transaction_hash: bytes) -> Dict[str, Any]:
        """The transaction with ``transaction_hash`` (pending or mined)."""
        return self._serialize_tx(self._tx_record(transaction_hash))

    def get_transaction_receipt(self, transaction_hash: bytes) -> Dict[str, Any]:
        """The receipt of the transaction with ``transaction_hash`` (pending or mined)."""
        rec = self._tx_record(transaction_hash)
        block = rec.block
        block_hash = block.hash if block is not None else None
        block_number = block.header.number if block is not None else None
        index = rec.index if block is not None else None
        stx = rec.stx
        receipt: Dict[str, Any] = {
            "block_hash": block_hash, "block_number": block_number,
            "contract_address": compute_contract_address(rec.tx.sender, stx.nonce) if stx.to is None else None,
            "cumulative_gas_used": rec.cumulative_gas_used, "effective_gas_price": rec.effective_gas_price,
            "from": rec.tx.sender, "gas_used": rec.gas_used,
            "logs": [{
                "type": "mined" if block is not None else "pending", "log_index": rec.first_log_index + i,
                "transaction_index": index, "transaction_hash": rec.hash, "block_hash": block_hash,
                "block_number": block_number, "address": log.address, "data": log.data,
                "topics": list(log.topics)} for i, log in enumerate(rec.logs)],
            "state_root": b"\x01" if rec.success else b"", "status": 1 if rec.success else 0,
            "to": stx.to if stx.to is not None else b"", "transaction_hash": rec.hash,
            "transaction_index": index, "type": stx.tx_type,
        }
        if stx.tx_type == 3:
            receipt["blob_gas_used"] = rec.blob_gas_used
            receipt["blob_gas_price"] = rec.blob_gas_price
        return receipt

    def get_fee_history(self, block_count: int = 1, newest_block: Any = "latest",
                        reward_percentiles: Sequence[int] = ()) -> Dict[str, Any]:
        """Base fees and gas-used ratios of the ``block_count`` blocks before
        ``newest_block`` (as eth-tester's py-evm backend reports them)."""
        if isinstance(block_count, int) and not 1 <= block_count <= 1024:
            raise ValidationError("block_count must be between 1 and 1024")
        if newest_block == "pending":
            newest_block = "latest"
        number = self._block_id(newest_block)
        ancestors = self._blocks[max(0, number - block_count):number][::-1]
        return {
            "oldest_block": 1,
            "base_fee_per_gas": [b.header.base_fee_per_gas for b in ancestors],
            "gas_used_ratio": [b.header.gas_used / b.header.gas_limit for b in ancestors],
            "reward": [],
        }

    # -- sending ---------------------------------------------------------------------------
    def _unsigned(self, transaction: Dict[str, Any]) -> Tuple[Transaction, Optional[int]]:
        """The executable transaction a normalized eth-tester dict describes, and its chain id."""
        t = transaction
        fork = self.fork
        sender = bytes(t["from"])
        fee_keys = ("max_fee_per_gas", "max_priority_fee_per_gas")
        dynamic = any(k in t for k in fee_keys) or (
            fork >= Fork.LONDON and "gas_price" not in t)
        if dynamic and fork < Fork.LONDON:
            raise ValidationError(f"dynamic fee transactions start at London, not {fork.fixture_name}")
        typed = dynamic or "access_list" in t or "authorization_list" in t or "max_fee_per_blob_gas" in t
        nonce = t["nonce"] if "nonce" in t else self._evm.get_nonce(sender)
        to = bytes(t.get("to") or b"") or None
        data = bytes(t.get("data") or b"")
        kwargs: Dict[str, Any] = dict(sender=sender, to=to, nonce=nonce, value=t.get("value", 0), data=data)
        if dynamic:
            if not any(k in t for k in fee_keys):
                kwargs.update(max_fee_per_gas=_GWEI, max_priority_fee_per_gas=_GWEI)
            else:
                priority = t.get("max_priority_fee_per_gas", _GWEI)
                kwargs.update(max_priority_fee_per_gas=priority, max_fee_per_gas=t.get(
                    "max_fee_per_gas", priority + 2 * self._pending.env.base_fee_per_gas(fork)))
        else:
            kwargs["gas_price"] = t.get("gas_price", _GWEI)
        if typed:
            kwargs["access_list"] = [(bytes(a), list(keys)) for a, keys in t.get("access_list") or ()]
        if "max_fee_per_blob_gas" in t:
            kwargs.update(max_fee_per_blob_gas=t["max_fee_per_blob_gas"],
                          blob_versioned_hashes=[bytes(h) for h in t.get("blob_versioned_hashes") or ()])
        if "authorization_list" in t:
            kwargs["authorization_list"] = [Authorization(a["chain_id"], bytes(a["address"]), a["nonce"],
                                                          a["y_parity"], a["r"], a["s"])
                                            for a in t["authorization_list"]]
        kwargs["gas_limit"] = t["gas"] if "gas" in t else 0
        try:
            tx = Transaction(**kwargs)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"invalid transaction: {exc}") from None
        if "gas" not in t:
            tx.gas_limit = self.estimate_gas({**t, "nonce": nonce}, "pending")
        # legacy transactions are signed without EIP-155, as eth-tester's py-evm
        # backend does (eth-tester re-sends pending ones with v < 256)
        chain_id = t.get("chain_id", self.chain_id) if typed else None
        return tx, chain_id

    def _include(self, stx: SignedTransaction, tx: Optional[Transaction] = None) -> bytes:
        """Run ``stx`` in the pending block (``tx``: its executable form, sender
        known; else checked and recovered here); return its hash."""
        fork = self.fork
        p = self._pending
        try:
            if tx is None:
                tx = check_signed_transaction(stx, fork, self.chain_id)
            if tx.gas_limit > p.env.gas_limit - p.gas_used:
                raise ValidationError(f"gas limit {tx.gas_limit} above the {p.env.gas_limit - p.gas_used} "
                                      "gas left in the block")
            blob_gas = calculate_total_blob_gas(tx)
            if blob_gas and p.blob_gas_used + blob_gas > max_blob_gas_per_block(fork):
                raise ValidationError(f"blob gas {blob_gas} above the "
                                      f"{max_blob_gas_per_block(fork) - p.blob_gas_used} left in the block")
            result = self._evm.transact(tx)
        except InvalidTransaction as exc:
            raise ValidationError(str(exc)) from None
        base_fee = p.env.base_fee_per_gas(fork)
        if tx.max_fee_per_gas is not None:
            price = min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas + base_fee)  # type: ignore[operator]
        else:
            price = tx.gas_price  # type: ignore[assignment]
        p.gas_used += result.gas_used
        p.blob_gas_used += blob_gas
        raw = stx.encode()
        h = keccak256(raw)
        rec = _TxRecord(stx, tx, raw, h, len(p.txs), result.success, result.gas_used, p.gas_used, result.logs,
                        p.n_logs, price, blob_gas, p.env.blob_base_fee(fork) if fork >= Fork.CANCUN else 0,
                        result.output)
        p.n_logs += len(result.logs)
        p.txs.append(rec)
        self._tx_index[h] = rec
        return h

    def send_transaction(self, transaction: Dict[str, Any]) -> bytes:
        """Sign ``transaction`` with its sender's test key and run it in the pending block."""
        key = self._keys.get(bytes(transaction["from"]))
        if key is None:
            raise ValidationError('No valid "from" key was provided in the transaction '
                                  "which is required for transaction signing.")
        tx, chain_id = self._unsigned(transaction)
        # evm.signed_transaction.sign_transaction's steps, with the key prepared once
        stx = SignedTransaction.from_transaction(tx, 0, 0, 0, chain_id)
        signature = key.sign_recoverable(stx.signing_hash(), hasher=None)
        stx.r = int.from_bytes(signature[:32], "big")
        stx.s = int.from_bytes(signature[32:64], "big")
        stx.v = signature[64] if tx.tx_type else 27 + signature[64] if chain_id is None \
            else 35 + 2 * chain_id + signature[64]
        return self._include(stx, tx)  # the sender is known: no signature recovery

    def send_signed_transaction(self, signed_transaction: Dict[str, Any], block_number: Any = "latest") -> bytes:
        """Run a transaction given as fields plus its ``v``, ``r``, ``s``."""
        t = dict(signed_transaction)
        v, r, s = t.pop("v"), t.pop("r"), t.pop("s")
        tx, chain_id = self._unsigned(t)
        if tx.tx_type == 0:
            chain_id = (v - 35) // 2 if v >= 35 else None
        stx = SignedTransaction.from_transaction(tx, v, r, s, chain_id)
        try:
            sender = stx.sender
        except InvalidTransaction as exc:
            raise ValidationError(str(exc)) from None
        if sender != tx.sender:
            raise ValidationError(f"the signature is of 0x{sender.hex()}, not of the sender 0x{tx.sender.hex()}")
        return self._include(stx)

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        """Decode, check and run a signed transaction (EIP-2718 bytes; a blob
        transaction may carry its network wrapper)."""
        try:
            stx = decode_transaction(bytes(raw_transaction))
        except InvalidTransaction as exc:
            raise ValidationError(str(exc)) from None
        if stx.blobs is not None:
            commitments = stx.commitments or []
            if len(stx.blobs) != len(stx.blob_versioned_hashes) or len(commitments) != len(stx.blobs):
                raise ValidationError("blob sidecar: the numbers of blobs, commitments and hashes differ")
            for commitment, versioned in zip(commitments, stx.blob_versioned_hashes):
                if b"\x01" + sha256(commitment).digest()[1:] != versioned:
                    raise ValidationError("blob sidecar: a commitment does not match its versioned hash")
            # the sidecar is for the consensus layer: the block holds the transaction alone
            stx.blobs = stx.commitments = stx.proofs = None
            stx.wrapper_version = None
        return self._include(stx)

    # -- calls -------------------------------------------------------------------------------
    def _machine_at(self, block_number: Any) -> Tuple[EVM, Callable[[], None]]:
        """A machine holding the state and environment of ``block_number``, and
        what to call when done with it (the live machine when it can be)."""
        number = self._block_id(block_number)
        evm = self._evm
        if number == "pending":
            return evm, _nothing
        latest = self._latest
        if number == latest.header.number and self._pending.untouched:
            pending_env = self._pending.env
            evm.env = latest.env

            def restore() -> None:
                evm.env = pending_env
            return evm, restore
        db = self._db if number == latest.header.number else _StateAt(self, number)
        return EVM(db=db, fork=self.fork, env=self._blocks[number].env), _nothing

    @staticmethod
    def _call_fields(transaction: Dict[str, Any]) -> Tuple[bytes, Optional[bytes], bytes, int]:
        sender = bytes(transaction.get("from") or ZERO_ADDRESS)
        to = bytes(transaction.get("to") or b"") or None
        return sender, to, bytes(transaction.get("data") or b""), transaction.get("value", 0)

    def call(self, transaction: Dict[str, Any], block_number: Any = "latest") -> bytes:
        """Run ``transaction`` as a call at ``block_number`` without changing
        any state; its output, or :class:`ExecutionFailed`."""
        sender, to, data, value = self._call_fields(transaction)
        evm, done = self._machine_at(block_number)
        try:
            gas = min(transaction.get("gas") or evm.env.gas_limit, MAX_GAS)
            with evm.anchor():
                result = evm.message_call(sender, to, data, value, gas) if to is not None \
                    else evm.deploy(sender, data, value, gas)
        except ValueError as exc:  # e.g. a value above the caller's balance
            raise ValidationError(str(exc)) from None
        finally:
            done()
        if not result.success:
            raise _failure(result.error or "", result.output)
        return result.output

    def estimate_gas(self, transaction: Dict[str, Any], block_number: Any = "latest") -> int:
        """The gas limit ``transaction`` needs at ``block_number``: the
        intrinsic gas plus the smallest execution gas with the outcome it has
        with all the gas allowed (:meth:`EVM.estimate_gas`), at least the
        EIP-7623 floor. A failing transaction raises :class:`ExecutionFailed`."""
        sender, to, data, value = self._call_fields(transaction)
        probe = Transaction(sender=sender, to=to, data=data, value=value,
                            gas_price=0, access_list=[(bytes(a), list(k)) for a, k in
                                                      transaction.get("access_list") or ()] or None)
        intrinsic, floor = calculate_intrinsic_cost(probe, self.fork)
        evm, done = self._machine_at(block_number)
        try:
            cap = transaction.get("gas") or evm.env.gas_limit
            if self.fork >= Fork.OSAKA:
                cap = min(cap, TX_MAX_GAS_LIMIT)
            cap = min(cap, MAX_GAS) - intrinsic
            if cap < 0:
                raise ExecutionFailed(f"gas {cap + intrinsic} below the intrinsic gas {intrinsic}", b"",
                                      "OutOfGasError")
            if to is not None:
                gas = evm.estimate_gas(sender, to, data, value, gas_cap=cap)
                error, output = evm.estimate_error, evm.estimate_output
            else:
                gas, error, output = self._estimate_create(evm, sender, data, value, cap)
        except ValueError as exc:  # e.g. a value above the caller's balance
            raise ValidationError(str(exc)) from None
        finally:
            done()
        if error is not None:
            raise _failure(error, output)
        return max(intrinsic + gas, floor)

    @staticmethod
    def _estimate_create(evm: EVM, sender: bytes, initcode: bytes, value: int, cap: int
                         ) -> Tuple[int, Optional[str], bytes]:
        """(gas, error, output) of the smallest gas at which the creation has its outcome at ``cap``."""
        def run(gas: int) -> Any:
            with evm.anchor():
                return evm.deploy(sender, initcode, value, gas)

        first = run(cap)
        if not first.success:
            return cap, first.error, first.output
        target = (first.output, first.contract_address)

        def same(gas: int) -> bool:
            r = run(gas)
            return r.success and (r.output, r.contract_address) == target

        used = first.gas_used
        if same(used) and (used == 0 or not same(used - 1)):
            return used, None, first.output
        return bisect_gas(same, used - 1, cap), None, first.output

    # -- traces --------------------------------------------------------------------------------
    def trace_transaction(self, transaction_hash: Union[bytes, str], *, memory: bool = False,
                          stack: bool = True) -> Dict[str, Any]:
        """Re-run the transaction in its block and return its EIP-3155 trace:
        ``{"steps": [one dict per instruction], "output": hex, "gasUsed": hex,
        "error": ...}`` (the steps as :class:`~evm.tracing.EIP3155Tracer` writes
        them; ``gasUsed`` is the top frame's, intrinsic gas excluded)."""
        if isinstance(transaction_hash, str):
            transaction_hash = bytes.fromhex(transaction_hash[2:] if transaction_hash[:2] in ("0x", "0X")
                                             else transaction_hash)
        rec = self._tx_record(transaction_hash)
        block = rec.block
        if block is None:
            parent_number, env, txs = self._latest.header.number, self._pending.env, self._pending.txs
        else:
            parent_number, env, txs = block.header.number - 1, block.env, block.txs
        db = self._db if parent_number == self._latest.header.number else _StateAt(self, parent_number)
        evm = EVM(db=db, fork=self.fork, env=env)
        self._open_system_calls(evm, env, self._blocks[parent_number].hash)
        for earlier in txs[:rec.index]:
            evm.transact(earlier.tx)
        stream = io.StringIO()
        tracer = EIP3155Tracer(stream, fork=self.fork, memory=memory, stack=stack)
        evm.transact(rec.tx, tracer=tracer)
        lines = [json.loads(line) for line in stream.getvalue().splitlines() if line]
        summary = lines.pop() if lines and "pc" not in lines[-1] else {}
        return {"steps": lines, "output": "0x" + summary.get("output", ""),
                "gasUsed": summary.get("gasUsed", "0x0"), "error": summary.get("error")}


def _nothing() -> None:
    return None


def _rlp_size(payload: int) -> int:
    """The length of an RLP list whose items' encodings take ``payload`` bytes."""
    return payload + len(_length_prefix(payload, 0xC0))


def _transactions_root(txs: Sequence[_TxRecord]) -> bytes:
    """The transactions root from the encodings kept with the records."""
    return trie_root({rlp_encode(i): rec.raw for i, rec in enumerate(txs)})


# -- web3.py ---------------------------------------------------------------------------------
def web3_api_endpoints() -> Dict[str, Dict[str, Any]]:
    """web3.py's tester endpoints with two additions for a CyEVMBackend:
    ``debug_traceTransaction`` (geth's struct-log shape, whose ``structLogs``
    are the EIP-3155 steps of :meth:`CyEVMBackend.trace_transaction`), and
    reverts of ``eth_call``/``eth_estimateGas`` raised as a node's would be
    (``ContractLogicError``, ``ContractCustomError``, ``ContractPanicError``
    with the revert data). Pass it as ``EthereumTesterProvider(tester,
    api_endpoints=web3_api_endpoints())``."""
    from web3.providers.eth_tester.defaults import API_ENDPOINTS

    endpoints = {namespace: dict(methods) for namespace, methods in API_ENDPOINTS.items()}
    endpoints["eth"]["call"] = _as_node_reverts(API_ENDPOINTS["eth"]["call"])
    endpoints["eth"]["estimateGas"] = _as_node_reverts(API_ENDPOINTS["eth"]["estimateGas"])
    endpoints["debug"]["traceTransaction"] = _debug_trace_transaction
    return endpoints


def _as_node_reverts(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    def inner(eth_tester: Any, params: Any) -> Any:
        try:
            return endpoint(eth_tester, params)
        except ExecutionFailed as exc:
            from web3._utils.error_formatters_utils import raise_contract_logic_error_on_revert

            if exc.error == "Revert":
                reason = decode_revert(exc.data)
                message = f"execution reverted: {reason}" if reason else "execution reverted"
            else:  # an exceptional halt: no revert data, its name is the message
                message = exc.error
            raise_contract_logic_error_on_revert({"jsonrpc": "2.0", "id": 0, "error": {
                "code": 3, "message": message, "data": "0x" + exc.data.hex() if exc.data else None}})
            raise
    return inner


def _debug_trace_transaction(eth_tester: Any, params: Any) -> Dict[str, Any]:
    backend = eth_tester.backend
    if not isinstance(backend, CyEVMBackend):
        raise NotImplementedError("debug_traceTransaction needs a CyEVMBackend")
    config = params[1] if len(params) > 1 and isinstance(params[1], dict) else {}
    trace = backend.trace_transaction(params[0], memory=bool(config.get("enableMemory")),
                                      stack=not config.get("disableStack"))
    rec = backend._tx_record(bytes.fromhex(params[0][2:]) if isinstance(params[0], str) else params[0])
    return {"gas": rec.gas_used, "failed": not rec.success, "returnValue": trace["output"][2:],
            "structLogs": trace["steps"]}
