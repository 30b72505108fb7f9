#!/usr/bin/env python3
"""Counts individual test cases in meson's JUnit logs (GoogleTest cases are
reported one by one because the suites use protocol 'gtest') and prints the
line CI reads: "N passed, N failed" (", N skipped" when any were skipped)."""
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for path in sys.argv[1:]:
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
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
