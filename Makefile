# Every target bootstraps .venv (python3.11 -m venv) and (re)installs requirements-dev.txt
# when the venv is new or a requirements file changed since the last install.
#
#   make run         migrate, load demo data, serve on http://$(HOST):$(PORT) until Ctrl-C
#                    (REPLICAS=1 or 2: plus embedded streaming replicas for the pharmacy's reads)
#   make test        the whole pytest suite (DATABASE_URL, else an embedded PostgreSQL)
#   make soak        the property and model-based tests with the long Hypothesis profile
#   make lint        ruff check + ruff format --check
#   make format      ruff check --fix + ruff format
#   make bench       the benchmarks the README quotes
#   make faults      fault drill: make run in celery mode, kill worker/relay/Redis/PostgreSQL, time to converge
#   make fuzz        the long API fuzzing campaign (schemathesis, 20,000+ requests; make test runs 1,000+)
#   make clean-data  stop the embedded PostgreSQL/Redis and delete the data folder

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed
HOST ?= 127.0.0.1
PORT ?= 8000
REPLICAS ?= 0
DATA_DIR ?= $(CURDIR)/.data
PYTEST_ARGS ?=
BENCH_ARGS ?=
export DATA_DIR

.DEFAULT_GOAL := help
.PHONY: help run test soak lint format bench faults fuzz clean-data venv

help:
	@sed -n 's/^#   //p' Makefile

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

run: $(STAMP)
	HOST=$(HOST) PORT=$(PORT) REPLICAS=$(REPLICAS) $(PY) manage.py runstack

# Services not given by DATABASE_URL / REDIS_URL are embedded ones, stopped again afterwards
# if this run started them.
test: $(STAMP)
	$(PY) -m hospital.devserver.embedded run -- $(PY) -m pytest $(PYTEST_ARGS)

# The Hypothesis `soak` profile (tests/hypothesis_profiles.py): 2,000 examples per mode instead of `make test`'s 200.
SOAK_TESTS ?= tests/pharmacy/test_sync_state_machine.py tests/pharmacy/test_property.py tests/prontuario/test_property.py
soak: $(STAMP)
	HYPOTHESIS_PROFILE=soak $(PY) -m hospital.devserver.embedded run -- $(PY) -m pytest $(SOAK_TESTS) $(PYTEST_ARGS)

# schemathesis over every operation of the OpenAPI schema, as writer and reader, with the fuzz_campaign Hypothesis
# profile (random seeds; `make test` runs the same test under the derandomized fuzz_ci profile).
fuzz: $(STAMP)
	FUZZ_PROFILE=fuzz_campaign $(PY) -m hospital.devserver.embedded run -- $(PY) -m pytest tests/hospital/api/test_openapi.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The bench creates and drops its own bench_<pid> database (DATABASE_URL's server, else the embedded
# PostgreSQL, left running like manage.py leaves it) and runs a private Redis; no wrapper, so it never
# stops servers that other runs of this checkout are using.
bench: $(STAMP)
	$(PY) -m bench $(BENCH_ARGS)

# Its own data folder and embedded servers (any DATABASE_URL / REDIS_URL is ignored), removed afterwards.
faults: $(STAMP)
	$(PY) -m bench.faults $(FAULTS_ARGS)

clean-data: $(STAMP)
	$(PY) -m hospital.devserver.embedded stop
	rm -rf -- "$(DATA_DIR)"
