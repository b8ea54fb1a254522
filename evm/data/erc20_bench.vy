# pragma version 0.4.3
"""
@title BenchDriver
@notice Drives BenchToken (erc20.vy) through `rounds` rounds of mint,
        transfer, approve and transferFrom in one transaction, for cyevm's
        `evm bench`. Every round pays a new holder, so each round writes
        fresh (cold, zero-to-nonzero) storage slots as real traffic does.
"""
from ethereum.ercs import IERC20


interface Mintable:
    def mint(_to: address, _value: uint256): nonpayable


MAX_ROUNDS: constant(uint256) = 100000


@external
def run(token: address, rounds: uint256) -> uint256:
    t: IERC20 = IERC20(token)
    for i: uint256 in range(rounds, bound=MAX_ROUNDS):
        # Holders 0x...10000, 0x...10001, ...: new accounts every round.
        holder: address = convert(convert(i + 65536, uint160), address)
        extcall Mintable(token).mint(self, 1000)
        assert extcall t.transfer(holder, 300)
        assert extcall t.approve(holder, 200)
        assert extcall t.approve(self, 100)
        assert extcall t.transferFrom(self, holder, 100)
    return staticcall t.balanceOf(self)
