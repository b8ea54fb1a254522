"""Fork mode (evm.forkdb.RPCDatabase) against a JSON-RPC server this test
starts on 127.0.0.1, serving a known state (see rpc_node.py)."""
from __future__ import annotations

import base64
import json
import pickle
import socket
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Optional

import pytest

from evm import EVM, Account, BlockEnv, Fork, State, compute_contract_address
from evm.forkdb import RemoteStorage, RPCDatabase, RPCError
from opcode_test_helpers import CALLER, asm, call
from rpc_node import FakeNode, block_hash_of

FORK_BLOCK = 100
TOKEN = bytes.fromhex("00000000000000000000000000000000000000aa")
OTHER = bytes.fromhex("00000000000000000000000000000000000000bb")
HOLDER = bytes.fromhex("00000000000000000000000000000000000000cc")
NOBODY = bytes.fromhex("00000000000000000000000000000000000000dd")
BIG_KEY = 2**255 + 3

# OTHER returns its slot 5
OTHER_CODE = asm(5, "SLOAD", 0, "MSTORE", 32, 0, "RETURN")
# TOKEN returns five words: slot0 + slot1, BALANCE(HOLDER), EXTCODESIZE(OTHER),
# BLOCKHASH(99), and what a CALL to OTHER returned
TOKEN_CODE = asm(
    0, "SLOAD", 1, "SLOAD", "ADD", 0, "MSTORE",
    int.from_bytes(HOLDER, "big"), "BALANCE", 32, "MSTORE",
    int.from_bytes(OTHER, "big"), "EXTCODESIZE", 64, "MSTORE",
    99, "BLOCKHASH", 96, "MSTORE",
) + call(OTHER, out_offset=128, out_size=32) + asm("POP", 160, 0, "RETURN")


def chain_state(slot0: int = 7) -> State:
    """The state the fake node serves at one block."""
    return State({
        TOKEN: Account(nonce=1, code=TOKEN_CODE, storage={0: slot0, 1: 35, BIG_KEY: 0xDEADBEEF}),
        OTHER: Account(nonce=1, balance=5 * 10**18, code=OTHER_CODE, storage={5: 1234}),
        HOLDER: Account(nonce=7, balance=10**18),
    })


def addr_param(a: bytes) -> str:
    return "0x" + a.hex()


@pytest.fixture
def node():
    # block 100 is the one forked; 101 differs, to show reads are pinned
    with FakeNode({FORK_BLOCK: chain_state(), FORK_BLOCK + 1: chain_state(slot0=8)}) as n:
        yield n


def account_requests(node: FakeNode) -> List[List[Dict[str, Any]]]:
    return [r for r in node.requests if isinstance(r, list)
            and any(c["method"] == "eth_getBalance" for c in r)]


def run_token(db: RPCDatabase) -> List[int]:
    """Call TOKEN through an EVM over ``db``; its five output words."""
    evm = EVM(db, Fork.CANCUN, BlockEnv(number=FORK_BLOCK + 1, timestamp=1, gas_limit=30_000_000))
    r = evm.message_call(CALLER, TOKEN, gas=1_000_000)
    assert r.success, r.error
    return [int.from_bytes(r.output[i:i + 32], "big") for i in range(0, 160, 32)]


EXPECTED_WORDS = [7 + 35, 10**18, len(OTHER_CODE), int.from_bytes(block_hash_of(99), "big"), 1234]


# -- reading through the EVM ---------------------------------------------------
def test_evm_reads_accounts_code_storage_and_block_hashes(node):
    db = RPCDatabase(node.url, FORK_BLOCK)
    assert run_token(db) == EXPECTED_WORDS


