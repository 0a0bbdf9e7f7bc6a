#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The senders' table from sender-bench.sh's rows.

    sender-table.py ROWS 'SIZES' 'KERNELS'

Each row: vCPUs kernel case op median_ns min_ns max_ns online.  One line
per machine size (SIZES, as SENDER_CPUS), case and operation: the two
KERNELS' medians (instructions under -icount) and their ratio.  Exits 1
if a row is missing or malformed or a boot had other than its vCPUs
online, so that a boot that printed nothing is not a table.
"""
import sys

NAMES = {"baseline": "stock", "patched": "cpu_flags"}
OPS = {"text": "text_poke_bp batch", "vfree": "vfree purge",
       "cond": "on_each_cpu_cond_mask",
       "cond_user": "on_each_cpu_cond_mask, user-only skip"}


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: sender-table.py ROWS 'SIZES' 'KERNELS'")
    sizes = [int(n) for n in sys.argv[2].split()]
    kernels = sys.argv[3].split()
    if len(kernels) != 2:
        sys.exit(f"sender-table: need two kernels, have {kernels}")
    rows = {}
    with open(sys.argv[1]) as f:
        for line in f:
            p = line.split()
            if len(p) != 8 or not all(x.isdigit() for x in p[4:8] + [p[0]]):
                sys.exit(f"sender-table: malformed row: {line.strip()!r}")
            n, k, case, op = int(p[0]), p[1], p[2], p[3]
            if int(p[7]) != n:
                sys.exit(f"sender-table: {k} at {n} vCPUs had {p[7]} CPUs online")
            rows[(n, k, case, op)] = int(p[4])
    a, b = kernels
    print(f"| vCPUs | isolated CPUs | operation | {NAMES.get(a, a)} | "
          f"{NAMES.get(b, b)} | ratio |")
    print("|---|---|---|---|---|---|")
    missing = 0
    for n in sizes:
        for case in ("idle", "user"):
            for op in OPS:
                x, y = rows.get((n, a, case, op)), rows.get((n, b, case, op))
                if x is None or y is None:
                    missing += 1
                    print(f"| {n} | {case} | {OPS[op]} | {x or '-'} | {y or '-'} | - |")
                    continue
                print(f"| {n} | {case} | {OPS[op]} | {x} | {y} | {y / x:.3f} |")
    if missing:
        print(f"sender-table: {missing} rows missing (a boot that printed nothing, "
              f"or a user case without all its spinners)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
