"""``python -m evm.bench child ...``: the child process of ``evm bench --memory``."""
import sys

from .memory import child_main

if len(sys.argv) > 1 and sys.argv[1] == "child":
    raise SystemExit(child_main(sys.argv[2:]))
sys.stderr.write("usage: evm bench ... (python -m evm.bench is only the --memory child)\n")
raise SystemExit(2)
