"""Transactions: intrinsic gas per fork, validation (and its order), keys and authorities."""
from __future__ import annotations

import random

import pytest

from evm.env import BlockEnv, calculate_blob_gas_price, fake_exponential
from evm.forks import Fork
from evm.state import Account
from evm.transaction import (
    Authorization,
    BlobCountExceededError,
    BlobGasLimitExceededError,
    EmptyAuthorizationListError,
    GasUsedExceedsLimitError,
    InitCodeTooLargeError,
    InsufficientBalanceError,
    InsufficientMaxFeePerBlobGasError,
    InsufficientMaxFeePerGasError,
    InsufficientTransactionGasError,
    IntrinsicGasBelowFloorError,
    InvalidAuthorizationFormatError,
    InvalidBlobVersionedHashError,
    InvalidSenderError,
    InvalidTransaction,
    InvalidTransactionFieldError,
    NoBlobDataError,
    NonceMismatchError,
    NonceOverflowError,
    PriorityFeeGreaterThanMaxFeeError,
    Transaction,
    TransactionGasLimitExceededError,
    TransactionTypeContractCreationError,
    TransactionTypeNotSupportedError,
    calculate_blob_gas_fee,
    calculate_intrinsic_cost,
    calculate_total_blob_gas,
    recover_authority,
    sender_from_secret_key,
    validate_transaction,
)

SENDER = bytes.fromhex("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
TO = bytes.fromhex("1000000000000000000000000000000000000000")
KEY = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
BLOB_HASH = b"\x01" + b"\x00" * 31
RICH = Account(balance=10**24)


def env(**kw):
    base = dict(gas_limit=30_000_000, base_fee=7, excess_blob_gas=0)
    base.update(kw)
    return BlockEnv(**base)


def legacy(**kw):
    base = dict(sender=SENDER, to=TO, gas_limit=100_000, gas_price=10)
    base.update(kw)
    return Transaction(**base)


def eip1559(**kw):
    base = dict(sender=SENDER, to=TO, gas_limit=100_000, max_fee_per_gas=10, max_priority_fee_per_gas=1)
    base.update(kw)
    return Transaction(**base)


def blob(**kw):
    base = dict(max_fee_per_blob_gas=1, blob_versioned_hashes=[BLOB_HASH])
    base.update(kw)
    return eip1559(**base)


def auth(**kw):
    base = dict(chain_id=1, address=TO, nonce=0, y_parity=0, r=1, s=1)
    base.update(kw)
    return Authorization(**base)


# --- transaction types -------------------------------------------------------
def test_tx_type_is_derived_from_fields():
    assert legacy().tx_type == 0
    assert legacy(access_list=[]).tx_type == 1
    assert eip1559().tx_type == 2
    assert blob().tx_type == 3
    assert eip1559(authorization_list=[auth()]).tx_type == 4
    assert legacy(to=None).is_create


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(sender=b"\x01" * 19, gas_price=1),
        dict(sender=SENDER, to=b"\x01" * 21, gas_price=1),
        dict(sender=SENDER),  # no fee field at all
        dict(sender=SENDER, gas_price=1, max_fee_per_gas=1, max_priority_fee_per_gas=1),
        dict(sender=SENDER, max_fee_per_gas=1),  # priority fee missing
        dict(sender=SENDER, gas_price=1, value=-1),
        dict(sender=SENDER, gas_price=1, data="6000"),
        dict(sender=SENDER, gas_price=1, access_list=[(b"\x01" * 20, [2**256])]),
        dict(sender=SENDER, gas_price=1, blob_versioned_hashes=[BLOB_HASH]),
    ],
)
def test_malformed_transactions_raise_clear_errors(kwargs):
    with pytest.raises((TypeError, ValueError)):
        Transaction(**kwargs)


def test_access_list_keys_accept_bytes32():
    tx = legacy(access_list=[(TO, [b"\x00" * 31 + b"\x05", 7])])
    assert tx.access_list == [(TO, [5, 7])]


# --- intrinsic gas -----------------------------------------------------------
DATA = bytes([0, 0, 1, 2, 0, 255])  # 3 zero, 3 non-zero bytes


