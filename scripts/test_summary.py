#!/usr/bin/env python3
"""Counts individual test cases in meson's JUnit logs (GoogleTest cases are
reported one by one because the suites use protocol 'gtest') and prints the
line CI reads last: "N passed, N failed" (skips are reported on the line
before it). Exits 1 when anything failed.

  test_summary.py [--check NAME=pass|fail|skip]... [--suite NAME=JUNIT]... [JUNIT]...

--check adds a check that is not a test case (the release build, the fuzz
runs), counted as one case. --suite names a result file that must exist and
hold at least one test case: a missing or unreadable file, or a suite that
ran nothing (a build configured without tests, "No tests defined"), counts
as one failure, so that it cannot pass unnoticed. Plain JUNIT paths are
counted when present."""
import sys
import xml.etree.ElementTree as ET


def count_cases(root):
    passed = failed = skipped = 0
    for suite in root.iter("testsuite"):
        for case in suite.findall("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def main(args):
    passed = failed = skipped = 0
    problems = []
    while args:
        arg = args.pop(0)
        if arg in ("--check", "--suite") and args:
            name, _, value = args.pop(0).partition("=") if arg == "--suite" else args.pop(0).rpartition("=")
            if arg == "--check":
                if value == "pass":
                    passed += 1
                elif value == "skip":
                    skipped += 1
                else:
                    failed += 1
                    problems.append(f"check failed: {name}")
                continue
            required, path = True, value
        else:
            name, required, path = arg, False, arg
        try:
            p, f, s = count_cases(ET.parse(path).getroot())
        except (OSError, ET.ParseError) as e:
            if required:
                failed += 1
                problems.append(f"suite {name}: no result file ({path}: {e.__class__.__name__})")
            continue
        if required and p + f + s == 0:
            failed += 1
            problems.append(f"suite {name}: ran no test ({path})")
        passed, failed, skipped = passed + p, failed + f, skipped + s
    for line in problems:
        print(line)
    if skipped:
        print(f"({skipped} skipped: a feature this machine lacks, e.g. SCTP)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
