# Storage instructions (spec: vm/instructions/storage.py).

# SSTORE's gas and refund by fork and storage status (see storage_status):
# the rules of Frontier, EIP-1283 (Constantinople only), EIP-2200 (Istanbul),
# EIP-2929 (Berlin: the cold surcharge is added apart) and EIP-3529 (London).
cdef int64_t SSTORE_COST[N_FORKS][N_STORAGE_STATUS]
cdef int64_t SSTORE_REFUND[N_FORKS][N_STORAGE_STATUS]

def _build_sstore_tables():
    cdef int f, s
    cdef int64_t sload_gas, reset, clear
    for f in range(N_FORKS):
        if f < F_CONSTANTINOPLE or f == F_PETERSBURG:
            # set 20000 when a zero becomes non-zero, else 5000; refund a clear
            for s in range(N_STORAGE_STATUS):
                SSTORE_COST[f][s] = GAS_STORAGE_UPDATE
                SSTORE_REFUND[f][s] = 0
            for s in (SS_ADDED, SS_DELETED_ADDED, SS_DELETED_RESTORED):
                SSTORE_COST[f][s] = GAS_STORAGE_SET
            for s in (SS_DELETED, SS_MODIFIED_DELETED, SS_ADDED_DELETED):
                SSTORE_REFUND[f][s] = GAS_STORAGE_CLEAR_REFUND
            continue
        # net gas metering
        if f >= F_BERLIN:
            sload_gas = GAS_WARM_ACCESS
            reset = GAS_STORAGE_UPDATE - GAS_COLD_SLOAD
        else:
            sload_gas = GAS_SLOAD_ISTANBUL if f >= F_ISTANBUL else GAS_SLOAD_FRONTIER
            reset = GAS_STORAGE_UPDATE
        clear = GAS_STORAGE_CLEAR_REFUND_LONDON if f >= F_LONDON else GAS_STORAGE_CLEAR_REFUND
        for s, cost, refund in (
                (SS_ASSIGNED, sload_gas, 0),
                (SS_ADDED, GAS_STORAGE_SET, 0),
                (SS_DELETED, reset, clear),
                (SS_MODIFIED, reset, 0),
                (SS_DELETED_ADDED, sload_gas, -clear),
                (SS_MODIFIED_DELETED, sload_gas, clear),
                (SS_DELETED_RESTORED, sload_gas, reset - sload_gas - clear),
                (SS_ADDED_DELETED, sload_gas, GAS_STORAGE_SET - sload_gas),
                (SS_MODIFIED_RESTORED, sload_gas, reset - sload_gas)):
            SSTORE_COST[f][s] = cost
            SSTORE_REFUND[f][s] = refund

_build_sstore_tables()

cdef inline int op_sload(VM vm, Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """SLOAD: key -> storage[current_target][key]. Gas: the base (GAS_SLOAD,
    or GAS_WARM_ACCESS from Berlin) + the EIP-2929 cold surcharge."""
    cdef int64_t cold = vm.j.sload(msg.target, &sp[-1], &sp[-1])
    cdef int st
    if vm.fork >= F_BERLIN and cold:
        st = charge(f, gas, base, GAS_COLD_SLOAD - GAS_WARM_ACCESS, mode)
    else:
        st = charge(f, gas, base, 0, mode)
    return st

cdef inline int op_sstore(VM vm, Msg* msg, Frame* f, int64_t* gas, uint64_t base, u256* sp, Tracing* mode) except -1 nogil:
    """SSTORE: key, value -> storage[current_target][key] = value. Gas and
    refund from the tables above (+ GAS_COLD_SLOAD if cold); from Istanbul it
    fails when no more than the call stipend is left (EIP-2200)."""
    cdef int fork = vm.fork, status, st
    cdef bint cold
    if fork >= F_ISTANBUL and gas[0] <= GAS_CALL_STIPEND:
        return S_OUT_OF_GAS
    status = vm.j.sstore(msg.target, &sp[-1], &sp[-2], &cold)
    vm.j.refund_counter += SSTORE_REFUND[fork][status]
    st = charge(f, gas, base, SSTORE_COST[fork][status] + (GAS_COLD_SLOAD if (cold and fork >= F_BERLIN) else 0), mode)
    if st:
        return st
    if msg.is_static:
        return S_WRITE_IN_STATIC
    return S_SUCCESS

cdef inline int op_tload(VM vm, Msg* msg, u256* sp) except -1 nogil:
    """TLOAD (EIP-1153): key -> transient storage value. Gas: GAS_WARM_ACCESS."""
    return vm.j.tload(msg.target, &sp[-1], &sp[-1])

cdef inline int op_tstore(VM vm, Msg* msg, u256* sp) except -1 nogil:
    """TSTORE (EIP-1153): key, value -> (transient storage). Gas: GAS_WARM_ACCESS."""
    if msg.is_static:
        return S_WRITE_IN_STATIC
    vm.j.tstore(msg.target, &sp[-1], &sp[-2])
    return S_SUCCESS
