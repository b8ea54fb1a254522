"""Compatibility layers: other EVM libraries' APIs over cyevm's machine.

- :mod:`evm.compat.pyrevm`: the API of pyrevm 0.3.7 (``EVM``, ``Env``,
  ``BlockEnv``, ``TxEnv``, ``AccountInfo`` ...) over :class:`evm.machine.EVM`,
  so a pyrevm script runs on cyevm by changing its import.
"""
