"""Shared helpers for the opcode unit tests: a tiny assembler and gas arithmetic.

Per-opcode facts (byte values, base gas per fork, first fork, stack in/out)
come from :mod:`evm.opcodes`; dynamic gas is written here from the Yellow
Paper / EIPs so the tests check the core against the rules, not against itself.
"""
from __future__ import annotations

from typing import Iterable, Union

from evm import Account, ExecutionResult, Fork, State, execute_code
from evm.executor import DEFAULT_CALLER, DEFAULT_CONTRACT
from evm.opcodes import BY_NAME, OPCODES, base_gas_table

__all__ = [
    "ALL_FORKS",
    "CALLER",
    "CONTRACT",
    "HALT_NAMES",
    "RETURN_TOP",
    "RETURN_TOP_GAS",
    "asm",
    "base_gas",
    "call",
    "defined_in",
    "memory_cost",
    "memory_expansion",
    "op",
    "push",
    "ret_top",
    "run",
    "static_gas",
    "to_signed",
    "to_unsigned",
    "word",
    "words",
]

ALL_FORKS = list(Fork)
CALLER = DEFAULT_CALLER
CONTRACT = DEFAULT_CONTRACT
U256_MAX = 2**256 - 1

#: The outcome names a top frame may report: the execution specs' exception
#: class names (ethereum/forks/<fork>/vm/exceptions.py), plus the core's
#: "PrecompileFailure" for a failed precompile.
HALT_NAMES = frozenset({
    "Revert", "OutOfGasError", "StackUnderflowError", "StackOverflowError",
    "InvalidJumpDestError", "InvalidOpcode", "WriteInStaticContext",
    "OutOfBoundsRead", "AddressCollision", "InvalidContractPrefix",
    "StackDepthLimitError", "InvalidParameter", "KZGProofError", "PrecompileFailure",
})

Part = Union[str, int, bytes]


def op(name: str) -> bytes:
    """The one-byte encoding of opcode ``name`` (e.g. ``"ADD"``)."""
    return bytes([BY_NAME[name].code])


def push(value: int, width: int | None = None) -> bytes:
    """``PUSHn value`` with the smallest n >= 1 (or exactly ``width`` bytes).

    PUSH0 is never chosen so the code runs in every fork.
    """
    if not 0 <= value <= U256_MAX:
        raise ValueError(f"push value out of range: {value}")
    n = width if width is not None else max(1, (value.bit_length() + 7) // 8)
    if not 1 <= n <= 32:
        raise ValueError(f"push width out of range: {n}")
    return bytes([0x5F + n]) + value.to_bytes(n, "big")


def asm(*parts: Part) -> bytes:
    """Assemble: a ``str`` is an opcode name, an ``int`` a minimal PUSH, ``bytes`` raw."""
    out = bytearray()
    for p in parts:
        if isinstance(p, str):
            out += op(p)
        elif isinstance(p, bool):
            raise TypeError("bool is not a push value")
        elif isinstance(p, int):
            out += push(p)
        else:
            out += bytes(p)
    return bytes(out)


#: Store the top of the stack at memory 0 and return that word.
RETURN_TOP = asm(0, "MSTORE", 32, 0, "RETURN")
#: Gas of RETURN_TOP when memory is still empty: four pushes, MSTORE, one word.
RETURN_TOP_GAS = 3 + 3 + 3 + 3 + 0 + 3


def ret_top(*parts: Part) -> bytes:
    """``asm(*parts)`` followed by :data:`RETURN_TOP`."""
    return asm(*parts) + RETURN_TOP


def call(to: int | bytes, gas: int = 0xFFFFFF, value: int = 0, in_offset: int = 0,
         in_size: int = 0, out_offset: int = 0, out_size: int = 0, opname: str = "CALL") -> bytes:
    """Code pushing the arguments of a CALL-family opcode, then the opcode.

    ``value`` is used only by CALL and CALLCODE.
    """
    if isinstance(to, (bytes, bytearray)):
        to = int.from_bytes(to, "big")
    args = [out_size, out_offset, in_size, in_offset]
    if opname in ("CALL", "CALLCODE"):
        args.append(value)
    args += [to, gas]
    return asm(*args, opname)


def word(r: ExecutionResult) -> int:
    """The output of ``r`` as one big-endian integer."""
    return int.from_bytes(r.output, "big")


def run(code: bytes, **kwargs) -> ExecutionResult:
    """:func:`evm.execute_code` (keyword arguments passed through)."""
    return execute_code(code, **kwargs)


def base_gas(fork: Fork, name: str) -> int:
    """Base gas of opcode ``name`` in ``fork`` from the opcode table."""
    g = base_gas_table(fork)[BY_NAME[name].code]
    assert g >= 0, f"{name} undefined in {fork.name}"
    return g


def defined_in(fork: Fork, code: int) -> bool:
    """Whether opcode byte ``code`` is defined in ``fork`` (per the table)."""
    return base_gas_table(fork)[code] >= 0


def static_gas(code: bytes, fork: Fork) -> int:
    """Sum of the base gas of every instruction of straight-line ``code``."""
    table = base_gas_table(fork)
    total, pc = 0, 0
    while pc < len(code):
        b = code[pc]
        assert table[b] >= 0, f"opcode 0x{b:02x} undefined in {fork.name}"
        total += table[b]
        info = OPCODES.get(b)
        pc += 1 + (info.immediate if info else 0)
    return total


def words(nbytes: int) -> int:
    """Number of 32-byte words covering ``nbytes`` bytes."""
    return (nbytes + 31) // 32


def memory_cost(nbytes: int) -> int:
    """Yellow Paper C_mem: 3 per word plus words**2 // 512, for ``nbytes`` of memory."""
    w = words(nbytes)
    return 3 * w + w * w // 512


def memory_expansion(old_bytes: int, new_bytes: int) -> int:
    """Gas to grow memory from ``old_bytes`` to cover ``new_bytes`` (0 if it shrinks)."""
    return max(0, memory_cost(new_bytes) - memory_cost(old_bytes))


def to_signed(x: int) -> int:
    """Two's-complement view of a 256-bit word."""
    return x - 2**256 if x >> 255 else x


def to_unsigned(x: int) -> int:
    """A Python int reduced to a 256-bit word."""
    return x % 2**256


def state_with(accounts: dict) -> State:
    """A State built from ``{address: Account}``."""
    return State(dict(accounts))


def iter_forks(since: Fork = Fork.FRONTIER, until: Fork = Fork.OSAKA) -> Iterable[Fork]:
    """Forks from ``since`` to ``until`` inclusive."""
    return [f for f in Fork if since <= f <= until]


__all__ += ["U256_MAX", "state_with", "iter_forks", "Account", "State", "Fork"]
