"""Blocks: headers, receipts, roots, block-level system operations and :class:`Chain`.

    from evm.blocks import Chain
    chain = Chain.from_genesis_state(state, Fork.CANCUN)
    block = chain.build_block([sign_transaction(tx, key)], coinbase=miner)
    chain.state_at(block.number)
"""
from .block import Block, Withdrawal, receipts_root, transactions_root, withdrawals_root
from .chain import BlockOutput, Chain, ForkSchedule, apply_body, block_reward, validate_header
from .header import (
    EMPTY_OMMER_HASH,
    Header,
    InvalidBlock,
    calculate_base_fee_per_gas,
    calculate_block_difficulty,
    calculate_excess_blob_gas,
    check_gas_limit,
)
from .receipts import Receipt, logs_bloom
from .system import SYSTEM_ADDRESS, SYSTEM_TRANSACTION_GAS, compute_requests_hash, system_call

__all__ = [
    "Block",
    "BlockOutput",
    "Chain",
    "EMPTY_OMMER_HASH",
    "ForkSchedule",
    "Header",
    "InvalidBlock",
    "Receipt",
    "SYSTEM_ADDRESS",
    "SYSTEM_TRANSACTION_GAS",
    "Withdrawal",
    "apply_body",
    "block_reward",
    "calculate_base_fee_per_gas",
    "calculate_block_difficulty",
    "calculate_excess_blob_gas",
    "check_gas_limit",
    "compute_requests_hash",
    "logs_bloom",
    "receipts_root",
    "system_call",
    "transactions_root",
    "validate_header",
    "withdrawals_root",
]
