#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The IPI callers report: run scripts/coccinelle/api/cpu_flags_ipi_callers.cocci
# (report mode) over every C file of arch/x86, kernel and mm, and the files
# of drivers/ that the (debug) kernel builds, on the prepared tree; write
# the table as text and CSV.
#
#   ipi-callers.sh [OUTDIR]     default: coccinelle/ (the checked-in copy)
#
# IPI_INDEX_OUT=FILE keeps the index of function facts (for patch mode).
set -eu
. "$(dirname "$0")/lib.sh"

out=${1:-$TOP/coccinelle}
cocci=scripts/coccinelle/api/cpu_flags_ipi_callers.cocci
[ -r "$TREE/$cocci" ] || die "$TREE/$cocci missing: run 'make tree'"
command -v spatch >/dev/null || die "spatch missing: apt-get install coccinelle"
obj=$B/obj/debug
[ -d "$obj/drivers" ] || die "no debug build in $obj: run 'make kernel-debug' (drivers/ is limited to what it builds)"

pat='\b(on_each_cpu[a-z_]*|smp_call_function[a-z_]*|schedule_on_each_cpu[a-z_]*|queue_work_on|schedule_work_on|queue_delayed_work_on|schedule_delayed_work_on)\s*\('
files=$(cd "$TREE" && {
	grep -rlE --include='*.c' --include='*.h' "$pat" arch/x86 kernel mm
	(cd "$obj" && find drivers -name '*.o') | sed 's/\.o$/.c/' |
		while read -r f; do [ -f "$f" ] && grep -lE "$pat" "$f"; done
} | LC_ALL=C sort -u)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The script's rules nest deeply on long functions: OCaml needs the stack
# (as much as the hard limit allows).
ulimit -s unlimited 2>/dev/null || ulimit -s "$(ulimit -Hs)" 2>/dev/null || true

# run_report OUT: the report over every file, one spatch per file (the
# script's tables are per process), two at a time; OUT gets the lines in
# file order.
run_report()
{
	rm -rf "$tmp/r" && mkdir "$tmp/r"
	# shellcheck disable=SC2016
	printf '%s\n' $files | (cd "$TREE" && xargs -P "$(nproc)" -I{} sh -c '
		o="$1/r/$(echo "$2" | tr / _)"
		spatch --very-quiet --no-includes --include-headers -D report \
			--cocci-file "$3" "$2" >"$o" 2>"$o.err" || { cat "$o.err" >&2; exit 255; }' \
		sh "$tmp" {} "$cocci") || die "spatch failed (see above)"
	for f in $files; do cat "$tmp/r/$(echo "$f" | tr / _)"; done >"$1"
}

# First pass: the call sites and their callbacks, without the index; then
# the index of the functions they call, from the files that define them.
CPU_FLAGS_IPI_INDEX='' run_report "$tmp/raw0"
# shellcheck disable=SC2086
python3 "$WB/ipi-index.py" "$TREE" "$(cd "$TREE" && pwd)/$cocci" "$tmp/raw0" "$tmp/index.json" $files ||
	die "cannot build the index of function facts"
# For patch mode, which follows calls through the same index.
[ -z "${IPI_INDEX_OUT:-}" ] || cp "$tmp/index.json" "$IPI_INDEX_OUT"
# Second pass: the report, following calls into other files.
CPU_FLAGS_IPI_INDEX=$tmp/index.json run_report "$tmp/raw"
raw=$tmp/raw

mkdir -p "$out"
python3 - "$raw" "$out" "$BASE_VERSION" <<'PY'
import csv, re, sys
raw, out, version = sys.argv[1:]
rows = []
for line in open(raw):
    m = re.match(r"(\S+?):(\d+): (\S+?)\((\S*?)\) in (\S+?)\(\): (\S+) \((.*?)\)"
                 r"(?: \[converted: (.*)\])?$", line.rstrip("\n"))
    if not m:
        sys.exit(f"unparsable report line: {line!r}")
    rows.append(m.groups())
rows.sort(key=lambda r: (r[0], int(r[1])))
classes = ["defer", "skip-if-USER", "run-under-pin", "must-IPI", "unknown", "forwards"]
WORK = ("schedule_on_each_cpu", "schedule_on_each_cpu_needs", "queue_work_on",
        "schedule_work_on", "queue_delayed_work_on", "schedule_delayed_work_on")
with open(f"{out}/ipi-callers.csv", "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["file", "line", "api", "callback", "caller", "class", "evidence", "converted"])
    for r in rows:
        w.writerow(list(r[:7]) + [r[7] or ""])


def count(rs, c):
    return sum(1 for r in rs if r[5] == c)


with open(f"{out}/ipi-callers.txt", "w") as f:
    f.write(f"IPI callers of Linux {version}: on_each_cpu*, smp_call_function*, and\n")
    f.write("per-CPU work queued on every CPU (schedule_on_each_cpu*, and queue_work_on()\n")
    f.write("and its kin inside a for_each_*cpu loop)\n")
    f.write("arch/x86, kernel, mm, and the drivers our kernel config builds; class and\n")
    f.write("evidence from scripts/coccinelle/api/cpu_flags_ipi_callers.cocci, following\n")
    f.write("calls into other files through its index.  Regenerate with 'make ipi-callers'.\n\n")
    ipi = [r for r in rows if r[2] not in WORK]
    work = [r for r in rows if r[2] in WORK]
    f.write(f"{'class':<14} {'IPI':>5} {'work':>5} {'total':>6} {'share':>6}  converted\n")
    for c in classes:
        n = count(rows, c)
        done = sum(1 for r in rows if r[5] == c and r[7])
        f.write(f"{c:<14} {count(ipi, c):>5} {count(work, c):>5} {n:>6} "
                f"{100.0 * n / max(len(rows), 1):>5.1f}%  {done}\n")
    f.write(f"{'total':<14} {len(ipi):>5} {len(work):>5} {len(rows):>6}\n\n")
    for r in rows:
        site = f"{r[0]}:{r[1]}"
        conv = f"\n{'':<44} converted: {r[7]}" if r[7] else ""
        f.write(f"{site:<44} {r[2]}({r[3]}) in {r[4]}()\n"
                f"{'':<44} {r[5]}: {r[6]}{conv}\n")
unk = count(rows, "unknown")
print(f"  IPI     {len(rows)} call sites: " +
      ", ".join(f"{c} {count(rows, c)}" for c in classes) +
      f"; unknown {100.0 * unk / max(len(rows), 1):.1f}% ({out}/ipi-callers.txt, .csv)",
      file=sys.stderr)
PY
