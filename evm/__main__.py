"""``python -m evm``: the ``evm`` command (see :mod:`evm.cli`)."""
import sys

if __name__ == "__main__":
    try:
        from .cli import main
    except KeyboardInterrupt:  # Ctrl-C while the package loads: quiet, as main() is
        sys.stderr.write("\nevm: interrupted\n")
        raise SystemExit(130)
    raise SystemExit(main())
