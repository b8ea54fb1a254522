# The interpreter loop (spec: vm/interpreter.py execute_code), written once
# and compiled twice through the fused type Tracing: plain and traced.
#
# Before every instruction one table entry (OP_META) answers "defined?",
# "stack under/overflow?" and charges the static base gas; the bodies (in
# instructions/) hold only semantics and dynamic gas. Cheap instructions run
# in run_inner, a function that makes no calls in the plain build, so pc, sp
# and gas stay in registers; the rest return to execute_code's outer loop.

from cpython.exc cimport PyErr_CheckSignals
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

cdef enum:
    S_OUTER = -1          # run_inner: "run this instruction in the outer loop"
    S_CHECK_SIGNALS = -3  # run_inner: "let Python handle pending signals, then go on"
    SIGNAL_CHECK_JUMPS = 65536  # jumps between signal checks: well under 0.1 s
    GIL_HOLD_JUMPS = 256        # jumps a frame runs holding the GIL before it lets it go
    SIGNAL_CHECK_FRAMES = 1024  # frames started between signal checks (a call tree without loops)

cdef struct LoopState:
    uint64_t pc
    u256* sp
    int64_t gas
    int op
    bint open_op
    uint32_t jumps_left   # taken jumps until the next signal check (plain loop)

cdef inline double monotonic_now() noexcept nogil:
    cdef timespec t
    clock_gettime(CLOCK_MONOTONIC, &t)
    return <double>t.tv_sec + <double>t.tv_nsec * 1e-9

cdef int check_interrupts(VM vm) except -1:
    """Where a long run can be stopped (every SIGNAL_CHECK_JUMPS jumps and
    at every frame's start): pending signals (Ctrl-C raises
    KeyboardInterrupt here) and the call's timeout (ExecutionTimeout)."""
    PyErr_CheckSignals()
    if vm.deadline != 0 and monotonic_now() > vm.deadline:
        from evm.errors import ExecutionTimeout
        raise ExecutionTimeout(f"the call ran longer than its timeout of {vm.timeout:g} s")
    return 0

cdef inline int stack_error(int op, bint underflow, bint out_of_gas) noexcept nogil:
    """Which halt a failed stack check reports, in the spec's order: an op
    that pops its arguments underflows before charging gas, DUP/SWAP charge
    first, and pushing onto a full stack comes after the charge."""
    if underflow and not (0x80 <= op <= 0x9F):
        return S_STACK_UNDERFLOW
    if out_of_gas:
        return S_OUT_OF_GAS
    return S_STACK_UNDERFLOW if underflow else S_STACK_OVERFLOW

