"""The EVM as an engine for Python tools: snapshots, atomic calls, one
source of truth for state, block control, results, gas estimation and
validation at the edge (issue 10)."""
from __future__ import annotations

import copy
import pickle

import pytest

from evm import EVM, Account, BlockEnv, Fork, State
from evm.machine import MAX_GAS, Revert, decode_revert

ME = b"\x01" * 20
W = b"\x0a" * 20  # writes slots 1, 2, calls R with 1 wei, writes slot 3
R = b"\x0b" * 20  # copies its slot 5 to slot 6, writes slot 7
D = b"\x0d" * 20  # selfdestructs to the caller
ENV = BlockEnv(number=1, timestamp=1, gas_limit=30_000_000)

W_CODE = bytes.fromhex("600b600155" "6016600255" "6000600060006000600173" + R.hex()
                       + "5af150" "6021600355" "00")
R_CODE = bytes.fromhex("600554600655" "6042600755" "00")
D_CODE = bytes.fromhex("33ff")
SLOTS = [(W, 1), (W, 2), (W, 3), (R, 5), (R, 6), (R, 7), (D, 1), (D, 2)]
ADDRESSES = [ME, W, R, D]


def fresh_state() -> State:
    return State({ME: Account(balance=10**18), W: Account(balance=5, code=W_CODE),
                  R: Account(code=R_CODE, storage={5: 77}),
                  D: Account(balance=3, code=D_CODE, storage={1: 5, 2: 6})})


def observe(evm: EVM) -> tuple:
    """Every slot, balance, nonce and code the tests touch."""
    return (tuple(evm.get_storage(a, k) for a, k in SLOTS),
            tuple((evm.get_balance(a), evm.get_nonce(a), evm.get_code(a), evm.account_exists(a))
                  for a in ADDRESSES))


# -- snapshots ---------------------------------------------------------------------------
def test_snapshot_revert_nested_and_anchor():
    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    before = observe(evm)
    s1 = evm.snapshot()
    assert evm.message_call(ME, W).success
    after_call = observe(evm)
    assert after_call != before and evm.get_storage(R, 6) == 77
    s2 = evm.snapshot()
    evm.set_balance(ME, 1)
    evm.set_storage(W, 1, 99)
    evm.revert(s2)
    assert observe(evm) == after_call
    evm.set_nonce(ME, 9)
    evm.revert(s1)
    assert observe(evm) == before
    with pytest.raises(ValueError, match="snapshot"):
        evm.revert(s2)  # reverting to an outer snapshot discards inner ones
    evm.revert(s1)  # still valid
    with pytest.raises(RuntimeError):
        with evm.anchor():
            evm.message_call(ME, W)
            raise RuntimeError("leave the block")
    assert observe(evm) == before


def test_snapshot_survives_commit():
    state = fresh_state()
    reference = fresh_state()
    evm = EVM(state, Fork.CANCUN, ENV)
    snap = evm.snapshot()
    evm.message_call(ME, W)
    evm.delete_account(D)
    evm.commit()
    assert state.accounts[W].storage[1] == 0x0b and D not in state.accounts
    evm.revert(snap)
    evm.commit()
    assert {a: (x.nonce, x.balance, x.code, x.storage) for a, x in state.accounts.items()} == \
        {a: (x.nonce, x.balance, x.code, x.storage) for a, x in reference.accounts.items()}


def test_revert_restores_storage_of_an_account_deleted_after_the_snapshot():
    # Shanghai: SELFDESTRUCT deletes the account and its storage
    evm = EVM(fresh_state(), Fork.SHANGHAI, ENV)
    before = observe(evm)
    snap = evm.snapshot()
    assert evm.message_call(ME, D).success
    assert not evm.account_exists(D) and evm.get_storage(D, 2) == 0
    evm.revert(snap)
    assert evm.get_storage(D, 2) == 6 and evm.get_storage(D, 1) == 5
    assert observe(evm) == before


def test_a_call_after_revert_sees_a_fresh_transaction():
    a = EVM(fresh_state(), Fork.CANCUN, ENV)
    b = EVM(fresh_state(), Fork.CANCUN, ENV)
    with a.anchor():
        a.message_call(ME, W)
    assert a.message_call(ME, W) == b.message_call(ME, W)


