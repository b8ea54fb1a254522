"""EIP-3155 tracing: one JSON line per executed instruction.

:class:`EIP3155Tracer` receives the hooks the compiled core calls and writes
the same lines, field for field, as the execution specs' tracer
(``ethereum-spec-evm statetest --json``, i.e. the t8n ``Eip3155Tracer``)::

    {"pc":0,"op":96,"gas":"0x5c878","gasCost":"0x3","memSize":0,"stack":[],
     "returnData":"0x","depth":1,"refund":0,"opName":"PUSH1"}
    ...
    {"output":"","gasUsed":"0x5660"}

``pc``, ``op``, ``memSize``, ``depth`` and ``refund`` are JSON numbers;
``gas``, ``gasCost`` and the stack items are ``0x`` hex strings; ``memory``
(only when enabled and non-empty) and ``returnData`` are ``0x`` hex; the
final line's ``output`` is hex *without* ``0x`` and ``gasUsed`` is hex (gas
used by the top frame, intrinsic gas excluded, before refunds). ``returnData``
is absent before Byzantium (no RETURNDATA then). A ``gasCost`` above 64 bits
is left out, as the spec does.

Hooks (all called by the core; ``depth`` is 1-based)::

    op_start(pc, op, gas_left, memory_size, stack, depth, return_data, refund, memory=None)
    op_gas(gas_cost, refund=None)   # the instruction's gas charge (spec GasAndRefund)
    op_end(gas_left, refund=None)
    op_exception(error)             # spec exception class name, "Revert" included
    precompile_start(address); precompile_end()
    tx_end(gas_used, output, error)

How the spec decides a line's ``gasCost`` and ``error``, reproduced here: a
line is created at ``op_start``; the *first* gas charge while it is the last
line sets its ``gasCost`` and ``refund`` (``op_gas``); ``op_end`` closes it;
``op_exception`` puts the error on the last line if that line is still open,
and for ``InvalidOpcode`` turns the line into ``opName: "InvalidOpcode"``
with ``gasCost`` 0. Precompiles get a hidden line, so events during and after
them never touch the caller's line. When the core does not call ``op_gas``,
``op_end`` falls back to ``gasCost = gas at start - gas at end`` of that
instruction and to the refund it is given (exact for every instruction that
does not start a sub-call and does not fail).

Lines are written as soon as nothing can change them any more, so memory use
stays small even for long traces.
"""
from __future__ import annotations

import json
import sys
from typing import Any, Dict, List, Optional, Protocol, TextIO, runtime_checkable

from .forks import Fork

__all__ = ["Tracer", "EIP3155Tracer", "spec_op_name", "write_state_root"]


@runtime_checkable
class Tracer(Protocol):
    """What the compiled core calls on a tracer (all hooks are required;
    ``depth`` is 1-based). With a tracer the core runs its traced loop."""

    def op_start(self, pc: int, op: int, gas_left: int, memory_size: int, stack: List[int], depth: int,
                 return_data: bytes, refund: int, memory: Optional[bytes] = None) -> None:
        """An instruction is about to run."""

    def op_gas(self, gas_cost: int, refund: Optional[int] = None) -> None:
        """The running instruction charges ``gas_cost`` (before the out-of-gas check)."""

    def op_end(self, gas_left: int, refund: Optional[int] = None) -> None:
        """The instruction finished normally."""

    def op_exception(self, error: str) -> None:
        """The instruction ended its frame with ``error`` (a spec exception name)."""

    def precompile_start(self, address: bytes) -> None:
        """A precompile runs."""

    def precompile_end(self) -> None:
        """The precompile returned normally."""

    def tx_end(self, gas_used: int, output: bytes, error: Optional[str]) -> None:
        """The top frame ended."""

# Spellings of the execution specs' ``Ops`` enum where they differ from
# evm.opcodes (the spec's name is what the trace prints).
_SPEC_RENAMES = {0x20: "KECCAK"}


