PY ?= python3

.PHONY: check lint imports format typecheck test bench

check: lint imports typecheck test

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
	$(PY) -m pytest

bench:
	$(PY) bench/plan_bench.py