# -- atomic calls --------------------------------------------------------------------------
class RaisingTracer:
    """Raises `exc` at the n-th instruction."""

    def __init__(self, n: int, exc: BaseException) -> None:
        self.n, self.exc = n, exc

    def op_start(self, *args, **kwargs):
        self.n -= 1
        if self.n == 0:
            raise self.exc

    def op_gas(self, *a):
        pass

    def op_end(self, *a):
        pass

    def op_exception(self, *a):
        pass

    def tx_end(self, *a):
        pass


class RaisingState(State):
    """A Database that raises once `armed` when slot 5 is read."""

    armed: BaseException | None = None

    def get_storage(self, address, key):
        if self.armed is not None and key == 5:
            raise self.armed
        return super().get_storage(address, key)


@pytest.mark.parametrize("n", [6, 12, 20, 27])
def test_an_inspector_raising_mid_call_leaves_the_state_unchanged(n):
    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    twin = EVM(fresh_state(), Fork.CANCUN, ENV)
    before = observe(evm)
    error = ValueError("inspector failed")
    with pytest.raises(ValueError) as info:
        evm.message_call(ME, W, tracer=RaisingTracer(n, error))
    assert info.value is error  # propagated unchanged
    assert observe(evm) == before
    # warmth and originals are those of a fresh transaction too
    assert evm.message_call(ME, W) == twin.message_call(ME, W)


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), OSError("database gone")])
def test_a_database_raising_mid_call_leaves_the_state_unchanged(exc):
    state = RaisingState(fresh_state().accounts)
    evm = EVM(state, Fork.CANCUN, ENV)
    before = observe(EVM(fresh_state(), Fork.CANCUN, ENV))  # slot 5 stays cold here
    assert evm.snapshot()
    state.armed = exc
    with pytest.raises(type(exc)) as info:
        evm.message_call(ME, W)
    assert info.value is exc
    state.armed = None
    assert observe(evm) == before
    evm.commit()
    assert state.accounts[W].storage == {}
    twin = EVM(fresh_state(), Fork.CANCUN, ENV)
    assert evm.message_call(ME, W) == twin.message_call(ME, W)


# -- one source of truth --------------------------------------------------------------------
def test_setters_view_and_accounts():
    evm = EVM(fresh_state(), "Cancun", ENV)
    evm.set_storage(b"\x77" * 20, 3, 4)
    evm.set_nonce(b"\x78" * 20, 2)
    evm.set_code(b"\x79" * 20, "0x6000")
    evm.delete_account(D)
    assert set(evm.accounts()) == {ME, W, R, b"\x77" * 20, b"\x78" * 20, b"\x79" * 20}
    view = evm.state
    assert view[b"\x77" * 20].storage == {3: 4} and view[R].storage == {5: 77}
    assert D not in view
    with pytest.raises(AttributeError, match="read-only"):
        view[ME].balance = 1
    evm.commit()
    assert evm.db.accounts[b"\x77" * 20].storage == {3: 4}
    assert evm.db.accounts[b"\x79" * 20].code == b"\x60\x00" and D not in evm.db.accounts


def test_deepcopy_and_pickle_give_independent_machines():
    evm = EVM(fresh_state(), Fork.PRAGUE, BlockEnv(number=7, timestamp=9))
    evm.message_call(ME, W)
    evm.set_block_hash(3, b"\x33" * 32)
    for other in (copy.deepcopy(evm), pickle.loads(pickle.dumps(evm))):
        assert observe(other) == observe(evm)
        assert other.fork == Fork.PRAGUE and other.env == evm.env
        other.set_storage(W, 1, 1234)
        other.message_call(ME, W)
        assert evm.get_storage(W, 1) == 0x0b
    with pytest.raises(TypeError):
        copy.copy(evm)


class DictDatabase:
    """A minimal read-only Database that is not a State."""

    def __init__(self, accounts):
        self.data = accounts

    def get_account(self, address):
        return self.data.get(address)

    def get_storage(self, address, key):
        acct = self.data.get(address)
        return acct.storage.get(key, 0) if acct else 0

    def get_block_hash(self, number):
        return b"\0" * 32


