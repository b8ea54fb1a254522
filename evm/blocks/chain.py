"""``Chain``: a block chain that imports blocks and builds new ones.

One fork for the whole chain (``Chain(genesis, state, fork)``). Each block
runs in the order of the execution specs' ``state_transition``/``apply_body``:
header checks against the parent, then the system calls (EIP-4788 beacon
root from Cancun, EIP-2935 history from Prague), the transactions (each
checked and run through :func:`evm.apply_transaction`), the withdrawals
(Shanghai), the requests (Prague) or the block reward (before Paris), and
finally the comparison of every root and total with the header. The state
after each block is kept, so any block's state can be read back.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..env import BlockEnv
from ..executor import Log, TransactionResult, apply_transaction
from ..forks import Fork
from ..state import Account, State
from ..transaction import (
    BlobGasLimitExceededError,
    GasUsedExceedsLimitError,
    InvalidTransaction,
    calculate_total_blob_gas,
    max_blob_gas_per_block,
)
from ..signed_transaction import SignedTransaction, check_signed_transaction
from ..trie import state_root
from .block import Block, Withdrawal, receipts_root, transactions_root, withdrawals_root
from .header import (
    EMPTY_OMMER_HASH,
    INITIAL_BASE_FEE,
    ZERO_HASH,
    Header,
    InvalidBlock,
    calculate_base_fee_per_gas,
    calculate_block_difficulty,
    calculate_excess_blob_gas,
    check_gas_limit,
)
from .receipts import Receipt, logs_bloom
from .system import (
    compute_requests_hash,
    process_beacon_root,
    process_general_purpose_requests,
    process_history_storage,
)

__all__ = ["Chain", "ForkSchedule", "BlockOutput", "apply_body", "validate_header", "block_reward", "MAX_RLP_BLOCK_SIZE"]

#: The clients' bound on a block gas limit (a signed 64-bit integer in geth
#: and the others; the execution specs leave it unbounded).
MAX_GAS_LIMIT = 2**63 - 1
#: EIP-7934 (Osaka): the largest block RLP accepted.
MAX_RLP_BLOCK_SIZE = 10_485_760 - 2_097_152
_GWEI = 10**9


def block_reward(fork: Fork) -> int:
    """The proof-of-work block reward: 5 ETH, 3 from Byzantium, 2 from Constantinople, 0 from Paris."""
    if fork >= Fork.PARIS:
        return 0
    if fork >= Fork.CONSTANTINOPLE:
        return 2 * 10**18
    if fork >= Fork.BYZANTIUM:
        return 3 * 10**18
    return 5 * 10**18


@dataclass(frozen=True)
class ForkSchedule:
    """Forks by activation, for a chain that crosses forks.

    ``steps`` are ``(fork, first block number, first timestamp)`` in
    activation order; a block runs under the last step whose number and
    timestamp it has reached. :meth:`parse` reads the fixtures' transition
    network names (``BerlinToLondonAt5``, ``ShanghaiToCancunAtTime15k``).
    """

    steps: Tuple[Tuple[Fork, int, int], ...]

    def fork_at(self, number: int, timestamp: int) -> Fork:
        """The fork of the block with ``number`` and ``timestamp``."""
        current = self.steps[0][0]
        for fork, first_block, first_time in self.steps:
            if number >= first_block and timestamp >= first_time:
                current = fork
        return current

    @classmethod
    def single(cls, fork: Fork) -> "ForkSchedule":
        """One fork from genesis on."""
        return cls(((Fork(fork), 0, 0),))

    @classmethod
    def parse(cls, name: str) -> "ForkSchedule":
        """A schedule from a transition network name; ``ValueError`` if it is not one
        (or switches by total difficulty, which a proof-of-stake-only chain does not track)."""
        import re

        from ..forks import fork_from_name

        m = re.fullmatch(r"([A-Za-z0-9]+?)To([A-Za-z0-9]+?)At(Time)?(\d+)(k?)", name)
        if m is None:
            raise ValueError(f"not a transition network: {name!r}")
        before, after = fork_from_name(m.group(1)), fork_from_name(m.group(2))
        at = int(m.group(4)) * (1000 if m.group(5) else 1)
        step = (after, 0, at) if m.group(3) else (after, at, 0)
        return cls(((before, 0, 0), step))


@dataclass
class BlockOutput:
    """What running a block's body produced (the spec's ``BlockOutput``)."""

    gas_used: int = 0
    blob_gas_used: int = 0
    receipts: List[Receipt] = field(default_factory=list)
    results: List[TransactionResult] = field(default_factory=list)
    logs: List[Log] = field(default_factory=list)
    requests: List[bytes] = field(default_factory=list)
    senders: List[bytes] = field(default_factory=list)


def block_env(header: Header, fork: Fork, chain_id: int) -> BlockEnv:
    """The :class:`BlockEnv` transactions of a block with ``header`` run in."""
    return BlockEnv(
        coinbase=header.coinbase, number=header.number, timestamp=header.timestamp,
        gas_limit=header.gas_limit, base_fee=header.base_fee_per_gas if fork >= Fork.LONDON else None,
        prev_randao=header.prev_randao, difficulty=header.difficulty,
        excess_blob_gas=header.excess_blob_gas if fork >= Fork.CANCUN else None,
        chain_id=chain_id, parent_beacon_block_root=header.parent_beacon_block_root,
    )


def _credit(state: State, address: bytes, amount: int, fork: Fork) -> None:
    """Add ``amount`` wei to ``address`` (the spec's ``modify_state``): the
    account is created if missing and, from Paris on, removed if left empty."""
    acct = state.accounts.get(address)
    if acct is None:
        acct = Account()
    acct.balance += amount
    if fork >= Fork.PARIS and acct.is_empty():
        state.accounts.pop(address, None)
    else:
        state.accounts[address] = acct


def apply_body(state: State, header: Header, transactions: Sequence[SignedTransaction],
               ommers: Sequence[Any], withdrawals: Optional[Sequence[Withdrawal]], fork: Fork,
               chain_id: int = 1, tracer: Any = None, *, rejected: Optional[List[Tuple[int, Exception]]] = None,
               reward: Optional[int] = None, tracer_for: Any = None) -> BlockOutput:
    """Run a block's body on ``state`` (modified in place); return its output.

    Raises :class:`InvalidBlock` if a transaction cannot be included or a
    checked system call fails; with a ``rejected`` list, an invalid
    transaction is instead recorded there as ``(index, error)`` and left out
    (what a block builder or ``evm t8n`` does). ``state.block_hashes`` must
    hold the hashes BLOCKHASH may read. ``ommers`` are objects with
    ``number`` and ``coinbase``; ``reward`` overrides the fork's block reward
    (before Paris; a negative one pays nothing at all). ``tracer_for(index,
    signed_tx)``, if given, makes the tracer of each transaction.
    """
    env = block_env(header, fork, chain_id)
    out = BlockOutput()
    if fork >= Fork.CANCUN:
        process_beacon_root(state, env, fork, header.parent_beacon_block_root or ZERO_HASH)
    if fork >= Fork.PRAGUE:
        process_history_storage(state, env, fork, header.parent_hash)

    blob_limit = max_blob_gas_per_block(fork)
    for i, stx in enumerate(transactions):
        if tracer_for is not None:
            tracer = tracer_for(i, stx)
        try:
            tx = check_signed_transaction(stx, fork, chain_id)
            # fork.py: check_transaction, against what is left of the block
            if tx.gas_limit > header.gas_limit - out.gas_used:
                raise GasUsedExceedsLimitError(
                    f"gas limit {tx.gas_limit} above the {header.gas_limit - out.gas_used} gas left in the block")
            blob_gas = calculate_total_blob_gas(tx)
            if fork >= Fork.CANCUN and out.blob_gas_used + blob_gas > blob_limit:
                raise BlobGasLimitExceededError(
                    f"blob gas {blob_gas} above the {blob_limit - out.blob_gas_used} left in the block")
            result = apply_transaction(state, env, tx, fork, tracer=tracer)
        except InvalidTransaction as e:
            if rejected is None:
                raise InvalidBlock(f"transaction {i}: {e.args[0]}", f"TransactionException.{e.name}") from None
            rejected.append((i, e))
            continue
        out.gas_used += result.gas_used
        out.blob_gas_used += blob_gas
        post_state = state_root(state) if fork < Fork.BYZANTIUM else None
        out.receipts.append(Receipt(stx.tx_type, result.success, out.gas_used, result.logs, post_state))
        out.results.append(result)
        out.logs.extend(result.logs)
        out.senders.append(tx.sender)

    if fork >= Fork.SHANGHAI:
        for w in withdrawals or ():
            _credit(state, w.address, w.amount * _GWEI, fork)
    if fork >= Fork.PRAGUE:
        out.requests = process_general_purpose_requests(state, env, fork, out.logs)
    if fork < Fork.PARIS and (reward is None or reward >= 0):
        _pay_rewards(state, header, ommers, block_reward(fork) if reward is None else reward, fork)
    return out


def _pay_rewards(state: State, header: Header, ommers: Sequence[Any], reward: int, fork: Fork) -> None:
    """The miner's reward plus 1/32 per ommer; each ommer's miner (8 - age)/8 of the reward."""
    _credit(state, header.coinbase, reward + len(ommers) * (reward // 32), fork)
    for ommer in ommers:
        _credit(state, ommer.coinbase, (8 - (header.number - ommer.number)) * reward // 8, fork)


def validate_header(header: Header, parent: Header, fork: Fork) -> None:
    """The checks of the spec's ``validate_header`` that relate ``header`` to ``parent``."""
    if not header.fork_shape_matches(fork):
        raise InvalidBlock(f"header has {len(header.field_values())} fields, {fork.fixture_name} has "
                           f"a different set", "BlockException.INCORRECT_BLOCK_FORMAT")
    if header.gas_used > header.gas_limit:
        raise InvalidBlock(f"gas used {header.gas_used} above the gas limit {header.gas_limit}",
                           "BlockException.GAS_USED_OVERFLOW")
    if fork >= Fork.CANCUN:
        expected = calculate_excess_blob_gas(parent, fork)
        if header.excess_blob_gas != expected:
            raise InvalidBlock(f"excess blob gas {header.excess_blob_gas}, expected {expected}",
                               "BlockException.INCORRECT_EXCESS_BLOB_GAS")
    if header.gas_limit > MAX_GAS_LIMIT:
        raise InvalidBlock(f"gas limit {header.gas_limit:#x} above {MAX_GAS_LIMIT:#x}",
                           "BlockException.GASLIMIT_TOO_BIG")
    parent_gas_limit = parent.gas_limit
    if fork >= Fork.LONDON and parent.base_fee_per_gas is None:
        parent_gas_limit *= 2  # EIP-1559's first block: the target keeps the old limit (as geth checks it)
    if not check_gas_limit(header.gas_limit, parent_gas_limit):
        raise InvalidBlock(f"gas limit {header.gas_limit} too far from the parent's {parent.gas_limit}",
                           "BlockException.INVALID_GASLIMIT")
    if fork >= Fork.LONDON:
        if parent.base_fee_per_gas is None:
            expected = INITIAL_BASE_FEE
        else:
            expected = calculate_base_fee_per_gas(header.gas_limit, parent.gas_limit, parent.gas_used,
                                                  parent.base_fee_per_gas)
        if header.base_fee_per_gas != expected:
            raise InvalidBlock(f"base fee {header.base_fee_per_gas}, expected {expected}",
                               "BlockException.INVALID_BASEFEE_PER_GAS")
    if header.timestamp <= parent.timestamp:
        raise InvalidBlock(f"timestamp {header.timestamp} not after the parent's {parent.timestamp}",
                           "BlockException.INVALID_BLOCK_TIMESTAMP_OLDER_THAN_PARENT")
    if header.number != parent.number + 1:
        raise InvalidBlock(f"number {header.number}, expected {parent.number + 1}",
                           "BlockException.INVALID_BLOCK_NUMBER")
    if len(header.extra_data) > 32:
        raise InvalidBlock(f"extra data is {len(header.extra_data)} bytes, at most 32",
                           "BlockException.EXTRA_DATA_TOO_BIG")
    if fork >= Fork.PARIS:
        if header.difficulty != 0:
            raise InvalidBlock("difficulty must be 0 after the merge",
                               "BlockException.IMPORT_IMPOSSIBLE_DIFFICULTY_OVER_PARIS")
        if header.nonce != b"\x00" * 8:
            raise InvalidBlock("nonce must be 0 after the merge", "BlockException.INVALID_BLOCK_NONCE")
        if header.ommers_hash != EMPTY_OMMER_HASH:
            raise InvalidBlock("ommers hash must be that of no ommers after the merge",
                               "BlockException.IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS")
    else:
        # sealEngine NoProof: the proof of work itself is not checked
        expected = calculate_block_difficulty(fork, header.number, header.timestamp, parent)
        if header.difficulty != expected:
            raise InvalidBlock(f"difficulty {header.difficulty}, expected {expected}",
                               "BlockException.INVALID_DIFFICULTY")


class Chain:
    """A chain of blocks from ``genesis`` over ``state`` (the genesis state), under one ``fork``.

    :meth:`import_block` checks and adds a block (raising :class:`InvalidBlock`,
    the chain unchanged); :meth:`build_block` makes the next block from
    transactions and adds it. The head is the last block added. The state
    after every block is kept (:meth:`state_at`).
    """

    def __init__(self, genesis: Union[Header, Block], state: State, fork: Union[Fork, ForkSchedule],
                 chain_id: int = 1) -> None:
        self.schedule = fork if isinstance(fork, ForkSchedule) else ForkSchedule.single(fork)
        self.chain_id = chain_id
        header = genesis.header if isinstance(genesis, Block) else genesis
        genesis_fork = self.fork_of(header)
        block = genesis if isinstance(genesis, Block) else Block(
            genesis, withdrawals=[] if genesis_fork >= Fork.SHANGHAI else None)
        self.blocks: Dict[bytes, Block] = {block.hash: block}
        self.states: Dict[bytes, State] = {block.hash: state.copy()}
        self.outputs: Dict[bytes, BlockOutput] = {block.hash: BlockOutput()}
        self.genesis = block
        self.head = block

    def fork_of(self, header: Header) -> Fork:
        """The fork a block with ``header`` runs under."""
        return self.schedule.fork_at(header.number, header.timestamp)

    @property
    def fork(self) -> Fork:
        """The fork of the head block."""
        return self.fork_of(self.head.header)

    @classmethod
    def from_genesis_state(cls, state: State, fork: Union[Fork, ForkSchedule], chain_id: int = 1,
                           **header_fields: Any) -> "Chain":
        """A chain whose genesis header commits to ``state`` (its state root) and has
        the fields of the genesis fork (``header_fields`` override the defaults)."""
        schedule = fork if isinstance(fork, ForkSchedule) else ForkSchedule.single(fork)
        fork = schedule.fork_at(0, header_fields.get("timestamp", 0))
        values: Dict[str, Any] = dict(state_root=state_root(state), gas_limit=30_000_000)
        if fork < Fork.PARIS:
            values["difficulty"] = 131072
        if fork >= Fork.LONDON:
            values["base_fee_per_gas"] = INITIAL_BASE_FEE
        if fork >= Fork.SHANGHAI:
            values["withdrawals_root"] = withdrawals_root([])
        if fork >= Fork.CANCUN:
            values.update(blob_gas_used=0, excess_blob_gas=0, parent_beacon_block_root=ZERO_HASH)
        if fork >= Fork.PRAGUE:
            values["requests_hash"] = compute_requests_hash([])
        values.update(header_fields)
        return cls(Header(**values), state, schedule, chain_id)

    # -- reading -----------------------------------------------------------------
    def canonical(self) -> List[Block]:
        """The blocks from genesis to the head, in order."""
        out = [self.head]
        while out[-1].number > 0 and out[-1].header.parent_hash in self.blocks:
            out.append(self.blocks[out[-1].header.parent_hash])
        return out[::-1]

    def block_by_number(self, number: int) -> Block:
        """The canonical block ``number``; ``KeyError`` if there is none."""
        block = self.head
        if not 0 <= number <= block.number:
            raise KeyError(f"no block {number} (the head is {block.number})")
        while block.number > number:
            block = self.blocks[block.header.parent_hash]
        return block

    def state_at(self, block: Union[int, bytes, None] = None) -> State:
        """The state after block ``block`` (a number or a hash; the head by default)."""
        if block is None:
            return self.states[self.head.hash]
        if isinstance(block, int):
            block = self.block_by_number(block).hash
        return self.states[block]

    def receipts(self, block_hash: bytes) -> List[Receipt]:
        """The receipts of the block with ``block_hash``."""
        return self.outputs[block_hash].receipts

    def _block_hashes(self, parent: Block) -> Dict[int, bytes]:
        """The hashes BLOCKHASH may read in the child of ``parent``: the 256 before it."""
        hashes = {}
        block: Optional[Block] = parent
        while block is not None and len(hashes) < 256:
            hashes[block.number] = block.hash
            block = self.blocks.get(block.header.parent_hash) if block.number > 0 else None
        return hashes

    # -- importing -----------------------------------------------------------------
    def import_block(self, block: Union[Block, bytes], tracer: Any = None) -> Block:
        """Check ``block`` (a :class:`Block` or its RLP) against its parent and run it.

        On success the block becomes the head and is returned; otherwise
        :class:`InvalidBlock` is raised and the chain is unchanged.
        """
        if not isinstance(block, Block):
            raw = bytes(block)
            block = Block.decode(raw)
            size = len(raw)
        else:
            size = -1
        fork = self.fork_of(block.header)
        if fork >= Fork.OSAKA and size < 0:
            size = len(block.encode())
        if fork >= Fork.OSAKA and size > MAX_RLP_BLOCK_SIZE:
            raise InvalidBlock(f"block RLP is {size} bytes, at most {MAX_RLP_BLOCK_SIZE}",
                               "BlockException.RLP_BLOCK_LIMIT_EXCEEDED")
        header = block.header
        parent = self.blocks.get(header.parent_hash)
        if parent is None:
            raise InvalidBlock(f"unknown parent 0x{header.parent_hash.hex()}",
                               "BlockException.UNKNOWN_PARENT_ZERO" if header.parent_hash == ZERO_HASH
                               else "BlockException.UNKNOWN_PARENT")
        if header.hash in self.blocks:
            raise InvalidBlock("block already imported", "BlockException.IMPORT_IMPOSSIBLE_DUPLICATE")
        validate_header(header, parent.header, fork)
        self._validate_ommers(block, parent, fork)
        if (block.withdrawals is not None) != (fork >= Fork.SHANGHAI):
            raise InvalidBlock("withdrawals are in blocks from Shanghai on, and only then",
                               "BlockException.INCORRECT_BLOCK_FORMAT")

        state = self.states[parent.hash].copy()
        state.block_hashes = self._block_hashes(parent)
        output = apply_body(state, header, block.transactions, block.ommers, block.withdrawals, fork,
                            self.chain_id, tracer)
        self._check_output(block, output, state, fork)
        self._add(block, state, output)
        return block

    def _validate_ommers(self, block: Block, parent: Block, fork: Fork) -> None:
        if fork >= Fork.PARIS:
            if block.ommers:
                raise InvalidBlock("no ommers after the merge", "BlockException.IMPORT_IMPOSSIBLE_UNCLES_OVER_PARIS")
            return
        from ..crypto import keccak256
        from ..rlp import encode as rlp_encode

        if keccak256(rlp_encode([o.field_values() for o in block.ommers])) != block.header.ommers_hash:
            raise InvalidBlock("ommers hash does not match the ommers", "BlockException.INVALID_OMMERS_HASH")
        if len(block.ommers) > 2:
            raise InvalidBlock("more than 2 ommers", "BlockException.TOO_MANY_UNCLES")
        # ancestors up to 7 generations back, and the ommers they already included
        ancestors: List[Block] = []
        b: Optional[Block] = parent
        while b is not None and len(ancestors) < 7:
            ancestors.append(b)
            b = self.blocks.get(b.header.parent_hash) if b.number > 0 else None
        ancestor_hashes = {a.hash for a in ancestors}
        seen = {o.hash for a in ancestors for o in a.ommers}
        for ommer in block.ommers:
            h = ommer.hash
            if h in ancestor_hashes or h in seen or h == block.hash:
                raise InvalidBlock("ommer is an ancestor or already included", "BlockException.DUPLICATE_UNCLE")
            seen.add(h)
            ommer_parent = self.blocks.get(ommer.parent_hash)
            if ommer_parent is None or ommer.parent_hash not in ancestor_hashes or ommer.parent_hash == parent.hash:
                raise InvalidBlock("ommer's parent is not an ancestor", "BlockException.UNCLE_PARENT_INCORRECT")
            if not 1 <= block.number - ommer.number <= 6:
                raise InvalidBlock("ommer is too old", "BlockException.UNCLE_IS_ANCESTOR")
            validate_header(ommer, ommer_parent.header, self.fork_of(ommer))

    def _check_output(self, block: Block, output: BlockOutput, state: State, fork: Fork) -> None:
        header = block.header
        checks: List[Tuple[bool, str, str]] = [
            (output.gas_used == header.gas_used, f"gas used {output.gas_used}, header says {header.gas_used}",
             "INVALID_GAS_USED"),
            (transactions_root(block.transactions) == header.transactions_root,
             "transactions root does not match", "INVALID_TRANSACTIONS_ROOT"),
            (state_root(state) == header.state_root, "state root does not match", "INVALID_STATE_ROOT"),
            (receipts_root(output.receipts) == header.receipt_root, "receipts root does not match",
             "INVALID_RECEIPTS_ROOT"),
            (logs_bloom(output.logs) == header.bloom, "logs bloom does not match", "INVALID_LOG_BLOOM"),
        ]
        if fork >= Fork.SHANGHAI:
            checks.append((withdrawals_root(block.withdrawals or []) == header.withdrawals_root,
                           "withdrawals root does not match", "INVALID_WITHDRAWALS_ROOT"))
        if fork >= Fork.CANCUN:
            checks.append((output.blob_gas_used == header.blob_gas_used,
                           f"blob gas used {output.blob_gas_used}, header says {header.blob_gas_used}",
                           "INCORRECT_BLOB_GAS_USED"))
        if fork >= Fork.PRAGUE:
            checks.append((compute_requests_hash(output.requests) == header.requests_hash,
                           "requests hash does not match", "INVALID_REQUESTS"))
        for ok, message, name in checks:
            if not ok:
                raise InvalidBlock(message, f"BlockException.{name}")

    # -- building ------------------------------------------------------------------
    def build_block(self, transactions: Sequence[SignedTransaction] = (), *, coinbase: bytes = b"\x00" * 20,
                    timestamp: Optional[int] = None, gas_limit: Optional[int] = None,
                    extra_data: bytes = b"", prev_randao: bytes = ZERO_HASH,
                    withdrawals: Optional[Sequence[Withdrawal]] = None,
                    parent_beacon_block_root: bytes = ZERO_HASH, ommers: Sequence[Header] = ()) -> Block:
        """Make the next block on the head from ``transactions``, add it and return it.

        The header's roots, gas used, bloom, base fee, blob gas and difficulty
        are computed; ``timestamp`` defaults to the parent's + 12. Raises
        :class:`InvalidBlock` if a transaction cannot be included.
        """
        parent = self.head
        ph = parent.header
        values: Dict[str, Any] = dict(
            parent_hash=parent.hash, coinbase=coinbase, number=ph.number + 1,
            gas_limit=ph.gas_limit if gas_limit is None else gas_limit,
            timestamp=ph.timestamp + 12 if timestamp is None else timestamp,
            extra_data=extra_data, prev_randao=prev_randao,
        )
        fork = self.schedule.fork_at(values["number"], values["timestamp"])
        if fork >= Fork.LONDON and ph.base_fee_per_gas is None and gas_limit is None:
            values["gas_limit"] = ph.gas_limit * 2  # EIP-1559's first block doubles the limit, same target
        if fork < Fork.PARIS:
            from ..crypto import keccak256
            from ..rlp import encode as rlp_encode

            values["difficulty"] = calculate_block_difficulty(fork, values["number"], values["timestamp"], ph)
            values["ommers_hash"] = keccak256(rlp_encode([o.field_values() for o in ommers]))
        if fork >= Fork.LONDON:
            values["base_fee_per_gas"] = INITIAL_BASE_FEE if ph.base_fee_per_gas is None else \
                calculate_base_fee_per_gas(values["gas_limit"], ph.gas_limit, ph.gas_used, ph.base_fee_per_gas)
        withdrawals = list(withdrawals or []) if fork >= Fork.SHANGHAI else None
        if fork >= Fork.SHANGHAI:
            values["withdrawals_root"] = withdrawals_root(withdrawals or [])
        if fork >= Fork.CANCUN:
            values.update(blob_gas_used=0, excess_blob_gas=calculate_excess_blob_gas(ph, fork),
                          parent_beacon_block_root=parent_beacon_block_root)
        if fork >= Fork.PRAGUE:
            values["requests_hash"] = ZERO_HASH
        draft = Header(**values)
        state = self.states[parent.hash].copy()
        state.block_hashes = self._block_hashes(parent)
        output = apply_body(state, draft, transactions, ommers, withdrawals, fork, self.chain_id)
        header = draft.copy(
            state_root=state_root(state), transactions_root=transactions_root(transactions),
            receipt_root=receipts_root(output.receipts), bloom=logs_bloom(output.logs), gas_used=output.gas_used,
        )
        if fork >= Fork.CANCUN:
            header.blob_gas_used = output.blob_gas_used
        if fork >= Fork.PRAGUE:
            header.requests_hash = compute_requests_hash(output.requests)
        block = Block(header, list(transactions), list(ommers), withdrawals)
        self._validate_ommers(block, parent, fork)  # the caller's; the rest is valid by construction
        self._add(block, state, output)
        return block

    def _add(self, block: Block, state: State, output: BlockOutput) -> None:
        self.blocks[block.hash] = block
        self.states[block.hash] = state
        self.outputs[block.hash] = output
        self.head = block
