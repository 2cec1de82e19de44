# The front door. `make demo` runs the whole pipeline on the embedded AWS emulator;
# `make test` runs the test suite. Both set up ./venv first (Python 3.11+), once.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The instruction set dlib is compiled for: what every x86-64 Lambda host has.
DLIB_CXXFLAGS ?= -mavx2 -mfma

.PHONY: setup demo test bench system clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): requirements.txt requirements-dev.txt handler/requirements.txt handler/requirements-nodeps.txt
	sh setup-system.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# dlib is compiled here against OpenBLAS (about 8 minutes the first time; pip keeps the
	# built wheel in its cache), as in the Lambda image's builder stage.
	CXXFLAGS="$(DLIB_CXXFLAGS)" $(BIN)/python -m pip install --quiet -r requirements-dev.txt
	# face_recognition is only for a test that compares encodings; its models are installed.
	$(BIN)/python -m pip install --quiet --no-deps -r handler/requirements-nodeps.txt
	touch $(STAMP)

setup: $(STAMP)  ## Create ./venv with everything the project needs (also the Pulumi program's venv)

system:  ## Install the system packages: cmake, g++, OpenBLAS (to build dlib), ffmpeg (benchmark)
	sh setup-system.sh

demo: setup  ## Build the demo data, start the local stack, run the workload, print the results
	$(BIN)/python -m classroom demo

test: setup system  ## Run every test (moto server on 127.0.0.1, real face recognition)
	$(BIN)/python -m pytest

bench: setup system  ## Run the benchmark (table on stdout, JSON in build/bench/)
	$(BIN)/python -m bench

clean:  ## Remove the venv and everything built
	rm -rf $(VENV) build
