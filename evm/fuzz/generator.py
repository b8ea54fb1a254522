"""Random state-test-shaped cases, biased to the edges where EVMs differ.

A :class:`Case` is one transaction on a small pre-state under one fork: the
sender, a target contract and a few more contracts that call each other,
precompiles, accounts that do not exist yet. Each contract's code is a list
of *snippets*, each a list of instructions (opcode + immediate bytes), so the
minimiser can drop whole snippets and then single instructions while the
program stays well-formed.

Every snippet makes its effect observable: results go to storage (SSTORE),
to logs, or to the return data, so a difference in any value computed shows
up in the state root, the logs hash or the output.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Dict, List, Optional, Sequence

from ..executor import compute_contract_address
from ..forks import Fork
from ..opcodes import BY_NAME
from ..precompiles import precompile_addresses

__all__ = [
    "Case",
    "AccountSpec",
    "generate_case",
    "SENDER",
    "SENDER_KEY",
    "COINBASE",
    "CONTRACTS",
    "BOUNDARY_VALUES",
]

Instr = bytes
Snippet = List[Instr]

#: The well-known test key of ethereum/tests and its address.
SENDER_KEY = bytes.fromhex("45a915e4d060149eb4365960e6a7a45f334393093061116b197e3240065ff2d8")
SENDER = bytes.fromhex("a94f5374fce5edbc8e2a8697c15331677e6ebf0b")
COINBASE = bytes.fromhex("2adc25665018aa1fe0e6bc666dac8fc2697ff9ba")
#: The transaction's usual target and three more contracts it calls.
CONTRACTS = [bytes.fromhex("00000000000000000000000000000000000c0de%d" % i) for i in range(4)]
#: Addresses with no account in the pre-state (calls and transfers create them).
ABSENT = [bytes.fromhex("0000000000000000000000000000000000001234"),
          bytes.fromhex("00000000000000000000000000000000deadbeef"),
          bytes.fromhex("ffffffffffffffffffffffffffffffffffffffff")]
#: An account with a balance and nothing else (the execution specs reject a
#: pre-state with an empty account, so this is as close as a case gets).
EMPTY = bytes.fromhex("00000000000000000000000000000000000e0e0e")

#: Values that sit on a limb, word or size boundary.
BOUNDARY_VALUES = [
    0, 1, 2, 31, 32, 33, 63, 64, 255, 256, 0x7FFF, 0xFFFF, 0x10000,
    2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64,
    2**128, 2**160 - 1, 2**255 - 1, 2**255, 2**256 - 32, 2**256 - 2, 2**256 - 1,
]

_ENV_OPS = ["ADDRESS", "ORIGIN", "CALLER", "CALLVALUE", "CALLDATASIZE", "CODESIZE", "GASPRICE",
            "RETURNDATASIZE", "COINBASE", "TIMESTAMP", "NUMBER", "DIFFICULTY", "GASLIMIT",
            "CHAINID", "SELFBALANCE", "BASEFEE", "BLOBBASEFEE", "GAS", "MSIZE", "PC"]
_ENV_OPS_1 = ["BALANCE", "EXTCODESIZE", "EXTCODEHASH", "CALLDATALOAD", "BLOCKHASH", "BLOBHASH",
              "SLOAD", "TLOAD", "ISZERO", "NOT"]
_BINARY = ["ADD", "MUL", "SUB", "DIV", "SDIV", "MOD", "SMOD", "EXP", "SIGNEXTEND", "LT", "GT",
           "SLT", "SGT", "EQ", "AND", "OR", "XOR", "BYTE", "SHL", "SHR", "SAR", "CLZ"]
_TERNARY = ["ADDMOD", "MULMOD"]


@dataclass
class AccountSpec:
    """One pre-state account; ``code`` is a list of snippets (see the module doc)."""

    balance: int = 0
    nonce: int = 0
    code: List[Snippet] = field(default_factory=list)
    storage: Dict[int, int] = field(default_factory=dict)
    raw_code: bytes = b""  # code that is not a program (a 7702 delegation, say)

    def code_bytes(self) -> bytes:
        """The account's code as deployed."""
        code = b"".join(b"".join(s) for s in self.code)
        if code[:1] == b"\xef":
            # from London no deployed code starts with 0xEF (EIP-3541) and
            # evmone refuses such a pre-state; jumps are PC-relative, so a
            # leading JUMPDEST changes nothing else
            code = b"\x5b" + code
        return self.raw_code + code


