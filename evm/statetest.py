"""The state-test runner behind ``evm statetest``.

A state-test fixture (ethereum/tests ``GeneralStateTests`` and
execution-spec-tests ``state_test`` JSON) maps test names to a pre-state, a
block environment, one transaction with ``data``/``gasLimit``/``value``
variants and, per fork, a list of post entries. Each entry picks one variant
through its ``indexes`` and gives the expected state root (``hash``) and
logs hash (``logs``); ``expectException`` marks a transaction that must be
rejected (the state root is then the pre-state's).

Every (test, fork, entry) is one *case*, run on a fresh state built from
``pre``, and gives one result dict::

    {"name": str, "pass": bool | None, "stateRoot": "0x…" | None, "fork": str | None,
     "error": str | None, "file": str, "index": "d:g:v" | None}

``pass`` is ``None`` for a skipped case (with ``"skipped": True``): a
transition fork (``BerlinToLondonAt5``, blockchain tests only) or a JSON file
holding no state test at all (e.g. TrieTests). A file that cannot be read or
parsed, an entry with bad hex or an unknown fork gives a failed result whose
``error`` is one line; the run always goes on.

The environment is built the way the execution specs' ``statetest`` tool
builds it (``ethereum_spec_tools/evm_tools/statetest`` + t8n ``Env``):
``currentRandom`` is PREVRANDAO from Paris (left-padded to 32 bytes),
``currentDifficulty`` before; ``currentBaseFee`` from London;
``currentExcessBlobGas`` from Cancun; ``config.chainid`` (default 1). The only
block hash known is ``previousHash`` when the fixture has one (the spec keys
it to block 0, its test blocks being number 1; here it is block
``number - 1``); every other BLOCKHASH in range reads as zero.

:func:`read_fixture` and :func:`iter_cases` are the one fixture walk: each
selected entry is a :class:`FixtureCase` whose ``build()`` makes its
pre-state, environment and transaction (``evm bench`` reads files the same
way). :func:`run_files` runs many files, in worker processes with ``jobs``
> 1 (:func:`evm.fixturefiles.map_files`).
"""
from __future__ import annotations

import functools
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Pattern, Sequence, TextIO, Tuple, Union

from .env import BlockEnv
from .fixturefiles import iter_fixture_files, map_files
from .forks import Fork, fork_from_name
from .state import Account, State
from .transaction import Authorization, InvalidTransaction, Transaction, sender_from_secret_key

__all__ = [
    "FixtureError",
    "FixtureCase",
    "read_fixture",
    "iter_cases",
    "run_case",
    "run_file",
    "run_files",
    "iter_fixture_files",
    "parse_index",
    "parse_fork_filter",
    "build_state",
    "build_env",
    "build_transaction",
    "run_transaction",
]

Result = Dict[str, Any]
IndexFilter = Tuple[Optional[int], Optional[int], Optional[int]]

# Fork names of transition tests ("BerlinToLondonAt5"): blockchain tests only.
_TRANSITION_FORK = re.compile(r"^[A-Za-z0-9]+To[A-Za-z0-9]+At[A-Za-z0-9]+$")
_BIGINT_PREFIX = "0x:bigint "
_STATE_TEST_KEYS = frozenset(("env", "pre", "transaction", "post"))


class FixtureError(ValueError):
    """A fixture is malformed (missing field, bad hex, wrong type)."""


# --- Small parsers ---------------------------------------------------------
def _hex_int(value: Any, what: str) -> int:
    """A fixture number: ``0x`` hex (possibly ``0x:bigint 0x…``), a decimal string or an int."""
    if isinstance(value, bool):
        raise FixtureError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise FixtureError(f"{what}: negative number {value}")
        return value
    if not isinstance(value, str):
        raise FixtureError(f"{what}: expected a hex string, got {type(value).__name__}")
    s = value
    if s.startswith(_BIGINT_PREFIX):  # ethereum/tests' marker for values past 2**256
        s = s[len(_BIGINT_PREFIX):]
    try:
        if s[:2] in ("0x", "0X"):
            return int(s[2:], 16) if len(s) > 2 else 0
        if s.isdigit():
            return int(s, 10)
    except ValueError:
        pass
    raise FixtureError(f"{what}: bad hex number {_short(value)}")


