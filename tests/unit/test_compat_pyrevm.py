"""evm.compat.pyrevm: pyrevm 0.3.7's API over cyevm.

The first part runs pyrevm-style scripts on the compat layer and checks them
against values known independently (gas worked out by hand from the
Yellow Paper / EIP prices, EIP-55 and CREATE-address test vectors, ERC-20
semantics). The second part, where pyrevm is installed, runs the same
scripts on pyrevm and on the compat layer and compares what they return.
Each compared call runs first on a fresh EVM: pyrevm keeps one transaction
open across calls (warm slots stay warm), cyevm starts a new one per call,
so only first calls have the same gas in both.
"""
from __future__ import annotations

import contextlib
import io
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable, Dict, List, Tuple

import pytest

import evm
from evm import Account, Fork, State
from evm.compat import pyrevm as compat
from evm.compat.pyrevm import (
    EVM,
    AccountInfo,
    BlockEnv,
    CfgEnv,
    Env,
    Halt,
    Revert,
    TransactionError,
    TxEnv,
)
from evm.crypto import keccak256

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rpc_node import FakeNode  # noqa: E402

ALICE = "0x" + "11" * 20
BOB = "0x" + "33" * 20
CONTRACT = "0x" + "22" * 20
COINBASE = "0x" + "44" * 20

RETURN_ONE = bytes.fromhex("600160005260206000f3")  # mstore(0, 1); return(0, 32): 18 gas
REVERT_FF = bytes.fromhex("60ff5f526001601ffd")  # mstore(0, 0xff); revert(31, 1): 17 gas
SPIN = bytes.fromhex("5b5f56")  # JUMPDEST PUSH0 JUMP forever
CLEAR_SLOT0 = bytes.fromhex("5f5f5500")  # sstore(0, 0)
LOG2 = bytes.fromhex("602a5f5260bb60aa60205fa200")  # mstore(0, 42); log2(0, 32, 0xaa, 0xbb)
# NUMBER TIMESTAMP COINBASE PREVRANDAO BASEFEE GASLIMIT CHAINID into 7 words, returned
BLOCK_FIELDS = bytes.fromhex("435f52426020524160405244606052486080524560a0524660c05260e05ff3")

# keccak256("Transfer(address,address,uint256)")
TRANSFER_TOPIC = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"


def word(n: int) -> bytes:
    return n.to_bytes(32, "big")


def words(out: bytes) -> List[int]:
    return [int.from_bytes(out[i:i + 32], "big") for i in range(0, len(out), 32)]


def funded(spec: str = "Cancun", **kw: Any) -> EVM:
    e = EVM(spec_id=spec, **kw)
    e.insert_account_info(ALICE, AccountInfo(balance=10**18))
    return e


def with_code(code: bytes, spec: str = "Cancun", **kw: Any) -> EVM:
    e = funded(spec, **kw)
    e.insert_account_info(CONTRACT, AccountInfo(code=code))
    return e


# -- spec names -------------------------------------------------------------------------------------------

def test_unknown_spec_name_is_an_error_listing_the_valid_names():
    with pytest.raises(ValueError) as info:
        EVM(spec_id="Shangai")
    message = str(info.value)
    assert "'Shangai'" in message
    for name in ("Frontier", "Merge", "Shanghai", "Cancun", "Prague", "Osaka", "Latest"):
        assert name in message
    with pytest.raises(TypeError):
        EVM(spec_id=12.5)


@pytest.mark.parametrize("name", ["Osaka", "OSAKA", "osaka"])
def test_osaka_is_accepted_and_has_clz(name):
    # EIP-7939 (Osaka): CLZ(1) = 255; PUSH1 1 CLZ PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    e = with_code(bytes.fromhex("60011e5f5260205ff3"), name)
    assert e.fork is Fork.OSAKA
    assert words(e.message_call(ALICE, CONTRACT)) == [255]


def test_clz_is_undefined_before_osaka():
    e = with_code(bytes.fromhex("60011e5f5260205ff3"), "Prague")
    with pytest.raises(Halt) as info:
        e.message_call(ALICE, CONTRACT, gas=100_000)
    assert info.value.reason == "OpcodeNotFound"


@pytest.mark.parametrize("name, fork", [
    ("SHANGHAI", Fork.SHANGHAI), ("Cancun", Fork.CANCUN), ("Merge", Fork.PARIS), ("Paris", Fork.PARIS),
    ("Tangerine", Fork.TANGERINE_WHISTLE), ("SpuriousDragon", Fork.SPURIOUS_DRAGON), ("Latest", Fork.OSAKA),
    ("LATEST", Fork.OSAKA), ("MuirGlacier", Fork.ISTANBUL)])
