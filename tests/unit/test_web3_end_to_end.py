"""web3.py end to end on cyevm: ``Web3(EthereumTesterProvider(EthereumTester(CyEVMBackend())))``.

A Vyper ERC-20 (tests/data/tester_token.vy, compiled here when Vyper is
installed) is deployed, transfers tokens, and is read back through events,
filters and logs; reverts come back with their reason, snapshots revert,
gas estimates are exact, a transaction signed by eth-account goes through
``eth_sendRawTransaction``, and ``debug_traceTransaction`` serves the
EIP-3155 steps of cyevm's tracer.
"""
import json
from pathlib import Path

import pytest

pytest.importorskip("eth_tester", reason="eth-tester is not installed (pip install 'cyevm[tester]')")
pytest.importorskip("web3", reason="web3 is not installed (pip install 'cyevm[tester]')")
pytest.importorskip("eth_account", reason="eth-account is not installed (pip install 'cyevm[tester]')")

from eth_account import Account  # noqa: E402
from eth_tester import EthereumTester  # noqa: E402
from eth_tester.exceptions import TransactionFailed  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402
from web3.exceptions import ContractLogicError  # noqa: E402

from evm.tester import CyEVMBackend, web3_api_endpoints  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "data"
SUPPLY = 10**24
ZERO = "0x0000000000000000000000000000000000000000"
# keccak256("Transfer(address,address,uint256)")
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def _compiled():
    """(abi, bytecode) of the test token: compiled now with Vyper when it is installed."""
    try:
        import vyper
    except ImportError:
        data = json.loads((DATA / "tester_token.json").read_text())
        return data["abi"], data["bytecode"]
    from vyper.compiler.settings import Settings

    out = vyper.compile_code((DATA / "tester_token.vy").read_text(), output_formats=["abi", "bytecode"],
                             settings=Settings(evm_version="cancun"))
    return out["abi"], out["bytecode"]


ABI, BYTECODE = _compiled()


def test_checked_in_bytecode_is_the_sources():
    pytest.importorskip("vyper", reason="Vyper is not installed: the checked-in bytecode is used")
    import vyper

    data = json.loads((DATA / "tester_token.json").read_text())
    assert vyper.__version__.startswith("0.4.3"), "the JSON was made with Vyper 0.4.3"
    assert (data["abi"], data["bytecode"]) == (ABI, BYTECODE)


@pytest.fixture(params=["stock", "cyevm-endpoints"])
def w3(request):
    tester = EthereumTester(CyEVMBackend())
    if request.param == "stock":
        return Web3(EthereumTesterProvider(tester))
    return Web3(EthereumTesterProvider(tester, api_endpoints=web3_api_endpoints()))


@pytest.fixture
def w3x():
    """web3 with cyevm's endpoints (node-like reverts, debug_traceTransaction)."""
    return Web3(EthereumTesterProvider(EthereumTester(CyEVMBackend()), api_endpoints=web3_api_endpoints()))


def _token(w3):
    deployer = w3.eth.accounts[0]
    factory = w3.eth.contract(abi=ABI, bytecode=BYTECODE)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(SUPPLY).transact({"from": deployer}))
    assert receipt.status == 1
    return w3.eth.contract(address=receipt.contractAddress, abi=ABI), receipt


def test_deploy_and_transfer(w3):
    token, deployed = _token(w3)
    a = w3.eth.accounts
    assert token.functions.name().call() == "Tester Token"
    assert token.functions.totalSupply().call() == SUPPLY
    assert token.functions.balanceOf(a[0]).call() == SUPPLY
    receipt = w3.eth.wait_for_transaction_receipt(token.functions.transfer(a[1], 1000).transact({"from": a[0]}))
    assert receipt.status == 1
    assert token.functions.balanceOf(a[0]).call() == SUPPLY - 1000
    assert token.functions.balanceOf(a[1]).call() == 1000
    w3.eth.wait_for_transaction_receipt(token.functions.transfer(a[2], 400).transact({"from": a[1]}))
    assert [token.functions.balanceOf(x).call() for x in a[:3]] == [SUPPLY - 1000, 600, 400]
    # the state of an earlier block
    assert token.functions.balanceOf(a[1]).call(block_identifier=receipt.blockNumber) == 1000
    assert token.functions.balanceOf(a[1]).call(block_identifier=deployed.blockNumber) == 0


