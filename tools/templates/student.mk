# Deep generative models: student bundle.
# `make setup` once, then `make test-week WEEK=1` while you work, `make check WEEK=1` before you hand in,
# and `make submission WEEK=1` to hand in.
# WEEK is 1 to 4 or the folder name under assignments/.

SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
WEEK   ?= 1
# torch's CPU build from the PyTorch CPU index: `make setup TORCH_INDEX=cpu` (on Linux, PyPI's torch is
# the CUDA build, several GB); empty takes PyPI's build.
TORCH_INDEX ?=
TORCH_INDEX_ARGS = $(if $(TORCH_INDEX),--extra-index-url https://download.pytorch.org/whl/$(TORCH_INDEX),)
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup test-week check submission notebooks

help: ## List the targets
	@echo "make setup                 virtual environment (.venv) with the pinned dependencies (Python 3.11 to 3.13;"
	@echo "                           PYTHON=/path/to/python3.x picks one; TORCH_INDEX=cpu: torch's CPU build)"
	@echo "make test-week WEEK=1      public tests of one week, on your code in assignments/"
	@echo "make check WEEK=1          the public tests in the grader's sandbox: what would fail only in grading"
	@echo "make submission WEEK=1     dist/<week>_submission.zip: exactly the graded files, after an import check"
	@echo "make notebooks WEEK=1      open the week's notebook in JupyterLab"

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; (3, 11) <= sys.version_info[:2] <= (3, 13) or sys.exit("Python 3.11, 3.12 or 3.13 is required, found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt $(TORCH_INDEX_ARGS)
	@echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/dgm_course.pth
	@touch $(STAMP)

setup: $(STAMP) ## Virtual environment with the pinned dependencies

test-week: $(STAMP) ## Public tests of one week
	$(PY) -m tools.student test $(WEEK)

check: $(STAMP) ## The public tests in the grader's sandbox (limits, disabled functions, imports, files, network)
	$(PY) -m autograder.preflight $(WEEK)

submission: $(STAMP) ## Zip of the graded files of one week
	$(PY) -m tools.student submission $(WEEK)

notebooks: $(STAMP) ## The week's notebook in JupyterLab
	$(PY) -m tools.student notebook $(WEEK)