cdef int run_inner(VM vm, Msg* msg, Frame* f, LoopState* ls, const uint8_t* code,
                   const uint8_t* jumpdest, uint64_t code_size, u256* stack, const OpMeta* meta,
                   Tracing* mode) except? -2 nogil:
    """Run cheap instructions until one that needs the outer loop (returned
    as S_OUTER with ls.op checked and its static gas charged) or a halt."""
    cdef uint64_t pc = ls.pc, h
    cdef u256* sp = ls.sp
    cdef int64_t gas = ls.gas
    cdef int op = 0, status = S_SUCCESS
    cdef bint open_op = False
    cdef uint32_t jumps_left = ls.jumps_left
    cdef const OpMeta* m
    while True:
        op = code[pc]
        if Tracing is TraceOn:
            if pc >= code_size:
                # Running off the end: the spec shows a STOP line (pc past the
                # code) unless the code is empty; it charges nothing.
                if code_size:
                    with gil:
                        trace_op_start(<object>f.tracer, vm.j.refund_counter, msg, f, stack, sp, pc, 0x00, gas)
                        (<object>f.tracer).op_end(gas)
                break
            with gil:
                trace_op_start(<object>f.tracer, vm.j.refund_counter, msg, f, stack, sp, pc, op, gas)
            open_op = True
        if Tracing is TraceCount:
            if code_size:  # running off the end of code is a STOP (none for empty code)
                count_op(f, op, msg.depth)
        m = &meta[op]
        h = <uint64_t>(<char*>sp - <char*>stack)
        if Tracing is TraceOn:
            if m.gas < 0:
                status = S_INVALID_OPCODE
                break
            if h - m.req > m.span:  # unsigned: also catches h < req
                status = stack_error(op, h < m.req, gas < m.gas)
                if status != S_STACK_UNDERFLOW or 0x80 <= op <= 0x9F:
                    with gil:
                        trace_gas(f, m.gas, vm.j.refund_counter)  # charged, then failed
                break
            if m.gas > 0:  # the static charge (a dynamic op reports its own)
                with gil:
                    trace_gas(f, m.gas, vm.j.refund_counter)
            if gas < m.gas:
                status = S_OUT_OF_GAS
                break
        elif h - m.req > m.span or gas < m.gas:
            # one test for every failure (an undefined op fails the stack
            # test, see _build_op_table); then which one, in the spec's order
            if m.gas < 0:
                status = S_INVALID_OPCODE
            elif h - m.req > m.span:
                status = stack_error(op, h < m.req, gas < m.gas)
            else:
                status = S_OUT_OF_GAS
            break
        gas -= m.gas
        if Tracing is TraceCount:
            count_gas(f, m.gas, 0)

        if op == 0x01:
            op_add(sp)
        elif op == 0x02:
            op_mul(sp)
        elif op == 0x03:
            op_sub(sp)
        elif op == 0x0B:
            op_signextend(sp)
        elif op == 0x10:
            op_less_than(sp)
        elif op == 0x11:
            op_greater_than(sp)
        elif op == 0x12:
            op_signed_less_than(sp)
        elif op == 0x13:
            op_signed_greater_than(sp)
        elif op == 0x14:
            op_equal(sp)
        elif op == 0x15:
            op_is_zero(sp)
        elif op == 0x16:
            op_bitwise_and(sp)
        elif op == 0x17:
            op_bitwise_or(sp)
        elif op == 0x18:
            op_bitwise_xor(sp)
        elif op == 0x19:
            op_bitwise_not(sp)
        elif op == 0x1A:
            op_get_byte(sp)
        elif op == 0x1B:
            op_bitwise_shl(sp)
        elif op == 0x1C:
            op_bitwise_shr(sp)
        elif op == 0x1D:
            op_bitwise_sar(sp)
        elif op == 0x1E:
            op_count_leading_zeros(sp)
        elif op == 0x30:
            op_address(vm, msg, sp)
        elif op == 0x32:
            op_origin(vm, sp)
        elif op == 0x33:
            op_caller(vm, msg, sp)
        elif op == 0x34:
            op_callvalue(msg, sp)
        elif op == 0x36:
            op_calldatasize(msg, sp)
        elif op == 0x38:
            op_codesize(code_size, sp)
        elif op == 0x3A:
            op_gasprice(vm, sp)
        elif op == 0x3D:
            op_returndatasize(f, sp)
        elif op == 0x41:
            op_coinbase(vm, sp)
        elif op == 0x42:
            op_timestamp(vm, sp)
        elif op == 0x43:
            op_number(vm, sp)
        elif op == 0x44:
            op_prev_randao(vm, sp)
        elif op == 0x45:
            op_gas_limit(vm, sp)
        elif op == 0x46:
            op_chain_id(vm, sp)
        elif op == 0x47:
            op_self_balance(vm, msg, sp)
        elif op == 0x48:
            op_base_fee(vm, sp)
        elif op == 0x4A:
            op_blob_base_fee(vm, sp)
        elif op == 0x50:
            pass  # POP: the table's stack change is the whole instruction
        elif op == 0x51:
            if not mem_covers(&f.mem, &sp[-1], 32):
                status = S_OUTER  # expansion is paid in the outer loop
                break
            status = op_mload(f, &gas, m.base, sp, mode)
            if status:
                break
        elif op == 0x52:
            if not mem_covers(&f.mem, &sp[-1], 32):
                status = S_OUTER
                break
            status = op_mstore(f, &gas, m.base, sp, mode)
            if status:
                break
        elif op == 0x56 or op == 0x57:
            status = op_jump(jumpdest, code_size, sp, &pc) if op == 0x56 else \
                op_jumpi(jumpdest, code_size, sp, &pc)
            if status:
                break
            if Tracing is TraceOff or Tracing is TraceCount:
                # every loop jumps: count jumps so Ctrl-C can stop any run
                # (the traced loop runs Python, which sees signals itself)
                jumps_left -= 1
                if jumps_left == 0:
                    sp = <u256*>(<char*>sp + m.delta)
                    pc += 1
                    status = S_CHECK_SIGNALS
                    break
        elif op == 0x58:
            op_pc(pc, sp)
        elif op == 0x59:
            op_msize(f, sp)
        elif op == 0x5A:
            op_gas_left(gas, sp)
        elif op == 0x5B:
            if Tracing is TraceOff:  # the traced loop shows every step
                pc = op_jumpdest_run(code, pc, &gas)
        elif op == 0x5F:
            pc = op_push_n(code, pc, 0, sp)
        elif op == 0x60:
            pc = op_push_n(code, pc, 1, sp)
        elif op in (0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f):
            pc = op_push_n(code, pc, op - 0x5F, sp)
        elif op in (0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f):
            op_dup_n(op - 0x7F, sp)
        elif op in (0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f):
            op_swap_n(op - 0x8F, sp)
        else:
            status = S_OUTER  # checked and charged; executed by the caller
            break
        sp = <u256*>(<char*>sp + m.delta)
        pc += 1
        if Tracing is TraceOn:
            with gil:
                (<object>f.tracer).op_end(gas)
            open_op = False
    ls.pc = pc
    ls.sp = sp
    ls.gas = gas
    ls.op = op
    ls.open_op = open_op
    ls.jumps_left = jumps_left
    return status

