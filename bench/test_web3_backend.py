"""An ERC-20 ``transfer`` round trip through eth-tester: cyevm's
``CyEVMBackend`` against eth-tester's py-evm backend (``PyEVMBackend``),
side by side, at three layers:

- ``web3 transfer``: ``token.functions.transfer(to, 1).transact(...)`` then
  ``wait_for_transaction_receipt`` through web3.py's ``EthereumTesterProvider``
  (web3 estimates the gas, reads the latest block for the fees, sends, mines,
  fetches the receipt);
- ``eth-tester transfer``: the same requests made on ``EthereumTester``
  directly (its validation and normalization, no web3);
- ``backend transfer``: the same calls made on the backend itself.

The token is tests/data/tester_token.json (Vyper). Each py-evm test stores
``py_evm_over_cyevm`` (its mean time over cyevm's in the same group, the
speedup) in ``extra_info`` and prints it (``-s``)::

    python -m pytest bench/test_web3_backend.py --benchmark-columns=mean,rounds -s
"""
from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

pytest.importorskip("eth_tester", reason="eth-tester is not installed (pip install 'cyevm[tester]')")
pytest.importorskip("web3", reason="web3 is not installed (pip install 'cyevm[tester]')")

from eth_tester import EthereumTester  # noqa: E402
from eth_utils import to_canonical_address  # noqa: E402
from web3 import EthereumTesterProvider, Web3  # noqa: E402

from evm.tester import CyEVMBackend  # noqa: E402

TOKEN = json.loads((Path(__file__).resolve().parents[1] / "tests" / "data" / "tester_token.json").read_text())
SUPPLY = 10**24
_means: Dict[str, float] = {}


def _backend(name: str) -> Any:
    if name == "cyevm":
        return CyEVMBackend()
    pytest.importorskip("eth", reason="py-evm is not installed (pip install 'cyevm[bench]')")
    from eth_tester import PyEVMBackend

    return PyEVMBackend()


def _setup(name: str) -> Any:
    backend = _backend(name)
    tester = EthereumTester(backend)
    w3 = Web3(EthereumTesterProvider(tester))
    accounts = w3.eth.accounts
    factory = w3.eth.contract(abi=TOKEN["abi"], bytecode=TOKEN["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(SUPPLY).transact({"from": accounts[0]}))
    token = w3.eth.contract(address=receipt.contractAddress, abi=TOKEN["abi"])
    return backend, tester, w3, token, accounts


def _time(benchmark: Any, config: Any, group: str, name: str, run: Callable[[], Any]) -> int:
    """Time ``run`` (one transfer of 1 token) for about --bench-time seconds; the rounds run."""
    benchmark.group = group
    run()  # warm-up: the first call of each path pays its imports and caches
    t0 = time.perf_counter()
    run()
    warm = time.perf_counter() - t0
    rounds = int(max(3, min(2000, math.ceil(config.getoption("--bench-time") / max(warm, 1e-6)))))
    benchmark.extra_info["engine"] = name
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
    if benchmark.stats is not None:  # None under --benchmark-disable
        mean = benchmark.stats.stats.mean
        _means[f"{group}/{name}"] = mean
        other = _means.get(f"{group}/cyevm")
        if name != "cyevm" and other:
            benchmark.extra_info["py_evm_over_cyevm"] = mean / other
            print(f"\n{group}: cyevm {other * 1e3:.2f} ms, py-evm {mean * 1e3:.2f} ms, "
                  f"cyevm {mean / other:.1f}x faster")
    return rounds + 2


@pytest.mark.parametrize("name", ["cyevm", "py-evm"])
def test_web3_transfer(benchmark: Any, request: Any, name: str) -> None:
    _, _, w3, token, a = _setup(name)

    def run() -> Any:
        receipt = w3.eth.wait_for_transaction_receipt(token.functions.transfer(a[1], 1).transact({"from": a[0]}))
        assert receipt.status == 1
        return receipt

    n = _time(benchmark, request.config, "web3 transfer", name, run)
    assert token.functions.balanceOf(a[1]).call() == n


@pytest.mark.parametrize("name", ["cyevm", "py-evm"])
def test_eth_tester_transfer(benchmark: Any, request: Any, name: str) -> None:
    _, tester, _, token, a = _setup(name)
    data = token.encode_abi("transfer", [a[1], 1])
    call = {"from": a[0], "to": token.address, "data": data, "value": 0}

    def run() -> Any:
        # what web3's transact asks: a gas estimate, the latest block's base fee, send, receipt
        gas = tester.estimate_gas(call)
        base_fee = tester.get_block_by_number("latest")["base_fee_per_gas"]
        h = tester.send_transaction({**call, "gas": gas, "max_fee_per_gas": 2 * base_fee + 10**9,
                                     "max_priority_fee_per_gas": 10**9})
        receipt = tester.get_transaction_receipt(h)
        assert receipt["status"] == 1
        return receipt

    n = _time(benchmark, request.config, "eth-tester transfer", name, run)
    assert token.functions.balanceOf(a[1]).call() == n


@pytest.mark.parametrize("name", ["cyevm", "py-evm"])
def test_backend_transfer(benchmark: Any, request: Any, name: str) -> None:
    backend, _, _, token, a = _setup(name)
    call = {"from": to_canonical_address(a[0]), "to": to_canonical_address(token.address),
            "data": bytes.fromhex(token.encode_abi("transfer", [a[1], 1])[2:]), "value": 0}

    def run() -> Any:
        gas = backend.estimate_gas(call, "latest")
        base_fee = backend.get_block_by_number("latest", False)["base_fee_per_gas"]
        h = backend.send_transaction({**call, "gas": gas, "max_fee_per_gas": 2 * base_fee + 10**9,
                                      "max_priority_fee_per_gas": 10**9})
        for block_hash in backend.mine_blocks(1):
            backend.get_block_by_hash(block_hash, False)  # as EthereumTester.mine_blocks reads it
        receipt = backend.get_transaction_receipt(h)
        assert receipt["status"] == 1
        return receipt

    n = _time(benchmark, request.config, "backend transfer", name, run)
    assert token.functions.balanceOf(a[1]).call() == n
