"""Block opcodes (0x40-0x4A): BLOCKHASH, COINBASE, TIMESTAMP, NUMBER,
PREVRANDAO/DIFFICULTY, GASLIMIT, CHAINID, BASEFEE, BLOBHASH, BLOBBASEFEE.

Values come from :class:`evm.BlockEnv`; block hashes from the state's
``get_block_hash``. Rules: Yellow Paper (BLOCKHASH covers the 256 most recent
complete blocks), EIP-4399 (PREVRANDAO), EIP-1344 (CHAINID), EIP-3198
(BASEFEE), EIP-4844 (BLOBHASH), EIP-7516 (BLOBBASEFEE).
"""
from __future__ import annotations

import pytest

from evm import Account, BlockEnv, Fork, State, Transaction, apply_transaction
from opcode_test_helpers import RETURN_TOP_GAS, U256_MAX, asm, ret_top, run, word


def hashes_state(n: int = 400) -> State:
    """A state that knows the hash of blocks 0 .. n-1 (hash of i = 0xbb..i)."""
    s = State()
    for i in range(n):
        s.block_hashes[i] = (0xBB << 248 | i).to_bytes(32, "big")
    return s


def fake_block_hash(i: int) -> int:
    return 0xBB << 248 | i


@pytest.mark.parametrize("queried,expected", [
    (299, fake_block_hash(299)),   # the parent
    (44, fake_block_hash(44)),     # 256 blocks back: the oldest in the window
    (43, 0),                       # 257 back: outside
    (300, 0),                      # the current block: not complete
    (301, 0),                      # the future
    (0, 0),
    (2**64 + 299, 0),              # huge numbers never alias into the window
    (U256_MAX, 0),
])
def test_blockhash_window(queried, expected):
    code = ret_top(queried, "BLOCKHASH")
    r = run(code, state=hashes_state(), env=BlockEnv(number=300))
    assert r.success and word(r) == expected
    assert r.gas_used == 3 + 20 + RETURN_TOP_GAS  # GAS_BLOCK_HASH = 20


def test_blockhash_early_chain():
    """At block 5 the window is blocks 0..4."""
    env = BlockEnv(number=5)
    assert word(run(ret_top(0, "BLOCKHASH"), state=hashes_state(), env=env)) == fake_block_hash(0)
    assert word(run(ret_top(4, "BLOCKHASH"), state=hashes_state(), env=env)) == fake_block_hash(4)
    assert word(run(ret_top(5, "BLOCKHASH"), state=hashes_state(), env=env)) == 0


def test_blockhash_at_genesis_is_zero():
    assert word(run(ret_top(0, "BLOCKHASH"), state=hashes_state(), env=BlockEnv(number=0))) == 0


ENV = BlockEnv(
    coinbase=bytes.fromhex("00000000000000000000000000000000c0ffee00"),
    number=123456,
    timestamp=1_700_000_000,
    gas_limit=29_999_999,
    base_fee=7_000_000_007,
    prev_randao=bytes(range(32)),
    difficulty=0x20000,
    chain_id=0xAA36A7,
    excess_blob_gas=0,
)


@pytest.mark.parametrize("name,expected,since", [
    ("COINBASE", int.from_bytes(ENV.coinbase, "big"), Fork.FRONTIER),
    ("TIMESTAMP", ENV.timestamp, Fork.FRONTIER),
    ("NUMBER", ENV.number, Fork.FRONTIER),
    ("GASLIMIT", ENV.gas_limit, Fork.FRONTIER),
    ("CHAINID", ENV.chain_id, Fork.ISTANBUL),
    ("BASEFEE", ENV.base_fee, Fork.LONDON),
])
def test_block_values_and_gas(name, expected, since):
    code = ret_top(name)
    for fork in (Fork.FRONTIER, Fork.ISTANBUL, Fork.LONDON, Fork.CANCUN, Fork.OSAKA):
        r = run(code, env=ENV, fork=fork, gas=100_000)
        if fork < since:
            assert r.error == "InvalidOpcode" and r.gas_used == 100_000, fork
        else:
            assert r.success and word(r) == expected, fork
            assert r.gas_used == 2 + RETURN_TOP_GAS, fork  # GAS_BASE


