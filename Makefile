PY ?= python3

.PHONY: check lint imports format typecheck test schemas bench

# The one list of checks: CI runs exactly this (.ci/run and .github/workflows/ci.yml).
check: lint imports typecheck test schemas

lint:
	$(PY) -m ruff check gsctl tests bench
	$(PY) -m ruff format --check gsctl tests bench

format:
	$(PY) -m ruff format gsctl tests bench
	$(PY) -m ruff check --fix gsctl tests bench

imports:
	$(PY) tests/layout_rules.py

typecheck:
	$(PY) -m mypy gsctl

test:
	$(PY) -m pytest -p no:cacheprovider

# Every example and the exported fixture against the published schemas, with a third-party
# validator (check-jsonschema, in the test extra).
SCHEMA_CHECKED = examples/*/*.yaml examples/*/*/*.yaml tests/fixtures/exported/*.yaml

schemas:
	$(PY) -m check_jsonschema --schemafile schemas/manifest.schema.json $(SCHEMA_CHECKED)

bench:
	$(PY) bench/plan_bench.py
