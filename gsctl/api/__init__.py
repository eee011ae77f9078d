"""Talking to the GetSales API: the kinds table (the one place for paths and field names),
the HTTP client (the only httpx importer), the wire helpers, the rate limiter, and the
translation between API vocabulary (uuids) and manifest vocabulary (names).

May import only :mod:`gsctl.model` and :mod:`gsctl.errors` (and itself).
"""
