"""Runners behind the ``evm`` subcommands (``evm blocktest`` ...)."""
