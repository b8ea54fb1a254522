"""Coverage-guided fuzzing of the core with atheris (libFuzzer for Python).

Each input is turned into a fork, a gas limit, calldata and bytecode, run
through :func:`evm.execute_code` twice — by the plain build of the loop and
by its counting build (an :class:`~evm.profile.OpCounter` as the tracer) —
and checked:

- nothing but the EVM's own outcome comes out: any exception is a finding;
- the two builds agree on status, gas, output, logs and the post-state;
- the gas rules hold: ``gas_used <= gas``, and an exceptional halt uses
  all of it and returns nothing.

With the core built for fuzzing (clang's coverage instrumentation and
AddressSanitizer), libFuzzer steers by the C core's coverage and a memory
error stops the run with its report::

    .ci/atheris 600            # clang, atheris from source, CYEVM_FUZZ=1, 600 s

which amounts to::

    CC=clang pip install --no-binary atheris atheris   # ships asan_with_fuzzer.so
    CYEVM_FUZZ=1 python setup.py build_ext --inplace
    LD_PRELOAD="$(python -c 'import atheris; print(atheris.path())')/asan_with_fuzzer.so" \\
    ASAN_OPTIONS=detect_leaks=0 PYCRYPTODOME_DISABLE_DEEPBIND=1 \\
        python -m evm.fuzz.atheris_target -max_total_time=600 fuzz-corpus/

Any libFuzzer option can follow (``-runs=N``, a corpus folder, a crash file
to replay). With an ordinary build it still runs, but libFuzzer then sees
no coverage of the C core and mutates almost blindly.
"""
from __future__ import annotations

import sys
from typing import List

from ..executor import ExecutionResult, execute_code
from ..forks import Fork

FORKS: List[Fork] = list(Fork)
MAX_GAS = 3_000_000  # enough for deep loops, small enough for thousands of runs a second


def _summary(r: ExecutionResult) -> tuple:
    accounts = {a: (x.nonce, x.balance, x.code, tuple(sorted(x.storage.items())))
                for a, x in r.state.accounts.items()}
    return (r.success, r.gas_used, r.gas_refund, r.output, tuple(r.logs), r.error, accounts)


def run_one(data: bytes) -> None:
    """Run and check one fuzz input (raises AssertionError on a finding)."""
    import atheris

    from ..profile import OpCounter

    fdp = atheris.FuzzedDataProvider(data)
    fork = FORKS[fdp.ConsumeIntInRange(0, len(FORKS) - 1)]
    gas = fdp.ConsumeIntInRange(0, MAX_GAS)
    calldata = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 96))
    code = fdp.ConsumeBytes(fdp.remaining_bytes())
    plain = execute_code(code, input=calldata, gas=gas, fork=fork)
    counted = execute_code(code, input=calldata, gas=gas, fork=fork, tracer=OpCounter())
    assert _summary(plain) == _summary(counted), (fork, gas, code.hex(), _summary(plain), _summary(counted))
    assert 0 <= plain.gas_used <= gas, (fork, gas, code.hex(), plain.gas_used)
    if not plain.success and plain.error != "Revert":
        assert plain.gas_used == gas and plain.output == b"", (fork, gas, code.hex(), plain)


def main(argv: List[str]) -> None:
    """Start libFuzzer on :func:`run_one` with ``argv``'s options."""
    import atheris

    atheris.Setup(argv, run_one)
    atheris.Fuzz()


if __name__ == "__main__":  # pragma: no cover - a long-running tool
    main(sys.argv)