def test_any_database_works_and_commit_keeps_changes_in_the_machine():
    evm = EVM(db=DictDatabase(fresh_state().accounts), fork=Fork.CANCUN, env=ENV)
    evm.message_call(ME, W)
    evm.commit()
    assert evm.get_storage(W, 1) == 0x0b and evm.get_storage(R, 6) == 77


# -- block control ---------------------------------------------------------------------------
def test_block_changes_take_effect_on_the_next_call():
    number_code = bytes.fromhex("4360005260206000f3")  # return NUMBER
    hash_code = bytes.fromhex("60034060005260206000f3")  # return BLOCKHASH(3)
    evm = EVM(State({W: Account(code=number_code), R: Account(code=hash_code)}), Fork.CANCUN, ENV)
    assert evm.message_call(ME, W).output == (1).to_bytes(32, "big")
    evm.set_block(number=10)
    assert evm.message_call(ME, W).output == (10).to_bytes(32, "big")
    evm.env = BlockEnv(number=12)
    assert evm.message_call(ME, W).output == (12).to_bytes(32, "big")
    evm.set_block_hash(3, b"\x42" * 32)
    assert evm.message_call(ME, R).output == b"\x42" * 32
    with pytest.raises(TypeError):
        evm.set_block(nmber=1)
    with pytest.raises(ValueError, match="number"):
        evm.set_block(number=-1)


# -- results -----------------------------------------------------------------------------------
def revert_with(data: bytes) -> bytes:
    """Code that REVERTs with `data` (copied from its own tail)."""
    n = len(data)
    head = bytes.fromhex(f"61{n:04x}600e60003961{n:04x}6000fd")
    assert len(head) == 14
    return head + data


def test_call_result_decodes_revert_data():
    error = bytes.fromhex("08c379a0") + (32).to_bytes(32, "big") + (4).to_bytes(32, "big") + \
        b"boom".ljust(32, b"\0")
    panic = bytes.fromhex("4e487b71") + (0x11).to_bytes(32, "big")
    evm = EVM(State({W: Account(code=revert_with(error)), R: Account(code=revert_with(panic)),
                     D: Account(code=b"\xfe")}))
    r = evm.message_call(ME, W)
    assert r.status == "revert" and r.revert_data == error and r.revert_reason == "boom"
    assert evm.message_call(ME, R).revert_reason == "Panic(0x11): arithmetic overflow or underflow"
    h = evm.message_call(ME, D)
    assert h.status == "halt" and h.halt_reason == "InvalidOpcode" and h.revert_data is None
    with pytest.raises(Revert) as info:
        evm.message_call(ME, W, raise_on_revert=True)
    assert info.value.reason == "boom" and info.value.result.gas_used == r.gas_used
    assert decode_revert(b"\x01\x02") is None


# -- gas estimation ------------------------------------------------------------------------------
@pytest.mark.parametrize("fork", [Fork.BERLIN, Fork.CANCUN])
def test_estimate_gas_is_exact_and_changes_nothing(fork):
    evm = EVM(fresh_state(), fork, ENV)
    before = observe(evm)
    estimate = evm.estimate_gas(ME, W)
    assert observe(evm) == before
    full = EVM(fresh_state(), fork, ENV)
    full.message_call(ME, W)
    at = EVM(fresh_state(), fork, ENV)
    assert at.message_call(ME, W, gas=estimate).success
    assert observe(at) == observe(full)
    below = EVM(fresh_state(), fork, ENV)
    below.message_call(ME, W, gas=estimate - 1)
    assert observe(below) != observe(full)  # the inner call is starved
    assert evm.estimate_runs <= 20


def test_estimate_gas_of_a_plain_call_takes_three_runs():
    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    estimate = evm.estimate_gas(ME, R)
    assert evm.estimate_runs == 3
    assert EVM(fresh_state()).message_call(ME, R, gas=estimate).success
    assert not EVM(fresh_state()).message_call(ME, R, gas=estimate - 1).success


