"""Chain against the execution specs: blocks that ``Chain.build_block`` makes on
each fork are imported by the specs' own ``state_transition``, which
re-executes them and checks every header field (roots, gas used, bloom, base
fee, blob gas, difficulty, rewards, withdrawals, requests hash)."""
from __future__ import annotations

import importlib

import pytest

from evm.blocks import Chain, Withdrawal
from evm.blocks.system import (
    CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
    DEPOSIT_CONTRACT_ADDRESS,
    DEPOSIT_EVENT_SIGNATURE_HASH,
    WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
)
from evm.forks import Fork
from evm.state import Account, State
from evm.transaction import Authorization, Transaction, sender_from_secret_key
from evm.signed_transaction import sign_transaction

pytest.importorskip("ethereum", reason="the execution specs (ethereum-execution) are not installed")
from ethereum_rlp import rlp  # noqa: E402
from ethereum_types.bytes import Bytes, Bytes20, Bytes32  # noqa: E402
from ethereum_types.numeric import U64, U256, Uint  # noqa: E402

KEY = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = sender_from_secret_key(KEY)
# PUSH1 0x2a PUSH1 0 SSTORE; CALLER as topic, LOG1 of 4 bytes of memory; STOP
LOGGER = bytes.fromhex("602a60005533600460006000a100".replace("6000a1", "6000a1"))
LOGGER_ADDR = bytes.fromhex("00000000000000000000000000000000000c0de1")
MINER = bytes.fromhex("00000000000000000000000000000000000000ba")
SPEC_NAMES = {
    Fork.FRONTIER: "frontier", Fork.HOMESTEAD: "homestead", Fork.TANGERINE_WHISTLE: "tangerine_whistle",
    # the specs' "constantinople" is mainnet's, i.e. Petersburg (EIP-1283 removed)
    Fork.SPURIOUS_DRAGON: "spurious_dragon", Fork.BYZANTIUM: "byzantium", Fork.PETERSBURG: "constantinople",
    Fork.ISTANBUL: "istanbul", Fork.BERLIN: "berlin", Fork.LONDON: "london", Fork.PARIS: "paris",
    Fork.SHANGHAI: "shanghai", Fork.CANCUN: "cancun", Fork.PRAGUE: "prague", Fork.OSAKA: "osaka",
}


def _genesis_state(fork: Fork) -> State:
    state = State({SENDER: Account(balance=10**21), LOGGER_ADDR: Account(nonce=1, code=LOGGER)})
    if fork >= Fork.PRAGUE:
        # checked system calls need code: the withdrawal queue returns one 32-byte
        # request (PUSH1 32 PUSH0 RETURN), the consolidation queue none (STOP)
        state.set_account(WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, Account(nonce=1, code=bytes.fromhex("60205ff3")))
        state.set_account(CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS, Account(nonce=1, code=b"\x00"))
        # a deposit contract that logs its calldata as a DepositEvent
        state.set_account(DEPOSIT_CONTRACT_ADDRESS, Account(nonce=1, code=bytes.fromhex(
            "365f5f377f" + DEPOSIT_EVENT_SIGNATURE_HASH.hex() + "365fa100")))
    return state


