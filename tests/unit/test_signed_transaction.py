"""Signed transactions: signing, RLP round trips, hashes and sender recovery."""
from __future__ import annotations

import pytest

from evm.forks import Fork
from evm.rlp import decode as rlp_decode
from evm.rlp import encode as rlp_encode
from evm.transaction import (
    Authorization,
    InvalidTransaction,
    SECP256K1N,
    Transaction,
    TransactionTypeNotSupportedError,
    sender_from_secret_key,
)
from evm.signed_transaction import (
    InvalidChainIdError,
    InvalidSignatureError,
    SignedTransaction,
    TransactionDecodingError,
    check_signed_transaction,
    decode_block_transaction,
    decode_transaction,
    recover_sender,
    sign_transaction,
)
from evm.crypto import keccak256

KEY = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = sender_from_secret_key(KEY)
TO = bytes.fromhex("095e7baea6a6c7c4c2dfeb977efac326af552d87")


def _txs():
    al = [(TO, [0, 1])]
    return {
        "legacy": Transaction(sender=SENDER, to=TO, nonce=3, gas_limit=50000, value=7, data=b"\x01\x02", gas_price=10),
        "legacy-create": Transaction(sender=SENDER, to=None, nonce=0, gas_limit=90000, data=b"\x60\x00", gas_price=1),
        "2930": Transaction(sender=SENDER, to=TO, gas_limit=60000, gas_price=10, access_list=al),
        "1559": Transaction(sender=SENDER, to=TO, gas_limit=60000, max_fee_per_gas=20, max_priority_fee_per_gas=2,
                            access_list=al),
        "4844": Transaction(sender=SENDER, to=TO, gas_limit=60000, max_fee_per_gas=20, max_priority_fee_per_gas=2,
                            access_list=[], max_fee_per_blob_gas=3, blob_versioned_hashes=[b"\x01" + b"\x22" * 31]),
        "7702": Transaction(sender=SENDER, to=TO, gas_limit=60000, max_fee_per_gas=20, max_priority_fee_per_gas=2,
                            access_list=[], authorization_list=[Authorization(1, TO, 0, 1, 5, 6)]),
    }


@pytest.mark.parametrize("name", list(_txs()))
def test_sign_decode_round_trip(name):
    tx = _txs()[name]
    stx = sign_transaction(tx, KEY, chain_id=1)
    raw = stx.encode()
    assert raw[0] == tx.tx_type if tx.tx_type else raw[0] >= 0xC0
    back = decode_transaction(raw)
    assert back.encode() == raw
    assert back.hash == keccak256(raw)
    assert back.sender == SENDER
    again = back.to_transaction()
    assert again == tx  # every field survives signing, encoding and decoding


def test_legacy_without_eip155_uses_v_27_28():
    stx = sign_transaction(_txs()["legacy"], KEY, chain_id=None)
    assert stx.v in (27, 28) and stx.chain_id is None
    back = decode_transaction(stx.encode())
    assert back.chain_id is None
    assert recover_sender(back, Fork.FRONTIER) == SENDER


def test_eip155_v_carries_the_chain_id():
    stx = sign_transaction(_txs()["legacy"], KEY, chain_id=5)
    assert stx.v in (45, 46)
    back = decode_transaction(stx.encode())
    assert back.chain_id == 5
    assert recover_sender(back, Fork.SPURIOUS_DRAGON, chain_id=5) == SENDER
    with pytest.raises(InvalidChainIdError):
        recover_sender(back, Fork.SPURIOUS_DRAGON, chain_id=1)
    with pytest.raises(InvalidChainIdError):  # before EIP-155 only 27/28 exist
        recover_sender(back, Fork.HOMESTEAD)


def test_high_s_is_rejected_from_homestead():
    stx = sign_transaction(_txs()["legacy"], KEY, chain_id=None)
    stx.s = SECP256K1N - stx.s  # the other valid signature, with the parity flipped
    stx.v = 55 - stx.v
    assert recover_sender(stx, Fork.FRONTIER) == SENDER
    with pytest.raises(InvalidSignatureError):
        recover_sender(stx, Fork.HOMESTEAD)


def test_blob_network_wrapper_round_trip():
    stx = sign_transaction(_txs()["4844"], KEY, chain_id=1)
    stx.blobs, stx.commitments, stx.proofs = [b"\x00" * 64], [b"\x11" * 48], [b"\x22" * 48]
    wrapped = stx.encode_network()
    assert wrapped != stx.encode()
    back = decode_transaction(wrapped)
    assert back.blobs == stx.blobs and back.proofs == stx.proofs and back.wrapper_version is None
    assert back.hash == stx.hash  # the hash never covers the wrapper
    stx.wrapper_version = 1  # EIP-7594 (cell proofs)
    back = decode_transaction(stx.encode_network())
    assert back.wrapper_version == 1 and back.encode_network() == stx.encode_network()


def test_block_items():
    legacy = sign_transaction(_txs()["legacy"], KEY)
    typed = sign_transaction(_txs()["1559"], KEY)
    body = rlp_decode(rlp_encode([legacy.block_item(), typed.block_item()]))
    assert decode_block_transaction(body[0]).hash == legacy.hash
    assert decode_block_transaction(body[1]).hash == typed.hash
    with pytest.raises(TransactionDecodingError):  # a legacy tx may not be wrapped as bytes
        decode_block_transaction(legacy.encode())


def test_decoding_errors_name_the_field():
    stx = sign_transaction(_txs()["legacy"], KEY)
    fields = rlp_decode(stx.encode())
    fields[0] = b"\x00\x03"  # nonce with a leading zero
    with pytest.raises(TransactionDecodingError, match="nonce"):
        decode_transaction(rlp_encode(fields))
    fields[0] = b"\x01" * 9  # nonce past 64 bits
    with pytest.raises(TransactionDecodingError, match="nonce"):
        decode_transaction(rlp_encode(fields))
    with pytest.raises(TransactionTypeNotSupportedError):
        decode_transaction(b"\x07\xc0")
    with pytest.raises(TypeError):
        decode_transaction("0x00")


def test_check_signed_transaction_applies_the_fork():
    stx = sign_transaction(_txs()["1559"], KEY)
    with pytest.raises(TransactionTypeNotSupportedError):
        check_signed_transaction(stx, Fork.BERLIN)
    assert check_signed_transaction(stx, Fork.LONDON).sender == SENDER
    low = sign_transaction(Transaction(sender=SENDER, to=TO, gas_limit=20000, gas_price=1), KEY)
    with pytest.raises(InvalidTransaction, match="intrinsic"):
        check_signed_transaction(low, Fork.CANCUN)


def test_signed_transaction_is_a_dataclass_of_its_fields():
    stx = sign_transaction(_txs()["2930"], KEY)
    assert isinstance(stx, SignedTransaction) and stx.tx_type == 1 and stx.chain_id == 1