def _hex_bytes(value: Any, what: str, length: Optional[int] = None) -> bytes:
    """``0x``-prefixed hex bytes (``0x`` alone is empty)."""
    if not isinstance(value, str):
        raise FixtureError(f"{what}: expected a hex string, got {type(value).__name__}")
    s = value[2:] if value[:2] in ("0x", "0X") else value
    if len(s) % 2:
        raise FixtureError(f"{what}: odd number of hex digits in {_short(value)}")
    try:
        b = bytes.fromhex(s)
    except ValueError:
        raise FixtureError(f"{what}: bad hex {_short(value)}") from None
    if length is not None and len(b) != length:
        raise FixtureError(f"{what}: expected {length} bytes, got {len(b)}")
    return b


def _padded_bytes32(value: Any, what: str) -> bytes:
    """Hex of at most 32 bytes, left-padded (the spec tolerates short/odd-length randao)."""
    if not isinstance(value, str):
        raise FixtureError(f"{what}: expected a hex string, got {type(value).__name__}")
    s = value[2:] if value[:2] in ("0x", "0X") else value
    if len(s) % 2:
        s = "0" + s
    b = _hex_bytes("0x" + s, what)
    if len(b) > 32:
        raise FixtureError(f"{what}: more than 32 bytes")
    return b.rjust(32, b"\x00")


def _short(value: Any, n: int = 40) -> str:
    r = repr(value)
    return r if len(r) <= n else r[: n - 3] + "..."


def _get(d: Any, key: str, what: str) -> Any:
    if not isinstance(d, dict):
        raise FixtureError(f"{what}: expected an object, got {type(d).__name__}")
    try:
        return d[key]
    except KeyError:
        raise FixtureError(f"{what}: missing field {key!r}") from None


def _pick(values: Any, i: int, what: str) -> Any:
    if not isinstance(values, list):
        raise FixtureError(f"transaction.{what}: expected a list, got {type(values).__name__}")
    if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(values):
        raise FixtureError(f"transaction.{what}: index {i!r} out of range (0..{len(values) - 1})")
    return values[i]


# --- Building the pieces ---------------------------------------------------
def build_state(pre: Any) -> State:
    """A :class:`State` from a fixture's ``pre`` (or ``post[...].state``) object."""
    if not isinstance(pre, dict):
        raise FixtureError(f"pre: expected an object, got {type(pre).__name__}")
    state = State()
    for addr_hex, acct in pre.items():
        where = f"pre[{addr_hex}]"
        if not isinstance(acct, dict):
            raise FixtureError(f"{where}: expected an object, got {type(acct).__name__}")
        address = _hex_bytes(addr_hex, where, 20)
        storage_json = acct.get("storage", {})
        if not isinstance(storage_json, dict):
            raise FixtureError(f"{where}.storage: expected an object")
        storage = {}
        for k, v in storage_json.items():
            key = _hex_int(k, f"{where}.storage key")
            val = _hex_int(v, f"{where}.storage[{k}]")
            if key >= 2**256 or val >= 2**256:
                raise FixtureError(f"{where}.storage[{k}]: value does not fit in 256 bits")
            if val:
                storage[key] = val
        state.accounts[address] = Account(
            nonce=_hex_int(_get(acct, "nonce", where), f"{where}.nonce"),
            balance=_hex_int(_get(acct, "balance", where), f"{where}.balance"),
            code=_hex_bytes(_get(acct, "code", where), f"{where}.code"),
            storage=storage,
        )
    return state


