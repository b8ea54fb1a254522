"""pyrevm's Python API over cyevm: change ``from pyrevm import ...`` to
``from evm.compat.pyrevm import ...`` and a pyrevm script runs on cyevm.

The names and signatures are those of pyrevm 0.3.7 (``EVM``, ``Env``,
``CfgEnv``, ``BlockEnv``, ``TxEnv``, ``AccountInfo``, ``ExecutionResult``,
``Log``, ``JournalCheckpoint``, ``fake_exponential``); every call runs on
:class:`evm.machine.EVM`. Addresses are hex strings, ``message_call``
returns the output bytes, ``deploy`` the new address, ``result`` describes
the last call. Gas is accounted as pyrevm does: a call is a transaction
without fees (intrinsic gas charged, refund applied, the caller's nonce
left alone; ``deploy`` bumps it), ``gas`` defaults to the EVM's
``gas_limit``.

Where pyrevm is lax this layer is strict:

- an unknown ``spec_id`` raises ``ValueError`` listing the valid names
  (pyrevm silently runs its latest spec for any name it does not know,
  upper-case ``"SHANGHAI"``, its own stub's default, included); names are
  matched case-insensitively and Osaka is supported;
- an ``AccountInfo`` whose ``code_hash`` does not match its code, a
  malformed address, a negative or oversized number raise
  ``ValueError``/``TypeError`` instead of being truncated or ignored.

Where cyevm follows the chain and pyrevm does not (see the README section
"Coming from pyrevm"): each call is its own transaction, so EIP-2929 warm
sets, EIP-2200 original values and EIP-1153 transient storage start afresh
on every call (pyrevm keeps one transaction open across calls, so a
repeated call is charged warm prices); ``revert`` also undoes
``set_balance``/``insert_account_info``; ``commit`` keeps changes and forgets
the newest checkpoint (pyrevm's ``commit`` breaks later calls with
``CallTooDeep``). Failures raise :class:`Revert`, :class:`Halt` and
:class:`TransactionError`, all ``RuntimeError`` subclasses whose text
reads as pyrevm's (``Revert { gas_used: 21017, output: 0xff }``,
``Halt { reason: OutOfGas(Basic), gas_used: 50000 }``).
"""
from __future__ import annotations

import itertools
import sys
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from .. import machine as _machine
from ..crypto import keccak256
from ..env import BlockEnv as _MachineBlockEnv
from ..env import calculate_blob_gas_price
from ..env import fake_exponential as _fake_exponential
from ..forks import FIXTURE_NAMES, Fork
from ..gas import GAS_INIT_CODE_WORD_COST, MAX_INIT_CODE_SIZE
from ..machine import MAX_GAS, CallResult
from ..state import State, check_bytes, check_uint
from ..tracing import EIP3155Tracer
from ..transaction import (
    FLOOR_CALLDATA_COST,
    TX_ACCESS_LIST_ADDRESS_COST,
    TX_ACCESS_LIST_STORAGE_KEY_COST,
    TX_BASE_COST,
    TX_CREATE_COST,
    TX_DATA_COST_PER_NON_ZERO,
    TX_DATA_COST_PER_NON_ZERO_FRONTIER,
    TX_DATA_COST_PER_ZERO,
)

__all__ = [
    "AccountInfo",
    "BlockEnv",
    "CfgEnv",
    "EVM",
    "Env",
    "ExecutionError",
    "ExecutionResult",
    "Halt",
    "JournalCheckpoint",
    "Log",
    "Revert",
    "SPEC_NAMES",
    "TransactionError",
    "TxEnv",
    "fake_exponential",
    "spec_to_fork",
]

_U256 = 1 << 256
_U64 = 1 << 64
_ZERO_ADDRESS = b"\x00" * 20
_EMPTY_CODE_HASH = keccak256(b"")

# -- spec names ---------------------------------------------------------------------------------------

#: The spec names revm spells (pyrevm's ``spec_id``), newest last, and the fork each means here.
#: ``Latest`` is the newest fork cyevm implements.
SPEC_NAMES: Dict[str, Fork] = {
    "Frontier": Fork.FRONTIER,
    "Frontier_Thawing": Fork.FRONTIER,
    "Homestead": Fork.HOMESTEAD,
    "DAO_Fork": Fork.HOMESTEAD,
    "Tangerine": Fork.TANGERINE_WHISTLE,
    "Spurious": Fork.SPURIOUS_DRAGON,
    "Byzantium": Fork.BYZANTIUM,
    "Constantinople": Fork.CONSTANTINOPLE,
    "Petersburg": Fork.PETERSBURG,
    "Istanbul": Fork.ISTANBUL,
    "MuirGlacier": Fork.ISTANBUL,
    "Berlin": Fork.BERLIN,
    "London": Fork.LONDON,
    "ArrowGlacier": Fork.LONDON,
    "GrayGlacier": Fork.LONDON,
    "Merge": Fork.PARIS,
    "Shanghai": Fork.SHANGHAI,
    "Cancun": Fork.CANCUN,
    "Prague": Fork.PRAGUE,
    "Osaka": Fork.OSAKA,
    "Latest": max(Fork),
}


