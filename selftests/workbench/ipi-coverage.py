#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Coverage of the IPI callers report: every call of the on_each_cpu*() /
smp_call_function*() family that a plain text search finds in the files
of the report (comments and string literals removed) must be a row of it.

    ipi-coverage.py TREE ipi-callers.csv

Prints the missing call sites, one per line, and exits 1 if there are any.
"""
import csv
import re
import sys

CALL = re.compile(r"\b(on_each_cpu(?:_mask|_cond|_cond_mask)?|smp_call_function"
                  r"(?:_single|_single_async|_many|_many_cond|_any)?)\s*\(")
DEF = re.compile(r"^\s*(?:static\s+|extern\s+)?(?:inline\s+)?(?:void|int|bool)\s+\w+\s*\(")


def blank(m):
    # Keep newlines so that line numbers stay right.
    return re.sub(r"[^\n]", " ", m.group(0))


def main(tree, table):
    rows = list(csv.DictReader(open(table)))
    have = {(r["file"], int(r["line"])) for r in rows}
    missing = []
    for path in sorted({r["file"] for r in rows}):
        text = open(f"{tree}/{path}").read()
        text = re.sub(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"', blank, text, flags=re.S)
        for n, line in enumerate(text.split("\n"), 1):
            if CALL.search(line) and not DEF.match(line) and "EXPORT_SYMBOL" not in line:
                if (path, n) not in have:
                    missing.append(f"{path}:{n}")
    print("\n".join(missing))
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
