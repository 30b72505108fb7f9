#!/usr/bin/env bash
# Builds svcnat and runs the whole test suite (unit tests and, as root,
# end-to-end tests inside network namespaces they create and delete).
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" -Ddpdk=auto -Dtests=enabled || exit 1
fi
ninja -C "$build" || { echo "0 passed, 1 failed"; exit 1; }

# Unit tests may run in parallel; end-to-end suites each build a lab of
# namespaces and run one at a time.
meson test -C "$build" --no-rebuild --print-errorlogs --suite unit --num-processes 2 "$@"
rc1=$?
meson test -C "$build" --no-rebuild --print-errorlogs --suite e2e --num-processes 1 \
  --logbase e2e "$@"
rc2=$?

python3 scripts/test_summary.py "$build/meson-logs/testlog.junit.xml" "$build/meson-logs/e2e.junit.xml"
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ]
