# Two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000

.PHONY: run test lint bench sizes clean

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
	$(BIN)/errata demo
	PORT=$(PORT) $(BIN)/errata run --with-mail-sender

test: $(VENV)/.installed-test
	$(BIN)/ruff check service tests bench migrations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py --breakdown
	$(BIN)/python bench/ingest_floor.py
	$(BIN)/python bench/queue.py

sizes:
	@for f in static/js/*.js; do printf '%-32s %6d B raw %6d B gzip -9\n' $$f $$(wc -c <$$f) $$(gzip -9c $$f | wc -c); done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