# -- validation at the edge -------------------------------------------------------------------------
def test_validation_names_the_field():
    evm = EVM()
    with pytest.raises(ValueError, match="balance"):
        evm.set_balance(ME, -1)
    with pytest.raises(ValueError, match="balance"):
        evm.set_balance(ME, 1 << 256)
    with pytest.raises(TypeError, match="balance"):
        evm.set_balance(ME, "1")
    with pytest.raises(TypeError, match="code"):
        evm.set_code(ME, 5)
    with pytest.raises(ValueError, match="key"):
        evm.set_storage(ME, -1, 0)
    with pytest.raises(ValueError, match="address"):
        evm.get_balance(b"\x01" * 19)
    with pytest.raises(ValueError, match=r"2\*\*63-1"):
        evm.message_call(ME, W, gas=(1 << 64) - 1)
    with pytest.raises(ValueError, match="gas"):
        evm.message_call(ME, W, gas=1 << 64)
    with pytest.raises(ValueError, match="fork"):
        EVM(fork="Atlantis")
    assert EVM(fork="cancun").fork == Fork.CANCUN
    assert evm.message_call(ME, W, gas=MAX_GAS).success


def test_numpy_integers_are_accepted():
    np = pytest.importorskip("numpy")
    evm = EVM()
    evm.set_balance(ME, np.uint64(7))
    evm.set_storage(W, np.int64(1), np.uint32(2))
    assert evm.get_balance(ME) == 7 and evm.get_storage(W, np.int8(1)) == 2
    assert evm.message_call(ME, W, gas=np.int64(100_000)).success


# -- inspectors ------------------------------------------------------------------------------------
from evm import AccessListBuilder, CallTracer, Inspector, OpcodeCounter  # noqa: E402


class OnlyLogs:
    """Not an Inspector subclass: only the methods it has are called."""

    def __init__(self):
        self.logs = []

    def log(self, address, topics, data):
        self.logs.append((address, topics, data))


def test_only_overridden_hooks_are_called_and_the_plain_loop_runs():
    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    evm.set_code(R, bytes.fromhex("6007600052" "602a60206000a1" "00"))  # log1(mem[0:32], topic 42)
    seen = OnlyLogs()

    class Calls(Inspector):
        def __init__(self):
            self.events = []

        def call_start(self, kind, caller, to, value, input, gas, depth):
            # no step(): the plain loop runs, no tracer is attached
            self.events.append(("start", kind, caller, to, value, depth, evm._vm.tracer))

        def call_end(self, success, output, gas_used, error):
            self.events.append(("end", success, error))

    calls = Calls()
    evm.message_call(ME, W, inspector=seen)
    assert seen.logs == [(R, [(42).to_bytes(32, "big")], (7).to_bytes(32, "big"))]
    evm.message_call(ME, W, inspector=calls)
    assert calls.events == [("start", "CALL", ME, W, 0, 0, None), ("start", "CALL", W, R, 1, 1, None),
                            ("end", True, None), ("end", True, None)]
    assert evm._vm.j.hooks == 0 and evm._vm.j.inspector is None  # per call only


def test_storage_write_and_selfdestruct_hooks():
    class Writes(Inspector):
        def __init__(self):
            self.events = []

        def storage_write(self, address, key, old, new):
            self.events.append((address, key, old, new))

        def selfdestruct(self, address, beneficiary, value):
            self.events.append(("selfdestruct", address, beneficiary, value))

    writes = Writes()
    evm = EVM(fresh_state(), Fork.CANCUN, ENV, inspector=writes)
    evm.message_call(ME, W)
    evm.message_call(ME, D)
    assert writes.events == [(W, 1, 0, 0x0b), (W, 2, 0, 0x16), (R, 6, 0, 77), (R, 7, 0, 0x42),
                             (W, 3, 0, 0x21), ("selfdestruct", D, ME, 3)]
    evm.set_storage(W, 9, 9)  # not an SSTORE
    assert len(writes.events) == 6


