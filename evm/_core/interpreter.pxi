# The interpreter loop (spec: vm/interpreter.py execute_code), written once
# and compiled twice through the fused type Tracing: plain and traced.
#
# The plain loop (run_fast) checks "defined?", "stack under/overflow?" and
# charges the static gas once per basic block (analysis.pxi: analyse_blocks);
# the traced and counting builds, and a block that fails its check, run
# run_inner, where one table entry (OP_META) answers the same before every
# instruction. The bodies (in instructions/) hold only semantics and dynamic
# gas. Both loops keep pc, sp and gas in registers; instructions that need
# more return to run_unlocked, and those that need the GIL to execute_code.

from cpython.exc cimport PyErr_CheckSignals
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

cdef enum:
    S_OUTER = -1          # run_inner: "run this instruction in the outer loop"
    S_CHECK_SIGNALS = -3  # run_inner: "let Python handle pending signals, then go on"
    S_SLOW = -4           # run_fast: "this block fails its check: run the checked loop"
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
    bint slow             # run_fast: the rest of the frame runs in the checked loop

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

cdef inline int64_t block_charge(const BlockInfo* blocks, uint64_t pc, u256* sp, u256* stack,
                                int64_t gas) noexcept nogil:
    """The gas left after charging, all at once, the run from pc to the end
    of its block; -1 if any of its instructions would fail its own check
    (then the checked loop runs it and finds which)."""
    cdef const BlockInfo* b = &blocks[pc]
    if <uint64_t>(<char*>sp - <char*>stack) - b.req > b.span or gas < b.gas:
        return -1
    return gas - b.gas

