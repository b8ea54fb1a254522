"""System opcodes: CALL, CALLCODE, DELEGATECALL, STATICCALL, CREATE, CREATE2,
RETURN, REVERT, SELFDESTRUCT.

Rules: Yellow Paper; EIP-150 (63/64 rule, repricing), EIP-161 (new-account
charge only for value to a dead account), EIP-7 (DELEGATECALL), EIP-214
(STATICCALL), EIP-140 (REVERT), EIP-211 (return data), EIP-1014 (CREATE2),
EIP-684/EIP-7610 (collisions), EIP-170 (code size), EIP-3541 (0xEF prefix),
EIP-3860 (initcode limit and word cost), EIP-2929 (cold/warm), EIP-3529 (no
SELFDESTRUCT refund), EIP-6780 (SELFDESTRUCT only in the creating tx).
"""
from __future__ import annotations

import pytest

from evm import Account, Fork, State, compute_contract_address
from evm.crypto import keccak256
from opcode_test_helpers import (
    CALLER,
    CONTRACT,
    RETURN_TOP_GAS,
    U256_MAX,
    asm,
    call,
    memory_cost,
    ret_top,
    run,
    word,
    words,
)

OTHER = bytes.fromhex("00000000000000000000000000000000000b0b00")
NOBODY = bytes.fromhex("000000000000000000000000000000000000dead")
IDENTITY = 4

#: RETURN_TOP when memory is already one word long (no expansion)
RETURN_TOP_WARM = RETURN_TOP_GAS - 3
GAS_CALL_VALUE = 9000
GAS_CALL_STIPEND = 2300
GAS_NEW_ACCOUNT = 25000
GAS_COLD = 2600
GAS_WARM = 100
GAS_CREATE = 32000
GAS_CODE_DEPOSIT = 200
MAX_CODE_SIZE = 0x6000
MAX_INITCODE_SIZE = 2 * MAX_CODE_SIZE


def addr_int(a: bytes) -> int:
    return int.from_bytes(a, "big")


def balances(r, *addrs):
    acc = r.state.accounts
    return [acc[a].balance if a in acc else None for a in addrs]


def world(other_code: bytes = b"", contract_balance: int = 10**18, **kw) -> State:
    """CONTRACT funded; OTHER alive (nonce 1) with ``other_code``."""
    s = State({OTHER: Account(nonce=1, code=other_code),
               CONTRACT: Account(balance=contract_balance)})
    for a, acct in kw.items():
        s.set_account(bytes.fromhex(a), acct)
    return s


# ===================================================================== CALL

def test_call_transfers_value_and_exact_gas():
    r = run(call(OTHER, gas=0, value=100) + asm("POP"), state=world(), fork=Fork.CANCUN)
    assert r.success
    assert balances(r, OTHER, CONTRACT) == [100, 10**18 - 100]
    # 7 pushes + warm base 100 + cold 2500 + value 9000; the unused stipend comes back
    assert r.gas_used == 21 + GAS_WARM + (GAS_COLD - GAS_WARM) + GAS_CALL_VALUE - GAS_CALL_STIPEND + 2


def test_call_to_warm_address_second_time():
    one = call(OTHER, gas=0) + asm("POP")
    r = run(one + one, state=world(), fork=Fork.BERLIN)
    assert r.gas_used == (21 + GAS_COLD + 2) + (21 + GAS_WARM + 2)


@pytest.mark.parametrize("fork,base", [(Fork.FRONTIER, 40), (Fork.TANGERINE_WHISTLE, 700), (Fork.ISTANBUL, 700)])
def test_call_base_gas_before_berlin(fork, base):
    r = run(call(OTHER, gas=0) + asm("POP"), state=world(), fork=fork)
    assert r.gas_used == 21 + base + 2


@pytest.mark.parametrize("fork,value,charge", [
    # before EIP-161 calling a non-existent account costs 25000 even without value
    (Fork.FRONTIER, 0, GAS_NEW_ACCOUNT), (Fork.TANGERINE_WHISTLE, 0, GAS_NEW_ACCOUNT),
    (Fork.SPURIOUS_DRAGON, 0, 0), (Fork.SPURIOUS_DRAGON, 1, GAS_NEW_ACCOUNT),
    (Fork.CANCUN, 0, 0), (Fork.CANCUN, 1, GAS_NEW_ACCOUNT),
])
def test_call_new_account_charge(fork, value, charge):
    r = run(call(NOBODY, gas=0, value=value) + asm("POP"), state=world(), fork=fork)
    assert r.success
    base = {Fork.FRONTIER: 40}.get(fork, 700 if fork < Fork.BERLIN else GAS_COLD)
    value_cost = GAS_CALL_VALUE - GAS_CALL_STIPEND if value else 0
    assert r.gas_used == 21 + base + charge + value_cost + 2


def test_call_with_value_to_empty_existing_account_charges_new_account():
    """EIP-161: an existing but empty account is dead; value to it costs 25000."""
    state = world()
    state.set_account(NOBODY, Account())
    r = run(call(NOBODY, gas=0, value=1) + asm("POP"), state=state, fork=Fork.CANCUN)
    assert r.gas_used == 21 + GAS_COLD + GAS_NEW_ACCOUNT + GAS_CALL_VALUE - GAS_CALL_STIPEND + 2


def test_callee_receives_the_stipend_with_value():
    callee = ret_top("GAS")
    r = run(call(OTHER, gas=0, value=1, out_size=32) + asm(32, 0, "RETURN"), state=world(callee))
    assert word(r) == GAS_CALL_STIPEND - 2
    r = run(call(OTHER, gas=1000, value=1, out_size=32) + asm(32, 0, "RETURN"), state=world(callee))
    assert word(r) == 1000 + GAS_CALL_STIPEND - 2