def test_difficulty_before_paris_prevrandao_after():
    code = ret_top("PREVRANDAO")
    r = run(code, env=ENV, fork=Fork.LONDON)
    assert word(r) == 0x20000 and r.gas_used == 2 + RETURN_TOP_GAS
    r = run(code, env=ENV, fork=Fork.PARIS)
    assert r.output == bytes(range(32)) and r.gas_used == 2 + RETURN_TOP_GAS


def test_basefee_defaults_to_zero_without_a_value():
    assert word(run(ret_top("BASEFEE"), env=BlockEnv(), fork=Fork.LONDON)) == 0


def blob_base_fee_reference(excess: int, fraction: int) -> int:
    """EIP-4844 ``fake_exponential(MIN_BLOB_GASPRICE=1, excess, fraction)``."""
    i, output, accum = 1, 0, fraction
    while accum > 0:
        output += accum
        accum = accum * excess // (fraction * i)
        i += 1
    return output // fraction


@pytest.mark.parametrize("fork,fraction", [(Fork.CANCUN, 3338477), (Fork.PRAGUE, 5007716), (Fork.OSAKA, 5007716)])
@pytest.mark.parametrize("excess", [0, 1, 3338477, 10 * 3338477, 50_000_000])
def test_blobbasefee(fork, fraction, excess):
    code = ret_top("BLOBBASEFEE")
    r = run(code, env=BlockEnv(excess_blob_gas=excess), fork=fork)
    assert r.success and word(r) == blob_base_fee_reference(excess, fraction)
    assert r.gas_used == 2 + RETURN_TOP_GAS


def test_blobbasefee_examples():
    """Hand-checked values: floor(e**0) = 1, floor(e) = 2, floor(e**10) = 22026 (Cancun fraction)."""
    assert word(run(ret_top("BLOBBASEFEE"), env=BlockEnv(excess_blob_gas=0))) == 1
    assert word(run(ret_top("BLOBBASEFEE"), env=BlockEnv(excess_blob_gas=3338477))) == 2
    assert word(run(ret_top("BLOBBASEFEE"), env=BlockEnv(excess_blob_gas=10 * 3338477))) == 22026


def test_blob_opcodes_undefined_before_cancun():
    for code in (asm("BLOBBASEFEE"), asm(0, "BLOBHASH")):
        r = run(code, fork=Fork.SHANGHAI, gas=10_000)
        assert r.error == "InvalidOpcode" and r.gas_used == 10_000


def test_blobhash_without_blobs_is_zero():
    code = ret_top(0, "BLOBHASH")
    r = run(code, fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.gas_used == 3 + 3 + RETURN_TOP_GAS  # GAS_BLOBHASH_OPCODE = 3


SENDER = bytes.fromhex("00000000000000000000000000000000005e0de7")
TARGET = bytes.fromhex("0000000000000000000000000000000000b10b00")
BLOB_HASHES = [bytes([1]) + bytes([i]) * 31 for i in (0x11, 0x22, 0x33)]


def run_blob_tx(index: int) -> int:
    """Send a type-3 transaction whose target stores BLOBHASH(index) in slot 0."""
    state = State({
        SENDER: Account(balance=10**20),
        TARGET: Account(code=asm(index, "BLOBHASH", 0, "SSTORE")),
    })
    tx = Transaction(
        sender=SENDER, to=TARGET, gas_limit=100_000,
        max_fee_per_gas=10, max_priority_fee_per_gas=1, access_list=[],
        blob_versioned_hashes=BLOB_HASHES, max_fee_per_blob_gas=10,
    )
    res = apply_transaction(state, BlockEnv(base_fee=1, excess_blob_gas=0), tx, Fork.CANCUN)
    assert res.success, res.error
    return state.accounts[TARGET].storage.get(0, 0)


@pytest.mark.parametrize("index,expected", [
    (0, BLOB_HASHES[0]), (1, BLOB_HASHES[1]), (2, BLOB_HASHES[2]),
    (3, bytes(32)), (2**64, bytes(32)), (U256_MAX, bytes(32)),
])
def test_blobhash_reads_the_transaction_hashes(index, expected):
    assert run_blob_tx(index) == int.from_bytes(expected, "big")
