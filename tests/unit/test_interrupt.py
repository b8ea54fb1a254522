"""Ctrl-C (SIGINT) stops any execution quickly and leaves no partial state.

The plain loop counts taken jumps and lets Python handle pending signals
every 65,536 of them; BLAKE2F's C code does the same every million rounds.
Each test runs the work in a child process and sends it SIGINT from here.
"""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(os.name != "posix", reason="sends SIGINT to a child process")

# SSTORE(0, 1) then loop forever: JUMPDEST PUSH1 5 JUMP
LOOP = "6001600055" + "5b600556"


def _default_sigint() -> None:
    # A shell without job control starts background commands (CI scripts,
    # nohup) with SIGINT ignored, and a child inherits that; Python then sets
    # no handler of its own. The child starts as from a terminal instead.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _readline(child: subprocess.Popen, timeout: float = 30.0) -> str:
    """The child's next line of output; fails (not hangs) after ``timeout``."""
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, f"no output from the child in {timeout} s"
    return child.stdout.readline().strip()


def _wait_for_core(pid: int, limit: float = 30.0) -> None:
    """Until process ``pid`` has loaded the core extension (read from
    /proc where there is one; else a fixed second for start-up)."""
    maps = f"/proc/{pid}/maps"
    if not os.path.exists(maps):
        time.sleep(1.0)
        return
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with open(maps) as fh:
                if "_core.cpython" in fh.read():
                    return
        except OSError:
            return
        time.sleep(0.02)


def interrupt(script: str, wait: float = 0.3) -> tuple[float, str]:
    """Run ``script`` (which prints 'ready' before the long call), send it
    SIGINT, return (seconds until its next line, that line)."""
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    try:
        assert _readline(child) == "ready"
        time.sleep(wait)  # let it get deep into the loop
        t0 = time.perf_counter()
        child.send_signal(signal.SIGINT)
        line = _readline(child)
        elapsed = time.perf_counter() - t0
        child.wait(timeout=30)
        return elapsed, line
    finally:
        child.kill()


def test_sigint_stops_execute_code_on_a_2_63_gas_loop():
    elapsed, line = interrupt(f"""
        from evm import execute_code
        print("ready", flush=True)
        try:
            execute_code(bytes.fromhex("{LOOP}"), gas=2**63 - 1)
            print("finished")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    assert line == "interrupted"
    assert elapsed < 0.1


def test_sigint_during_apply_transaction_leaves_the_state_untouched():
    elapsed, line = interrupt(f"""
        from evm import Account, BlockEnv, Fork, State, Transaction, apply_transaction
        sender, contract = b"\\x01" * 20, b"\\x02" * 20
        state = State({{sender: Account(balance=10**30), contract: Account(code=bytes.fromhex("{LOOP}"))}})
        before = repr(sorted((a, x.nonce, x.balance, x.code, sorted(x.storage.items()))
                             for a, x in state.accounts.items()))
        env = BlockEnv(gas_limit=2**62)
        tx = Transaction(sender=sender, to=contract, gas_limit=2**62, gas_price=0)
        print("ready", flush=True)
        try:
            apply_transaction(state, env, tx, Fork.SHANGHAI)
            print("finished")
        except KeyboardInterrupt:
            after = repr(sorted((a, x.nonce, x.balance, x.code, sorted(x.storage.items()))
                                for a, x in state.accounts.items()))
            print("interrupted, state " + ("unchanged" if after == before else "CHANGED"), flush=True)
    """)
    assert line == "interrupted, state unchanged"
    assert elapsed < 0.1


def test_sigint_stops_a_long_blake2f():
    # 2^32 - 1 rounds is about two minutes of work: the precompile must give way
    data = (0xFFFFFFFF).to_bytes(4, "big") + bytes(208) + b"\x01"
    elapsed, line = interrupt(f"""
        from evm._core import blake2f_compress
        print("ready", flush=True)
        try:
            blake2f_compress(bytes.fromhex("{data.hex()}"))
            print("finished")
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    assert line == "interrupted"
    assert elapsed < 0.2  # a million rounds between checks: ~25-70 ms here


def test_ctrl_c_in_evm_run_exits_130_without_a_traceback():
    child = subprocess.Popen([sys.executable, "-m", "evm", "run", "--gas", str(2**63 - 1), LOOP],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=_default_sigint)
    try:
        _wait_for_core(child.pid)  # Ctrl-C during Python's start-up is not what is tested
        time.sleep(0.3)  # into the loop
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=10)
    finally:
        child.kill()
    assert child.returncode == 130
    assert "Traceback" not in err
