# Two set-up commands: `make repro` (install + dvc repro) and `make test` (install + pytest).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: repro test install clean-venv spread

# Some machines export PYTHONDONTWRITEBYTECODE=1; every stage is a new Python process, and
# without cached bytecode each one recompiles torch/mmpose/pandas sources (~13 s a stage).
unexport PYTHONDONTWRITEBYTECODE

# The venv is (re)built when a requirements file changes. Order matters (DESIGN.md):
# the local CPU torch wheel first, the pinned set, the mm* stack without deps (keeps out
# opencv-python, chumpy and a CUDA torchvision), then xtcocotools rebuilt against numpy 2, and
# last this project itself, editable and offline (pyproject.toml: the `robustpose` command).
$(STAMP): requirements.txt requirements-nodeps.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --no-compile torch==2.13.0
	$(PIP) install -q --no-compile -r requirements.txt
	$(PIP) install -q --no-compile --no-deps -r requirements-nodeps.txt
	$(PIP) install -q --no-compile --no-deps --no-binary xtcocotools --no-build-isolation xtcocotools==1.14.3
	$(PIP) install -q --no-compile --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

repro: $(STAMP)
	@test -d .git || (echo "make repro needs a git checkout (dvc)"; exit 1)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/python stages/run_pipeline.py

test: $(STAMP)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) -m pytest -q -ra $(PYTEST_ARGS)

# The seed and CPU-kernel spread of the trained results (studies/spread.py; ~75 min on 2 cores,
# after `make repro`): three training seeds, and seed 0 with the kernels lowered for SimpleBaseline
# and its AdvMix fine-tuning (drop --models for every model: ~2.5x slower kernels, ~45 min more).
spread: $(STAMP)
	$(PY) studies/spread.py collect
	$(PY) studies/spread.py run --seed 1
	$(PY) studies/spread.py run --seed 2
	$(PY) studies/spread.py run --seed 0 --kernels lowered --models simplebaseline_r18
	$(PY) studies/spread.py table
	$(PY) -m robustpose.report.readme_blocks
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/dvc repro -f -s report

clean-venv:
	rm -rf $(VENV)

# PoseBench's robustness factors as DVC experiment grids (configs/grids.yaml; studies/grid.py):
# `make grid-resolution`, grid-capacity, grid-augmentation, grid-postprocessing, grid-pretraining.
# Each writes reports/grids/<name>/ (table, conclusion, runs); run `make repro` first.
grid-%: $(STAMP)
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(PY) studies/grid.py run $*
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/dvc repro -f -s report   # the results page shows the grid
