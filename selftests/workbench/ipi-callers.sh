#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The IPI callers report: run scripts/coccinelle/api/cpu_flags_ipi_callers.cocci
# (report mode) over every C file of arch/x86, kernel and mm, and the files
# of drivers/ that the (debug) kernel builds, on the prepared tree; write
# the table as text and CSV.
#
#   ipi-callers.sh [OUTDIR]     default: coccinelle/ (the checked-in copy)
set -eu
. "$(dirname "$0")/lib.sh"

out=${1:-$TOP/coccinelle}
cocci=scripts/coccinelle/api/cpu_flags_ipi_callers.cocci
[ -r "$TREE/$cocci" ] || die "$TREE/$cocci missing: run 'make tree'"
command -v spatch >/dev/null || die "spatch missing: apt-get install coccinelle"
obj=$B/obj/debug
[ -d "$obj/drivers" ] || die "no debug build in $obj: run 'make kernel-debug' (drivers/ is limited to what it builds)"

pat='\b(on_each_cpu[a-z_]*|smp_call_function[a-z_]*)\s*\('
files=$(cd "$TREE" && {
	grep -rlE --include='*.c' "$pat" arch/x86 kernel mm
	(cd "$obj" && find drivers -name '*.o') | sed 's/\.o$/.c/' |
		while read -r f; do [ -f "$f" ] && grep -lE "$pat" "$f"; done
} | LC_ALL=C sort -u)

raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
for f in $files; do
	# One file per spatch: the script's tables are per process.
	(cd "$TREE" && spatch --very-quiet --no-includes --include-headers -D report \
		--cocci-file "$cocci" "$f") >>"$raw" 2>>"$raw.err" ||
		{ cat "$raw.err" >&2; die "spatch failed on $f"; }
done
rm -f "$raw.err"

mkdir -p "$out"
python3 - "$raw" "$out" "$BASE_VERSION" <<'PY'
import csv, re, sys
raw, out, version = sys.argv[1:]
rows = []
for line in open(raw):
    m = re.match(r"(\S+?):(\d+): (\S+?)\((\S*?)\) in (\S+?)\(\): (\S+) \((.*)\)(?: \[converted: (\S+)\])?$",
                 line.rstrip("\n"))
    if not m:
        sys.exit(f"unparsable report line: {line!r}")
    rows.append(m.groups())
rows.sort(key=lambda r: (r[0], int(r[1])))
classes = ["defer", "skip-if-USER", "run-under-pin", "must-IPI"]
with open(f"{out}/ipi-callers.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["file", "line", "api", "callback", "caller", "class", "reason", "converted"])
    for r in rows:
        w.writerow(list(r[:7]) + [r[7] or ""])
with open(f"{out}/ipi-callers.txt", "w") as f:
    f.write(f"IPI callers of Linux {version}: on_each_cpu*, smp_call_function*\n")
    f.write("arch/x86, kernel, mm, and the drivers our kernel config builds;\n")
    f.write("class and reason from scripts/coccinelle/api/cpu_flags_ipi_callers.cocci.\n")
    f.write("Regenerate with 'make ipi-callers'.\n\n")
    for c in classes:
        n = sum(1 for r in rows if r[5] == c)
        done = sum(1 for r in rows if r[5] == c and r[7])
        f.write(f"{c:<14} {n:>4} call sites, {done} converted\n")
    f.write(f"{'total':<14} {len(rows):>4}\n\n")
    for r in rows:
        site = f"{r[0]}:{r[1]}"
        conv = f" [converted: {r[7]}]" if r[7] else ""
        f.write(f"{site:<44} {r[2]}({r[3]}) in {r[4]}()\n"
                f"{'':<44} {r[5]}: {r[6]}{conv}\n")
print(f"  IPI     {len(rows)} call sites: " +
      ", ".join(f"{c} {sum(1 for r in rows if r[5] == c)}" for c in classes) +
      f" ({out}/ipi-callers.txt, .csv)", file=sys.stderr)
PY
