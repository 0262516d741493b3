# The two set-up commands: `make serve` and `make test` (each creates .venv and installs when needed).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX ?= var/index
SHARED ?= ../shared
export FAHRAS_SHARED ?= $(SHARED)

.PHONY: serve test lint index install browser sphinx cluster-up cluster-down serve-cluster bench clean

$(BIN)/.installed: setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $@

install: $(BIN)/.installed

# Build the seed index only when there is none yet (or it was built by an older schema and cannot serve),
# with semantic vectors (the default wherever the embedding model loads).
index: install
	@$(BIN)/fahras reindex seeds --index $(INDEX) --if-unusable

serve: index
	FAHRAS_INDEX_DIR=$(INDEX) $(BIN)/gunicorn -c gunicorn.conf.py "web:create_app()"

browser:
	@scripts/ensure-chromium

sphinx:
	@scripts/ensure-sphinx

# A local Sphinx cluster of SHARDS shards on loopback (var/cluster), the seeds indexed into it, served on :8000.
SHARDS ?= 2
CLUSTER ?= var/cluster
cluster-up: install sphinx
	$(BIN)/fahras cluster up --shards $(SHARDS) --dir $(CLUSTER)

cluster-down: install
	$(BIN)/fahras cluster down --dir $(CLUSTER)

serve-cluster: cluster-up
	@test -f var/cluster-index/CURRENT || $(BIN)/fahras reindex seeds --backend sphinx \
		--cluster $(CLUSTER)/cluster.json --index var/cluster-index
	FAHRAS_BACKEND=sphinx FAHRAS_SPHINX=$(CLUSTER)/cluster.json FAHRAS_INDEX_DIR=var/cluster-index \
		$(BIN)/gunicorn -c gunicorn.conf.py "web:create_app()"

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

test: install browser sphinx lint
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/relevance.py
	$(BIN)/python benchmarks/speed.py

clean:
	rm -rf $(VENV) var .pytest_cache