def _squash(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


# revm's names, cyevm's Fork members and the fixtures' names, case and separators ignored
_BY_SQUASHED: Dict[str, Fork] = {}
for _n, _f in itertools.chain(FIXTURE_NAMES.items(), ((f.name, f) for f in Fork), SPEC_NAMES.items()):
    _BY_SQUASHED[_squash(_n)] = _f


def spec_to_fork(spec_id: Union[str, Fork]) -> Fork:
    """The :class:`~evm.forks.Fork` a pyrevm ``spec_id`` names.

    Accepts revm's names (:data:`SPEC_NAMES`: ``"Cancun"``, ``"Merge"``,
    ``"Latest"`` ...), cyevm's fork names (``"Paris"``, ``"TangerineWhistle"``,
    ``"EIP158"`` ...) in any case, or a ``Fork``. Anything else raises
    ``ValueError`` listing the valid names (pyrevm would run its latest spec).
    """
    if isinstance(spec_id, Fork):
        return spec_id
    if not isinstance(spec_id, str):
        raise TypeError(f"spec_id must be a spec name (str) or a Fork, got {type(spec_id).__name__}")
    fork = _BY_SQUASHED.get(_squash(spec_id))
    if fork is None:
        raise ValueError(
            f"unknown spec_id {spec_id!r}; valid names (any case): {', '.join(SPEC_NAMES)}, "
            f"or a cyevm fork name ({', '.join(f.fixture_name for f in Fork)})")
    return fork


# -- small conversions ------------------------------------------------------------------------------------

def _parse_address(value: Any, name: str) -> bytes:
    """A 20-byte address from a hex string (``0x`` optional) or 20 bytes."""
    if isinstance(value, str):
        s = value[2:] if value[:2] in ("0x", "0X") else value
        if len(s) != 40:
            raise ValueError(f"{name} must be 20 bytes (40 hex digits), got {value!r}")
        try:
            return bytes.fromhex(s)
        except ValueError:
            raise ValueError(f"{name} is not hex: {value!r}") from None
    if isinstance(value, (bytes, bytearray)) and len(value) == 20:
        return bytes(value)
    raise TypeError(f"{name} must be an address: a hex string or 20 bytes, got {value!r}")


def to_checksum_address(address: bytes) -> str:
    """``address`` as an EIP-55 mixed-case hex string (how pyrevm prints log addresses)."""
    hexed = address.hex()
    digest = keccak256(hexed.encode()).hex()
    return "0x" + "".join(c.upper() if int(d, 16) >= 8 else c for c, d in zip(hexed, digest))


def _hex_address(address: bytes) -> str:
    return "0x" + address.hex()


def _data(value: Any, name: str) -> bytes:
    if isinstance(value, list):  # pyrevm takes a list of byte values too
        try:
            return bytes(value)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: a list must hold ints in [0, 256)") from None
    return check_bytes(value, name)


def _opt_uint(value: Any, name: str, limit: int, default: Optional[int]) -> Optional[int]:
    return default if value is None else check_uint(value, name, limit)


def fake_exponential(factor: int, numerator: int, denominator: int) -> int:
    """EIP-4844's ``fake_exponential`` (``factor * e ** (numerator / denominator)``, in integers)."""
    return _fake_exponential(check_uint(factor, "factor"), check_uint(numerator, "numerator"),
                             check_uint(denominator, "denominator"))


# -- environment -----------------------------------------------------------------------------------------

class CfgEnv:
    """Chain configuration: ``chain_id`` (CHAINID, default 1). The other
    two fields are kept for pyrevm compatibility and have no effect."""

    __slots__ = ("_chain_id", "_limit_contract_code_size", "_perf")

    def __init__(self, chain_id: Optional[int] = None, limit_contract_code_size: Optional[int] = None,
                 perf_analyse_created_bytecodes: Optional[str] = None) -> None:
        self._chain_id = _opt_uint(chain_id, "chain_id", _U64, 1)
        self._limit_contract_code_size = _opt_uint(limit_contract_code_size, "limit_contract_code_size",
                                                   _U64, None)
        self._perf = perf_analyse_created_bytecodes if perf_analyse_created_bytecodes is not None else "Analyse"

    @property
    def chain_id(self) -> int:
        """CHAINID."""
        return self._chain_id

    @property
    def limit_contract_code_size(self) -> Optional[int]:
        """Accepted and reported, not applied (the fork's EIP-170 limit applies)."""
        return self._limit_contract_code_size

    @property
    def perf_analyse_created_bytecodes(self) -> str:
        """Accepted and reported, not applied (cyevm analyses code its own way)."""
        return self._perf

    def __repr__(self) -> str:
        return f"CfgEnv(chain_id={self._chain_id})"


class BlockEnv:
    """The block a call runs in; pyrevm's defaults (number 0, timestamp 1,
    gas limit 2**256-1, base fee 0, excess blob gas 0).

    ``gas_limit`` is what GASLIMIT pushes when given; left out, GASLIMIT
    pushes the EVM's ``gas_limit`` as in pyrevm.
    """

    __slots__ = ("_number", "_coinbase", "_timestamp", "_difficulty", "_prevrandao", "_basefee",
                 "_gas_limit", "_gas_limit_given", "_excess_blob_gas")

    def __init__(self, number: Optional[int] = None, coinbase: Optional[str] = None,
                 timestamp: Optional[int] = None, difficulty: Optional[int] = None,
                 prevrandao: Optional[bytes] = None, basefee: Optional[int] = None,
                 gas_limit: Optional[int] = None, excess_blob_gas: Optional[int] = None) -> None:
        self._number = _opt_uint(number, "number", _U256, 0)
        self._coinbase = _parse_address(coinbase, "coinbase") if coinbase is not None else _ZERO_ADDRESS
        self._timestamp = _opt_uint(timestamp, "timestamp", _U256, 1)
        self._difficulty = _opt_uint(difficulty, "difficulty", _U256, 0)
        if prevrandao is None:
            self._prevrandao = b"\x00" * 32
        else:
            self._prevrandao = _data(prevrandao, "prevrandao")
            if len(self._prevrandao) != 32:
                raise ValueError(f"prevrandao must be 32 bytes, got {len(self._prevrandao)}")
        self._basefee = _opt_uint(basefee, "basefee", _U256, 0)
        self._gas_limit_given = gas_limit is not None
        self._gas_limit = _opt_uint(gas_limit, "gas_limit", _U256, _U256 - 1)
        self._excess_blob_gas = _opt_uint(excess_blob_gas, "excess_blob_gas", _U64, 0)

    @property
    def number(self) -> int:
        """NUMBER."""
        return self._number

    @number.setter
    def number(self, value: int) -> None:
        self._number = check_uint(value, "number", _U256)

    @property
    def coinbase(self) -> str:
        """COINBASE, as a hex string."""
        return _hex_address(self._coinbase)

    @property
    def timestamp(self) -> int:
        """TIMESTAMP."""
        return self._timestamp

    @timestamp.setter
    def timestamp(self, value: int) -> None:
        self._timestamp = check_uint(value, "timestamp", _U256)

    @property
    def difficulty(self) -> int:
        """DIFFICULTY before the Merge."""
        return self._difficulty

    @property
    def prevrandao(self) -> bytes:
        """PREVRANDAO from the Merge on (32 bytes)."""
        return self._prevrandao

    @property
    def basefee(self) -> int:
        """BASEFEE."""
        return self._basefee

    @property
    def gas_limit(self) -> int:
        """The block gas limit (GASLIMIT when given explicitly)."""
        return self._gas_limit

    @property
    def excess_blob_gas(self) -> int:
        """EIP-4844 excess blob gas (sets BLOBBASEFEE)."""
        return self._excess_blob_gas

    @excess_blob_gas.setter
    def excess_blob_gas(self, value: int) -> None:
        self._excess_blob_gas = check_uint(value, "excess_blob_gas", _U64)

    @property
    def blob_gasprice(self) -> int:
        """The blob base fee of ``excess_blob_gas`` (Cancun's update fraction, as pyrevm)."""
        return calculate_blob_gas_price(self._excess_blob_gas, Fork.CANCUN)

    def __repr__(self) -> str:
        return (f"BlockEnv(number={self._number}, coinbase={self.coinbase!r}, timestamp={self._timestamp}, "
                f"basefee={self._basefee}, gas_limit={self._gas_limit})")


class TxEnv:
    """Transaction fields. ``EVM.message_call``/``deploy`` take caller, to,
    data, value, gas and gas price from their arguments; the rest
    (``access_list``, ``blob_hashes``, ``nonce``, ``chain_id``) from the
    TxEnv given to :meth:`EVM.set_tx_env`: an access list is warmed and
    charged, blob hashes are BLOBHASH's, a nonce or chain id, when set, is
    checked."""

    __slots__ = ("_caller", "_gas_limit", "_gas_price", "_gas_priority_fee", "_to", "_value", "_data",
                 "_chain_id", "_nonce", "_salt", "_access_list", "_blob_hashes", "_max_fee_per_blob_gas")

    def __init__(self, caller: Optional[str] = None, gas_limit: Optional[int] = None,
                 gas_price: Optional[int] = None, gas_priority_fee: Optional[int] = None,
                 to: Optional[str] = None, value: Optional[int] = None, data: Optional[bytes] = None,
                 chain_id: Optional[int] = None, nonce: Optional[int] = None, salt: Optional[int] = None,
                 access_list: Optional[List[Tuple[str, List[int]]]] = None,
                 blob_hashes: Optional[List[bytes]] = None,
                 max_fee_per_blob_gas: Optional[int] = None) -> None:
        self._caller = _parse_address(caller, "caller") if caller is not None else _ZERO_ADDRESS
        self._gas_limit = _opt_uint(gas_limit, "gas_limit", _U64, _U64 - 1)
        self._gas_price = _opt_uint(gas_price, "gas_price", _U256, 0)
        self._gas_priority_fee = _opt_uint(gas_priority_fee, "gas_priority_fee", _U256, None)
        self._to = _parse_address(to, "to") if to is not None else None
        self._value = _opt_uint(value, "value", _U256, 0)
        self._data = _data(data, "data") if data is not None else b""
        self._chain_id = _opt_uint(chain_id, "chain_id", _U64, None)
        self._nonce = _opt_uint(nonce, "nonce", _U64, None)
        self._salt = _opt_uint(salt, "salt", _U256, None)
        self._access_list = self._check_access_list(access_list or [])
        self._blob_hashes = self._check_blob_hashes(blob_hashes or [])
        self._max_fee_per_blob_gas = _opt_uint(max_fee_per_blob_gas, "max_fee_per_blob_gas", _U256, None)

    @staticmethod
    def _check_access_list(items: Iterable[Any]) -> List[Tuple[bytes, List[int]]]:
        out = []
        for item in items:
            try:
                address, keys = item
            except (TypeError, ValueError):
                raise ValueError(f"access_list entries are (address, [slots]) pairs, got {item!r}") from None
            out.append((_parse_address(address, "access_list address"),
                        [check_uint(k, "access_list slot", _U256) for k in keys]))
        return out

    @staticmethod
    def _check_blob_hashes(items: Iterable[Any]) -> List[bytes]:
        out = []
        for h in items:
            h = _data(h, "blob hash")
            if len(h) != 32:
                raise ValueError(f"a blob hash is 32 bytes, got {len(h)}")
            out.append(h)
        return out

    @property
    def caller(self) -> str:
        """The sender."""
        return _hex_address(self._caller)

    @property
    def gas_limit(self) -> int:
        """The gas limit."""
        return self._gas_limit

    @property
    def gas_price(self) -> int:
        """GASPRICE."""
        return self._gas_price

    @property
    def gas_priority_fee(self) -> Optional[int]:
        """The priority fee (kept, not used: calls pay no fees)."""
        return self._gas_priority_fee

    @property
    def to(self) -> Optional[str]:
        """The callee, or None for a creation."""
        return _hex_address(self._to) if self._to is not None else None

    @property
    def value(self) -> int:
        """The value sent."""
        return self._value

    @property
    def data(self) -> bytes:
        """The calldata."""
        return self._data

    @property
    def chain_id(self) -> Optional[int]:
        """When set, must equal the CfgEnv's chain id."""
        return self._chain_id

    @property
    def nonce(self) -> Optional[int]:
        """When set, must equal the caller's nonce."""
        return self._nonce

    @property
    def salt(self) -> Optional[int]:
        """Kept for pyrevm compatibility (deploy uses CREATE)."""
        return self._salt

    @property
    def access_list(self) -> List[Tuple[str, List[int]]]:
        """EIP-2930 access list: (address, [slots]) pairs."""
        return [(_hex_address(a), list(k)) for a, k in self._access_list]

    @property
    def blob_hashes(self) -> List[bytes]:
        """EIP-4844 versioned hashes (BLOBHASH)."""
        return list(self._blob_hashes)

    @blob_hashes.setter
    def blob_hashes(self, value: List[bytes]) -> None:
        self._blob_hashes = self._check_blob_hashes(value)

    @property
    def max_fee_per_blob_gas(self) -> Optional[int]:
        """Kept, not used (calls pay no fees)."""
        return self._max_fee_per_blob_gas

    @max_fee_per_blob_gas.setter
    def max_fee_per_blob_gas(self, value: Optional[int]) -> None:
        self._max_fee_per_blob_gas = _opt_uint(value, "max_fee_per_blob_gas", _U256, None)

    def __repr__(self) -> str:
        return f"TxEnv(caller={self.caller!r}, to={self.to!r}, value={self._value}, gas_limit={self._gas_limit})"


class Env:
    """The configuration, block and transaction environments together."""

    __slots__ = ("_cfg", "_block", "_tx")

    def __init__(self, cfg: Optional[CfgEnv] = None, block: Optional[BlockEnv] = None,
                 tx: Optional[TxEnv] = None) -> None:
        for value, kind, name in ((cfg, CfgEnv, "cfg"), (block, BlockEnv, "block"), (tx, TxEnv, "tx")):
            if value is not None and not isinstance(value, kind):
                raise TypeError(f"{name} must be a {kind.__name__}, got {type(value).__name__}")
        self._cfg = cfg if cfg is not None else CfgEnv()
        self._block = block if block is not None else BlockEnv()
        self._tx = tx if tx is not None else TxEnv()

    @property
    def cfg(self) -> CfgEnv:
        """The chain configuration."""
        return self._cfg

    @property
    def block(self) -> BlockEnv:
        """The block environment."""
        return self._block

    @property
    def tx(self) -> TxEnv:
        """The transaction environment."""
        return self._tx

    def __repr__(self) -> str:
        return f"Env(cfg={self._cfg!r}, block={self._block!r}, tx={self._tx!r})"


# -- accounts, results ------------------------------------------------------------------------------------

class AccountInfo:
    """An account's balance, nonce and code (``code_hash`` is derived from
    ``code``; a given one must match it)."""

    __slots__ = ("_balance", "_nonce", "_code", "_code_hash")

    def __init__(self, balance: Optional[int] = None, nonce: int = 0, code_hash: Optional[bytes] = None,
                 code: Optional[bytes] = None) -> None:
        self._balance = _opt_uint(balance, "balance", _U256, 0)
        self._nonce = check_uint(nonce, "nonce", _U64)
        self._code = _data(code, "code") if code is not None else None
        actual = keccak256(self._code) if self._code else _EMPTY_CODE_HASH
        if code_hash is not None:
            code_hash = _data(code_hash, "code_hash")
            if code_hash != actual:
                # pyrevm keeps a hash it cannot check; here the code decides
                raise ValueError(f"code_hash 0x{code_hash.hex()} does not match the code's hash 0x{actual.hex()}"
                                 " (give the code; cyevm does not look code up by hash)")
        self._code_hash = actual

    @property
    def balance(self) -> int:
        """Balance in wei."""
        return self._balance

    @property
    def nonce(self) -> int:
        """Nonce."""
        return self._nonce

    @property
    def code(self) -> Optional[bytes]:
        """The code, or None if none was given."""
        return self._code

    @property
    def code_hash(self) -> bytes:
        """keccak256 of the code."""
        return self._code_hash

    def __repr__(self) -> str:
        code = "None" if self._code is None else f"{len(self._code)} bytes"
        return f"AccountInfo(balance={self._balance}, nonce={self._nonce}, code={code})"


class Log:
    """A log emitted by the last call."""

    __slots__ = ("_address", "_topics", "_data")

    def __init__(self, address: bytes, topics: List[bytes], data: bytes) -> None:
        self._address = address
        self._topics = topics
        self._data = data

    @property
    def address(self) -> str:
        """The emitting contract, EIP-55 checksummed (as pyrevm)."""
        return to_checksum_address(self._address)

    @property
    def topics(self) -> List[str]:
        """The topics as ``0x`` hex strings of 32 bytes."""
        return ["0x" + t.hex() for t in self._topics]

    @property
    def data(self) -> Tuple[List[bytes], bytes]:
        """``(topics as bytes, data)``, as pyrevm returns it."""
        return list(self._topics), self._data

    def __repr__(self) -> str:
        return f"Log(address={self.address!r}, topics={self.topics!r}, data=0x{self._data.hex()})"


class ExecutionResult:
    """The outcome of the last ``message_call``/``deploy``: ``gas_used`` is
    the transaction's (intrinsic gas included, refund deducted)."""

    __slots__ = ("_is_success", "_is_halt", "_reason", "_gas_used", "_gas_refunded", "_logs")

    def __init__(self, is_success: bool, is_halt: bool, reason: str, gas_used: int, gas_refunded: int,
                 logs: Optional[List[Log]] = None) -> None:
        self._is_success = bool(is_success)
        self._is_halt = bool(is_halt)
        self._reason = str(reason)
        self._gas_used = check_uint(gas_used, "gas_used")
        self._gas_refunded = check_uint(gas_refunded, "gas_refunded")
        self._logs = list(logs) if logs else []

    @property
    def is_success(self) -> bool:
        """Whether the call succeeded."""
        return self._is_success

    @property
    def is_halt(self) -> bool:
        """Whether it ended in an exceptional halt (not a REVERT)."""
        return self._is_halt

    @property
    def reason(self) -> str:
        """``"Stop"``/``"Return"`` on success, ``"Revert"``, or revm's name of the halt."""
        return self._reason

    @property
    def gas_used(self) -> int:
        """Gas used by the transaction, after the refund."""
        return self._gas_used

    @property
    def gas_refunded(self) -> int:
        """The refund given (capped as EIP-3529 says)."""
        return self._gas_refunded

    @property
    def logs(self) -> List[Log]:
        """The logs (empty unless the call succeeded)."""
        return list(self._logs)

    def __repr__(self) -> str:
        return (f"ExecutionResult(is_success={self._is_success}, reason={self._reason!r}, "
                f"gas_used={self._gas_used}, gas_refunded={self._gas_refunded}, logs={len(self._logs)})")


class JournalCheckpoint:
    """A snapshot handle from :meth:`EVM.snapshot` (hashable)."""

    __slots__ = ("_log_i", "_journal_i")

    def __init__(self, log_i: int, journal_i: int) -> None:
        self._log_i = log_i
        self._journal_i = journal_i

    @property
    def log_i(self) -> int:
        """How many logs the machine had emitted when the snapshot was taken."""
        return self._log_i

    @property
    def journal_i(self) -> int:
        """The snapshot's id."""
        return self._journal_i

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JournalCheckpoint) and other._journal_i == self._journal_i

    def __hash__(self) -> int:
        return hash(self._journal_i)

    def __repr__(self) -> str:
        return f"JournalCheckpoint(log_i={self._log_i}, journal_i={self._journal_i})"


