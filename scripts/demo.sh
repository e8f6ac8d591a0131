#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs the main job. Extra arguments go to enas-demo
# (--epochs N, --train-images N, --seed S, --threads T, --log PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.build/release/enas-demo "$@"
