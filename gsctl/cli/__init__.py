"""The command line: one module per command, plus the shared options and output.

Commands are thin: options -> one call into :mod:`gsctl.reconcile` or :mod:`gsctl.export`
-> :mod:`gsctl.render` -> an exit code. ``connect`` is the only place that starts the
embedded emulator. May import every gsctl package.
"""

from gsctl.cli.app import main

__all__ = ["main"]
