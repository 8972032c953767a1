# Casetrack: `make run` runs the whole system, `make test` runs every test.
# Both do all of their own set-up (virtualenv, dependencies, the local real stack).
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
STACK := bash docker/local/stack.sh
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: help venv up down env run test test-unit lint fmt bench load clean cluster-up cluster-down cluster-env cluster-bench

help:
	@echo "make run    - set up and run the API (port $(PORT)), relay and projectors on the local stack"
	@echo "make test   - set up, start the stack if needed, run every test, stop what it started"
	@echo "make up / make down - start / stop the local Kafka, Elasticsearch and PostgreSQL"
	@echo "make cluster-up / make cluster-down - the same on a 3-broker Kafka and 3-node Elasticsearch cluster (own ports)"
	@echo "make lint   - formatter check, linter and layer contracts (make test runs it first)"
	@echo "make fmt    - format and apply the linter's safe fixes"

$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(PY) || python3 -m venv $(VENV)
	@$(VENV)/bin/uv --version 2>/dev/null | grep -q "$(UV_VERSION)" || $(VENV)/bin/pip install -q "uv==$(UV_VERSION)"
	@$(VENV)/bin/uv sync --frozen --inexact --all-groups --all-extras --quiet
	@touch $@

venv: $(VENV)/.synced

up: venv
	@$(STACK) up

down:
	@$(STACK) down

env:
	@$(STACK) env

# The cluster (docker/local/cluster.sh): beside the single-node stack, on ports of its own.
cluster-up: venv
	@bash docker/local/cluster.sh up

cluster-down:
	@bash docker/local/cluster.sh down

cluster-env:
	@bash docker/local/cluster.sh env

run: venv
	@bash docker/local/run.sh

test: venv lint
	@bash docker/local/test.sh $(PYTEST_ARGS)

# ruff (format and lint) and import-linter (the layers of docs/design.md), as configured in pyproject.toml.
lint: venv
	@$(VENV)/bin/ruff format --check --quiet . || { echo "make fmt formats the files above"; exit 1; }
	@$(VENV)/bin/ruff check --quiet . && echo "ruff: formatted and clean"
	@out=$$($(VENV)/bin/lint-imports --no-cache 2>&1) || { echo "$$out"; exit 1; }; echo "$$out" | grep -E '^Contracts:'


fmt: venv
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

test-unit: venv
	@$(VENV)/bin/pytest tests/unit -q $(PYTEST_ARGS)

clean: down
	rm -rf var

# Benchmarks and load: the harness needs the local stack (make up); load needs the API (make run).
SCALE ?= 100000
LOAD_USERS ?= 20
LOAD_TIME ?= 2m

bench: venv
	@$(PY) -m loadtests.bench --scale $(SCALE)

# The cluster next to a single node (docs/operations.md): starts and stops both itself.
CLUSTER_BENCH_DAYS ?= 80
cluster-bench: venv
	@$(PY) -m loadtests.cluster_bench --days $(CLUSTER_BENCH_DAYS)

load: venv
	@mkdir -p loadtests/results
	@$(VENV)/bin/locust -f loadtests/locustfile.py --headless --users $(LOAD_USERS) --spawn-rate 5 \
	  --run-time $(LOAD_TIME) --host http://127.0.0.1:$(PORT) --csv loadtests/results/load --only-summary \
	  --loglevel WARNING; status=$$?; $(PY) -m loadtests.load_report loadtests/results/load_stats.csv; exit $$status
