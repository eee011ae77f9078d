"""Outreach flows as graphs: the ``steps`` sugar, the canonical graph form and step diffs,
references inside flow nodes, and graph checks.

May import :mod:`gsctl.api` (the kinds table and references), :mod:`gsctl.model` and
:mod:`gsctl.errors`.
"""