def test_one_round_trip_per_cold_account_and_per_slot(node):
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337)
    assert node.requests == []  # a given chain id and block number need no request
    run_token(db)
    per_account = account_requests(node)
    for r in per_account:
        # balance, nonce and code of one address, together
        assert sorted(c["method"] for c in r) == ["eth_getBalance", "eth_getCode",
                                                    "eth_getTransactionCount"]
        assert len({c["params"][0] for c in r}) == 1
    asked = [r[0]["params"][0] for r in per_account]
    assert len(asked) == len(set(asked))  # no account asked twice
    assert {addr_param(a) for a in (CALLER, TOKEN, HOLDER, OTHER)} <= set(asked)
    slots = [c["params"][:2] for c in node.calls() if c["method"] == "eth_getStorageAt"]
    assert sorted(slots) == sorted([[addr_param(TOKEN), "0x" + "%064x" % 0],
                                    [addr_param(TOKEN), "0x" + "%064x" % 1],
                                    [addr_param(OTHER), "0x" + "%064x" % 5]])
    hashes = [c["params"] for c in node.calls() if c["method"] == "eth_getBlockByNumber"]
    assert hashes == [[hex(99), False]]
    assert len(node.requests) == len(per_account) + 3 + 1
    assert db.requests == len(node.requests)
    # every state read is at the forked block
    for c in node.calls():
        if c["method"] != "eth_getBlockByNumber":
            assert c["params"][-1] == hex(FORK_BLOCK)
    # a new machine over the same database asks nothing again
    before = len(node.requests)
    assert run_token(db) == EXPECTED_WORDS
    assert len(node.requests) == before


def test_get_account_values(node):
    db = RPCDatabase(node.url, FORK_BLOCK)
    holder = db.get_account(HOLDER)
    assert (holder.nonce, holder.balance, holder.code) == (7, 10**18, b"")
    token = db.get_account("0x" + TOKEN.hex())
    assert (token.nonce, token.balance, token.code) == (1, 0, TOKEN_CODE)
    # the core asks for slots only of accounts whose storage is truthy
    assert isinstance(token.storage, RemoteStorage) and token.storage
    assert db.get_account(NOBODY) is None
    assert db.get_storage(TOKEN, BIG_KEY) == 0xDEADBEEF
    assert db.get_storage(TOKEN, 9) == 0
    assert db.get_block_hash(FORK_BLOCK) == block_hash_of(FORK_BLOCK)
    # blocks after the fork do not exist for it: no request made
    before = len(node.requests)
    assert db.get_block_hash(FORK_BLOCK + 1) == b"\x00" * 32
    assert len(node.requests) == before


def test_deploy_onto_a_forked_account_with_only_a_balance(node):
    # EIP-7610 counts storage as a collision; an account with neither code
    # nor nonce cannot have storage, so deploying onto it must succeed
    target = compute_contract_address(CALLER, 0)
    with FakeNode({FORK_BLOCK: State({target: Account(balance=3)})}) as n2:
        db = RPCDatabase(n2.url, FORK_BLOCK)
        assert not db.get_account(target).storage
        evm = EVM(db, Fork.CANCUN, BlockEnv(number=FORK_BLOCK + 1))
        r = evm.deploy(CALLER, asm(1, 0, "RETURN"))  # deploys one zero byte
        assert r.success and r.contract_address == target
        assert evm.get_code(target) == b"\x00" and evm.get_balance(target) == 3
    # with a nonce (every contract since EIP-161) storage may exist: the core asks
    assert RPCDatabase(node.url, FORK_BLOCK).get_account(HOLDER).storage


# -- batching ----------------------------------------------------------------------
def test_prefetch_loads_everything_in_one_round_trip(node):
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337)
    n = db.prefetch([TOKEN, OTHER, HOLDER, TOKEN],
                    [(TOKEN, 0), (TOKEN, 1), (OTHER, 5), (TOKEN, 0)])
    assert n == 6
    assert len(node.requests) == 1 and len(node.requests[0]) == 3 * 3 + 3
    assert db.get_account(OTHER).balance == 5 * 10**18
    assert db.get_storage(TOKEN, 1) == 35
    assert db.get_storage(OTHER, 5) == 1234
    assert db.prefetch([TOKEN], [(TOKEN, 0)]) == 0
    assert len(node.requests) == 1


def test_batch_size_splits_requests(node):
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337, batch_size=4)
    db.prefetch([TOKEN, OTHER, HOLDER], [(TOKEN, 0), (TOKEN, 1), (OTHER, 5)])
    assert [len(r) for r in node.requests] == [4, 4, 4]
    assert db.calls == 12


def test_one_kept_alive_connection(node):
    db = RPCDatabase(node.url, FORK_BLOCK)
    run_token(db)
    assert len(node.requests) > 5 and node.connections == 1
    assert all(h["Content-Type"] == "application/json" for h in node.headers)


