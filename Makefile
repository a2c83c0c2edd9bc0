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
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export MPLBACKEND      := Agg
export PYTHONDONTWRITEBYTECODE := 1

.DEFAULT_GOAL := help
.PHONY: help setup data grade test test-fast test-week submission assignments check-assignments \
        release rubrics notebooks sync-notebooks check-notebooks gradebook mutants seeds bench gradescope lock clean

help: ## List the targets, by role
	@echo "Deep generative models: course repository"
	@echo
	@echo "Everyone"
	@echo "  make setup                 virtual environment (.venv) with the pinned dependencies"
	@echo "  make data                  build and checksum the offline data sets and the digit classifier"
	@echo "  make test                  the whole test suite (what CI runs)"
	@echo
	@echo "Students"
	@echo "  make test-week WEEK=1      public tests of one week, on your code in assignments/"
	@echo "  make submission WEEK=1     zip of exactly the graded files, after an import check"
	@echo
	@echo "Instructors"
	@echo "  make grade                 grade the bundled example submissions into a gradebook (OUT=grades)"
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
	@echo "  make release               student bundle (zip) with no solutions and no hidden tests"
	@echo "  make mutants               grade every mutant (kill matrix) and sweep CI_SEEDS=3 seeds; fail if a mutant"
	@echo "                             keeps full marks or a correct solution loses a point"
	@echo "  make seeds                 the 20-seed sweep of every week (about 25 min), recorded in bench/seeds.md"
	@echo "  make bench                 timings and reference results into bench/"
	@echo "  make lock                  rewrite requirements.txt from the current environment"
	@echo "  make clean                 remove build outputs and grades (keeps .venv and data)"

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version.split()[0]'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	@echo "$(CURDIR)" > $$($(PY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/dgm_course.pth
	@touch $(STAMP)

setup: $(STAMP) ## Virtual environment with pinned dependencies

$(DATA_STAMP): $(STAMP) $(wildcard data/*.py) data/checksums.json
	$(PY) -m data build

data: $(DATA_STAMP) ## Offline data sets and the digit classifier

grade: $(DATA_STAMP) ## Grade the example submissions of every week into a gradebook
	$(PY) -m autograder examples --out $(OUT)

test: $(DATA_STAMP) ## Whole test suite
	$(PY) -m pytest -q

test-week: $(STAMP) ## Public tests of one week
	$(PY) -m tools.student test $(WEEK)

submission: $(STAMP) ## Zip of the graded files of one week
	$(PY) -m tools.student submission $(WEEK)

assignments: $(STAMP) ## Regenerate assignments/ from solutions/
	$(PY) -m tools.assignments generate

check-assignments: $(STAMP)
	$(PY) -m tools.assignments check

release: $(STAMP) ## Student bundle
	$(PY) -m tools.release --out dist/student_bundle.zip

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

CI_SEEDS ?= 3
mutants: $(DATA_STAMP) ## Every mutant loses points; the reference and the alternative keep full marks (CI_SEEDS seeds)
	$(PY) -m autograder mutants all
	$(PY) -m autograder seeds all --num-seeds $(CI_SEEDS)

seeds: $(DATA_STAMP) ## Reference and alternative keep full marks under 20 seeds (recorded in bench/seeds.md)
	$(PY) -m autograder seeds all --num-seeds 20 --record bench/seeds.md

bench: $(DATA_STAMP) ## Timings and reference results
	$(PY) -m autograder bench --out bench

lock: $(STAMP)
	( echo "# Pinned dependencies of the course (Python 3.11). Regenerate with: make lock"; \
	  $(PY) -m pip freeze --exclude-editable | sed 's/^torch==.*/torch==2.13.0/' ) > requirements.txt

clean:
	rm -rf build dist $(OUT) .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -prune -exec rm -rf {} +
