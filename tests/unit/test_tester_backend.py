"""eth-tester's own backend test suite (``BaseTestBackendDirect``) run
against :class:`evm.tester.CyEVMBackend`, plus the backend's own behaviour:
forks, snapshots through the machine's journal, historical state, blob
transactions, gas estimates and EIP-3155 traces."""
import pytest

pytest.importorskip("eth_tester", reason="eth-tester is not installed (pip install 'cyevm[tester]')")
pytest.importorskip("eth_account", reason="eth-account is not installed (pip install 'cyevm[tester]')")

from eth_tester import EthereumTester  # noqa: E402
from eth_tester.utils.backend_testing import BaseTestBackendDirect  # noqa: E402

from evm.tester import CyEVMBackend  # noqa: E402


@pytest.fixture
def eth_tester():
    return EthereumTester(backend=CyEVMBackend())


class TestCyEVMBackendDirect(BaseTestBackendDirect):
    """The whole eth-tester suite; only tests tied to py-evm's own exception types are skipped."""

    def test_send_raw_transaction_invalid_rlp_transaction(self, eth_tester):
        pytest.skip("expects py-evm's eth.exceptions.UnrecognizedTransactionType; "
                    "see test_raw_transaction_of_unknown_type below")

    def test_send_raw_transaction_invalid_raw_transaction(self, eth_tester):
        pytest.skip("expects pyrlp's rlp.exceptions.DecodingError raised by py-evm's decoder; "
                    "see test_raw_transaction_bad_rlp below")


# -- the backend's own behaviour ---------------------------------------------------------------
from eth_tester.exceptions import (  # noqa: E402
    BlockNotFound,
    SnapshotNotFound,
    TransactionFailed,
    ValidationError,
)
from eth_utils import to_canonical_address, to_checksum_address  # noqa: E402

from evm import Fork  # noqa: E402
from evm.tester import DEFAULT_CHAIN_ID, ExecutionFailed, default_account_keys  # noqa: E402

GWEI = 10**9
OTHER = "0x" + "22" * 20
# runtime: SSTORE(0, 1); STOP -- its trace and gas are known from the EIPs:
# PUSH1 3, PUSH1 3, SSTORE of a cold zero slot to non-zero 22100 (EIP-2929/2200), STOP 0
STORE_RUNTIME = "600160005500"
# runtime: REVERT with Error("no") (offset 0, 0x64 bytes of memory prepared by MSTOREs)
ERROR_NO = ("08c379a0" + "20".rjust(64, "0") + "2".rjust(64, "0") + "6e6f".ljust(64, "0"))


def _initcode(runtime_hex: str) -> str:
    """Initcode returning ``runtime_hex``: CODECOPY it from after a 12-byte prefix and RETURN it."""
    n = len(runtime_hex) // 2
    return f"0x60{n:02x}600c60003960{n:02x}6000f3" + runtime_hex


def _revert_runtime(payload_hex: str) -> str:
    """Runtime that reverts with ``payload_hex``: CODECOPY the payload and REVERT with it."""
    n = len(payload_hex) // 2
    return f"60{n:02x}600c60003960{n:02x}6000fd" + payload_hex


def _deploy(t, runtime_hex, sender=None):
    sender = sender or t.get_accounts()[0]
    h = t.send_transaction({"from": sender, "data": _initcode(runtime_hex), "gas": 200_000})
    receipt = t.get_transaction_receipt(h)
    assert receipt["status"] == 1
    return receipt["contract_address"]


def test_accounts_are_eth_testers_keys():
    # private key 1's address is the well-known 0x7E5F...Bdf
    backend = CyEVMBackend()
    t = EthereumTester(backend)
    accounts = t.get_accounts()
    assert len(accounts) == 10
    assert accounts[0] == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    assert [to_checksum_address(k.public_key.to_canonical_address()) for k in default_account_keys()] == list(accounts)
    assert all(t.get_balance(a) == 10**24 for a in accounts)
    assert backend.fork == max(Fork) >= Fork.OSAKA and backend.chain_id == DEFAULT_CHAIN_ID


