# The two quick-start commands are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: run test lint bench soak clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,bench]'
	rm -f $(VENV)/.installed-*
	touch $@

run: $(STAMP)
	$(BIN)/leadhub serve

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy src

# Installs wrk (apt-get) and json-server/Prism (npm, into bench/.node) when missing, builds the
# fixed-seed data sets in bench/.data and writes docs/benchmarks.md with its figure
# (docs/benchmarks.png). BENCH_ARGS=--help for options.
bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

# Long reliability runs (crash safety with more posts, kills and database outages; Schemathesis
# with more examples and scenarios); see docs/reliability.md.
soak: $(STAMP)
	LEADHUB_SOAK=1 $(BIN)/python -m pytest -n 2 tests/reliability $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
