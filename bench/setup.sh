#!/bin/sh
# Benchmark setup: the baseline (the original handler's method) needs the ffmpeg binary,
# taken from the system package manager (Debian/Ubuntu apt). Idempotent: does nothing
# when ffmpeg is already on PATH. Needs root (or sudo) to install.
set -eu
if command -v ffmpeg >/dev/null 2>&1; then
    echo "ffmpeg present: $(command -v ffmpeg)"
    exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ffmpeg is missing and apt-get is not available: install ffmpeg with your package manager" >&2
    exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends ffmpeg
ffmpeg -hide_banner -version | head -n 1
