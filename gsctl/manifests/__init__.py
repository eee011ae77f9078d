"""Reading manifests: finding files, loading YAML with file:line (the only yaml importer),
the JSON Schemas (the only jsonschema importer), interpolation of ``${env:}``/``${var:}``,
validation and the semantic checks, producing a :class:`~gsctl.model.Desired`.

May import :mod:`gsctl.flows`, :mod:`gsctl.api`, :mod:`gsctl.model` and :mod:`gsctl.errors`.
"""
