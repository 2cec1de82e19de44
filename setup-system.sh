#!/bin/sh
# System packages the project needs beyond Python, from the system package manager
# (Debian/Ubuntu apt). Idempotent: installs only what is missing. Needs root (or sudo).
#   cmake, g++, libopenblas-dev  build dlib from source against OpenBLAS (make setup):
#                                5x faster face encodings than the prebuilt dlib-bin wheel,
#                                the same descriptors (tests/handler/test_dlib_builds.py)
#   ffmpeg                       the benchmark's baseline (the original handler's method)
#   chromium, chromium-driver    the evidence page's browser test (tests/page/test_page_in_a_browser.py):
#                                selenium drives headless chromium through chromedriver to check what a
#                                teacher sees (cards, faces loaded, a script-like name shown as text);
#                                Debian's packages match each other's version, so no driver download.
#                                (On Ubuntu these apt names install snaps, which need snapd.)
set -eu
missing=""
command -v cmake >/dev/null 2>&1 || missing="$missing cmake"
command -v g++ >/dev/null 2>&1 || missing="$missing g++"
[ -e /usr/include/x86_64-linux-gnu/openblas-pthread/cblas.h ] || [ -e /usr/include/openblas/cblas.h ] \
    || [ -e /usr/include/cblas.h ] || missing="$missing libopenblas-dev"
command -v ffmpeg >/dev/null 2>&1 || missing="$missing ffmpeg"
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
if [ -z "$missing" ]; then
    echo "system packages present: cmake, g++, OpenBLAS headers, ffmpeg, chromium, chromium-driver"
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