@dataclass
class Case:
    """One fuzz case: a fork, a pre-state and one transaction."""

    fork: Fork
    accounts: Dict[bytes, AccountSpec]
    to: Optional[bytes]  # None: a contract-creation transaction
    data: List[Snippet]  # calldata (as snippets: for a creation it is the init code)
    value: int
    gas_limit: int
    gas_price: int = 10
    access_list: Optional[List[tuple]] = None
    #: EIP-1559 fees (London on): (max_fee_per_gas, max_priority_fee_per_gas)
    fees: Optional[tuple] = None
    seed: Optional[int] = None

    def data_bytes(self) -> bytes:
        """The transaction's data."""
        return b"".join(b"".join(s) for s in self.data)

    def copy(self) -> "Case":
        """A deep enough copy for the minimiser to edit."""
        return replace(
            self,
            accounts={a: replace(s, code=[list(x) for x in s.code], storage=dict(s.storage))
                      for a, s in self.accounts.items()},
            data=[list(x) for x in self.data],
        )

    def size(self) -> int:
        """A measure the minimiser makes smaller: instructions, accounts, slots, data."""
        n = sum(len(x) for x in self.data) + len(self.accounts)
        for s in self.accounts.values():
            n += sum(len(x) for x in s.code) + len(s.storage) + (1 if s.raw_code else 0)
        return n + (1 if self.value else 0) + len(self.access_list or ())


def op(name: str) -> Instr:
    """The one-byte instruction ``name`` (``INVALID`` is the designated 0xFE)."""
    return b"\xfe" if name == "INVALID" else bytes([BY_NAME[name].code])


