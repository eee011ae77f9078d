"""A local GetSales API that serves the contract (``gsctl/schemas/getsales-api.yaml``).

Modules: ``contract`` (load the contract, validators), ``store`` (SQLite + memory),
``rules`` (business rules), ``flows`` (versions, status actions), ``listing`` (lists),
``auth`` (keys and teams), ``faults`` (rate limit, fault injection), ``seed`` (what every
team starts with, seed files), ``metrics`` (usage counts: the metrics and contact search
endpoints, counts seeded per object), ``dialect`` (the contract's tidy answers or the real
API's evidenced ones), ``app`` (the ASGI app), ``server`` (running it).

A separate program: it may import only its own modules (and the kinds table,
:mod:`gsctl.api.kinds`); only :mod:`gsctl.cli` imports it.
"""

from gsctl.emulator.app import RequestRecord
from gsctl.emulator.server import DEFAULT_API_KEY, EmulatorServer, serve
from gsctl.emulator.store import Store

__all__ = ["DEFAULT_API_KEY", "EmulatorServer", "RequestRecord", "Store", "serve"]