def test_call_tracer_matches_geth_call_tracer_shape():
    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    tracer = CallTracer()
    r = evm.message_call(ME, W, gas=200_000, inspector=tracer)
    top = tracer.result
    assert top["type"] == "CALL" and top["from"] == "0x" + ME.hex() and top["to"] == "0x" + W.hex()
    assert top["gas"] == hex(200_000) and top["gasUsed"] == hex(r.gas_used) and top["input"] == "0x"
    (inner,) = top["calls"]
    assert inner["type"] == "CALL" and inner["from"] == "0x" + W.hex() and inner["value"] == "0x1"
    assert "calls" not in inner and "error" not in inner
    tracer = CallTracer()
    EVM(fresh_state()).message_call(ME, W, gas=100_000, inspector=tracer)  # the inner call is starved
    assert tracer.result["calls"][0]["error"] == "out of gas"
    error = bytes.fromhex("08c379a0") + (32).to_bytes(32, "big") + (2).to_bytes(32, "big") + \
        b"no".ljust(32, b"\0")
    evm.set_code(R, revert_with(error))
    tracer = CallTracer()
    evm.message_call(ME, W, inspector=tracer)
    inner = tracer.result["calls"][0]
    assert inner["error"] == "execution reverted" and inner["revertReason"] == "no"
    assert inner["output"] == "0x" + error.hex()


def test_opcode_counter_and_access_list_builder():
    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    counter = OpcodeCounter()
    evm.message_call(ME, R, inspector=counter)
    assert dict(counter.counts) == {"PUSH1": 4, "SLOAD": 1, "SSTORE": 2, "STOP": 1}
    builder = AccessListBuilder()
    evm.message_call(ME, W, inspector=builder)
    assert builder.access_list(ME, W) == [(W, [1, 2, 3]), (R, [5, 6, 7])]


def test_a_raising_hook_leaves_the_state_unchanged():
    class Fails(Inspector):
        def call_end(self, success, output, gas_used, error):
            raise LookupError("hook failed")

    evm = EVM(fresh_state(), Fork.CANCUN, ENV)
    before = observe(EVM(fresh_state(), Fork.CANCUN, ENV))
    with pytest.raises(LookupError):
        evm.message_call(ME, W, inspector=Fails())
    assert observe(evm) == before


def test_account_transaction_and_block_env_check_their_fields():
    from evm import Transaction
    for fields, exc, name in [(dict(balance=-1), ValueError, "balance"), (dict(balance=1 << 256), ValueError, "balance"),
                              (dict(code="60"), TypeError, "code"), (dict(storage={-1: 0}), ValueError, "storage key"),
                              (dict(nonce=1 << 64), ValueError, "nonce"), (dict(nonce=1.0), TypeError, "nonce")]:
        with pytest.raises(exc, match=name):
            Account(**fields)
    with pytest.raises(ValueError, match="number"):
        BlockEnv(number=-1)
    with pytest.raises(TypeError, match="gas_limit"):
        Transaction(sender=ME, to=W, gas_limit="1", gas_price=1)


def test_huge_transaction_gas_limit_names_the_limit():
    from evm import Transaction
    evm = EVM(fresh_state(), Fork.CANCUN, BlockEnv(gas_limit=(1 << 64) - 1))
    with pytest.raises(ValueError, match=r"2\*\*63-1"):
        evm.transact(Transaction(sender=ME, to=W, gas_limit=(1 << 64) - 1, gas_price=0))


def test_estimate_gas_where_the_63_64_rule_binds():
    # X: call(gas, R, 0, 0, 0, 0, 0); stop -- little work after the call, so
    # the gas used leaves R 63/64 of too little: the search must widen
    x = b"\x0e" * 20
    code = bytes.fromhex("6000600060006000600073" + R.hex() + "5af1" "00")

    def make():
        state = fresh_state()
        state.set_account(x, Account(code=code))
        return EVM(state, Fork.CANCUN, ENV)

    evm = make()
    estimate = evm.estimate_gas(ME, x)
    full, at, below = make(), make(), make()
    full.message_call(ME, x)
    used = at.message_call(ME, x, gas=estimate).gas_used
    below.message_call(ME, x, gas=estimate - 1)
    assert observe(at) == observe(full) and observe(below) != observe(full)
    assert estimate > used  # more than the gas used: the 1/64 kept back
    assert 3 < evm.estimate_runs <= 25