def test_spec_names_map_to_forks(name, fork):
    assert EVM(spec_id=name).fork is fork


def test_uppercase_shanghai_really_is_shanghai():
    # pyrevm runs its latest spec for "SHANGHAI"; here TLOAD (Cancun) does not exist yet
    e = with_code(bytes.fromhex("5f5c00"), "SHANGHAI")
    with pytest.raises(Halt):
        e.message_call(ALICE, CONTRACT, gas=100_000)


def test_default_spec_is_the_newest_fork():
    assert EVM().fork is max(Fork) is Fork.OSAKA


# -- calls, gas, results ------------------------------------------------------------------------------------

def test_message_call_returns_bytes_and_charges_intrinsic_gas():
    e = with_code(RETURN_ONE)
    out = e.message_call(ALICE, CONTRACT)
    assert out == word(1)
    r = e.result
    assert (r.is_success, r.is_halt, r.reason, r.gas_used, r.gas_refunded, r.logs) == (
        True, False, "Return", 21_000 + 18, 0, [])
    assert e.basic(ALICE).nonce == 0  # a message call does not bump the nonce (pyrevm)


def test_calldata_cost_and_the_prague_floor():
    data = b"\x00\x01" * 10  # 10 zero bytes (4 each) and 10 others (16 each)
    e = with_code(b"\x00")
    e.message_call(ALICE, CONTRACT, data)
    assert e.result.gas_used == 21_000 + 10 * 4 + 10 * 16
    assert e.result.reason == "Stop"
    # EIP-7623 (Prague): at least 21000 + 10 * tokens, tokens = zeros + 4 * others
    e = with_code(b"\x00", "Prague")
    e.message_call(ALICE, CONTRACT, data)
    assert e.result.gas_used == 21_000 + 10 * (10 + 4 * 10)


def test_value_transfer_moves_balance_without_fees():
    e = funded()
    assert e.message_call(ALICE, BOB, value=12345) == b""
    assert e.get_balance(BOB) == 12345
    assert e.get_balance(ALICE) == 10**18 - 12345
    assert e.result.gas_used == 21_000


def test_gas_price_is_checked_against_the_balance_but_not_charged():
    e = funded()
    e.set_block_env(BlockEnv(coinbase=COINBASE))
    e.message_call(ALICE, BOB, value=5, gas=30_000, gas_price=10)
    assert e.get_balance(ALICE) == 10**18 - 5
    assert e.get_balance(COINBASE) == 0
    with pytest.raises(TransactionError) as info:
        e.message_call(ALICE, BOB, value=5, gas_price=10)  # gas defaults to 2**64-1
    fee = (2**64 - 1) * 10 + 5
    assert str(info.value) == (f"Transaction(LackOfFundForMaxFee {{ fee: {fee}, balance: {10**18 - 5} }})")
    assert e.result is None


def test_gasprice_opcode_sees_the_calls_gas_price():
    e = with_code(bytes.fromhex("3a5f5260205ff3"))
    assert words(e.message_call(ALICE, CONTRACT, gas=100_000, gas_price=7)) == [7]


def test_refund_is_capped_and_deducted():
    e = with_code(CLEAR_SLOT0)
    e.insert_account_storage(CONTRACT, 0, 5)
    e.message_call(ALICE, CONTRACT)
    # PUSH0 PUSH0 (2+2), SSTORE 5 -> 0 on a cold slot (2100 + 2900), refund 4800 (EIP-3529)
    spent = 21_000 + 4 + 5_000
    assert e.result.gas_refunded == 4_800 and e.result.gas_used == spent - 4_800
    assert e.storage(CONTRACT, 0) == 0


def test_revert_raises_a_runtime_error_with_pyrevms_text():
    e = with_code(REVERT_FF)
    with pytest.raises(RuntimeError) as info:
        e.message_call(ALICE, CONTRACT)
    exc = info.value
    assert isinstance(exc, Revert) and isinstance(exc, evm.Revert)
    assert str(exc) == "Revert { gas_used: 21017, output: 0xff }"
    assert exc.output == b"\xff" and exc.gas_used == 21_017
    r = e.result
    assert (r.is_success, r.is_halt, r.reason, r.gas_used) == (False, False, "Revert", 21_017)


