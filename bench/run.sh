#!/bin/sh
# One command for the benchmark: install ffmpeg if missing (setup-system.sh), then run
# `python -m bench` from the repository root with any flags given, e.g. `sh bench/run.sh --quick`.
# Uses $PYTHON, else the repository's venv (make setup) or .venv, else python3.
set -eu
cd "$(dirname "$0")/.."
sh setup-system.sh >&2
if [ -z "${PYTHON:-}" ]; then
    if [ -x venv/bin/python ]; then PYTHON=venv/bin/python; elif [ -x .venv/bin/python ]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi
exec "$PYTHON" -m bench "$@"