def build_env(env: Any, fork: Fork, chain_id: int = 1) -> BlockEnv:
    """A :class:`BlockEnv` from a fixture's ``env`` object, as the spec's t8n reads it for ``fork``."""
    number = _hex_int(_get(env, "currentNumber", "env"), "env.currentNumber")
    kwargs: Dict[str, Any] = dict(
        coinbase=_hex_bytes(_get(env, "currentCoinbase", "env"), "env.currentCoinbase", 20),
        number=number,
        timestamp=_hex_int(_get(env, "currentTimestamp", "env"), "env.currentTimestamp"),
        gas_limit=_hex_int(_get(env, "currentGasLimit", "env"), "env.currentGasLimit"),
        chain_id=chain_id,
    )
    if fork >= Fork.LONDON:
        kwargs["base_fee"] = _hex_int(_get(env, "currentBaseFee", "env"), "env.currentBaseFee")
    if fork >= Fork.PARIS:
        kwargs["prev_randao"] = _padded_bytes32(_get(env, "currentRandom", "env"), "env.currentRandom")
    else:
        kwargs["difficulty"] = _hex_int(_get(env, "currentDifficulty", "env"), "env.currentDifficulty")
    if fork >= Fork.CANCUN:
        # The spec would derive it from parent fields when absent; fixtures
        # that lack both are treated as a zero excess.
        raw = env.get("currentExcessBlobGas")
        kwargs["excess_blob_gas"] = _hex_int(raw, "env.currentExcessBlobGas") if raw is not None else 0
    return BlockEnv(**kwargs)


def _build_access_list(raw: Any) -> List[Tuple[bytes, List[int]]]:
    if not isinstance(raw, list):
        raise FixtureError("transaction.accessLists: expected a list")
    out = []
    for i, entry in enumerate(raw):
        where = f"transaction.accessLists[..][{i}]"
        address = _hex_bytes(_get(entry, "address", where), f"{where}.address", 20)
        keys = _get(entry, "storageKeys", where)
        if not isinstance(keys, list):
            raise FixtureError(f"{where}.storageKeys: expected a list")
        out.append((address, [_hex_int(k, f"{where}.storageKeys") for k in keys]))
    return out


def _build_authorizations(raw: Any) -> List[Authorization]:
    if not isinstance(raw, list):
        raise FixtureError("transaction.authorizationList: expected a list")
    out = []
    for i, entry in enumerate(raw):
        where = f"transaction.authorizationList[{i}]"
        parity = entry.get("yParity", entry.get("v")) if isinstance(entry, dict) else None
        if parity is None:
            raise FixtureError(f"{where}: missing field 'v'")
        out.append(
            Authorization(
                chain_id=_hex_int(_get(entry, "chainId", where), f"{where}.chainId"),
                address=_hex_bytes(_get(entry, "address", where), f"{where}.address", 20),
                nonce=_hex_int(_get(entry, "nonce", where), f"{where}.nonce"),
                y_parity=_hex_int(parity, f"{where}.v"),
                r=_hex_int(_get(entry, "r", where), f"{where}.r"),
                s=_hex_int(_get(entry, "s", where), f"{where}.s"),
            )
        )
    return out


