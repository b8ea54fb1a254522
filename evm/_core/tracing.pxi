# What the traced build of the loop reports to a tracer (see evm.tracing for
# the hooks). The plain build never calls these: `Tracing is TraceOn` checks
# are resolved when the fused loop is specialised.

cdef struct TraceOn:
    int unused
cdef struct TraceOff:
    int unused
ctypedef fused Tracing:
    TraceOn
    TraceOff

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
