"""The long-lived EVM: state carried in the compiled cache between calls.

Each test checks a rule that only matters when one VM outlives a
transaction: originals for EIP-2200, warmth reset per transaction, deletion
at the end of a transaction, and that a sequence of transactions through
one ``EVM`` leaves the same state as ``apply_transaction`` one by one.
"""
from __future__ import annotations

import pytest

from evm import EVM, Account, BlockEnv, Fork, State, Transaction, apply_transaction
from evm.trie import state_root

ME = b"\x01" * 20
CONTRACT = b"\x0c" * 20
COINBASE = b"\xcb" * 20
ENV = BlockEnv(coinbase=COINBASE, number=1, timestamp=1, gas_limit=30_000_000, base_fee=1)

# sstore(0, calldataload(0)); stop
STORE_ARG = bytes.fromhex("60003560005500")
# return sload(0)
LOAD = bytes.fromhex("60005460005260206000f3")
# log1(0, 0, topic=7); stop
LOG = bytes.fromhex("600760006000a100")


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def make(code: bytes, fork: Fork = Fork.CANCUN) -> EVM:
    evm = EVM(State({ME: Account(balance=10**20), CONTRACT: Account(code=code)}), fork, ENV)
    return evm


def test_message_call_returns_output_and_exact_gas():
    evm = make(LOAD)
    r = evm.message_call(ME, CONTRACT)
    # PUSH1 SLOAD(cold 2100) PUSH1 MSTORE(3+3) PUSH1 PUSH1 RETURN
    assert r.success and r.output == word(0) and r.gas_used == 3 + 2100 + 3 + 6 + 3 + 3


def test_storage_persists_and_originals_move_between_transactions():
    evm = make(STORE_ARG)
    first = evm.message_call(ME, CONTRACT, word(5))
    # cold slot, 0 -> 5: 2100 + 20000 (+ 3 + 3 + 3 for the pushes and CALLDATALOAD)
    assert first.gas_used == 9 + 2100 + 20000
    second = evm.message_call(ME, CONTRACT, word(6))
    # a new transaction: the slot is cold again and its original is now 5
    assert second.gas_used == 9 + 2100 + 2900
    assert evm.get_storage(CONTRACT, 0) == 6


def test_failed_call_leaves_no_trace():
    evm = make(STORE_ARG)
    r = evm.message_call(ME, CONTRACT, word(5), gas=10_000)  # too little for the SSTORE
    assert not r.success and r.error == "OutOfGasError"
    assert evm.get_storage(CONTRACT, 0) == 0


def test_logs_are_per_call():
    evm = make(LOG)
    a = evm.message_call(ME, CONTRACT)
    b = evm.message_call(ME, CONTRACT)
    assert len(a.logs) == 1 and len(b.logs) == 1 and a.logs[0].topics == [word(7)]


def test_commit_writes_back_to_the_state():
    evm = make(STORE_ARG)
    evm.message_call(ME, CONTRACT, word(9))
    assert evm.db[CONTRACT].storage == {}
    assert evm.state[CONTRACT].storage == {0: 9}  # the view shows the machine
    evm.commit()
    assert evm.db[CONTRACT].storage == {0: 9}
    evm.message_call(ME, CONTRACT, word(0))
    evm.commit()
    assert evm.db[CONTRACT].storage == {}


def test_selfdestruct_of_a_created_contract_deletes_it_at_the_end():
    evm = make(b"")
    # initcode: selfdestruct(caller) during creation (EIP-6780: same transaction)
    r = evm.deploy(ME, bytes.fromhex("33ff"))
    assert r.success
    address = r.contract_address
    assert evm.get_code(address) == b"" and evm.get_nonce(address) == 0
    assert address not in evm.state
    evm.commit()
    assert address not in evm.db


@pytest.mark.parametrize("fork", [Fork.SPURIOUS_DRAGON, Fork.BERLIN, Fork.LONDON, Fork.CANCUN, Fork.PRAGUE])
def test_transactions_through_one_evm_match_apply_transaction(fork):
    """Five transactions through one EVM give the state root that applying
    them one by one to a State gives."""
    pre = State({ME: Account(balance=10**20), CONTRACT: Account(code=STORE_ARG)})
    reference = pre.copy()
    evm = EVM(pre.copy(), fork, ENV)
    for i, value in enumerate([3, 0, 7, 7, 0]):
        fees = (dict(max_fee_per_gas=10, max_priority_fee_per_gas=2, access_list=[])
                if fork >= Fork.LONDON else dict(gas_price=10))
        tx = Transaction(sender=ME, to=CONTRACT, nonce=i, gas_limit=100_000, data=word(value), **fees)
        a = evm.transact(tx)
        b = apply_transaction(reference, ENV, tx, fork)
        assert (a.success, a.gas_used, a.gas_refund) == (b.success, b.gas_used, b.gas_refund)
    evm.commit()
    assert state_root(evm.db.accounts) == state_root(reference.accounts)


def test_value_above_balance_is_refused():
    evm = make(LOAD)
    with pytest.raises(ValueError):
        evm.message_call(ME, CONTRACT, value=10**30)
