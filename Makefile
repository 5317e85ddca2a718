# The course's tasks. A new machine needs only Python 3.10-3.13 and make:
#   make course   set everything up, then execute every lecture and solution (profile fits the machine)
#   make test     the whole test suite (unit tests, nbval on TensorFlow and on JAX), smoke profile
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
NBVAL := --nbval-lax --sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
PROFILE ?=

.PHONY: course test lab notebooks check setup clean

course: setup  ## execute every notebook; executed copies and build/summary.md
	$(PY) -m course_utils.notebooks run $(if $(PROFILE),--profile $(PROFILE))

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

test: setup  ## unit tests, then nbval over lectures and solutions (TensorFlow), then solutions on JAX
	COURSE_PROFILE=smoke $(PY) -m pytest -n 2 --dist loadfile tests
	COURSE_PROFILE=smoke $(PY) -m pytest -n 2 --dist loadfile $(NBVAL) lectures solutions
	COURSE_PROFILE=smoke KERAS_BACKEND=jax $(PY) -m pytest -n 2 --dist loadfile $(NBVAL) solutions

lab: setup  ## open JupyterLab on the course
	$(VENV)/bin/jupyter lab

notebooks: setup  ## after editing a .py source: sync, execute in place (cpu profile), regenerate labs
	$(PY) -m course_utils.notebooks sync
	$(PY) -m course_utils.notebooks run --in-place --profile $(or $(PROFILE),cpu)
	$(PY) -m course_utils.notebooks sync

check: setup  ## pairs in sync, labs generated, metadata clean
	$(PY) -m course_utils.notebooks check

clean:
	rm -rf build .pytest_cache