cdef int run_unlocked(VM vm, Msg* msg, Frame* f, LoopState* ls, const uint8_t* code,
                      const uint8_t* jumpdest, uint64_t code_size, u256* stack, const OpMeta* meta,
                      uint8_t** out, uint64_t* out_len, Tracing* mode) except? -2 nogil:
    """run_inner, plus the outer instructions that need Python at most for a
    cold load (division, EXP, KECCAK256, memory, the copies, storage, BALANCE
    and the like, RETURN): everything the plain loop runs without the GIL
    (the journal takes it back for a cold miss). Returns S_OUTER (ls.op checked and charged) for an
    instruction that needs the GIL, S_CHECK_SIGNALS, or how the frame ended."""
    cdef int status, op
    cdef uint64_t base
    cdef u256* sp
    while True:
        status = run_inner(vm, msg, f, ls, code, jumpdest, code_size, stack, meta, mode)
        if status != S_OUTER:
            return status
        op = ls.op
        sp = ls.sp
        base = <uint64_t>meta[op].base
        status = S_SUCCESS
        if op == 0x00:  # STOP
            return S_SUCCESS
        elif op == 0x04:
            op_div(sp)
        elif op == 0x05:
            op_sdiv(sp)
        elif op == 0x06:
            op_mod(sp)
        elif op == 0x07:
            op_smod(sp)
        elif op == 0x08:
            op_addmod(sp)
        elif op == 0x09:
            op_mulmod(sp)
        elif op == 0x0A:
            status = op_exp(vm.fork, f, &ls.gas, base, sp, mode)
        elif op == 0x20:
            status = op_keccak(f, &ls.gas, base, sp, mode)
        elif op == 0x31:
            status = op_balance(vm, f, &ls.gas, base, sp, mode)
        elif op == 0x35:
            op_calldataload(msg, sp)
        elif op == 0x37:
            status = op_calldatacopy(msg, f, &ls.gas, base, sp, mode)
        elif op == 0x39:
            status = op_codecopy(code, code_size, f, &ls.gas, base, sp, mode)
        elif op == 0x3B:
            status = op_extcodesize(vm, f, &ls.gas, base, sp, mode)
        elif op == 0x3E:
            status = op_returndatacopy(f, &ls.gas, base, sp, mode)
        elif op == 0x3F:
            status = op_extcodehash(vm, f, &ls.gas, base, sp, mode)
        elif op == 0x49:
            op_blob_hash(vm, sp)
        elif op == 0x51:
            status = op_mload(f, &ls.gas, base, sp, mode)
        elif op == 0x52:
            status = op_mstore(f, &ls.gas, base, sp, mode)
        elif op == 0x53:
            status = op_mstore8(f, &ls.gas, base, sp, mode)
        elif op == 0x54:
            status = op_sload(vm, msg, f, &ls.gas, base, sp, mode)
        elif op == 0x55:
            status = op_sstore(vm, msg, f, &ls.gas, base, sp, mode)
        elif op == 0x5C:
            status = op_tload(vm, msg, sp)
        elif op == 0x5D:
            status = op_tstore(vm, msg, sp)
        elif op == 0x5E:
            status = op_mcopy(f, &ls.gas, base, sp, mode)
        elif op == 0xF3 or op == 0xFD:
            status = op_return(f, &ls.gas, base, sp, out, out_len, mode)
            if status == S_SUCCESS:
                status = S_SUCCESS if op == 0xF3 else S_REVERT
            return status
        else:
            return S_OUTER  # the GIL loop runs it (or reports it invalid)
        if status:
            return status
        ls.sp = <u256*>(<char*>sp + meta[op].delta)
        ls.pc += 1
        if Tracing is TraceOn:
            with gil:
                (<object>f.tracer).op_end(ls.gas)
            ls.open_op = False


