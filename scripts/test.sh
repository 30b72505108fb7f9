#!/usr/bin/env bash
# Builds svcnat and runs the whole test suite (unit tests and, as root,
# end-to-end tests inside network namespaces they create and delete).
# Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}

# Development and CI builds treat warnings as errors; a folder the demo made
# without tests is reconfigured (scripts/ensure-test-build).
scripts/ensure-test-build "$build" || { echo "0 passed, 1 failed"; exit 1; }
ninja -C "$build" || { echo "0 passed, 1 failed"; exit 1; }
# Results of this run only: a suite that runs nothing must not be counted
# from an earlier run's file.
unit_log=$build/meson-logs/testlog.junit.xml e2e_log=$build/meson-logs/e2e.junit.xml
rm -f "$unit_log" "$e2e_log"

# Unit tests may run in parallel; end-to-end suites each build a lab of
# namespaces and run one at a time.
meson test -C "$build" --no-rebuild --print-errorlogs --suite unit --num-processes 2 "$@"
rc1=$?
meson test -C "$build" --no-rebuild --print-errorlogs --suite e2e --num-processes 1 \
  --logbase e2e "$@"
rc2=$?

# The Debian packages, built as a packager would (scripts/package: release
# flags, lintian errors fail it), installed and exercised in a
# debootstrapped Debian 12 root (scripts/test-package: each of its checks
# counts as a case; skipped, with the reason, when the Debian mirror is
# unreachable). Root only; SKIP_PACKAGE_TEST=1 leaves it out while
# iterating. The package build is the packager's build the next step
# would otherwise make.
package_checks=()
packaged=
if [ -z "${SKIP_PACKAGE_TEST:-}" ] && [ "$(id -u)" = 0 ]; then
  packaged=yes
  rm -rf "$build/deb"
  if scripts/package --out "$build/deb" >"$build/meson-logs/package.txt" 2>&1; then
    package_checks+=(--check "package: scripts/package (lintian without errors)=pass")
    scripts/test-package --debs "$build/deb" >"$build/meson-logs/test-package.txt" 2>&1
    pkg_rc=$?
    cat "$build/meson-logs/test-package.txt"
    if [ $pkg_rc = 77 ]; then package_checks+=(--check "package: installed-package test=skip")
    else
      while read -r outcome name; do
        package_checks+=(--check "package: $name=$([ "$outcome" = ok ] && echo pass || echo fail)")
      done < <(sed -n 's/^  \(ok\|FAIL\)  *\(.*\)$/\1 \2/p' "$build/meson-logs/test-package.txt")
      [ $pkg_rc = 0 ] || grep -q '^  FAIL' "$build/meson-logs/test-package.txt" ||
        package_checks+=(--check "package: installed-package test ran=fail")
    fi
  else
    tail -n 30 "$build/meson-logs/package.txt"
    package_checks+=(--check "package: scripts/package (lintian without errors)=fail")
  fi
fi

# A packager's build must compile: release, the default warning settings,
# product code only (SKIP_RELEASE_BUILD=1 to leave it out while iterating).
release=pass
if [ -z "${SKIP_RELEASE_BUILD:-}" ] && [ -z "$packaged" ]; then
  release_build=${RELEASE_BUILD_DIR:-build-release}
  { [ -f "$release_build/build.ninja" ] || meson setup "$release_build" -Dbuildtype=release -Dtests=disabled; } \
    >"$build/meson-logs/release-build.txt" 2>&1 &&
    ninja -C "$release_build" >>"$build/meson-logs/release-build.txt" 2>&1 || release=fail
  echo "release build ($release_build): $release (log: $build/meson-logs/release-build.txt)"
  [ $release = pass ] || tail -30 "$build/meson-logs/release-build.txt"
fi

# Fuzzing: each libFuzzer target on its seed corpus, bounded (15 s or
# 1,000,000 runs each), so that a crash on bad input fails CI
# (SKIP_FUZZ=1 to leave it out while iterating; scripts/fuzz runs longer).
fuzz_checks=()
if [ -z "${SKIP_FUZZ:-}" ]; then
  fuzz_out=$(scripts/fuzz --seconds 15 --runs 1000000 2>&1)
  echo "$fuzz_out" | grep -E '^fuzz_' || echo "$fuzz_out" | tail -20
  for t in fuzz_manifest fuzz_dns fuzz_frame; do
    if echo "$fuzz_out" | grep -qE "^$t +ok"; then fuzz_checks+=(--check "$t=pass")
    else fuzz_checks+=(--check "$t=fail"); fi
  done
fi

# Each suite must have run tests and left its result file, or it counts as
# a failure (a build without tests would otherwise "pass" with 0 tests).
release_check=(--check "release build=$release")
[ -n "$packaged" ] && release_check=()  # the package build was it
python3 scripts/test_summary.py "${release_check[@]}" "${fuzz_checks[@]}" "${package_checks[@]}" \
  --suite "unit=$unit_log" --suite "e2e=$e2e_log"
summary=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ $summary -eq 0 ]
