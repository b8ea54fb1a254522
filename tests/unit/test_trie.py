"""Unit tests for evm.trie: hand-built nodes, storage/state roots, logs hash, and
differential checks against the execution specs (skipped when ``ethereum`` is absent)."""
from __future__ import annotations

import json
import random
from collections import namedtuple
from pathlib import Path
from typing import Dict

import pytest

from evm import rlp
from evm.crypto import keccak256
from evm.state import EMPTY_CODE_HASH, Account, State, to_address
from evm.trie import (
    EMPTY_TRIE_ROOT,
    logs_hash,
    nibble_list_to_compact,
    secure_trie_root,
    state_root,
    storage_root,
    trie_root,
)

STATE_TESTS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "ethereum-tests" / "GeneralStateTests"


def test_keccak256() -> None:
    assert keccak256(b"") == EMPTY_CODE_HASH
    assert keccak256(rlp.encode(b"")) == EMPTY_TRIE_ROOT


@pytest.mark.parametrize(
    "nibbles,leaf,expected",
    [
        ("12345", False, "112345"),
        ("012345", False, "00012345"),
        ("0f1cb8", True, "200f1cb8"),
        ("f1cb8", True, "3f1cb8"),
        ("", True, "20"),
        ("", False, "00"),
    ],
)
def test_compact_encoding(nibbles: str, leaf: bool, expected: str) -> None:
    assert nibble_list_to_compact(nibbles, leaf).hex() == expected


def test_empty_and_single() -> None:
    assert trie_root({}) == EMPTY_TRIE_ROOT
    assert trie_root({b"k": b""}) == EMPTY_TRIE_ROOT  # empty value = absent
    assert secure_trie_root({}) == EMPTY_TRIE_ROOT
    # One key: the root is a leaf holding the whole path; hashed even though short.
    assert trie_root({b"\x12\x34": b"v"}) == keccak256(rlp.encode([b"\x20\x12\x34", b"v"]))


def test_short_nodes_are_inlined() -> None:
    # Keys 0x01, 0x02 share nibble 0: an extension to a branch whose two leaves
    # are under 32 bytes, so they sit inside the branch rather than as hashes.
    branch = [b""] * 17
    branch[1] = [b"\x20", b"a"]
    branch[2] = [b"\x20", b"b"]
    branch_rlp = rlp.encode(branch)
    assert len(branch_rlp) < 32
    expected = keccak256(rlp.encode([b"\x10", branch]))
    assert trie_root({b"\x01": b"a", b"\x02": b"b"}) == expected


def test_long_nodes_are_hashed() -> None:
    v1, v2 = b"x" * 40, b"y" * 40
    branch = [b""] * 17
    branch[1] = keccak256(rlp.encode([b"\x20", v1]))
    branch[2] = keccak256(rlp.encode([b"\x20", v2]))
    expected = keccak256(rlp.encode([b"\x10", keccak256(rlp.encode(branch))]))
    assert trie_root({b"\x01": v1, b"\x02": v2}) == expected


def test_key_that_is_a_prefix_of_another() -> None:
    # b"\xab" ends at the branch below the shared "ab" prefix: it becomes the branch value.
    branch = [b""] * 17
    branch[0xC] = [b"\x3d", b"long"]
    branch[16] = b"short"
    expected = keccak256(rlp.encode([b"\x00\xab", branch]))
    assert trie_root({b"\xab": b"short", b"\xab\xcd": b"long"}) == expected


def test_dogs() -> None:
    # From ethereum/tests trieanyorder.json, kept here so it runs without fixtures.
    items = {b"doe": b"reindeer", b"dog": b"puppy", b"dogglesworth": b"cat"}
    assert trie_root(items).hex() == "8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3"


def test_secure_trie_hashes_keys() -> None:
    items = {b"a": b"1", b"bb": b"2", b"ccc": b"3"}
    assert secure_trie_root(items) == trie_root({keccak256(k): v for k, v in items.items()})


def test_storage_root() -> None:
    assert storage_root({}) == EMPTY_TRIE_ROOT
    assert storage_root({1: 0, 2: 0}) == EMPTY_TRIE_ROOT
    storage = {0: 1, 1: 0, 2**255: 2**256 - 1, 7: 0x80}
    expected = secure_trie_root(
        {k.to_bytes(32, "big"): rlp.encode(v) for k, v in storage.items() if v}
    )
    assert storage_root(storage) == expected


@pytest.mark.parametrize(
    "storage,exc",
    [({-1: 1}, ValueError), ({2**256: 1}, ValueError), ({1: 2**256}, ValueError), ({1: -5}, ValueError), ({"1": 1}, TypeError)],
)
def test_storage_root_rejects(storage: Dict, exc: type) -> None:
    with pytest.raises(exc):
        storage_root(storage)


def test_state_root_single_account() -> None:
    addr = to_address("0x" + "11" * 20)
    acct = Account(nonce=1, balance=10**18, code=b"\x60\x00", storage={1: 2})
    leaf = rlp.encode([1, 10**18, storage_root({1: 2}), keccak256(b"\x60\x00")])
    assert state_root({addr: acct}) == secure_trie_root({addr: leaf})
    # A State object is accepted as well as a mapping.
    assert state_root(State({addr: acct})) == state_root({addr: acct})
    assert state_root({}) == EMPTY_TRIE_ROOT


def test_state_root_rejects_bad_address() -> None:
    with pytest.raises(ValueError):
        state_root({b"\x01" * 19: Account()})
    with pytest.raises(TypeError):
        state_root({"0x" + "11" * 20: Account()})


