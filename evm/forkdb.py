"""Fork mode: a :class:`~evm.state.Database` that reads a real chain's state
lazily from an Ethereum JSON-RPC endpoint, at one fixed block.

The compiled core asks its database only on a cold miss, so a run fetches
exactly the accounts, slots and block hashes it touches:

- an account is one HTTP round trip: ``eth_getBalance``,
  ``eth_getTransactionCount`` and ``eth_getCode`` in one JSON-RPC batch;
- a storage slot is one ``eth_getStorageAt``; a block hash one
  ``eth_getBlockByNumber``;
- :meth:`RPCDatabase.prefetch` loads many accounts and slots in as few
  round trips as ``batch_size`` allows.

Every answer is kept in memory and, with ``cache=PATH``, in an SQLite file
keyed by the endpoint's chain id, the block number and the query, so a second
run over the same block makes no request at all. Only the standard library
is used (``http.client`` over one kept-alive connection, ``json``,
``sqlite3``); proxies are not used.

Everything that goes wrong on the way — an unreachable endpoint, an HTTP
error, a JSON-RPC error object, an answer that is not JSON or has the wrong
shape — raises :class:`RPCError` naming the method, its parameters and what
was wrong. Transient failures (connection refused or reset, timeouts, HTTP
429 and 5xx) are retried a bounded number of times with exponential backoff.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import itertools
import json
import os
import re
import ssl
import sqlite3
import threading
import time
import urllib.parse
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Type, Union

from .state import Account, to_address

__all__ = ["RPCDatabase", "RPCError", "RemoteStorage"]

#: Block tags accepted for ``block=``; each is resolved once, at construction.
BLOCK_TAGS = ("latest", "safe", "finalized")

#: Bumped whenever the cache tables change shape.
CACHE_SCHEMA_VERSION = 1

_U256_LIMIT = 1 << 256
_U64_LIMIT = 1 << 64
_ZERO_HASH = b"\x00" * 32
_QUANTITY = re.compile(r"0[xX][0-9a-fA-F]+")
_DATA = re.compile(r"0[xX](?:[0-9a-fA-F]{2})*")

Call = Tuple[str, List[Any]]
Address = Union[bytes, str, int]


class RPCError(Exception):
    """A JSON-RPC request failed or was answered with something unusable.

    ``calls`` lists the ``(method, params)`` pairs of the request that failed
    (``method`` and ``params`` are those of the first); ``url`` is the
    endpoint without credentials or path; ``reason`` says what was wrong;
    ``code`` is the JSON-RPC error code when the endpoint sent an error
    object (else ``None``).
    """

    def __init__(self, reason: str, calls: Sequence[Call] = (), url: str = "",
                 code: Optional[int] = None) -> None:
        self.reason = reason
        self.calls: List[Call] = list(calls)
        self.url = url
        self.code = code
        self.method: Optional[str] = self.calls[0][0] if self.calls else None
        self.params: Optional[List[Any]] = self.calls[0][1] if self.calls else None
        super().__init__(self._describe())

    def _describe(self) -> str:
        shown = ", ".join(f"{m}({', '.join(map(repr, p))})" for m, p in self.calls[:3])
        if len(self.calls) > 3:
            shown += f" and {len(self.calls) - 3} more calls in the batch"
        where = f" at {self.url}" if self.url else ""
        return f"{shown or 'JSON-RPC request'}{where}: {self.reason}"

    def __reduce__(self) -> Any:
        return (RPCError, (self.reason, self.calls, self.url, self.code))


class _Transient(Exception):
    """A failure worth retrying (the text is the reason)."""


class RemoteStorage(dict):
    """The ``storage`` of an account read from an endpoint: empty, but true.

    The account's slots stay at the endpoint and are read one by one through
    :meth:`RPCDatabase.get_storage`. The core only asks whether an account
    may have storage (``bool(account.storage)``) to decide whether to ask the
    database for a slot and for the CREATE collision rule (EIP-7610).
    """

    __slots__ = ()

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return "RemoteStorage()"


def _quantity(value: Any, limit: int) -> int:
    """A JSON-RPC QUANTITY ("0x" and hex digits) below ``limit``."""
    if not isinstance(value, str) or _QUANTITY.fullmatch(value) is None:
        raise ValueError(f"expected a hex quantity such as '0x1f', got {value!r:.80}")
    n = int(value[2:], 16)
    if n >= limit:
        raise ValueError(f"quantity {value} is out of range (at most {limit - 1:#x})")
    return n


def _data(value: Any, length: Optional[int] = None) -> bytes:
    """JSON-RPC DATA ("0x" and an even number of hex digits), of ``length`` bytes if given."""
    if not isinstance(value, str) or _DATA.fullmatch(value) is None:
        raise ValueError(f"expected 0x-prefixed hex data of whole bytes, got {value!r:.80}")
    raw = bytes.fromhex(value[2:])
    if length is not None and len(raw) != length:
        raise ValueError(f"expected {length} bytes of hex data, got {len(raw)}: {value!r:.80}")
    return raw


def _block(value: Any) -> Tuple[int, bytes]:
    """(number, hash) of an ``eth_getBlockByNumber`` answer."""
    if value is None:
        raise ValueError("the endpoint does not know this block (answer is null)")
    if not isinstance(value, dict):
        raise ValueError(f"expected a block object, got {type(value).__name__}")
    for name in ("number", "hash"):
        if value.get(name) is None:
            raise ValueError(f"the block object has no {name!r} field")
    return _quantity(value["number"], 1 << 63), _data(value["hash"], 32)


def _block_param(number: int) -> str:
    return hex(number)


def _slot_param(key: int) -> str:
    return "0x%064x" % key


class RPCDatabase:
    """State of a real chain at block ``block``, read lazily from ``url``.

    ``block`` is a block number or one of ``"latest"``, ``"safe"``,
    ``"finalized"`` (resolved once, here, to a number: :attr:`block`).
    ``cache`` is the path of an SQLite file shared by any number of runs,
    endpoints and blocks (``None``: memory only). ``chain_id`` skips asking
    the endpoint for it (otherwise it is asked once per URL and cached).
    ``timeout`` bounds each connect, send and receive, in seconds;
    ``batch_size`` is the largest
    number of JSON-RPC calls sent in one HTTP request; a transient failure
    is retried ``retries`` times, after ``backoff``, ``2 * backoff``, ...
    seconds.

    Use it wherever a :class:`~evm.state.Database` is taken; blocks after
    :attr:`block` do not exist for it (their hash reads as 32 zero bytes).
    :attr:`requests` and :attr:`calls` count the HTTP round trips and the
    JSON-RPC calls made so far. Error messages and ``repr`` show the URL
    without credentials or path (where providers put API keys), and the
    cache stores only a hash of it.
    """

    # made by _open(), again after unpickling
    _conn: Optional[http.client.HTTPConnection]
    _connection_class: Type[http.client.HTTPConnection]
    _host: str
    _port: Optional[int]
    _path: str
    _headers: Dict[str, str]
    _db: Optional[sqlite3.Connection]

    def __init__(self, url: str, block: Union[int, str] = "latest", *,
                 cache: Union[str, "os.PathLike[str]", None] = None,
                 chain_id: Optional[int] = None, timeout: float = 30.0,
                 batch_size: int = 100, retries: int = 3, backoff: float = 0.5) -> None:
        if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
            raise ValueError(f"url must be an http:// or https:// URL, got {url!r}")
        try:
            if not urllib.parse.urlsplit(url).hostname:
                raise ValueError("no host")
            urllib.parse.urlsplit(url).port  # noqa: B018 (raises on a bad port)
        except ValueError as e:
            raise ValueError(f"url {url!r} is malformed: {e}") from None
        if isinstance(block, bool) or not isinstance(block, (int, str)):
            raise TypeError(f"block must be an int or one of {BLOCK_TAGS}, got {block!r}")
        if isinstance(block, str) and block not in BLOCK_TAGS:
            raise ValueError(f"block must be a number or one of {BLOCK_TAGS}, got {block!r}")
        if isinstance(block, int) and not 0 <= block < 1 << 63:
            raise ValueError(f"block number out of range: {block}")
        if chain_id is not None and (isinstance(chain_id, bool) or not isinstance(chain_id, int)
                                     or not 0 <= chain_id < 1 << 63):
            raise ValueError(f"chain_id must be a non-negative int below 2**63, got {chain_id!r}")
        if not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be an int >= 1, got {batch_size!r}")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be an int >= 0, got {retries!r}")
        if not isinstance(backoff, (int, float)) or backoff < 0:
            raise ValueError(f"backoff must be a number of seconds >= 0, got {backoff!r}")
        self.url = url
        self._shown_url = _redact(url)
        self.timeout = float(timeout)
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = float(backoff)
        self.cache_path: Optional[str] = os.fspath(cache) if cache is not None else None
        #: HTTP round trips made (each retry counts) and JSON-RPC calls answered.
        self.requests = 0
        self.calls = 0
        self._accounts: Dict[bytes, Tuple[int, int, bytes]] = {}
        self._storage: Dict[Tuple[bytes, int], int] = {}
        self._hashes: Dict[int, bytes] = {}
        self._open()

        # chain id and block in one round trip when both have to be asked
        if chain_id is None:
            chain_id = self._cached_chain_id()
        calls: List[Call] = []
        if chain_id is None:
            calls.append(("eth_chainId", []))
        if isinstance(block, str):
            calls.append(("eth_getBlockByNumber", [block, False]))
        answers = self._batch(calls) if calls else []
        if chain_id is None:
            chain_id = self._parse(calls[0], answers.pop(0), lambda v: _quantity(v, 1 << 63))
            self._store("INSERT OR REPLACE INTO endpoint VALUES (?, ?)", [(_url_key(url), chain_id)])
        #: The endpoint's chain id and the block every read is made at.
        self.chain_id: int = chain_id
        if isinstance(block, str):
            number, block_hash = self._parse(calls[-1], answers.pop(0), _block)
            self._remember_hashes({number: block_hash})
        else:
            number = block
        self.block: int = number

    # -- the Database protocol -------------------------------------------
    def get_account(self, address: Address) -> Optional[Account]:
        """The account at ``address`` at :attr:`block`, or ``None`` when it
        is empty (no nonce, balance or code: JSON-RPC cannot tell an empty
        account from a missing one, and EIP-161 treats both alike)."""
        if type(address) is not bytes or len(address) != 20:
            address = to_address(address)
        fields = self._accounts.get(address)
        if fields is None:
            self.prefetch((address,))
            fields = self._accounts[address]
        nonce, balance, code = fields
        if not (nonce or balance or code):
            return None
        # Storage can only be non-empty with code or, for a contract whose
        # code is empty, a nonce (set to 1 at creation since EIP-161).
        return Account(nonce, balance, code, RemoteStorage() if nonce or code else {})

    def get_storage(self, address: Address, key: int) -> int:
        """The value of storage slot ``key`` of ``address`` at :attr:`block`."""
        if type(address) is not bytes or len(address) != 20:
            address = to_address(address)
        if isinstance(key, bool) or not isinstance(key, int) or not 0 <= key < _U256_LIMIT:
            raise ValueError(f"storage key must be an int in [0, 2**256), got {key!r}")
        value = self._storage.get((address, key))
        if value is None:
            self.prefetch(slots=((address, key),))
            value = self._storage[(address, key)]
        return value

    def get_block_hash(self, number: int) -> bytes:
        """The hash of block ``number`` (32 zero bytes after :attr:`block`,
        whose successors the forked chain does not have)."""
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ValueError(f"block number must be an int >= 0, got {number!r}")
        if number > self.block:
            return _ZERO_HASH
        h = self._hashes.get(number)
        if h is None:
            h = self._load_hash(number)
        return h

    # -- batching ----------------------------------------------------------
    def prefetch(self, addresses: Iterable[Address] = (),
                 slots: Iterable[Tuple[Address, int]] = ()) -> int:
        """Load the ``addresses`` and the ``(address, key)`` ``slots`` not
        yet known, in as few round trips as :attr:`batch_size` allows.
        Returns how many of them were fetched from the endpoint."""
        # dicts as ordered sets: each missing item once, in the order given
        accts: Dict[bytes, None] = {}
        for a in addresses:
            a = to_address(a)
            if a not in self._accounts:
                accts[a] = None
        pairs: Dict[Tuple[bytes, int], None] = {}
        for a, k in slots:
            if isinstance(k, bool) or not isinstance(k, int) or not 0 <= k < _U256_LIMIT:
                raise ValueError(f"storage key must be an int in [0, 2**256), got {k!r}")
            pair = (to_address(a), k)
            if pair not in self._storage:
                pairs[pair] = None
        want_accounts, want_slots = self._from_cache(list(accts), list(pairs))
        if not want_accounts and not want_slots:
            return 0

        tag = _block_param(self.block)
        calls: List[Call] = []
        for a in want_accounts:
            p = "0x" + a.hex()
            calls += [("eth_getBalance", [p, tag]), ("eth_getTransactionCount", [p, tag]),
                      ("eth_getCode", [p, tag])]
        for a, k in want_slots:
            calls.append(("eth_getStorageAt", ["0x" + a.hex(), _slot_param(k), tag]))
        answers = self._batch(calls)

        accounts: Dict[bytes, Tuple[int, int, bytes]] = {}
        for i, a in enumerate(want_accounts):
            balance = self._parse(calls[3 * i], answers[3 * i], lambda v: _quantity(v, _U256_LIMIT))
            nonce = self._parse(calls[3 * i + 1], answers[3 * i + 1], lambda v: _quantity(v, _U64_LIMIT))
            code = self._parse(calls[3 * i + 2], answers[3 * i + 2], _data)
            accounts[a] = (nonce, balance, code)
        base = 3 * len(want_accounts)
        values: Dict[Tuple[bytes, int], int] = {}
        for j, pair in enumerate(want_slots):
            raw = self._parse(calls[base + j], answers[base + j], lambda v: _data(v, 32))
            values[pair] = int.from_bytes(raw, "big")
        # only a complete, valid answer reaches memory and the cache
        self._accounts.update(accounts)
        self._storage.update(values)
        key = (str(self.chain_id), self.block)
        self._store("INSERT OR REPLACE INTO account VALUES (?, ?, ?, ?, ?, ?)",
                    [key + (a, n.to_bytes(8, "big"), b.to_bytes(32, "big"), c)
                     for a, (n, b, c) in accounts.items()])
        self._store("INSERT OR REPLACE INTO storage VALUES (?, ?, ?, ?, ?)",
                    [key + (a, k.to_bytes(32, "big"), v.to_bytes(32, "big"))
                     for (a, k), v in values.items()])
        return len(want_accounts) + len(want_slots)

    def _load_hash(self, number: int) -> bytes:
        row = self._query("SELECT hash FROM block_hash WHERE chain_id = ? AND number = ?",
                          (str(self.chain_id), number))
        if row is not None:
            self._hashes[number] = row[0]
            return row[0]
        call: Call = ("eth_getBlockByNumber", [_block_param(number), False])
        got, h = self._parse(call, self._batch([call])[0], _block)
        if got != number:
            raise RPCError(f"malformed answer: it is block {got}, not block {number}", [call], self._shown_url)
        self._remember_hashes({number: h})
        return h

    def _remember_hashes(self, hashes: Dict[int, bytes]) -> None:
        self._hashes.update(hashes)
        self._store("INSERT OR REPLACE INTO block_hash VALUES (?, ?, ?)",
                    [(str(self.chain_id), n, h) for n, h in hashes.items()])

    # -- JSON-RPC over HTTP ------------------------------------------------
    def _parse(self, call: Call, value: Any, parse: Any) -> Any:
        """``parse(value)``, with a malformed value reported as an RPCError for ``call``."""
        try:
            return parse(value)
        except ValueError as e:
            raise RPCError(f"malformed answer: {e}", [call], self._shown_url) from None

    def _batch(self, calls: List[Call]) -> List[Any]:
        """The results of ``calls``, in order, sent ``batch_size`` at a time."""
        out: List[Any] = []
        for start in range(0, len(calls), self.batch_size):
            out += self._round_trip(calls[start:start + self.batch_size])
        return out

    def _round_trip(self, calls: List[Call]) -> List[Any]:
        """One HTTP request carrying ``calls`` (a batch array when more than one)."""
        ids = [next(self._ids) for _ in calls]
        requests = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p}
                    for i, (m, p) in zip(ids, calls)]
        body = json.dumps(requests if len(requests) > 1 else requests[0]).encode()
        raw = self._post(body, calls)
        try:
            answer = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise RPCError(f"malformed answer: not JSON: {raw[:80]!r}", calls, self._shown_url) from None
        if isinstance(answer, dict) and len(calls) > 1 and "error" in answer and answer.get("id") is None:
            # a batch refused as a whole (e.g. batches not supported)
            self._raise_error(answer["error"], calls)
        answers = answer if len(calls) > 1 else [answer]
        if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers):
            want = "a JSON array of response objects" if len(calls) > 1 else "a JSON object"
            raise RPCError(f"malformed answer: expected {want}, got {raw[:80]!r}", calls, self._shown_url)
        by_id: Dict[Any, Dict[str, Any]] = {}
        for a in answers:
            by_id.setdefault(a.get("id"), a)
        results: List[Any] = []
        for i, call in zip(ids, calls):
            a = by_id.get(i)
            if a is None and len(calls) == 1 and len(answers) == 1 and answers[0].get("id") is None:
                a = answers[0]  # an error about the request itself carries id null
            if a is None:
                raise RPCError("malformed answer: no response with this call's id", [call], self._shown_url)
            if a.get("error") is not None:
                self._raise_error(a["error"], [call])
            if "result" not in a:
                raise RPCError("malformed answer: a response without 'result' or 'error'",
                               [call], self._shown_url)
            results.append(a["result"])
        self.calls += len(calls)
        return results

    def _raise_error(self, error: Any, calls: List[Call]) -> None:
        if isinstance(error, dict):
            code = error.get("code")
            code = code if isinstance(code, int) and not isinstance(code, bool) else None
            message = error.get("message")
            reason = f"JSON-RPC error {code}: {message}"
            if error.get("data") is not None:
                reason += f" ({str(error['data'])[:200]})"
            raise RPCError(reason, calls, self._shown_url, code)
        raise RPCError(f"JSON-RPC error: {str(error)[:200]}", calls, self._shown_url)

    def _post(self, body: bytes, calls: List[Call]) -> bytes:
        """POST ``body``; retry transient failures with exponential backoff."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            try:
                return self._post_once(body)
            except _Transient as e:
                if attempt + 1 == attempts:
                    tries = f" (after {attempts} attempts)" if attempts > 1 else ""
                    raise RPCError(f"{e}{tries}", calls, self._shown_url) from None
                time.sleep(self.backoff * 2 ** attempt)
            except RPCError as e:
                raise RPCError(e.reason, calls, self._shown_url) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _post_once(self, body: bytes) -> bytes:
        """One attempt: POST ``body`` on the kept-alive connection; the answer's body."""
        with self._http_lock:
            self.requests += 1
            reused = self._conn is not None
            try:
                try:
                    status, reason, data = self._exchange(body)
                except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    # the server closed the idle kept-alive connection: resend on a new one
                    self._disconnect()
                    status, reason, data = self._exchange(body)
            except _Transient:
                self._disconnect()
                raise
            except TimeoutError:
                self._disconnect()
                raise _Transient(f"no answer within {self.timeout:g} s") from None
            except ssl.SSLCertVerificationError as e:
                self._disconnect()
                raise RPCError(f"TLS certificate not accepted: {e.verify_message}") from None
            except (http.client.HTTPException, OSError) as e:
                self._disconnect()
                raise _Transient(f"connection failed: {type(e).__name__}: {e}") from None
            except BaseException:
                # e.g. KeyboardInterrupt mid-exchange: the connection is in an
                # unknown state, so the next request starts on a new one
                self._disconnect()
                raise
        if 200 <= status < 300:
            return data
        detail = " ".join(data[:200].decode("utf-8", "replace").split())
        message = f"HTTP {status} {reason}{': ' + detail if detail else ''}"
        if status == 429 or status >= 500:
            raise _Transient(message)
        raise RPCError(message)

    def _exchange(self, body: bytes) -> Tuple[int, str, bytes]:
        if self._conn is None:
            conn = self._connection_class(self._host, self._port, timeout=self.timeout)
            try:
                conn.connect()
            except TimeoutError:
                raise _Transient(f"endpoint unreachable: no connection within {self.timeout:g} s") from None
            except ssl.SSLError:
                raise
            except OSError as e:
                raise _Transient(f"endpoint unreachable: {e}") from None
            self._conn = conn
        self._conn.request("POST", self._path, body, self._headers)
        response = self._conn.getresponse()
        return response.status, response.reason, response.read()

    def _disconnect(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- the SQLite cache --------------------------------------------------
    def _open(self) -> None:
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._http_lock = threading.Lock()
        # one kept-alive connection: a round trip costs one request, not a
        # new TCP (and TLS) handshake each time
        self._conn = None
        parts = urllib.parse.urlsplit(self.url)
        self._connection_class = (http.client.HTTPSConnection if parts.scheme.lower() == "https"
                                  else http.client.HTTPConnection)
        self._host = parts.hostname or ""
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {"Content-Type": "application/json", "Accept": "application/json",
                         "User-Agent": "cyevm-forkdb"}
        if parts.username is not None:  # http://user:password@host/
            secret = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
            self._headers["Authorization"] = "Basic " + base64.b64encode(secret.encode()).decode()
        self._db = None
        if self.cache_path is None:
            return
        try:
            db = sqlite3.connect(self.cache_path, check_same_thread=False)
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, CACHE_SCHEMA_VERSION):
                db.close()
                raise ValueError(f"cache {self.cache_path!r} has schema version {version}, "
                                 f"this cyevm writes version {CACHE_SCHEMA_VERSION}")
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            with db:
                db.execute("CREATE TABLE IF NOT EXISTS endpoint "
                           "(url TEXT PRIMARY KEY, chain_id INTEGER NOT NULL)")
                db.execute("CREATE TABLE IF NOT EXISTS account (chain_id TEXT, block INTEGER, "
                           "address BLOB, nonce BLOB, balance BLOB, code BLOB, "
                           "PRIMARY KEY (chain_id, block, address)) WITHOUT ROWID")
                db.execute("CREATE TABLE IF NOT EXISTS storage (chain_id TEXT, block INTEGER, "
                           "address BLOB, slot BLOB, value BLOB, "
                           "PRIMARY KEY (chain_id, block, address, slot)) WITHOUT ROWID")
                db.execute("CREATE TABLE IF NOT EXISTS block_hash (chain_id TEXT, "
                           "number INTEGER, hash BLOB, PRIMARY KEY (chain_id, number)) WITHOUT ROWID")
                db.execute(f"PRAGMA user_version = {CACHE_SCHEMA_VERSION}")
        except sqlite3.Error as e:
            raise ValueError(f"cannot use {self.cache_path!r} as an SQLite cache: {e}") from None
        self._db = db

    def _query(self, sql: str, args: Tuple[Any, ...]) -> Optional[Tuple[Any, ...]]:
        if self._db is None:
            return None
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def _store(self, sql: str, rows: List[Tuple[Any, ...]]) -> None:
        if self._db is None or not rows:
            return
        with self._lock, self._db:
            self._db.executemany(sql, rows)

    def _cached_chain_id(self) -> Optional[int]:
        row = self._query("SELECT chain_id FROM endpoint WHERE url = ?", (_url_key(self.url),))
        return None if row is None else int(row[0])

    def _from_cache(self, accounts: List[bytes], slots: List[Tuple[bytes, int]]
                    ) -> Tuple[List[bytes], List[Tuple[bytes, int]]]:
        """Move what the SQLite cache holds into memory; return what it lacks."""
        if self._db is None or not (accounts or slots):
            return accounts, slots
        key = (str(self.chain_id), self.block)
        missing_accounts = []
        for a in accounts:
            row = self._query("SELECT nonce, balance, code FROM account "
                              "WHERE chain_id = ? AND block = ? AND address = ?", key + (a,))
            if row is None:
                missing_accounts.append(a)
            else:
                self._accounts[a] = (int.from_bytes(row[0], "big"),
                                     int.from_bytes(row[1], "big"), bytes(row[2]))
        missing_slots = []
        for a, k in slots:
            row = self._query("SELECT value FROM storage WHERE chain_id = ? AND block = ? "
                              "AND address = ? AND slot = ?", key + (a, k.to_bytes(32, "big")))
            if row is None:
                missing_slots.append((a, k))
            else:
                self._storage[(a, k)] = int.from_bytes(row[0], "big")
        return missing_accounts, missing_slots

    # -- lifetime --------------------------------------------------------------
    def close(self) -> None:
        """Close the connection and the SQLite cache (reads after this use
        memory and the endpoint only)."""
        with self._http_lock:
            self._disconnect()
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> "RPCDatabase":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __getstate__(self) -> Dict[str, Any]:
        # the connection, lock and opener are remade on unpickling
        state = dict(self.__dict__)
        for name in ("_db", "_lock", "_http_lock", "_conn", "_ids"):
            state.pop(name, None)
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._open()

    def __repr__(self) -> str:
        return (f"RPCDatabase({self._shown_url!r}, block={self.block}, chain_id={self.chain_id}, "
                f"cache={self.cache_path!r})")


def _redact(url: str) -> str:
    """``url`` without user, password, path or query: what messages may show."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    shown = f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port else "")
    return shown + ("/..." if parts.path.strip("/") or parts.query else "")


def _url_key(url: str) -> str:
    """What the cache stores for ``url``: its SHA-256, not the secrets in it."""
    return hashlib.sha256(url.encode()).hexdigest()
