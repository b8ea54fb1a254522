"""A minimal Ethereum JSON-RPC endpoint on 127.0.0.1 for fork-mode tests and
benchmarks: it serves known states (a :class:`evm.State` per block number)
and block hashes, counts what it is asked, and can be told to fail.

Only what :mod:`evm.forkdb` asks is served: ``eth_chainId``,
``eth_getBlockByNumber``, ``eth_getBalance``, ``eth_getTransactionCount``,
``eth_getCode`` and ``eth_getStorageAt``. State reads must name a block by
number (a tag is answered with an error), so a test sees that reads are
pinned to the forked block.
"""
from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Tuple

from evm import State
from evm.crypto import keccak256

__all__ = ["FakeNode", "block_hash_of"]


def block_hash_of(number: int) -> bytes:
    """The hash the fake chain gives block ``number`` (any fixed 32 bytes would do)."""
    return keccak256(b"fake block " + number.to_bytes(8, "big"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # a client that gave up (a timeout test) is expected, not news
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            super().handle_error(request, client_address)


class FakeNode:
    """A JSON-RPC server in a thread, on an ephemeral loopback port.

    ``states`` maps block numbers to the state at that block; the latest
    block is the highest one. Hooks for failures:

    - ``http_fault(n)``, called with the 1-based number of each HTTP request,
      may return ``(status, body)`` to send instead of the normal answer;
    - ``hook(call)``, called with each JSON-RPC request object, may return a
      response object (a dict) to send for it instead of the normal one.

    With ``idle_timeout`` a connection idle that many seconds is closed.
    ``requests`` keeps every request body as parsed JSON (a list of call
    objects per HTTP request; unparsable bodies are kept as bytes),
    ``headers`` their HTTP headers, ``connections`` counts TCP connections.
    """

    def __init__(self, states: Dict[int, State], chain_id: int = 1337,
                 idle_timeout: Optional[float] = None) -> None:
        self.states = states
        self.chain_id = chain_id
        self.requests: List[Any] = []
        self.headers: List[Dict[str, str]] = []
        self.connections = 0
        self.http_fault: Optional[Callable[[int], Optional[Tuple[int, bytes]]]] = None
        self.hook: Optional[Callable[[Dict[str, Any]], Optional[Dict[str, Any]]]] = None
        self.delay = 0.0
        node = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real nodes do
            disable_nagle_algorithm = True  # headers and body are two writes
            timeout = idle_timeout  # close a connection idle this long

            def setup(self) -> None:
                super().setup()
                node.connections += 1

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                node.headers.append(dict(self.headers))
                status, payload = node._handle(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    @property
    def latest(self) -> int:
        """The number of the newest block."""
        return max(self.states)

    def calls(self) -> List[Dict[str, Any]]:
        """Every JSON-RPC call received, in order."""
        out: List[Dict[str, Any]] = []
        for r in self.requests:
            if isinstance(r, list):
                out += r
            elif isinstance(r, dict):
                out.append(r)
        return out

    def close(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeNode":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- answering ---------------------------------------------------------
    def _handle(self, body: bytes) -> Tuple[int, bytes]:
        if self.delay:
            threading.Event().wait(self.delay)
        try:
            request = json.loads(body)
        except ValueError:
            self.requests.append(body)
            return 200, json.dumps({"jsonrpc": "2.0", "id": None, "error": {
                "code": -32700, "message": "parse error"}}).encode()
        self.requests.append(request)
        if self.http_fault is not None:
            fault = self.http_fault(len(self.requests))
            if fault is not None:
                return fault
        if isinstance(request, list):
            return 200, json.dumps([self._respond(c) for c in request]).encode()
        return 200, json.dumps(self._respond(request)).encode()

    def _respond(self, call: Dict[str, Any]) -> Dict[str, Any]:
        if self.hook is not None:
            special = self.hook(call)
            if special is not None:
                return special
        try:
            result = self._answer(call["method"], call.get("params", []))
        except LookupError as e:
            return {"jsonrpc": "2.0", "id": call.get("id"),
                    "error": {"code": -32000, "message": str(e)}}
        return {"jsonrpc": "2.0", "id": call.get("id"), "result": result}

    def _state_at(self, tag: str) -> State:
        if not tag.startswith("0x"):
            raise LookupError(f"this node wants a block number, got {tag!r}")
        number = int(tag, 16)
        if number not in self.states:
            raise LookupError(f"header not found: {number}")
        return self.states[number]

    def _answer(self, method: str, params: List[Any]) -> Any:
        if method == "eth_chainId":
            return hex(self.chain_id)
        if method == "eth_getBlockByNumber":
            tag = params[0]
            number = self.latest if tag in ("latest", "safe", "finalized") else int(tag, 16)
            if number > self.latest:
                return None
            return {"number": hex(number), "hash": "0x" + block_hash_of(number).hex(),
                    "parentHash": "0x" + block_hash_of(number - 1).hex() if number else "0x" + "00" * 32,
                    "transactions": []}
        if method in ("eth_getBalance", "eth_getTransactionCount", "eth_getCode"):
            state = self._state_at(params[1])
            account = state.get_account(bytes.fromhex(params[0][2:]))
            if method == "eth_getCode":
                return "0x" + (account.code.hex() if account else "")
            n = 0 if account is None else (account.balance if method == "eth_getBalance" else account.nonce)
            return hex(n)
        if method == "eth_getStorageAt":
            state = self._state_at(params[2])
            value = state.get_storage(bytes.fromhex(params[0][2:]), int(params[1], 16))
            return "0x%064x" % value
        raise LookupError(f"the method {method} does not exist/is not available")  # geth's words
