# Two commands set up everything on a fresh machine (see README.md):
#   make run    set up, then train the course's Fashion-MNIST network (class 3, p16)
#   make test   set up, then lint and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup run test notebooks bench clean

setup: $(VENV)/.installed

# Re-runs when pyproject.toml changes. Debian packages, if apt can install them:
# dataset-fashion-mnist, the complete, exact Fashion-MNIST offline (without it, tfnote
# downloads it on first use); chromium, which tests/test_serve.py drives (Playwright cannot
# download a browser here); fonts-wqy-microhei (5 MB), so the page's Chinese renders in it.
# apt's output goes to .venv/apt.log; a failure is one line.
APT_PACKAGES := dataset-fashion-mnist chromium fonts-wqy-microhei
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@if { [ ! -d /usr/share/datasets/fashion-mnist ] || [ ! -x /usr/bin/chromium ] \
	      || [ -z "$$(fc-list :lang=zh 2>/dev/null)" ]; } && command -v apt-get >/dev/null; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq \
	    && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) \
	  ) >$(VENV)/apt.log 2>&1 \
	    || echo "note: apt could not install $(APT_PACKAGES) (see $(VENV)/apt.log);" \
	      "tfnote will download Fashion-MNIST, the browser test of tfnote serve is skipped"; \
	fi
	touch $@

run: setup
	$(BIN)/tfnote train p16

test: setup
	$(BIN)/ruff check src tests bench examples notebooks
	$(BIN)/ruff format --check src tests bench examples notebooks
	$(BIN)/python -m pytest -q --durations=15
	TFNOTE_QUICK=1 TFNOTE_DATA=$${TFNOTE_SHARED_DATA:-../shared/data} \
	  $(BIN)/python tests/notebooks/run_notebooks.py

# The course notebooks, regenerated from their sources (notebooks/src/*.py -> notebooks/*.ipynb).
notebooks: setup
	$(BIN)/python notebooks/build.py

bench: setup
	$(BIN)/python bench/bench_cli.py
	$(BIN)/python bench/bench_mnist.py

clean:
	rm -rf $(VENV) runs build src/*.egg-info
