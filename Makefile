# Two commands set up everything on a fresh machine (see README.md):
#   make run    set up, then train the course's Fashion-MNIST network (class 3, p16)
#   make test   set up, then lint and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test bench clean

setup: $(VENV)/.installed

# Re-runs when pyproject.toml changes. Debian's dataset-fashion-mnist gives the complete,
# exact Fashion-MNIST offline; without apt, tfnote downloads it on first use instead.
# Debian's chromium: tests/test_serve.py drives it (Playwright cannot download a browser here).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@if { [ ! -d /usr/share/datasets/fashion-mnist ] || [ ! -x /usr/bin/chromium ]; } \
	    && command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist chromium ) \
	    || echo "note: apt could not install dataset-fashion-mnist chromium; tfnote will download Fashion-MNIST, the browser test of tfnote serve is skipped"; \
	fi
	touch $@

run: setup
	$(BIN)/tfnote train p16

test: setup
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_mnist.py

clean:
	rm -rf $(VENV) runs build src/*.egg-info