def test_reconnects_when_the_server_closed_an_idle_connection():
    with FakeNode({FORK_BLOCK: chain_state()}, idle_timeout=0.05) as n:
        db = RPCDatabase(n.url, FORK_BLOCK, retries=0)  # no retry: the reconnect is not one
        assert db.get_storage(TOKEN, 0) == 7
        time.sleep(0.3)
        assert db.get_storage(TOKEN, 1) == 35
        assert n.connections == 2


def test_basic_auth_from_the_url(node):
    url = node.url.replace("http://", "http://alice:s%40fe@")
    RPCDatabase(url, FORK_BLOCK).get_storage(TOKEN, 0)
    expected = "Basic " + base64.b64encode(b"alice:s@fe").decode()
    assert {h["Authorization"] for h in node.headers} == {expected}


def test_secrets_in_the_url_stay_out_of_messages_and_cache(node, tmp_path):
    # providers put API keys in the path; credentials may be in the URL
    url = node.url.replace("http://", "http://alice:hunter2@") + "/v3/SECRETKEY?k=SECRETQ"
    node.hook = lambda c: {"jsonrpc": "2.0", "id": c["id"], "error": {"code": 1, "message": "x"}}
    db = RPCDatabase(url, FORK_BLOCK, chain_id=1, cache=tmp_path / "c.sqlite")
    with pytest.raises(RPCError) as info:
        db.get_account(TOKEN)
    shown = str(info.value) + repr(db) + info.value.url
    assert node.url in shown and "/..." in shown
    for secret in ("hunter2", "alice", "SECRETKEY", "SECRETQ"):
        assert secret not in shown
    node.hook = None
    RPCDatabase(url, FORK_BLOCK, cache=tmp_path / "c.sqlite").get_storage(TOKEN, 0)
    db.close()
    for f in tmp_path.iterdir():
        assert b"SECRETKEY" not in f.read_bytes() and b"hunter2" not in f.read_bytes()


def test_concurrent_reads_from_threads(node):
    db = RPCDatabase(node.url, FORK_BLOCK)
    keys = [0, 1, BIG_KEY, 9] * 4
    with ThreadPoolExecutor(8) as pool:
        values = list(pool.map(lambda k: db.get_storage(TOKEN, k), keys))
    assert values == [7, 35, 0xDEADBEEF, 0] * 4


def test_interrupted_exchange_leaves_a_usable_database(node):
    def interrupt(*args: Any) -> None:
        raise KeyboardInterrupt
    db = RPCDatabase(node.url, FORK_BLOCK, retries=0)
    db.get_storage(TOKEN, 0)  # the connection is open
    db._conn.getresponse = interrupt  # Ctrl-C while waiting for the answer
    with pytest.raises(KeyboardInterrupt):
        db.get_storage(TOKEN, 1)
    assert db.get_storage(TOKEN, 1) == 35  # on a new connection, no retry needed


# -- the block -----------------------------------------------------------------------
def test_latest_is_resolved_once(node):
    db = RPCDatabase(node.url)  # "latest"
    assert db.block == FORK_BLOCK + 1
    # chain id and the latest block in one round trip
    assert len(node.requests) == 1
    assert sorted(c["method"] for c in node.requests[0]) == ["eth_chainId", "eth_getBlockByNumber"]
    node.states[FORK_BLOCK + 2] = chain_state(slot0=9)  # the chain moves on
    assert db.get_storage(TOKEN, 0) == 8
    assert node.calls()[-1]["params"][-1] == hex(FORK_BLOCK + 1)
    # its hash came with the resolution
    before = len(node.requests)
    assert db.get_block_hash(FORK_BLOCK + 1) == block_hash_of(FORK_BLOCK + 1)
    assert len(node.requests) == before


def test_block_number_pins_the_state(node):
    assert RPCDatabase(node.url, FORK_BLOCK).get_storage(TOKEN, 0) == 7
    assert RPCDatabase(node.url, FORK_BLOCK + 1).get_storage(TOKEN, 0) == 8


# -- the SQLite cache ---------------------------------------------------------------
def test_second_run_on_the_cache_makes_no_request(node, tmp_path):
    path = tmp_path / "fork.sqlite"
    with RPCDatabase(node.url, FORK_BLOCK, cache=path) as db:
        assert run_token(db) == EXPECTED_WORDS
        assert db.get_account(NOBODY) is None
    first = len(node.requests)
    assert first > 0
    with RPCDatabase(node.url, FORK_BLOCK, cache=str(path)) as db2:
        assert run_token(db2) == EXPECTED_WORDS
        assert db2.get_account(NOBODY) is None
        assert db2.chain_id == 1337
        assert db2.requests == 0
    assert len(node.requests) == first


