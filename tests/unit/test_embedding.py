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