def spec_op_name(op: int, fork: Fork = Fork.CANCUN) -> str:
    """The opcode name the execution specs print in ``opName`` under ``fork``."""
    if op in _SPEC_RENAMES:
        return _SPEC_RENAMES[op]
    if op == 0x44:
        return "PREVRANDAO" if fork >= Fork.PARIS else "DIFFICULTY"
    from .opcodes import op_name

    return op_name(op)


def write_state_root(stream: TextIO, root: bytes) -> None:
    """Write the ``{"stateRoot": "0x…"}`` line the spec's statetest prints after each case."""
    # json.dumps with default separators, as the spec writes it (note the space).
    stream.write(json.dumps({"stateRoot": "0x" + root.hex()}) + "\n")


class _Line:
    """One pending trace line plus the spec tracer's bookkeeping flags."""

    __slots__ = ("fields", "gas_cost_traced", "error_traced", "hidden", "depth", "start_gas")

    def __init__(self, fields: Dict[str, Any], depth: int, start_gas: int, hidden: bool = False) -> None:
        self.fields = fields
        self.depth = depth
        self.start_gas = start_gas
        self.hidden = hidden  # precompile placeholder, never written
        self.gas_cost_traced = False
        self.error_traced = False


class EIP3155Tracer:
    """Write an EIP-3155 trace to ``stream`` in the execution specs' format.

    Args:
        stream: text stream for the JSON lines (default ``sys.stderr``).
        fork: decides ``returnData`` (Byzantium+) and the name of opcode 0x44.
        memory: include ``memory`` (hex) when the core passes it and it is
            non-empty; the spec's ``statetest`` does by default.
        stack: include ``stack``.
        return_data: include ``returnData`` (from Byzantium).
    """

    def __init__(
        self,
        stream: Optional[TextIO] = None,
        *,
        fork: Fork = Fork.CANCUN,
        memory: bool = True,
        stack: bool = True,
        return_data: bool = True,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.fork = Fork(fork)
        self.trace_memory = memory
        self.trace_stack = stack
        self.trace_return_data = return_data
        self._pending: List[_Line] = []
        # Lines whose instruction has not finished yet (one per active frame).
        self._open: List[_Line] = []
        self._names: Dict[int, str] = {}

    # -- bookkeeping ---------------------------------------------------------
    def reset(self) -> None:
        """Drop anything buffered (start of a new transaction)."""
        self._pending.clear()
        self._open.clear()

    def _name(self, op: int) -> str:
        name = self._names.get(op)
        if name is None:
            name = self._names[op] = spec_op_name(op, self.fork)
        return name

    def _last(self) -> Optional[_Line]:
        return self._pending[-1] if self._pending else None

    def _flush(self, everything: bool = False) -> None:
        """Write the leading lines nothing can change any more."""
        pending = self._pending
        n = len(pending) if everything else len(pending) - 1  # the last line may still change
        i = 0
        write = self.stream.write
        while i < n:
            line = pending[i]
            # An open line whose cost is still unknown waits for op_end's fallback.
            if not everything and not line.gas_cost_traced and line in self._open:
                break
            if not line.hidden:
                write(json.dumps(line.fields, separators=(",", ":")) + "\n")
            i += 1
        if i:
            del pending[:i]

    def _set_gas_cost(self, line: _Line, gas_cost: int) -> None:
        if gas_cost.bit_length() > 64:
            # The spec drops a gasCost that does not fit in 64 bits.
            line.fields.pop("gasCost", None)
        else:
            line.fields["gasCost"] = hex(gas_cost)

    # -- hooks ---------------------------------------------------------------
    def op_start(
        self,
        pc: int,
        op: int,
        gas_left: int,
        memory_size: int,
        stack: List[int],
        depth: int,
        return_data: bytes,
        refund: int,
        memory: Optional[bytes] = None,
    ) -> None:
        """An instruction is about to run (also for an undefined opcode, before op_exception)."""
        fields: Dict[str, Any] = {"pc": pc, "op": op, "gas": hex(gas_left), "gasCost": "0x0"}
        if self.trace_memory and memory_size > 0 and memory is not None:
            fields["memory"] = "0x" + bytes(memory[:memory_size]).hex()
        fields["memSize"] = memory_size
        if self.trace_stack:
            fields["stack"] = [hex(x) for x in stack]
        if self.trace_return_data and self.fork >= Fork.BYZANTIUM:
            fields["returnData"] = "0x" + bytes(return_data).hex()
        fields["depth"] = depth
        fields["refund"] = refund
        fields["opName"] = self._name(op)
        line = _Line(fields, depth, gas_left)
        # Frames deeper than this one have ended; their open lines are closed.
        while self._open and self._open[-1].depth >= depth:
            self._open.pop()
        self._open.append(line)
        self._pending.append(line)
        self._flush()

    def op_gas(self, gas_cost: int, refund: Optional[int] = None) -> None:
        """Gas is being charged (spec ``GasAndRefund``): the first charge sets the last line's cost.

        Call it with the amount about to be deducted, *before* the out-of-gas
        check (the spec shows the attempted cost on an ``OutOfGasError`` line),
        and with the refund counter at that moment.
        """
        line = self._last()
        if line is None or line.gas_cost_traced:
            return
        self._set_gas_cost(line, gas_cost)
        if refund is not None:
            line.fields["refund"] = refund
        line.gas_cost_traced = True

    def op_end(self, gas_left: int, refund: Optional[int] = None) -> None:
        """The instruction finished normally (spec ``OpEnd``).

        Without ``op_gas`` its cost is taken as the gas difference since
        ``op_start`` and its refund as ``refund`` (the counter after the
        instruction, which is what the spec shows for SSTORE).
        """
        own = self._open.pop() if self._open else None
        if own is not None and not own.gas_cost_traced:
            self._set_gas_cost(own, own.start_gas - gas_left)
            if refund is not None:
                own.fields["refund"] = refund
            own.gas_cost_traced = True
        last = self._last()
        if last is not None:
            last.gas_cost_traced = True
            last.error_traced = True
        self._flush()

    def op_exception(self, error: str) -> None:
        """The instruction ended its frame with ``error`` (spec ``OpException``)."""
        last = self._last()
        if last is not None and last.hidden:
            # A precompile failed: its hidden line takes the error; no instruction ended.
            if not last.error_traced:
                last.error_traced = True
            return
        own = self._open.pop() if self._open else None
        if error == "InvalidOpcode" and own is not None and own is last:
            # The spec never starts an undefined opcode: its line is made at the
            # exception, with the opcode byte, no cost and opName InvalidOpcode.
            own.fields["gasCost"] = "0x0"
            own.fields["opName"] = "InvalidOpcode"
            own.fields["error"] = error
            own.gas_cost_traced = own.error_traced = True
        elif last is not None and not last.error_traced:
            last.fields["error"] = error
            last.error_traced = True
        self._flush()

    def precompile_start(self, address: bytes) -> None:
        """A precompile runs; its (hidden) line shields the caller's line."""
        depth = (self._open[-1].depth + 1) if self._open else 1
        self._pending.append(_Line({}, depth, 0, hidden=True))
        self._flush()

    def precompile_end(self) -> None:
        """The precompile returned normally (spec ``PrecompileEnd``)."""
        last = self._last()
        if last is not None:
            last.gas_cost_traced = True
            last.error_traced = True

    def flush(self) -> None:
        """Write every pending line now (the end of a transaction without ``tx_end``)."""
        self._flush(everything=True)
        self._open.clear()

    def tx_end(self, gas_used: int, output: bytes, error: Optional[str]) -> None:
        """The top frame ended: write everything and the summary line.

        ``gas_used`` is the gas the top frame consumed (its gas minus gas left,
        intrinsic gas excluded, refunds not applied) and ``error`` the spec
        exception name of its failure (``"Revert"``, ``"OutOfGasError"``, …).
        """
        self._flush(everything=True)
        self._open.clear()
        final: Dict[str, Any] = {"output": bytes(output).hex(), "gasUsed": hex(gas_used)}
        if error:
            final["error"] = error
        self.stream.write(json.dumps(final, separators=(",", ":")) + "\n")
        try:
            self.stream.flush()
        except (AttributeError, ValueError):
            pass
