"""The same pyrevm script on pyrevm and on ``evm.compat.pyrevm``, side by side
(and cyevm's own ``EVM`` for the cost of the compat layer itself).

- ``compat: erc20 transfers``: from a snapshot, 100 ERC-20 ``transfer``
  message calls to 100 new holders (the token is cyevm's BenchToken,
  ``evm/data/erc20.hex``), then ``revert`` to the snapshot;
- ``compat: deploy``: deploy the token (initcode that copies its 2.2 KB
  runtime), then ``revert``.

Every round checks what it did (a holder's balance, the deployed code), so
a timing is never reported for a run that failed. The ratio is pyrevm's mean
over the compat layer's (``> 1``: the compat layer is faster)::

    python -m pytest bench/test_compat_pyrevm.py --benchmark-columns=mean,ops

The gas differs between the two on the transfers (each call is a new
transaction on cyevm; pyrevm keeps one open, so the sender's slot is warm
after the first call): the work per call is the same code path.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

import pytest

from evm import EVM as MachineEVM
from evm import Fork, State
from evm.compat import pyrevm as compat
from evm.workloads import _data_hex

ALICE = "0x" + "11" * 20
TOKEN = "0x" + "22" * 20
N = 100
RUNTIME = _data_hex("erc20.hex")
MINTER_SLOT = 3  # `minter` in erc20.vy
# PUSH2 len DUP1 PUSH1 10 PUSH0 CODECOPY PUSH0 RETURN, then the runtime
INITCODE = b"\x61" + len(RUNTIME).to_bytes(2, "big") + bytes([0x80, 0x60, 10, 0x5F, 0x39, 0x5F, 0xF3]) + RUNTIME
SEL_MINT = bytes.fromhex("40c10f19")
SEL_TRANSFER = bytes.fromhex("a9059cbb")
SEL_BALANCE_OF = bytes.fromhex("70a08231")
HOLDERS = [(0x10_0000 + i).to_bytes(20, "big") for i in range(N)]
CALLS = [SEL_TRANSFER + bytes(12) + h + (1 + i % 7).to_bytes(32, "big") for i, h in enumerate(HOLDERS)]
LAST_HOLDER_BALANCE = 1 + (N - 1) % 7


def _pyrevm_like(mod: Any) -> Any:
    """A token with ALICE as minter and holder of 10**30, on ``mod``'s EVM."""
    e = mod.EVM(spec_id="Cancun")
    e.insert_account_info(ALICE, mod.AccountInfo(balance=10**30))
    e.insert_account_info(TOKEN, mod.AccountInfo(code=RUNTIME))
    e.insert_account_storage(TOKEN, MINTER_SLOT, int(ALICE, 16))
    e.message_call(ALICE, TOKEN, SEL_MINT + bytes(12) + bytes.fromhex(ALICE[2:]) + (10**30).to_bytes(32, "big"))
    return e


def _transfers(mod: Any) -> Callable[[], bytes]:
    e = _pyrevm_like(mod)
    query = SEL_BALANCE_OF + bytes(12) + HOLDERS[-1]

    def run() -> bytes:
        cp = e.snapshot()
        for data in CALLS:
            e.message_call(ALICE, TOKEN, data)
        out = e.message_call(ALICE, TOKEN, query)
        e.revert(cp)
        return out

    return run


def _deploy(mod: Any) -> Callable[[], bytes]:
    e = _pyrevm_like(mod)

    def run() -> bytes:
        cp = e.snapshot()
        address = e.deploy(ALICE, INITCODE)
        code = e.get_code(address)
        e.revert(cp)
        return code

    return run


def _machine_transfers() -> Callable[[], bytes]:
    """The same loop on cyevm's own API (bytes addresses, CallResult)."""
    alice, token = bytes.fromhex(ALICE[2:]), bytes.fromhex(TOKEN[2:])
    e = MachineEVM(State(), Fork.CANCUN)
    e.set_balance(alice, 10**30)
    e.set_code(token, RUNTIME)
    e.set_storage(token, MINTER_SLOT, int(ALICE, 16))
    e.message_call(alice, token, SEL_MINT + bytes(12) + alice + (10**30).to_bytes(32, "big"))
    query = SEL_BALANCE_OF + bytes(12) + HOLDERS[-1]

    def run() -> bytes:
        snap = e.snapshot()
        for data in CALLS:
            e.message_call(alice, token, data)
        out = e.message_call(alice, token, query).output
        e.revert(snap)
        e.release(snap)
        return out

    return run


_MEANS: Dict[str, Dict[str, float]] = {}


def _record(benchmark: Any, group: str, peer: str) -> None:
    if benchmark.stats is None:  # --benchmark-disable
        return
    _MEANS.setdefault(group, {})[peer] = benchmark.stats.stats.mean
    means = _MEANS[group]
    if "pyrevm" in means and "compat" in means:
        benchmark.extra_info["pyrevm_over_compat"] = round(means["pyrevm"] / means["compat"], 3)


@pytest.mark.parametrize("peer", ["compat", "pyrevm"])
def test_erc20_transfers(benchmark, peer):
    benchmark.group = "compat: erc20 transfers"
    mod = compat if peer == "compat" else pytest.importorskip("pyrevm", reason="pyrevm is the peer")
    run = _transfers(mod)
    run()  # the first run pays one-time costs (imports, code analysis)
    out = benchmark(run)
    assert int.from_bytes(out, "big") == LAST_HOLDER_BALANCE
    benchmark.extra_info["calls"] = N
    _record(benchmark, benchmark.group, peer)


def test_erc20_transfers_machine(benchmark):
    benchmark.group = "compat: erc20 transfers"
    run = _machine_transfers()
    run()
    out = benchmark(run)
    assert int.from_bytes(out, "big") == LAST_HOLDER_BALANCE


@pytest.mark.parametrize("peer", ["compat", "pyrevm"])
def test_deploy(benchmark, peer):
    benchmark.group = "compat: deploy"
    mod = compat if peer == "compat" else pytest.importorskip("pyrevm", reason="pyrevm is the peer")
    run = _deploy(mod)
    run()
    code = benchmark(run)
    assert code[:len(RUNTIME)] == RUNTIME  # pyrevm pads the code it returns
    _record(benchmark, benchmark.group, peer)
