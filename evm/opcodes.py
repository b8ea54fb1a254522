"""The single table of per-opcode facts, and per-fork base gas built from it.

Each opcode has: name, immediate size, stack items taken (``pops``) and given
(``pushes``), the fork that introduced it and its base gas. Later forks change
some base costs; :data:`GAS_PATCHES` records those as "from fork F, opcode X
costs N", so the table for a fork is "previous fork + patch", as in evmone.

The compiled core reads :func:`base_gas_table` and :data:`OPCODES` once at
import; the tests and tracers read the same data. Dynamic costs (memory
expansion, cold access, copy words, EXP bytes, SSTORE, CALL) are charged in the
instruction bodies, named after the execution specs' ``GAS_*`` constants.
"""
from __future__ import annotations

from typing import Dict, List, NamedTuple, Optional

from .forks import Fork

__all__ = [
    "OpInfo",
    "OPCODES",
    "BY_NAME",
    "GAS_PATCHES",
    "base_gas_table",
    "op_name",
]


class OpInfo(NamedTuple):
    """Static facts about one opcode."""

    code: int
    name: str
    immediate: int  # bytes of immediate data following the opcode (PUSHn)
    pops: int  # stack items required
    pushes: int  # stack items produced
    since: Fork  # first fork in which the opcode is defined
    gas: int  # base gas in ``since`` (see GAS_PATCHES for later changes)
    dynamic: bool  # the body charges base + dynamic gas in one charge (spec's charge_gas)


F = Fork
_T: List[OpInfo] = []


def _op(code: int, name: str, pops: int, pushes: int, gas: int,
        since: Fork = F.FRONTIER, immediate: int = 0, dynamic: bool = False) -> None:
    _T.append(OpInfo(code, name, immediate, pops, pushes, since, gas, dynamic))


# Stop and arithmetic -------------------------------------------------------
_op(0x00, "STOP", 0, 0, 0)
_op(0x01, "ADD", 2, 1, 3)
_op(0x02, "MUL", 2, 1, 5)
_op(0x03, "SUB", 2, 1, 3)
_op(0x04, "DIV", 2, 1, 5)
_op(0x05, "SDIV", 2, 1, 5)
_op(0x06, "MOD", 2, 1, 5)
_op(0x07, "SMOD", 2, 1, 5)
_op(0x08, "ADDMOD", 3, 1, 8)
_op(0x09, "MULMOD", 3, 1, 8)
_op(0x0A, "EXP", 2, 1, 10, dynamic=True)  # + GAS_EXPONENT_BYTE per exponent byte
_op(0x0B, "SIGNEXTEND", 2, 1, 5)
# Comparison and bitwise ----------------------------------------------------
_op(0x10, "LT", 2, 1, 3)
_op(0x11, "GT", 2, 1, 3)
_op(0x12, "SLT", 2, 1, 3)
_op(0x13, "SGT", 2, 1, 3)
_op(0x14, "EQ", 2, 1, 3)
_op(0x15, "ISZERO", 1, 1, 3)
_op(0x16, "AND", 2, 1, 3)
_op(0x17, "OR", 2, 1, 3)
_op(0x18, "XOR", 2, 1, 3)
_op(0x19, "NOT", 1, 1, 3)
_op(0x1A, "BYTE", 2, 1, 3)
_op(0x1B, "SHL", 2, 1, 3, F.CONSTANTINOPLE)
_op(0x1C, "SHR", 2, 1, 3, F.CONSTANTINOPLE)
_op(0x1D, "SAR", 2, 1, 3, F.CONSTANTINOPLE)
_op(0x1E, "CLZ", 1, 1, 5, F.OSAKA)
# Keccak ----------------------------------------------------------------------
_op(0x20, "KECCAK256", 2, 1, 30, dynamic=True)  # + 6 per word + memory
# Environment -----------------------------------------------------------------
_op(0x30, "ADDRESS", 0, 1, 2)
_op(0x31, "BALANCE", 1, 1, 20, dynamic=True)
_op(0x32, "ORIGIN", 0, 1, 2)
_op(0x33, "CALLER", 0, 1, 2)
_op(0x34, "CALLVALUE", 0, 1, 2)
_op(0x35, "CALLDATALOAD", 1, 1, 3)
_op(0x36, "CALLDATASIZE", 0, 1, 2)
_op(0x37, "CALLDATACOPY", 3, 0, 3, dynamic=True)
_op(0x38, "CODESIZE", 0, 1, 2)
_op(0x39, "CODECOPY", 3, 0, 3, dynamic=True)
_op(0x3A, "GASPRICE", 0, 1, 2)
_op(0x3B, "EXTCODESIZE", 1, 1, 20, dynamic=True)
_op(0x3C, "EXTCODECOPY", 4, 0, 20, dynamic=True)
_op(0x3D, "RETURNDATASIZE", 0, 1, 2, F.BYZANTIUM)
_op(0x3E, "RETURNDATACOPY", 3, 0, 3, F.BYZANTIUM, dynamic=True)
_op(0x3F, "EXTCODEHASH", 1, 1, 400, F.CONSTANTINOPLE, dynamic=True)
# Block -----------------------------------------------------------------------
_op(0x40, "BLOCKHASH", 1, 1, 20)
_op(0x41, "COINBASE", 0, 1, 2)
_op(0x42, "TIMESTAMP", 0, 1, 2)
_op(0x43, "NUMBER", 0, 1, 2)
_op(0x44, "PREVRANDAO", 0, 1, 2)  # DIFFICULTY before Paris
_op(0x45, "GASLIMIT", 0, 1, 2)
_op(0x46, "CHAINID", 0, 1, 2, F.ISTANBUL)
_op(0x47, "SELFBALANCE", 0, 1, 5, F.ISTANBUL)
_op(0x48, "BASEFEE", 0, 1, 2, F.LONDON)
_op(0x49, "BLOBHASH", 1, 1, 3, F.CANCUN)
_op(0x4A, "BLOBBASEFEE", 0, 1, 2, F.CANCUN)
# Stack, memory, storage, flow --------------------------------------------
_op(0x50, "POP", 1, 0, 2)
_op(0x51, "MLOAD", 1, 1, 3, dynamic=True)
_op(0x52, "MSTORE", 2, 0, 3, dynamic=True)
_op(0x53, "MSTORE8", 2, 0, 3, dynamic=True)
_op(0x54, "SLOAD", 1, 1, 50, dynamic=True)
_op(0x55, "SSTORE", 2, 0, 0, dynamic=True)  # entirely dynamic
_op(0x56, "JUMP", 1, 0, 8)
_op(0x57, "JUMPI", 2, 0, 10)
_op(0x58, "PC", 0, 1, 2)
_op(0x59, "MSIZE", 0, 1, 2)
_op(0x5A, "GAS", 0, 1, 2)
_op(0x5B, "JUMPDEST", 0, 0, 1)
_op(0x5C, "TLOAD", 1, 1, 100, F.CANCUN)
_op(0x5D, "TSTORE", 2, 0, 100, F.CANCUN)
_op(0x5E, "MCOPY", 3, 0, 3, F.CANCUN, dynamic=True)
_op(0x5F, "PUSH0", 0, 1, 2, F.SHANGHAI)
for _n in range(1, 33):
    _op(0x5F + _n, f"PUSH{_n}", 0, 1, 3, immediate=_n)