def _deposit_event_data() -> bytes:
    """A well-formed DepositEvent: five offsets, then (size, padded bytes) per field."""
    def word(n: int) -> bytes:
        return n.to_bytes(32, "big")
    fields = [(48, b"\x11" * 48), (32, b"\x22" * 32), (8, b"\x33" * 8), (96, b"\x44" * 96), (8, b"\x55" * 8)]
    head = b"".join(word(o) for o in (160, 256, 320, 384, 512))
    body = b"".join(word(n) + v.ljust((n + 31) // 32 * 32, b"\x00") for n, v in fields)
    return head + body


def _fee(fork: Fork, typed: bool) -> dict:
    return dict(max_fee_per_gas=10**10, max_priority_fee_per_gas=2, access_list=[]) if typed \
        else dict(gas_price=10**10)


def _transactions(fork: Fork, nonce: int):
    chain_id = 1 if fork >= Fork.SPURIOUS_DRAGON else None
    txs = [
        sign_transaction(Transaction(sender=SENDER, to=LOGGER_ADDR, nonce=nonce, gas_limit=100000,
                                     value=5, **_fee(fork, False)), KEY, chain_id),
        sign_transaction(Transaction(sender=SENDER, to=None, nonce=nonce + 1, gas_limit=200000,
                                     data=bytes.fromhex("600b600c600039600b6000f3") + LOGGER[:11],
                                     **_fee(fork, False)), KEY, chain_id),
    ]
    if fork >= Fork.BERLIN:
        txs.append(sign_transaction(Transaction(sender=SENDER, to=LOGGER_ADDR, nonce=nonce + 2, gas_limit=100000,
                                                gas_price=10**10, access_list=[(LOGGER_ADDR, [0])]), KEY))
    if fork >= Fork.LONDON:
        txs.append(sign_transaction(Transaction(sender=SENDER, to=MINER, nonce=nonce + len(txs), gas_limit=21000,
                                                value=1, **_fee(fork, True)), KEY))
    if fork >= Fork.CANCUN:
        txs.append(sign_transaction(Transaction(sender=SENDER, to=LOGGER_ADDR, nonce=nonce + len(txs),
                                                gas_limit=100000, max_fee_per_blob_gas=10,
                                                blob_versioned_hashes=[b"\x01" + b"\x00" * 31], **_fee(fork, True)),
                                    KEY))
    if fork >= Fork.PRAGUE:
        auth_key = bytes(31) + b"\x07"
        from evm.transaction import authorization_signing_hash
        import coincurve

        sig = coincurve.PrivateKey(auth_key).sign_recoverable(authorization_signing_hash(1, LOGGER_ADDR, 0),
                                                               hasher=None)
        auth = Authorization(1, LOGGER_ADDR, 0, sig[64], int.from_bytes(sig[:32], "big"),
                             int.from_bytes(sig[32:64], "big"))
        txs.append(sign_transaction(Transaction(sender=SENDER, to=MINER, nonce=nonce + len(txs), gas_limit=100000,
                                                authorization_list=[auth], **_fee(fork, True)), KEY))
        txs.append(sign_transaction(Transaction(sender=SENDER, to=DEPOSIT_CONTRACT_ADDRESS, nonce=nonce + len(txs),
                                                gas_limit=200000, data=_deposit_event_data(), **_fee(fork, True)),
                                    KEY))
    return txs


def _spec_chain(fork: Fork, chain: Chain, at: bytes = b"", blocks=None):
    """The specs' BlockChain for ``fork`` holding our state after block ``at`` (genesis by default)
    and ``blocks`` (the genesis block by default)."""
    mod = importlib.import_module(f"ethereum.forks.{SPEC_NAMES[fork]}")
    fork_mod = importlib.import_module(f"{mod.__name__}.fork")
    state_mod = importlib.import_module(f"{mod.__name__}.state")
    types_mod = importlib.import_module(f"{mod.__name__}.fork_types")
    blocks_mod = importlib.import_module(f"{mod.__name__}.blocks")
    state = state_mod.State()
    for address, acct in chain.states[at or chain.genesis.hash].accounts.items():
        state_mod.set_account(state, Bytes20(address),
                              types_mod.Account(nonce=Uint(acct.nonce), balance=U256(acct.balance),
                                                code=Bytes(acct.code)))
        for key, value in acct.storage.items():
            state_mod.set_storage(state, Bytes20(address), Bytes32(key.to_bytes(32, "big")), U256(value))
    if blocks is None:
        blocks = [rlp.decode_to(blocks_mod.Block, chain.genesis.encode())]
    return fork_mod, blocks_mod, fork_mod.BlockChain(blocks=blocks, state=state, chain_id=U64(1)), state_mod


@pytest.mark.parametrize("fork", list(SPEC_NAMES), ids=lambda f: f.fixture_name)
def test_built_blocks_are_valid_for_the_spec(fork: Fork, monkeypatch: pytest.MonkeyPatch) -> None:
    chain = Chain.from_genesis_state(_genesis_state(fork), fork)
    txs = _transactions(fork, 0)
    withdrawals = [Withdrawal(0, 7, MINER, 3), Withdrawal(1, 8, b"\x99" * 20, 0)] if fork >= Fork.SHANGHAI else None
    built = [chain.build_block(txs, coinbase=MINER, withdrawals=withdrawals, prev_randao=b"\x05" * 32)]
    ommers = []
    if fork < Fork.PARIS:
        # a sibling of block 2, built on a second chain, becomes an ommer of block 3
        side = Chain(chain.genesis, chain.state_at(0), fork)
        side.import_block(built[0])
        ommers = [side.build_block([], coinbase=b"\x77" * 20, timestamp=built[0].header.timestamp + 5).header]
    # above the target (3 blobs in Cancun, 6 from Prague), so the excess grows; in
    # Osaka the 6 blobs a transaction may carry reach the EIP-7918 branch
    n_blobs = 7 if fork == Fork.PRAGUE else 6
    blobs = [sign_transaction(Transaction(sender=SENDER, to=MINER, nonce=len(txs), gas_limit=21000,
                                          max_fee_per_blob_gas=10, blob_versioned_hashes=[b"\x01" * 32] * n_blobs,
                                          **_fee(fork, True)), KEY)] if fork >= Fork.CANCUN else []
    built.append(chain.build_block(blobs, coinbase=MINER, timestamp=chain.head.header.timestamp + 30))
    built.append(chain.build_block(_transactions(fork, len(txs) + len(blobs))[:2], coinbase=b"\x42" * 20,
                                   ommers=ommers))
    if fork >= Fork.CANCUN:
        assert built[2].header.excess_blob_gas > 0
    if fork >= Fork.PRAGUE:
        assert [r[:1] for r in chain.outputs[built[0].hash].requests] == [b"\x00", b"\x01"]
    assert [b.number for b in built] == [1, 2, 3]
    assert len(chain.receipts(built[0].hash)) == len(txs)
    assert all(r.succeeded for r in chain.receipts(built[0].hash))

    fork_mod, blocks_mod, spec_chain, state_mod = _spec_chain(fork, chain)
    if hasattr(fork_mod, "validate_proof_of_work"):  # sealEngine NoProof
        monkeypatch.setattr(fork_mod, "validate_proof_of_work", lambda header: None)
    for block in built:
        spec_block = rlp.decode_to(blocks_mod.Block, block.encode())
        fork_mod.state_transition(spec_chain, spec_block)  # raises InvalidBlock on any mismatch
    assert bytes(state_mod.state_root(spec_chain.state)) == chain.head.header.state_root
    # the state of every block stays readable
    assert chain.state_at(0).accounts[SENDER].nonce == 0
    assert chain.state_at(3).accounts[SENDER].nonce == len(txs) + len(blobs) + 2


@pytest.mark.parametrize("network", ["FrontierToHomesteadAt2", "BerlinToLondonAt2", "ParisToShanghaiAtTime30",
                                     "ShanghaiToCancunAtTime30", "CancunToPragueAtTime30", "PragueToOsakaAtTime30"])
def test_blocks_across_a_transition_are_valid_for_the_spec(network: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from evm.blocks import ForkSchedule

    schedule = ForkSchedule.parse(network)
    before, after = schedule.steps[0][0], schedule.steps[1][0]
    chain = Chain.from_genesis_state(_genesis_state(after), schedule)
    built = []
    nonce = 0
    for _ in range(4):  # timestamps 12, 24, 36, 48 and numbers 1..4 cross the switch
        fork = chain.schedule.fork_at(chain.head.number + 1, chain.head.header.timestamp + 12)
        txs = _transactions(fork, nonce)[:3 if fork >= Fork.BERLIN else 2]
        nonce += len(txs)
        built.append(chain.build_block(txs, coinbase=MINER, prev_randao=b"\x05" * 32,
                                       withdrawals=[Withdrawal(0, 1, MINER, 1)] if fork >= Fork.SHANGHAI else None))
    assert {chain.fork_of(b.header) for b in built} == {before, after}

    fork_mod, blocks_mod, spec_chain, state_mod = _spec_chain(before, chain)
    for block in built:
        fork = chain.fork_of(block.header)
        if fork == after and not fork_mod.__name__.endswith(f".{SPEC_NAMES[after]}.fork"):
            # the specs' forks do not share state objects: hand the new fork the state
            # the old one has just checked (the parent's state root was compared)
            fork_mod, blocks_mod, spec_chain, state_mod = _spec_chain(after, chain, block.header.parent_hash,
                                                                      spec_chain.blocks)
        if hasattr(fork_mod, "validate_proof_of_work"):
            monkeypatch.setattr(fork_mod, "validate_proof_of_work", lambda header: None)
        if hasattr(fork_mod, "FORK_CRITERIA") and fork == after and before < Fork.PARIS:
            from ethereum.fork_criteria import ByBlockNumber

            monkeypatch.setattr(fork_mod, "FORK_CRITERIA", ByBlockNumber(schedule.steps[1][1]))
        fork_mod.state_transition(spec_chain, rlp.decode_to(blocks_mod.Block, block.encode()))
    assert bytes(state_mod.state_root(spec_chain.state)) == chain.head.header.state_root
