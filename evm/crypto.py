"""Hash functions. ``keccak256`` is the compiled core's C implementation
(tested against pycryptodome in tests/unit/test_keccak.py)."""
from ._core import keccak256 as _keccak256


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of ``data`` (Ethereum's hash, not SHA3-256)."""
    return _keccak256(data)
