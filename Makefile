# Deep generative models: course repository.
# Every target sets up what it needs (virtual environment, pinned dependencies, data) by itself.
# `make help` lists the targets by role.

SHELL       := /bin/bash
PYTHON      ?= python3
VENV        := .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
DATA_STAMP  := data/files/.verified
WEEK        ?= 1
OUT         ?= grades
# Where torch comes from (README, "Set-up"): empty takes PyPI's build (the CUDA one on Linux, ~2.7 GB);
# TORCH_INDEX=cpu takes the PyTorch CPU index (about 190 MB); a full URL names another index.
TORCH_INDEX ?=
TORCH_INDEX_URL  = $(if $(findstring ://,$(TORCH_INDEX)),$(TORCH_INDEX),https://download.pytorch.org/whl/$(TORCH_INDEX))
TORCH_INDEX_ARGS = $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX_URL),)
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export MPLBACKEND      := Agg
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup data grade test test-fast test-week check submission report similarity assignments check-assignments \
        release rubrics notebooks sync-notebooks check-notebooks gradebook mutants seeds training-seeds bench gradescope \
        gradescope-e2e lock clean

help: ## List the targets, by role
	@echo "Deep generative models: course repository"
	@echo
	@echo "Everyone"
	@echo "  make setup                 virtual environment (.venv) with the pinned dependencies (Python 3.11 to 3.13;"
	@echo "                             PYTHON=/path/to/python3.x picks one, TORCH_INDEX=cpu takes the CPU build of torch)"
	@echo "  make data                  build and checksum the offline data sets and the digit classifier"
	@echo "  make test                  the whole test suite (what CI runs)"
	@echo
	@echo "Students"
	@echo "  make test-week WEEK=1      public tests of one week, on your code in assignments/"
	@echo "  make check WEEK=1          the public tests in the grader's sandbox (limits, disabled functions, imports,"
	@echo "                             files, network): what would fail only in grading; run it before make submission"
	@echo "  make submission WEEK=1     zip of exactly the graded files, after an import check"
	@echo
	@echo "Instructors"
	@echo "  make grade                 grade the bundled example submissions into a gradebook (OUT=grades)"
	@echo "  make report WEEK=1         class report of a graded week: pass rates, failure messages, discrimination, flags"
	@echo "                             (OUT/<week>/report.html and report.csv; after make grade)"
	@echo "  make similarity WEEK=1     pairs of graded submissions ranked by code similarity, side by side"
	@echo "                             (OUT/<week>/similarity.html; winnowing by copydetect, stubs excluded)"
	@echo "  make gradescope WEEK=1     Gradescope autograder zip for one week"
	@echo "  make gradebook             merge the autograder's and nbgrader's grades into one CSV"
	@echo "  make rubrics               the written questions' rubrics and model answers, one file per week in dist/rubrics/"
	@echo
	@echo "Course staff and TAs"
	@echo "  make assignments           regenerate stubs, student notebooks and handouts from solutions/"
	@echo "  make check-assignments     fail if assignments/ differs from what solutions/ generates"
	@echo "  make notebooks [WEEK=N]    generate notebooks/ from the master notebooks and execute them in full mode,"
	@echo "                             in place (FAST=1: a quick run into build/notebooks/)"
	@echo "  make sync-notebooks        regenerate notebooks/ after a text-only edit of a master, keeping the outputs"
	@echo "  make check-notebooks       fail if notebooks/ is not what the masters generate, run in full mode"
	@echo "  make release WEEK=N        the student bundle released with week N: the assignments of weeks 1 to N, no"
	@echo "                             solution, hidden test, rubric or answer to week N (no WEEK: the last week)"
	@echo "  make mutants               grade every mutant (kill matrix) and sweep CI_SEEDS=3 seeds; fail if a mutant"
	@echo "                             keeps full marks or a correct solution loses a point"
	@echo "  make seeds                 the 20-seed sweep of every week (about 8 min on 2 cores), recorded in bench/seeds.md"
	@echo "  make training-seeds        per-run failure rate of each training test over SEEDS=200 seeds of the reference"
	@echo "                             and the alternative, with its bound p^k (resumable: a rerun adds what is missing;"
	@echo "                             TESTS='made.*' picks tests, MINUTES=60 stops starting runs; SMOKE=1: one seed)"
	@echo "  make bench                 timings and reference results into bench/"
	@echo "  make lock                  re-resolve requirements.txt from pyproject.toml's dependencies (add a package:"
	@echo "                             one line there, then make lock)"
	@echo "  make gradescope-e2e WEEK=1 the Gradescope zip set up and run in a clean Debian root (root, network; ~10 min)"
	@echo "  make clean                 remove build outputs and grades (keeps .venv and data)"

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; (3, 11) <= sys.version_info[:2] <= (3, 13) or sys.exit("Python 3.11, 3.12 or 3.13 is required, found " + sys.version.split()[0])'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt $(TORCH_INDEX_ARGS)
	@echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/dgm_course.pth
	@touch $(STAMP)

setup: $(STAMP) ## Virtual environment with pinned dependencies