def test_cache_keeps_chains_and_blocks_apart(node, tmp_path):
    path = tmp_path / "fork.sqlite"
    other_chain = State({TOKEN: Account(nonce=1, code=b"\x00", storage={0: 555})})
    with FakeNode({FORK_BLOCK: other_chain}, chain_id=5) as node5:
        assert RPCDatabase(node.url, FORK_BLOCK, cache=path).get_storage(TOKEN, 0) == 7
        assert RPCDatabase(node5.url, FORK_BLOCK, cache=path).get_storage(TOKEN, 0) == 555
        assert RPCDatabase(node.url, FORK_BLOCK + 1, cache=path).get_storage(TOKEN, 0) == 8
        # and each is now served from the cache
        asked = len(node.requests), len(node5.requests)
        assert RPCDatabase(node.url, FORK_BLOCK, cache=path).get_storage(TOKEN, 0) == 7
        assert RPCDatabase(node5.url, FORK_BLOCK, cache=path).get_storage(TOKEN, 0) == 555
        assert (len(node.requests), len(node5.requests)) == asked


def test_prefetch_uses_the_cache(node, tmp_path):
    path = tmp_path / "fork.sqlite"
    RPCDatabase(node.url, FORK_BLOCK, cache=path).prefetch([TOKEN], [(TOKEN, 1)])
    db = RPCDatabase(node.url, FORK_BLOCK, cache=path)
    before = len(node.requests)
    assert db.prefetch([TOKEN, OTHER], [(TOKEN, 1), (OTHER, 5)]) == 2
    assert len(node.requests) == before + 1
    assert len(node.requests[-1]) == 3 + 1  # only OTHER and its slot


def test_a_file_that_is_not_a_cache(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a database" * 100)
    with pytest.raises(ValueError, match="notes.txt"):
        RPCDatabase("http://127.0.0.1:9", FORK_BLOCK, chain_id=1, cache=bad)


def test_cache_from_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "new.sqlite"
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version = 99")
    con.close()
    with pytest.raises(ValueError, match="schema version 99"):
        RPCDatabase("http://127.0.0.1:9", FORK_BLOCK, chain_id=1, cache=path)


def test_pickle_keeps_what_was_read(node, tmp_path):
    db = RPCDatabase(node.url, FORK_BLOCK, cache=tmp_path / "c.sqlite")
    db.get_storage(TOKEN, 0)
    copy = pickle.loads(pickle.dumps(db))
    before = len(node.requests)
    assert copy.get_storage(TOKEN, 0) == 7 and copy.block == FORK_BLOCK
    assert copy.get_storage(TOKEN, 1) == 35  # still works: fetched, then cached
    assert len(node.requests) == before + 1


# -- errors ----------------------------------------------------------------------------
def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def assert_clean(e: RPCError) -> None:
    # no urllib/json exception chained into what the user sees
    assert e.__cause__ is None and (e.__context__ is None or e.__suppress_context__)


def test_unreachable_endpoint():
    url = f"http://127.0.0.1:{free_port()}"
    db = RPCDatabase(url, FORK_BLOCK, chain_id=1, retries=2, backoff=0)
    with pytest.raises(RPCError) as info:
        db.get_account(TOKEN)
    e = info.value
    assert "unreachable" in str(e) and "after 3 attempts" in str(e) and url in str(e)
    assert e.method == "eth_getBalance" and e.params == [addr_param(TOKEN), hex(FORK_BLOCK)]
    assert db.requests == 3
    assert_clean(e)
    with pytest.raises(RPCError, match="eth_chainId"):
        RPCDatabase(url, FORK_BLOCK, retries=0)


def test_http_500_is_retried_then_reported(node):
    node.http_fault = lambda n: (500, b"<h1>Internal   Server Error</h1>")
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337, retries=2, backoff=0)
    with pytest.raises(RPCError) as info:
        db.get_storage(TOKEN, 0)
    assert "HTTP 500" in str(info.value) and "Internal Server Error" in str(info.value)
    assert info.value.method == "eth_getStorageAt"
    assert len(node.requests) == 3
    assert_clean(info.value)


