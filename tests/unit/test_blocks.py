"""Blocks and Chain: what is rejected and why, the state kept per block, the API edges."""
from __future__ import annotations

import pytest

from evm.blocks import Block, Chain, Header, InvalidBlock, Withdrawal, logs_bloom
from evm.executor import Log
from evm.forks import Fork
from evm.state import Account, State
from evm.transaction import Transaction, sender_from_secret_key
from evm.signed_transaction import sign_transaction

KEY = bytes(31) + b"\x01"
SENDER = sender_from_secret_key(KEY)
TO = b"\x22" * 20


def _chain(fork: Fork = Fork.CANCUN) -> Chain:
    return Chain.from_genesis_state(State({SENDER: Account(balance=10**20)}), fork)


def _transfer(nonce: int, gas_limit: int = 21000, value: int = 1) -> object:
    return sign_transaction(Transaction(sender=SENDER, to=TO, nonce=nonce, gas_limit=gas_limit, value=value,
                                        max_fee_per_gas=10**10, max_priority_fee_per_gas=1, access_list=[]), KEY)


def test_build_and_read_back_states():
    chain = _chain()
    b1 = chain.build_block([_transfer(0)])
    b2 = chain.build_block([_transfer(1, value=5)])
    assert chain.head is b2 and chain.block_by_number(1) is b1
    assert chain.state_at(0).get_account(TO) is None
    assert chain.state_at(1).accounts[TO].balance == 1
    assert chain.state_at(b2.hash).accounts[TO].balance == 6
    assert [r.cumulative_gas_used for r in chain.receipts(b1.hash)] == [21000]
    with pytest.raises(KeyError):
        chain.block_by_number(3)


@pytest.mark.parametrize("field,value,name", [
    ("state_root", b"\x01" * 32, "INVALID_STATE_ROOT"),
    ("gas_used", 20999, "INVALID_GAS_USED"),
    ("receipt_root", b"\x01" * 32, "INVALID_RECEIPTS_ROOT"),
    ("bloom", b"\x01" * 256, "INVALID_LOG_BLOOM"),
    ("transactions_root", b"\x01" * 32, "INVALID_TRANSACTIONS_ROOT"),
    ("base_fee_per_gas", 7, "INVALID_BASEFEE_PER_GAS"),
    ("excess_blob_gas", 1, "INCORRECT_EXCESS_BLOB_GAS"),
    ("blob_gas_used", 131072, "INCORRECT_BLOB_GAS_USED"),
    ("difficulty", 1, "IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS"),
    ("extra_data", b"x" * 33, "EXTRA_DATA_TOO_BIG"),
    ("number", 5, "INVALID_BLOCK_NUMBER"),
    ("timestamp", 0, "INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT"),
    ("parent_hash", b"\x05" * 32, "UNKNOWN_PARENT"),
])
def test_a_tampered_header_is_rejected_by_name(field, value, name):
    good_chain = _chain()
    good = good_chain.build_block([_transfer(0)])
    chain = _chain()
    bad = Block(good.header.copy(**{field: value}), good.transactions, [], good.withdrawals)
    with pytest.raises(InvalidBlock) as info:
        chain.import_block(bad.encode())
    assert info.value.name == f"BlockException.{name}"
    assert chain.head is chain.genesis  # nothing was added
    chain.import_block(good.encode())  # the untampered block still imports
    assert chain.head.hash == good.hash


def test_an_invalid_transaction_rejects_the_block():
    chain = _chain()
    with pytest.raises(InvalidBlock) as info:
        chain.build_block([_transfer(0), _transfer(0)])  # the second reuses the nonce
    assert info.value.name == "TransactionException.NONCE_MISMATCH_TOO_LOW"
    with pytest.raises(InvalidBlock) as info:
        chain.build_block([_transfer(0, gas_limit=40_000_000)])
    assert info.value.name == "TransactionException.GAS_ALLOWANCE_EXCEEDED"
    assert chain.head is chain.genesis


def test_withdrawals_credit_gwei_and_are_shanghai_only():
    chain = _chain(Fork.SHANGHAI)
    chain.build_block([], withdrawals=[Withdrawal(0, 1, TO, 3)])
    assert chain.state_at().accounts[TO].balance == 3 * 10**9
    old = _chain(Fork.LONDON)
    block = old.build_block([])
    with pytest.raises(InvalidBlock):
        old.import_block(Block(block.header, [], [], withdrawals=[]))


def test_malformed_blocks_name_the_problem():
    chain = _chain()
    for raw in (b"", b"\xc0", b"\xc3\x80\x80\x80", b"\xf9"):
        with pytest.raises(InvalidBlock) as info:
            chain.import_block(raw)
        assert info.value.name.startswith("BlockException.RLP_STRUCTURES_ENCODING")


def test_header_round_trip_and_type_checks():
    for fork in (Fork.FRONTIER, Fork.LONDON, Fork.SHANGHAI, Fork.CANCUN, Fork.PRAGUE):
        header = _chain(fork).genesis.header
        assert header.fork_shape_matches(fork)
        assert Header.decode(header.encode()) == header
    with pytest.raises(ValueError, match="coinbase"):
        Header(coinbase=b"\x00")
    with pytest.raises(ValueError, match="gas_limit"):
        Header(gas_limit=-1)
    with pytest.raises(ValueError, match="later fork"):
        Header(base_fee_per_gas=None, withdrawals_root=b"\x00" * 32)


def test_logs_bloom_sets_three_bits_per_item():
    bloom = logs_bloom([Log(b"\x01" * 20, [b"\x02" * 32], b"")])
    assert sum(bin(b).count("1") for b in bloom) in range(2, 7)  # 2 items x 3 bits, collisions possible
    assert logs_bloom([]) == bytes(256)


def test_built_blocks_import_elsewhere_once():
    chain = _chain()
    block = chain.build_block([_transfer(0)])
    with pytest.raises(InvalidBlock) as info:
        chain.import_block(block)
    assert info.value.name == "BlockException.IMPORT_IMPOSSIBLE_DUPLICATE"
    other = _chain()
    assert other.import_block(block.encode()).hash == block.hash
    assert other.state_at().accounts == chain.state_at().accounts