def build_transaction(tx: Any, d: int, g: int, v: int) -> Transaction:
    """The :class:`Transaction` of variant ``(d, g, v)`` of a fixture's ``transaction``.

    The type is chosen as the spec's t8n does: ``authorizationList`` → 4,
    ``maxFeePerBlobGas`` → 3, ``maxFeePerGas`` → 2, a non-null
    ``accessLists[d]`` → 1, else legacy.
    """
    if not isinstance(tx, dict):
        raise FixtureError("transaction: expected an object")
    if "secretKey" in tx:
        try:
            sender = sender_from_secret_key(_hex_bytes(tx["secretKey"], "transaction.secretKey", 32))
        except ValueError as e:
            raise FixtureError(f"transaction.secretKey: {e}") from None
    else:
        sender = _hex_bytes(_get(tx, "sender", "transaction"), "transaction.sender", 20)

    to_raw = _get(tx, "to", "transaction")
    to = None if to_raw in ("", None) else _hex_bytes(to_raw, "transaction.to", 20)

    access_list = None
    if "accessLists" in tx:
        entry = _pick(tx["accessLists"], d, "accessLists")
        if entry is not None:
            access_list = _build_access_list(entry)

    kwargs: Dict[str, Any] = dict(
        sender=sender,
        to=to,
        nonce=_hex_int(_get(tx, "nonce", "transaction"), "transaction.nonce"),
        data=_hex_bytes(_pick(_get(tx, "data", "transaction"), d, "data"), "transaction.data"),
        gas_limit=_hex_int(_pick(_get(tx, "gasLimit", "transaction"), g, "gasLimit"), "transaction.gasLimit"),
        value=_hex_int(_pick(_get(tx, "value", "transaction"), v, "value"), "transaction.value"),
        access_list=access_list,
    )
    if "maxFeePerGas" in tx:
        kwargs["max_fee_per_gas"] = _hex_int(tx["maxFeePerGas"], "transaction.maxFeePerGas")
        kwargs["max_priority_fee_per_gas"] = _hex_int(
            _get(tx, "maxPriorityFeePerGas", "transaction"), "transaction.maxPriorityFeePerGas"
        )
        # A typed transaction with fee-market fields has an access list, maybe empty.
        if kwargs["access_list"] is None:
            kwargs["access_list"] = []
    else:
        kwargs["gas_price"] = _hex_int(_get(tx, "gasPrice", "transaction"), "transaction.gasPrice")
    if "authorizationList" in tx:
        kwargs["authorization_list"] = _build_authorizations(tx["authorizationList"])
    elif "maxFeePerBlobGas" in tx:
        kwargs["max_fee_per_blob_gas"] = _hex_int(tx["maxFeePerBlobGas"], "transaction.maxFeePerBlobGas")
        hashes = tx.get("blobVersionedHashes") or []
        if not isinstance(hashes, list):
            raise FixtureError("transaction.blobVersionedHashes: expected a list")
        kwargs["blob_versioned_hashes"] = [
            _hex_bytes(h, "transaction.blobVersionedHashes", 32) for h in hashes
        ]
    try:
        return Transaction(**kwargs)
    except (TypeError, ValueError) as e:
        raise FixtureError(f"transaction: {e}") from None


# --- Filters ---------------------------------------------------------------
def parse_index(spec: Union[str, Sequence[Optional[int]], None]) -> Optional[IndexFilter]:
    """Parse ``"D:G:V"`` (each an int, ``*`` or empty for any) into a filter tuple."""
    if spec is None:
        return None
    if not isinstance(spec, str):
        parts = tuple(spec)
        if len(parts) != 3:
            raise ValueError("an index filter is (data, gas, value)")
        return parts  # type: ignore[return-value]
    fields = spec.split(":")
    if len(fields) != 3:
        raise ValueError(f"bad index {spec!r}: expected D:G:V, e.g. 0:0:0 or 1:*:*")
    out: List[Optional[int]] = []
    for f in fields:
        f = f.strip()
        if f in ("", "*"):
            out.append(None)
        elif f.isdigit():
            out.append(int(f))
        else:
            raise ValueError(f"bad index {spec!r}: {f!r} is not a number or *")
    return out[0], out[1], out[2]


def parse_run_filter(run: Union[str, Pattern[str], None]) -> Optional[Pattern[str]]:
    """``--run``'s regular expression, compiled; ``ValueError`` if it is bad."""
    if isinstance(run, str):
        try:
            return re.compile(run)
        except re.error as e:
            raise ValueError(f"bad --run regular expression {run!r}: {e}") from None
    return run


def parse_fork_filter(fork: Union[str, Fork, None]) -> Optional[Fork]:
    """A fork filter from a name (any fixture/spec spelling) or a :class:`Fork`."""
    if fork is None or isinstance(fork, Fork):
        return fork
    return fork_from_name(fork)


def _index_matches(want: Optional[IndexFilter], got: Tuple[int, int, int]) -> bool:
    return want is None or all(w is None or w == g for w, g in zip(want, got))