@pytest.mark.parametrize(
    "fork, expected",
    [
        (Fork.FRONTIER, 21000 + 3 * 4 + 3 * 68),
        (Fork.BYZANTIUM, 21000 + 3 * 4 + 3 * 68),
        (Fork.PETERSBURG, 21000 + 3 * 4 + 3 * 68),
        (Fork.ISTANBUL, 21000 + 3 * 4 + 3 * 16),
        (Fork.CANCUN, 21000 + 3 * 4 + 3 * 16),
    ],
)
def test_calldata_cost(fork, expected):
    assert calculate_intrinsic_cost(legacy(data=DATA), fork) == (expected, 0)


def test_create_cost_from_homestead():
    tx = legacy(to=None, data=b"")
    assert calculate_intrinsic_cost(tx, Fork.FRONTIER)[0] == 21000
    assert calculate_intrinsic_cost(tx, Fork.HOMESTEAD)[0] == 53000
    assert calculate_intrinsic_cost(tx, Fork.PARIS)[0] == 53000


def test_initcode_word_cost_from_shanghai():
    tx = legacy(to=None, data=b"\x01" * 33)  # two words
    assert calculate_intrinsic_cost(tx, Fork.PARIS)[0] == 21000 + 33 * 16 + 32000
    assert calculate_intrinsic_cost(tx, Fork.SHANGHAI)[0] == 21000 + 33 * 16 + 32000 + 2 * 2


def test_access_list_cost():
    al = [(TO, [1, 2]), (SENDER, [])]
    tx = legacy(access_list=al)
    assert calculate_intrinsic_cost(tx, Fork.BERLIN)[0] == 21000 + 2 * 2400 + 2 * 1900
    assert calculate_intrinsic_cost(eip1559(access_list=al), Fork.LONDON)[0] == 21000 + 2 * 2400 + 2 * 1900


def test_authorization_cost():
    tx = eip1559(authorization_list=[auth(), auth(nonce=1)])
    assert calculate_intrinsic_cost(tx, Fork.PRAGUE)[0] == 21000 + 2 * 25000


def test_eip7623_floor_from_prague():
    tx = legacy(data=b"\x01" * 10 + b"\x00" * 4)  # 44 tokens
    assert calculate_intrinsic_cost(tx, Fork.CANCUN) == (21000 + 160 + 16, 0)
    assert calculate_intrinsic_cost(tx, Fork.PRAGUE) == (21000 + 160 + 16, 21000 + 44 * 10)
    # The floor ignores creation and access-list costs.
    tx = legacy(to=None, data=b"\x01" * 10, access_list=[(TO, [1])])
    intrinsic, floor = calculate_intrinsic_cost(tx, Fork.OSAKA)
    assert intrinsic == 21000 + 160 + 32000 + 2 + 2400 + 1900
    assert floor == 21000 + 40 * 10


def _spec_intrinsic(tx: Transaction, fork_module: str):
    """The execution specs' intrinsic gas for the same transaction (test oracle)."""
    import importlib

    from ethereum_types.bytes import Bytes0, Bytes32
    from ethereum_types.numeric import U64, U256, Uint

    m = importlib.import_module(f"ethereum.forks.{fork_module}.transactions")
    to = Bytes0(b"") if tx.to is None else m.Address(tx.to)
    if tx.tx_type == 0:
        stx = m.LegacyTransaction(U256(0), Uint(1), Uint(tx.gas_limit), to, U256(0), tx.data,
                                  U256(0), U256(0), U256(0)) if hasattr(m, "LegacyTransaction") else \
            m.Transaction(U256(0), Uint(1), Uint(tx.gas_limit), to, U256(0), tx.data, U256(0), U256(0), U256(0))
    else:
        access = tuple(m.Access(m.Address(a), tuple(Bytes32(k.to_bytes(32, "big")) for k in keys))
                       for a, keys in tx.access_list)
        stx = m.AccessListTransaction(U64(1), U256(0), Uint(1), Uint(tx.gas_limit), to, U256(0), tx.data,
                                      access, U256(0), U256(0), U256(0))
    r = m.calculate_intrinsic_cost(stx)
    return tuple(int(x) for x in r) if isinstance(r, tuple) else (int(r), 0)