def test_value_transfer_pays_value_and_gas(eth_tester):
    a = eth_tester.get_accounts()
    h = eth_tester.send_transaction({"from": a[0], "to": a[1], "value": 12345, "gas": 21000})
    receipt = eth_tester.get_transaction_receipt(h)
    # the default fees: max fee = priority fee = 1 gwei; block 1's base fee is 875 mwei
    assert receipt["gas_used"] == 21000 and receipt["effective_gas_price"] == GWEI
    assert eth_tester.get_balance(a[0]) == 10**24 - 12345 - 21000 * GWEI
    assert eth_tester.get_balance(a[1]) == 10**24 + 12345
    assert eth_tester.get_block_by_number("latest")["base_fee_per_gas"] == 875_000_000


def test_roots_and_hashes_agree_with_py_evm():
    """The same transactions on eth-tester's py-evm backend (Prague) give the
    same transaction hashes and state, transactions and receipts roots."""
    pytest.importorskip("eth", reason="py-evm is not installed (pip install 'cyevm[bench]')")
    from eth_tester import PyEVMBackend

    seen = []
    for backend in (PyEVMBackend(), CyEVMBackend(fork="prague")):
        t = EthereumTester(backend)
        a = t.get_accounts()
        hashes = [t.send_transaction({"from": a[0], "to": a[1], "value": 12345, "gas": 21000}),
                  t.send_transaction({"from": a[4], "to": a[1], "value": 1, "gas": 21000, "gas_price": 2 * GWEI}),
                  t.send_transaction({"from": a[2], "data": _initcode(STORE_RUNTIME), "gas": 100_000,
                                      "gas_price": 3 * GWEI})]
        store = t.get_transaction_receipt(hashes[2])["contract_address"]
        hashes.append(t.send_transaction({"from": a[3], "to": store, "gas": 50_000}))
        blocks = [t.get_block_by_number(n) for n in range(5)]
        seen.append((hashes, [(b["state_root"], b["transactions_root"], b["receipts_root"], b["logs_bloom"],
                               b["gas_used"], b["base_fee_per_gas"], b["size"]) for b in blocks],
                     t.get_storage_at(store, "0x0")))
    assert seen[0] == seen[1]