def test_callee_without_value_gets_no_stipend():
    callee = ret_top("GAS")
    r = run(call(OTHER, gas=500, out_size=32) + asm(32, 0, "RETURN"), state=world(callee))
    assert word(r) == 500 - 2


def test_all_but_one_64th_rule():
    """EIP-150: asking for everything forwards gas_left - gas_left // 64."""
    callee = ret_top("GAS")
    gas = 100_000
    r = run(call(OTHER, gas=U256_MAX, out_size=32) + asm(32, 0, "RETURN"), state=world(callee),
            fork=Fork.CANCUN, gas=gas)
    left = gas - 21 - GAS_WARM - (GAS_COLD - GAS_WARM) - memory_cost(32)
    assert word(r) == left - left // 64 - 2


def test_explicit_gas_request_below_the_cap_is_honoured():
    callee = ret_top("GAS")
    r = run(call(OTHER, gas=12345, out_size=32) + asm(32, 0, "RETURN"), state=world(callee))
    assert word(r) == 12345 - 2


def test_frontier_call_requesting_too_much_gas_is_out_of_gas():
    r = run(call(OTHER, gas=50_000) + asm("POP"), state=world(), fork=Fork.FRONTIER, gas=50_000)
    assert r.error == "OutOfGasError" and r.gas_used == 50_000
    r = run(call(OTHER, gas=1000) + asm("POP"), state=world(), fork=Fork.FRONTIER, gas=50_000)
    assert r.success and r.gas_used == 21 + 40 + 2


def test_frontier_call_forwards_exactly_the_request():
    callee = ret_top("GAS")
    r = run(call(OTHER, gas=40_000, out_size=32) + asm(32, 0, "RETURN"), state=world(callee),
            fork=Fork.HOMESTEAD, gas=50_000)
    assert word(r) == 40_000 - 2


def test_call_insufficient_balance_pushes_zero_and_returns_gas():
    r = run(ret_top(call(OTHER, gas=5000, value=10**19)), state=world(), fork=Fork.CANCUN)
    assert r.success and word(r) == 0
    assert balances(r, OTHER) == [0]
    # value and cold charges stay paid; the forwarded gas and the stipend come back
    assert r.gas_used == 21 + GAS_COLD + GAS_CALL_VALUE - GAS_CALL_STIPEND + RETURN_TOP_GAS


