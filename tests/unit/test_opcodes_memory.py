"""Memory opcodes: MLOAD, MSTORE, MSTORE8, MSIZE, MCOPY (EIP-5656), KECCAK256.

Memory expansion is charged as the Yellow Paper's C_mem(a) = 3a + a**2 // 512
(a = active words), the difference between the new and the old size. An
offset or size no gas could pay for must end in OutOfGasError, never a crash;
a zero-size access touches nothing, whatever its offset.
"""
from __future__ import annotations

import pytest

from evm import Fork
from evm.crypto import keccak256
from opcode_test_helpers import (
    U256_MAX,
    asm,
    memory_cost,
    memory_expansion,
    ret_top,
    run,
    static_gas,
    word,
    words,
)

HUGE = [2**256 - 1, 2**255, 2**128, 2**64, 2**64 - 1, 2**63, 2**32, 2**32 - 32, 2**31, 0x7FFFFFFF]


def test_mstore_mload_roundtrip_and_gas():
    code = asm(0xDEADBEEF, 0, "MSTORE", 0, "MLOAD") + asm(0x20, "MSTORE", 32, 0x20, "RETURN")
    r = run(code)
    assert r.success and word(r) == 0xDEADBEEF
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(64)


def test_mstore_exact_gas_one_word():
    """PUSH, PUSH, MSTORE at 0: 3 + 3 + 3 + C_mem(1 word) = 12."""
    r = run(asm(1, 0, "MSTORE"))
    assert r.success and r.gas_used == 12


def test_mstore_unaligned_offset_expands_two_words():
    code = asm(U256_MAX, 1, "MSTORE", "MSIZE") + asm(0x40, "MSTORE", 32, 0x40, "RETURN")
    r = run(code)
    assert r.success and word(r) == 64  # bytes 1..32 need two words
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(96)


def test_mstore_writes_big_endian_word():
    code = asm(0x0102, 0, "MSTORE", 32, 0, "RETURN")
    r = run(code)
    assert r.output == bytes(30) + b"\x01\x02"


def test_mstore8_stores_low_byte_only():
    code = asm(0x1234, 1, "MSTORE8", 32, 0, "RETURN")
    r = run(code)
    assert r.success and r.output == b"\x00\x34" + bytes(30)
    # PUSH PUSH MSTORE8 (3+3+3 + 3 for one word) + PUSH PUSH RETURN (3+3+0)
    assert r.gas_used == 9 + 3 + 6


def test_mstore8_at_word_boundary_expands_one_more_word():
    code = asm(0xFF, 32, "MSTORE8", "MSIZE") + asm(0x100, "MSTORE", 32, 0x100, "RETURN")
    r = run(code)
    assert word(r) == 64
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(0x120)


def test_msize_starts_at_zero_and_tracks_highest_access():
    code = asm("MSIZE", 0x40, "MLOAD", "POP", "MSIZE", "ADD") + ret_top()
    r = run(code)
    # 0 + 0x60, then RETURN_TOP writes at 0 (already active)
    assert word(r) == 0x60
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(0x60)


def test_msize_exact_gas():
    """MSIZE is GAS_BASE (2)."""
    r = run(asm("MSIZE"))
    assert r.success and r.gas_used == 2


def test_mload_beyond_msize_reads_zero_and_expands():
    code = asm(0x1000, "MLOAD", "MSIZE") + asm(0, "MSTORE", 0, "MSTORE", 32, 0, "RETURN")
    r = run(code)
    assert r.success and word(r) == 0
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(0x1020)


def test_mload_exact_gas():
    """PUSH1 0 MLOAD: 3 + 3 + C_mem(1)."""
    r = run(asm(0, "MLOAD"))
    assert r.success and r.gas_used == 9


@pytest.mark.parametrize("end_bytes", [32, 704, 0x4000, 0x8000, 0x20000])
def test_expansion_cost_is_quadratic(end_bytes):
    """One MSTORE whose last byte is end_bytes - 1: 9 + 3a + a**2 // 512."""
    code = asm(0, end_bytes - 32, "MSTORE")
    r = run(code, gas=30_000_000)
    a = end_bytes // 32
    assert r.success
    assert r.gas_used == 9 + 3 * a + a * a // 512


def test_second_expansion_charges_only_the_difference():
    code = asm(0, 0x400, "MSTORE", 0, 0x2000, "MSTORE", 0, 0x100, "MSTORE")
    r = run(code)
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(0x2020)
    assert memory_expansion(0x420, 0x2020) == memory_cost(0x2020) - memory_cost(0x420)


