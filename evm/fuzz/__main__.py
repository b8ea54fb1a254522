"""``python -m evm.fuzz``: differential fuzzing (see :mod:`evm.fuzz.runner`)."""
from .runner import main

if __name__ == "__main__":
    raise SystemExit(main())
