# What the traced build of the loop reports to a tracer (see evm.tracing for
# the hooks), and what the counting build counts (see evm.profile). The plain
# build does neither: `Tracing is TraceOn` / `Tracing is TraceCount` checks
# are resolved when the fused loop is specialised.

cdef struct TraceOn:
    int unused
cdef struct TraceOff:
    int unused
cdef struct TraceCount:
    int unused
ctypedef fused Tracing:
    TraceOn
    TraceOff
    TraceCount

cdef object stack_list(const u256* base, const u256* sp):
    cdef const u256* p = base
    result = []
    while p < sp:
        result.append(u256_to_pyint(p))
        p += 1
    return result

cdef int trace_op_start(object tracer, int64_t refund, Msg* msg, Frame* f, const u256* stack,
                        const u256* sp, uint64_t pc, int op, int64_t gas) except -1:
    """An instruction is about to run (op_start)."""
    tracer.op_start(pc, op, gas, f.mem.size, stack_list(stack, sp), msg.depth + 1,
                    mkbytes(f.rdata, f.rdata_len), refund,
                    memory=mkbytes(f.mem.buf, f.mem.size))
    return 0

cdef int trace_gas(Frame* f, uint64_t cost, int64_t refund) except -1:
    """The running instruction charges `cost` (spec: charge_gas), reported
    before the out-of-gas check; a saturated cost is one beyond 64 bits."""
    (<object>f.tracer).op_gas((1 << 64) if cost == GAS_SAT else cost, refund)
    return 0


# -- the counting build ------------------------------------------------------
# f.tracer points at an OpCounter's OpCounts; the loop counts every
# instruction it starts (as an EIP-3155 trace has one line per started
# instruction) and the gas each one is charged.

cdef enum:
    COUNT_DEPTHS = 16   # executions per call depth: 0..14, and 15 = "15 or deeper"

cdef struct OpCounts:
    uint64_t n[256]             # instructions started
    uint64_t static_gas[256]    # the opcode's base gas, charged
    uint64_t dynamic_gas[256]   # what charge() took beyond the base (less gas handed to a callee)
    uint64_t by_depth[COUNT_DEPTHS][256]
    int op                      # the running instruction (charge() attributes to it)

cdef inline void count_op(Frame* f, int op, int depth) noexcept nogil:
    cdef OpCounts* c = <OpCounts*>f.tracer
    c.n[op] += 1
    c.by_depth[depth if depth < COUNT_DEPTHS else COUNT_DEPTHS - 1][op] += 1
    c.op = op

cdef inline void count_gas(Frame* f, uint64_t base, uint64_t cost) noexcept nogil:
    cdef OpCounts* c = <OpCounts*>f.tracer
    c.static_gas[c.op] += base
    c.dynamic_gas[c.op] += cost


@cython.final
cdef class OpCounter:
    """Per-opcode counts of everything run while it is the VM's tracer: the
    core then runs its counting build of the loop (no Python call per
    instruction). Pass it wherever a tracer goes (``apply_transaction(...,
    tracer=counter)``, ``EVM(tracer=counter)``); it accumulates across runs
    until :meth:`reset`. ``evm.profile`` is the friendly interface."""
    cdef OpCounts c
    cdef readonly uint64_t transactions
    cdef readonly uint64_t precompile_calls

    def __cinit__(self):
        memset(&self.c, 0, sizeof(OpCounts))

    def reset(self) -> None:
        """Forget everything counted so far."""
        memset(&self.c, 0, sizeof(OpCounts))
        self.transactions = 0
        self.precompile_calls = 0

    def counts(self) -> dict:
        """``{opcode: (executions, static gas, dynamic gas)}`` for every
        opcode started at least once."""
        cdef int op
        return {op: (self.c.n[op], self.c.static_gas[op], self.c.dynamic_gas[op])
                for op in range(256) if self.c.n[op]}

    def by_depth(self) -> dict:
        """``{depth: {opcode: executions}}`` (depth 0 is the transaction's
        own frame; the last bucket, 15, holds that depth and deeper)."""
        cdef int d, op
        return {d: {op: self.c.by_depth[d][op] for op in range(256) if self.c.by_depth[d][op]}
                for d in range(COUNT_DEPTHS)
                if any(self.c.by_depth[d][op] for op in range(256))}

    # the hooks the core calls on any tracer outside the loop
    def precompile_start(self, address) -> None:
        self.precompile_calls += 1

    def precompile_end(self) -> None:
        pass

    def tx_end(self, gas_used, output, error) -> None:
        self.transactions += 1

    def flush(self) -> None:
        pass