def test_callee_out_of_gas_consumes_forwarded_gas():
    callee = asm(0, "JUMP")  # invalid jump: exceptional halt
    r = run(ret_top(call(OTHER, gas=7000)), state=world(callee), fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.gas_used == 21 + GAS_COLD + 7000 + RETURN_TOP_GAS


def test_callee_revert_returns_unused_gas():
    callee = asm(0, 0, "REVERT")
    r = run(ret_top(call(OTHER, gas=7000)), state=world(callee), fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.gas_used == 21 + GAS_COLD + 6 + RETURN_TOP_GAS


def test_callee_state_changes_undone_on_failure():
    callee = asm(1, 0, "SSTORE", 0, 0, "REVERT")
    r = run(call(OTHER, value=5) + asm("POP"), state=world(callee))
    assert r.state.accounts[OTHER].storage == {} and balances(r, OTHER) == [0]


def test_call_output_written_up_to_out_size():
    """Only min(out_size, len(returndata)) bytes are written; the rest of memory is kept."""
    callee = asm(0xAABBCCDD << 224, 0, "MSTORE", 4, 0, "RETURN")
    fill = asm(U256_MAX, 0, "MSTORE")
    r = run(fill + call(OTHER, out_size=32) + asm("POP", 32, 0, "RETURN"), state=world(callee))
    assert r.output == bytes.fromhex("aabbccdd") + b"\xff" * 28
    r = run(fill + call(OTHER, out_size=2) + asm("POP", 32, 0, "RETURN"), state=world(callee))
    assert r.output == bytes.fromhex("aabb") + b"\xff" * 30


def test_call_passes_input_data():
    callee = asm("CALLDATASIZE", 0, 0, "CALLDATACOPY", "CALLDATASIZE", 0, "RETURN")
    code = asm(0x1122334455 << 216, 0, "MSTORE") + call(OTHER, in_offset=1, in_size=3, out_size=3) + \
        asm("POP", 3, 0, "RETURN")
    assert run(code, state=world(callee)).output == bytes.fromhex("223344")


def test_call_memory_expansion_for_input_and_output():
    r = run(call(IDENTITY, gas=1000, in_offset=0x100, in_size=32, out_offset=0x200, out_size=32) +
            asm("POP", "MSIZE") + ret_top(), fork=Fork.CANCUN)
    assert word(r) == 0x220
    # 7 pushes, warm precompile 100, identity 15 + 3, memory to 0x220, then MSIZE + RETURN_TOP
    assert r.gas_used == 21 + GAS_WARM + 18 + memory_cost(0x220) + 2 + 2 + 12


def test_call_huge_memory_arguments_out_of_gas():
    for kwargs in ({"in_offset": 2**64, "in_size": 1}, {"out_offset": U256_MAX, "out_size": 1},
                   {"in_size": 2**40}, {"out_size": U256_MAX}):
        r = run(call(OTHER, **kwargs), state=world(), gas=500_000)
        assert r.error == "OutOfGasError" and r.gas_used == 500_000, kwargs


def test_call_zero_size_huge_offsets_are_free():
    r = run(call(OTHER, gas=0, in_offset=U256_MAX, out_offset=U256_MAX) + asm("POP", "MSIZE") + ret_top(),
            state=world(), fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.gas_used == 21 + GAS_COLD + 2 + 2 + RETURN_TOP_GAS


def test_call_depth_limit_1024():
    """Frames at depth 0..1024 run; the CALL made at depth 1024 fails and pushes 0."""
    code = (asm(0, "SLOAD", 1, "ADD", 0, "SSTORE")
            + asm(0, 0, 0, 0, 0, "ADDRESS", "GAS", "CALL")
            + asm("ISZERO", 1, "SLOAD", "ADD", 1, "SSTORE"))
    r = run(code, fork=Fork.CANCUN, gas=2**40)
    assert r.success
    assert r.state.accounts[CONTRACT].storage == {0: 1025, 1: 1}


def test_call_depth_limit_without_63_64_rule():
    """In Homestead the whole gas can be forwarded, so the limit is reached cheaply."""
    code = (asm(0, "SLOAD", 1, "ADD", 0, "SSTORE")
            + asm(0, 0, 0, 0, 0, "ADDRESS", 100_000, "GAS", "SUB", "CALL")
            + asm("ISZERO", 1, "SLOAD", "ADD", 1, "SSTORE"))
    r = run(code, fork=Fork.HOMESTEAD, gas=10**9)
    assert r.success
    assert r.state.accounts[CONTRACT].storage == {0: 1025, 1: 1}


# ============================================================ CALLCODE, DELEGATECALL

CONTEXT_PROBE = asm("ADDRESS", 0, "MSTORE", "CALLER", 32, "MSTORE", "CALLVALUE", 64, "MSTORE",
                    7, 1, "SSTORE", 96, 0, "RETURN")


def probe(r):
    out = r.output
    return [int.from_bytes(out[i:i + 32], "big") for i in range(0, 96, 32)]


def test_callcode_runs_callee_code_in_our_context():
    code = call(OTHER, value=3, out_size=96, opname="CALLCODE") + asm("POP", 96, 0, "RETURN")
    r = run(code, state=world(CONTEXT_PROBE), value=11)
    assert probe(r) == [addr_int(CONTRACT), addr_int(CONTRACT), 3]
    assert r.state.accounts[CONTRACT].storage == {1: 7}
    assert r.state.accounts[OTHER].storage == {}
    assert balances(r, OTHER) == [0]  # value goes to ourselves


def test_callcode_gas_with_value():
    r = run(call(OTHER, gas=0, value=3, opname="CALLCODE") + asm("POP"), state=world(), fork=Fork.CANCUN)
    # no new-account charge for CALLCODE, value 9000 minus the returned stipend
    assert r.gas_used == 21 + GAS_COLD + GAS_CALL_VALUE - GAS_CALL_STIPEND + 2
    r = run(call(NOBODY, gas=0, value=3, opname="CALLCODE") + asm("POP"), state=world(), fork=Fork.CANCUN)
    assert r.gas_used == 21 + GAS_COLD + GAS_CALL_VALUE - GAS_CALL_STIPEND + 2


def test_delegatecall_keeps_caller_and_value():
    code = call(OTHER, out_size=96, opname="DELEGATECALL") + asm("POP", 96, 0, "RETURN")
    r = run(code, state=world(CONTEXT_PROBE), value=11)
    assert probe(r) == [addr_int(CONTRACT), addr_int(CALLER), 11]
    assert r.state.accounts[CONTRACT].storage == {1: 7}
    assert r.state.accounts[OTHER].storage == {}


def test_delegatecall_exact_gas_and_fork():
    code = call(OTHER, gas=0, opname="DELEGATECALL") + asm("POP")
    r = run(code, state=world(), fork=Fork.CANCUN)
    assert r.gas_used == 18 + GAS_COLD + 2
    r = run(code, state=world(), fork=Fork.HOMESTEAD)
    assert r.gas_used == 18 + 40 + 2
    r = run(code, state=world(), fork=Fork.FRONTIER, gas=10_000)
    assert r.error == "InvalidOpcode"


# ============================================================ STATICCALL

def test_staticcall_exact_gas_and_fork():
    code = call(OTHER, gas=0, opname="STATICCALL") + asm("POP")
    assert run(code, state=world(), fork=Fork.BYZANTIUM).gas_used == 18 + 700 + 2
    assert run(code, state=world(), fork=Fork.BERLIN).gas_used == 18 + GAS_COLD + 2
    r = run(code, state=world(), fork=Fork.SPURIOUS_DRAGON, gas=10_000)
    assert r.error == "InvalidOpcode"


def test_staticcall_returns_data():
    r = run(call(OTHER, out_size=32, opname="STATICCALL") + asm(32, 0, "RETURN"), state=world(ret_top(42)))
    assert word(r) == 42


STATIC_VIOLATIONS = {
    "SSTORE": asm(1, 0, "SSTORE"),
    "TSTORE": asm(1, 0, "TSTORE"),
    "LOG0": asm(0, 0, "LOG0"),
    "CREATE": asm(0, 0, 0, "CREATE"),
    "CREATE2": asm(0, 0, 0, 0, "CREATE2"),
    "SELFDESTRUCT": asm(addr_int(NOBODY), "SELFDESTRUCT"),
    "CALL with value": call(NOBODY, gas=0, value=1),
}


@pytest.mark.parametrize("what", list(STATIC_VIOLATIONS))
def test_static_context_violations(what):
    """A state change inside STATICCALL halts the callee; the caller sees 0."""
    r = run(ret_top(call(OTHER, gas=60_000, opname="STATICCALL")),
            state=world(STATIC_VIOLATIONS[what], contract_balance=0), fork=Fork.CANCUN)
    assert r.success and word(r) == 0
    assert r.gas_used == 18 + GAS_COLD + 60_000 + RETURN_TOP_GAS
    other = r.state.accounts[OTHER]
    assert other.storage == {} and other.nonce == 1 and other.code == STATIC_VIOLATIONS[what]
    assert r.logs == []


def test_static_context_allows_call_without_value():
    callee = ret_top(call(IDENTITY, gas=100, value=0))
    r = run(call(OTHER, out_size=32, opname="STATICCALL") + asm(32, 0, "RETURN"), state=world(callee))
    assert word(r) == 1


def test_static_context_is_inherited_by_nested_calls():
    inner = bytes.fromhex("00000000000000000000000000000000000c0c0c")
    state = world(ret_top(call(inner, gas=50_000)))
    state.set_account(inner, Account(code=asm(1, 0, "SSTORE")))
    # OTHER returns the result of its nested CALL: 0 inside a static frame
    r = run(call(OTHER, out_size=32, opname="STATICCALL") + asm(32, 0, "RETURN"), state=state)
    assert word(r) == 0
    assert r.state.accounts[inner].storage == {}
    # the same nested call outside a static frame writes
    r = run(call(OTHER, out_size=32) + asm(32, 0, "RETURN"), state=state)
    assert word(r) == 1
    assert r.state.accounts[inner].storage == {0: 1}


def test_static_context_is_inherited_by_delegatecall():
    inner = bytes.fromhex("00000000000000000000000000000000000c0c0c")
    state = world(ret_top(call(inner, gas=50_000, opname="DELEGATECALL")))
    state.set_account(inner, Account(code=asm(1, 0, "SSTORE")))
    r = run(call(OTHER, out_size=32, opname="STATICCALL") + asm(32, 0, "RETURN"), state=state)
    assert word(r) == 0  # the DELEGATECALLed SSTORE failed
    assert r.state.accounts[OTHER].storage == {}
    r = run(call(OTHER, out_size=32) + asm(32, 0, "RETURN"), state=state)
    assert word(r) == 1 and r.state.accounts[OTHER].storage == {0: 1}


# ============================================================ CREATE / CREATE2

def initcode_returning(n: int, fill: int = 0) -> bytes:
    """Initcode deploying ``n`` bytes (all ``fill``; the first byte set by MSTORE8)."""
    body = asm(fill, 0, "MSTORE8") if fill else b""
    return body + asm(n, 0, "RETURN")


def create_code(init: bytes, value: int = 0, salt=None) -> bytes:
    """Put ``init`` in memory at 0 and CREATE (or CREATE2 with ``salt``) it."""
    stores = b""
    for i in range(0, len(init), 32):
        chunk = init[i:i + 32]
        stores += asm(int.from_bytes(chunk.ljust(32, b"\0"), "big"), i, "MSTORE")
    if salt is None:
        return stores + asm(len(init), 0, value, "CREATE")
    return stores + asm(salt, len(init), 0, value, "CREATE2")


def test_create_address_is_sender_and_nonce():
    state = State({CONTRACT: Account(nonce=5, balance=10)})
    r = run(ret_top(create_code(initcode_returning(3))), state=state, fork=Fork.CANCUN)
    expected = compute_contract_address(CONTRACT, 5)
    assert r.output == expected.rjust(32, b"\0")
    assert r.state.accounts[CONTRACT].nonce == 6
    assert r.state.accounts[expected].code == bytes(3)
    assert r.state.accounts[expected].nonce == 1  # EIP-161


def test_compute_contract_address_known_vectors():
    sender = bytes.fromhex("6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
    assert compute_contract_address(sender, 0).hex() == "cd234a471b72ba2f1ccf0a70fcaba648a5eecd8d"
    assert compute_contract_address(sender, 1).hex() == "343c43a37d37dff08ae8c4a11544c718abb4fcf8"
    assert compute_contract_address(sender, 2).hex() == "f778b86fa74e846c4f0a1fbd1335fe81c00a0c91"
    assert compute_contract_address(sender, 3).hex() == "fffd933a0bc612844eaf0c6fe3e5b8e9b6c1d19c"


@pytest.mark.parametrize("nonce", [0, 1, 0x7F, 0x80, 0xFF, 0x100, 2**32, 2**64 - 2])
def test_create_address_with_multibyte_nonce(nonce):
    state = State({CONTRACT: Account(nonce=nonce)})
    r = run(ret_top(create_code(b"")), state=state, fork=Fork.CANCUN)
    assert r.output[12:] == compute_contract_address(CONTRACT, nonce)


def test_create_with_max_nonce_fails_and_returns_gas():
    """EIP-2681: a sender at nonce 2**64 - 1 cannot create; the gas comes back."""
    state = State({CONTRACT: Account(nonce=2**64 - 1)})
    r = run(ret_top(create_code(b"")), state=state, fork=Fork.CANCUN)
    assert r.success and word(r) == 0
    assert r.state.accounts[CONTRACT].nonce == 2**64 - 1
    assert r.gas_used == 9 + GAS_CREATE + RETURN_TOP_GAS


def test_created_contract_nonce_before_spurious_dragon_is_zero():
    r = run(ret_top(create_code(initcode_returning(1))), fork=Fork.TANGERINE_WHISTLE)
    created = r.output[12:]
    assert r.state.accounts[created].nonce == 0


@pytest.mark.parametrize("sender,salt,init,expected", [
    # EIP-1014 examples whose initcode runs (0x00 = STOP, empty)
    ("0000000000000000000000000000000000000000", 0, "00", "4d1a2e2bb4f88f0250f26ffff098b0b30b26bf38"),
    ("deadbeef00000000000000000000000000000000", 0, "00", "b928f69bb1d91cd65274e3c79d8986362984fda3"),
    ("deadbeef00000000000000000000000000000000", 0xFEED << 144, "00",
     "d04116cdd17bebe565eb2422f2497e06cc1c9833"),
    ("0000000000000000000000000000000000000000", 0, "", "e33c0c7f7df4809055c3eba6c09cfe4baf1bd9e0"),
])
def test_create2_eip1014_examples(sender, salt, init, expected):
    code = ret_top(create_code(bytes.fromhex(init), salt=salt))
    r = run(code, fork=Fork.CANCUN, address=bytes.fromhex(sender))
    assert r.success and r.output[12:].hex() == expected


def test_create2_address_by_hand():
    """keccak256(0xff ++ sender ++ salt ++ keccak256(initcode))[12:]."""
    init = initcode_returning(5, 0x42)
    salt = 0x1234 << 200
    r = run(ret_top(create_code(init, salt=salt)), fork=Fork.CANCUN)
    expected = keccak256(b"\xff" + CONTRACT + salt.to_bytes(32, "big") + keccak256(init))[12:]
    assert r.output[12:] == expected
    assert r.state.accounts[expected].code == b"\x42" + bytes(4)


def test_create2_same_salt_twice_collides():
    init = initcode_returning(1)
    code = (create_code(init, salt=7) + asm(64, "MSTORE") + create_code(init, salt=7)
            + asm(96, "MSTORE", 64, 64, "RETURN"))
    r = run(code, fork=Fork.CANCUN)
    assert r.output[12:32] == keccak256(b"\xff" + CONTRACT + (7).to_bytes(32, "big") + keccak256(init))[12:]
    assert r.output[32:] == bytes(32)
    assert r.state.accounts[CONTRACT].nonce == 2  # the failed attempt still bumps the nonce


@pytest.mark.parametrize("fork", [Fork.BYZANTIUM, Fork.CONSTANTINOPLE, Fork.ISTANBUL, Fork.SHANGHAI, Fork.CANCUN])
def test_create_exact_gas(fork):
    """32000 + initcode words (x2 from Shanghai) + memory + initcode execution + 200 per code byte."""
    init = initcode_returning(10)  # 5 bytes: PUSH1 10 PUSH1 0 RETURN
    code = create_code(init)
    r = run(code, fork=fork)
    assert r.success
    stores = 3 + 3 + 3 + memory_cost(32)  # one MSTORE of the initcode
    pushes = 3 * 3
    init_words = 2 * words(len(init)) if fork >= Fork.SHANGHAI else 0
    execution = 3 + 3 + memory_cost(10)
    assert r.gas_used == stores + pushes + GAS_CREATE + init_words + execution + GAS_CODE_DEPOSIT * 10


@pytest.mark.parametrize("fork", [Fork.CONSTANTINOPLE, Fork.CANCUN])
def test_create2_exact_gas(fork):
    """CREATE2 adds GAS_KECCAK256_WORD (6) per initcode word for the address hash."""
    init = initcode_returning(10)
    code = create_code(init, salt=1)
    r = run(code, fork=fork)
    stores = 9 + memory_cost(32)
    init_words = 2 * words(len(init)) if fork >= Fork.SHANGHAI else 0
    assert r.gas_used == stores + 12 + GAS_CREATE + init_words + 6 * 1 + 6 + memory_cost(10) + 2000


def test_create2_undefined_before_constantinople():
    r = run(asm(0, 0, 0, 0, "CREATE2"), fork=Fork.BYZANTIUM, gas=50_000)
    assert r.error == "InvalidOpcode"


def test_create_transfers_value_and_keeps_prior_balance():
    target = compute_contract_address(CONTRACT, 0)
    state = State({CONTRACT: Account(balance=1000), target: Account(balance=7)})
    r = run(ret_top(create_code(initcode_returning(1), value=100)), state=state, fork=Fork.CANCUN)
    assert r.output[12:] == target
    assert balances(r, target, CONTRACT) == [107, 900]


def test_create_insufficient_balance_pushes_zero_keeps_nonce_and_gas():
    code = create_code(initcode_returning(1), value=1000)
    r = run(ret_top(code), state=State({CONTRACT: Account(balance=999)}), fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.state.accounts[CONTRACT].nonce == 0
    # only the static part is charged: the forwarded gas comes back
    assert r.gas_used == 9 + memory_cost(32) + 9 + GAS_CREATE + 2 + RETURN_TOP_WARM


@pytest.mark.parametrize("occupant", [
    Account(nonce=1), Account(code=b"\x00"), Account(storage={1: 1}),  # EIP-684, EIP-7610
])
def test_create_collision(occupant):
    target = compute_contract_address(CONTRACT, 0)
    state = State({target: occupant})
    gas = 1_000_000
    r = run(ret_top(create_code(initcode_returning(1))), state=state, fork=Fork.CANCUN, gas=gas)
    assert r.success and word(r) == 0
    assert r.state.accounts[CONTRACT].nonce == 1
    assert r.state.accounts[target].code == occupant.code
    # the gas handed to the would-be child is lost (all but one 64th)
    before = 9 + memory_cost(32) + 9 + GAS_CREATE + 2
    left = gas - before
    assert r.gas_used == before + (left - left // 64) + RETURN_TOP_WARM


def test_create_failure_keeps_return_data_of_revert():
    init = asm(0xABCD, 0, "MSTORE", 32, 0, "REVERT")
    code = create_code(init) + asm("POP", "RETURNDATASIZE", 0, "MSTORE", 32, 0, 32, "RETURNDATACOPY",
                                   64, 0, "RETURN")
    r = run(code, fork=Fork.CANCUN)
    assert r.output == (32).to_bytes(32, "big") + (0xABCD).to_bytes(32, "big")


def test_create_success_clears_return_data():
    code = create_code(initcode_returning(4)) + asm("POP", "RETURNDATASIZE") + ret_top()
    assert word(run(code)) == 0


def test_create_failed_initcode_reverts_nonce_of_child_only():
    init = asm(1, 0, "SSTORE", b"\xfe")
    r = run(ret_top(create_code(init)), fork=Fork.CANCUN)
    assert word(r) == 0
    target = compute_contract_address(CONTRACT, 0)
    assert target not in r.state.accounts
    assert r.state.accounts[CONTRACT].nonce == 1


@pytest.mark.parametrize("fork,size,ok", [
    (Fork.SHANGHAI, MAX_INITCODE_SIZE, True),
    (Fork.SHANGHAI, MAX_INITCODE_SIZE + 1, False),
    (Fork.CANCUN, MAX_INITCODE_SIZE + 1, False),
    (Fork.PARIS, MAX_INITCODE_SIZE + 1, True),  # no limit before EIP-3860
])
@pytest.mark.parametrize("opname", ["CREATE", "CREATE2"])
def test_initcode_size_limit(fork, size, ok, opname):
    """EIP-3860: initcode above 49152 bytes is an exceptional halt of the creator."""
    args = (size, 0, 0) if opname == "CREATE" else (0, size, 0, 0)
    code = ret_top(*args, opname)  # initcode = zeros = STOP
    r = run(code, fork=fork, gas=5_000_000)
    if ok:
        assert r.success and word(r) != 0
    else:
        assert r.error == "OutOfGasError" and r.gas_used == 5_000_000


@pytest.mark.parametrize("fork,size,ok", [
    (Fork.SPURIOUS_DRAGON, MAX_CODE_SIZE, True),
    (Fork.SPURIOUS_DRAGON, MAX_CODE_SIZE + 1, False),
    (Fork.CANCUN, MAX_CODE_SIZE + 1, False),
    (Fork.TANGERINE_WHISTLE, MAX_CODE_SIZE + 1, True),  # no limit before EIP-170
])
def test_code_size_limit(fork, size, ok):
    r = run(ret_top(create_code(initcode_returning(size))), fork=fork, gas=10_000_000)
    assert r.success
    assert (word(r) != 0) == ok
    if ok:
        assert len(r.state.accounts[r.output[12:]].code) == size


def test_code_size_limit_consumes_child_gas():
    gas = 8_000_000
    r = run(ret_top(create_code(initcode_returning(MAX_CODE_SIZE + 1))), fork=Fork.CANCUN, gas=gas)
    before = 9 + memory_cost(32) + 9 + GAS_CREATE + 2 * 1
    left = gas - before
    assert r.gas_used == before + (left - left // 64) + RETURN_TOP_WARM


@pytest.mark.parametrize("fork,first,ok", [
    (Fork.LONDON, 0xEF, False), (Fork.CANCUN, 0xEF, False),
    (Fork.BERLIN, 0xEF, True), (Fork.CANCUN, 0xEE, True),
])
def test_ef_prefix_rejected_from_london(fork, first, ok):
    """EIP-3541: new code may not start with 0xEF."""
    r = run(ret_top(create_code(initcode_returning(3, first))), fork=fork)
    assert (word(r) != 0) == ok


def test_ef_prefix_rejected_for_create_transaction_too():
    r = run(initcode_returning(1, 0xEF), create=True, fork=Fork.CANCUN)
    assert r.error == "InvalidContractPrefix"


def test_code_deposit_out_of_gas():
    """Homestead+: a child that cannot pay 200 per byte fails; Frontier keeps an empty account.

    Tangerine Whistle stands for Homestead+ here: its 63/64 rule leaves the
    creator the gas to finish (in Homestead the failed child takes it all).
    """
    init = initcode_returning(100)
    # a budget that covers the initcode but not the 20000 deposit
    for fork, deployed in [(Fork.TANGERINE_WHISTLE, None), (Fork.FRONTIER, b"")]:
        gas = 9 + memory_cost(32) + 9 + GAS_CREATE + 6 + memory_cost(100) + 10_000 + RETURN_TOP_GAS
        r = run(ret_top(create_code(init)), fork=fork, gas=gas)
        assert r.success, fork
        addr = compute_contract_address(CONTRACT, 0)
        if deployed is None:
            assert word(r) == 0
        else:
            assert r.output[12:] == addr and r.state.accounts[addr].code == deployed


def test_create_in_create_depth_and_nonce():
    """A contract created by CREATE can itself CREATE (nonce 1 -> address of nonce 1)."""
    inner_init = initcode_returning(1)
    outer_init = create_code(inner_init) + asm(0, "MSTORE", 32, 0, "RETURN")
    r = run(ret_top(create_code(outer_init)), fork=Fork.CANCUN)
    outer = r.output[12:]
    assert outer == compute_contract_address(CONTRACT, 0)
    inner = r.state.accounts[outer].code[12:]
    assert inner == compute_contract_address(outer, 1)
    assert r.state.accounts[inner].code == b"\x00"


# ============================================================ RETURN / REVERT

def test_return_data_and_gas():
    code = asm(0x1234, 0, "MSTORE", 2, 30, "RETURN")
    r = run(code)
    assert r.output == b"\x12\x34" and r.gas_used == 9 + 3 + 6


def test_return_expands_memory():
    r = run(asm(10, 100, "RETURN"))
    assert r.output == bytes(10) and r.gas_used == 6 + memory_cost(110)


def test_revert_returns_data_and_keeps_gas():
    code = asm(0x1234, 0, "MSTORE", 2, 30, "REVERT")
    r = run(code, gas=100_000)
    assert r.error == "Revert" and not r.success
    assert r.output == b"\x12\x34" and r.gas_used == 9 + 3 + 6


def test_revert_undoes_state():
    r = run(asm(1, 0, "SSTORE", 0, 0, "REVERT"))
    assert r.error == "Revert" and r.state.accounts[CONTRACT].storage == {}


def test_revert_undefined_before_byzantium():
    r = run(asm(0, 0, "REVERT"), fork=Fork.SPURIOUS_DRAGON, gas=10_000)
    assert r.error == "InvalidOpcode" and r.gas_used == 10_000


# ============================================================ SELFDESTRUCT

def sd_code(beneficiary: bytes) -> bytes:
    return asm(addr_int(beneficiary), "SELFDESTRUCT")


@pytest.mark.parametrize("fork,gas,refund", [
    (Fork.FRONTIER, 0, 24000), (Fork.HOMESTEAD, 0, 24000),
    (Fork.TANGERINE_WHISTLE, 5000, 24000), (Fork.ISTANBUL, 5000, 24000),
    (Fork.BERLIN, 5000 + GAS_COLD, 24000), (Fork.LONDON, 5000 + GAS_COLD, 0),
])
def test_selfdestruct_pre_cancun_deletes_and_charges(fork, gas, refund):
    state = world(contract_balance=50)
    r = run(sd_code(OTHER), state=state, fork=fork)
    assert r.success
    assert CONTRACT not in r.state.accounts
    assert balances(r, OTHER) == [50]
    assert r.gas_used == 3 + gas and r.gas_refund == refund


@pytest.mark.parametrize("fork,extra", [
    (Fork.TANGERINE_WHISTLE, GAS_NEW_ACCOUNT),   # beneficiary does not exist
    (Fork.SPURIOUS_DRAGON, GAS_NEW_ACCOUNT),     # dead beneficiary and a non-zero balance
    (Fork.CANCUN, GAS_NEW_ACCOUNT + GAS_COLD),
])
def test_selfdestruct_to_new_account(fork, extra):
    r = run(sd_code(NOBODY), state=world(contract_balance=1), fork=fork)
    assert r.gas_used == 3 + 5000 + extra
    assert balances(r, NOBODY) == [1]


def test_selfdestruct_zero_balance_to_dead_account_no_new_account_charge():
    r = run(sd_code(NOBODY), state=world(contract_balance=0), fork=Fork.SPURIOUS_DRAGON)
    assert r.gas_used == 3 + 5000
    r = run(sd_code(NOBODY), state=world(contract_balance=0), fork=Fork.TANGERINE_WHISTLE)
    assert r.gas_used == 3 + 5000 + GAS_NEW_ACCOUNT


def test_selfdestruct_warm_beneficiary():
    state = world(contract_balance=5)
    state.set_account(CALLER, Account(balance=1))  # alive: no new-account charge
    r = run(sd_code(CALLER), state=state, fork=Fork.CANCUN)
    assert r.gas_used == 3 + 5000


def test_selfdestruct_cancun_only_moves_balance():
    """EIP-6780: an account not created in this transaction keeps code and storage."""
    state = world(contract_balance=50)
    state.accounts[CONTRACT].storage = {1: 2}
    r = run(sd_code(OTHER), state=state, fork=Fork.CANCUN)
    assert r.success and r.gas_refund == 0
    acct = r.state.accounts[CONTRACT]
    assert acct.balance == 0 and acct.code == sd_code(OTHER) and acct.storage == {1: 2}
    assert balances(r, OTHER) == [50]


def test_selfdestruct_to_self_pre_cancun_burns_balance():
    r = run(sd_code(CONTRACT), state=world(contract_balance=50), fork=Fork.SHANGHAI)
    assert CONTRACT not in r.state.accounts


def test_selfdestruct_to_self_cancun_keeps_balance():
    r = run(sd_code(CONTRACT), state=world(contract_balance=50), fork=Fork.CANCUN)
    assert r.state.accounts[CONTRACT].balance == 50


def test_selfdestruct_in_same_transaction_as_creation_deletes_cancun():
    init = sd_code(OTHER)
    state = State({CONTRACT: Account(balance=100), OTHER: Account(nonce=1)})
    r = run(ret_top(create_code(init, value=30)), state=state, fork=Fork.CANCUN)
    created = compute_contract_address(CONTRACT, 0)
    assert r.output[12:] == created
    assert created not in r.state.accounts
    assert balances(r, OTHER) == [30]


def test_selfdestruct_created_then_called_in_same_tx_deletes_cancun():
    runtime = sd_code(OTHER)
    init = asm(int.from_bytes(runtime.ljust(32, b"\0"), "big"), 0, "MSTORE", len(runtime), 0, "RETURN")
    code = (create_code(init) + asm(0, "MSTORE")
            + asm(0, 0, 0, 0, 0) + asm(0, "MLOAD", "GAS", "CALL", "POP"))
    state = State({CONTRACT: Account(balance=100), OTHER: Account(nonce=1)})
    r = run(code, state=state, fork=Fork.CANCUN)
    assert r.success
    assert compute_contract_address(CONTRACT, 0) not in r.state.accounts


def test_selfdestruct_create_transaction_deletes_cancun():
    r = run(sd_code(OTHER), create=True, state=State({OTHER: Account(nonce=1)}), value=9, fork=Fork.CANCUN)
    assert r.success
    assert CONTRACT not in r.state.accounts and balances(r, OTHER) == [9]


def test_selfdestruct_refund_once_per_account_pre_london():
    """A second SELFDESTRUCT of the same account (via re-entry) earns no second refund."""
    inner = sd_code(OTHER)
    outer = call(CONTRACT, in_size=1) + asm("POP") + sd_code(OTHER)
    target = 4 + len(outer)
    code = asm("CALLDATASIZE", target, "JUMPI") + outer + asm("JUMPDEST") + inner
    r = run(code, state=world(contract_balance=1), fork=Fork.ISTANBUL)
    assert r.success and r.gas_refund == 24000


def test_selfdestruct_halts_execution():
    r = run(sd_code(OTHER) + asm(1, 0, "SSTORE"), state=world(), fork=Fork.CANCUN)
    assert r.state.accounts[CONTRACT].storage == {}


# ============================================================ EIP-7702 delegation (Prague)

DELEGATOR = bytes.fromhex("00000000000000000000000000000000000d0d0d")


def delegation_world() -> State:
    """DELEGATOR's code designates OTHER, whose code returns ADDRESS."""
    return State({DELEGATOR: Account(code=b"\xef\x01\x00" + OTHER),
                  OTHER: Account(nonce=1, code=ret_top("ADDRESS"))})


def test_eip7702_call_runs_the_delegate_code_in_the_delegator():
    code = call(DELEGATOR, out_size=32) + asm(32, 0, "RETURN")
    r = run(code, state=delegation_world(), fork=Fork.PRAGUE)
    assert r.output[12:] == DELEGATOR
    # 7 pushes, cold DELEGATOR, cold delegate, out memory, callee (ADDRESS + RETURN_TOP), RETURN
    assert r.gas_used == 21 + GAS_COLD + GAS_COLD + 3 + (2 + RETURN_TOP_GAS) + 6


def test_eip7702_delegate_access_is_warm_the_second_time():
    code = call(DELEGATOR, gas=0) + call(DELEGATOR, gas=0) + asm("POP", "POP")
    r = run(code, state=delegation_world(), fork=Fork.PRAGUE)
    assert r.gas_used == 2 * 21 + 2 * GAS_COLD + 2 * GAS_WARM + 2 * 2


def test_eip7702_delegatecall_follows_the_designation():
    code = call(DELEGATOR, out_size=32, opname="DELEGATECALL") + asm(32, 0, "RETURN")
    r = run(code, state=delegation_world(), fork=Fork.PRAGUE)
    assert r.output[12:] == CONTRACT
    assert r.gas_used == 18 + 2 * GAS_COLD + 3 + 2 + RETURN_TOP_GAS + 6


def test_eip7702_extcodesize_sees_the_designator_itself():
    r = run(ret_top(addr_int(DELEGATOR), "EXTCODESIZE"), state=delegation_world(), fork=Fork.PRAGUE)
    assert word(r) == 23 and r.gas_used == 3 + GAS_COLD + RETURN_TOP_GAS


def test_eip7702_designator_is_plain_code_before_prague():
    """Before Prague 0xef0100... is just code starting with an undefined opcode."""
    r = run(ret_top(call(DELEGATOR, gas=10_000)), state=delegation_world(), fork=Fork.CANCUN)
    assert word(r) == 0
    assert r.gas_used == 21 + GAS_COLD + 10_000 + RETURN_TOP_GAS


# -- touch_account before Spurious Dragon --------------------------------------
# The spec's process_message touches its target first; in Frontier, Homestead
# and Tangerine Whistle touch_account creates a missing account (there is no
# EIP-161 cleanup), inside the frame's snapshot. Found by differential fuzzing:
# cyevm charged GAS_NEW_ACCOUNT but never created the account.

@pytest.mark.parametrize("fork", [Fork.FRONTIER, Fork.HOMESTEAD, Fork.TANGERINE_WHISTLE])
def test_call_to_a_missing_account_creates_it_before_spurious_dragon(fork):
    r = run(call(NOBODY, gas=50_000), fork=fork, state=world())
    assert r.success
    assert NOBODY in r.state.accounts
    acct = r.state.accounts[NOBODY]
    assert (acct.nonce, acct.balance, acct.code) == (0, 0, b"")


@pytest.mark.parametrize("fork", [Fork.SPURIOUS_DRAGON, Fork.BYZANTIUM, Fork.LONDON, Fork.CANCUN])
def test_call_to_a_missing_account_leaves_no_account_from_spurious_dragon(fork):
    r = run(call(NOBODY, gas=50_000), fork=fork, state=world())
    assert r.success
    assert NOBODY not in r.state.accounts  # touched and empty: deleted (EIP-161), or never made


def test_a_call_that_cannot_start_does_not_create_its_target_in_frontier():
    # value above the caller's balance: process_message never runs, so no touch
    missing = bytes.fromhex("000000000000000000000000000000000000beef")
    r = run(call(missing, gas=100, value=10**30), fork=Fork.FRONTIER, state=world(contract_balance=1))
    assert r.success
    assert missing not in r.state.accounts
