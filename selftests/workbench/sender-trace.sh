#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where the sender table's one cell above stock goes (the empty
# on_each_cpu_cond_mask() with the user-only skip, its targets idle):
# both sides of that call traced instruction by instruction
# (selftests/workbench/ipi-trace.py), stock 6.12 against cpu_flags, at 4
# vCPUs with CPUs 1-3 nohz_full and idle.  The sender's side is CPU 0's
# call up to its wait; the target's is an idle CPU's wake-up by the IPI,
# from the IPI's entry to its next halt.  Prints, per side, the shortest
# trace of each kernel and the functions whose counts differ.
#
#   sender-trace.sh       after make sender-bench (it uses that run's
#                         sender_bench modules); traces and tables in
#                         build/results/sender-trace/
#
# Environment: SENDER_KERNELS ("baseline patched"), TRACE_N (calls traced
# on the sender, 4), TRACE_WAKE_N (wake-ups traced, 16: on stock the first
# are the module load's text-patching IPIs, which the table leaves out).
set -eu
. "$(dirname "$0")/lib.sh"

: "${SENDER_KERNELS:=baseline patched}" "${TRACE_N:=4}" "${TRACE_WAKE_N:=16}"
out=$B/results/sender-trace
rm -rf "$out"
mkdir -p "$out"
for v in $SENDER_KERNELS; do
	mods=$B/results/sender-bench/$v/modules.cpio
	[ -r "$mods" ] || die "$mods missing: run 'make sender-bench' first (it builds the module)"
	for side in send wake; do
		case "$v:$side" in
		baseline:send) fn=on_each_cpu_cond_mask n=$TRACE_N ;;
		*:send) fn=on_each_cpu_cond_mask_needs n=$TRACE_N ;;
		*) fn="" n=$TRACE_WAKE_N ;;
		esac
		mkdir -p "$out/$v-$side"
		echo "  BOOT    trace-$v-$side (4 vCPUs, nohz_full=1-3)" >&2
		TRACE_SIDE=$side TRACE_SEND_FN=$fn TRACE_N=$n TRACE_DIR=$out/$v-$side \
			"$WB/qemu-run.sh" --quiet --variant "$v" --cpus 4 --name "trace-$v-$side" \
			--modules "$mods" --timeout 1500 --gdb "$WB/ipi-trace.py" \
			--append "$(isol_args 1-3)" \
			--cmd "sleep 2; echo TRACE-READY; sleep 3;
			       taskset -c 0 insmod /opt/sender_bench.ko ops=cond_user reps=24; rmmod sender_bench" ||
			die "trace-$v-$side failed: see $LOGS/trace-$v-$side.gdb.log"
		[ -r "$out/$v-$side/trace.json" ] || die "trace-$v-$side left no trace: see $LOGS/trace-$v-$side.gdb.log"
	done
done
# shellcheck disable=SC2086 # SENDER_KERNELS is a list
python3 - "$out" $SENDER_KERNELS <<'PY' | tee "$out/table.txt"
import json, sys
out, kernels = sys.argv[1], sys.argv[2:]
for side, what in (("send", "sender: CPU 0's call up to its wait, 3 idle targets"),
                   ("wake", "target: an idle CPU's wake-up by the IPI, to its next hlt")):
    best, varying = {}, set()
    for k in kernels:
        t = json.load(open(f"{out}/{k}-{side}/trace.json"))
        # A wake-up for the bench's own call runs its callback, module text
        # that gdb has no symbol for ("?"); others (the module load's text
        # patching on stock) are other wake-ups and are left out.
        mine = [r for r in t if side == "send" or "?" in r["functions"]]
        if not mine:
            sys.exit(f"{k} {side}: no trace of the bench's own call: see {out}/{k}-{side}")
        best[k] = min(mine, key=lambda r: r["instructions"])
        # A function whose count differs between two such traces of one
        # kernel runs data- or time-dependent work (the tick's timekeeping
        # at idle exit): left out of the comparison.
        names = set().union(*(r["functions"] for r in mine))
        varying |= {f for f in names if len({r["functions"].get(f, 0) for r in mine}) > 1}
    a, b = kernels[0], kernels[-1]
    fa, fb = best[a]["functions"], best[b]["functions"]
    same = [f for f in set(fa) | set(fb) if f not in varying]
    na, nb = sum(fa.get(f, 0) for f in same), sum(fb.get(f, 0) for f in same)
    print(f"{what}: {a} {na}, {b} {nb} ({nb - na:+d}) without {len(varying)} functions whose "
          f"count varies from one trace to the next; locked {best[a]['locked']} / {best[b]['locked']}")
    for f in sorted(same):
        if fa.get(f, 0) != fb.get(f, 0):
            print(f"  {f:<36} {fa.get(f, 0):5} {fb.get(f, 0):5} {fb.get(f, 0) - fa.get(f, 0):+5}")
    for f in sorted(varying):
        print(f"  (varies) {f:<27} {fa.get(f, 0):5} {fb.get(f, 0):5} {fb.get(f, 0) - fa.get(f, 0):+5}")
PY
