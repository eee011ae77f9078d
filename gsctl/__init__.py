"""gsctl: config-as-code for GetSales workspaces.

The packages follow the pipeline, and imports point down it (checked in CI by
``tests/layout_rules.py``)::

    cli -> export, render -> reconcile -> manifests -> flows -> api -> model, errors

``model`` and ``errors`` (here, at the top) are the value types and the error table every
package shares; they import nothing of gsctl. The emulator is a separate program.
"""

__version__ = "0.1.0"
