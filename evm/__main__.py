"""``python -m evm``: the ``evm`` command (see :mod:`evm.cli`)."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
