# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, infer_types=False
"""The compiled core of cyevm: one C unit made of the parts below.

Everything that runs per opcode, per memory word or per warm state access is
C working on structs and raw pointers; Python objects appear only on a cold
load (asking the Database), at precompiles, in the traced loop and at the API
edge. The parts follow the execution specs' layout (see ARCHITECTURE.md):

    vm.pxi           VM: the Python edge (environment, state access, entry points)
    transaction.pxi  process_transaction: the phases of one transaction
    message.pxi      process_message / process_create_message, precompiles
    interpreter.pxi  the loop, written once, built plain and traced
    instructions/    one file per group of the spec: the instruction bodies
    journal.pxi      the host: accounts, storage, warmth, logs, undo log
    memory.pxi       memory expansion and its gas
    analysis.pxi     per-opcode table, code analysis (JUMPDEST map, padding)
    tracing.pxi      what the traced loop reports to a tracer
    gas.pxi          charge_gas: the one place an instruction pays dynamic gas
    constants.pxi    forks and gas constants (checked against evm.forks/evm.gas)
    crypto.pxi       hash kernels in C for the precompiles (BLAKE2F)
"""
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t, uint64_t, int64_t, INT64_MAX, UINT64_MAX
from libc.string cimport memcpy, memset, memcmp, memmove
from libc.stdlib cimport malloc, realloc, free, calloc
from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.ref cimport PyObject, Py_INCREF, Py_DECREF, Py_XDECREF
cimport cython

from evm._u256 cimport *
from evm._keccak cimport evm_keccak256

include "_u256_testing.pxi"
include "_core/constants.pxi"
include "_core/analysis.pxi"
include "_core/memory.pxi"
include "_core/journal.pxi"
include "_core/tracing.pxi"
include "_core/gas.pxi"
include "_core/instructions/arithmetic.pxi"
include "_core/instructions/comparison.pxi"
include "_core/instructions/bitwise.pxi"
include "_core/instructions/keccak.pxi"
include "_core/instructions/environment.pxi"
include "_core/instructions/block.pxi"
include "_core/instructions/memory.pxi"
include "_core/instructions/storage.pxi"
include "_core/instructions/control_flow.pxi"
include "_core/instructions/stack.pxi"
include "_core/instructions/log.pxi"
include "_core/instructions/system.pxi"
include "_core/interpreter.pxi"
include "_core/message.pxi"
include "_core/transaction.pxi"
include "_core/vm.pxi"
include "_core/crypto.pxi"
