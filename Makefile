# One command each: `make serve` sets up and runs the server, `make test` sets up and runs the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(wildcard plugins/*/pyproject.toml) examples/order-bot/pyproject.toml
INSTALL_ARGS := -e '.[test]' $(foreach p,$(PLUGINS),-e $(dir $(p)))

.PHONY: setup serve test test-setup lint bench clean

setup: $(VENV)/.installed

# The console's browser tests drive Debian's Chromium (never a downloaded browser build).
test-setup: setup
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

$(VENV)/.installed: pyproject.toml $(PLUGINS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/pip install --quiet $(INSTALL_ARGS)
	touch $@

serve: setup
	$(BIN)/botkit serve

test: test-setup
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) botkit-data
