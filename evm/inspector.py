"""Inspectors: hooks a tool attaches to calls of an :class:`~evm.EVM`.

Subclass :class:`Inspector` and override the hooks you need; only the
overridden ones are called. ``step`` runs the traced loop (one call per
instruction); every other hook is reported from the message layer and the
journal, so an inspector without ``step`` runs the plain loop. Pass an
inspector as ``EVM(inspector=...)`` or per call (``message_call(...,
inspector=...)``). An exception raised by a hook aborts the call, which
leaves the state as before it, and propagates.

Built-ins: :class:`CallTracer` (geth's ``callTracer`` JSON),
:class:`OpcodeCounter`, :class:`AccessListBuilder` (what
``eth_createAccessList`` returns); the EIP-3155 tracer is
:class:`evm.tracing.Eip3155Tracer`-style objects passed as ``tracer=``.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Set, Tuple

from .machine import decode_revert
from .opcodes import op_name

__all__ = ["Inspector", "CallTracer", "OpcodeCounter", "AccessListBuilder", "hooks_of"]

# the core's H_* bits (evm/_core/journal.pxi)
_HOOK_BITS = {"call_start": 1, "call_end": 1, "create_start": 2, "create_end": 2, "log": 4,
              "storage_write": 8, "selfdestruct": 16}


class Inspector:
    """The inspector protocol; every method does nothing. Depths are 0 for
    the transaction's own frame; addresses are 20-byte ``bytes``."""

    def step(self, pc: int, op: int, gas_left: int, depth: int, stack: List[int],
             memory: bytes) -> None:
        """Before each instruction (``stack``: bottom first)."""

    def call_start(self, kind: str, caller: bytes, to: bytes, value: int, input: bytes,
                   gas: int, depth: int) -> None:
        """A message call starts (``kind``: CALL, CALLCODE, DELEGATECALL,
        STATICCALL; for DELEGATECALL/CALLCODE ``to`` is the code's address)."""

    def call_end(self, success: bool, output: bytes, gas_used: int, error: Optional[str]) -> None:
        """The innermost open call ends (``error``: the spec's name, or None)."""

    def create_start(self, kind: str, caller: bytes, address: bytes, value: int, initcode: bytes,
                     gas: int, depth: int) -> None:
        """A creation (CREATE, CREATE2, or a creation transaction) starts."""

    def create_end(self, success: bool, address: bytes, output: bytes, gas_used: int,
                   error: Optional[str]) -> None:
        """The innermost open creation ends (``output``: the deployed code
        on success, else the revert data)."""

    def log(self, address: bytes, topics: List[bytes], data: bytes) -> None:
        """LOG0..LOG4 ran (the log may still be reverted with its frame)."""

    def storage_write(self, address: bytes, key: int, old: int, new: int) -> None:
        """SSTORE ran (``old``: the slot's value before it)."""

    def selfdestruct(self, address: bytes, beneficiary: bytes, value: int) -> None:
        """SELFDESTRUCT ran, sending ``value`` to ``beneficiary``."""


def _overrides(inspector: Any, name: str) -> bool:
    method = getattr(type(inspector), name, None)
    return method is not None and method is not getattr(Inspector, name)


def hooks_of(inspector: Any) -> Tuple[int, bool]:
    """(the core's hook bits, whether ``step`` is wanted) for ``inspector``:
    the methods it overrides (any method, for an object of another class)."""
    bits = 0
    for name, bit in _HOOK_BITS.items():
        if _overrides(inspector, name):
            bits |= bit
    return bits, _overrides(inspector, "step")


class StepAdapter:
    """Gives an inspector's ``step`` the traced loop's tracer protocol."""

    __slots__ = ("step",)

    def __init__(self, inspector: Any) -> None:
        self.step = inspector.step

    def op_start(self, pc: int, op: int, gas: int, mem_size: int, stack: List[int], depth: int,
                 return_data: bytes, refund: int, memory: bytes = b"") -> None:
        self.step(pc, op, gas, depth - 1, stack, memory)

    def op_gas(self, *args: Any) -> None:
        pass

    def op_end(self, *args: Any) -> None:
        pass

    def op_exception(self, *args: Any) -> None:
        pass

    def precompile_start(self, *args: Any) -> None:
        pass

    def precompile_end(self, *args: Any) -> None:
        pass

    def tx_end(self, *args: Any) -> None:
        pass


#: geth's error messages for the spec's halt names (its callTracer prints these)
GETH_ERRORS = {
    "Revert": "execution reverted",
    "OutOfGasError": "out of gas",
    "InvalidJumpDestError": "invalid jump destination",
    "StackUnderflowError": "stack underflow",
    "StackOverflowError": "stack limit reached",
    "InvalidOpcode": "invalid opcode",
    "WriteInStaticContext": "write protection",
    "OutOfBoundsRead": "return data out of bounds",
    "AddressCollision": "contract address collision",
    "InvalidContractPrefix": "invalid code: must not begin with 0xef",
    "PrecompileFailure": "precompile failed",
}


