#!/usr/bin/env bash
# Builds Tests/c/abi_smoke.c against include/enas.h, links it to libenas.so and runs it; builds and runs the example
# examples/c/micro_search.c in its tiny configuration (search, derive, retrain on Fashion-MNIST, a few seconds); then
# checks that the library exports exactly the enas_* functions the header declares.
# Usage: Tests/c/run.sh <directory holding libenas.so>     (e.g. .build/release)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 <directory holding libenas.so>" >&2
    exit 2
fi
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
libdir="$(cd "$1" && pwd)"
header="$repo/Sources/CENAS/include/enas.h"
[[ -f "$libdir/libenas.so" ]] || { echo "no libenas.so in $libdir" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The header must stand alone under strict C11 and C++.
${CC:-cc} -std=c11 -Wall -Wextra -Werror -pedantic -fsyntax-only -x c "$header"
if command -v c++ >/dev/null; then c++ -std=c++11 -Wall -Werror -fsyntax-only -x c++ "$header"; fi

${CC:-cc} -std=c11 -Wall -Werror -I "$repo/Sources/CENAS/include" "$repo/Tests/c/abi_smoke.c" \
    -L"$libdir" -lenas -Wl,-rpath,"$libdir" -lm -o "$work/abi_smoke"
"$work/abi_smoke"

# The example a C user starts from must build cleanly and do the whole job: a test accuracy and its three files.
${CC:-cc} -std=c11 -Wall -Wextra -Werror -pedantic -I "$repo/Sources/CENAS/include" "$repo/examples/c/micro_search.c" \
    -L"$libdir" -lenas -Wl,-rpath,"$libdir" -lm -o "$work/micro_search"
example_failed() {
    echo "FAIL: examples/c/micro_search --tiny $1; its output:" >&2
    cat "$work/example.out" >&2
    exit 1
}
status=0
"$work/micro_search" --tiny --out "$work/example" > "$work/example.out" 2>&1 || status=$?
[[ $status -eq 0 ]] || example_failed "exited with status $status"
grep -q '^test accuracy: ' "$work/example.out" || example_failed "printed no 'test accuracy:' line"
for file in cells.dot search.ckpt search.jsonl; do
    [[ -s "$work/example/$file" ]] || example_failed "did not write $file (or left it empty)"
done
echo "example: micro_search --tiny: $(grep '^test accuracy: ' "$work/example.out")"

# Exported enas_* symbols == functions declared in the header (comments stripped by the preprocessor).
${CC:-cc} -E -P -x c "$header" | grep -oE '\benas_[a-z0-9_]+[[:space:]]*\(' | tr -d ' (' | sort -u > "$work/declared"
nm -D --defined-only "$libdir/libenas.so" | awk '{print $NF}' | grep -E '^enas_' | sort -u > "$work/exported"
if ! diff -u "$work/declared" "$work/exported" > "$work/diff"; then
    echo "FAIL: exported enas_* symbols differ from enas.h declarations (- header, + library):" >&2
    cat "$work/diff" >&2
    exit 1
fi
echo "symbols: $(wc -l < "$work/declared") enas_* functions declared and exported"