Log = namedtuple("Log", "address topics data")


def test_logs_hash() -> None:
    assert logs_hash([]).hex() == "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
    a = b"\xaa" * 20
    t = [b"\x01" * 32, b"\x02" * 32]
    expected = keccak256(rlp.encode([[a, t, b"hi"], [a, [], b""]]))
    assert logs_hash([Log(a, t, b"hi"), Log(a, (), b"")]) == expected
    assert logs_hash([(a, t, b"hi"), (a, [], b"")]) == expected
    with pytest.raises(TypeError):
        logs_hash([(a, [5], b"")])
    with pytest.raises(ValueError):
        logs_hash([(a, [])])


def test_many_random_keys_vs_key_by_key_definition() -> None:
    # Adding keys one at a time and recomputing must agree with a one-shot build
    # regardless of insertion order (the root depends on the key set only).
    rng = random.Random(5)
    items = {rng.randbytes(rng.randrange(0, 5)): rng.randbytes(rng.randrange(1, 40)) for _ in range(200)}
    shuffled = dict(rng.sample(sorted(items.items()), len(items)))
    assert trie_root(items) == trie_root(shuffled)


# --- differential checks against the execution specs -------------------------


def _spec_trie_root(items: Dict[bytes, bytes], secured: bool) -> bytes:
    from ethereum.forks.cancun import trie as spec_trie
    from ethereum_types.bytes import Bytes

    t = spec_trie.Trie(secured=secured, default=Bytes(b""))
    for k, v in items.items():
        spec_trie.trie_set(t, Bytes(k), Bytes(v))
    return bytes(spec_trie.root(t))


@pytest.mark.parametrize("secured", [False, True])
def test_random_tries_match_execution_specs(secured: bool) -> None:
    pytest.importorskip("ethereum")
    rng = random.Random(42 + secured)
    for n in (1, 2, 3, 5, 17, 100, 600):
        # Short keys from a small alphabet give shared prefixes, keys that are
        # prefixes of others, and both inlined and hashed nodes.
        items = {
            bytes(rng.choice(b"\x00\x01\x10\xff") for _ in range(rng.randrange(0, 6))): rng.randbytes(rng.choice([1, 2, 5, 31, 33, 70]))
            for _ in range(n)
        }
        ours = secure_trie_root(items) if secured else trie_root(items)
        assert ours == _spec_trie_root(items, secured)


def _fixture_pre(path: Path) -> Dict[bytes, Account]:
    test = next(iter(json.loads(path.read_text()).values()))
    return {
        to_address(a): Account(
            nonce=int(j["nonce"], 16),
            balance=int(j["balance"], 16),
            code=bytes.fromhex(j["code"][2:]),
            storage={int(k, 16): int(v, 16) for k, v in j["storage"].items()},
        )
        for a, j in test["pre"].items()
    }


def _spec_state_root(accounts: Dict[bytes, Account]) -> bytes:
    from ethereum.forks.cancun import state as spec_state
    from ethereum.forks.cancun.fork_types import Account as SpecAccount
    from ethereum_types.bytes import Bytes, Bytes20, Bytes32
    from ethereum_types.numeric import U256, Uint

    s = spec_state.State()
    for addr, acct in accounts.items():
        spec_state.set_account(
            s, Bytes20(addr), SpecAccount(nonce=Uint(acct.nonce), balance=U256(acct.balance), code=Bytes(acct.code))
        )
        for k, v in acct.storage.items():
            spec_state.set_storage(s, Bytes20(addr), Bytes32(k.to_bytes(32, "big")), U256(v))
    return bytes(spec_state.state_root(s))


PRE_STATE_FILES = [
    "stExample/add11.json",
    "stSStoreTest/SstoreCallToSelfSubRefundBelowZero.json",
    "stSpecialTest/block504980.json",  # 14 accounts, 104 storage slots
    "stStackTests/underflowTest.json",  # 168 accounts, 166 slots
    "stBadOpcode/undefinedOpcodeFirstByte.json",  # 258 accounts
    "stRandom/randomStatetest0.json",
]


@pytest.mark.parametrize("rel", PRE_STATE_FILES)
def test_fixture_pre_state_root_matches_execution_specs(rel: str) -> None:
    pytest.importorskip("ethereum")
    path = STATE_TESTS / rel
    if not path.is_file():
        pytest.skip(f"fixture not found: {path}")
    accounts = _fixture_pre(path)
    assert state_root(accounts) == _spec_state_root(accounts)


def test_synthetic_state_matches_execution_specs() -> None:
    pytest.importorskip("ethereum")
    rng = random.Random(7)
    accounts = {
        rng.randbytes(20): Account(
            nonce=rng.randrange(3),
            balance=rng.getrandbits(rng.randrange(1, 256)),
            code=rng.choice([b"", b"\x00", rng.randbytes(100)]),
            storage={rng.getrandbits(rng.choice([8, 256])): rng.getrandbits(rng.randrange(0, 256)) for _ in range(rng.randrange(0, 20))},
        )
        for _ in range(60)
    }
    assert state_root(accounts) == _spec_state_root(accounts)


def test_add11_pre_state_root_constant() -> None:
    # Value confirmed against the execution specs' state_root (see the differential test above).
    path = STATE_TESTS / "stExample" / "add11.json"
    if not path.is_file():
        pytest.skip(f"fixture not found: {path}")
    root = state_root(_fixture_pre(path))
    assert root.hex() == "4c9c6cf002e6a88a5444662ca9ceb6a116b7b69ced38c470bf6e4a12a6313967"
