"""The built-in workloads of ``evm bench``, and the tiny assembler they are written in.

Each workload is one transaction (sender -> contract, calldata, gas limit) on
a small pre-state, under Cancun, as a :class:`Case` that every engine of
``evm bench`` can set up. Two suites:

- ``main``: whole-program workloads — an ERC-20 token driven through rounds
  of mint/transfer/approve/transferFrom (our own Vyper contracts, compiled
  once, see ``evm/data/README.md``), a KECCAK256 loop, a memory-copy (MCOPY)
  loop, an arithmetic-heavy loop and a trivial message call (the cost of one
  call from Python, which is mostly per-transaction overhead).
- ``micro``: one loop per opcode class (arithmetic, DIV/MOD, MULMOD/ADDMOD,
  EXP, KECCAK256, memory, SLOAD/SSTORE warm and cold, CALL, CREATE).

The loops are hand-assembled with :func:`assemble`; the iteration count is
the first calldata word, so one contract serves any size. The gas each case
uses is exact and pinned by ``tests/unit/test_bench.py``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

from .env import BlockEnv
from .forks import Fork
from .opcodes import BY_NAME
from .state import Account, State, to_address
from .transaction import Transaction

__all__ = [
    "Case",
    "assemble",
    "builtin_cases",
    "SUITES",
    "SENDER",
    "CONTRACT",
    "BENCH_FORK",
    "bench_env",
    "erc20_transfer_calls",
]

#: What an :func:`assemble` program is made of (see its docstring).
Item = Union[str, int, bytes, Tuple[str, int]]


@dataclass
class Case:
    """One benchmark case: a transaction on a pre-state, engine-neutral.

    Engines read ``state`` (never modify it: each repetition runs on its own
    copy), ``env``, ``tx`` and ``fork``. ``expected_gas`` is the gas the
    transaction uses, when known in advance (built-in cases); ``post_root``
    the post state root a state-test file expects (file cases).
    """

    name: str
    fork: Fork
    state: State
    env: BlockEnv
    tx: Transaction
    expected_gas: Optional[int] = None
    post_root: Optional[bytes] = None


# --- Assembler ---------------------------------------------------------------
def _push(value: int, width: Optional[int] = None) -> bytes:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 256:
        raise ValueError(f"cannot push {value!r}: not a 256-bit unsigned integer")
    n = width if width is not None else max(1, (value.bit_length() + 7) // 8)
    if not 1 <= n <= 32 or value >= 1 << (8 * n):
        raise ValueError(f"{value:#x} does not fit in PUSH{n}")
    return bytes([0x5F + n]) + value.to_bytes(n, "big")


def assemble(program: Sequence[Item]) -> bytes:
    """Assemble a list of items into EVM bytecode.

    Items:
      - ``"ADD"``: an opcode by name (any case; aliases as in ``evm.opcodes.BY_NAME``;
        ``"INVALID"`` is 0xFE);
      - ``"loop:"``: defines label ``loop`` here and emits a JUMPDEST;
      - ``"@loop"``: pushes the address of label ``loop`` (always PUSH2);
      - an ``int``: pushed with the smallest PUSH1..PUSH32 that holds it;
      - ``("PUSH32", value)``: pushed with that exact width;
      - ``bytes``: copied as they are.

    Raises ``ValueError`` for an unknown opcode, a bare PUSHn, a duplicate
    or undefined label, or a value that does not fit.
    """
    out = bytearray()
    labels: Dict[str, int] = {}
    fixups: List[Tuple[int, str]] = []
    for item in program:
        if isinstance(item, bool):
            raise ValueError(f"cannot assemble {item!r}")
        if isinstance(item, int):
            out += _push(item)
        elif isinstance(item, (bytes, bytearray)):
            out += item
        elif isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[0], str) or not item[0].upper().startswith("PUSH"):
                raise ValueError(f"expected ('PUSHn', value), got {item!r}")
            try:
                width = int(item[0][4:])
            except ValueError:
                raise ValueError(f"bad push width in {item!r}") from None
            out += _push(item[1], width)
        elif isinstance(item, str):
            if item.endswith(":"):
                name = item[:-1]
                if not name or name in labels:
                    raise ValueError(f"label {name!r} is empty or defined twice")
                labels[name] = len(out)
                out.append(0x5B)  # JUMPDEST
            elif item.startswith("@"):
                fixups.append((len(out) + 1, item[1:]))
                out += b"\x61\x00\x00"  # PUSH2, patched below
            else:
                if item.upper() == "INVALID":  # 0xFE: designated invalid, not in the opcode table
                    out.append(0xFE)
                    continue
                info = BY_NAME.get(item.upper())
                if info is None:
                    raise ValueError(f"unknown opcode {item!r}")
                if info.immediate:
                    raise ValueError(f"{item}: give a value, e.g. ({item!r}, 1) or a plain int")
                out.append(info.code)
        else:
            raise ValueError(f"cannot assemble {item!r}")
    for at, name in fixups:
        if name not in labels:
            raise ValueError(f"undefined label {name!r}")
        if labels[name] >= 1 << 16:
            raise ValueError(f"label {name!r} is beyond PUSH2 range")
        out[at:at + 2] = labels[name].to_bytes(2, "big")
    return bytes(out)


def _loop(body: Sequence[Item], pre: Sequence[Item] = (), post: Sequence[Item] = ("STOP",)) -> bytes:
    """``pre``; repeat ``body`` calldata[0] times; ``post``.

    The counter is on top of the stack when ``body`` starts and ``body``
    must leave the stack as it found it.
    """
    return assemble([
        *pre,
        0, "CALLDATALOAD",
        "loop:",
        "DUP1", "ISZERO", "@end", "JUMPI",
        *body,
        1, "SWAP1", "SUB",
        "@loop", "JUMP",
        "end:",
        *post,
    ])


def _n(x: int) -> bytes:
    """Calldata: one 32-byte word."""
    return x.to_bytes(32, "big")


# Constants mixed into the arithmetic loops (arbitrary odd 256-bit numbers).
_K1 = 0x9E3779B97F4A7C15F39CC0605CEDC8341082276BF3A27251F86C6A11D0C18E95
_K2 = 0xC2B2AE3D27D4EB4F165667B19E3779F9D6E8FEB86659FD93CF1BBCDCBB1C1A51
_P = 0x30644E72E131A029B85045B68181585D97816A916871CA8D3C208C16D87CFD47  # BN254 base field prime
_RET_TOP = ("PUSH1", 0), "MSTORE", 32, 0, "RETURN"  # return the top of the stack

#: The sender of every built-in transaction (ethereum/tests' usual key).
SENDER = to_address("0xa94f5374fce5edbc8e2a8697c15331677e6ebf0b")
#: The contract every built-in transaction calls (the ERC-20 case calls its driver).
CONTRACT = to_address("0x00000000000000000000000000000000000be7c4")
_TOKEN = to_address("0x0000000000000000000000000000000000e20001")
_CALLEE = to_address("0x0000000000000000000000000000000000ca11ee")
_COINBASE = to_address("0x2adc25665018aa1fe0e6bc666dac8fc2697ff9ba")

#: The fork of the built-in cases (MCOPY and PUSH0 need Cancun; every peer has it).
BENCH_FORK = Fork.CANCUN
_GAS_LIMIT = 100_000_000


def bench_env() -> BlockEnv:
    """The block of every built-in case (Cancun, base fee 7)."""
    return BlockEnv(
        coinbase=_COINBASE, number=1, timestamp=1_000, gas_limit=1_000_000_000,
        base_fee=7, prev_randao=b"\x01" * 32, excess_blob_gas=0, chain_id=1,
    )


def _case(name: str, code: bytes, data: bytes, gas: Optional[int],
          extra: Optional[Dict[bytes, Account]] = None, storage: Optional[Dict[int, int]] = None) -> Case:
    accounts = {SENDER: Account(balance=10**30), CONTRACT: Account(code=code, storage=dict(storage or {}))}
    accounts.update(extra or {})
    tx = Transaction(sender=SENDER, to=CONTRACT, nonce=0, gas_limit=_GAS_LIMIT, data=data, gas_price=10)
    return Case(name=name, fork=BENCH_FORK, state=State(accounts), env=bench_env(), tx=tx, expected_gas=gas)


# --- Main suite ----------------------------------------------------------------
def _data_hex(name: str) -> bytes:
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", name)
    with open(path, "r", encoding="ascii") as fh:
        return bytes.fromhex(fh.read().strip())


_ERC20_MINTER_SLOT = 3  # `minter` in erc20.vy (vyper -f layout: slot 3)
_SEL_RUN = bytes.fromhex("381fd190")  # run(address,uint256) of erc20_bench.vy


def _erc20(rounds: int, gas: Optional[int]) -> Case:
    driver = _data_hex("erc20_bench.hex")
    token = Account(code=_data_hex("erc20.hex"), storage={_ERC20_MINTER_SLOT: int.from_bytes(CONTRACT, "big")})
    data = _SEL_RUN + bytes(12) + _TOKEN + _n(rounds)
    return _case("erc20/transfer_mint_approve", driver, data, gas, extra={_TOKEN: token})


_SEL_TRANSFER = bytes.fromhex("a9059cbb")  # transfer(address,uint256)
_SEL_MINT = bytes.fromhex("40c10f19")  # mint(address,uint256)


def erc20_transfer_calls(n: int) -> Tuple[State, List[Tuple[bytes, bytes, bytes]]]:
    """The ERC-20 token deployed with :data:`SENDER` holding a supply, and ``n``
    transfers from it as ``(caller, token, calldata)``, each to a new holder.

    The state is built by minting through the token itself (the minter slot
    preset to the sender), so the calls run on a real deployed state; every
    transfer is independent of the others (the throughput benchmark runs
    each on the unchanged state).
    """
    from .machine import EVM

    token = Account(code=_data_hex("erc20.hex"), storage={_ERC20_MINTER_SLOT: int.from_bytes(SENDER, "big")})
    evm = EVM(State({SENDER: Account(balance=10**30), _TOKEN: token}), BENCH_FORK, bench_env())
    minted = evm.message_call(SENDER, _TOKEN, _SEL_MINT + bytes(12) + SENDER + _n(10**30))
    if not minted.success:  # pragma: no cover - the token's own code
        raise RuntimeError(f"minting the ERC-20 supply failed: {minted.error}")
    evm.commit()
    calls = [(SENDER, _TOKEN, _SEL_TRANSFER + (0x10_0000 + i).to_bytes(32, "big") + _n(1 + i % 7))
             for i in range(n)]
    return evm.db, calls


def _keccak_loop(n: int, gas: Optional[int]) -> Case:
    # h = keccak256(mem[0:128]); mem[0:32] = h — a hash chain over 128-byte blocks.
    code = _loop(["DUP1", 32, "MSTORE", 128, 0, "KECCAK256", 0, "MSTORE"], post=[0, "MLOAD", *_RET_TOP])
    return _case("keccak256/loop", code, _n(n), gas)


def _mcopy_loop(n: int, gas: Optional[int]) -> Case:
    # MCOPY 1 KiB from src = (i*32) mod 16 KiB to src + 16 KiB; the code fills the source.
    code = _loop(
        [0x400, "DUP2", 5, "SHL", 0x3FFF, "AND", "DUP1", 0x4000, "ADD", "MCOPY"],
        pre=["CODESIZE", 0, 0, "CODECOPY"],
        post=[0x4000, "MLOAD", *_RET_TOP],
    )
    return _case("mcopy/loop", code, _n(n), gas)


def _arith_loop(n: int, gas: Optional[int]) -> Case:
    # x = f(x, i) mixing MUL, ADD, SHR, OR, DIV, XOR, MULMOD, EXP, MOD, SUB.
    body = [
        "SWAP1",                                   # [i, x]
        ("PUSH32", _K1), "MUL", "DUP2", "ADD",     # x = x*K1 + i
        "DUP1", "DUP1", 128, "SHR", 1, "OR",       # [i, x, x, (x>>128)|1]
        "SWAP1", "DIV", "XOR",                     # x ^= x / ((x>>128)|1)
        ("PUSH32", _P), "DUP2", "DUP3", "MULMOD",  # [i, x, x*x mod P]
        "ADD",                                     # x += x*x mod P
        3, "DUP2", "EXP", "XOR",                   # x ^= x**3
        "DUP1", 1_000_003, "SWAP1", "MOD",         # [i, x, x mod 1000003]
        ("PUSH32", _K2), "SUB", "ADD",             # x += K2 - (x mod 1000003)
        "SWAP1",                                   # [x, i]
    ]
    code = _loop(body, pre=[0], post=["POP", *_RET_TOP])
    return _case("arith/loop", code, _n(n), gas)


def _trivial_call(gas: Optional[int]) -> Case:
    # Return one word: the cost is almost all per-transaction overhead.
    return _case("call/trivial", assemble([1, *_RET_TOP]), b"", gas)


# --- Micro suite (one opcode class per loop, unrolled 8x) ------------------------
def _unrolled(item: Callable[[int], List[Item]], times: int = 8) -> List[Item]:
    out: List[Item] = []
    for k in range(times):
        out += item(k)
    return out


def _micro_arith(n: int, gas: Optional[int]) -> Case:
    body = ["SWAP1", *_unrolled(lambda k: [("PUSH32", _K1), "MUL", ("PUSH32", _K2), "ADD", "DUP2", "SUB"]), "SWAP1"]
    return _case("micro/arith", _loop(body, pre=[7], post=["POP", *_RET_TOP]), _n(n), gas)


def _micro_divmod(n: int, gas: Optional[int]) -> Case:
    # 256-bit dividends, 128-bit divisors: the slow path of long division.
    d = 0xB7E151628AED2A6ABF7158809CF4F3C7
    body = ["SWAP1", *_unrolled(lambda k: [
        "DUP1", d + k, "SWAP1", "DIV", "XOR",
        "DUP1", d - k, "SWAP1", "SDIV", "ADD",
        "DUP1", d ^ k, "SWAP1", "MOD", "XOR",
        "DUP1", d + 2 * k, "SWAP1", "SMOD", ("PUSH32", _K1), "ADD", "ADD",
    ]), "SWAP1"]
    return _case("micro/divmod", _loop(body, pre=[("PUSH32", _K2)], post=["POP", *_RET_TOP]), _n(n), gas)


def _micro_mulmod(n: int, gas: Optional[int]) -> Case:
    body = ["SWAP1", *_unrolled(lambda k: [
        ("PUSH32", _P), "DUP2", "DUP3", "MULMOD",          # [x, x*x mod P]
        ("PUSH32", _P), "SWAP1", _K1, "ADDMOD",            # [x, (m + K1) mod P]
        "ADD",
    ]), "SWAP1"]
    return _case("micro/mulmod_addmod", _loop(body, pre=[("PUSH32", _K2)], post=["POP", *_RET_TOP]), _n(n), gas)


def _micro_exp(n: int, gas: Optional[int]) -> Case:
    # 32-byte exponents: 256 square-and-multiply steps each.
    body = ["SWAP1", *_unrolled(lambda k: ["DUP1", ("PUSH32", _K1 + k), "EXP", "XOR", 1, "OR"]), "SWAP1"]
    return _case("micro/exp", _loop(body, pre=[("PUSH32", _K2)], post=["POP", *_RET_TOP]), _n(n), gas)


def _micro_keccak(n: int, gas: Optional[int]) -> Case:
    body = _unrolled(lambda k: [32, 0, "KECCAK256", 0, "MSTORE"])
    return _case("micro/keccak256", _loop(body, post=[0, "MLOAD", *_RET_TOP]), _n(n), gas)


def _micro_memory(n: int, gas: Optional[int]) -> Case:
    # MSTORE then MLOAD at 8 offsets moving through a 4 KiB window.
    body = _unrolled(lambda k: ["DUP1", "DUP1", 5, "SHL", 0xFE0 & (k * 0x1A0), "ADD", 0xFFF, "AND",
                                "MSTORE", "DUP1", 4, "SHL", 0xFE0, "AND", "MLOAD", "POP"])
    return _case("micro/memory", _loop(body, pre=[0x1000, "MLOAD", "POP"]), _n(n), gas)


def _micro_sload_warm(n: int, gas: Optional[int]) -> Case:
    body = _unrolled(lambda k: [k, "SLOAD", "POP"])
    return _case("micro/sload_warm", _loop(body), _n(n), gas, storage={k: k + 1 for k in range(8)})


def _micro_sload_cold(n: int, gas: Optional[int]) -> Case:
    # Slot (i << 8) + k: a new slot every time; half of them hold a value.
    body = _unrolled(lambda k: ["DUP1", 8, "SHL", k, "ADD", "SLOAD", "POP"])
    storage = {(i << 8) + k: 1 for i in range(1, n + 1) for k in range(0, 8, 2)}
    return _case("micro/sload_cold", _loop(body), _n(n), gas, storage=storage)


def _micro_sstore_warm(n: int, gas: Optional[int]) -> Case:
    # Overwrite 8 slots again and again (warm, already dirty after round 1).
    body = _unrolled(lambda k: ["DUP1", k, "SSTORE"])
    return _case("micro/sstore_warm", _loop(body), _n(n), gas, storage={k: 1 for k in range(8)})


def _micro_sstore_cold(n: int, gas: Optional[int]) -> Case:
    # Zero to non-zero on a new slot every time (the 22100-gas case).
    body = _unrolled(lambda k: ["DUP1", "DUP1", 8, "SHL", k, "ADD", "SSTORE"], times=4)
    return _case("micro/sstore_cold", _loop(body), _n(n), gas)


def _micro_call(n: int, gas: Optional[int]) -> Case:
    # CALL a contract that returns one word; the callee is warm after the first call.
    callee = Account(code=assemble([1, *_RET_TOP]))
    body = _unrolled(lambda k: [32, 0, 0, 0, 0, ("PUSH20", int.from_bytes(_CALLEE, "big")),
                                "GAS", "CALL", "POP"], times=4)
    return _case("micro/call", _loop(body), _n(n), gas, extra={_CALLEE: callee})


def _micro_create(n: int, gas: Optional[int]) -> Case:
    # CREATE with a 5-byte initcode that returns empty code: a new account each time.
    initcode = assemble([0, 0, "RETURN"])
    pre = [("PUSH5", int.from_bytes(initcode, "big")), 0, "MSTORE"]
    body = [len(initcode), 32 - len(initcode), 0, "CREATE", "POP"]
    return _case("micro/create", _loop(body, pre=pre), _n(n), gas)


# Suite -> [(builder, argument(s))]; sizes aim at a few million gas each, a few
# milliseconds in cyevm (py-evm, about 300x slower, then takes seconds).
_MAIN: List[Tuple[Callable[..., Case], Tuple[int, ...], Optional[int]]] = [
    (_erc20, (100,), 6_299_416),
    (_keccak_loop, (30_000,), 3_471_209),
    (_mcopy_loop, (20_000,), 3_346_552),
    (_arith_loop, (25_000,), 5_046_199),
    (_trivial_call, (), 21_018),
]
_MICRO: List[Tuple[Callable[..., Case], Tuple[int, ...], Optional[int]]] = [
    (_micro_arith, (10_000,), 2_081_199),
    (_micro_divmod, (3_000,), 1_935_199),
    (_micro_mulmod, (5_000,), 1_731_199),
    (_micro_exp, (1_000,), 13_066_099),
    (_micro_keccak, (5_000,), 2_141_200),
    (_micro_memory, (3_000,), 1_269_606),
    (_micro_sload_warm, (10_000,), 8_837_179),
    (_micro_sload_cold, (200,), 3_416_367),
    (_micro_sstore_warm, (10_000,), 8_917_979),
    (_micro_sstore_cold, (30,), 2_676_527),
    (_micro_call, (5_000,), 3_023_682),
    (_micro_create, (100,), 3_227_079),
]

#: The built-in suites by name.
SUITES: Tuple[str, ...] = ("main", "micro", "all")


def builtin_cases(suite: str = "main") -> List[Case]:
    """The built-in cases of ``suite`` (``"main"``, ``"micro"`` or ``"all"``), freshly built."""
    if suite not in SUITES:
        raise ValueError(f"unknown built-in suite {suite!r} (choose from {', '.join(SUITES)})")
    table = (_MAIN if suite in ("main", "all") else []) + (_MICRO if suite in ("micro", "all") else [])
    return [build(*args, gas) for build, args, gas in table]
