#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the interference table: one row per load source, the IPIs of the
load that landed on the isolated CPUs under each kernel (total minus the
background callbacks and the CPUs' IPIs to themselves), the background,
and the load's top callbacks.

    bench-table.py LABEL=result.json [LABEL=result.json ...] [--json OUT]
"""
import json
import sys


def top(src, hide, n=3):
    cbs = sorted(((k, v) for k, v in src.get("callbacks", {}).items()
                  if k not in hide and not k.startswith("self:")),
                 key=lambda kv: -kv[1])
    return " ".join(f"{k}({v})" for k, v in cbs[:n]) or "-"


def load_ipis(src):
    return max(0, src["total"] - src.get("background", 0) - src.get("kept", 0)
               - src.get("self", 0))


def main(argv):
    runs, out = [], None
    args = iter(argv)
    for a in args:
        if a == "--json":
            out = next(args)
            continue
        label, _, path = a.rpartition("=")
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
    print(f"IPIs on isolated CPUs {first['isolated']}, {first['seconds']} s per source, "
          "CAL+TLB+RES+IWI rows of /proc/interrupts")
    print("cell: IPIs from the load + kept (large-page splits, which must reach every CPU)"
          " / load operations; background (-b) and self IPIs are left out")
    for label, r in runs:
        print(f"  {label}: {r['kernel']}: {r['cmdline']}")
    head = f"{'source':<9}" + "".join(f"{label:>20}" for label, _ in runs)
    print(head + "   the load's callbacks (" + " | ".join(l for l, _ in runs) + ")")
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
                cells.append(f"{load_ipis(s)}+{s.get('kept', 0)} /{s['ops']}")
                tops.append(top(s, r.get("background_callbacks", []) +
                                r.get("kept_callbacks", [])))
        print(f"{name:<9}" + "".join(f"{c:>20}" for c in cells) + "   " + " | ".join(tops))
    if out:
        with open(out, "w") as f:
            json.dump({label: r for label, r in runs}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
