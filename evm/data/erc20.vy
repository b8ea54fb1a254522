# pragma version 0.4.3
"""
@title BenchToken
@notice A plain ERC-20 token with a minter, written for cyevm's `evm bench`
        workload. Compiled once (see README.md in this folder); the runtime
        bytecode is erc20.hex.
"""
from ethereum.ercs import IERC20

implements: IERC20

# Storage slots 0..3, in this order (the workload presets `minter`).
totalSupply: public(uint256)
balanceOf: public(HashMap[address, uint256])
allowance: public(HashMap[address, HashMap[address, uint256]])
minter: public(address)


@deploy
def __init__():
    self.minter = msg.sender


@external
def transfer(_to: address, _value: uint256) -> bool:
    # Underflow reverts: Vyper checks uint256 arithmetic.
    self.balanceOf[msg.sender] -= _value
    self.balanceOf[_to] += _value
    log IERC20.Transfer(sender=msg.sender, receiver=_to, value=_value)
    return True


@external
def transferFrom(_from: address, _to: address, _value: uint256) -> bool:
    self.allowance[_from][msg.sender] -= _value
    self.balanceOf[_from] -= _value
    self.balanceOf[_to] += _value
    log IERC20.Transfer(sender=_from, receiver=_to, value=_value)
    return True


@external
def approve(_spender: address, _value: uint256) -> bool:
    self.allowance[msg.sender][_spender] = _value
    log IERC20.Approval(owner=msg.sender, spender=_spender, value=_value)
    return True


@external
def mint(_to: address, _value: uint256):
    assert msg.sender == self.minter, "only the minter mints"
    self.totalSupply += _value
    self.balanceOf[_to] += _value
    log IERC20.Transfer(sender=empty(address), receiver=_to, value=_value)