$(DATA_STAMP): $(STAMP) $(wildcard data/*.py) data/checksums.json
	$(PY) -m data build

data: $(DATA_STAMP) ## Offline data sets and the digit classifier

grade: $(DATA_STAMP) ## Grade the example submissions of every week into a gradebook
	$(PY) -m autograder examples --out $(OUT)

test: $(DATA_STAMP) ## Whole test suite, after the linter (ruff, configured in pyproject.toml)
	$(PY) -m ruff check .
	$(PY) -m pytest -q

test-week: $(STAMP) ## Public tests of one week
	$(PY) -m tools.student test $(WEEK)

submission: $(STAMP) ## Zip of the graded files of one week
	$(PY) -m tools.student submission $(WEEK)

check: $(STAMP) ## The public tests of one week in the grader's sandbox: what would fail only in grading
	$(PY) -m autograder.preflight $(WEEK)

# The graded folder of WEEK under OUT (grades/week1_mle_sampling), for report and similarity.
WEEK_FOLDER = $(OUT)/$$($(PY) -c 'from tools.weeks import resolve_week; print(resolve_week("$(WEEK)"))')

report: $(STAMP) ## Class report of a graded week (after make grade)
	$(PY) -m autograder report $(WEEK_FOLDER)

similarity: $(STAMP) ## Pairs of graded submissions ranked by code similarity (after make grade)
	$(PY) -m autograder similarity $(WEEK_FOLDER)

assignments: $(STAMP) ## Regenerate assignments/ from solutions/
	$(PY) -m tools.assignments generate

check-assignments: $(STAMP)
	$(PY) -m tools.assignments check

release: $(STAMP) ## Student bundle released with week WEEK (no WEEK: the last week)
	$(PY) -m tools.release $(NB_WEEK)

# WEEK picks one week only when given (make notebooks WEEK=3); its default of 1 serves the student targets.
NB_WEEK = $(if $(filter command line environment,$(origin WEEK)),--week $(WEEK),)

rubrics: $(STAMP) ## The rubrics of the written questions, for TAs who grade outside formgrader
	$(PY) -m tools.rubrics --out dist/rubrics

notebooks: $(DATA_STAMP) ## Generate the instructor notebooks from the masters and execute them (full: in place)
	$(PY) -m tools.notebooks run $(if $(FAST),--fast,) $(NB_WEEK)

sync-notebooks: $(STAMP) ## Regenerate the instructor notebooks whose code is unchanged, keeping their outputs
	$(PY) -m tools.notebooks sync $(NB_WEEK)

check-notebooks: $(STAMP) ## Fail if notebooks/ is not what the masters generate, executed in full mode
	$(PY) -m tools.notebooks check $(NB_WEEK)

gradebook: $(DATA_STAMP) ## Merge autograder and nbgrader grades
	@test -d $(OUT) || $(MAKE) --no-print-directory grade
	$(PY) -m tools.gradebook --grades $(OUT)

gradescope: $(STAMP)
	$(PY) -m autograder gradescope $(WEEK) --out dist/week$(WEEK)_autograder.zip

# The zip set up and graded in a clean Debian root, as Gradescope would (root, network; recorded in bench/).
gradescope-e2e: $(DATA_STAMP)
	$(PY) -m tools.gradescope_e2e --week $(WEEK) --record bench/gradescope_e2e.md

CI_SEEDS ?= 3
mutants: $(DATA_STAMP) ## Every mutant loses points; the reference and the alternative keep full marks (CI_SEEDS seeds)
	$(PY) -m autograder clauses all
	$(PY) -m autograder mutants all
	$(PY) -m autograder seeds all --num-seeds $(CI_SEEDS)

seeds: $(DATA_STAMP) ## Reference and alternative keep full marks under 20 seeds (recorded in bench/seeds.md)
	$(PY) -m autograder seeds all --num-seeds 20 --record bench/seeds.md

SEEDS ?= 200
training-seeds: $(DATA_STAMP) ## Failure rates of the training tests (bench/training_tests.md), resumable
	$(PY) -m autograder training-seeds $(if $(SMOKE),--smoke,--num-seeds $(SEEDS)) \
	  $(if $(TESTS),--tests $(foreach t,$(TESTS),'$(t)'),) $(if $(MINUTES),--max-minutes $(MINUTES),)

bench: $(DATA_STAMP) ## Timings and reference results
	$(PY) -m autograder bench --out bench

# The lock: requirements.txt is resolved by uv from pyproject.toml's dependencies for every supported
# Python from 3.11.0 on and every platform (--universal), keeping the pins it already has where they
# still fit. torch's CUDA libraries are left out: PyPI's Linux build pins them itself, the CPU build
# needs none. To add a package: one line in pyproject.toml's dependencies, then `make lock`.
UV_VERSION := 0.13.9
UV         := build/uv/bin/uv
LOCK_ARGS   = pip compile pyproject.toml --universal --fork-strategy fewest --quiet \
              --custom-compile-command "make lock"
$(UV):
	$(PYTHON) -m venv build/uv
	build/uv/bin/python -m pip install -q "uv==$(UV_VERSION)"

lock: $(UV) ## Re-resolve requirements.txt from pyproject.toml's dependencies
	-cp requirements.txt build/uv/first-pass.txt
	$(UV) $(LOCK_ARGS) -o build/uv/first-pass.txt
	$(UV) $(LOCK_ARGS) -o requirements.txt \
	  $$(grep -oE '^(nvidia-|cuda-|triton)[A-Za-z0-9_.-]*' build/uv/first-pass.txt | sed 's/^/--no-emit-package /')

clean:
	rm -rf build dist $(OUT) .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