def test_revert_reason_is_decoded():
    reason = b"not enough"
    data = bytes.fromhex("08c379a0") + word(32) + word(len(reason)) + reason.ljust(32, b"\0")
    # PUSH2 len DUP1 PUSH1 10 PUSH0 CODECOPY PUSH0 REVERT: revert with the data after these 10 bytes
    code = b"\x61" + len(data).to_bytes(2, "big") + bytes([0x80, 0x60, 10, 0x5F, 0x39, 0x5F, 0xFD]) + data
    e = with_code(code)
    with pytest.raises(Revert) as info:
        e.message_call(ALICE, CONTRACT)
    assert info.value.reason == "not enough"
    assert info.value.output == data


def test_out_of_gas_and_other_halts():
    e = with_code(SPIN)
    with pytest.raises(RuntimeError) as info:
        e.message_call(ALICE, CONTRACT, gas=50_000)
    assert isinstance(info.value, Halt)
    assert str(info.value) == "Halt { reason: OutOfGas(Basic), gas_used: 50000 }"
    assert info.value.error == "OutOfGasError"
    assert (e.result.is_halt, e.result.gas_used) == (True, 50_000)
    e = with_code(b"\x01")  # ADD on an empty stack
    with pytest.raises(Halt, match=r"^Halt \{ reason: StackUnderflow, gas_used: 100000 \}$"):
        e.message_call(ALICE, CONTRACT, gas=100_000)
    e = with_code(bytes.fromhex("6001600055"))
    with pytest.raises(Halt, match="StateChangeDuringStaticCall"):
        e.message_call(ALICE, CONTRACT, gas=100_000, is_static=True)


def test_a_halt_uses_all_the_default_gas():
    e = with_code(b"\x01")
    with pytest.raises(Halt):
        e.message_call(ALICE, CONTRACT)
    assert e.result.gas_used == 2**64 - 1  # the EVM's gas_limit, as pyrevm reports it


def test_too_little_gas_for_the_intrinsic_cost():
    e = with_code(b"\x00")
    with pytest.raises(TransactionError) as info:
        e.message_call(ALICE, CONTRACT, gas=20_000)
    assert str(info.value) == ("Initial gas spend is 21000 but gas limit is 20000. "
                               "Error: Transaction(CallGasCostMoreThanGasLimit)")


def test_logs():
    e = with_code(LOG2)
    e.message_call(ALICE, CONTRACT)
    (log,) = e.result.logs
    assert log.address == CONTRACT
    assert log.topics == ["0x" + "00" * 31 + "aa", "0x" + "00" * 31 + "bb"]
    assert log.data == ([word(0xAA), word(0xBB)], word(42))
    # 21000 + 3 + 2 + 6 (MSTORE + a word) + 3 + 3 + 3 + 2 + LOG2 (375 + 2 * 375 + 8 * 32) + 0
    assert e.result.gas_used == 21_000 + 22 + 375 + 750 + 256


def test_log_addresses_are_eip55_checksummed():
    # the first example of EIP-55
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    e = funded()
    e.insert_account_info(address, AccountInfo(code=LOG2))
    e.message_call(ALICE, address.lower())
    assert e.result.logs[0].address == address


# -- deploy ------------------------------------------------------------------------------------------------

def initcode_for(runtime: bytes) -> bytes:
    """PUSHn runtime; PUSH0 MSTORE; return the last len(runtime) bytes of the word."""
    assert len(runtime) <= 32
    return bytes([0x5F + len(runtime)]) + runtime + bytes([0x5F, 0x52, 0x60, len(runtime),
                                                          0x60, 32 - len(runtime), 0xF3])


def test_deploy_returns_the_create_address_and_bumps_the_nonce():
    sender = "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0"  # a well-known CREATE example
    e = EVM(spec_id="Cancun")
    e.insert_account_info(sender, AccountInfo(balance=10**18))
    first = e.deploy(sender, initcode_for(RETURN_ONE))
    assert first == "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"
    assert e.get_code(first) == RETURN_ONE
    assert e.basic(sender).nonce == 1 and e.basic(first).nonce == 1  # EIP-161
    assert e.result.reason == "Return"
    second = e.deploy(sender, initcode_for(RETURN_ONE), value=7)
    assert second == "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8"
    assert e.get_balance(second) == 7
    assert e.message_call(sender, second) == word(1)


def test_deploy_gas():
    e = funded()
    init = initcode_for(RETURN_ONE)
    zeros = init.count(0)
    e.deploy(ALICE, init)
    # intrinsic: 21000 + 32000 + calldata + 2 per initcode word; execution 3+2+6+3+3; deposit 200/byte
    intrinsic = 21_000 + 32_000 + 4 * zeros + 16 * (len(init) - zeros) + 2
    assert e.result.gas_used == intrinsic + 17 + 200 * len(RETURN_ONE)