@pytest.mark.parametrize(
    "fork, module",
    [(Fork.FRONTIER, "frontier"), (Fork.HOMESTEAD, "homestead"), (Fork.ISTANBUL, "istanbul"),
     (Fork.BERLIN, "berlin"), (Fork.SHANGHAI, "shanghai"), (Fork.PRAGUE, "prague"), (Fork.OSAKA, "osaka")],
)
def test_intrinsic_cost_matches_the_spec(fork, module):
    rng = random.Random(fork)
    for _ in range(40):
        data = bytes(rng.choice([0, 0, 1, 255]) for _ in range(rng.randrange(0, 90)))
        kw = dict(data=data, to=None if rng.random() < 0.4 else TO)
        if fork >= Fork.BERLIN and rng.random() < 0.5:
            kw["access_list"] = [(bytes([i]) * 20, list(range(rng.randrange(3)))) for i in range(rng.randrange(3))]
        tx = legacy(**kw)
        assert calculate_intrinsic_cost(tx, fork) == _spec_intrinsic(tx, module)


# --- validation --------------------------------------------------------------
def test_valid_legacy_returns_gas_price():
    assert validate_transaction(legacy(gas_price=12), RICH, env(), Fork.CANCUN) == 12


def test_effective_gas_price_of_fee_market_tx():
    e = env(base_fee=7)
    assert validate_transaction(eip1559(max_fee_per_gas=10, max_priority_fee_per_gas=1), RICH, e, Fork.LONDON) == 8
    assert validate_transaction(eip1559(max_fee_per_gas=10, max_priority_fee_per_gas=5), RICH, e, Fork.LONDON) == 10


def test_intrinsic_gas_too_low():
    with pytest.raises(InsufficientTransactionGasError) as ei:
        validate_transaction(legacy(gas_limit=20999), RICH, env(), Fork.CANCUN)
    assert ei.value.name == "INTRINSIC_GAS_TOO_LOW"


def test_below_calldata_floor_only_from_prague():
    tx = legacy(data=b"\x01" * 100, gas_limit=21000 + 1600)  # floor = 21000 + 4000
    assert validate_transaction(tx, RICH, env(), Fork.CANCUN) == 10
    with pytest.raises(IntrinsicGasBelowFloorError) as ei:
        validate_transaction(tx, RICH, env(), Fork.PRAGUE)
    assert ei.value.name == "INTRINSIC_GAS_BELOW_FLOOR_GAS_COST"
    assert isinstance(ei.value, InsufficientTransactionGasError)


def test_nonce_is_max():
    sender = Account(nonce=2**64 - 1, balance=10**24)
    with pytest.raises(NonceOverflowError) as ei:
        validate_transaction(legacy(nonce=2**64 - 1), sender, env(), Fork.CANCUN)
    assert ei.value.name == "NONCE_IS_MAX"


def test_initcode_size_limit_from_shanghai():
    tx = legacy(to=None, data=b"\x00" * (49152 + 1), gas_limit=3_000_000)
    validate_transaction(tx, RICH, env(), Fork.PARIS)
    with pytest.raises(InitCodeTooLargeError):
        validate_transaction(tx, RICH, env(), Fork.SHANGHAI)
    ok = legacy(to=None, data=b"\x00" * 49152, gas_limit=3_000_000)
    validate_transaction(ok, RICH, env(), Fork.SHANGHAI)


def test_gas_limit_cap_from_osaka():
    tx = legacy(gas_limit=2**24 + 1)
    validate_transaction(tx, RICH, env(), Fork.PRAGUE)
    with pytest.raises(TransactionGasLimitExceededError) as ei:
        validate_transaction(tx, RICH, env(), Fork.OSAKA)
    assert ei.value.name == "GAS_LIMIT_EXCEEDS_MAXIMUM"
    validate_transaction(legacy(gas_limit=2**24), RICH, env(), Fork.OSAKA)


def test_block_gas_limit():
    with pytest.raises(GasUsedExceedsLimitError) as ei:
        validate_transaction(legacy(gas_limit=100_001), RICH, env(gas_limit=100_000), Fork.CANCUN)
    assert ei.value.name == "GAS_ALLOWANCE_EXCEEDED"


