"""Programs that vary the count of one opcode (the "marginal" method).

For every opcode of a fork that can run many times in one straight-line
program, :func:`generate` emits programs ``prelude + k x body + STOP`` for a
few counts ``k``: the body pushes the opcode's arguments, runs it and pops
what it pushed, so the stack stays balanced. Arguments are chosen per
opcode, in variants where they matter (cold and warm SLOAD/BALANCE, small
and large memory offsets, 1- and 32-byte EXP exponents, KECCAK256 and the
copies of 32 and 1024 bytes, full and narrow MUL factors). Where a cost
depends on operand width and the counts cannot say which width a run used,
one typical choice is made: a narrow divisor for DIV/SDIV/MOD/SMOD, a
full-width modulus for ADDMOD/MULMOD. A "fill" program (PUSH1 repeated, never popped) separates the
cost of pushing from popping, which balanced programs alone cannot.

The fit does not trust the generator's own bookkeeping: every program is
run once in the counting build and regressed on its exact counts.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

from ..forks import Fork
from ..opcodes import OPCODES, base_gas_table

__all__ = ["Program", "generate", "CALL_TARGET", "TERMINATING"]

#: An account the CALL family calls (no code) and BALANCE-like opcodes query warm.
CALL_TARGET = bytes.fromhex("00000000000000000000000000000000000c0de5")
#: Opcodes that end the frame: they run once per program, in the intercept.
TERMINATING = frozenset((0x00, 0xF3, 0xFD, 0xFE, 0xFF))

_WORD_A = bytes.fromhex("f3a1c0de5eed5a1750000000000000000000000000000000000000000000bee7")
_WORD_C = bytes.fromhex("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47")
_WORD_D = bytes.fromhex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")
_WORD_B = bytes.fromhex("00000000000000000000000000000000000000000000000000000000075bcd15")


@dataclass(frozen=True)
class Program:
    """One generated program (an Imapp ``pg_marginal.csv`` row)."""

    program_id: str
    opcode: int
    op_count: int
    bytecode: bytes
    variant: str = ""


def _push(value: int, size: int = 0) -> bytes:
    """The shortest PUSH of ``value`` (or PUSH``size``)."""
    n = size or max(1, (value.bit_length() + 7) // 8)
    return bytes([0x5F + n]) + value.to_bytes(n, "big")


def _push_word(w: bytes) -> bytes:
    return b"\x7f" + w


Body = Callable[[int, int], bytes]  # (instance i, code offset) -> bytes


def _simple(op: int, args: Sequence[bytes], pushes: int) -> Body:
    """Push ``args`` (last pushed is the top: the first argument), run, pop."""
    code = b"".join(reversed(args)) + bytes([op]) + b"\x50" * pushes
    return lambda i, at: code


def _families(fork: Fork) -> Iterator[Tuple[int, str, bytes, Body, int]]:
    """(opcode, variant, prelude, body, gas per body) for every opcode of ``fork``."""
    table = base_gas_table(fork)
    a, b = _push_word(_WORD_A), _push_word(_WORD_B)
    c, d = _push_word(_WORD_C), _push_word(_WORD_D)
    small = _push(7)
    addr = _push(int.from_bytes(CALL_TARGET, "big"), 20)
    for op in sorted(OPCODES):
        info = OPCODES[op]
        if table[op] < 0 or op in TERMINATING:
            continue
        g = max(table[op], 1) + 6 * info.pops + 3
        name = info.name
        if 0x60 <= op <= 0x7F:                        # PUSHn: data, then POP
            n = op - 0x5F
            yield op, "", b"", (lambda i, at, n=n, op=op:
                                 bytes([op]) + bytes((j * 37 + i) & 0xFF for j in range(n)) + b"\x50"), g
        elif 0x80 <= op <= 0x8F:                      # DUPn over n items
            n = op - 0x7F
            yield op, "", small * n, _simple(op, [], 1), g
        elif 0x90 <= op <= 0x9F:                      # SWAPn over n+1 items
            n = op - 0x8F
            yield op, "", small * (n + 1), _simple(op, [], 0), g
        elif 0xA0 <= op <= 0xA4:                      # LOGn of 32 bytes
            n = op - 0xA0
            yield op, "32B", b"", _simple(op, [_push(0), _push(32)] + [small] * n, 0), table[op] + 300
            yield op, "1KiB", b"", _simple(op, [_push(0), _push(1024)] + [small] * n, 0), table[op] + 8300
        elif op == 0x0A:                              # EXP: exponent size matters
            yield op, "exp1", b"", _simple(op, [a, _push(0xC3)], 1), 60
            yield op, "exp32", b"", _simple(op, [a, b"\x7f" + b"\xc3" * 32], 1), 1610
        elif name in ("SHL", "SHR", "SAR", "BYTE"):
            yield op, "", b"", _simple(op, [_push(0x11), a], 1), g
        elif name == "SIGNEXTEND":
            yield op, "", b"", _simple(op, [_push(0x0B), a], 1), g
        elif name == "MUL":                           # full words and a 27-bit factor
            yield op, "wide", b"", _simple(op, [a, c], 1), g
            yield op, "narrow", b"", _simple(op, [a, b], 1), g
        elif name in ("DIV", "SDIV", "MOD", "SMOD"):
            # the work grows with the divisor's width; compiled code divides
            # by constants (scales, powers of two) far more than by full words
            yield op, "narrow", b"", _simple(op, [a, b], 1), g
        elif name in ("ADDMOD", "MULMOD"):             # their use: full-width moduli (cryptography)
            yield op, "wide", b"", _simple(op, [a, c, d], 1), g
        elif op < 0x20:                               # arithmetic, comparison, bitwise
            yield op, "", b"", _simple(op, [a, b, b][:info.pops], 1), g
        elif name == "KECCAK256":
            yield op, "32B", b"", _simple(op, [_push(0), _push(32)], 1), 80
            yield op, "1KiB", b"", _simple(op, [_push(0), _push(1024)], 1), 300
        elif name in ("BALANCE", "EXTCODESIZE", "EXTCODEHASH"):
            yield op, "warm", b"", _simple(op, [addr], 1), 110
            yield op, "cold", b"", (lambda i, at, op=op: _push(0xA0000 + i, 20) + bytes([op, 0x50])), 2620
        elif name == "EXTCODECOPY":
            yield op, "", b"", _simple(op, [addr, _push(0), _push(0), _push(32)], 0), 140
        elif name in ("CALLDATALOAD", "BLOBHASH", "BLOCKHASH"):
            yield op, "", b"", _simple(op, [_push(0)], 1), g
        elif name == "RETURNDATACOPY":                # no return data in these programs
            yield op, "", b"", _simple(op, [_push(0), _push(0), _push(0)], 0), 30
        elif name in ("CALLDATACOPY", "CODECOPY"):
            yield op, "32B", b"", _simple(op, [_push(0), _push(0), _push(32)], 0), 30
            yield op, "1KiB", b"", _simple(op, [_push(0), _push(0), _push(1024)], 0), 130
        elif name in ("MLOAD",):
            yield op, "low", b"", _simple(op, [_push(0)], 1), g
            yield op, "4KiB", b"", _simple(op, [_push(4096)], 1), g
        elif name in ("MSTORE", "MSTORE8"):
            yield op, "low", b"", _simple(op, [_push(0), small], 0), g
            yield op, "4KiB", b"", _simple(op, [_push(4096), small], 0), g
        elif name == "MCOPY":
            yield op, "32B", b"", _simple(op, [_push(0), _push(32), _push(32)], 0), 40
            yield op, "1KiB", b"", _simple(op, [_push(0), _push(1024), _push(1024)], 0), 140
        elif name in ("SLOAD", "TLOAD"):
            yield op, "warm", b"", _simple(op, [small], 1), 120
            if name == "SLOAD":
                yield op, "cold", b"", (lambda i, at: _push(0x100 + i, 2) + b"\x54\x50"), 2120
        elif name == "SSTORE":
            yield op, "same", b"", _simple(op, [small, small], 0), 150
            yield op, "new", b"", (lambda i, at: small + _push(0x100 + i, 2) + b"\x55"), 22200
        elif name == "TSTORE":
            yield op, "", b"", _simple(op, [small, small], 0), 120
        elif name == "JUMP":                          # PUSH3 next JUMP JUMPDEST
            yield op, "", b"", (lambda i, at: _push(at + 5, 3) + b"\x56\x5b"), 20
        elif name == "JUMPI":                         # taken
            yield op, "", b"", (lambda i, at: b"\x60\x01" + _push(at + 7, 3) + b"\x57\x5b"), 30
        elif name == "JUMPDEST":
            yield op, "", b"", _simple(op, [], 0), 1
        elif name in ("CALL", "CALLCODE"):
            yield op, "", b"", _simple(op, [_push(50000, 2), addr] + [_push(0)] * 5, 1), 200
        elif name in ("DELEGATECALL", "STATICCALL"):
            yield op, "", b"", _simple(op, [_push(50000, 2), addr] + [_push(0)] * 4, 1), 200
        elif name == "CREATE":
            yield op, "", b"", _simple(op, [_push(0)] * 3, 1), 33000
        elif name == "CREATE2":
            yield op, "", b"", (lambda i, at: _push(i, 2) + _push(0) + _push(0) + _push(0) + b"\xf5\x50"), 33000
        elif info.pops == 0 and info.pushes == 1:     # ADDRESS, GAS, PC, PUSH0, ...
            yield op, "", b"", _simple(op, [], 1), g
        elif name == "POP":
            pusher = b"\x5f" if fork >= Fork.SHANGHAI else b"\x60\x00"
            yield op, "", b"", _simple(op, [pusher], 0), g
        # anything else is left out (and reported by `generate`'s caller as not generated)


#: Opcodes whose bodies make up the background of mixed programs: cheap,
#: self-contained (no prelude), common in real code.
_BACKGROUND = frozenset((0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19,
                         0x1B, 0x1C, 0x35, 0x51, 0x52, 0x54, 0x56, 0x57, 0x5B, 0x60, 0x61, 0x63,
                         0x73, 0x7F, 0x50))


def generate(fork: Fork = Fork.CANCUN, counts: Sequence[int] = (0, 1, 2, 3), max_count: int = 2000,
             gas_budget: int = 3_000_000, opcodes: Optional[Sequence[int]] = None,
             background: int = 600, seed: int = 11) -> List[Program]:
    """Programs for every opcode of ``fork`` (or only ``opcodes``).

    For each opcode and argument variant, ``len(counts)`` programs holding
    ``k = c * n / max(counts)`` copies of its body, with ``n`` the smaller of
    ``max_count`` and what ``gas_budget`` pays for, shuffled among
    ``background`` bodies of common cheap opcodes (the same ones for every
    ``k`` of a variant). The mix matters: a program repeating one pattern
    lets the CPU predict the interpreter's dispatch perfectly, which real
    code never does, and would underestimate every cost. Plus the PUSH1
    fill program (pushes never popped).
    """
    fork = Fork(fork)
    top = max(counts) or 1
    families = list(_families(fork))
    pool = [(op, body) for op, variant, prelude, body, gas in families
            if op in _BACKGROUND and not prelude and variant in ("", "warm", "low", "wide")]
    out: List[Program] = []
    for fi, (op, variant, prelude, body, gas) in enumerate(families):
        if opcodes is not None and op not in opcodes:
            continue
        rng = random.Random(seed * 1000 + fi)
        n = max(4, min(max_count, gas_budget // max(gas, 1)))
        back = [rng.choice(pool)[1] for _ in range(background)]
        for c in counts:
            k = c * n // top
            items = back + [body] * k
            random.Random(seed * 7919 + fi * 31 + c).shuffle(items)
            code = bytearray(prelude)
            mine = 0
            for item in items:
                code += item(mine if item is body else rng.randrange(256), len(code))
                mine += item is body
            code += b"\x00"
            name = OPCODES[op].name + (f"_{variant}" if variant else "")
            out.append(Program(f"{name}_{k}", op, k, bytes(code), variant))
    if opcodes is None or 0x60 in opcodes:
        for c in counts:  # PUSH1 without POP: at most 1024 on the stack
            k = c * 1000 // top
            out.append(Program(f"PUSH1_fill_{k}", 0x60, k, b"\x60\x01" * k + b"\x00", "fill"))
    return out