for _n in range(1, 17):
    _op(0x7F + _n, f"DUP{_n}", _n, _n + 1, 3)
for _n in range(1, 17):
    _op(0x8F + _n, f"SWAP{_n}", _n + 1, _n + 1, 3)
for _n in range(5):
    _op(0xA0 + _n, f"LOG{_n}", 2 + _n, 0, 375 * (_n + 1), dynamic=True)  # + 8 per byte + memory
# System ----------------------------------------------------------------------
_op(0xF0, "CREATE", 3, 1, 32000, dynamic=True)
_op(0xF1, "CALL", 7, 1, 40, dynamic=True)
_op(0xF2, "CALLCODE", 7, 1, 40, dynamic=True)
_op(0xF3, "RETURN", 2, 0, 0, dynamic=True)
_op(0xF4, "DELEGATECALL", 6, 1, 40, F.HOMESTEAD, dynamic=True)
_op(0xF5, "CREATE2", 4, 1, 32000, F.CONSTANTINOPLE, dynamic=True)
_op(0xFA, "STATICCALL", 6, 1, 700, F.BYZANTIUM, dynamic=True)
_op(0xFD, "REVERT", 2, 0, 0, F.BYZANTIUM, dynamic=True)
_op(0xFF, "SELFDESTRUCT", 1, 0, 0, dynamic=True)

#: code -> OpInfo for every opcode defined in some fork.
OPCODES: Dict[int, OpInfo] = {o.code: o for o in _T}
#: name -> OpInfo (also "DIFFICULTY" and "SHA3" as aliases).
BY_NAME: Dict[str, OpInfo] = {o.name: o for o in _T}
BY_NAME["DIFFICULTY"] = OPCODES[0x44]
BY_NAME["SHA3"] = OPCODES[0x20]

#: (fork, {opcode: new base gas}) — applied in order on top of the previous fork.
#: Under EIP-2929 (Berlin) the base of state-accessing opcodes is the warm cost
#: (GAS_WARM_ACCESS = 100); the core adds the cold surcharge when the address or
#: slot was cold.
GAS_PATCHES = [
    # EIP-150: IO-heavy operations repriced
    (F.TANGERINE_WHISTLE, {0x31: 400, 0x3B: 700, 0x3C: 700, 0x54: 200,
                           0xF1: 700, 0xF2: 700, 0xF4: 700, 0xFF: 5000}),
    # EIP-1884: trie-size-dependent opcodes repriced
    (F.ISTANBUL, {0x31: 700, 0x3F: 700, 0x54: 800}),
    # EIP-2929: warm cost as base, cold surcharge dynamic
    (F.BERLIN, {0x31: 100, 0x3B: 100, 0x3C: 100, 0x3F: 100, 0x54: 100,
                0xF1: 100, 0xF2: 100, 0xF4: 100, 0xFA: 100}),
]


def base_gas_table(fork: Fork) -> List[int]:
    """256 base costs for ``fork``; ``-1`` marks an opcode undefined there."""
    table = [-1] * 256
    for o in _T:
        if o.since <= fork:
            table[o.code] = o.gas
    for patch_fork, patch in GAS_PATCHES:
        if patch_fork <= fork:
            for code, gas in patch.items():
                if table[code] >= 0:
                    table[code] = gas
    return table


def op_name(code: int) -> str:
    """The mnemonic of ``code``, or ``"INVALID"``-style ``"0xNN"`` if undefined."""
    info = OPCODES.get(code)
    if info is not None:
        return info.name
    if code == 0xFE:
        return "INVALID"
    return f"0x{code:02x}"


# Everything except dynamic costs: STATICCALL cost is 700 from its introduction
# (EIP-214) and CREATE2/EXTCODEHASH entries above carry their first-fork cost.
def _check() -> Optional[str]:
    for o in _T:
        assert 0 <= o.code < 256 and o.pops >= 0 and o.pushes >= 0
    return None


_check()
