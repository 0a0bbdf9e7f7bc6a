#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the interference table: one row per load source, the IPIs that
landed on the isolated CPUs under each kernel, and the top callbacks.

    bench-table.py LABEL=result.json [LABEL=result.json ...] [--json OUT]
"""
import json
import sys


def top(src, n=3):
    cbs = sorted(src.get("callbacks", {}).items(), key=lambda kv: -kv[1])
    return " ".join(f"{k}({v})" for k, v in cbs[:n]) or "-"


def main(argv):
    runs, out = [], None
    args = iter(argv)
    for a in args:
        if a == "--json":
            out = next(args)
            continue
        label, _, path = a.partition("=")
        with open(path) as f:
            runs.append((label, json.load(f)))
    if not runs:
        sys.exit("usage: bench-table.py LABEL=result.json ... [--json OUT]")

    names = []
    for _, r in runs:
        for s in r["sources"]:
            if s["name"] not in names:
                names.append(s["name"])
    first = runs[0][1]
    print(f"IPIs on isolated CPUs {first['isolated']} / load operations, "
          f"{first['seconds']} s per source, CAL+TLB+RES+IWI rows of /proc/interrupts")
    for label, r in runs:
        print(f"  {label}: {r['kernel']}: {r['cmdline']}")
    head = f"{'source':<9}" + "".join(f"{label:>16}" for label, _ in runs)
    print(head + "   top callbacks (" + " | ".join(l for l, _ in runs) + ")")
    for name in names:
        cells, tops = [], []
        for _, r in runs:
            s = next((s for s in r["sources"] if s["name"] == name), None)
            if s is None:
                cells.append("-")
                tops.append("-")
            elif s["skipped"]:
                cells.append("skip")
                tops.append(s.get("why", ""))
            else:
                cells.append(f"{s['total']} /{s['ops']}")
                tops.append(top(s))
        print(f"{name:<9}" + "".join(f"{c:>16}" for c in cells) + "   " + " | ".join(tops))
    if out:
        with open(out, "w") as f:
            json.dump({label: r for label, r in runs}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
