# Two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
# pytest-xdist workers for `make test`: two per core by default, since much of the suite waits
# on Chromium, servers and sockets rather than the CPU (2 cores: 4 workers 144 s, 2 workers
# 190 s, one process about 280 s). `TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) * 2 )))

.PHONY: run test lint bench sizes snippet clean

# The stamp is remade whenever pyproject.toml changes, so a pull that adds a
# dependency is installed by the next `make run`/`make test` without a wipe.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/errata db upgrade
	PORT=$(PORT) $(BIN)/errata demo
	PORT=$(PORT) $(BIN)/errata run --with-mail-sender

# UglifyJS, pinned in snippet/package-lock.json, for snippet/build.py and its tests.
SNIPPET_DEPS := snippet/node_modules/.package-lock.json
$(SNIPPET_DEPS): snippet/package-lock.json
	npm ci --prefix snippet --no-audit --no-fund --loglevel=error

snippet: $(VENV)/.installed-test $(SNIPPET_DEPS)
	$(BIN)/python snippet/build.py

test: $(VENV)/.installed-test $(SNIPPET_DEPS)
	$(BIN)/ruff check service tests bench migrations deploy snippet
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-run

bench: $(VENV)/.installed-bench
	$(BIN)/python bench/ingest.py --breakdown
	$(BIN)/python bench/ingest_floor.py
	$(BIN)/python bench/queue_page.py
	$(BIN)/python bench/pagecheck.py

sizes:
	@for f in static/js/*.js; do printf '%-32s %6d B raw %6d B gzip -9\n' $$f $$(wc -c <$$f) $$(gzip -9cn $$f | wc -c); done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