def test_transfer_events_through_filters_and_logs(w3):
    token, deployed = _token(w3)
    a = w3.eth.accounts
    new_transfers = token.events.Transfer.create_filter(from_block="latest")
    all_transfers = token.events.Transfer.create_filter(from_block=0)
    for to, amount in ((a[1], 10), (a[2], 20)):
        w3.eth.wait_for_transaction_receipt(token.functions.transfer(to, amount).transact({"from": a[0]}))
    minted = (ZERO, a[0], SUPPLY)
    sent = [(a[0], a[1], 10), (a[0], a[2], 20)]
    as_tuples = lambda entries: [(e.args.sender, e.args.receiver, e.args.value) for e in entries]  # noqa: E731
    assert as_tuples(new_transfers.get_new_entries()) == sent
    assert new_transfers.get_new_entries() == []
    assert as_tuples(all_transfers.get_all_entries()) == [minted] + sent
    assert as_tuples(token.events.Transfer.get_logs(from_block=0)) == [minted] + sent
    logs = w3.eth.get_logs({"from_block": 0, "address": token.address, "topics": [TRANSFER_TOPIC]})
    assert len(logs) == 3 and logs[0]["blockNumber"] == deployed.blockNumber
    # filtered on the indexed receiver
    only_a2 = token.events.Transfer.get_logs(from_block=0, argument_filters={"receiver": a[2]})
    assert as_tuples(only_a2) == [sent[1]]


def test_revert_reason(w3):
    token, _ = _token(w3)
    a = w3.eth.accounts
    with pytest.raises((ContractLogicError, TransactionFailed)) as info:
        token.functions.transfer(a[2], 1).call({"from": a[1]})
    assert "insufficient balance" in str(info.value)
    with pytest.raises((ContractLogicError, TransactionFailed), match="insufficient balance"):
        token.functions.transfer(a[2], 1).transact({"from": a[1]})  # web3 estimates the gas first


def test_revert_reason_as_contract_logic_error(w3x):
    token, _ = _token(w3x)
    a = w3x.eth.accounts
    with pytest.raises(ContractLogicError) as info:
        token.functions.transfer(a[2], 1).call({"from": a[1]})
    assert info.value.message == "execution reverted: insufficient balance"
    # Error(string) of "insufficient balance": selector, offset 32, length 20, the text
    assert info.value.data == ("0x08c379a0" + "20".rjust(64, "0") + "14".rjust(64, "0")
                               + b"insufficient balance".hex().ljust(64, "0"))
    with pytest.raises(ContractLogicError, match="insufficient allowance"):
        token.functions.transferFrom(a[0], a[2], 1).estimate_gas({"from": a[1]})


def test_halt_as_contract_logic_error(w3x):
    # a contract whose code is INVALID (0xfe), deployed from its initcode
    initcode = "0x6001600c60003960016000f3fe"
    a = w3x.eth.accounts
    bad = w3x.eth.wait_for_transaction_receipt(w3x.eth.send_transaction({"from": a[0], "data": initcode}))
    with pytest.raises(ContractLogicError) as info:
        w3x.eth.call({"from": a[0], "to": bad.contractAddress})
    assert info.value.message == "InvalidOpcode" and info.value.data is None


def test_default_provider_reports_reverts_as_eth_tester_does():
    w3 = Web3(EthereumTesterProvider(EthereumTester(CyEVMBackend())))
    token, _ = _token(w3)
    with pytest.raises(TransactionFailed, match="execution reverted: insufficient balance"):
        token.functions.transfer(w3.eth.accounts[2], 1).call({"from": w3.eth.accounts[1]})


