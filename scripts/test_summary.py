#!/usr/bin/env python3
"""Counts individual test cases in meson's JUnit logs (GoogleTest cases are
reported one by one because the suites use protocol 'gtest') and prints the
line CI reads last: "N passed, N failed" (skips are reported on the line
before it). `--check NAME=pass|fail` adds a check that is not a test case
(the release build, the fuzz runs), counted as one case."""
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
args = sys.argv[1:]
paths = []
while args:
    arg = args.pop(0)
    if arg == "--check" and args:
        name, _, result = args.pop(0).rpartition("=")
        if result == "pass":
            passed += 1
        else:
            failed += 1
            print(f"check failed: {name}")
    else:
        paths.append(arg)
for path in paths:
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        continue
    for suite in root.iter("testsuite"):
        cases = list(suite.findall("testcase"))
        for case in cases:
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None:
                skipped += 1
            else:
                passed += 1
if skipped:
    print(f"({skipped} skipped: a feature this machine lacks, e.g. SCTP)")
print(f"{passed} passed, {failed} failed")