def test_fee_caps():
    with pytest.raises(PriorityFeeGreaterThanMaxFeeError):
        validate_transaction(eip1559(max_fee_per_gas=10, max_priority_fee_per_gas=11), RICH, env(), Fork.LONDON)
    with pytest.raises(InsufficientMaxFeePerGasError):
        validate_transaction(eip1559(max_fee_per_gas=6), RICH, env(base_fee=7), Fork.LONDON)
    with pytest.raises(InsufficientMaxFeePerGasError) as ei:
        validate_transaction(legacy(gas_price=6), RICH, env(base_fee=7), Fork.LONDON)
    assert ei.value.name == "INSUFFICIENT_MAX_FEE_PER_GAS"
    # Before London there is no base fee to compare with.
    assert validate_transaction(legacy(gas_price=6), RICH, env(base_fee=7), Fork.BERLIN) == 6


def test_blob_rules():
    e = env()
    assert validate_transaction(blob(), RICH, e, Fork.CANCUN) == 8
    with pytest.raises(NoBlobDataError):
        validate_transaction(blob(blob_versioned_hashes=[]), RICH, e, Fork.CANCUN)
    with pytest.raises(InvalidBlobVersionedHashError):
        validate_transaction(blob(blob_versioned_hashes=[b"\x02" + b"\x00" * 31]), RICH, e, Fork.CANCUN)
    with pytest.raises(InsufficientMaxFeePerBlobGasError):
        validate_transaction(blob(max_fee_per_blob_gas=0), RICH, e, Fork.CANCUN)
    with pytest.raises(TransactionTypeContractCreationError) as ei:
        validate_transaction(blob(to=None), RICH, e, Fork.CANCUN)
    assert ei.value.name == "TYPE_3_TX_CONTRACT_CREATION"


def test_blob_limits_per_fork():
    seven = blob(blob_versioned_hashes=[BLOB_HASH] * 7)
    with pytest.raises(BlobGasLimitExceededError):  # 6 blobs per block in Cancun
        validate_transaction(seven, RICH, env(), Fork.CANCUN)
    validate_transaction(seven, RICH, env(), Fork.PRAGUE)  # 9 per block, no per-tx limit
    with pytest.raises(BlobCountExceededError):  # 6 per transaction from Osaka
        validate_transaction(seven, RICH, env(), Fork.OSAKA)
    ten = blob(blob_versioned_hashes=[BLOB_HASH] * 10)
    with pytest.raises(BlobGasLimitExceededError):
        validate_transaction(ten, RICH, env(), Fork.OSAKA)


def test_blob_fee_counts_in_balance_check():
    tx = blob(max_fee_per_blob_gas=3, gas_limit=21000, value=5, max_fee_per_gas=10)
    need = 21000 * 10 + 5 + 3 * 2**17
    validate_transaction(tx, Account(balance=need), env(), Fork.CANCUN)
    with pytest.raises(InsufficientBalanceError) as ei:
        validate_transaction(tx, Account(balance=need - 1), env(), Fork.CANCUN)
    assert ei.value.name == "INSUFFICIENT_ACCOUNT_FUNDS"


def test_blob_gas_fee_and_total():
    tx = blob(blob_versioned_hashes=[BLOB_HASH] * 2)
    assert calculate_total_blob_gas(tx) == 2 * 2**17
    assert calculate_total_blob_gas(eip1559()) == 0
    e = env(excess_blob_gas=10_000_000)
    assert calculate_blob_gas_fee(tx, e, Fork.CANCUN) == 2 * 2**17 * calculate_blob_gas_price(10_000_000, Fork.CANCUN)


def test_set_code_rules():
    with pytest.raises(EmptyAuthorizationListError) as ei:
        validate_transaction(eip1559(authorization_list=[]), RICH, env(), Fork.PRAGUE)
    assert ei.value.name == "TYPE_4_EMPTY_AUTHORIZATION_LIST"
    with pytest.raises(TransactionTypeContractCreationError) as ei:
        validate_transaction(eip1559(to=None, authorization_list=[auth()]), RICH, env(), Fork.PRAGUE)
    assert ei.value.name == "TYPE_4_TX_CONTRACT_CREATION"
    with pytest.raises(InvalidAuthorizationFormatError):
        validate_transaction(eip1559(authorization_list=[auth(nonce=2**64)]), RICH, env(), Fork.PRAGUE)
    # An invalid signature does not make the transaction invalid.
    validate_transaction(eip1559(authorization_list=[auth(y_parity=5)]), RICH, env(), Fork.PRAGUE)


