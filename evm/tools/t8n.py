"""``evm t8n``: the state transition tool, with go-ethereum's command-line contract.

Inputs are an *alloc* (the pre-state: ``{"0xaddr": {"balance", "nonce",
"code", "storage"}}``), an *env* (the block: ``currentCoinbase``,
``currentNumber``, ``currentTimestamp``, ``currentGasLimit``, and per fork
``currentDifficulty`` or the parent's difficulty and timestamp,
``currentBaseFee`` or the parent's gas and base fee, ``currentRandom``,
``withdrawals``, ``parentBeaconBlockRoot``, ``currentExcessBlobGas`` or the
parent's blob gas, ``blockHashes``, ``ommers``) and *txs* (a JSON list of
transactions, signed or with a ``secretKey`` to sign them, or the RLP of a
list of transactions as a hex string). The block's transactions run as in
:func:`evm.blocks.apply_body`; a transaction that cannot be included is
*rejected* (listed with its reason) and left out. Outputs are the *result*
(roots, receipts, rejected, gas used, base fee, blob gas, requests), the
post-state *alloc* and the *body* (the RLP of the included transactions).

Exit codes as in geth: 2 execution error, 3 configuration (unknown fork,
bad option), 10 bad JSON input, 11 file I/O, 12 bad RLP input.
"""
from __future__ import annotations

import argparse
import json
import os
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, TextIO, Tuple

from ..blocks import Header, InvalidBlock, Withdrawal, apply_body, logs_bloom
from ..blocks.block import receipts_root, transactions_root, withdrawals_root
from ..blocks.header import (
    EMPTY_OMMER_HASH,
    ZERO_HASH,
    calculate_base_fee_per_gas,
    calculate_block_difficulty,
    calculate_excess_blob_gas,
)
from ..blocks.system import compute_requests_hash
from ..executor import compute_contract_address
from ..forks import FIXTURE_NAMES, Fork, fork_from_name
from ..rlp import RLPDecodingError, decode as rlp_decode, encode as rlp_encode
from ..state import State
from ..statetest import FixtureError, _hex_bytes, _hex_int, _padded_bytes32, build_state
from ..transaction import Authorization, InvalidTransaction, Transaction
from ..signed_transaction import SignedTransaction, decode_block_transaction, sign_transaction
from ..trie import logs_hash, state_root

__all__ = ["T8nError", "transition", "state_to_alloc", "add_parser", "main", "stream",
           "EXIT_EVM", "EXIT_CONFIG", "EXIT_JSON", "EXIT_IO", "EXIT_RLP"]

EXIT_EVM, EXIT_CONFIG, EXIT_JSON, EXIT_IO, EXIT_RLP = 2, 3, 10, 11, 12