def test_deploy_revert_still_bumps_the_nonce():
    e = funded()
    with pytest.raises(Revert, match=r"output: 0xff"):
        e.deploy(ALICE, REVERT_FF)
    assert e.basic(ALICE).nonce == 1


# -- state ------------------------------------------------------------------------------------------------------

def test_accounts_and_storage():
    e = EVM(spec_id="Cancun")
    info = AccountInfo(balance=3, nonce=2, code=b"\x60\x00")
    assert info.code_hash == keccak256(b"\x60\x00")
    assert AccountInfo().balance == 0 and AccountInfo().code is None
    assert AccountInfo().code_hash == bytes.fromhex(
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    e.insert_account_info(BOB, info)
    got = e.basic(BOB)
    assert (got.balance, got.nonce, got.code, got.code_hash) == (3, 2, b"\x60\x00", info.code_hash)
    assert e.get_code(BOB) == b"\x60\x00"
    assert e.get_code(ALICE) is None
    e.insert_account_storage(BOB, 7, 99)
    assert e.storage(BOB, 7) == 99 and e.storage(BOB, 8) == 0
    e.set_balance(BOB, 10)
    assert e.get_balance(BOB) == 10
    assert e.basic(BOB).nonce == 2  # set_balance keeps the rest
    assert BOB in e.journal_state and e.db_accounts[BOB].balance == 10


def test_account_info_hash_must_match_code():
    with pytest.raises(ValueError, match="does not match"):
        AccountInfo(code=b"\x00", code_hash=b"\x01" * 32)
    assert AccountInfo(code=b"\x00", code_hash=keccak256(b"\x00")).code == b"\x00"


@pytest.mark.parametrize("bad", ["0x1234", "0x" + "zz" * 20, 42, b"\x01" * 19])
def test_bad_addresses_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        EVM().get_balance(bad)


def test_addresses_with_and_without_prefix():
    e = funded()
    assert e.get_balance(ALICE[2:]) == e.get_balance(ALICE.upper().replace("0X", "0x")) == 10**18


# -- snapshots ------------------------------------------------------------------------------------------------

def test_snapshot_revert_and_commit():
    e = funded()
    cp = e.snapshot()
    assert e.checkpoint_ids == {cp} and e.journal_depth == 1
    e.message_call(ALICE, BOB, value=100)
    e.set_balance(COINBASE, 9)
    assert e.get_balance(BOB) == 100
    e.revert(cp)
    assert e.get_balance(BOB) == 0 and e.get_balance(ALICE) == 10**18
    assert e.get_balance(COINBASE) == 0  # set_balance is undone too (pyrevm keeps it)
    assert e.checkpoint_ids == set()
    with pytest.raises(OverflowError):
        e.revert(cp)  # used up, and none left
    outer = e.snapshot()
    inner = e.snapshot()
    e.message_call(ALICE, BOB, value=1)
    e.commit()  # forgets `inner`, keeps the transfer
    assert e.checkpoint_ids == {outer}
    with pytest.raises(KeyError):
        e.revert(inner)
    assert e.get_balance(BOB) == 1
    e.revert(outer)
    assert e.get_balance(BOB) == 0
    e.commit()  # nothing to commit: no error


def test_revert_to_an_earlier_checkpoint_discards_later_ones():
    e = funded()
    first = e.snapshot()
    e.message_call(ALICE, BOB, value=1)
    second = e.snapshot()
    e.message_call(ALICE, BOB, value=2)
    e.revert(first)
    assert e.get_balance(BOB) == 0 and second not in e.checkpoint_ids


# -- environment -------------------------------------------------------------------------------------------

def test_default_environment():
    env = EVM().env
    assert env.cfg.chain_id == 1
    b = env.block
    assert (b.number, b.timestamp, b.basefee, b.gas_limit, b.excess_blob_gas, b.blob_gasprice) == (
        0, 1, 0, 2**256 - 1, 0, 1)
    assert b.coinbase == "0x" + "00" * 20 and b.prevrandao == b"\0" * 32
    t = env.tx
    assert (t.gas_limit, t.gas_price, t.to, t.data, t.nonce) == (2**64 - 1, 0, None, b"", None)


def test_block_env_is_what_the_opcodes_see():
    e = with_code(BLOCK_FIELDS, env=Env(cfg=CfgEnv(chain_id=5)))
    out = words(e.message_call(ALICE, CONTRACT))
    assert out == [0, 1, 0, 0, 0, 2**64 - 1, 5]  # GASLIMIT: the EVM's gas_limit, as pyrevm
    e.set_block_env(BlockEnv(number=100, timestamp=12345, coinbase=COINBASE, prevrandao=b"\x07" * 32,
                             basefee=9, gas_limit=5_000_000))
    out = words(e.message_call(ALICE, CONTRACT))
    assert out == [100, 12345, int(COINBASE, 16), int("07" * 32, 16), 9, 5_000_000, 5]
    assert e.env.block.number == 100


def test_block_env_setters_and_blob_gasprice():
    b = BlockEnv()
    b.number, b.timestamp = 5, 6
    b.excess_blob_gas = 10 * 2**17
    # EIP-4844: fake_exponential(1, excess, 3338477)
    assert b.blob_gasprice == compat.fake_exponential(1, 10 * 2**17, 3_338_477) == 1
    b.excess_blob_gas = 3_338_477 * 4
    assert b.blob_gasprice == 54  # floor(e**4) = 54.59...
    with pytest.raises(AttributeError):
        b.basefee = 1  # read-only, as pyrevm


def test_tx_env_after_a_call_describes_it():
    e = funded()
    e.message_call(ALICE, BOB, b"\x01\x02", value=3, gas=30_000, gas_price=2)
    t = e.env.tx
    assert (t.caller, t.to, t.data, t.value, t.gas_limit, t.gas_price) == (ALICE, BOB, b"\x01\x02", 3, 30_000, 2)


def test_tx_env_access_list_is_warmed_and_charged():
    # SLOAD slot 1 of the contract itself: warm through the access list (100) instead of 2100
    e = with_code(bytes.fromhex("600154"))
    e.set_tx_env(TxEnv(access_list=[(CONTRACT, [1])]))
    e.message_call(ALICE, CONTRACT)
    assert e.result.gas_used == 21_000 + 2_400 + 1_900 + 3 + 100


def test_tx_env_nonce_and_chain_id_are_checked():
    e = with_code(b"\x00")
    e.set_tx_env(TxEnv(nonce=1))
    with pytest.raises(TransactionError, match="NonceTooHigh"):
        e.message_call(ALICE, CONTRACT)
    e.set_tx_env(TxEnv(nonce=0))
    e.message_call(ALICE, CONTRACT)
    e.set_tx_env(TxEnv(chain_id=5))
    with pytest.raises(TransactionError, match="InvalidChainId"):
        e.message_call(ALICE, CONTRACT)


def test_tx_env_blob_hashes():
    h = b"\x01" + b"\x02" * 31
    e = with_code(bytes.fromhex("5f495f5260205ff3"))  # BLOBHASH(0)
    e.set_tx_env(TxEnv(blob_hashes=[h]))
    assert e.message_call(ALICE, CONTRACT) == h


def test_transient_storage_starts_empty_in_every_call():
    # TLOAD(0) + 1 -> TSTORE(0), returned
    e = with_code(bytes.fromhex("5f5c600101805f5d5f5260205ff3"))
    assert [words(e.message_call(ALICE, CONTRACT)) for _ in range(3)] == [[1]] * 3
    e.reset_transient_storage()


def test_block_hash_from_the_machine():
    e = EVM()
    e.machine.set_block_hash(7, b"\x09" * 32)
    assert e.block_hash(7) == b"\x09" * 32
    assert e.block_hash(8) == b"\0" * 32


# -- tracing ------------------------------------------------------------------------------------------------

def test_tracing_writes_eip3155_lines_to_stdout():
    e = with_code(RETURN_ONE, tracing=True)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        e.message_call(ALICE, CONTRACT, gas=100_000)
    lines = [json.loads(x) for x in buf.getvalue().splitlines()]
    ops = [x for x in lines if "op" in x]
    assert [x["opName"] for x in ops] == ["PUSH1", "PUSH1", "MSTORE", "PUSH1", "PUSH1", "RETURN"]
    assert [x["pc"] for x in ops] == [0, 2, 4, 5, 7, 9]
    assert ops[0]["gas"] == hex(100_000 - 21_000) and ops[2]["gasCost"] == "0x6"
    assert ops[2]["stack"] == ["0x1", "0x0"]
    assert lines[-1]["output"] == word(1).hex()
    e.tracing = False
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        e.message_call(ALICE, CONTRACT)
    assert buf.getvalue() == ""


def test_tracing_to_a_stream():
    out = io.StringIO()
    e = with_code(REVERT_FF, tracing=True, trace_output=out)
    with pytest.raises(Revert):
        e.message_call(ALICE, CONTRACT, gas=100_000)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    assert lines[-2]["opName"] == "REVERT" and lines[-2]["error"] == "Revert"


# -- fork mode ----------------------------------------------------------------------------------------------

def test_fork_url_reads_the_chain_lazily():
    token = bytes.fromhex("22" * 20)
    chain = State({token: Account(nonce=1, code=bytes.fromhex("5f545f5260205ff3"), storage={0: 77}),
                   bytes.fromhex("11" * 20): Account(balance=5 * 10**18)})
    with FakeNode({1000: chain}, chain_id=1) as node:
        e = EVM(fork_url=node.url, fork_block="1000", spec_id="Cancun")
        assert e.get_balance(ALICE) == 5 * 10**18
        assert e.storage(CONTRACT, 0) == 77
        assert words(e.message_call(ALICE, CONTRACT)) == [77]  # SLOAD(0)
        e.insert_account_storage(CONTRACT, 0, 78)  # local change, the chain is unchanged
        assert words(e.message_call(ALICE, CONTRACT)) == [78]
        assert EVM(fork_url=node.url, fork_block="0x3e8").storage(CONTRACT, 0) == 77


@pytest.mark.parametrize("block, error", [("pending", ValueError), ("0x" + "ab" * 32, ValueError),
                                          ("soon", ValueError), (1.5, TypeError)])
def test_bad_fork_blocks(block, error):
    with pytest.raises(error):
        compat._fork_block(block)


def test_fork_block_alone_is_an_error():
    with pytest.raises(ValueError, match="fork_url"):
        EVM(fork_block="latest")


# -- an ERC-20 compiled with Vyper at test time ------------------------------------------------------------

ERC20_SOURCE = Path(evm.__file__).resolve().parent / "data" / "erc20.vy"
SEL_MINT = bytes.fromhex("40c10f19")  # mint(address,uint256)
SEL_TRANSFER = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
SEL_BALANCE_OF = bytes.fromhex("70a08231")  # balanceOf(address)


def arg_address(a: str) -> bytes:
    return bytes(12) + bytes.fromhex(a[2:])


@pytest.fixture(scope="module")
def erc20_initcode() -> bytes:
    vyper = pytest.importorskip("vyper", reason="the ERC-20 is compiled with vyper at test time")
    out = vyper.compile_code(ERC20_SOURCE.read_text(), output_formats=["bytecode"])
    return bytes.fromhex(out["bytecode"].removeprefix("0x"))


def erc20_script(mod: ModuleType, initcode: bytes) -> Dict[str, Any]:
    """A pyrevm script: deploy, mint, transfer, a failing transfer, a snapshot; what it saw."""
    e = mod.EVM(spec_id="Cancun")
    e.insert_account_info(ALICE, mod.AccountInfo(balance=10**18))
    seen: Dict[str, Any] = {}
    token = e.deploy(ALICE, initcode)
    seen["token"] = token
    seen["deploy_gas"] = e.result.gas_used  # the first call: same warm/cold state in both
    e.message_call(ALICE, token, SEL_MINT + arg_address(ALICE) + word(1000))
    out = e.message_call(ALICE, token, SEL_TRANSFER + arg_address(BOB) + word(300))
    seen["transfer_out"] = out
    seen["transfer_logs"] = [(log.address, log.topics, log.data) for log in e.result.logs]
    try:
        e.message_call(BOB, token, SEL_TRANSFER + arg_address(ALICE) + word(301))
    except RuntimeError as exc:
        seen["overdraw"] = (str(exc).startswith("Revert { gas_used: "), e.result.is_success, e.result.reason)
    cp = e.snapshot()
    e.message_call(BOB, token, SEL_TRANSFER + arg_address(ALICE) + word(100))
    seen["after_transfer"] = [e.message_call(ALICE, token, SEL_BALANCE_OF + arg_address(x)) for x in (ALICE, BOB)]
    e.revert(cp)
    seen["after_revert"] = [e.message_call(ALICE, token, SEL_BALANCE_OF + arg_address(x)) for x in (ALICE, BOB)]
    # storage: balanceOf is HashMap slot 1, vyper's key slot is keccak256(slot . key)
    seen["storage"] = [e.storage(token, int.from_bytes(keccak256(word(1) + arg_address(x)), "big"))
                       for x in (ALICE, BOB)] + [e.storage(token, 0)]
    seen["nonce"] = e.basic(ALICE).nonce
    return seen


def test_erc20_script_on_the_compat_layer(erc20_initcode):
    seen = erc20_script(compat, erc20_initcode)
    assert seen["token"] == "0x8f7a45ebde059392e46a46dcc14ab24681a961ea"  # CREATE(ALICE, 0)
    assert words(seen["transfer_out"]) == [1]  # True
    assert seen["transfer_logs"] == [(compat.to_checksum_address(bytes.fromhex(seen["token"][2:])),
                                      [TRANSFER_TOPIC, "0x" + arg_address(ALICE).hex(), "0x" + arg_address(BOB).hex()],
                                      ([bytes.fromhex(TRANSFER_TOPIC[2:]), arg_address(ALICE), arg_address(BOB)],
                                       word(300)))]
    assert seen["overdraw"] == (True, False, "Revert")
    assert [words(x) for x in seen["after_transfer"]] == [[800], [200]]
    assert [words(x) for x in seen["after_revert"]] == [[700], [300]]
    assert seen["storage"] == [700, 300, 1000]
    assert seen["nonce"] == 1


# -- the same scripts on pyrevm ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pyrevm() -> ModuleType:
    return pytest.importorskip("pyrevm", reason="pyrevm (the [bench] extra) is compared against")


def test_erc20_script_same_as_pyrevm(pyrevm, erc20_initcode):
    assert erc20_script(compat, erc20_initcode) == erc20_script(pyrevm, erc20_initcode)


def run_one(mod: ModuleType, setup: Callable[[Any, ModuleType], None], call: Dict[str, Any],
            watch: Tuple[Tuple[str, int], ...]) -> Dict[str, Any]:
    """Set up a fresh EVM (insert_* only), make one call, and describe everything it did."""
    e = mod.EVM(spec_id="Cancun")
    e.insert_account_info(ALICE, mod.AccountInfo(balance=10**18))
    setup(e, mod)
    try:
        out: Any = e.message_call(ALICE, **call)
    except RuntimeError as exc:
        out = str(exc)
    r = e.result
    result = None if r is None else (r.is_success, r.is_halt, r.reason, r.gas_used, r.gas_refunded,
                                     [(log.address, log.topics, log.data) for log in r.logs])
    return {"out": out, "result": result,
            "balances": [e.get_balance(a) for a in (ALICE, BOB, CONTRACT)],
            "storage": [e.storage(a, k) for a, k in watch]}


def code_at(*pairs: Tuple[str, bytes]) -> Callable[[Any, ModuleType], None]:
    def setup(e: Any, mod: ModuleType) -> None:
        for address, code in pairs:
            e.insert_account_info(address, mod.AccountInfo(code=code))
    return setup


def with_slot(address: str, key: int, value: int, code: bytes) -> Callable[[Any, ModuleType], None]:
    def setup(e: Any, mod: ModuleType) -> None:
        e.insert_account_info(address, mod.AccountInfo(code=code))
        e.insert_account_storage(address, key, value)
    return setup


def block_env(e: Any, mod: ModuleType) -> None:
    e.insert_account_info(CONTRACT, mod.AccountInfo(code=BLOCK_FIELDS))
    e.set_block_env(mod.BlockEnv(number=100, timestamp=12345, coinbase=COINBASE, prevrandao=b"\x07" * 32))


def access_list(e: Any, mod: ModuleType) -> None:
    e.insert_account_info(CONTRACT, mod.AccountInfo(code=bytes.fromhex("600154600254015f5260205ff3")))
    e.set_tx_env(mod.TxEnv(access_list=[(CONTRACT, [1])]))


# CALL BOB with 1 wei and return its success flag; then SSTORE a counter and BALANCE(BOB)
CALL_BOB = bytes.fromhex("5f5f5f5f6001" "73" + "33" * 20 + "5af1" "60015f55"
                         "73" + "33" * 20 + "31" "01" "5f5260205ff3")
# CREATE a contract returning nothing with 0 value, return its address
CREATE_ONE = bytes.fromhex("600560125f39" "60055f5ff0" "5f5260205ff3" "00" "6000600053")

CASES = {
    "return": (code_at((CONTRACT, RETURN_ONE)), {"to": CONTRACT}, ()),
    "stop with calldata": (code_at((CONTRACT, b"\x00")), {"to": CONTRACT, "calldata": b"\x00\x07" * 40}, ()),
    "revert": (code_at((CONTRACT, REVERT_FF)), {"to": CONTRACT}, ()),
    "out of gas": (code_at((CONTRACT, SPIN)), {"to": CONTRACT, "gas": 60_000}, ()),
    "stack underflow": (code_at((CONTRACT, b"\x01")), {"to": CONTRACT, "gas": 60_000}, ()),
    "undefined opcode": (code_at((CONTRACT, b"\x0c")), {"to": CONTRACT, "gas": 60_000}, ()),
    "static write": (code_at((CONTRACT, bytes.fromhex("6001600055"))),
                     {"to": CONTRACT, "gas": 60_000, "is_static": True}, ()),
    "intrinsic too low": (code_at((CONTRACT, b"\x00")), {"to": CONTRACT, "gas": 21_000 - 1}, ()),
    "value to an EOA": (code_at(), {"to": BOB, "value": 10**9}, ()),
    "value beyond the balance": (code_at(), {"to": BOB, "value": 10**19}, ()),
    "sstore refund": (with_slot(CONTRACT, 0, 5, CLEAR_SLOT0), {"to": CONTRACT}, ((CONTRACT, 0),)),
    "sstore new": (code_at((CONTRACT, bytes.fromhex("602a600755"))), {"to": CONTRACT}, ((CONTRACT, 7),)),
    "log": (code_at((CONTRACT, LOG2)), {"to": CONTRACT}, ()),
    "call with value, balance": (code_at((CONTRACT, CALL_BOB)), {"to": CONTRACT, "value": 5}, ((CONTRACT, 0),)),
    "create": (code_at((CONTRACT, CREATE_ONE)), {"to": CONTRACT}, ()),
    "block env": (block_env, {"to": CONTRACT}, ()),
    "access list": (access_list, {"to": CONTRACT}, ()),
    "gas price": (code_at((CONTRACT, bytes.fromhex("3a5f5260205ff3"))),
                  {"to": CONTRACT, "gas": 50_000, "gas_price": 3}, ()),
}


@pytest.mark.parametrize("name", CASES)
def test_single_call_same_as_pyrevm(pyrevm, name):
    setup, call, watch = CASES[name]
    ours = run_one(compat, setup, call, watch)
    theirs = run_one(pyrevm, setup, call, watch)
    assert ours == theirs


def test_trace_lines_same_as_pyrevm(pyrevm):
    """The per-instruction fields both write (pyrevm prints memSize and refund as strings, and a
    different summary line: see the README)."""
    traces = []
    for mod in (compat, pyrevm):
        e = mod.EVM(spec_id="Cancun", tracing=True)
        e.insert_account_info(ALICE, mod.AccountInfo(balance=10**18))
        e.insert_account_info(CONTRACT, mod.AccountInfo(code=CALL_BOB))
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            e.message_call(ALICE, CONTRACT, gas=200_000)
        lines = [json.loads(x) for x in buf.getvalue().splitlines()]
        traces.append([{k: x[k] for k in ("pc", "op", "gas", "gasCost", "stack", "depth", "opName")}
                       for x in lines if "op" in x])
    assert traces[0] == traces[1] and len(traces[0]) > 10


def fork_script(mod: ModuleType, spec: str) -> List[Any]:
    """SSTORE, SLOAD, SSTORE and calldata, then a deploy, under ``spec``: the gas rules of each fork."""
    e = mod.EVM(spec_id=spec)
    e.insert_account_info(ALICE, mod.AccountInfo(balance=10**18))
    e.insert_account_info(CONTRACT, mod.AccountInfo(code=bytes.fromhex("6001600055600054600a55")))
    e.message_call(ALICE, CONTRACT, b"\x01\x00\x02", gas=200_000)
    seen = [e.result.gas_used, e.result.gas_refunded, e.storage(CONTRACT, 10)]
    # PUSH10 runtime PUSH1 0 MSTORE PUSH1 10 PUSH1 22 RETURN (no PUSH0: it is Shanghai's)
    initcode = bytes.fromhex("69" + RETURN_ONE.hex() + "600052600a6016f3")
    seen += [e.deploy(ALICE, initcode, gas=200_000), e.result.gas_used,
             e.get_code(e.deploy(ALICE, initcode))[:len(RETURN_ONE)]]  # pyrevm pads code with zeros
    return seen


@pytest.mark.parametrize("spec", ["Frontier", "Homestead", "Byzantium", "Istanbul", "Berlin", "London", "Merge",
                                  "Shanghai", "Cancun"])
def test_fork_rules_same_as_pyrevm(pyrevm, spec):
    assert fork_script(compat, spec) == fork_script(pyrevm, spec)


def test_readme_example_runs():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Coming from pyrevm", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    exec(compile(code, "README.md (Coming from pyrevm)", "exec"), {})