cdef int execute_code(VM vm, Msg* msg, Res* res, Tracing* mode) except -1:
    """Run msg.code; fill res (status, gas_left, output). State changes go
    through the journal; reverting them on failure is the caller's job.

    The plain and counting builds run without the GIL (run_unlocked) and
    take it back for a cold load from the Database (inside the journal) and
    for the instructions below: calls and creates, logs, BLOCKHASH,
    EXTCODECOPY, SELFDESTRUCT. A frame starts, and goes on after one of
    those, holding the GIL, and lets it go after GIL_HOLD_JUMPS jumps: a
    loop runs free, while call-heavy code does not hand the GIL back and
    forth (two threads contending for it at every CALL run slower than
    one thread holding it)."""
    cdef CodeInfo ci = get_code_info(<object>msg.code)
    cdef const uint8_t* code = ci.padded
    cdef const uint8_t* jumpdest = ci.jumpdest
    cdef uint64_t code_size = ci.size
    cdef u256* stack = vm.stack_for(msg.depth)
    cdef const OpMeta* meta = OP_META[vm.fork]
    cdef uint64_t base
    cdef int64_t* gas
    cdef u256* sp
    cdef int status = S_SUCCESS, op
    cdef LoopState ls
    cdef Frame f
    cdef uint8_t* out = NULL
    cdef uint64_t out_len = 0
    cdef object tracer = vm.tracer  # alive for the frame, whatever another thread sets
    memset(&f, 0, sizeof(Frame))
    f.mem.limit = vm.memory_limit
    ls.pc = 0
    ls.sp = stack
    ls.gas = msg.gas
    ls.open_op = False
    ls.jumps_left = GIL_HOLD_JUMPS
    cdef bint hold_gil = True
    gas = &ls.gas
    if Tracing is TraceOn:
        f.tracer = <void*>tracer
    if Tracing is TraceCount:
        f.tracer = <void*>&(<OpCounter>tracer).c
    f.refund_counter = &vm.j.refund_counter
    vm.frames_left -= 1
    if vm.frames_left <= 0:  # a tree of calls may run long without a jump
        vm.frames_left = SIGNAL_CHECK_FRAMES
        check_interrupts(vm)
    try:
        while True:  # outer loop: the instructions that need the GIL
            if Tracing is TraceOn or hold_gil:
                status = run_unlocked(vm, msg, &f, &ls, code, jumpdest, code_size, stack, meta,
                                      &out, &out_len, mode)
            else:
                with nogil:
                    status = run_unlocked(vm, msg, &f, &ls, code, jumpdest, code_size, stack, meta,
                                          &out, &out_len, mode)
            if status == S_CHECK_SIGNALS:
                check_interrupts(vm)
                ls.jumps_left = SIGNAL_CHECK_JUMPS
                hold_gil = False  # a loop: run it without the GIL
                continue
            if status != S_OUTER:
                break
            op = ls.op
            sp = ls.sp
            base = <uint64_t>meta[op].base
            status = S_SUCCESS
            if op == 0x3C:
                status = op_extcodecopy(vm, &f, gas, base, sp, mode)
            elif op == 0x40:
                status = op_block_hash(vm, sp)
            elif op in (0xA0, 0xA1, 0xA2, 0xA3, 0xA4):
                status = op_log_n(vm, msg, &f, gas, base, sp, op - 0xA0, mode)
            elif op == 0xF0 or op == 0xF5:
                status = generic_create(vm, msg, &f, gas, base, sp, op == 0xF5, mode)
            elif op == 0xF1 or op == 0xF2 or op == 0xF4 or op == 0xFA:
                status = op_call(vm, msg, &f, gas, base, sp, op, mode)
            elif op == 0xFF:
                status = op_selfdestruct(vm, msg, &f, gas, base, sp, mode)
                break
            else:
                status = S_INVALID_OPCODE
                break
            if status:
                break
            ls.sp = <u256*>(<char*>sp + meta[op].delta)
            ls.pc += 1
            if Tracing is TraceOn:
                tracer.op_end(ls.gas)
                ls.open_op = False
            elif not hold_gil:
                hold_gil = True
                ls.jumps_left = GIL_HOLD_JUMPS
        if Tracing is TraceOn:
            if ls.open_op:
                if status >= S_REVERT:  # the spec reports REVERT as an exception
                    tracer.op_exception(STATUS_NAMES[status])
                else:
                    tracer.op_end(ls.gas)
    finally:
        free(f.mem.buf)
        free(f.rdata)
    res.status = status
    if status <= S_REVERT:
        res.gas_left = ls.gas
        res.output = out
        res.output_len = out_len
    else:
        # an exceptional halt consumes all gas and returns nothing
        free(out)
        res.gas_left = 0
        res.output = NULL
        res.output_len = 0
    return 0
