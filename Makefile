# Two jobs: `make run` builds every recipe under builds/ into exports/ (with a design report each) and redraws
# the README's pictures in docs/images/ and the recipe reference in docs/recipes/, `make test` runs the tests (and
# the notebooks).
# Both create .venv when it is missing and reinstall only when pyproject.toml changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
RECIPES := $(wildcard builds/flip-chip/*.toml builds/cavity/*.toml)
IMAGES  := docs/images
REFERENCE := docs/recipes
FLOWS   := flip-chip cavity
# Test workers (pytest-xdist): one per core, at most 4; each test file runs whole on one worker, so a file's
# module fixtures are built once. `make test JOBS=0` runs serially. The 20 slowest tests are listed at the end.
# Each worker runs numpy's BLAS and OpenMP on one thread: the workers already take every core, and BLAS threads
# only add overhead there (a (235,000 x 3) @ (3 x 3) product: 4.7 ms CPU and 5.4 ms wall on two threads, 1.4 ms on one).
JOBS    ?= $(shell $(PYTHON) -c 'import os; print(min(4, len(os.sched_getaffinity(0))))')

.PHONY: run images recipes test clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/pkgcad build --report $(RECIPES) -o exports
	$(MAKE) images
	$(MAKE) recipes

# The README's pictures: a process strip (section through the row plane) and a cut-open 3D picture of each flow.
images: $(STAMP)
	mkdir -p $(IMAGES)
	$(BIN)/pkgcad section builds/flip-chip/fc-basic.toml --plane balls --steps -o $(IMAGES)/flip-chip-strip.png
	$(BIN)/pkgcad section builds/cavity/cavity-smaller.toml --plane row --steps -o $(IMAGES)/cavity-strip.png
	$(BIN)/pkgcad picture builds/flip-chip/fc-basic.toml -o $(IMAGES)/flip-chip-3d.png
	$(BIN)/pkgcad picture builds/cavity/cavity-smaller.toml -o $(IMAGES)/cavity-3d.png

# The recipe reference, generated from the recipe models: JSON Schema (for editors) and Markdown per flow.
# tests/flows/test_schema.py fails when these files differ from the models.
recipes: $(STAMP)
	mkdir -p $(REFERENCE)
	for f in $(FLOWS); do \
	  $(BIN)/pkgcad schema $$f -o $(REFERENCE)/$$f.schema.json && \
	  $(BIN)/pkgcad schema $$f --markdown -o $(REFERENCE)/$$f.md || exit 1; \
	done

test: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(BIN)/python -m pytest -n $(JOBS) --dist loadfile --durations=20

clean:
	rm -rf $(VENV) exports/*/
