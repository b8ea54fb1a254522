"""Gas constants of the EVM under the execution specs' names (``vm/gas.py``),
and the limits the interpreter enforces.

This module is their one home: the compiled core keeps a C copy of the ones it
needs and checks, at import, that every copy equals the value here. Per-opcode
base costs live in :mod:`evm.opcodes`; transaction-level costs (intrinsic gas,
EIP-7702 authorizations) in :mod:`evm.transaction`.
"""
from __future__ import annotations

__all__ = [
    "GAS_MEMORY",
    "GAS_COPY",
    "GAS_KECCAK256_WORD",
    "GAS_EXPONENT_PER_BYTE_FRONTIER",
    "GAS_EXPONENT_PER_BYTE",
    "GAS_LOG_DATA",
    "GAS_LOG_TOPIC",
    "GAS_WARM_ACCESS",
    "GAS_COLD_ACCOUNT_ACCESS",
    "GAS_COLD_SLOAD",
    "GAS_SLOAD_FRONTIER",
    "GAS_SLOAD_ISTANBUL",
    "GAS_STORAGE_SET",
    "GAS_STORAGE_UPDATE",
    "GAS_STORAGE_CLEAR_REFUND",
    "GAS_STORAGE_CLEAR_REFUND_LONDON",
    "GAS_CALL_VALUE",
    "GAS_NEW_ACCOUNT",
    "GAS_CALL_STIPEND",
    "GAS_SELF_DESTRUCT_NEW_ACCOUNT",
    "REFUND_SELF_DESTRUCT",
    "GAS_CODE_DEPOSIT",
    "GAS_INIT_CODE_WORD_COST",
    "MAX_CODE_SIZE",
    "MAX_INIT_CODE_SIZE",
    "STACK_DEPTH_LIMIT",
    "STACK_LIMIT",
    "calculate_memory_gas_cost",
]

GAS_MEMORY = 3
GAS_COPY = 3
GAS_KECCAK256_WORD = 6
GAS_EXPONENT_PER_BYTE_FRONTIER = 10
GAS_EXPONENT_PER_BYTE = 50  # EIP-160, Spurious Dragon
GAS_LOG_DATA = 8
GAS_LOG_TOPIC = 375
GAS_WARM_ACCESS = 100  # EIP-2929, Berlin
GAS_COLD_ACCOUNT_ACCESS = 2600
GAS_COLD_SLOAD = 2100
GAS_SLOAD_FRONTIER = 200  # SSTORE's "no-op" cost under EIP-1283 (Constantinople)
GAS_SLOAD_ISTANBUL = 800  # EIP-1884 / EIP-2200
GAS_STORAGE_SET = 20000
GAS_STORAGE_UPDATE = 5000
GAS_STORAGE_CLEAR_REFUND = 15000
GAS_STORAGE_CLEAR_REFUND_LONDON = 4800  # EIP-3529
GAS_CALL_VALUE = 9000
GAS_NEW_ACCOUNT = 25000
GAS_CALL_STIPEND = 2300
GAS_SELF_DESTRUCT_NEW_ACCOUNT = 25000
REFUND_SELF_DESTRUCT = 24000  # removed by EIP-3529 (London)
GAS_CODE_DEPOSIT = 200
GAS_INIT_CODE_WORD_COST = 2  # EIP-3860, Shanghai
MAX_CODE_SIZE = 0x6000  # EIP-170
MAX_INIT_CODE_SIZE = 2 * MAX_CODE_SIZE  # EIP-3860
STACK_DEPTH_LIMIT = 1024  # call depth
STACK_LIMIT = 1024  # operand stack items


def calculate_memory_gas_cost(size_in_bytes: int) -> int:
    """The total gas paid for ``size_in_bytes`` of memory (rounded up to words)."""
    words = (size_in_bytes + 31) // 32
    return GAS_MEMORY * words + words * words // 512
