#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs the main job: a micro-cell search on Fashion-MNIST, derive, a short
# retraining from scratch and the test accuracy (examples/fashion_mnist_quickstart.py; minutes on 2 cores).
# Extra arguments go to it: --full (the recipe's hours-long budget), --tiny (seconds), --out DIR, --seed S.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ENAS_LIBRARY_PATH="$PWD/.build/release/libenas.so"
exec python3 examples/fashion_mnist_quickstart.py "$@"