cdef int run_fast(VM vm, Msg* msg, Frame* f, LoopState* ls, const uint8_t* code,
                  const uint8_t* jumpdest, uint64_t code_size, u256* stack, const OpMeta* meta,
                  const BlockInfo* blocks, Tracing* mode) except? -2 nogil:
    """The plain loop, checked a basic block at a time (see analyse_blocks):
    on entry, after a jump and after an instruction that ends a block, the
    stack and static gas of the run to the block's end are checked and
    charged at once; the instructions run with no check of their own. Leaves,
    as run_inner, with S_OUTER at a block's last instruction (checked and
    charged), at an MLOAD or MSTORE that must grow memory past its buffer
    (checked, the rest of its block's gas given back), or with how the frame
    ended. A run that fails its check, and the
    rest of the frame, go to the checked loop (run_inner), which halts
    exactly where the spec does."""
    cdef uint64_t pc = ls.pc
    cdef u256* sp = ls.sp
    cdef int64_t gas = ls.gas
    cdef int64_t left, grow
    cdef int op = 0, status = S_SUCCESS
    cdef uint32_t jumps_left = ls.jumps_left
    if ls.slow:
        return run_inner(vm, msg, f, ls, code, jumpdest, code_size, stack, meta, mode)
    left = block_charge(blocks, pc, sp, stack, gas)
    if left < 0:
        status = S_SLOW
    else:
        gas = left
    while status == S_SUCCESS:  # (tested once, on entry: the loop leaves by break)
        op = code[pc]
        if op == 0x01:  # ADD
            op_add(sp); sp -= 1; pc += 1
        elif op == 0x02:  # MUL: not inlined
            LONG_ARITH[op](sp); sp -= 1; pc += 1
        elif op == 0x03:  # SUB
            op_sub(sp); sp -= 1; pc += 1
        elif op in (0x04, 0x05, 0x06, 0x07, 0x08, 0x09):  # DIV SDIV MOD SMOD ADDMOD MULMOD: not inlined
            LONG_ARITH[op](sp); sp -= 1 if op < 0x08 else 2; pc += 1
        elif op == 0x0B:  # SIGNEXTEND
            op_signextend(sp); sp -= 1; pc += 1
        elif op == 0x10:  # LT
            op_less_than(sp); sp -= 1; pc += 1
        elif op == 0x11:  # GT
            op_greater_than(sp); sp -= 1; pc += 1
        elif op == 0x12:  # SLT
            op_signed_less_than(sp); sp -= 1; pc += 1
        elif op == 0x13:  # SGT
            op_signed_greater_than(sp); sp -= 1; pc += 1
        elif op == 0x14:  # EQ
            op_equal(sp); sp -= 1; pc += 1
        elif op == 0x15:  # ISZERO
            op_is_zero(sp); pc += 1
        elif op == 0x16:  # AND
            op_bitwise_and(sp); sp -= 1; pc += 1
        elif op == 0x17:  # OR
            op_bitwise_or(sp); sp -= 1; pc += 1
        elif op == 0x18:  # XOR
            op_bitwise_xor(sp); sp -= 1; pc += 1
        elif op == 0x19:  # NOT
            op_bitwise_not(sp); pc += 1
        elif op == 0x1A:  # BYTE
            op_get_byte(sp); sp -= 1; pc += 1
        elif op == 0x1B:  # SHL
            op_bitwise_shl(sp); sp -= 1; pc += 1
        elif op == 0x1C:  # SHR
            op_bitwise_shr(sp); sp -= 1; pc += 1
        elif op == 0x1D:  # SAR: not inlined
            LONG_ARITH[op](sp); sp -= 1; pc += 1
        elif op == 0x1E:  # CLZ
            op_count_leading_zeros(sp); pc += 1
        elif op == 0x30:  # ADDRESS
            op_address(vm, msg, sp); sp += 1; pc += 1
        elif op == 0x32:  # ORIGIN
            op_origin(vm, sp); sp += 1; pc += 1
        elif op == 0x33:  # CALLER
            op_caller(vm, msg, sp); sp += 1; pc += 1
        elif op == 0x34:  # CALLVALUE
            op_callvalue(msg, sp); sp += 1; pc += 1
        elif op == 0x35:  # CALLDATALOAD
            op_calldataload(msg, sp); pc += 1
        elif op == 0x36:  # CALLDATASIZE
            op_calldatasize(msg, sp); sp += 1; pc += 1
        elif op == 0x38:  # CODESIZE
            op_codesize(code_size, sp); sp += 1; pc += 1
        elif op == 0x3A:  # GASPRICE
            op_gasprice(vm, sp); sp += 1; pc += 1
        elif op == 0x3D:  # RETURNDATASIZE
            op_returndatasize(f, sp); sp += 1; pc += 1
        elif op == 0x41:  # COINBASE
            op_coinbase(vm, sp); sp += 1; pc += 1
        elif op == 0x42:  # TIMESTAMP
            op_timestamp(vm, sp); sp += 1; pc += 1
        elif op == 0x43:  # NUMBER
            op_number(vm, sp); sp += 1; pc += 1
        elif op == 0x44:  # PREVRANDAO
            op_prev_randao(vm, sp); sp += 1; pc += 1
        elif op == 0x45:  # GASLIMIT
            op_gas_limit(vm, sp); sp += 1; pc += 1
        elif op == 0x46:  # CHAINID
            op_chain_id(vm, sp); sp += 1; pc += 1
        elif op == 0x47:  # SELFBALANCE
            op_self_balance(vm, msg, sp); sp += 1; pc += 1
        elif op == 0x48:  # BASEFEE
            op_base_fee(vm, sp); sp += 1; pc += 1
        elif op == 0x4A:  # BLOBBASEFEE
            op_blob_base_fee(vm, sp); sp += 1; pc += 1
        elif op == 0x50:  # POP
            sp -= 1; pc += 1
        elif op == 0x58:  # PC
            op_pc(pc, sp); sp += 1; pc += 1
        elif op == 0x59:  # MSIZE
            op_msize(f, sp); sp += 1; pc += 1
        elif op == 0x5F:  # PUSH0
            u256_set_u64(sp, 0); sp += 1; pc += 1
        elif op == 0x60:  # PUSH1
            u256_set_u64(sp, code[pc + 1]); sp += 1; pc += 2
        elif op == 0x61:  # PUSH2
            push_bytes(sp, code + pc + 1, 2); sp += 1; pc += 3
        elif op == 0x62:  # PUSH3
            push_bytes(sp, code + pc + 1, 3); sp += 1; pc += 4
        elif op == 0x63:  # PUSH4
            push_bytes(sp, code + pc + 1, 4); sp += 1; pc += 5
        elif op == 0x64:  # PUSH5
            push_bytes(sp, code + pc + 1, 5); sp += 1; pc += 6
        elif op == 0x65:  # PUSH6
            push_bytes(sp, code + pc + 1, 6); sp += 1; pc += 7
        elif op == 0x66:  # PUSH7
            push_bytes(sp, code + pc + 1, 7); sp += 1; pc += 8
        elif op == 0x67:  # PUSH8
            push_bytes(sp, code + pc + 1, 8); sp += 1; pc += 9
        elif op == 0x68:  # PUSH9
            push_bytes(sp, code + pc + 1, 9); sp += 1; pc += 10
        elif op == 0x69:  # PUSH10
            push_bytes(sp, code + pc + 1, 10); sp += 1; pc += 11
        elif op == 0x6A:  # PUSH11
            push_bytes(sp, code + pc + 1, 11); sp += 1; pc += 12
        elif op == 0x6B:  # PUSH12
            push_bytes(sp, code + pc + 1, 12); sp += 1; pc += 13
        elif op == 0x6C:  # PUSH13
            push_bytes(sp, code + pc + 1, 13); sp += 1; pc += 14
        elif op == 0x6D:  # PUSH14
            push_bytes(sp, code + pc + 1, 14); sp += 1; pc += 15
        elif op == 0x6E:  # PUSH15
            push_bytes(sp, code + pc + 1, 15); sp += 1; pc += 16
        elif op == 0x6F:  # PUSH16
            push_bytes(sp, code + pc + 1, 16); sp += 1; pc += 17
        elif op == 0x70:  # PUSH17
            push_bytes(sp, code + pc + 1, 17); sp += 1; pc += 18
        elif op == 0x71:  # PUSH18
            push_bytes(sp, code + pc + 1, 18); sp += 1; pc += 19
        elif op == 0x72:  # PUSH19
            push_bytes(sp, code + pc + 1, 19); sp += 1; pc += 20
        elif op == 0x73:  # PUSH20
            push_bytes(sp, code + pc + 1, 20); sp += 1; pc += 21
        elif op == 0x74:  # PUSH21
            push_bytes(sp, code + pc + 1, 21); sp += 1; pc += 22
        elif op == 0x75:  # PUSH22
            push_bytes(sp, code + pc + 1, 22); sp += 1; pc += 23
        elif op == 0x76:  # PUSH23
            push_bytes(sp, code + pc + 1, 23); sp += 1; pc += 24
        elif op == 0x77:  # PUSH24
            push_bytes(sp, code + pc + 1, 24); sp += 1; pc += 25
        elif op == 0x78:  # PUSH25
            push_bytes(sp, code + pc + 1, 25); sp += 1; pc += 26
        elif op == 0x79:  # PUSH26
            push_bytes(sp, code + pc + 1, 26); sp += 1; pc += 27
        elif op == 0x7A:  # PUSH27
            push_bytes(sp, code + pc + 1, 27); sp += 1; pc += 28
        elif op == 0x7B:  # PUSH28
            push_bytes(sp, code + pc + 1, 28); sp += 1; pc += 29
        elif op == 0x7C:  # PUSH29
            push_bytes(sp, code + pc + 1, 29); sp += 1; pc += 30
        elif op == 0x7D:  # PUSH30
            push_bytes(sp, code + pc + 1, 30); sp += 1; pc += 31
        elif op == 0x7E:  # PUSH31
            push_bytes(sp, code + pc + 1, 31); sp += 1; pc += 32
        elif op == 0x7F:  # PUSH32
            push_bytes(sp, code + pc + 1, 32); sp += 1; pc += 33
        elif op == 0x80:  # DUP1
            sp[0] = sp[-1]; sp += 1; pc += 1
        elif op == 0x81:  # DUP2
            sp[0] = sp[-2]; sp += 1; pc += 1
        elif op == 0x82:  # DUP3
            sp[0] = sp[-3]; sp += 1; pc += 1
        elif op == 0x83:  # DUP4
            sp[0] = sp[-4]; sp += 1; pc += 1
        elif op == 0x84:  # DUP5
            sp[0] = sp[-5]; sp += 1; pc += 1
        elif op == 0x85:  # DUP6
            sp[0] = sp[-6]; sp += 1; pc += 1
        elif op == 0x86:  # DUP7
            sp[0] = sp[-7]; sp += 1; pc += 1
        elif op == 0x87:  # DUP8
            sp[0] = sp[-8]; sp += 1; pc += 1
        elif op == 0x88:  # DUP9
            sp[0] = sp[-9]; sp += 1; pc += 1
        elif op == 0x89:  # DUP10
            sp[0] = sp[-10]; sp += 1; pc += 1
        elif op == 0x8A:  # DUP11
            sp[0] = sp[-11]; sp += 1; pc += 1
        elif op == 0x8B:  # DUP12
            sp[0] = sp[-12]; sp += 1; pc += 1
        elif op == 0x8C:  # DUP13
            sp[0] = sp[-13]; sp += 1; pc += 1
        elif op == 0x8D:  # DUP14
            sp[0] = sp[-14]; sp += 1; pc += 1
        elif op == 0x8E:  # DUP15
            sp[0] = sp[-15]; sp += 1; pc += 1
        elif op == 0x8F:  # DUP16
            sp[0] = sp[-16]; sp += 1; pc += 1
        elif op == 0x90:  # SWAP1
            op_swap_n(1, sp); pc += 1
        elif op == 0x91:  # SWAP2
            op_swap_n(2, sp); pc += 1
        elif op == 0x92:  # SWAP3
            op_swap_n(3, sp); pc += 1
        elif op == 0x93:  # SWAP4
            op_swap_n(4, sp); pc += 1
        elif op == 0x94:  # SWAP5
            op_swap_n(5, sp); pc += 1
        elif op == 0x95:  # SWAP6
            op_swap_n(6, sp); pc += 1
        elif op == 0x96:  # SWAP7
            op_swap_n(7, sp); pc += 1
        elif op == 0x97:  # SWAP8
            op_swap_n(8, sp); pc += 1
        elif op == 0x98:  # SWAP9
            op_swap_n(9, sp); pc += 1
        elif op == 0x99:  # SWAP10
            op_swap_n(10, sp); pc += 1
        elif op == 0x9A:  # SWAP11
            op_swap_n(11, sp); pc += 1
        elif op == 0x9B:  # SWAP12
            op_swap_n(12, sp); pc += 1
        elif op == 0x9C:  # SWAP13
            op_swap_n(13, sp); pc += 1
        elif op == 0x9D:  # SWAP14
            op_swap_n(14, sp); pc += 1
        elif op == 0x9E:  # SWAP15
            op_swap_n(15, sp); pc += 1
        elif op == 0x9F:  # SWAP16
            op_swap_n(16, sp); pc += 1
        elif op == 0x5B:  # JUMPDEST: charged with its block; a run of them in one step
            pc += 1
            while code[pc] == 0x5B:
                pc += 1
        elif op == 0x56:  # JUMP
            status = op_jump(jumpdest, code_size, sp, &pc)
            if status:
                break
            sp -= 1
            pc += 1  # the destination
            jumps_left -= 1
            if jumps_left == 0:  # every loop jumps: Ctrl-C can stop any run
                status = S_CHECK_SIGNALS  # (the destination's block is checked on re-entry)
                break
            left = block_charge(blocks, pc, sp, stack, gas)
            if left < 0:
                status = S_SLOW
                break
            gas = left
            pc += 1  # past the JUMPDEST there, charged with its block
        elif op == 0x57:  # JUMPI
            if u256_is_zero(sp - 2):
                sp -= 2
                pc += 1
                left = block_charge(blocks, pc, sp, stack, gas)
                if left < 0:
                    status = S_SLOW
                    break
                gas = left
            else:
                status = op_jump(jumpdest, code_size, sp, &pc)
                if status:
                    break
                sp -= 2
                pc += 1  # the destination
                jumps_left -= 1
                if jumps_left == 0:
                    status = S_CHECK_SIGNALS
                    break
                left = block_charge(blocks, pc, sp, stack, gas)
                if left < 0:
                    status = S_SLOW
                    break
                gas = left
                pc += 1  # past the JUMPDEST
        elif op == 0x5A:  # GAS: a block's last instruction, so the gas is exact
            op_gas_left(gas, sp); sp += 1; pc += 1
            left = block_charge(blocks, pc, sp, stack, gas)
            if left < 0:
                status = S_SLOW
                break
            gas = left
        elif op == 0x51:  # MLOAD: its static gas is charged with its block
            grow = word_access_cost(&f.mem, sp - 1)
            if grow:
                if grow < 0:  # beyond the allocated buffer: the outer loop grows memory
                    gas += blocks[pc].gas  # give back the rest of the block, this one's static gas too
                    status = S_OUTER
                    break
                if gas < grow:  # (the spec fails too: at the latest later in this block)
                    status = S_OUT_OF_GAS
                    break
                gas -= grow
                grow_within_cap(&f.mem, sp[-1].w[0] + 32)
            load_word(sp - 1, f.mem.buf + sp[-1].w[0]); pc += 1
        elif op == 0x52:  # MSTORE: as MLOAD
            grow = word_access_cost(&f.mem, sp - 1)
            if grow:
                if grow < 0:
                    gas += blocks[pc].gas
                    status = S_OUTER
                    break
                if gas < grow:
                    status = S_OUT_OF_GAS
                    break
                gas -= grow
                grow_within_cap(&f.mem, sp[-1].w[0] + 32)
            store_word(f.mem.buf + sp[-1].w[0], sp - 2); sp -= 2; pc += 1
        else:
            status = S_OUTER  # a block's last instruction, checked and charged with it
            break
    ls.pc = pc
    ls.sp = sp
    ls.gas = gas
    ls.op = op
    ls.jumps_left = jumps_left
    if status == S_SLOW:
        ls.slow = True
        return run_inner(vm, msg, f, ls, code, jumpdest, code_size, stack, meta, mode)
    return status