def test_expansion_exact_gas_boundary():
    """With exactly enough gas the MSTORE succeeds; one less is OutOfGasError."""
    code = asm(0, 0x10000, "MSTORE")
    need = 9 + memory_cost(0x10020)
    ok = run(code, gas=need)
    assert ok.success and ok.gas_left == 0
    bad = run(code, gas=need - 1)
    assert bad.error == "OutOfGasError" and bad.gas_used == need - 1


@pytest.mark.parametrize("offset", HUGE)
@pytest.mark.parametrize("opname", ["MLOAD", "MSTORE", "MSTORE8"])
def test_huge_offset_is_out_of_gas_not_a_crash(opname, offset):
    code = asm(0x55, offset, opname) if opname != "MLOAD" else asm(offset, "MLOAD")
    r = run(code, gas=1_000_000)
    assert r.error == "OutOfGasError"
    assert r.gas_used == 1_000_000 and r.output == b""


@pytest.mark.parametrize("offset", HUGE)
def test_huge_offset_keccak_and_return_are_out_of_gas(offset):
    for tail in ("KECCAK256", "RETURN", "REVERT"):
        r = run(asm(32, offset, tail), gas=1_000_000)
        assert r.error == "OutOfGasError", tail
        assert r.gas_used == 1_000_000


@pytest.mark.parametrize("size", HUGE)
def test_huge_size_is_out_of_gas(size):
    for tail in ("KECCAK256", "RETURN", "REVERT", "LOG0"):
        r = run(asm(size, 0, tail), gas=1_000_000)
        assert r.error == "OutOfGasError", tail


@pytest.mark.parametrize("offset", HUGE)
def test_zero_size_with_huge_offset_is_free(offset):
    # RETURN(offset, 0): no expansion, empty output
    code = asm(0, offset, "RETURN")
    r = run(code)
    assert r.success and r.output == b"" and r.gas_used == static_gas(code, Fork.CANCUN)
    # KECCAK256(offset, 0) is keccak256(b"") for 30 gas, memory untouched
    code = asm(0, offset, "KECCAK256", "MSIZE", "ADD") + ret_top()
    r = run(code)
    assert word(r) == int.from_bytes(keccak256(b""), "big")
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(32)
    # REVERT(offset, 0)
    code = asm(0, offset, "REVERT")
    r = run(code)
    assert r.error == "Revert" and r.output == b"" and r.gas_used == static_gas(code, Fork.CANCUN)


@pytest.mark.parametrize("src,dst", [(2**256 - 1, 2**256 - 1), (2**64, 0), (0, 2**200), (0x7FFFFFFF, 0x7FFFFFFF)])
def test_mcopy_zero_length_is_free_whatever_the_offsets(src, dst):
    code = asm(0, src, dst, "MCOPY", "MSIZE") + ret_top()
    r = run(code)
    assert r.success and word(r) == 0
    # MCOPY costs its base 3 only; the final MSTORE expands to one word
    assert r.gas_used == static_gas(code, Fork.CANCUN) + memory_cost(32)


def test_mcopy_copies_and_charges_copy_and_expansion():
    """EIP-5656: 3 + 3 * words(length) + expansion over both ranges."""
    data = int.from_bytes(bytes(range(1, 33)), "big")
    setup = asm(data, 32, "MSTORE")                     # memory[32:64] = 01..20
    code = setup + asm(32, 32, 0, "MCOPY") + asm(32, 0, "RETURN")  # copy to [0:32]
    r = run(code)
    assert r.success and r.output == bytes(range(1, 33))
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 3 * 1 + memory_cost(64)


def test_mcopy_expands_to_the_destination_end():
    code = asm(33, 0, 0x100, "MCOPY", "MSIZE") + ret_top()
    r = run(code)
    assert word(r) == 0x140  # 0x100 + 33 bytes -> 0x121 -> 10 words
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 3 * 2 + memory_cost(0x140)


def test_mcopy_expands_to_the_source_end():
    code = asm(32, 0x200, 0, "MCOPY", "MSIZE") + ret_top()
    r = run(code)
    assert word(r) == 0x220
    assert r.gas_used == static_gas(code, Fork.CANCUN) + 3 + memory_cost(0x220)


def test_mcopy_overlapping_forward_and_backward():
    """Overlapping ranges behave like memmove (copy through a buffer)."""
    data = bytes(range(1, 65))
    setup = asm(int.from_bytes(data[:32], "big"), 0, "MSTORE",
                int.from_bytes(data[32:], "big"), 32, "MSTORE")
    fwd = run(setup + asm(40, 0, 8, "MCOPY", 64, 0, "RETURN"))
    assert fwd.output == data[:8] + data[:40] + data[48:]
    back = run(setup + asm(40, 8, 0, "MCOPY", 64, 0, "RETURN"))
    assert back.output == data[8:48] + data[40:]


