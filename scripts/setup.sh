#!/usr/bin/env bash
# Sets up everything enas needs on a Debian machine that has Swift and Python, then builds it in release mode once.
# Idempotent: installed packages are skipped. Prints how long each stage took.
set -euo pipefail
cd "$(dirname "$0")/.."

stage_start=$(date +%s)
stage() {  # stage NAME: closes the previous stage's timer and opens a new one
    local now; now=$(date +%s)
    [ -n "${stage_name:-}" ] && printf '== %-34s %4ds\n' "$stage_name" "$((now - stage_start))"
    stage_name=${1:-}; stage_start=$now
}

stage "system packages (apt)"
apt_packages=(zlib1g-dev dataset-fashion-mnist graphviz gcc)
# Embedding CPython needs Python.h and libpython of the python3 on PATH; Debian's own python3 has them only in
# libpython3-dev (pyenv and other builds ship their own).
python_real=$(python3 -c 'import sys, os; print(os.path.realpath(sys.executable))')
case "$python_real" in /usr/bin/*) apt_packages+=(libpython3-dev) ;; esac
missing=()
for p in "${apt_packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

stage "python packages (pip)"
python3 -m pip install -q --disable-pip-version-check numpy pytest pexpect threadpoolctl matplotlib pandas tqdm nbmake ipykernel 2>&1 | grep -v -i "running pip as the 'root' user" || true
python3 -m pip install -q --disable-pip-version-check -e python 2>&1 | grep -v -i "running pip as the 'root' user" || true

stage "swift build -c release --build-tests"
swift build -c release --build-tests 2>&1 | grep -E "error|warning: unre|Compiling|Build" | grep -v "^\[" || true
test -f .build/release/libenas.so || { echo "setup: .build/release/libenas.so was not built" >&2; exit 1; }
stage
