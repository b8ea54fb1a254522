# Test entry points for the u256 helpers and Keccak-256.
#
# Included from evm/_core.pyx, which already cimports evm._u256 (*) and
# evm._keccak.evm_keccak256; this file only adds what it needs beyond those.

from cpython.buffer cimport PyObject_GetBuffer, PyBuffer_Release, PyBUF_SIMPLE
from cpython.bytes cimport PyBytes_FromStringAndSize


# Operands each opcode pops, in EVM stack order (first = top of stack).
_U256_EVAL_ARITY = {
    "ADD": 2, "SUB": 2, "MUL": 2, "DIV": 2, "SDIV": 2, "MOD": 2, "SMOD": 2,
    "ADDMOD": 3, "MULMOD": 3, "EXP": 2, "SIGNEXTEND": 2,
    "LT": 2, "GT": 2, "SLT": 2, "SGT": 2, "EQ": 2, "ISZERO": 1,
    "AND": 2, "OR": 2, "XOR": 2, "NOT": 1, "BYTE": 2,
    "SHL": 2, "SHR": 2, "SAR": 2, "CLZ": 1,
}


def _u256_eval(str op, *args) -> int:
    """Apply the EVM opcode ``op`` to 256-bit ``args`` with the compiled helpers.

    ``args`` are in stack order (``args[0]`` is the top of the stack), e.g.
    ``_u256_eval("SUB", a, b) == (a - b) % 2**256``. For tests only.
    Raises ValueError for an unknown opcode or an operand outside
    [0, 2**256), TypeError for a wrong operand count or a non-int operand.
    """
    cdef u256 x[3]
    cdef u256 r
    cdef Py_ssize_t i
    arity = _U256_EVAL_ARITY.get(op)
    if arity is None:
        raise ValueError(f"unknown opcode for _u256_eval: {op!r}")
    if len(args) != arity:
        raise TypeError(f"{op} takes {arity} operand(s), got {len(args)}")
    for i in range(arity):
        u256_from_pyint(&x[i], args[i])

    if op == "ADD":
        u256_add(&r, &x[0], &x[1])
    elif op == "SUB":
        u256_sub(&r, &x[0], &x[1])
    elif op == "MUL":
        u256_mul(&r, &x[0], &x[1])
    elif op == "DIV":
        u256_div(&r, &x[0], &x[1])
    elif op == "SDIV":
        u256_sdiv(&r, &x[0], &x[1])
    elif op == "MOD":
        u256_mod(&r, &x[0], &x[1])
    elif op == "SMOD":
        u256_smod(&r, &x[0], &x[1])
    elif op == "ADDMOD":
        u256_addmod(&r, &x[0], &x[1], &x[2])
    elif op == "MULMOD":
        u256_mulmod(&r, &x[0], &x[1], &x[2])
    elif op == "EXP":
        u256_exp(&r, &x[0], &x[1])
    elif op == "SIGNEXTEND":
        u256_signextend(&r, &x[0], &x[1])
    elif op == "LT":
        u256_set_u64(&r, u256_lt(&x[0], &x[1]))
    elif op == "GT":
        u256_set_u64(&r, u256_gt(&x[0], &x[1]))
    elif op == "SLT":
        u256_set_u64(&r, u256_slt(&x[0], &x[1]))
    elif op == "SGT":
        u256_set_u64(&r, u256_sgt(&x[0], &x[1]))
    elif op == "EQ":
        u256_set_u64(&r, u256_eq(&x[0], &x[1]))
    elif op == "ISZERO":
        u256_set_u64(&r, u256_is_zero(&x[0]))
    elif op == "AND":
        u256_and(&r, &x[0], &x[1])
    elif op == "OR":
        u256_or(&r, &x[0], &x[1])
    elif op == "XOR":
        u256_xor(&r, &x[0], &x[1])
    elif op == "NOT":
        u256_not(&r, &x[0])
    elif op == "BYTE":
        u256_byte(&r, &x[0], &x[1])
    elif op == "SHL":
        u256_shl(&r, &x[0], &x[1])
    elif op == "SHR":
        u256_shr(&r, &x[0], &x[1])
    elif op == "SAR":
        u256_sar(&r, &x[0], &x[1])
    else:  # "CLZ", the only opcode left in the table
        u256_set_u64(&r, u256_clz(&x[0]))
    return u256_to_pyint(&r)


def keccak256(data) -> bytes:
    """Keccak-256 digest (32 bytes) of a bytes-like object (bytes, bytearray, memoryview)."""
    cdef Py_buffer view
    cdef uint8_t out[32]
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        evm_keccak256(<const uint8_t*>view.buf, <size_t>view.len, out)
    finally:
        PyBuffer_Release(&view)
    return PyBytes_FromStringAndSize(<char*>out, 32)
