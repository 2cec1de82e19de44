# The front door. `make demo` runs the whole pipeline on the embedded AWS emulator;
# `make test` runs the test suite. Both set up ./venv first (Python 3.11+), once.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# dlib is compiled from source against OpenBLAS, for AVX2 and FMA (what every x86-64 Lambda
# host has; without AVX2 its HOG detector runs 2.4x slower), as in the Dockerfile's builder
# stage. The wheel is kept outside the repository, so it is built once per machine (~8 min).
DLIB_VERSION := 20.0.1
DLIB_CXXFLAGS := -mavx2 -mfma
WHEELS := $(HOME)/.cache/smart-classroom/wheels
DLIB_WHEEL := $(WHEELS)/.dlib-$(DLIB_VERSION)-avx2

.PHONY: setup demo test bench system clean help

help:  ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(DLIB_WHEEL):
	sh setup-system.sh
	mkdir -p $(WHEELS)
	CXXFLAGS="$(DLIB_CXXFLAGS)" CFLAGS="$(DLIB_CXXFLAGS)" $(PYTHON) -m pip wheel --quiet --no-deps --no-cache-dir \
		dlib==$(DLIB_VERSION) --wheel-dir $(WHEELS)
	touch $(DLIB_WHEEL)

$(STAMP): requirements.txt requirements-dev.txt handler/requirements.txt handler/requirements-nodeps.txt $(DLIB_WHEEL)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --find-links $(WHEELS) --only-binary dlib -r requirements-dev.txt
	# face_recognition is only for a test that compares encodings; its models are installed.
	$(BIN)/python -m pip install --quiet --no-deps -r handler/requirements-nodeps.txt
	# The prebuilt dlib-bin wheel beside it, for the test that both builds give the same answers.
	$(BIN)/python -m pip install --quiet --no-deps --target $(VENV)/dlib-bin dlib-bin==20.0.1.post1
	touch $(STAMP)

setup: $(STAMP)  ## Create ./venv with everything the project needs (also the Pulumi program's venv)

system:  ## Install the system packages: cmake, g++, OpenBLAS (to build dlib), ffmpeg (benchmark), chromium + chromium-driver (page test)
	sh setup-system.sh

demo: setup  ## Build the demo data, start the local stack, run the workload, print the results
	$(BIN)/python -m classroom demo

test: setup system  ## Run every test (moto server on 127.0.0.1, real face recognition)
	$(BIN)/python -m pytest

bench: setup system  ## Run the benchmark (table on stdout, JSON in build/bench/)
	$(BIN)/python -m bench

clean:  ## Remove the venv and everything built
	rm -rf $(VENV) build