cdef int run_unlocked(VM vm, Msg* msg, Frame* f, LoopState* ls, const uint8_t* code,
                      const uint8_t* jumpdest, uint64_t code_size, u256* stack, const OpMeta* meta,
                      const BlockInfo* blocks, uint8_t** out, uint64_t* out_len, Tracing* mode) except? -2 nogil:
    """run_inner, plus the outer instructions that need Python at most for a
    cold load (division, EXP, KECCAK256, memory, the copies, storage, BALANCE
    and the like, RETURN): everything the plain loop runs without the GIL
    (the journal takes it back for a cold miss). Returns S_OUTER (ls.op checked and charged) for an
    instruction that needs the GIL, S_CHECK_SIGNALS, or how the frame ended."""
    cdef int status, op
    cdef uint64_t base
    cdef u256* sp
    while True:
        if Tracing is TraceOff:
            status = run_fast(vm, msg, f, ls, code, jumpdest, code_size, stack, meta, blocks, mode)
        else:
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
    cdef const BlockInfo* blocks = ci.blocks_for(vm.fork) if Tracing is TraceOff else NULL
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
    vm.take_memory(msg.depth, &f.mem)
    ls.pc = 0
    ls.sp = stack
    ls.gas = msg.gas
    ls.open_op = False
    ls.slow = False
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
                                      blocks, &out, &out_len, mode)
            else:
                with nogil:
                    status = run_unlocked(vm, msg, &f, &ls, code, jumpdest, code_size, stack, meta,
                                          blocks, &out, &out_len, mode)
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
        vm.give_memory(msg.depth, &f.mem)
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
