#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reduce a TAP (kselftest) or KTAP (KUnit) log to its leaf results.

    tap.py [--expect-plan] LOG

Prints one line per leaf test: "ok NAME", "not ok NAME" or "skip NAME",
and "not ok NAME" for a parent whose own result failed although every
child passed (a suite that failed to initialise).  Console timestamps
("[    1.234567] ") are ignored.  With --expect-plan a missing or short
plan ("1..N" at the top level) is reported as a failure.
"""
import re
import sys

RESULT = re.compile(r"^(\s*)(ok|not ok)\s+(\d+)\s*(?:-\s*)?([^#]*?)\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^(\s*)1\.\.(\d+)")
STAMP = re.compile(r"^\[\s*\d+\.\d+\]\s?")
DIAG = re.compile(r"^\s*#\s?(.*)$")
DIAG_LINES = 12


def leaves(lines):
    out = []
    last_indent = None
    child_failed = {}
    plan, seen = None, 0
    diag = []
    for raw in lines:
        line = STAMP.sub("", raw.rstrip("\n"))
        d = DIAG.match(line)
        if d and not RESULT.match(line):
            diag = (diag + [d.group(1)])[-DIAG_LINES:]
            continue
        m = PLAN.match(line)
        if m and not m.group(1) and plan is None:
            plan = int(m.group(2))
            continue
        m = RESULT.match(line)
        if not m:
            continue
        indent, verdict, _, name, directive = m.groups()
        depth = len(indent.expandtabs(4))
        if depth == 0:
            seen += 1
        skip = bool(directive and directive.upper().startswith("SKIP"))
        # "ok 5 # SKIP reason" (ksft_test_result_skip()): the reason names it.
        name = name.strip() or (directive[4:].strip(" :") if skip else "") or "(unnamed)"

        is_parent = last_indent is not None and last_indent > depth
        last_indent = depth
        if is_parent:
            # Summary of a subtest block: count it only when it failed
            # without a failing child (the children were counted).
            if verdict == "not ok" and not skip and not child_failed.get(depth + 1):
                out.append(("not ok", name))
            child_failed = {k: v for k, v in child_failed.items() if k <= depth}
        elif skip:
            out.append(("skip", name))
        else:
            out.append((verdict, name))
            if verdict == "not ok":
                out.extend(("diag", t) for t in diag)
        diag = []
        if verdict == "not ok" and not skip:
            for d in range(depth + 1):
                child_failed[d] = True
    return out, plan, seen


def main(argv):
    expect_plan = "--expect-plan" in argv
    path = [a for a in argv if not a.startswith("--")][0]
    with open(path, errors="replace") as f:
        results, plan, seen = leaves(f)
    for verdict, name in results:
        print(f"{verdict} {name}")
    if expect_plan and (plan is None or seen < plan):
        print(f"not ok plan: {seen} of {plan if plan is not None else '?'} results reported")


if __name__ == "__main__":
    main(sys.argv[1:])
