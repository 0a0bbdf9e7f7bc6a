#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The tables of entry-cost.sh, from its results directory: rows.txt (one
# line per loop median: "icount|wall PTI KERNEL BOOT CPU VALUE NAME") and
# the traces (NAME.trace.json from entry-trace.py).  Writes summary.json,
# which make check reads.
#
#   entry-cost.py DIR CPU_FLAGS_VARIANT HK_CPU ISO_CPU
import json
import os
import statistics
import sys

d, cf, hk, iso = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
KERNELS = (("baseline", "stock"), (cf, "cpu_flags"), ("nocpuflags", "cpu_flags =n"))
rows = [line.split() for line in open(os.path.join(d, "rows.txt"))]
traces = {}
for pti, v, name in sorted({(r[1], r[2], r[6]) for r in rows if r[0] == "icount"}):
    path = os.path.join(d, name + ".trace.json")
    if os.path.exists(path):
        for t in json.load(open(path)):
            traces.setdefault((pti, v, str(t["cpu"]), t["case"]), []).append(t)


def loops(kind, pti, v, cpu):
    return [float(r[5]) for r in rows if r[:3] == [kind, pti, v] and r[4] == cpu]


def first_trace(pti, v, cpu, case):
    t = traces.get((pti, v, cpu, case))
    return t[0] if t else None


def fmt(x, spec=".1f"):
    return "-" if x is None else format(x, spec)


summary = {}
ptis = sorted({r[1] for r in rows}, key=lambda p: p != "off")
present = [(v, label) for v, label in KERNELS if any(r[2] == v for r in rows)]
print("Getpid round trip with nothing pending, in instructions (QEMU -icount, 1 ns per")
print("instruction; median of the loops of one boot).  Locked: the locked instructions of")
print("the round trip's kernel path, counted in an instruction-by-instruction trace")
print("(entry-trace.py); the same trace gives the kernel path's length.  Wall: cpu_flags /")
print("stock in wall-clock time without -icount (TCG, noisy), the second opinion.")
print()
head = "| | " + " | ".join(f"{label}" + (" | ratio" if v != "baseline" else "") for v, label in present)
head += " | kernel path (" + " / ".join(label for _, label in present) + ")"
head += " | locked (" + " / ".join(label for _, label in present) + ") | wall ratio |"
print(head)
print("|" + "---|" * (head.count("|") - 1))
for pti in ptis:
    for cpu, what in ((hk, f"housekeeping CPU {hk}"), (iso, f"isolated CPU {iso}")):
        base = loops("icount", pti, "baseline", cpu)
        stock = statistics.median(base) if base else None
        cells, paths, locked = [], [], []
        entry = {"stock": stock}
        for v, label in present:
            vals = loops("icount", pti, v, cpu)
            m = statistics.median(vals) if vals else None
            cells.append(fmt(m))
            if v != "baseline":
                r = m / stock if m is not None and stock else None
                cells.append(fmt(r, ".3f"))
                entry[label] = m
                entry[label + " ratio"] = r
                if v == cf:
                    entry["boots"] = vals
            t = first_trace(pti, v, cpu, "none")
            paths.append(str(t["instructions"]) if t else "-")
            locked.append(str(t["locked"]) if t else "-")
            entry[label + " path"] = t["instructions"] if t else None
            entry[label + " locked"] = t["locked"] if t else None
            entry[label + " traces"] = [n for x in traces.get((pti, v, cpu, "none"), [])
                                        for n in (x["first"], x["instructions"])]
        ws, wc = loops("wall", pti, "baseline", cpu), loops("wall", pti, cf, cpu)
        wr = [b / a for a, b in zip(ws, wc)]
        entry["wall ratio"] = statistics.median(wr) if wr else None
        wall = fmt(entry["wall ratio"], ".3f") + (f" ({min(wr):.2f}-{max(wr):.2f})" if len(wr) > 1 else "")
        print(f"| pti={pti}, {what} | " + " | ".join(cells) + f" | {' / '.join(paths)}"
              f" | {' / '.join(locked)} | {wall} |")
        summary.setdefault(pti, {})["hk" if cpu == hk else "iso"] = entry

print()
print("Each boot of cpu_flags: loop medians; traced kernel paths, two traces per boot:")
for pti in ptis:
    for cpu in (hk, iso):
        e = summary[pti]["hk" if cpu == hk else "iso"]
        print(f"  pti={pti} CPU {cpu}: {' / '.join(fmt(x) for x in e.get('boots', []))}; "
              f"{' / '.join(str(x) for x in e.get('cpu_flags traces', []))}")

pend = [c for c in ("tlb", "sync", "both", "pin") if any(k[3] == c for k in traces)]
if pend:
    print()
    print(f"One entry of isolated CPU {iso} with work pending, cpu_flags: the traced kernel path of")
    print("the round trip, against nothing pending.  tlb/sync/both: the bits set in the word while")
    print("the CPU is in user mode, as a deferral sets them; pin: PIN set while it is in user")
    print("mode and cleared when the entry, stepped back, executes its first pause.")
    print()
    print("| | case | kernel path | added | locked | serializing |")
    print("|---|---|---|---|---|---|")
    for pti in ptis:
        none = first_trace(pti, cf, iso, "none")
        for c in ["none"] + pend:
            t = first_trace(pti, cf, iso, c)
            if not t:
                continue
            ser = ", ".join(t["serializing_insns"]) or "-"
            print(f"| pti={pti} | {c} | {t['instructions']} | {t['instructions'] - none['instructions']:+d} "
                  f"| {t['locked']} | {t['serializing']} ({ser}) |")
            summary[pti].setdefault("pending", {})[c] = {k: t[k] for k in ("instructions", "locked", "serializing")}

json.dump(summary, open(os.path.join(d, "summary.json"), "w"), indent=1)