class T8nError(Exception):
    """A t8n failure with geth's exit code."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- inputs --------------------------------------------------------------------
def _alloc_to_state(alloc: Any) -> State:
    if not isinstance(alloc, dict):
        raise FixtureError(f"alloc: expected an object, got {type(alloc).__name__}")
    full = {}
    for address, acct in alloc.items():
        if not isinstance(acct, dict):
            raise FixtureError(f"alloc[{address}]: expected an object")
        full[address] = {"nonce": "0x0", "balance": "0x0", "code": "0x", "storage": {}, **acct}
        if full[address]["code"] in (None, ""):
            full[address]["code"] = "0x"
    return build_state(full)


def _opt_int(env: Dict[str, Any], key: str) -> Optional[int]:
    return _hex_int(env[key], f"env.{key}") if env.get(key) is not None else None


def _need(env: Dict[str, Any], key: str, why: str) -> int:
    value = _opt_int(env, key)
    if value is None:
        raise FixtureError(f"env.{key} is required ({why})")
    return value


def _build_header(env: Any, fork: Fork) -> Tuple[Header, Dict[int, bytes], List[Any], Optional[List[Withdrawal]]]:
    """The block header the transactions run under, the known block hashes, the ommers and withdrawals."""
    if not isinstance(env, dict):
        raise FixtureError("env: expected an object")
    number = _need(env, "currentNumber", "the block number")
    timestamp = _need(env, "currentTimestamp", "the block timestamp")
    gas_limit = _need(env, "currentGasLimit", "the block gas limit")
    block_hashes: Dict[int, bytes] = {}
    for key, value in (env.get("blockHashes") or {}).items():
        block_hashes[_hex_int(key, "env.blockHashes key")] = _hex_bytes(value, f"env.blockHashes[{key}]", 32)
    values: Dict[str, Any] = dict(
        coinbase=_hex_bytes(env.get("currentCoinbase", ""), "env.currentCoinbase", 20),
        number=number, timestamp=timestamp, gas_limit=gas_limit,
        parent_hash=block_hashes.get(number - 1, ZERO_HASH),
    )
    if fork >= Fork.PARIS:
        values["prev_randao"] = _padded_bytes32(env.get("currentRandom", "0x0"), "env.currentRandom")
    elif env.get("currentDifficulty") is not None:
        values["difficulty"] = _hex_int(env["currentDifficulty"], "env.currentDifficulty")
    else:
        uncle_hash = env.get("parentUncleHash")
        parent = Header(
            difficulty=_need(env, "parentDifficulty", "no currentDifficulty"),
            timestamp=_need(env, "parentTimestamp", "no currentDifficulty"),
            ommers_hash=_hex_bytes(uncle_hash, "env.parentUncleHash", 32) if uncle_hash else EMPTY_OMMER_HASH)
        values["difficulty"] = calculate_block_difficulty(fork, number, timestamp, parent)
    if fork >= Fork.LONDON:
        base_fee = _opt_int(env, "currentBaseFee")
        if base_fee is None:
            base_fee = calculate_base_fee_per_gas(
                gas_limit, _need(env, "parentGasLimit", "no currentBaseFee"),
                _need(env, "parentGasUsed", "no currentBaseFee"), _need(env, "parentBaseFee", "no currentBaseFee"))
        values["base_fee_per_gas"] = base_fee
    withdrawals = None
    if fork >= Fork.SHANGHAI:
        withdrawals = []
        for i, w in enumerate(env.get("withdrawals") or []):
            where = f"env.withdrawals[{i}]"
            try:
                withdrawals.append(Withdrawal(_hex_int(w["index"], f"{where}.index"),
                                              _hex_int(w["validatorIndex"], f"{where}.validatorIndex"),
                                              _hex_bytes(w["address"], f"{where}.address", 20),
                                              _hex_int(w["amount"], f"{where}.amount")))
            except (KeyError, TypeError) as e:
                raise FixtureError(f"{where}: missing field {e}") from None
            except ValueError as e:
                raise FixtureError(f"{where}: {e}") from None
        values["withdrawals_root"] = withdrawals_root(withdrawals)
    if fork >= Fork.CANCUN:
        excess = _opt_int(env, "currentExcessBlobGas")
        if excess is None:
            parent = Header(excess_blob_gas=_opt_int(env, "parentExcessBlobGas") or 0,
                            blob_gas_used=_opt_int(env, "parentBlobGasUsed") or 0,
                            base_fee_per_gas=_opt_int(env, "parentBaseFee") or 0,
                            withdrawals_root=ZERO_HASH, parent_beacon_block_root=ZERO_HASH)
            excess = calculate_excess_blob_gas(parent, fork)
        root = env.get("parentBeaconBlockRoot")
        values.update(blob_gas_used=0, excess_blob_gas=excess,
                      parent_beacon_block_root=_hex_bytes(root, "env.parentBeaconBlockRoot", 32) if root else ZERO_HASH)
    if fork >= Fork.PRAGUE:
        values["requests_hash"] = ZERO_HASH
    ommers = [SimpleNamespace(number=number - _hex_int(o.get("delta"), "env.ommers[].delta"),
                              coinbase=_hex_bytes(o.get("address", ""), "env.ommers[].address", 20))
              for o in env.get("ommers") or []]
    try:
        return Header(**values), block_hashes, ommers, withdrawals
    except (TypeError, ValueError) as e:
        raise FixtureError(f"env: {e}") from None


def _json_tx(raw: Any, fork: Fork, chain_id: int) -> SignedTransaction:
    """A transaction from geth's JSON form (``gas``, ``input``, ``v``/``r``/``s`` or ``secretKey``)."""
    if not isinstance(raw, dict):
        raise FixtureError("a transaction is a JSON object")

    def num(key: str, default: Optional[int] = 0) -> Optional[int]:
        return _hex_int(raw[key], key) if raw.get(key) is not None else default

    if raw.get("type") is not None:
        tx_type = _hex_int(raw["type"], "type")
    else:
        tx_type = next((t for key, t in (("authorizationList", 4), ("maxFeePerBlobGas", 3), ("maxFeePerGas", 2),
                                         ("accessList", 1)) if key in raw), 0)
    if tx_type > 4:
        raise FixtureError(f"unknown transaction type {tx_type}")
    to = raw.get("to")
    kwargs: Dict[str, Any] = dict(
        sender=b"\x00" * 20, to=_hex_bytes(to, "to", 20) if to else None, nonce=num("nonce"),
        gas_limit=num("gas", None) if "gas" in raw else num("gasLimit"), value=num("value"),
        data=_hex_bytes(raw.get("input", raw.get("data", "0x")) or "0x", "input"),
    )
    if tx_type >= 1:
        kwargs["access_list"] = [
            (_hex_bytes(e["address"], "accessList[].address", 20),
             [_hex_int(k, "accessList[].storageKeys") for k in e.get("storageKeys") or []])
            for e in raw.get("accessList") or []]
    if tx_type >= 2:
        kwargs.update(max_fee_per_gas=num("maxFeePerGas"), max_priority_fee_per_gas=num("maxPriorityFeePerGas"))
    else:
        kwargs["gas_price"] = num("gasPrice")
    if tx_type == 3:
        kwargs.update(max_fee_per_blob_gas=num("maxFeePerBlobGas"),
                      blob_versioned_hashes=[_hex_bytes(h, "blobVersionedHashes", 32)
                                             for h in raw.get("blobVersionedHashes") or []])
    if tx_type == 4:
        kwargs["authorization_list"] = [
            Authorization(_hex_int(a["chainId"], "authorizationList[].chainId"),
                          _hex_bytes(a["address"], "authorizationList[].address", 20),
                          _hex_int(a["nonce"], "authorizationList[].nonce"),
                          _hex_int(a.get("yParity", a.get("v")), "authorizationList[].yParity"),
                          _hex_int(a["r"], "authorizationList[].r"), _hex_int(a["s"], "authorizationList[].s"))
            for a in raw.get("authorizationList") or []]
    try:
        tx = Transaction(**kwargs)
    except (TypeError, ValueError) as e:
        raise FixtureError(str(e)) from None
    v = num("v") if raw.get("v") is not None else num("yParity")
    r, s = num("r"), num("s")
    if raw.get("secretKey") and v == r == s == 0:
        key = _hex_bytes(raw["secretKey"], "secretKey", 32)
        protected = raw.get("protected", True) and fork >= Fork.SPURIOUS_DRAGON
        return sign_transaction(tx, key, chain_id if tx_type or protected else None)
    if tx_type:
        return SignedTransaction.from_transaction(tx, v, r, s, num("chainId", chain_id))
    return SignedTransaction.from_transaction(tx, v, r, s, (v - 35) // 2 if v >= 35 else None)


def _parse_txs(txs: Any, fork: Fork, chain_id: int) -> Tuple[List[Tuple[int, SignedTransaction]], Dict[int, str]]:
    """The parsed transactions with their input index, and the parse errors by index."""
    parsed, rejected = [], {}
    if txs is None:
        return parsed, rejected
    if isinstance(txs, str):
        try:
            items = rlp_decode(_hex_bytes(txs, "txs"))
        except (RLPDecodingError, FixtureError) as e:
            raise T8nError(EXIT_RLP, f"txs: bad RLP: {e}") from None
        if not isinstance(items, list):
            raise T8nError(EXIT_RLP, "txs: expected the RLP of a list of transactions")
        for i, item in enumerate(items):
            try:
                parsed.append((i, decode_block_transaction(item)))
            except InvalidTransaction as e:
                rejected[i] = f"could not decode transaction: {e}"
        return parsed, rejected
    if not isinstance(txs, list):
        raise T8nError(EXIT_JSON, "txs: expected a list of transactions or an RLP hex string")
    for i, raw in enumerate(txs):
        try:
            parsed.append((i, _json_tx(raw, fork, chain_id)))
        except (FixtureError, KeyError, TypeError, ValueError) as e:
            rejected[i] = f"could not parse transaction: {e}"
    return parsed, rejected


# --- the transition ------------------------------------------------------------------
def _hex(n: int) -> str:
    return hex(n)


def _log_json(log: Any, tx_hash: bytes, tx_index: int, log_index: int, number: int) -> Dict[str, Any]:
    return {"address": "0x" + bytes(log.address).hex(), "topics": ["0x" + bytes(t).hex() for t in log.topics],
            "data": "0x" + bytes(log.data).hex(), "blockNumber": _hex(number),
            "transactionHash": "0x" + tx_hash.hex(), "transactionIndex": _hex(tx_index),
            "blockHash": "0x" + ZERO_HASH.hex(), "logIndex": _hex(log_index), "removed": False}


def transition(alloc: Any, env: Any, txs: Any, fork: Fork, chain_id: int = 1, reward: Optional[int] = None,
               trace_dir: Optional[str] = None) -> Tuple[Dict[str, Any], Dict[str, Any], str]:
    """Run one t8n transition; return ``(result, alloc, body)`` as geth's t8n writes them.

    ``reward`` ``None`` pays the fork's block reward, ``-1`` none. With
    ``trace_dir``, each transaction's EIP-3155 trace goes to
    ``trace-<index>-<txhash>.jsonl`` there. Raises :class:`T8nError`.
    """
    try:
        state = _alloc_to_state(alloc)
        header, block_hashes, ommers, withdrawals = _build_header(env, fork)
    except FixtureError as e:
        raise T8nError(EXIT_JSON, str(e)) from None
    parsed, rejected_text = _parse_txs(txs, fork, chain_id)
    state.block_hashes = block_hashes
    transactions = [stx for _, stx in parsed]
    open_traces: List[Tuple[Any, TextIO]] = []

    def tracer_for(i: int, stx: SignedTransaction) -> Any:
        from ..tracing import EIP3155Tracer

        stream = open(os.path.join(trace_dir, f"trace-{parsed[i][0]}-0x{stx.hash.hex()}.jsonl"), "w")
        tracer = EIP3155Tracer(stream, fork=fork)
        open_traces.append((tracer, stream))
        return tracer

    rejected: List[Tuple[int, Exception]] = []
    try:
        out = apply_body(state, header, transactions, ommers, withdrawals, fork, chain_id, rejected=rejected,
                         reward=reward, tracer_for=tracer_for if trace_dir is not None else None)
    except InvalidBlock as e:
        raise T8nError(EXIT_EVM, f"block: {e}") from None
    finally:
        for tracer, stream in open_traces:
            tracer.flush()
            stream.close()
    for i, e in rejected:
        rejected_text[parsed[i][0]] = str(e)
    skipped = {i for i, _ in rejected}
    included = [stx for i, stx in enumerate(transactions) if i not in skipped]

    receipts_json = []
    log_index = 0
    for index, (stx, receipt, res, sender) in enumerate(zip(included, out.receipts, out.results, out.senders)):
        tx_hash = stx.hash
        prev = out.receipts[index - 1].cumulative_gas_used if index else 0
        logs_json = []
        for log in receipt.logs:
            logs_json.append(_log_json(log, tx_hash, index, log_index, header.number))
            log_index += 1
        entry: Dict[str, Any] = {
            "type": _hex(stx.tx_type),
            "root": "0x" + (receipt.post_state.hex() if receipt.post_state is not None else ""),
            "status": "0x1" if receipt.succeeded else "0x0",
            "cumulativeGasUsed": _hex(receipt.cumulative_gas_used),
            "logsBloom": "0x" + receipt.bloom.hex(),
            "logs": logs_json or None,
            "transactionHash": "0x" + tx_hash.hex(),
            "contractAddress": "0x" + (compute_contract_address(sender, stx.nonce) if stx.to is None
                                       else b"\x00" * 20).hex(),
            "gasUsed": _hex(receipt.cumulative_gas_used - prev),
            "effectiveGasPrice": None,
            "blockHash": "0x" + ZERO_HASH.hex(),
            "transactionIndex": _hex(index),
        }
        if stx.tx_type == 3:
            entry["blobGasUsed"] = _hex(len(stx.blob_versioned_hashes) * 2**17)
        receipts_json.append(entry)

    result: Dict[str, Any] = {
        "stateRoot": "0x" + state_root(state).hex(),
        "txRoot": "0x" + transactions_root(included).hex(),
        "receiptsRoot": "0x" + receipts_root(out.receipts).hex(),
        "logsHash": "0x" + logs_hash(out.logs).hex(),
        "logsBloom": "0x" + logs_bloom(out.logs).hex(),
        "receipts": receipts_json,
        "currentDifficulty": _hex(header.difficulty) if fork < Fork.PARIS else None,
        "gasUsed": _hex(out.gas_used),
    }
    if rejected_text:
        result["rejected"] = [{"index": i, "error": rejected_text[i]} for i in sorted(rejected_text)]
    if fork >= Fork.LONDON:
        result["currentBaseFee"] = _hex(header.base_fee_per_gas or 0)
    if fork >= Fork.SHANGHAI:
        result["withdrawalsRoot"] = "0x" + (header.withdrawals_root or b"").hex()
    if fork >= Fork.CANCUN:
        result["currentExcessBlobGas"] = _hex(header.excess_blob_gas or 0)
        result["blobGasUsed"] = _hex(out.blob_gas_used)
    if fork >= Fork.PRAGUE:
        result["requestsHash"] = "0x" + compute_requests_hash(out.requests).hex()
        result["requests"] = ["0x" + r.hex() for r in out.requests]

    body = "0x" + rlp_encode([stx.block_item() for stx in included]).hex()
    return result, state_to_alloc(state), body


def state_to_alloc(state: State) -> Dict[str, Any]:
    """``state`` in geth's alloc JSON form (what ``--output.alloc`` writes): per address
    ``balance``, and when set ``nonce``, ``code`` and ``storage`` (32-byte hex keys and values)."""
    alloc_json: Dict[str, Any] = {}
    for address in sorted(state.accounts):
        acct = state.accounts[address]
        entry = {"balance": _hex(acct.balance)}
        if acct.nonce:
            entry["nonce"] = _hex(acct.nonce)
        if acct.code:
            entry["code"] = "0x" + acct.code.hex()
        storage = {"0x" + k.to_bytes(32, "big").hex(): "0x" + v.to_bytes(32, "big").hex()
                   for k, v in sorted(acct.storage.items()) if v}
        if storage:
            entry["storage"] = storage
        alloc_json["0x" + address.hex()] = entry
    return alloc_json


# --- command line ---------------------------------------------------------------------
# geth's names of forks that only moved the difficulty bomb: the rules of the fork before
_FORK_ALIASES = {"GrayGlacier": "London", "ArrowGlacier": "London", "MuirGlacier": "Istanbul"}
_FORK_LIST = ", ".join(sorted(FIXTURE_NAMES, key=lambda n: (FIXTURE_NAMES[n], n)))


def add_parser(sub: Any) -> None:
    """Register ``evm t8n`` on the ``evm`` command's subparsers."""
    p = sub.add_parser(
        "t8n", help="state transition tool (go-ethereum's t8n contract)",
        description="Apply a block's transactions to a pre-state and write the result, post-state and body.",
        epilog=f"Forks: {_FORK_LIST}. Exit codes: 2 execution, 3 configuration, 10 JSON, 11 I/O, 12 RLP.")
    p.add_argument("--input.alloc", dest="input_alloc", default="alloc.json", metavar="F",
                   help="pre-state JSON file, or 'stdin'")
    p.add_argument("--input.env", dest="input_env", default="env.json", metavar="F", help="block env JSON, or 'stdin'")
    p.add_argument("--input.txs", dest="input_txs", default="txs.json", metavar="F",
                   help="transactions (JSON list or RLP hex string; file, .rlp file or 'stdin')")
    p.add_argument("--output.alloc", dest="output_alloc", default="alloc.json", metavar="F",
                   help="post-state: file in basedir, 'stdout' or 'stderr'")
    p.add_argument("--output.result", dest="output_result", default="result.json", metavar="F",
                   help="result: file in basedir, 'stdout' or 'stderr'")
    p.add_argument("--output.body", dest="output_body", default=None, metavar="F",
                   help="RLP of the included transactions: file in basedir, 'stdout' or 'stderr'")
    p.add_argument("--output.basedir", dest="output_basedir", default=".", metavar="DIR",
                   help="folder for output files and traces")
    p.add_argument("--state.fork", dest="state_fork", default="GrayGlacier", metavar="NAME", help="the fork")
    p.add_argument("--state.chainid", dest="state_chainid", default="1", metavar="N", help="chain id (default 1)")
    p.add_argument("--state.reward", dest="state_reward", default=None, metavar="N",
                   help="block reward in wei before Paris (-1: none; default: the fork's)")
    p.add_argument("--trace", action="store_true", help="write trace-<index>-<txhash>.jsonl per transaction")
    p.add_argument("--stream", action="store_true",
                   help="serve transitions: one JSON request per stdin line ({alloc, env, txs[, fork, chainid, "
                        "reward]}), one JSON line back ({result, alloc, body} or {error, code})")


def _read_json(path: str, stdin_obj: Optional[Dict[str, Any]], key: str) -> Any:
    if path == "stdin":
        return (stdin_obj or {}).get(key)
    try:
        with open(path, "r") as fh:
            text = fh.read()
    except OSError as e:
        raise T8nError(EXIT_IO, f"cannot read {key} file {path!r}: {e.strerror or e}") from None
    if key == "txs" and path.endswith(".rlp"):
        return json.loads(text) if text.strip().startswith('"') else text.strip()
    try:
        return json.loads(text)
    except ValueError as e:
        raise T8nError(EXIT_JSON, f"{key} file {path!r} is not JSON: {e}") from None


def _fork_named(name: str) -> Fork:
    try:
        return fork_from_name(_FORK_ALIASES.get(name, name))
    except ValueError as e:
        raise T8nError(EXIT_CONFIG, str(e)) from None


def _json_object(text: str, what: str) -> Dict[str, Any]:
    """``text`` as a JSON object holding alloc, env and txs."""
    try:
        obj = json.loads(text)
    except ValueError as e:
        raise T8nError(EXIT_JSON, f"{what} is not JSON: {e}") from None
    if not isinstance(obj, dict):
        raise T8nError(EXIT_JSON, f"{what}: expected a JSON object with alloc, env and txs")
    return obj


def _int_options(args: Any) -> Tuple[int, Optional[int]]:
    """``--state.chainid`` and ``--state.reward`` as integers (decimal or 0x-hex)."""
    try:
        chain_id = int(args.state_chainid, 0)
        reward = int(args.state_reward, 0) if args.state_reward is not None else None
    except ValueError:
        raise T8nError(EXIT_CONFIG, "--state.chainid and --state.reward take integers") from None
    return chain_id, reward


def _run(args: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    fork = _fork_named(args.state_fork)
    chain_id, reward = _int_options(args)
    stdin_obj = None
    if "stdin" in (args.input_alloc, args.input_env, args.input_txs):
        stdin_obj = _json_object(stdin.read(), "stdin")
    alloc = _read_json(args.input_alloc, stdin_obj, "alloc")
    env = _read_json(args.input_env, stdin_obj, "env")
    txs = _read_json(args.input_txs, stdin_obj, "txs")
    basedir = args.output_basedir
    if not os.path.isdir(basedir):
        try:
            os.makedirs(basedir, exist_ok=True)
        except OSError as e:
            raise T8nError(EXIT_IO, f"cannot create {basedir!r}: {e.strerror or e}") from None
    result, alloc_out, body = transition(alloc, env, txs, fork, chain_id, reward,
                                         basedir if args.trace else None)
    to_stdout: Dict[str, Any] = {}
    to_stderr: Dict[str, Any] = {}
    for key, value, dest in (("alloc", alloc_out, args.output_alloc), ("result", result, args.output_result),
                             ("body", body, args.output_body)):
        if dest is None:
            continue
        if dest == "stdout":
            to_stdout[key] = value
        elif dest == "stderr":
            to_stderr[key] = value
        else:
            try:
                with open(os.path.join(basedir, dest), "w") as fh:
                    json.dump(value, fh, indent=2)
            except OSError as e:
                raise T8nError(EXIT_IO, f"cannot write {key} to {dest!r}: {e.strerror or e}") from None
    if to_stdout:
        json.dump(to_stdout, stdout, indent=2)
        stdout.write("\n")
    if to_stderr:
        json.dump(to_stderr, stderr, indent=2)
        stderr.write("\n")
    return 0


def stream(args: Any, stdin: TextIO, stdout: TextIO) -> int:
    """``evm t8n --stream``: answer one transition per input line, so a filler keeps one process.

    A request is ``{"alloc", "env", "txs"}`` plus optional ``"fork"``,
    ``"chainid"`` and ``"reward"`` (default: the command-line options); the
    answer is ``{"result", "alloc", "body"}``, or ``{"error", "code"}`` with
    the exit code the same request would have given. Ends at end of input.
    """
    default_chain_id, default_reward = _int_options(args)
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = _json_object(line, "request")
            fork = _fork_named(str(request.get("fork", args.state_fork)))
            chain_id = request.get("chainid", default_chain_id)
            reward = request.get("reward", default_reward)
            if not isinstance(chain_id, int) or not (reward is None or isinstance(reward, int)):
                raise T8nError(EXIT_CONFIG, "chainid and reward are integers")
            result, alloc, body = transition(request.get("alloc"), request.get("env"), request.get("txs"), fork,
                                             chain_id, reward)
            answer: Dict[str, Any] = {"result": result, "alloc": alloc, "body": body}
        except T8nError as e:
            answer = {"error": str(e), "code": e.code}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()
    return 0


def main(args: Any, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    """``evm t8n``: run one transition (or, with ``--stream``, many); return geth's exit code."""
    try:
        if args.stream:
            return stream(args, stdin, stdout)
        return _run(args, stdin, stdout, stderr)
    except T8nError as e:
        stderr.write(f"evm t8n: error: {e}\n")
        return e.code