# --- Running ---------------------------------------------------------------
def _failure(path: str, name: str, error: str, fork: Optional[str] = None, index: Optional[str] = None) -> Result:
    return {
        "name": name,
        "pass": False,
        "stateRoot": None,
        "fork": fork,
        "error": error,
        "file": path,
        "index": index,
    }


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _state_diff(expected: Any, state: State, limit: int = 3) -> str:
    """Name the first few differences from an EEST ``post[...].state`` (empty if none found)."""
    try:
        want = build_state(expected)
    except FixtureError:
        return ""
    diffs: List[str] = []
    for addr in sorted(set(want.accounts) | set(state.accounts)):
        a, b = state.accounts.get(addr), want.accounts.get(addr)
        tag = "0x" + addr.hex()
        if a is None or b is None:
            diffs.append(f"{tag} {'missing' if a is None else 'unexpected'}")
        else:
            for f in ("nonce", "balance"):
                if getattr(a, f) != getattr(b, f):
                    diffs.append(f"{tag} {f} got {getattr(a, f):#x} want {getattr(b, f):#x}")
            if a.code != b.code:
                diffs.append(f"{tag} code differs")
            sa = {k: v for k, v in a.storage.items() if v}
            for k in sorted(set(sa) | set(b.storage)):
                if sa.get(k, 0) != b.storage.get(k, 0):
                    diffs.append(f"{tag} storage[{k:#x}] got {sa.get(k, 0):#x} want {b.storage.get(k, 0):#x}")
                    break
        if len(diffs) >= limit:
            break
    return "; ".join(diffs[:limit])


@dataclass(frozen=True)
class FixtureCase:
    """One case of a state-test file: a (test, fork, post entry), not yet built.

    The fixture walk (:func:`iter_cases`) yields these; :meth:`build` makes
    the case's pre-state, block environment and transaction, the one way
    both ``evm statetest`` and ``evm bench`` read a fixture.
    """

    file: str
    name: str
    test: Dict[str, Any]
    fork_label: str
    fork: Fork
    position: int
    post: Any

    @property
    def index(self) -> str:
        """``"d:g:v"``, or ``"#i"`` (the entry's position) when its indexes are unreadable."""
        return _index_str(self.post.get("indexes") if isinstance(self.post, dict) else None, self.position)

    def indexes(self) -> Tuple[Any, Any, Any]:
        """The entry's (data, gas, value) indexes; :class:`FixtureError` when missing."""
        idx = _get(self.post, "indexes", f"post.{self.fork_label}")
        return _get(idx, "data", "indexes"), _get(idx, "gas", "indexes"), _get(idx, "value", "indexes")

    @property
    def expect_exception(self) -> Optional[str]:
        """The exception the fixture expects (the transaction must be rejected), if any."""
        return self.post.get("expectException") if isinstance(self.post, dict) else None

    def expected_root(self) -> bytes:
        """The post state root the fixture expects (``hash``)."""
        return _hex_bytes(_get(self.post, "hash", f"post.{self.fork_label}"), "post.hash", 32)

    def expected_logs(self) -> Optional[bytes]:
        """The logs hash the fixture expects, if it gives one."""
        return _hex_bytes(self.post["logs"], "post.logs", 32) if "logs" in self.post else None

    def build(self) -> Tuple[State, BlockEnv, Transaction]:
        """The case's pre-state, environment (chain id from ``config.chainid``,
        default 1) and transaction; ``previousHash`` becomes the hash of block
        ``number - 1``. Raises :class:`FixtureError` for a malformed fixture."""
        test, name = self.test, self.name
        d, g, v = self.indexes()
        chain_id = 1
        config = test.get("config")
        if isinstance(config, dict) and "chainid" in config:
            chain_id = _hex_int(config["chainid"], "config.chainid")
        state = build_state(_get(test, "pre", name))
        env_json = _get(test, "env", name)
        env = build_env(env_json, self.fork, chain_id)
        if "previousHash" in env_json and env.number > 0:
            state.block_hashes[env.number - 1] = _hex_bytes(env_json["previousHash"], "env.previousHash", 32)
        return state, env, build_transaction(_get(test, "transaction", name), d, g, v)