def test_fork_selection():
    # EIP-7825 (Osaka) caps a transaction's gas at 2**24; Prague has no cap
    big = {"to": OTHER, "gas": 2**24 + 1, "value": 1}
    osaka = EthereumTester(CyEVMBackend())
    with pytest.raises(ValidationError, match="GAS_LIMIT_EXCEEDS_MAXIMUM"):
        osaka.send_transaction({**big, "from": osaka.get_accounts()[0]})
    prague = EthereumTester(CyEVMBackend(fork="prague"))
    prague.send_transaction({**big, "from": prague.get_accounts()[0]})
    # EIP-7685 (Prague): no requests, so the header holds sha256 of nothing
    assert prague.backend._blocks[-1].header.requests_hash == bytes.fromhex(
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    cancun = EthereumTester(CyEVMBackend(fork=Fork.CANCUN))
    cancun.mine_blocks()
    assert cancun.backend._blocks[-1].header.requests_hash is None
    assert "requests_hash" not in cancun.get_block_by_number("latest")
    # before London: no base fee, and a transaction without fees is a legacy one
    berlin = EthereumTester(CyEVMBackend(fork="berlin"))
    h = berlin.send_transaction({"from": berlin.get_accounts()[0], "to": OTHER, "gas": 21000})
    assert berlin.get_transaction_by_hash(h)["type"] == "0x0"
    assert "base_fee_per_gas" not in berlin.get_block_by_number("latest")
    # proof of work until Paris: the miner gets 2 ether per block (Constantinople on)
    berlin.mine_blocks(1, coinbase=OTHER)
    assert berlin.get_balance(OTHER) == 2 * 10**18
    with pytest.raises(ValueError, match="Byzantium to Osaka"):
        CyEVMBackend(fork="homestead")


def test_snapshots_use_the_machine_journal(eth_tester):
    backend = eth_tester.backend
    machine = backend._evm
    a = eth_tester.get_accounts()
    eth_tester.send_transaction({"from": a[0], "to": OTHER, "value": 1, "gas": 21000})
    snap = eth_tester.take_snapshot()
    for value in (2, 3):
        eth_tester.send_transaction({"from": a[0], "to": OTHER, "value": value, "gas": 21000})
    assert eth_tester.get_balance(OTHER) == 6
    latest = eth_tester.get_block_by_number("latest")["number"]
    eth_tester.revert_to_snapshot(snap)
    assert backend._evm is machine  # the same machine, reverted through its journal
    assert eth_tester.get_balance(OTHER) == 1
    assert eth_tester.get_block_by_number("latest")["number"] == latest - 2
    # a different future from the same point, then back again
    later = eth_tester.take_snapshot()
    eth_tester.send_transaction({"from": a[0], "to": OTHER, "value": 10, "gas": 21000})
    assert eth_tester.get_balance(OTHER) == 11
    eth_tester.revert_to_snapshot(snap)
    eth_tester.revert_to_snapshot(snap)
    assert eth_tester.get_balance(OTHER) == 1
    with pytest.raises(SnapshotNotFound):
        eth_tester.revert_to_snapshot(later)  # taken after snap: forgotten by the revert


def test_state_root_after_revert_matches_a_fresh_chain():
    def run(with_detour):
        t = EthereumTester(CyEVMBackend(genesis_parameters={"timestamp": 1_700_000_000}))
        a = t.get_accounts()
        t.send_transaction({"from": a[0], "to": OTHER, "value": 5, "gas": 21000})
        if with_detour:
            snap = t.take_snapshot()
            t.send_transaction({"from": a[1], "to": OTHER, "value": 7, "gas": 21000})
            t.revert_to_snapshot(snap)
        t.send_transaction({"from": a[2], "to": OTHER, "value": 9, "gas": 21000})
        return t.get_block_by_number("latest")["state_root"]
    assert run(True) == run(False)


def test_historical_state(eth_tester):
    a = eth_tester.get_accounts()
    store = _deploy(eth_tester, STORE_RUNTIME)
    deployed_at = eth_tester.get_block_by_number("latest")["number"]
    for value in (1, 2, 3):
        eth_tester.send_transaction({"from": a[1], "to": OTHER, "value": value, "gas": 21000})
    eth_tester.send_transaction({"from": a[1], "to": store, "gas": 50_000})
    latest = eth_tester.get_block_by_number("latest")["number"]
    assert [eth_tester.get_balance(OTHER, deployed_at + i) for i in range(4)] == [0, 1, 3, 6]
    assert eth_tester.get_nonce(a[1], deployed_at) == 0 and eth_tester.get_nonce(a[1]) == 4
    assert int(eth_tester.get_storage_at(store, "0x0", latest - 1), 16) == 0
    assert int(eth_tester.get_storage_at(store, "0x0"), 16) == 1
    assert eth_tester.get_code(store, deployed_at - 1) == "0x"
    assert eth_tester.get_code(store) == "0x" + STORE_RUNTIME
    with pytest.raises(BlockNotFound):
        eth_tester.get_balance(OTHER, latest + 1)


def test_call_and_estimate_leave_the_state_alone(eth_tester):
    a = eth_tester.get_accounts()
    store = _deploy(eth_tester, STORE_RUNTIME)
    nonce = eth_tester.get_nonce(a[0])
    eth_tester.call({"from": a[0], "to": store, "gas": 100_000})
    gas = eth_tester.estimate_gas({"from": a[0], "to": store})
    assert int(eth_tester.get_storage_at(store, "0x0"), 16) == 0
    assert eth_tester.get_nonce(a[0]) == nonce
    # 21000 + PUSH1 + PUSH1 + cold SSTORE 0 -> 1 (22100) + STOP
    assert gas == 21000 + 3 + 3 + 22100


def test_estimates_are_exact(eth_tester):
    """A transaction with the estimate succeeds; with one gas less it does not."""
    a = eth_tester.get_accounts()
    assert eth_tester.estimate_gas({"from": a[0], "to": OTHER, "value": 1}) == 21000
    store = _deploy(eth_tester, STORE_RUNTIME)
    for tx in ({"from": a[0], "to": store}, {"from": a[0], "data": _initcode(STORE_RUNTIME)}):
        gas = eth_tester.estimate_gas(tx)
        snap = eth_tester.take_snapshot()
        short = eth_tester.get_transaction_receipt(eth_tester.send_transaction({**tx, "gas": gas - 1}))
        eth_tester.revert_to_snapshot(snap)
        ok = eth_tester.get_transaction_receipt(eth_tester.send_transaction({**tx, "gas": gas}))
        assert (ok["status"], short["status"]) == (1, 0)
        assert ok["gas_used"] == gas


def test_reverts_raise_transaction_failed_with_the_reason(eth_tester):
    a = eth_tester.get_accounts()
    reverter = _deploy(eth_tester, _revert_runtime(ERROR_NO))
    for method in (eth_tester.call, eth_tester.estimate_gas):
        with pytest.raises(TransactionFailed) as info:
            method({"from": a[0], "to": reverter, "gas": 100_000})
        assert info.value.args[0] == "no"
        assert isinstance(info.value, ExecutionFailed) and info.value.data.hex() == ERROR_NO
    bare = _deploy(eth_tester, "fe")  # INVALID
    with pytest.raises(TransactionFailed, match="InvalidOpcode"):
        eth_tester.call({"from": a[0], "to": bare})


def test_call_with_more_value_than_the_balance(eth_tester):
    poor = "0x" + "33" * 20
    for method in (eth_tester.call, eth_tester.estimate_gas):
        with pytest.raises(ValidationError, match="balance"):
            method({"from": poor, "to": OTHER, "value": 5})


def test_invalid_transactions_change_nothing(eth_tester):
    a = eth_tester.get_accounts()
    with pytest.raises(ValidationError, match="INSUFFICIENT_ACCOUNT_FUNDS"):
        eth_tester.send_transaction({"from": a[0], "to": OTHER, "value": 10**30, "gas": 21000})
    with pytest.raises(ValidationError, match="NONCE_MISMATCH_TOO_HIGH"):
        eth_tester.send_transaction({"from": a[0], "to": OTHER, "nonce": 5, "gas": 21000})
    assert eth_tester.get_balance(a[0]) == 10**24 and eth_tester.get_nonce(a[0]) == 0
    assert len(eth_tester.get_block_by_number("pending")["transactions"]) == 0


def test_raw_transaction_of_unknown_type(eth_tester):
    with pytest.raises(ValidationError, match="unknown transaction type 0x12"):
        eth_tester.send_raw_transaction("0x1234")


def test_raw_transaction_bad_rlp(eth_tester):
    with pytest.raises(ValidationError, match="RLP"):
        eth_tester.send_raw_transaction("0xffff")


def test_blob_transaction(eth_tester):
    from eth_account import Account

    acct = Account.from_key((1).to_bytes(32, "big"))
    tx = {"type": 3, "chainId": DEFAULT_CHAIN_ID, "nonce": 0, "to": OTHER, "value": 0, "gas": 21000,
          "maxFeePerGas": 10 * GWEI, "maxPriorityFeePerGas": GWEI, "maxFeePerBlobGas": 10}
    raw = acct.sign_transaction(tx, blobs=[b"\x00" * 131072]).raw_transaction
    before = eth_tester.get_balance(acct.address)
    h = eth_tester.send_raw_transaction("0x" + raw.hex())
    receipt = eth_tester.get_transaction_receipt(h)
    # one blob: 2**17 blob gas at the minimum blob base fee of 1 wei
    assert (receipt["status"], receipt["blob_gas_used"], receipt["blob_gas_price"]) == (1, 131072, 1)
    base_fee = eth_tester.get_block_by_number(receipt["block_number"])["base_fee_per_gas"]
    assert receipt["effective_gas_price"] == base_fee + GWEI
    assert before - eth_tester.get_balance(acct.address) == 21000 * (base_fee + GWEI) + 131072
    assert eth_tester.get_block_by_number(receipt["block_number"])["blob_gas_used"] == 131072
    # the versioned hash of the all-zero blob's KZG commitment
    assert eth_tester.get_transaction_by_hash(h)["blob_versioned_hashes"] == [
        "0x010657f37554c781402a22917dee2f75def7ab966d7b770905398eba3c444014"]
    # a sidecar whose commitment does not match its hash is refused
    bad = bytearray(raw)
    i = bytes(bad).find(bytes.fromhex("010657f37554c781402a22917dee2f75"))
    bad[i + 5] ^= 1
    with pytest.raises(ValidationError):
        eth_tester.send_raw_transaction("0x" + bytes(bad).hex())


def test_coinbase_gets_the_priority_fees(eth_tester):
    a = eth_tester.get_accounts()
    eth_tester.disable_auto_mine_transactions()
    eth_tester.send_transaction({"from": a[0], "to": OTHER, "value": 1, "gas": 21000})
    eth_tester.mine_blocks(1, coinbase=a[5])
    # max fee 1 gwei over block 1's base fee of 875 mwei: 125 mwei a gas to the miner
    assert eth_tester.get_balance(a[5]) == 10**24 + 21000 * 125_000_000


def test_time_travel(eth_tester):
    pending = eth_tester.get_block_by_number("pending")
    eth_tester.time_travel(pending["timestamp"] + 1000)
    assert eth_tester.get_block_by_number("pending")["timestamp"] == pending["timestamp"] + 1000
    assert eth_tester.get_block_by_number("latest")["timestamp"] == pending["timestamp"]


def test_withdrawals(eth_tester):
    eth_tester.backend.apply_withdrawals([{"index": 0, "validator_index": 7, "address": OTHER, "amount": 3}])
    block = eth_tester.get_block_by_number("latest")
    assert eth_tester.get_balance(OTHER) == 3 * GWEI
    assert block["withdrawals"][0]["amount"] == 3
    from evm.blocks import Block

    record = eth_tester.backend._blocks[-1]
    assert block["size"] == len(Block(record.header, [], [], record.withdrawals).encode())


def test_trace_transaction(eth_tester):
    a = eth_tester.get_accounts()
    store = _deploy(eth_tester, STORE_RUNTIME)
    h = eth_tester.send_transaction({"from": a[0], "to": store, "gas": 50_000})
    eth_tester.send_transaction({"from": a[0], "to": store, "gas": 50_000})  # later ones leave it alone
    trace = eth_tester.backend.trace_transaction(h)
    steps = trace["steps"]
    assert [s["opName"] for s in steps] == ["PUSH1", "PUSH1", "SSTORE", "STOP"]
    assert [int(s["gasCost"], 16) for s in steps] == [3, 3, 22100, 0]
    assert int(steps[0]["gas"], 16) == 50_000 - 21000
    assert steps[2]["stack"] == ["0x1", "0x0"]
    assert int(trace["gasUsed"], 16) == 22106 and trace["error"] is None
    # a transaction traced in its block, after the one before it in the same block
    eth_tester.disable_auto_mine_transactions()
    first = eth_tester.send_transaction({"from": a[1], "to": store, "gas": 50_000})
    second = eth_tester.send_transaction({"from": a[2], "to": store, "gas": 50_000})
    eth_tester.mine_blocks()
    assert eth_tester.get_transaction_receipt(first)["block_number"] == \
        eth_tester.get_transaction_receipt(second)["block_number"]
    # slot 0 is already 1 when the second runs: SSTORE 1 -> 1 costs the cold 2100 + 100
    assert int(eth_tester.backend.trace_transaction(second)["steps"][2]["gasCost"], 16) == 2200


def test_chain_backend_from_the_environment(monkeypatch):
    monkeypatch.setenv("ETHEREUM_TESTER_CHAIN_BACKEND", "evm.tester.CyEVMBackend")
    assert isinstance(EthereumTester().backend, CyEVMBackend)


def test_mnemonic_accounts():
    mnemonic = "test test test test test test test test test test test junk"
    # along m/44'/60'/0'/0/i: the first account Hardhat and Anvil derive from this mnemonic
    backend = CyEVMBackend.from_mnemonic(mnemonic, num_accounts=2, hd_path="m/44'/60'/0'/0")
    assert backend.get_accounts()[0] == to_canonical_address("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
    assert len(backend.get_accounts()) == 2
    assert EthereumTester(backend).get_balance("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266") == 10**24


def test_mnemonic_accounts_match_py_evm_backend():
    pytest.importorskip("eth", reason="py-evm is not installed (pip install 'cyevm[bench]')")
    from eth_tester import PyEVMBackend

    mnemonic = "test test test test test test test test test test test junk"
    assert CyEVMBackend.from_mnemonic(mnemonic).get_accounts() == PyEVMBackend.from_mnemonic(mnemonic).get_accounts()


def test_system_contracts_run_when_present():
    """With code at the EIP-2935 history address, each block starts by calling it
    with its parent's hash (here: code storing calldata at slot NUMBER)."""
    from evm.blocks.system import HISTORY_STORAGE_ADDRESS

    state = CyEVMBackend.generate_genesis_state()
    # PUSH1 0 CALLDATALOAD NUMBER SSTORE STOP: storage[number] = the 32 bytes given
    state[HISTORY_STORAGE_ADDRESS] = {"balance": 0, "nonce": 1, "code": bytes.fromhex("6000354355" + "00"),
                                      "storage": {}}
    t = EthereumTester(CyEVMBackend(genesis_state=state, fork="prague"))
    history = to_checksum_address(HISTORY_STORAGE_ADDRESS)
    t.mine_blocks(3)
    for n in (1, 2, 3):
        parent = t.get_block_by_number(n - 1)["hash"]
        assert t.get_storage_at(history, hex(n)) == parent
    # the pending block 4 has stored block 3's hash; the latest state has not
    assert int(t.get_storage_at(history, "0x4"), 16) == 0
    assert t.get_storage_at(history, "0x4", "pending") == t.get_block_by_number(3)["hash"]


def test_blockhash_and_block_context_of_calls(eth_tester):
    # NUMBER - 1, BLOCKHASH, return it: the parent's hash of the block the call runs in
    parent_hash = _deploy(eth_tester, "6001430340" + "60005260206000f3")
    eth_tester.mine_blocks(2)
    latest = eth_tester.get_block_by_number("latest")
    before = eth_tester.get_block_by_number(latest["number"] - 1)
    assert eth_tester.call({"from": OTHER, "to": parent_hash}, "pending") == latest["hash"]
    assert eth_tester.call({"from": OTHER, "to": parent_hash}, "latest") == before["hash"]
    assert eth_tester.call({"from": OTHER, "to": parent_hash}, latest["number"] - 1) == \
        eth_tester.get_block_by_number(latest["number"] - 2)["hash"]
    # TIMESTAMP, returned: each block's own
    timestamp = _deploy(eth_tester, "42" + "60005260206000f3")
    eth_tester.mine_blocks()
    latest = eth_tester.get_block_by_number("latest")
    assert int(eth_tester.call({"from": OTHER, "to": timestamp}, "latest"), 16) == latest["timestamp"]
    assert int(eth_tester.call({"from": OTHER, "to": timestamp}, "pending"), 16) == \
        eth_tester.get_block_by_number("pending")["timestamp"]


def test_log_indexes_count_through_the_block(eth_tester):
    # LOG0 of no data, twice: two logs per transaction
    logger = _deploy(eth_tester, "60006000a060006000a000")
    a = eth_tester.get_accounts()
    eth_tester.disable_auto_mine_transactions()
    hashes = [eth_tester.send_transaction({"from": a[i], "to": logger, "gas": 50_000}) for i in (1, 2)]
    eth_tester.mine_blocks()
    receipts = [eth_tester.get_transaction_receipt(h) for h in hashes]
    assert [[log["log_index"] for log in r["logs"]] for r in receipts] == [[0, 1], [2, 3]]
    assert [r["transaction_index"] for r in receipts] == [0, 1]
    assert receipts[1]["cumulative_gas_used"] == receipts[0]["gas_used"] + receipts[1]["gas_used"]