def test_mcopy_undefined_before_cancun():
    code = asm(0, 0, 0, "MCOPY")
    r = run(code, fork=Fork.SHANGHAI, gas=10_000)
    assert r.error == "InvalidOpcode" and r.gas_used == 10_000
    assert run(code, fork=Fork.CANCUN).gas_used == 9 + 3


@pytest.mark.parametrize("args", [
    (32, 0, 2**256 - 1),   # huge destination
    (32, 2**64, 0),        # huge source
    (2**64, 0, 0),         # huge length
    (U256_MAX, U256_MAX, U256_MAX),
])
def test_mcopy_huge_arguments_out_of_gas(args):
    length, src, dst = args
    r = run(asm(length, src, dst, "MCOPY"), gas=1_000_000)
    assert r.error == "OutOfGasError" and r.gas_used == 1_000_000


@pytest.mark.parametrize("size", [0, 1, 32, 33, 100])
def test_keccak256_result_and_gas(size):
    """30 + 6 per word + expansion (Yellow Paper G_keccak256, G_keccak256word)."""
    code = asm(size, 0, "KECCAK256") + ret_top()
    r = run(code)
    assert word(r) == int.from_bytes(keccak256(bytes(size)), "big")
    mem = max(32, words(size) * 32)
    assert r.gas_used == 3 + 3 + 30 + 6 * words(size) + 3 + 3 + 3 + 3 + memory_cost(mem)


def test_keccak256_reads_written_memory():
    code = asm(0x61626300 << 224, 0, "MSTORE", 3, 0, "KECCAK256") + ret_top()
    assert word(run(code)) == int.from_bytes(keccak256(b"abc"), "big")


@pytest.mark.parametrize("offset", [2**64 - 1, 2**64 - 32, 2**64 - 31, 2**63, 2**32 - 1, 2**256 - 1, 2**128 + 5])
@pytest.mark.parametrize("opname", ["MLOAD", "MSTORE"])
def test_huge_offset_after_memory_grew_is_out_of_gas(offset, opname):
    """With memory already grown, an offset near 2^64 must not wrap around
    (offset + 32 overflowing 64 bits) into an in-bounds access: the
    instruction needs an impossible expansion, so it is out of gas."""
    grow = asm(1, 64, "MSTORE")  # memory is now 96 bytes
    if opname == "MLOAD":
        body = asm(offset, "MLOAD", "STOP")
    else:
        body = asm(0xAB, offset, "MSTORE", "STOP")
    r = run(grow + body, gas=1_000_000)
    assert r.error == "OutOfGasError" and r.gas_used == 1_000_000


# A VM keeps a finished frame's memory buffer for the next frame at the same
# depth; every frame must still start with empty, zero memory.
DIRTY = asm(U256_MAX, 0x40, "MSTORE", 0xAB, 0x3FF, "MSTORE8", "STOP")  # writes in the first KiB
READ = asm("MSIZE", 0, "MSTORE", 0x40, "MLOAD", 0x20, "MSTORE", 0x3E0, "MLOAD", 0x40, "MSTORE", 0x60, 0, "RETURN")


@pytest.mark.parametrize("size", [0x400, 0x4000, 0x10000])
def test_a_frame_after_a_frame_that_wrote_memory_starts_empty(size):
    """Same thread, same fork: the second run gets the first one's buffer
    (kept up to 16 KiB, freed beyond); MSIZE is 0 and what the first wrote
    reads as zero."""
    dirty = asm(U256_MAX, size - 32, "MSTORE") + DIRTY
    assert run(dirty).success
    r = run(READ)
    assert r.success and r.output == bytes(96)


def test_a_call_after_a_call_that_wrote_memory_starts_empty():
    """Depth 1 twice in one run: the second callee reads zeros where the
    first wrote, and its MSIZE starts at 0."""
    from evm import Account, State

    writer, reader = b"\x11" * 20, b"\x22" * 20
    call = lambda target, out: asm(out, 0, 0, 0, 0, int.from_bytes(target, "big"), "GAS", "CALL", "POP")  # noqa: E731
    code = (call(writer, 0) + call(reader, 0)
            + asm("RETURNDATASIZE", 0, 0, "RETURNDATACOPY", "RETURNDATASIZE", 0, "RETURN"))
    state = State({writer: Account(code=DIRTY), reader: Account(code=READ)})
    r = run(code, state=state)
    assert r.success and r.output == bytes(96)
