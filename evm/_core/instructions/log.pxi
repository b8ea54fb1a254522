# LOG0..LOG4 (spec: vm/instructions/log.py).

cdef inline int op_log_n(VM vm, Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, int n, Tracing* mode) except -1:
    """LOGn: offset, size, topic1..topicn -> (a log of current_target).
    Gas: GAS_LOG + GAS_LOG_TOPIC * n (the base) + GAS_LOG_DATA per byte +
    memory expansion; not in a static context."""
    cdef uint64_t size = u256_sat(&sp[-2])
    cdef u256 topics[4]
    cdef int i
    cdef int st = charge_memory(f, gas, base, sat_mul(GAS_LOG_DATA, size), region_end(&sp[-1], &sp[-2]), mode)
    if st:
        return st
    if msg.is_static:
        return S_WRITE_IN_STATIC
    for i in range(n):
        topics[i] = sp[-3 - i]
    vm.j.add_log(vm.j.accts[msg.target].addr, topics, <uint32_t>n,
                 f.mem.buf + (sp[-1].w[0] if size else 0), size)
    return S_SUCCESS
