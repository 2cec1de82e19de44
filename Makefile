# The front door. `make demo` runs the whole pipeline on the embedded AWS emulator;
# `make test` runs the test suite. Both set up ./venv first (Python 3.11+), once.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench ffmpeg clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt requirements-dev.txt handler/requirements.txt handler/requirements-nodeps.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	# face_recognition's own dependency list would compile dlib; dlib-bin is already installed.
	$(BIN)/python -m pip install --quiet --no-deps -r handler/requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP)  ## Create ./venv with everything the project needs (also the Pulumi program's venv)

ffmpeg:  ## Install ffmpeg (system package), which the benchmark's baseline needs
	bash bench/setup.sh

demo: setup  ## Build the demo data, start the local stack, run the workload, print the results
	$(BIN)/python -m classroom demo

test: setup ffmpeg  ## Run every test (moto server on 127.0.0.1, real face recognition)
	$(BIN)/python -m pytest

bench: setup ffmpeg  ## Run the benchmark (table on stdout, JSON in build/bench/)
	$(BIN)/python -m bench

clean:  ## Remove the venv and everything built
	rm -rf $(VENV) build
