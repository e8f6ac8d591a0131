#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), then runs every test suite: Swift (XCTest + Swift Testing), the C ABI
# program, Python (package, REPL, the main job at a tiny budget) and every notebook. Exits non-zero if any suite fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

export ENAS_LIBRARY_PATH="$PWD/.build/release/libenas.so"
export ENAS_REPL_PATH="$PWD/.build/release/enas-repl"
status=0
run() {  # run NAME COMMAND...: times one suite and records failure without stopping the others
    local name=$1; shift
    local start; start=$(date +%s)
    echo "== $name"
    if "$@"; then echo "== $name: ok ($(( $(date +%s) - start ))s)"; else echo "== $name: FAILED ($(( $(date +%s) - start ))s)"; status=1; fi
}
run "swift test (release)" swift test -c release --skip-build
run "C ABI program" bash Tests/c/run.sh .build/release
run "python tests" python3 -m pytest -q python/tests
# Every notebook, top to bottom, at its tiny budget (the committed copies hold the outputs of the small budget).
run "notebooks" env ENAS_NOTEBOOK_BUDGET=tiny MPLBACKEND=Agg python3 -m pytest -q --nbmake notebooks
exit $status
