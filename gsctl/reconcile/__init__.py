"""Deciding and doing: live fetch, normalisation, diff (the only deepdiff importer), the plan
and its safety gates, re-pointing after replaces, flow operations at apply time, apply, and
the workflow that wires them for the commands.

May import :mod:`gsctl.manifests`, :mod:`gsctl.flows`, :mod:`gsctl.api`, :mod:`gsctl.model`
and :mod:`gsctl.errors`.
"""