# -- errors --------------------------------------------------------------------------------------------------

#: revm's names of the exceptional halts, by the execution specs' exception names.
HALT_REASONS = {
    "OutOfGasError": "OutOfGas(Basic)",
    "StackUnderflowError": "StackUnderflow",
    "StackOverflowError": "StackOverflow",
    "InvalidJumpDestError": "InvalidJump",
    "InvalidOpcode": "OpcodeNotFound",
    "WriteInStaticContext": "StateChangeDuringStaticCall",
    "OutOfBoundsRead": "OutOfOffset",
    "AddressCollision": "CreateCollision",
    "InvalidContractPrefix": "CreateContractStartingWithEF",
    "PrecompileFailure": "PrecompileError",
}


class ExecutionError(RuntimeError):
    """A call or deployment that did not succeed; ``result`` is its
    :class:`ExecutionResult` (None if the transaction was not valid)."""

    result: Optional[ExecutionResult] = None


class Revert(ExecutionError, _machine.Revert):
    """The call ended in REVERT. ``data``/``output`` is the revert data,
    ``reason`` its decoded ``Error(string)``/``Panic`` text (or None),
    ``gas_used`` the transaction's gas. ``str()`` reads as pyrevm's
    ``RuntimeError``: ``Revert { gas_used: N, output: 0x.. }``. Also an
    :class:`evm.machine.Revert`."""

    def __init__(self, call_result: CallResult, result: ExecutionResult) -> None:
        _machine.Revert.__init__(self, call_result)
        self.result = result
        self.output = call_result.output
        self.gas_used = result.gas_used

    def __str__(self) -> str:
        return f"Revert {{ gas_used: {self.gas_used}, output: 0x{self.output.hex()} }}"