class CallTracer(Inspector):
    """The call tree as geth's ``callTracer`` reports it: after the call,
    ``result`` is the top frame ({type, from, to, value, gas, gasUsed,
    input, output, error, revertReason, calls}), hex strings as in JSON-RPC.
    ``with_log=True`` adds each frame's logs. Use one tracer per call."""

    def __init__(self, with_log: bool = False) -> None:
        self.with_log = with_log
        self.result: Optional[Dict[str, Any]] = None
        self._open: List[Dict[str, Any]] = []

    def _start(self, kind: str, caller: bytes, to: bytes, value: int, data: bytes, gas: int) -> None:
        frame: Dict[str, Any] = {"type": kind, "from": "0x" + caller.hex(), "to": "0x" + to.hex(),
                                 "value": hex(value), "gas": hex(gas), "gasUsed": "0x0",
                                 "input": "0x" + data.hex()}
        if kind in ("DELEGATECALL", "STATICCALL"):
            del frame["value"]  # geth reports none
        self._open.append(frame)

    def _end(self, success: bool, output: bytes, gas_used: int, error: Optional[str]) -> None:
        frame = self._open.pop()
        frame["gasUsed"] = hex(gas_used)
        if output:
            frame["output"] = "0x" + output.hex()
        if error is not None:
            frame["error"] = GETH_ERRORS.get(error, error)
            reason = decode_revert(output) if error == "Revert" else None
            if reason is not None:
                frame["revertReason"] = reason
            frame.pop("logs", None)  # a failed frame's logs are discarded
        if self._open:
            self._open[-1].setdefault("calls", []).append(frame)
        else:
            self.result = frame

    def call_start(self, kind: str, caller: bytes, to: bytes, value: int, input: bytes,
                   gas: int, depth: int) -> None:
        self._start(kind, caller, to, value, input, gas)

    def call_end(self, success: bool, output: bytes, gas_used: int, error: Optional[str]) -> None:
        self._end(success, output, gas_used, error)

    def create_start(self, kind: str, caller: bytes, address: bytes, value: int, initcode: bytes,
                     gas: int, depth: int) -> None:
        self._start(kind, caller, address, value, initcode, gas)

    def create_end(self, success: bool, address: bytes, output: bytes, gas_used: int,
                   error: Optional[str]) -> None:
        self._end(success, output, gas_used, error)

    def log(self, address: bytes, topics: List[bytes], data: bytes) -> None:
        if self.with_log and self._open:
            self._open[-1].setdefault("logs", []).append(
                {"address": "0x" + address.hex(), "topics": ["0x" + t.hex() for t in topics],
                 "data": "0x" + data.hex()})


class OpcodeCounter(Inspector):
    """Counts the instructions run, by name (``counts``: a Counter)."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()

    def step(self, pc: int, op: int, gas_left: int, depth: int, stack: List[int],
             memory: bytes) -> None:
        self.counts[op_name(op)] += 1


_KEYED = {0x54, 0x55}  # SLOAD, SSTORE: storage of the running contract
_ADDRESSED = {0x31, 0x3B, 0x3C, 0x3F}  # BALANCE, EXTCODESIZE, EXTCODECOPY, EXTCODEHASH
_CALLS = {0xF1: 1, 0xF2: 1, 0xF4: 1, 0xFA: 1}  # the callee is the 2nd stack item from the top


class AccessListBuilder(Inspector):
    """Collects the addresses and storage keys a call touches, as
    ``eth_createAccessList`` does: ``access_list(sender, to)`` leaves out
    the sender, the callee and the precompiles."""

    def __init__(self) -> None:
        self.touched: Dict[bytes, Set[int]] = {}
        self._context: List[bytes] = []

    def _add(self, address: bytes, key: Optional[int] = None) -> None:
        keys = self.touched.setdefault(address, set())
        if key is not None:
            keys.add(key)

    def call_start(self, kind: str, caller: bytes, to: bytes, value: int, input: bytes,
                   gas: int, depth: int) -> None:
        # storage context: DELEGATECALL and CALLCODE run on the caller's account
        self._context.append(caller if kind in ("DELEGATECALL", "CALLCODE") else to)
        self._add(to)

    def call_end(self, success: bool, output: bytes, gas_used: int, error: Optional[str]) -> None:
        self._context.pop()

    def create_start(self, kind: str, caller: bytes, address: bytes, value: int, initcode: bytes,
                     gas: int, depth: int) -> None:
        self._context.append(address)
        self._add(address)

    def create_end(self, success: bool, address: bytes, output: bytes, gas_used: int,
                   error: Optional[str]) -> None:
        self._context.pop()

    def step(self, pc: int, op: int, gas_left: int, depth: int, stack: List[int],
             memory: bytes) -> None:
        if op in _KEYED and stack and self._context:
            self._add(self._context[-1], stack[-1])
        elif op in _ADDRESSED and stack:
            self._add((stack[-1] & ((1 << 160) - 1)).to_bytes(20, "big"))
        elif op in _CALLS and len(stack) >= 2:
            self._add((stack[-2] & ((1 << 160) - 1)).to_bytes(20, "big"))

    def access_list(self, sender: bytes, to: Optional[bytes], fork: Any = None) -> List[Tuple[bytes, List[int]]]:
        """[(address, [keys sorted])] without ``sender``, ``to`` (when it has
        no keys) and the precompiles of ``fork`` (default: the newest)."""
        from . import precompiles
        from .forks import Fork
        fork = fork if fork is not None else max(Fork)
        skip = {a.to_bytes(20, "big") for a in precompiles.precompile_addresses(fork)}
        result = []
        for address, keys in self.touched.items():
            if address == sender or address in skip or (address == to and not keys):
                continue
            result.append((address, sorted(keys)))
        return result