def push(value: int, fork: Fork = Fork.OSAKA) -> Instr:
    """The shortest PUSH of ``value`` (PUSH0 from Shanghai)."""
    value %= 2**256
    if value == 0 and fork >= Fork.SHANGHAI:
        return op("PUSH0")
    n = max(1, (value.bit_length() + 7) // 8)
    return bytes([0x5F + n]) + value.to_bytes(n, "big")


def _returning(size: int, first: int = 0x60) -> bytes:
    """Init code that returns ``size`` bytes of memory whose first byte is ``first``."""
    f = Fork.FRONTIER  # no PUSH0: the same bytes on every fork
    return push(first << 248, f) + push(0, f) + op("MSTORE") + push(size, f) + push(0, f) + op("RETURN")


class _Gen:
    """The state of one case's generation: the random source and the fork."""

    def __init__(self, rng: random.Random, fork: Fork) -> None:
        self.rng = rng
        self.fork = fork
        self.precompiles = list(precompile_addresses(Fork.OSAKA)) + [0x100]
        # How often a snippet takes a step that usually ends its frame (a huge
        # offset, a bad jump, an undefined opcode): lower in the top frame,
        # whose failure would revert everything the case did.
        self.risk = 1.0

    def pick(self, names: Sequence[str]) -> str:
        """An opcode name, almost always one defined in this fork."""
        defined = [n for n in names if BY_NAME[n].since <= self.fork]
        if defined and self.rng.random() < 1 - 0.03 * self.risk:
            return self.rng.choice(defined)
        return self.rng.choice(list(names))

    # --- values -------------------------------------------------------------
    def push(self, v: int) -> Instr:
        return push(v, self.fork)

    def word(self) -> int:
        r = self.rng.random()
        if r < 0.45:
            return self.rng.choice(BOUNDARY_VALUES)
        if r < 0.75:
            return self.rng.randrange(0, 300)
        if r < 0.85:
            v = self.rng.choice(BOUNDARY_VALUES)
            return (v + self.rng.choice((-1, 1))) % 2**256
        return self.rng.getrandbits(self.rng.choice((8, 64, 128, 256)))

    def offset(self, huge: float = 0.15) -> int:
        """A memory offset or size: mostly small, sometimes on a boundary."""
        if self.rng.random() < huge * self.risk:
            return self.rng.choice(BOUNDARY_VALUES)
        return self.rng.choice((0, 0, 1, 31, 32, 33, 64, 96, 100, 128, 200, 1024))

    def address(self) -> int:
        r = self.rng.random()
        if r < 0.4:
            a = self.rng.choice(CONTRACTS)
        elif r < 0.6:
            return self.rng.choice(self.precompiles)
        elif r < 0.75:
            a = self.rng.choice(ABSENT)
        elif r < 0.82:
            a = EMPTY
        elif r < 0.9:
            a = self.rng.choice((SENDER, COINBASE))
        else:
            return self.word()  # garbage high bits must be ignored
        return int.from_bytes(a, "big")

    def slot(self) -> int:
        return self.rng.choice((0, 1, 2, 3, 0, 1)) if self.rng.random() < 0.85 else self.word()

    # --- snippets -----------------------------------------------------------
    def store_top(self) -> Snippet:
        """SSTORE the top of the stack to a fresh-ish slot (makes it visible)."""
        return [self.push(self.rng.randrange(0x100, 0x120)), op("SSTORE")]

    def s_arith(self) -> Snippet:
        r = self.rng.random()
        if r < 0.15:
            name = self.pick(_TERNARY)
            body = [self.push(self.word()), self.push(self.word()), self.push(self.word()), op(name)]
        elif r < 0.4:
            name = self.pick(_ENV_OPS)
            body = [op(name)]
        elif r < 0.6:
            name = self.pick(_ENV_OPS_1)
            arg = self.address() if name in ("BALANCE", "EXTCODESIZE", "EXTCODEHASH") else self.word()
            if name == "BLOCKHASH" and self.rng.random() < 0.6:
                arg = self.rng.choice((0, 1, 2, 255, 256, 257))
            body = [self.push(arg), op(name)]
        else:
            name = self.pick(_BINARY)
            body = [self.push(self.word()), self.push(self.word()), op(name)]
        return body + self.store_top()

    def s_memory(self) -> Snippet:
        rng = self.rng
        kind = self.pick(("MSTORE", "MSTORE8", "MLOAD", "KECCAK256", "CALLDATACOPY", "CODECOPY",
                           "RETURNDATACOPY", "EXTCODECOPY", "MCOPY", "LOG0", "RETURNDATACOPY"))
        if kind in ("MSTORE", "MSTORE8"):
            return [self.push(self.word()), self.push(self.offset()), op(kind)]
        if kind == "MLOAD":
            return [self.push(self.offset()), op("MLOAD")] + self.store_top()
        if kind == "KECCAK256":
            return [self.push(self.offset()), self.push(self.offset()), op("KECCAK256")] + self.store_top()
        if kind in ("CALLDATACOPY", "CODECOPY", "RETURNDATACOPY"):
            # size, offset (source), destOffset
            return [self.push(self.offset()), self.push(self.offset()), self.push(self.offset()), op(kind)]
        if kind == "EXTCODECOPY":
            return [self.push(self.offset()), self.push(self.offset()), self.push(self.offset()),
                    self.push(self.address()), op(kind)]
        if kind == "MCOPY":
            return [self.push(self.offset()), self.push(self.offset()), self.push(self.offset()), op("MCOPY")]
        n = rng.randrange(5)  # kind is LOG0: any LOGn
        topics = [self.push(self.word()) for _ in range(n)]
        return topics + [self.push(self.offset()), self.push(self.offset()), op("LOG%d" % n)]

    def s_storage(self) -> Snippet:
        rng = self.rng
        r = rng.random()
        if r < 0.2 and self.fork >= Fork.CANCUN:
            s = [self.push(self.word()), self.push(self.slot()), op("TSTORE")]
            return s + [self.push(self.slot()), op("TLOAD")] + self.store_top()
        if r < 0.35:  # x -> y -> x (the restore case of EIP-2200/3529)
            k = self.slot()
            return [self.push(self.word()), self.push(k), op("SSTORE"),
                    self.push(k), op("SLOAD"), self.push(k), op("SSTORE")]
        if r < 0.5:  # copy a slot to another
            return [self.push(self.slot()), op("SLOAD"), self.push(self.slot()), op("SSTORE")]
        v = rng.choice((0, 0, 1, 2, self.word()))
        return [self.push(v), self.push(self.slot()), op("SSTORE")]

    def call_args(self, name: str, target: int, value: Optional[int] = None) -> Snippet:
        rng = self.rng
        r = rng.random()
        if r < 0.08 + 0.27 * self.risk:  # all gas: a callee that burns it starves the caller
            gas = [op("GAS")]
        elif r < 1 - 0.3 * self.risk:
            gas = [self.push(rng.choice((0, 1, 2300, 5000, 30000, 100000)))]
        else:
            gas = [self.push(self.word())]
        out = [self.push(self.offset(0.08)), self.push(self.offset(0.08)),  # retSize, retOffset
               self.push(self.offset(0.08)), self.push(self.offset(0.08))]  # argsSize, argsOffset
        if name in ("CALL", "CALLCODE"):
            if value is None:
                value = rng.choice((0, 0, 0, 1, 1000, 10**18, self.word()))
            out.append(self.push(value))
        return out + [self.push(target)] + gas + [op(name)]

    def s_call(self) -> Snippet:
        rng = self.rng
        name = self.pick(("CALL", "CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"))
        target = self.address()
        after = rng.choice(([op("RETURNDATASIZE")] + self.store_top(), []))
        if target in self.precompiles and rng.random() < 0.6:
            # a shaped input at memory 0, passed whole, the output kept
            data = self.precompile_data(target)
            out_size = rng.choice((0, 32, 64, 128))
            args = [self.push(out_size), self.push(0), self.push(len(data)), self.push(0)]
            if name in ("CALL", "CALLCODE"):
                args.append(self.push(rng.choice((0, 0, 1))))
            gas = [op("GAS")] if rng.random() < 0.6 else [self.push(rng.choice((0, 1, 100, 3000, 30000)))]
            keep = [self.push(0), op("MLOAD")] + self.store_top()
            return self.mem_bytes(data) + args + [self.push(target)] + gas + [op(name)] + self.store_top() \
                + after + keep
        prep: Snippet = []
        if target in self.precompiles or rng.random() < 0.3:
            prep = self.precompile_input()
        return prep + self.call_args(name, target) + self.store_top() + after

    def mem_bytes(self, data: bytes) -> Snippet:
        """MSTOREs that put ``data`` at memory 0 (zero-padded to a word)."""
        padded = data + b"\x00" * (-len(data) % 32)
        out: Snippet = []
        for i in range(0, len(padded), 32):
            out += [self.push(int.from_bytes(padded[i:i + 32], "big")), self.push(i), op("MSTORE")]
        return out

    def precompile_data(self, address: int) -> bytes:
        """Input for precompile ``address``: well-formed, on a boundary, or slightly malformed."""
        rng = self.rng

        def w(v: int) -> bytes:
            return (v % 2**256).to_bytes(32, "big")

        def rnd(n: int) -> bytes:
            return bytes(rng.getrandbits(8) for _ in range(n))

        if address == 0x01:  # ecrecover: hash, v, r, s
            return rnd(32) + w(rng.choice((27, 28, 0, 29, 2**256 - 1))) + w(self.word()) + w(self.word())
        if address == 0x05:  # modexp: three lengths, then base, exponent, modulus
            lens = [rng.choice((0, 1, 2, 31, 32, 33, 64)) for _ in range(3)]
            if rng.random() < 0.15:
                lens[rng.randrange(3)] = rng.choice((2**32, 2**64 - 1, 1025, 2**255))
            body = rnd(min(sum(x for x in lens if x <= 64), 160))
            if rng.random() < 0.3:
                body = body[: rng.randrange(len(body) + 1)]  # short input: zero-extended
            return b"".join(w(x) for x in lens) + body
        if address in (0x06, 0x07):  # bn254 add / mul
            pts = [(0, 0), (1, 2), (1, 3), (self.word(), self.word())]
            x1, y1 = rng.choice(pts)
            if address == 0x06:
                x2, y2 = rng.choice(pts)
                data = w(x1) + w(y1) + w(x2) + w(y2)
            else:
                data = w(x1) + w(y1) + w(rng.choice((0, 1, 2, self.word())))
            return data[: rng.choice((len(data), len(data), 0, 63, 64))]
        if address == 0x08:  # bn254 pairing: k * 192 bytes
            return rng.choice((b"", b"\x00" * 192, rnd(192), rnd(191)))
        if address == 0x09:  # blake2f: rounds, h, m, t, f
            data = rng.choice((0, 1, 12)).to_bytes(4, "big") + rnd(64 + 128 + 16) + bytes([rng.choice((0, 1, 2))])
            return data[: rng.choice((213, 213, 212, 214))] if rng.random() < 0.3 else data
        if address >= 0x0B and address <= 0x11:  # BLS12-381: points at infinity are valid and cheap
            unit = {0x0B: 256, 0x0C: 160, 0x0D: 512, 0x0E: 288, 0x0F: 384, 0x10: 64, 0x11: 128}[address]
            n = unit * rng.choice((1, 1, 2)) + rng.choice((0, 0, 0, 1, -1))
            return b"\x00" * max(n, 0) if rng.random() < 0.6 else rnd(max(n, 0))
        return rnd(rng.choice((0, 1, 32, 64, 96, 128, 160, 192)))

    def s_transfer(self) -> Snippet:
        """Value to an account that may not exist (the new-account charge and creation)."""
        target = int.from_bytes(self.rng.choice(ABSENT + [EMPTY]), "big")
        value = self.rng.choice((0, 1, 1, 10**9))
        return self.call_args("CALL", target, value) + self.store_top()

    def precompile_input(self) -> Snippet:
        """MSTOREs that lay random or nearly valid precompile input at memory 0.."""
        rng = self.rng
        words = rng.choice((1, 2, 3, 4, 6, 8, 12))
        out: Snippet = []
        for i in range(words):
            v = rng.choice((self.word(), rng.getrandbits(256), 0, 1, 27, 28, 32))
            out += [self.push(v), self.push(32 * i), op("MSTORE")]
        return out

    def s_create(self) -> Snippet:
        rng = self.rng
        init = self.initcode()
        prep: Snippet = []
        # lay the init code in memory at 0, a word at a time
        padded = init + b"\x00" * (-len(init) % 32)
        for i in range(0, len(padded), 32):
            prep += [self.push(int.from_bytes(padded[i:i + 32], "big")), self.push(i), op("MSTORE")]
        size = len(init) if rng.random() < 0.85 else self.offset(0.5)
        value = rng.choice((0, 0, 1, self.word()))
        if self.fork >= Fork.CONSTANTINOPLE and rng.random() < 0.5:
            body = [self.push(rng.choice((0, 1, self.word()))), self.push(size), self.push(0),
                    self.push(value), op("CREATE2")]
        else:
            body = [self.push(size), self.push(0), self.push(value), op("CREATE")]
        if rng.random() < 0.2:  # a create from a huge offset
            body[-3] = self.push(rng.choice(BOUNDARY_VALUES))
        return prep + body + self.store_top()

    def initcode(self) -> bytes:
        rng = self.rng
        kind = rng.randrange(7)
        ret = _returning
        if kind == 0:
            return b""
        if kind == 1:
            return ret(rng.choice((1, 2, 32)))
        if kind == 2:
            return ret(rng.choice((1, 32)), 0xEF)  # EIP-3541
        if kind == 3:
            return ret(rng.choice((24576, 24577, 49152, 49153)))  # EIP-170 / 3860 sizes
        if kind == 4:
            return push(1, Fork.FRONTIER) + push(0, Fork.FRONTIER) + op("SSTORE") + push(0, Fork.FRONTIER) \
                + push(0, Fork.FRONTIER) + op("REVERT")
        if kind == 5:
            return push(int.from_bytes(rng.choice(ABSENT + CONTRACTS), "big"), Fork.FRONTIER) + op("SELFDESTRUCT")
        return b"".join(b"".join(s) for s in (self.s_storage(), self.s_arith())) + op("STOP")

    def s_control(self) -> Snippet:
        rng = self.rng
        r = rng.random()
        if r < 1 - 0.5 * self.risk:
            # a forward jump inside the snippet: PC is the snippet's first byte,
            # so PC + d lands on the JUMPDEST at byte d whatever precedes it
            skipped = [op("INVALID")] * rng.randrange(0, 3)
            if rng.random() < 0.5:
                taken = 1 if skipped else rng.choice((0, 1))  # not taken: falls onto the JUMPDEST
                tail = [self.push(taken), op("SWAP1"), op("JUMPI")]
            else:
                tail = [op("JUMP")]
            d = 1 + 2 + 1 + sum(len(i) for i in tail + skipped)  # PC, PUSH1 d, ADD, ...
            return [op("PC"), bytes([0x60, d]), op("ADD")] + tail + skipped + [op("JUMPDEST")]
        if r < 1 - 0.4 * self.risk:
            return [self.push(self.word()), op("JUMP")]  # most likely a bad destination
        if r < 1 - 0.2 * self.risk:
            n = rng.randrange(1, 17)
            return [self.push(self.word()) for _ in range(n)] + [op("DUP%d" % n), op("SWAP%d" % n)] + \
                self.store_top() + [op("POP")] * (n - 1)
        return [bytes([rng.choice((0x0C, 0x21, 0x4B, 0xA5, 0xEF, 0xF6, 0xFB, 0xFE, 0x5C, 0x5E, 0x1E, 0x49))])]

    def s_terminal(self) -> Snippet:
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return [self.push(self.offset(0.1)), self.push(self.offset(0.1)), op("RETURN")]
        if r < 0.45 and self.fork >= Fork.BYZANTIUM:
            return [self.push(self.offset(0.1)), self.push(self.offset(0.1)), op("REVERT")]
        if r < 0.7:
            return [self.push(self.address()), op("SELFDESTRUCT")]
        if r < 0.8:
            return [op("INVALID")]
        return [op("STOP")]

    def s_recurse(self) -> Snippet:
        """Call oneself with all but a little gas: depth and the 63/64 rule."""
        name = self.pick(("CALL", "DELEGATECALL", "CALLCODE", "STATICCALL"))
        gas = [self.push(self.rng.choice((700, 2000, 6000))), op("GAS"), op("SUB")]
        args = [self.push(0)] * 4
        if name in ("CALL", "CALLCODE"):
            args.append(self.push(0))
        return args + [op("ADDRESS")] + gas + [op(name)] + self.store_top()

    def program(self, n: int, top: bool) -> List[Snippet]:
        rng = self.rng
        weights = [(self.s_arith, 5), (self.s_memory, 5), (self.s_storage, 4), (self.s_call, 5),
                   (self.s_transfer, 2), (self.s_create, 2), (self.s_control, 2), (self.s_recurse, 1)]
        fns = [f for f, _ in weights]
        ws = [w for _, w in weights]
        self.risk = 0.05 if top else 1.0
        out = [rng.choices(fns, ws)[0]() for _ in range(n)]
        if rng.random() < (0.5 if top else 0.7):
            out.append(self.s_terminal())
        self.risk = 1.0
        return out


def generate_case(seed: int, forks: Sequence[Fork]) -> Case:
    """The case of ``seed``: the same seed and forks always give the same case."""
    rng = random.Random(seed)
    fork = rng.choice(list(forks))
    g = _Gen(rng, fork)
    accounts: Dict[bytes, AccountSpec] = {
        SENDER: AccountSpec(balance=10**24),
    }
    for i, addr in enumerate(CONTRACTS):
        if i and rng.random() < 0.2:
            continue
        storage = {k: rng.choice((1, 2, g.word() or 1)) for k in range(4) if rng.random() < 0.4}
        accounts[addr] = AccountSpec(
            balance=rng.choice((0, 0, 1, 10**18)),
            nonce=rng.choice((0, 1, 1, 2**64 - 2)) if rng.random() < 0.2 else 1,
            code=g.program(rng.randrange(1, 10 if i == 0 else 6), top=i == 0),
            storage=storage,
        )
    if rng.random() < 0.5:
        accounts[EMPTY] = AccountSpec(balance=rng.choice((1, 10**18)))
    if fork >= Fork.PRAGUE and rng.random() < 0.2 and CONTRACTS[3] in accounts:
        # a delegated EOA (EIP-7702) pointing at another contract
        accounts[CONTRACTS[3]].code = []
        accounts[CONTRACTS[3]].raw_code = b"\xef\x01\x00" + rng.choice(CONTRACTS[:3] + ABSENT)

    r = rng.random()
    data: List[Snippet] = []
    to: Optional[bytes] = CONTRACTS[0]
    if r < 0.12:
        to = None  # a creation: the init code is a program
        data = g.program(rng.randrange(1, 6), top=True)
    elif r < 0.2:
        to = rng.choice(ABSENT + [EMPTY])
    elif r < 0.28:
        to = rng.choice(g.precompiles).to_bytes(20, "big")
        data = [[bytes(rng.getrandbits(8) for _ in range(rng.choice((0, 1, 32, 64, 96, 128, 192, 200))))]]
    if not data and rng.random() < 0.5:
        data = [[rng.getrandbits(256).to_bytes(32, "big")] for _ in range(rng.randrange(1, 4))]
    value = rng.choice((0, 0, 0, 1, 10**18))
    gas_limit = rng.choice((200_000, 500_000, 1_000_000, 3_000_000))
    access_list = None
    if fork >= Fork.BERLIN and rng.random() < 0.2:
        access_list = [(rng.choice(CONTRACTS + ABSENT), [rng.randrange(4) for _ in range(rng.randrange(3))])]
    fees = None
    if fork >= Fork.LONDON and rng.random() < 0.25:
        fees = (rng.choice((7, 10, 1000)), rng.choice((0, 1, 3, 1000)))  # base fee 7; the tip is capped
    if to is None and rng.random() < 0.1:
        # something already at the creation address: nonce, code or only storage (EIP-7610)
        created = compute_contract_address(SENDER, 0)
        accounts[created] = rng.choice((
            AccountSpec(nonce=1), AccountSpec(code=[[op("STOP")]]),
            AccountSpec(balance=1, storage={0: 1}), AccountSpec(balance=10**18)))
    return Case(fork=fork, accounts=accounts, to=to, data=data, value=value, gas_limit=gas_limit,
                access_list=access_list, fees=fees, seed=seed)
