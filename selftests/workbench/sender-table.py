#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The senders' table from sender-bench.sh's rows.

Each row: vCPUs kernel case op median_ns min_ns max_ns online.  One line
per machine size, case and operation: stock's and cpu_flags' medians
(instructions under -icount) and their ratio.  Exits 1 if a row is
missing or malformed, so that a boot that printed nothing is not a table.
"""
import sys

NAMES = {"baseline": "stock", "patched": "cpu_flags"}
OPS = {"text": "text_poke_bp batch", "vfree": "vfree purge",
       "cond": "on_each_cpu_cond_mask"}


def main():
    rows = {}
    sizes, kernels = [], []
    with open(sys.argv[1]) as f:
        for line in f:
            p = line.split()
            if len(p) != 8:
                sys.exit(f"sender-table: malformed row: {line.strip()!r}")
            n, k, case, op = int(p[0]), p[1], p[2], p[3]
            rows[(n, k, case, op)] = int(p[4])
            if n not in sizes:
                sizes.append(n)
            if k not in kernels:
                kernels.append(k)
    if len(kernels) != 2:
        sys.exit(f"sender-table: need two kernels, have {kernels}")
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
        sys.exit(f"sender-table: {missing} rows missing")


if __name__ == "__main__":
    main()