@pytest.mark.parametrize(
    "tx, fork, name",
    [
        (legacy(access_list=[]), Fork.ISTANBUL, "TYPE_NOT_SUPPORTED"),
        (eip1559(), Fork.BERLIN, "TYPE_NOT_SUPPORTED"),
        (blob(), Fork.SHANGHAI, "TYPE_3_TX_PRE_FORK"),
        (eip1559(authorization_list=[auth()]), Fork.CANCUN, "TYPE_4_TX_PRE_FORK"),
    ],
)
def test_type_not_active_yet(tx, fork, name):
    with pytest.raises(TransactionTypeNotSupportedError) as ei:
        validate_transaction(tx, RICH, env(), fork)
    assert ei.value.name == name


def test_fields_out_of_range():
    with pytest.raises(InvalidTransactionFieldError) as ei:
        validate_transaction(legacy(value=2**256 + 1), RICH, env(), Fork.CANCUN)
    assert ei.value.name == "RLP_INVALID_VALUE"


def test_nonce_mismatch_names():
    with pytest.raises(NonceMismatchError) as ei:
        validate_transaction(legacy(nonce=0), Account(nonce=1, balance=10**24), env(), Fork.CANCUN)
    assert ei.value.name == "NONCE_MISMATCH_TOO_LOW"
    with pytest.raises(NonceMismatchError) as ei:
        validate_transaction(legacy(nonce=2), Account(nonce=1, balance=10**24), env(), Fork.CANCUN)
    assert ei.value.name == "NONCE_MISMATCH_TOO_HIGH"


def test_missing_sender_is_an_empty_account():
    with pytest.raises(InsufficientBalanceError):
        validate_transaction(legacy(), None, env(), Fork.CANCUN)
    assert validate_transaction(legacy(gas_price=0), None, env(base_fee=0), Fork.CANCUN) == 0


def test_sender_with_code_is_rejected_but_delegation_allowed_from_prague():
    delegated = Account(balance=10**24, code=b"\xef\x01\x00" + TO)
    with pytest.raises(InvalidSenderError) as ei:
        validate_transaction(legacy(), delegated, env(), Fork.CANCUN)
    assert ei.value.name == "SENDER_NOT_EOA"
    validate_transaction(legacy(), delegated, env(), Fork.PRAGUE)
    with pytest.raises(InvalidSenderError):
        validate_transaction(legacy(), Account(balance=10**24, code=b"\x00"), env(), Fork.FRONTIER)


# --- order of the checks ------------------------------------------------------
def test_order_intrinsic_gas_before_block_limit_and_nonce():
    tx = legacy(gas_limit=20000, nonce=5)
    with pytest.raises(InsufficientTransactionGasError):
        validate_transaction(tx, Account(), env(gas_limit=10000), Fork.CANCUN)


def test_order_gas_cap_before_block_gas_limit():
    tx = legacy(gas_limit=2**25)
    with pytest.raises(TransactionGasLimitExceededError):
        validate_transaction(tx, RICH, env(gas_limit=2**24), Fork.OSAKA)
    with pytest.raises(GasUsedExceedsLimitError):
        validate_transaction(tx, RICH, env(gas_limit=2**24), Fork.PRAGUE)


def test_order_fees_before_nonce_and_balance():
    tx = eip1559(max_fee_per_gas=1, max_priority_fee_per_gas=2, nonce=3)
    with pytest.raises(PriorityFeeGreaterThanMaxFeeError):
        validate_transaction(tx, Account(), env(), Fork.LONDON)


def test_order_nonce_before_balance_before_code():
    poor_contract = Account(nonce=1, balance=0, code=b"\x60\x00")
    with pytest.raises(NonceMismatchError):
        validate_transaction(legacy(nonce=0), poor_contract, env(), Fork.CANCUN)
    with pytest.raises(InsufficientBalanceError):
        validate_transaction(legacy(nonce=1), poor_contract, env(), Fork.CANCUN)


def test_order_of_blob_creation_check_differs_between_cancun_and_prague():
    tx = blob(to=None, blob_versioned_hashes=[])
    with pytest.raises(TransactionTypeContractCreationError):
        validate_transaction(tx, RICH, env(), Fork.CANCUN)
    with pytest.raises(NoBlobDataError):
        validate_transaction(tx, RICH, env(), Fork.PRAGUE)


