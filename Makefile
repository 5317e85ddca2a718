# The course's tasks. A new machine needs only Python 3.10-3.13 and make:
#   make course   set everything up, then execute every lecture and solution (profile fits the machine)
#   make lint     ruff: lint rules and formatting (fix: .venv/bin/ruff check --fix . && .venv/bin/ruff format .)
#   make test-fast  the unit tests that start no Jupyter kernel (a few minutes), after lint
#   make test     the whole test suite (lint, unit tests, nbval on TensorFlow, then every notebook in
#                 copies of Colab's GPU and TPU images), smoke profile; needs Python 3.13 and 3.12 too
#                 (COLAB_PYTHON for make, COLAB_PYTHON_313 / COLAB_PYTHON_312 for tests/test_colab_install.py)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
NBVAL := --nbval-lax --sanitize-with tests/nbval_sanitize.cfg -p no:cacheprovider
PROFILE ?=
# Colab's images (tests/fixtures/colab/): Python 3.13, their versions as constraints, the package's core plus
# the test tools, and the image's backend: TensorFlow on the GPU image; JAX alone on the TPU image (no TensorFlow).
COLAB_PYTHON ?= /root/.pyenv/versions/3.13.0/bin/python
COLAB_BACKEND_gpu := tensorflow==2.20.0
COLAB_BACKEND_tpu := jax[cpu]==0.7.2

.PHONY: course lint test test-fast test-keras-lowest test-colab-gpu test-colab-tpu lab notebooks check setup clean

course: setup  ## execute every notebook; executed copies and build/summary.md
	$(PY) -m course_utils.notebooks run $(if $(PROFILE),--profile $(PROFILE))

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

lint: setup  ## ruff's lint rules and formatting over the whole tree (settings in pyproject.toml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint  ## lint, unit tests, nbval over lectures and solutions (TensorFlow), both Colab images (TPU: JAX alone), lowest Keras
	COURSE_PROFILE=smoke $(PY) -m pytest -n 2 --dist loadfile tests
	COURSE_PROFILE=smoke $(PY) -m pytest -n 2 --dist loadfile $(NBVAL) lectures solutions
	$(MAKE) test-colab-gpu test-colab-tpu test-keras-lowest

# Tests marked `kernel` (nbclient, the grader, nbval) are skipped; tests/conftest.py makes an unmarked test that
# starts a kernel fail here.
test-fast: lint  ## unit tests that start no Jupyter kernel
	COURSE_PROFILE=smoke COURSE_TESTS_NO_KERNEL=1 $(PY) -m pytest -n 2 --dist loadfile tests

# The checks' Keras compat layer on the lowest versions pyproject.toml admits (Keras 3.5 on JAX 0.4.30, NumPy 1.26);
# the main environment has the highest.
KERAS_LOWEST := "keras==3.5.*" "jax[cpu]==0.4.30" "numpy==1.26.*" "pytest>=8.0"
test-keras-lowest: .venv-keras-lowest/.installed  ## the Keras compat tests on the lowest Keras admitted
	KERAS_BACKEND=jax .venv-keras-lowest/bin/python -m pytest -q -p no:cacheprovider tests/test_keras_compat.py

.venv-keras-lowest/.installed: pyproject.toml
	rm -rf .venv-keras-lowest
	$(PYTHON) -m venv .venv-keras-lowest
	.venv-keras-lowest/bin/python -m pip install --quiet $(KERAS_LOWEST)
	.venv-keras-lowest/bin/python -m pip install --quiet --no-deps -e .
	touch $@

test-colab-gpu test-colab-tpu: test-colab-%: .venv-colab-%/.installed  ## every lecture and solution notebook in a copy of Colab's % image
	COURSE_PROFILE=smoke PYDEVD_DISABLE_FILE_VALIDATION=1 .venv-colab-$*/bin/python -m pytest -n 2 --dist loadfile $(NBVAL) lectures solutions

.PRECIOUS: .venv-colab-%/.installed
# Rebuilt when pyproject.toml or the image changes; pip's cache makes a rebuild take a minute or two.
.venv-colab-%/.installed: pyproject.toml tests/fixtures/colab/pip-freeze.%.txt tests/colab_images.py
	rm -rf .venv-colab-$*
	$(COLAB_PYTHON) -m venv .venv-colab-$*
	$(COLAB_PYTHON) tests/colab_images.py constraints $* > .venv-colab-$*/constraints.txt
	.venv-colab-$*/bin/python -m pip install --quiet --no-compile -c .venv-colab-$*/constraints.txt "$(COLAB_BACKEND_$*)" -e ".[test]"
	.venv-colab-$*/bin/python -c "import importlib.util as u, sys; sys.exit('$*' == 'tpu' and u.find_spec('tensorflow') is not None and 'the TPU image has no TensorFlow')"
	touch $@

lab: setup  ## open JupyterLab on the course
	$(VENV)/bin/jupyter lab

notebooks: setup  ## after editing a .py source: sync, execute in place (cpu profile), regenerate labs
	$(PY) -m course_utils.notebooks sync
	$(PY) -m course_utils.notebooks run --in-place --profile $(or $(PROFILE),cpu)
	$(PY) -m course_utils.notebooks sync

check: setup  ## pairs in sync, labs generated, metadata clean
	$(PY) -m course_utils.notebooks check

clean:
	rm -rf build .pytest_cache .venv-colab-gpu .venv-colab-tpu .venv-keras-lowest
