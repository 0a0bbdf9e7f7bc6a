#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the interference tables.  First every interruption of the
isolated CPUs in each source's window, background included, with what ran
there (timer callbacks, work functions, tasks, vectors); then the same
per isolated CPU as rtla osnoise shows it (IRQ, softirq, thread, NMI);
then the IPIs of the load that landed on the isolated CPUs under each
kernel (total minus the background callbacks and the CPUs' IPIs to
themselves), and the load's top callbacks.

    bench-table.py LABEL=result.json [LABEL=result.json ...] [--json OUT]
"""
import json
import sys


def top(src, hide, n=3):
    cbs = sorted(((k, v) for k, v in src.get("callbacks", {}).items()
                  if k not in hide and not k.startswith("self:")),
                 key=lambda kv: -kv[1])
    return " ".join(f"{k}({v})" for k, v in cbs[:n]) or "-"


def top_oncpu(src, n=4):
    cbs = sorted(src.get("oncpu", {}).items(), key=lambda kv: -kv[1])
    return " ".join(f"{k}({v})" for k, v in cbs[:n]) or "-"


def osnoise(src):
    """Per isolated CPU: IRQ (entries but NMIs), softirq, thread, NMI."""
    return "  ".join(f"{c}: {v['entries'] - v['nmi']}/{v['softirq']}/{v['thread']}/{v['nmi']}"
                     for c, v in src.get("by_cpu", {}).items())


def rows(runs, names, name_width, width, cell, note):
    """One line per source: a cell per run, then a note per run, each from
    the source's results (cell(src), note(src, run)) when it ran."""
    for name in names:
        cells, notes = [], []
        for _, r in runs:
            s = next((s for s in r["sources"] if s["name"] == name), None)
            if s is None:
                cells.append("-")
                notes.append("-")
            elif s["skipped"]:
                cells.append("skip")
                notes.append(s.get("why", ""))
            else:
                cells.append(cell(s))
                notes.append(note(s, r))
        print(f"{name:<{name_width}}" + "".join(f"{c:>{width}}" for c in cells) + "   " +
              " | ".join(notes))


def window_of(result):
    """What a result's seconds are: one source's, or all sources' at once."""
    if [s["name"] for s in result["sources"]] == ["mixed"]:
        return "with every source at once"
    return "per source"


def interruption_tables(runs, names):
    first = runs[0][1]
    if not all("by_cpu" in s for _, r in runs for s in r["sources"] if not s["skipped"]):
        print("(a result has no interruption counts: an interference older than the"
              " every-interruption count)")
        return
    window = window_of(first)
    print(f"Every interruption of isolated CPUs {first['isolated']}, {first['seconds']} s {window},"
          f" {first.get('spinners', 'SCHED_FIFO')} spinners: all /proc/interrupts rows"
          " that count an entry, background included;")
    print("  in parentheses, those explained in cpu-flags.rst and left out of -M (-E: "
          + ", ".join(first.get("excused", [])) + ")")
    head = f"{'source':<13}" + "".join(f"{label:>12}" for label, _ in runs)
    print(head + "   what ran on the isolated CPUs (" + " | ".join(l for l, _ in runs) + ")")
    rows(runs, names, 13, 12,
         lambda s: f"{s['interruptions']}" + (f" ({s['excused']})" if s.get("excused") else ""),
         lambda s, r: top_oncpu(s))
    print()
    print("The same per isolated CPU, as rtla osnoise counts: CPU: IRQ/softirq/thread/NMI")
    for name in names:
        for label, r in runs:
            s = next((s for s in r["sources"] if s["name"] == name), None)
            if s is None or s["skipped"]:
                continue
            print(f"{name:<13}{label:>12}   {osnoise(s)}")
    print()


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
    interruption_tables(runs, names)
    first = runs[0][1]
    print(f"IPIs on isolated CPUs {first['isolated']}, {first['seconds']} s {window_of(first)}, "
          "CAL+TLB+RES+IWI rows of /proc/interrupts")
    print("cell: IPIs from the load + kept (large-page splits, which must reach every CPU)"
          " / load operations; background (-b) and self IPIs are left out")
    for label, r in runs:
        print(f"  {label}: {r['kernel']}: {r['cmdline']}")
    head = f"{'source':<9}" + "".join(f"{label:>20}" for label, _ in runs)
    print(head + "   the load's callbacks (" + " | ".join(l for l, _ in runs) + ")")
    rows(runs, names, 9, 20, lambda s: f"{load_ipis(s)}+{s.get('kept', 0)} /{s['ops']}",
         lambda s, r: top(s, r.get("background_callbacks", []) + r.get("kept_callbacks", [])))
    if out:
        with open(out, "w") as f:
            json.dump({label: r for label, r in runs}, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1:])
