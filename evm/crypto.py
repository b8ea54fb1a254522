"""Hash functions. ``keccak256`` lives here alone so its backend is a one-line change."""
from Crypto.Hash import keccak as _keccak


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of ``data`` (Ethereum's hash, not SHA3-256)."""
    return _keccak.new(digest_bits=256, data=data).digest()
