# The README's commands. Each one bootstraps .venv first, so a fresh clone
# needs only python3 (3.10+, with its venv module), pip and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements-lock.txt
STAMP := $(VENV)/.installed-stamp
# Tools pinned here because the lock cannot list them: pip installs the lock,
# uv writes it.
PIP_VERSION := 26.3
UV_VERSION := 0.13.9
# One BLAS thread: on a shared 2-core machine a second OpenBLAS thread waits
# for a free core on every call, turning a 0.1 ms matmul into 16 ms. (Which
# kernel OpenBLAS picks, OPENBLAS_CORETYPE, is left alone: see test-core.)
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1

# OpenBLAS kernel families the notebooks are tested under, and the CPU flag
# each needs (from /proc/cpuinfo).
CORES := Haswell SkylakeX Sandybridge
FLAG_Haswell := avx2
FLAG_SkylakeX := avx512f
FLAG_Sandybridge := avx

.PHONY: test test-core _test-core handouts notebooks lab bench lock format clean

$(STAMP): pyproject.toml $(LOCK) lib/nnlab/kernel.py
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "python3 not found: install Python 3.10 or newer (e.g. apt-get install python3 python3-venv)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || { \
	  echo "$$($(PYTHON) --version) is too old: nnlab needs Python 3.10 or newer"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || { \
	  echo "python3 has no venv/ensurepip module: install it (e.g. apt-get install python3-venv)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m nnlab.kernel
	@touch $(STAMP)

# Two pytest workers (pytest-xdist), one a core: the browser files wait on a
# kernel or on Chromium most of the time, and the unit tests and notebooks
# fill the other core meanwhile. Each file goes whole to one worker (see
# pyproject's addopts and the root conftest.py). WORKERS=0 runs in one process.
WORKERS ?= 2

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n $(WORKERS) tests notebooks

# The unit tests and the notebooks under nbval with one OpenBLAS kernel family,
# e.g. `make test-core CORE=Sandybridge`; the browser tests are left to `make
# test`. It first shows that OpenBLAS really runs that kernel, and skips,
# saying so, a family whose instructions this CPU lacks.
test-core: $(STAMP)
	@test "$(words $(CORE))" = 1 -a -n "$(filter $(CORE),$(CORES))" || { \
	  echo "CORE=$(CORE): give one of $(CORES)"; exit 2; }
	@if ! grep -qw "$(FLAG_$(CORE))" /proc/cpuinfo 2>/dev/null; then \
	  echo "SKIPPED CORE=$(CORE): this CPU lacks $(FLAG_$(CORE)), which its kernels need"; \
	else $(MAKE) --no-print-directory _test-core; fi

_test-core:
	@core=$$(OPENBLAS_CORETYPE=$(CORE) OPENBLAS_VERBOSE=2 $(BIN)/python -c \
	  'import numpy; numpy.ones((2, 2)) @ numpy.ones((2, 2))' 2>&1 | grep -o 'Core: [A-Za-z]*'); \
	  echo "OPENBLAS_CORETYPE=$(CORE): OpenBLAS reports $$core"; \
	  test "$$core" = "Core: $(CORE)" || { echo "OpenBLAS did not take $(CORE)"; exit 1; }
	OPENBLAS_CORETYPE=$(CORE) $(BIN)/python -m pytest -n $(WORKERS) -m "not browser" tests notebooks

# The course book: handouts/index.html and one page per notebook, then
# handouts/nnlab.pdf (printed by headless Chromium; without one, a line says
# so) and handouts/nnlab-handouts.zip. Everything lands in handouts/.
handouts: $(STAMP)
	$(BIN)/python -m nnlab.book

# Maintainer's step: re-execute notebooks (all, or NB=04) and store their
# outputs and key figures. Commit the result with the change that caused it.
# Cells tagged `timing` keep their stored wall times unless MEASURE=1. The
# compared outputs are the same under every BLAS kernel, but the few cells
# nbval ignores because they print chaotic training digits are not: they are
# stored from Haswell's kernels (AVX2), so that maintainers on different CPUs
# store the same bytes. Set STORE_CORE to override.
STORE_CORE ?= Haswell
notebooks: $(STAMP)
	@if grep -qw "$(FLAG_$(STORE_CORE))" /proc/cpuinfo 2>/dev/null; then \
	  echo "storing outputs computed with OPENBLAS_CORETYPE=$(STORE_CORE)"; \
	  OPENBLAS_CORETYPE=$(STORE_CORE) $(BIN)/python -m nnlab.execute $(if $(MEASURE),--measure) $(NB); \
	else \
	  echo "this CPU cannot run $(STORE_CORE) kernels: storing with OpenBLAS's own choice"; \
	  $(BIN)/python -m nnlab.execute $(if $(MEASURE),--measure) $(NB); fi

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

# The benchmarks run under the notebook kernel's settings (one BLAS thread,
# glibc malloc thresholds: nnlab.kernel.kernel_env), as a reader's notebooks
# do; without them the time of one layer swung with the allocator's state.
bench: $(STAMP)
	@env=$$($(BIN)/python -c 'from nnlab.kernel import kernel_env; \
	  print(" ".join(f"{k}={v}" for k, v in kernel_env().items() if k != "MPLBACKEND"))'); \
	echo "environment: $$env"; echo; \
	for b in benchmarks/bench_*.py; do \
	  echo "== $$b"; env $$env $(BIN)/python $$b || exit 1; echo; done

# Regenerate the lock from pyproject.toml: exact versions of every package,
# resolved for every platform and Python >= 3.10 (uv's universal mode).
lock:
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal \
	  --python-version 3.10 --quiet -o $(LOCK)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf handouts tests/screenshots