def run_transaction(
    test: Dict[str, Any],
    fork: Fork,
    d: int = 0,
    g: int = 0,
    v: int = 0,
    *,
    tracer: Any = None,
    apply_transaction: Optional[Callable[..., Any]] = None,
    name: str = "test",
) -> Tuple[State, Any, Optional[InvalidTransaction]]:
    """Run variant ``(d, g, v)`` of the state test ``test`` under ``fork``.

    Returns ``(post_state, result, invalid)``: ``result`` is the executor's
    :class:`~evm.executor.TransactionResult` (``None`` when the transaction
    is invalid, ``invalid`` then being the error). Bad fixture data raises
    :class:`FixtureError`.
    """
    case = FixtureCase("", name, test, fork.fixture_name, fork, 0,
                       {"indexes": {"data": d, "gas": g, "value": v}})
    return _execute(case, tracer, apply_transaction or _load_executor())


def _execute(case: FixtureCase, tracer: Any,
             apply_transaction: Callable[..., Any]) -> Tuple[State, Any, Optional[InvalidTransaction]]:
    state, env, tx = case.build()
    try:
        return state, apply_transaction(state, env, tx, case.fork, tracer=tracer), None
    except InvalidTransaction as e:
        return state, None, e


def _run_case(case: FixtureCase, trace: Optional[TextIO], apply_transaction: Callable[..., Any],
              dump: bool = False) -> Result:
    from .tracing import EIP3155Tracer, write_state_root
    from .trie import logs_hash, state_root

    d, g, v = case.indexes()
    index = f"{d}:{g}:{v}"
    want_root = case.expected_root()
    want_logs = case.expected_logs()
    expect_exception = case.expect_exception
    post, fork = case.post, case.fork

    tracer = EIP3155Tracer(trace, fork=fork) if trace is not None else None
    state, result, invalid = _execute(case, tracer, apply_transaction)
    logs: List[Any] = list(result.logs) if result is not None else []
    if tracer is not None:
        tracer.flush()  # lines the core left pending (normally tx_end wrote them all)
    root = state_root(state)
    got_logs = logs_hash(logs)
    if trace is not None:
        write_state_root(trace, root)

    error: Optional[str] = None
    if expect_exception:
        if invalid is None:
            error = f"expected exception {expect_exception}, but the transaction was valid"
    elif invalid is not None:
        error = f"unexpected invalid transaction: {invalid}"
    if error is None and root != want_root:
        error = f"post state root mismatch: got {root.hex()}, want {want_root.hex()}"
        if "state" in post:
            hint = _state_diff(post["state"], state)
            if hint:
                error += f" ({hint})"
    if error is None and want_logs is not None and got_logs != want_logs:
        error = f"logs hash mismatch: got {got_logs.hex()}, want {want_logs.hex()}"
    out: Result = {
        "name": case.name,
        "pass": error is None,
        "stateRoot": "0x" + root.hex(),
        "fork": case.fork_label,
        "error": error,
        "file": case.file,
        "index": index,
    }
    if dump:  # the post-state, as geth's statetest --dump gives it
        from .tools.t8n import state_to_alloc

        out["state"] = {"root": "0x" + root.hex(), "accounts": state_to_alloc(state)}
    return out


def _load_executor() -> Callable[..., Any]:
    from .executor import apply_transaction

    return apply_transaction


def run_file(
    path: Union[str, os.PathLike],
    fork: Union[str, Fork, None] = None,
    run: Union[str, Pattern[str], None] = None,
    index: Union[str, Sequence[Optional[int]], None] = None,
    trace: Optional[TextIO] = None,
    *,
    apply_transaction: Optional[Callable[..., Any]] = None,
    dump: bool = False,
) -> List[Result]:
    """Run every case of the state-test file ``path`` and return one result per case.

    Args:
        path: a fixture JSON file.
        fork: run only this fork's entries (a name such as ``"Cancun"`` or a :class:`Fork`).
        run: run only tests whose name matches this regular expression (``re.search``).
        index: run only entries whose indexes match ``"D:G:V"`` (``*`` = any).
        trace: a text stream for EIP-3155 lines and a ``{"stateRoot"}`` line per case.
        apply_transaction: the executor to use (default :func:`evm.executor.apply_transaction`).

    Raises ``ValueError`` only for a bad filter (unknown fork, bad regex or
    index); problems with the file itself become failed results.
    """
    return list(iter_file(path, fork, run, index, trace, apply_transaction=apply_transaction, dump=dump))