class Halt(ExecutionError):
    """The call ended in an exceptional halt. ``reason`` is revm's name
    (``"OutOfGas(Basic)"``, ``"StackUnderflow"`` ...), ``error`` the
    execution specs' (``"OutOfGasError"`` ...); ``str()`` reads as
    pyrevm's: ``Halt { reason: R, gas_used: N }``."""

    def __init__(self, error: str, result: ExecutionResult) -> None:
        self.error = error
        self.reason = result.reason
        self.gas_used = result.gas_used
        self.result = result
        super().__init__(f"Halt {{ reason: {self.reason}, gas_used: {self.gas_used} }}")


class TransactionError(ExecutionError):
    """The call could not start (pyrevm's transaction validation errors):
    too little gas for the intrinsic cost, too little balance for value and
    gas, a wrong nonce or chain id. Nothing was changed."""


# -- tracing to stdout -----------------------------------------------------------------------------------

class _Stdout:
    """Writes to whatever ``sys.stdout`` is at the time (so redirect_stdout works)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# -- the EVM ---------------------------------------------------------------------------------------------

class EVM:
    """pyrevm's ``EVM`` over :class:`evm.machine.EVM`.

    Args:
        env: the environment (default: pyrevm's defaults, chain id 1).
        fork_url: an ``http(s)://`` JSON-RPC endpoint: the state is read from
            it lazily (:class:`evm.forkdb.RPCDatabase`).
        fork_block: the block to fork at: a number (``"17000000"``,
            ``"0x1036640"``) or ``"latest"``, ``"safe"``, ``"finalized"``,
            ``"earliest"``. Default latest.
        gas_limit: the gas a call gets when it names none, and GASLIMIT
            unless the BlockEnv gives one. The core runs at most 2**63-1 gas.
        tracing: write an EIP-3155 trace of every call to ``sys.stdout``
            (or ``trace_output``).
        spec_id: the fork (see :func:`spec_to_fork`); ``"Latest"`` is Osaka.
        trace_output: a text stream for the trace instead of stdout.
    """

    def __init__(self, env: Optional[Env] = None, fork_url: Optional[str] = None,
                 fork_block: Optional[str] = None, gas_limit: int = _U64 - 1, tracing: bool = False,
                 spec_id: Union[str, Fork] = "LATEST", *, trace_output: Any = None) -> None:
        self._fork = spec_to_fork(spec_id)
        # what the fork decides per call, looked up once
        self._per_nonzero_byte = (TX_DATA_COST_PER_NON_ZERO if self._fork >= Fork.ISTANBUL
                                  else TX_DATA_COST_PER_NON_ZERO_FRONTIER)
        self._has_floor = self._fork >= Fork.PRAGUE  # EIP-7623
        self._refund_quotient = 5 if self._fork >= Fork.LONDON else 2  # EIP-3529
        if env is not None and not isinstance(env, Env):
            raise TypeError(f"env must be an Env, got {type(env).__name__}")
        self._gas_limit = check_uint(gas_limit, "gas_limit", _U64)
        if fork_url is not None:
            from ..forkdb import RPCDatabase
            db: Any = RPCDatabase(fork_url, _fork_block(fork_block))
        elif fork_block is not None:
            raise ValueError("fork_block needs a fork_url")
        else:
            db = State()
        self._env = env if env is not None else Env()
        self._machine = _machine.EVM(db=db, fork=self._fork, env=self._machine_env(self._env))
        self._vm = self._machine._vm
        self.tracing = tracing
        self._trace_output = trace_output
        self._checkpoints: List[JournalCheckpoint] = []
        self._n_logs = 0
        self._last: Optional[Tuple[Any, ...]] = None  # the last call, made into a result on demand
        self._result: Optional[ExecutionResult] = None
        self._last_tx: Optional[Tuple[bytes, Optional[bytes], bytes, int, int, int]] = None
        self._addresses: Dict[str, bytes] = {}

    # -- conversions ------------------------------------------------------------------------------------
    def _addr(self, value: Any, name: str) -> bytes:
        # scripts pass the same few hex strings again and again: parse each once
        b = self._addresses.get(value) if type(value) is str else None
        if b is None:
            b = _parse_address(value, name)
            if type(value) is str:
                if len(self._addresses) > 4096:
                    self._addresses.clear()
                self._addresses[value] = b
        return b

    def _machine_env(self, env: Env) -> _MachineBlockEnv:
        block = env.block
        return _MachineBlockEnv(
            coinbase=block._coinbase, number=block._number, timestamp=block._timestamp,
            gas_limit=block._gas_limit if block._gas_limit_given else self._gas_limit,
            base_fee=block._basefee, prev_randao=block._prevrandao, difficulty=block._difficulty,
            excess_blob_gas=block._excess_blob_gas, chain_id=env.cfg.chain_id)

    # -- properties ---------------------------------------------------------------------------------------
    @property
    def machine(self) -> _machine.EVM:
        """The :class:`evm.machine.EVM` underneath (for cyevm's own API)."""
        return self._machine

    @property
    def fork(self) -> Fork:
        """The fork ``spec_id`` named."""
        return self._fork

    @property
    def env(self) -> Env:
        """The environment; ``env.tx`` describes the last call (as pyrevm)."""
        tx = self._env.tx
        if self._last_tx is not None:
            caller, to, data, value, gas, price = self._last_tx
            tx = TxEnv(caller=_hex_address(caller), to=_hex_address(to) if to is not None else None,
                       data=data, value=value, gas_limit=gas, gas_price=price, chain_id=tx.chain_id,
                       nonce=tx.nonce, access_list=tx.access_list, blob_hashes=tx.blob_hashes,
                       max_fee_per_blob_gas=tx.max_fee_per_blob_gas)
        return Env(self._env.cfg, self._env.block, tx)

    @property
    def result(self) -> Optional[ExecutionResult]:
        """The result of the last call or deployment (None after one that could not start)."""
        if self._result is None and self._last is not None:
            self._result = self._make_result(*self._last)
        return self._result

    @property
    def checkpoint_ids(self) -> set:
        """The live checkpoints."""
        return set(self._checkpoints)

    @property
    def journal_depth(self) -> int:
        """How many checkpoints are live."""
        return len(self._checkpoints)

    @property
    def db_accounts(self) -> Dict[str, AccountInfo]:
        """Every existing account of the working state (cyevm has one working state)."""
        return self.journal_state

    @property
    def journal_state(self) -> Dict[str, AccountInfo]:
        """Every existing account of the working state, by hex address."""
        out = {}
        for address in self._machine.accounts():
            out[_hex_address(address)] = self._info(address)
        return out

    # -- environment ------------------------------------------------------------------------------------
    def set_block_env(self, block: BlockEnv) -> None:
        """Use ``block`` for the following calls."""
        if not isinstance(block, BlockEnv):
            raise TypeError(f"block must be a BlockEnv, got {type(block).__name__}")
        self._env = Env(self._env.cfg, block, self._env.tx)
        self._machine.env = self._machine_env(self._env)

    def set_tx_env(self, tx: TxEnv) -> None:
        """Use ``tx``'s access list, blob hashes, nonce and chain id for the following calls."""
        if not isinstance(tx, TxEnv):
            raise TypeError(f"tx must be a TxEnv, got {type(tx).__name__}")
        self._env = Env(self._env.cfg, self._env.block, tx)
        self._last_tx = None

    def reset_transient_storage(self) -> None:
        """Nothing to do: transient storage (EIP-1153) ends with every call,
        each call being its own transaction."""

    # -- accounts ---------------------------------------------------------------------------------------
    def _info(self, address: bytes) -> AccountInfo:
        _exists, nonce, balance, code = self._vm.account(address)
        return AccountInfo(balance=balance, nonce=nonce, code=code)

    def basic(self, address: str) -> AccountInfo:
        """The balance, nonce and code of ``address``."""
        return self._info(self._addr(address, "address"))

    def get_code(self, address: str) -> Optional[bytes]:
        """The code of ``address``, or None if it has none."""
        return self._machine.get_code(self._addr(address, "address")) or None

    def get_balance(self, address: str) -> int:
        """The balance of ``address``."""
        return self._machine.get_balance(self._addr(address, "address"))

    def set_balance(self, address: str, balance: int) -> None:
        """Set the balance of ``address``."""
        self._machine.set_balance(self._addr(address, "address"), balance)

    def storage(self, address: str, index: int) -> int:
        """The value of storage slot ``index`` of ``address``."""
        return self._machine.get_storage(self._addr(address, "address"), index)

    def insert_account_info(self, address: str, info: AccountInfo) -> None:
        """Set the balance, nonce and code of ``address`` (its storage is kept)."""
        if not isinstance(info, AccountInfo):
            raise TypeError(f"info must be an AccountInfo, got {type(info).__name__}")
        a = self._addr(address, "address")
        self._machine.set_nonce(a, info.nonce)
        self._machine.set_balance(a, info.balance)
        self._machine.set_code(a, info.code or b"")

    def insert_account_storage(self, address: str, index: int, value: int) -> None:
        """Set storage slot ``index`` of ``address`` to ``value``."""
        self._machine.set_storage(self._addr(address, "address"), index, value)

    def block_hash(self, number: int) -> bytes:
        """The hash BLOCKHASH gives for block ``number`` (set ones first, then the database's)."""
        number = check_uint(number, "number", _U256)
        known = self._vm.j.block_hashes
        if known and number in known:
            return known[number]
        return self._machine.db.get_block_hash(number) if number < _U64 else b"\x00" * 32

    # -- snapshots --------------------------------------------------------------------------------------
    def snapshot(self) -> JournalCheckpoint:
        """A checkpoint of the whole working state for :meth:`revert`."""
        cp = JournalCheckpoint(self._n_logs, self._machine.snapshot())
        self._checkpoints.append(cp)
        return cp

    def revert(self, checkpoint: JournalCheckpoint) -> None:
        """Return to ``checkpoint``; it and the later ones are used up."""
        if not self._checkpoints:
            raise OverflowError("No checkpoint to revert to")
        try:
            i = self._checkpoints.index(checkpoint)
        except ValueError:
            raise KeyError("Invalid checkpoint") from None
        self._machine.revert(checkpoint.journal_i)
        self._machine.release(checkpoint.journal_i)
        del self._checkpoints[i:]

    def commit(self) -> None:
        """Keep every change and forget the newest checkpoint (revm's
        ``checkpoint_commit``); without one, nothing to do."""
        if self._checkpoints:
            cp = self._checkpoints.pop()
            self._machine.release(cp.journal_i)

    # -- calls ------------------------------------------------------------------------------------------
    def message_call(self, caller: str, to: str, calldata: Optional[bytes] = None, value: Optional[int] = None,
                     gas: Optional[int] = None, gas_price: Optional[int] = None, is_static: bool = False) -> bytes:
        """Call ``to`` from ``caller`` as a transaction without fees (the
        caller's nonce is not bumped); returns the output. A revert raises
        :class:`Revert`, a halt :class:`Halt`, a call that cannot start
        :class:`TransactionError`."""
        c = self._addr(caller, "caller")
        t = self._addr(to, "to")
        data = b"" if calldata is None else _data(calldata, "calldata")
        value = 0 if value is None else check_uint(value, "value", _U256)
        gas = self._gas_limit if gas is None else check_uint(gas, "gas", _U64)
        price = 0 if gas_price is None else check_uint(gas_price, "gas_price", _U256)
        return self._run(c, t, data, value, gas, price, bool(is_static))[0]

    def deploy(self, deployer: str, code: bytes, value: Optional[int] = None, gas: Optional[int] = None,
               gas_price: Optional[int] = None, is_static: bool = False, _abi: Any = None) -> str:
        """Create a contract from initcode ``code`` (CREATE from ``deployer``,
        whose nonce is bumped); returns its address as a hex string."""
        c = self._addr(deployer, "deployer")
        data = _data(code, "code")
        value = 0 if value is None else check_uint(value, "value", _U256)
        gas = self._gas_limit if gas is None else check_uint(gas, "gas", _U64)
        price = 0 if gas_price is None else check_uint(gas_price, "gas_price", _U256)
        return _hex_address(self._run(c, None, data, value, gas, price, bool(is_static))[1])

    def _intrinsic(self, data: bytes, create: bool, access_list: List[Tuple[bytes, List[int]]]) -> Tuple[int, int]:
        """(intrinsic gas, EIP-7623 floor) of a transaction with ``data``."""
        zeros = data.count(0)
        nonzero = len(data) - zeros
        gas = TX_BASE_COST + zeros * TX_DATA_COST_PER_ZERO + nonzero * self._per_nonzero_byte
        if create and self._fork >= Fork.HOMESTEAD:
            gas += TX_CREATE_COST
            if self._fork >= Fork.SHANGHAI:
                gas += GAS_INIT_CODE_WORD_COST * ((len(data) + 31) // 32)
        for _address, keys in access_list:
            gas += TX_ACCESS_LIST_ADDRESS_COST + len(keys) * TX_ACCESS_LIST_STORAGE_KEY_COST
        floor = TX_BASE_COST + (zeros + nonzero * 4) * FLOOR_CALLDATA_COST if self._has_floor else 0
        return gas, floor

    def _validate(self, caller: bytes, data: bytes, create: bool, value: int, gas: int, price: int,
                  tx: TxEnv, intrinsic: int, floor: int) -> None:
        """pyrevm's transaction checks, with its error texts."""
        if create and self._fork >= Fork.SHANGHAI and len(data) > MAX_INIT_CODE_SIZE:
            raise TransactionError("Transaction(CreateInitCodeSizeLimit)")
        if gas < intrinsic or gas < floor:
            raise TransactionError(f"Initial gas spend is {max(intrinsic, floor)} but gas limit is {gas}. "
                                   "Error: Transaction(CallGasCostMoreThanGasLimit)")
        if tx._chain_id is not None and tx._chain_id != self._env.cfg.chain_id:
            raise TransactionError("Transaction(InvalidChainId)")
        if tx._nonce is not None:
            nonce = self._vm.account(caller)[1]
            if tx._nonce != nonce:
                kind = "NonceTooHigh" if tx._nonce > nonce else "NonceTooLow"
                raise TransactionError(f"Transaction({kind} {{ tx: {tx._nonce}, state: {nonce} }})")
        if value or price:
            balance = self._vm.account(caller)[2]
            cost = gas * price + value
            if balance < cost:
                raise TransactionError(f"Transaction(LackOfFundForMaxFee {{ fee: {cost}, balance: {balance} }})")

    def _run(self, caller: bytes, to: Optional[bytes], data: bytes, value: int, gas: int, price: int,
             is_static: bool) -> Tuple[bytes, Optional[bytes]]:
        """Run one call or creation; returns (output, created address)."""
        create = to is None
        tx = self._env.tx
        intrinsic, floor = self._intrinsic(data, create, tx._access_list)
        self._last = self._result = None
        self._last_tx = (caller, to, data, value, gas, price)
        if create or value or price or gas < intrinsic or gas < floor or tx._nonce is not None \
                or tx._chain_id is not None:  # the common call needs none of the checks
            self._validate(caller, data, create, value, gas, price, tx, intrinsic, floor)
        run_gas = gas if gas <= MAX_GAS else MAX_GAS  # the core counts gas in 63 bits
        if self.tracing or tx._access_list or tx._blob_hashes:
            kwargs: Dict[str, Any] = {}
            if tx._access_list:
                kwargs["access_list"] = tx._access_list
            if tx._blob_hashes:
                kwargs["blob_hashes"] = tx._blob_hashes
            # pyrevm (revm's tracer) prints no memory
            tracer = EIP3155Tracer(self._trace_output if self._trace_output is not None else _Stdout(),
                                   fork=self._fork, memory=False) if self.tracing else None
            with self._machine._tracing(tracer):
                o = self._vm.transaction(caller, to, value, data, run_gas, fees=False, bump_nonce=create,
                                         gas_price=price, intrinsic_gas=intrinsic, is_static=is_static, **kwargs)
        else:
            o = self._vm.transaction(caller, to, value, data, run_gas, fees=False, bump_nonce=create,
                                     gas_price=price, intrinsic_gas=intrinsic, is_static=is_static)
        error = o.error
        if o.logs:
            self._n_logs += len(o.logs)
        self._last = (o, gas - run_gas, floor)
        if create:  # its reason reads the new code: decide it now, not after later changes
            self._result = self._make_result(o, gas - run_gas, floor)
        if error is None:
            return o.output, o.contract_address
        result = self.result
        assert result is not None
        if error == "Revert":
            raise Revert(CallResult(False, result.gas_used, o.output, [], error, None, 0), result)
        raise Halt(error, result)

    def _make_result(self, o: Any, unseen_gas: int, floor: int) -> ExecutionResult:
        """pyrevm's ExecutionResult of core outcome ``o``."""
        error = o.error
        used = o.gas_used
        if error is None:
            refunded = min(o.gas_refund, used // self._refund_quotient)
            used -= refunded
            if used < floor:  # EIP-7623: data-heavy calls pay at least the floor
                used = floor
            logs = [Log(address, list(topics), data) for address, topics, data in o.logs] if o.logs else []
            # the core does not say which instruction ended the frame: RETURN with data, or STOP
            if o.contract_address is not None:
                reason = "Return" if self._vm.account(o.contract_address)[3] else "Stop"
            else:
                reason = "Return" if o.output else "Stop"
            return ExecutionResult(True, False, reason, used, refunded, logs)
        if error == "Revert":
            return ExecutionResult(False, False, "Revert", max(used, floor), 0)
        # a halt uses all the gas given, also what the core could not represent
        return ExecutionResult(False, True, HALT_REASONS.get(error, error), used + unseen_gas, 0)

    def __repr__(self) -> str:
        return f"EVM(spec_id={self._fork.fixture_name!r}, tracing={self.tracing})"


def _fork_block(block: Optional[str]) -> Union[int, str]:
    """pyrevm's ``fork_block`` as :class:`~evm.forkdb.RPCDatabase` takes it."""
    if block is None:
        return "latest"
    if isinstance(block, int) and not isinstance(block, bool):
        return block
    if not isinstance(block, str):
        raise TypeError(f"fork_block must be a block number or tag (str), got {type(block).__name__}")
    tag = block.strip().lower()
    if tag in ("latest", "safe", "finalized"):
        return tag
    if tag == "earliest":
        return 0
    if tag.isdigit():
        return int(tag)
    if tag.startswith("0x") and 2 < len(tag) <= 18:
        try:
            return int(tag, 16)
        except ValueError:
            pass
    if tag.startswith("0x") and len(tag) == 66:
        raise ValueError(f"fork_block {block!r}: forking at a block hash is not supported; give its number")
    raise ValueError(f"fork_block must be a block number or one of latest, safe, finalized, earliest; got {block!r}")
