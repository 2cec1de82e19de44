#!/bin/sh
# System packages the project needs beyond Python, from the system package manager
# (Debian/Ubuntu apt). Idempotent: installs only what is missing. Needs root (or sudo).
#   cmake, g++, libopenblas-dev  build dlib from source against OpenBLAS (make setup):
#                                5x faster face encodings than the prebuilt dlib-bin wheel,
#                                the same descriptors (tests/handler/test_dlib_builds.py)
#   ffmpeg                       the benchmark's baseline (the original handler's method)
set -eu
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v g++ >/dev/null 2>&1 || missing="$missing g++"
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/openblas/cblas.h ] \
    || [ -e /usr/include/cblas.h ] || missing="$missing libopenblas-dev"
command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
if [ -z "$missing" ]; then
    echo "system packages present: cmake, g++, OpenBLAS headers, ffmpeg"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "missing:$missing; apt-get is not available: install them with your package manager" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