def test_transient_failures_recover(node):
    node.http_fault = lambda n: (503, b"busy") if n <= 2 else None
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337, retries=3, backoff=0.001)
    assert db.get_storage(TOKEN, 1) == 35
    assert len(node.requests) == 3


def test_http_client_error_is_not_retried(node):
    node.http_fault = lambda n: (404, b"no such path")
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337, retries=3, backoff=0)
    with pytest.raises(RPCError, match="HTTP 404"):
        db.get_account(TOKEN)
    assert len(node.requests) == 1


def test_timeout(node):
    node.delay = 1.0
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337, timeout=0.1, retries=0)
    with pytest.raises(RPCError, match="no answer within 0.1 s"):
        db.get_storage(TOKEN, 0)


def test_error_object_names_method_and_params(node):
    def hook(c: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        if c["method"] == "eth_getStorageAt":
            return {"jsonrpc": "2.0", "id": c["id"],
                    "error": {"code": -32000, "message": "missing trie node"}}
        return None
    node.hook = hook
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337, retries=3, backoff=0)
    with pytest.raises(RPCError) as info:
        db.get_storage(TOKEN, 1)
    e = info.value
    assert e.code == -32000 and e.method == "eth_getStorageAt"
    assert e.params == [addr_param(TOKEN), "0x" + "%064x" % 1, hex(FORK_BLOCK)]
    assert "missing trie node" in str(e) and "eth_getStorageAt" in str(e)
    assert len(node.requests) == 1  # an answer, not a transient failure


def test_database_error_propagates_through_the_evm(node):
    node.hook = lambda c: ({"jsonrpc": "2.0", "id": c["id"], "error": {"code": -1, "message": "nope"}}
                           if c["method"] == "eth_getStorageAt" else None)
    with pytest.raises(RPCError, match="nope"):
        run_token(RPCDatabase(node.url, FORK_BLOCK))


def result_hook(method: str, result: Any):
    def hook(c: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        if c["method"] == method:
            return {"jsonrpc": "2.0", "id": c["id"], "result": result}
        return None
    return hook


@pytest.mark.parametrize("method, result, read, message", [
    ("eth_getStorageAt", "0x1234", "slot", "expected 32 bytes"),
    ("eth_getStorageAt", "0x" + "00" * 33, "slot", "expected 32 bytes"),
    ("eth_getStorageAt", 5, "slot", "hex data"),
    ("eth_getBalance", "0xzz", "account", "hex quantity"),
    ("eth_getBalance", "12", "account", "hex quantity"),
    ("eth_getBalance", "0x", "account", "hex quantity"),
    ("eth_getBalance", hex(2**256), "account", "out of range"),
    ("eth_getTransactionCount", hex(2**64), "account", "out of range"),
    ("eth_getTransactionCount", None, "account", "hex quantity"),
    ("eth_getCode", "0x123", "account", "hex data"),
    ("eth_getCode", "0x12 34", "account", "hex data"),
    ("eth_getBlockByNumber", None, "hash", "does not know this block"),
    ("eth_getBlockByNumber", {"number": hex(99)}, "hash", "no 'hash' field"),
    ("eth_getBlockByNumber", {"number": hex(99), "hash": "0x00"}, "hash", "expected 32 bytes"),
    ("eth_getBlockByNumber", {"number": hex(98), "hash": "0x" + "11" * 32}, "hash", "not block 99"),
    ("eth_getBlockByNumber", [], "hash", "expected a block object"),
])
def test_malformed_answers(node, method, result, read, message):
    node.hook = result_hook(method, result)
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337)
    with pytest.raises(RPCError, match="malformed answer") as info:
        if read == "slot":
            db.get_storage(TOKEN, 0)
        elif read == "account":
            db.get_account(TOKEN)
        else:
            db.get_block_hash(99)
    assert message in str(info.value)
    assert info.value.method == method
    assert_clean(info.value)
    # nothing half-read was kept: a good answer afterwards is used
    node.hook = None
    if read == "account":
        assert db.get_account(TOKEN).code == TOKEN_CODE