def iter_file(
    path: Union[str, os.PathLike],
    fork: Union[str, Fork, None] = None,
    run: Union[str, Pattern[str], None] = None,
    index: Union[str, Sequence[Optional[int]], None] = None,
    trace: Optional[TextIO] = None,
    *,
    apply_transaction: Optional[Callable[..., Any]] = None,
    dump: bool = False,
) -> Iterator[Result]:
    """Like :func:`run_file`, yielding results as the cases finish."""
    fork_filter = parse_fork_filter(fork)
    index_filter = parse_index(index)
    run = parse_run_filter(run)
    path = os.fspath(path)

    try:
        fixture = read_fixture(path)
    except FixtureError as e:
        yield _failure(path, path, str(e))
        return
    if not any(isinstance(t, dict) and _STATE_TEST_KEYS & t.keys() for t in fixture.values()):
        # Valid JSON of another kind (TrieTests, RLPTests, ...): not ours to judge.
        yield {
            "name": path, "pass": None, "stateRoot": None, "fork": None, "file": path, "index": None,
            "error": "not a state-test file (no test has env/pre/transaction/post)", "skipped": True,
        }
        return

    if apply_transaction is None:
        try:
            apply_transaction = _load_executor()
        except ImportError as e:
            yield _failure(path, path, f"executor not available: {_one_line(e)}")
            return

    for case in iter_cases(fixture, path, fork_filter, run, index_filter):
        yield case if isinstance(case, dict) else run_case(case, trace, apply_transaction, dump)


def run_case(
    case: FixtureCase,
    trace: Optional[TextIO] = None,
    apply_transaction: Optional[Callable[..., Any]] = None,
    dump: bool = False,
) -> Result:
    """Run one case (from :func:`iter_cases`) and return its result dict; never raises.

    A malformed entry or an executor bug becomes a failed result whose
    ``error`` says so. ``apply_transaction`` defaults to
    :func:`evm.executor.apply_transaction`; ``trace`` as in :func:`run_file`;
    ``dump`` adds the post-state (``"state": {"root", "accounts"}``).
    """
    path = case.file
    try:
        if apply_transaction is None:
            apply_transaction = _load_executor()
        return _run_case(case, trace, apply_transaction, dump)
    except FixtureError as e:
        return _failure(path, case.name, _one_line(e), fork=case.fork_label, index=case.index)
    except RecursionError:
        return _failure(path, case.name, "internal error: recursion limit", fork=case.fork_label,
                        index=case.index)
    except Exception as e:  # an executor bug must not stop the run
        return _failure(
            path, case.name, _one_line(f"internal error: {type(e).__name__}: {e}"),
            fork=case.fork_label, index=case.index,
        )


