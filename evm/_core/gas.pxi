# charge_gas: where every instruction with dynamic gas pays, once.

cdef inline int charge(Frame* f, int64_t* gas, uint64_t base, uint64_t cost, Tracing* mode) except -1 nogil:
    """Charge the running instruction's `base` gas plus `cost` in one go, as
    the spec's charge_gas does (the traced build reports the amount first, so
    an out-of-gas line shows what was attempted). Returns a status."""
    cdef uint64_t dynamic = cost
    cost = sat_add(cost, base)
    if Tracing is TraceOn:
        with gil:
            trace_gas(f, cost, f.refund_counter[0])
    if cost > <uint64_t>gas[0]:
        return S_OUT_OF_GAS
    gas[0] -= <int64_t>cost
    if Tracing is TraceCount:
        count_gas(f, base, dynamic)
    return S_SUCCESS

cdef inline int charge_memory(Frame* f, int64_t* gas, uint64_t base, uint64_t cost, uint64_t end,
                              Tracing* mode) except -1 nogil:
    """Charge `base` + `cost` + the expansion to cover [0, end), then expand."""
    cdef int st = charge(f, gas, base, sat_add(cost, extend_memory_cost(&f.mem, end)), mode)
    if st:
        return st
    return extend_memory(&f.mem, end)