def test_snapshot_and_revert(w3):
    token, _ = _token(w3)
    a = w3.eth.accounts
    tester = w3.provider.ethereum_tester
    snapshot = tester.take_snapshot()
    block = w3.eth.block_number
    eth_before = w3.eth.get_balance(a[0])
    w3.eth.wait_for_transaction_receipt(token.functions.transfer(a[3], 77).transact({"from": a[0]}))
    assert token.functions.balanceOf(a[3]).call() == 77
    tester.revert_to_snapshot(snapshot)
    assert token.functions.balanceOf(a[3]).call() == 0
    assert w3.eth.block_number == block and w3.eth.get_balance(a[0]) == eth_before
    # and through the evm_ RPC methods
    snap_id = w3.provider.make_request("evm_snapshot", [])["result"]
    w3.eth.wait_for_transaction_receipt(token.functions.transfer(a[3], 5).transact({"from": a[0]}))
    w3.provider.make_request("evm_revert", [snap_id])
    assert token.functions.balanceOf(a[3]).call() == 0


def test_estimate_gas_is_exact(w3):
    token, _ = _token(w3)
    a = w3.eth.accounts
    transfer = token.functions.transfer(a[4], 123)
    gas = transfer.estimate_gas({"from": a[0]})
    tester = w3.provider.ethereum_tester
    snapshot = tester.take_snapshot()
    short = w3.eth.wait_for_transaction_receipt(transfer.transact({"from": a[0], "gas": gas - 1}))
    tester.revert_to_snapshot(snapshot)
    ok = w3.eth.wait_for_transaction_receipt(transfer.transact({"from": a[0], "gas": gas}))
    assert (short.status, ok.status) == (0, 1)
    assert ok.gasUsed == gas  # no refund in this transfer: it uses all of the estimate
    assert token.functions.balanceOf(a[4]).call() == 123


def test_signed_raw_transaction(w3):
    token, _ = _token(w3)
    a = w3.eth.accounts
    signer = Account.from_key("0x" + "42" * 32)
    w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": a[0], "to": signer.address,
                                                                 "value": 10**18}))
    w3.eth.wait_for_transaction_receipt(token.functions.transfer(signer.address, 500).transact({"from": a[0]}))
    tx = token.functions.transfer(a[5], 200).build_transaction({
        "from": signer.address, "nonce": w3.eth.get_transaction_count(signer.address), "gas": 100_000,
        "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 10**9, "chainId": w3.eth.chain_id})
    signed = signer.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    assert tx_hash == signed.hash
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt.status == 1 and receipt["from"] == signer.address
    assert token.functions.balanceOf(signer.address).call() == 300
    assert token.functions.balanceOf(a[5]).call() == 200
    base_fee = w3.eth.get_block(receipt.blockNumber).baseFeePerGas
    assert receipt.effectiveGasPrice == base_fee + 10**9
    assert w3.eth.get_balance(signer.address) == 10**18 - receipt.gasUsed * (base_fee + 10**9)


def test_debug_trace_transaction(w3x):
    token, _ = _token(w3x)
    a = w3x.eth.accounts
    tx_hash = token.functions.transfer(a[1], 5).transact({"from": a[0]})
    receipt = w3x.eth.wait_for_transaction_receipt(tx_hash)
    trace = w3x.geth.debug.trace_transaction(tx_hash)
    steps = trace["structLogs"]
    ops = [s["opName"] for s in steps]
    # two balance writes and one Transfer(address indexed, address indexed, uint256): LOG3
    assert ops.count("SSTORE") == 2 and ops.count("LOG3") == 1
    assert ops[-1] == "RETURN" and not trace["failed"]
    assert trace["gas"] == receipt.gasUsed
    assert int(trace["returnValue"], 16) == 1  # `True`
    # EIP-3155 fields of the first step: gas left after the intrinsic gas
    first = steps[0]
    assert first["pc"] == 0 and first["depth"] == 1
    tx = w3x.eth.get_transaction(tx_hash)
    zeros = tx.input.count(0)
    calldata_gas = 4 * zeros + 16 * (len(tx.input) - zeros)  # EIP-2028
    assert int(first["gas"], 16) == tx.gas - 21000 - calldata_gas
    # the same steps from the backend method
    direct = w3x.provider.ethereum_tester.backend.trace_transaction(tx_hash)
    assert direct["steps"] == steps