# --- The fixture walk (shared with evm bench) -------------------------------
def read_fixture(path: Union[str, os.PathLike]) -> Dict[str, Any]:
    """The JSON object of a fixture file: test names to tests.

    Raises :class:`FixtureError` (a one-line message) for a file that cannot
    be read, is not JSON (truncated or malformed) or is not a non-empty object.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        fixture = json.loads(raw)
    except OSError as e:
        raise FixtureError(f"cannot read fixture: {e.strerror or e}") from None
    except UnicodeDecodeError as e:
        raise FixtureError(f"not UTF-8 JSON: {_one_line(e)}") from None
    except json.JSONDecodeError as e:
        # "Unterminated string" can only mean the text ended inside a string.
        truncated = e.pos >= len(e.doc.rstrip()) or e.msg.startswith("Unterminated string")
        what = "truncated JSON" if truncated else "malformed JSON"
        raise FixtureError(f"{what}: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:
        raise FixtureError("malformed JSON: nested too deeply") from None
    if not isinstance(fixture, dict) or not fixture:
        raise FixtureError("not a state-test file: expected a non-empty JSON object of tests")
    return fixture


def iter_cases(
    fixture: Dict[str, Any],
    path: str,
    fork: Optional[Fork] = None,
    run: Optional[Pattern[str]] = None,
    index: Optional[IndexFilter] = None,
    *,
    skip_unknown_forks: bool = False,
) -> Iterator[Union[FixtureCase, Result]]:
    """Every (test, fork, post entry) of ``fixture`` that passes the filters, in file order.

    Yields a :class:`FixtureCase` per selected entry, and a result dict where
    there is nothing to run: a failed one for a test without ``post``, an
    unknown fork or a ``post`` that is not a list; a skipped one for a
    transition fork. Unknown and transition forks are passed over silently
    when a ``fork`` filter is given; unknown forks also with ``skip_unknown_forks``.
    """
    for name, test in fixture.items():
        if run is not None and not run.search(name):
            continue
        if not isinstance(test, dict) or not isinstance(test.get("post"), dict):
            yield _failure(path, name, "not a state test: no 'post' object")
            continue
        for fork_label, entries in test["post"].items():
            if _TRANSITION_FORK.match(str(fork_label)):
                if fork is None:
                    yield {
                        "name": name, "pass": None, "stateRoot": None, "fork": fork_label,
                        "error": "transition fork (blockchain tests only)", "file": path,
                        "index": None, "skipped": True,
                    }
                continue
            try:
                case_fork = fork_from_name(str(fork_label))
            except ValueError as e:
                if fork is None and not skip_unknown_forks:
                    yield _failure(path, name, str(e), fork=fork_label)
                continue
            if fork is not None and case_fork != fork:
                continue
            if not isinstance(entries, list):
                yield _failure(path, name, f"post.{fork_label}: expected a list", fork=fork_label)
                continue
            for i, post in enumerate(entries):
                if index is not None:
                    idx = post.get("indexes") if isinstance(post, dict) else None
                    try:
                        got = (int(idx["data"]), int(idx["gas"]), int(idx["value"]))  # type: ignore[index]
                    except (TypeError, KeyError, ValueError):
                        got = (-1, -1, -1)
                    if not _index_matches(index, got):
                        continue
                yield FixtureCase(path, name, test, str(fork_label), case_fork, i, post)


def _index_str(idx: Any, i: int) -> str:
    try:
        return f"{idx['data']}:{idx['gas']}:{idx['value']}"
    except (TypeError, KeyError):
        return f"#{i}"


# --- Many files ----------------------------------------------------------------
def _run_file_safely(
    path: str, fork: Union[str, Fork, None], run: Optional[str], index: Optional[str], dump: bool = False
) -> List[Result]:
    """:func:`run_file` as a pool worker: never raises."""
    try:
        return run_file(path, fork=fork, run=run, index=index, dump=dump)
    except Exception as e:  # defensive: report, do not kill the pool
        return [_failure(path, path, f"internal error: {type(e).__name__}: {e}")]


def run_files(
    files: Sequence[str],
    fork: Union[str, Fork, None] = None,
    run: Optional[str] = None,
    index: Optional[str] = None,
    jobs: int = 1,
    trace: Optional[TextIO] = None,
    cluster: Any = None,
    dump: bool = False,
) -> Iterator[List[Result]]:
    """The results of each file (see :func:`run_file`), in file order.

    With ``jobs`` > 1 the files run in worker processes
    (:func:`evm.fixturefiles.map_files`): a worker that crashes costs only
    its file, which gets one failed result. ``cluster`` (an
    :class:`evm.batch.Cluster`) runs them on Dask or Ray instead. ``trace``
    runs in this process.
    """
    if trace is not None:
        for path in files:
            yield run_file(path, fork=fork, run=run, index=index, trace=trace, dump=dump)
        return
    yield from map_files(files, functools.partial(_run_file_safely, fork=fork, run=run, index=index, dump=dump),
                         jobs, cluster=cluster)