def test_errors_have_names_and_readable_messages():
    with pytest.raises(InvalidTransaction) as ei:
        validate_transaction(legacy(gas_limit=1), RICH, env(), Fork.CANCUN)
    text = str(ei.value)
    assert text.startswith("INTRINSIC_GAS_TOO_LOW: ") and "21000" in text


# --- keys, authorities, blob fee ----------------------------------------------
def test_sender_from_secret_key():
    assert sender_from_secret_key(KEY) == SENDER
    with pytest.raises(ValueError):
        sender_from_secret_key(b"\x00" * 32)
    with pytest.raises(ValueError):
        sender_from_secret_key(KEY[:31])


def test_recover_authority_of_a_fixture_authorization():
    # From EEST prague/eip7702_set_code_tx/set_code_txs_2/pointer_to_static_reentry.
    a = Authorization(
        chain_id=0,
        address=bytes.fromhex("1000000000000000000000000000000000001100"),
        nonce=0,
        y_parity=1,
        r=0xED4ED8DD2835C7EFCDDA339C4A11E2F1C1C0E5755F749EE9ABE8BEB00657D772,
        s=0x0C29A7998592A83986519080FB518335CC0171F9F8C779C9A1A5F411E4F0CE39,
    )
    assert a.authority == bytes.fromhex("8a0a19589531694250d570040a0c4b74576919b8")
    a.nonce = 1  # a different message recovers a different (or no) signer
    assert a.authority != bytes.fromhex("8a0a19589531694250d570040a0c4b74576919b8")


def test_recover_authority_matches_signing_with_coincurve():
    import coincurve

    from evm.transaction import authorization_signing_hash

    h = authorization_signing_hash(1, TO, 7)
    sig = coincurve.PrivateKey(KEY).sign_recoverable(h, hasher=None)
    r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    if s > n // 2:  # normalise to low-s as EIP-2 requires
        s, v = n - s, v ^ 1
    assert recover_authority(1, TO, 7, v, r, s) == SENDER


@pytest.mark.parametrize(
    "y_parity, r, s",
    [(2, 1, 1), (27, 1, 1), (0, 0, 1), (0, 1, 0), (0, 2**256 - 1, 1),
     (0, 1, 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A1)],
)
def test_invalid_authority_signatures_give_none(y_parity, r, s):
    assert recover_authority(1, TO, 0, y_parity, r, s) is None


def test_fake_exponential_matches_the_spec():
    from ethereum.utils.numeric import taylor_exponential
    from ethereum_types.numeric import Uint

    for factor, num, den in [(1, 0, 3338477), (1, 10_000_000, 3338477), (1, 2**25, 5007716), (7, 123456, 17)]:
        assert fake_exponential(factor, num, den) == int(taylor_exponential(Uint(factor), Uint(num), Uint(den)))


def test_blob_base_fee_update_fraction_per_fork():
    excess = 20_000_000
    assert BlockEnv(excess_blob_gas=excess).blob_base_fee(Fork.CANCUN) == fake_exponential(1, excess, 3338477)
    assert BlockEnv(excess_blob_gas=excess).blob_base_fee(Fork.PRAGUE) == fake_exponential(1, excess, 5007716)
    assert BlockEnv(excess_blob_gas=excess).blob_base_fee(Fork.OSAKA) == fake_exponential(1, excess, 5007716)
    assert BlockEnv().blob_base_fee(Fork.CANCUN) == 1
    with pytest.raises(ValueError):
        BlockEnv().blob_base_fee(Fork.SHANGHAI)


@pytest.mark.parametrize(
    "kwargs",
    [dict(coinbase=b"\x00" * 19), dict(prev_randao=b"\x00"), dict(number=-1),
     dict(parent_beacon_block_root=b"\x00" * 31)],
)
def test_block_env_rejects_bad_fields(kwargs):
    with pytest.raises(ValueError):
        BlockEnv(**kwargs)


def test_block_env_rejects_a_wrong_type_naming_the_field():
    with pytest.raises(TypeError, match="base_fee"):
        BlockEnv(base_fee="7")


def test_block_env_base_fee_before_london_is_zero():
    e = BlockEnv(base_fee=100)
    assert e.base_fee_per_gas(Fork.BERLIN) == 0
    assert e.base_fee_per_gas(Fork.LONDON) == 100
    assert BlockEnv().base_fee_per_gas(Fork.CANCUN) == 0