@pytest.mark.parametrize("body, message", [
    (b"<html>gateway</html>", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b'{"jsonrpc": "2.0", "id": 1, "result": "0x1"}', "expected a JSON array"),
    (b"[1, 2, 3]", "expected a JSON array of response objects"),
    (b"[]", "no response with this call's id"),
    (b'{"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "batch too large"}}',
     "batch too large"),
])
def test_garbage_batch_answers(node, body, message):
    node.http_fault = lambda n: (200, body)
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337)
    with pytest.raises(RPCError, match=message) as info:
        db.get_account(TOKEN)
    assert "eth_getBalance" in str(info.value)
    assert_clean(info.value)


def test_answer_without_result(node):
    node.hook = lambda c: {"jsonrpc": "2.0", "id": c["id"]}
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337)
    with pytest.raises(RPCError, match="without 'result'"):
        db.get_storage(TOKEN, 0)


def test_garbage_single_answer(node):
    node.http_fault = lambda n: (200, b"Service Unavailable")
    with pytest.raises(RPCError, match="eth_chainId.*not JSON"):
        RPCDatabase(node.url, FORK_BLOCK)


def test_latest_unknown_to_the_endpoint(node):
    node.hook = result_hook("eth_getBlockByNumber", None)
    with pytest.raises(RPCError, match="does not know this block"):
        RPCDatabase(node.url, "latest")


@pytest.mark.parametrize("kwargs, exc, field", [
    ({"url": "ftp://127.0.0.1/"}, ValueError, "url"),
    ({"url": 5}, ValueError, "url"),
    ({"url": "http://:8545/"}, ValueError, "url"),
    ({"url": "http://127.0.0.1:port/"}, ValueError, "url"),
    ({"block": "pending"}, ValueError, "block"),
    ({"block": -1}, ValueError, "block"),
    ({"block": 1.5}, TypeError, "block"),
    ({"block": True}, TypeError, "block"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"retries": -1}, ValueError, "retries"),
    ({"timeout": 0}, ValueError, "timeout"),
    ({"chain_id": "1"}, ValueError, "chain_id"),
])
def test_bad_arguments(kwargs, exc, field):
    args: Dict[str, Any] = {"url": "http://127.0.0.1:9", "block": 1, "chain_id": 1}
    args.update(kwargs)
    with pytest.raises(exc, match=field):
        RPCDatabase(args.pop("url"), args.pop("block"), **args)


def test_bad_reads(node):
    db = RPCDatabase(node.url, FORK_BLOCK, chain_id=1337)
    with pytest.raises(ValueError, match="storage key"):
        db.get_storage(TOKEN, -1)
    with pytest.raises(ValueError, match="storage key"):
        db.get_storage(TOKEN, 2**256)
    with pytest.raises(ValueError, match="address"):
        db.get_account(b"\x01" * 19)
    with pytest.raises(ValueError, match="block number"):
        db.get_block_hash(-1)
    assert node.requests == []


def test_rpc_error_pickles():
    e = RPCError("HTTP 500", [("eth_getCode", ["0x00", "0x1"])], "http://127.0.0.1:1", 3)
    e2 = pickle.loads(pickle.dumps(e))
    assert str(e2) == str(e) and e2.code == 3 and e2.method == "eth_getCode"
    assert json.dumps(e2.params)  # params stay plain JSON values


def test_the_embedding_api_works_over_a_fork(node):
    """Snapshots, setters, commit, a call trace and deepcopy over RPCDatabase
    (commit keeps the changes in the machine: the endpoint is only read)."""
    import copy

    from evm import CallTracer
    db = RPCDatabase(node.url, block=FORK_BLOCK)
    evm = EVM(db=db, fork=Fork.CANCUN, env=BlockEnv(number=FORK_BLOCK + 1, gas_limit=30_000_000))
    snap = evm.snapshot()
    evm.set_storage(TOKEN, 0, 100)
    evm.set_balance(HOLDER, 1)
    tracer = CallTracer()
    r = evm.message_call(CALLER, TOKEN, gas=1_000_000, inspector=tracer)
    assert int.from_bytes(r.output[:32], "big") == 100 + 35 and int.from_bytes(r.output[32:64], "big") == 1
    assert [c["to"] for c in tracer.result["calls"]] == [addr_param(OTHER)]
    evm.commit()
    assert evm.get_storage(TOKEN, 0) == 100
    other = copy.deepcopy(evm)
    evm.revert(snap)
    assert evm.get_storage(TOKEN, 0) == 7 and evm.get_balance(HOLDER) == 10**18
    assert other.get_storage(TOKEN, 0) == 100
