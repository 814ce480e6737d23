# The README's commands. Each one bootstraps .venv first, so a fresh clone
# needs only python3 (3.10+, with its venv module), pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# One BLAS thread: on a shared 2-core machine a second OpenBLAS thread waits
# for a free core on every call, turning a 0.1 ms matmul into 16 ms, and a
# fixed thread count keeps summation order, and so printed digits, stable.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tools/nbval_sanitize.cfg \
  --nbval-cell-timeout=300

.PHONY: test handouts lab bench lint format clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "python3 not found: install Python 3.10 or newer (e.g. apt-get install python3 python3-venv)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { \
	  echo "$$($(PYTHON) --version) is too old: nnlab needs Python 3.10 or newer"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "python3 has no venv/ensurepip module: install it (e.g. apt-get install python3-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(NBVAL) tests notebooks

handouts: $(STAMP)
	$(BIN)/python -m nnlab.handouts

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do \
	  echo "== $$b"; $(BIN)/python $$b || exit 1; echo; done

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf handouts tests/screenshots
