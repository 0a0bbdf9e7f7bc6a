#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Entry cost in instructions: getpid round trips under QEMU's -icount
# (shift=0, sleep=off: the guest clock counts instructions, 1 ns each), on
# a housekeeping CPU (0) and an isolated CPU (the last of ISOLATED), for
# stock, cpu_flags and cpu_flags built with CONFIG_CPU_FLAGS=n, PTI off
# and on, nothing pending.  Each of those boots then traces one round trip
# per CPU instruction by instruction through QEMU's gdbstub
# (entry-trace.py): the kernel's part of it, its locked and serializing
# instructions, and on cpu_flags the same entry with work pending (TLB,
# SYNC, both) and with the CPU pinned (the entry steps back, waits, and
# goes on once the pin is released).  cpu_flags boots twice, to show that
# two boots agree.  Last, the wall-clock ratio of the same loops without
# -icount, as a second opinion (ENTRY_WALL_PAIRS boot pairs).
#
#   entry-cost.sh [--quick] [--against VARIANT]
#     --quick     PTI off only, stock and cpu_flags, one boot each, no
#                 pending cases, no wall clock (make check)
#     --against V boot variant V as "cpu_flags" (make check's negative
#                 control boots the debug kernel here)
#
# Results: build/results/entry-cost/ (rows.txt, the traces, table.txt,
# summary.json); the table is printed.
#
# Environment: ENTRY_SECONDS (0.5 per round) and ENTRY_ROUNDS (3) of the
# -icount loops; ENTRY_PTI ("off on"); ENTRY_WALL_PAIRS (1; 0 for none),
# ENTRY_WALL_SECONDS (2), ENTRY_WALL_ROUNDS (5); ENTRY_APPEND (extra kernel
# arguments).
set -eu
. "$(dirname "$0")/lib.sh"

quick= against=patched
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 ;;
	--against) against=${2:?--against needs a kernel variant}; shift ;;
	*) die "entry-cost.sh: unknown option '$1' (--quick, --against VARIANT)" ;;
	esac
	shift
done
variant_info "$against"

: "${ENTRY_SECONDS:=0.5}" "${ENTRY_ROUNDS:=3}" "${ENTRY_PTI:=off on}" "${ENTRY_APPEND:=}"
: "${ENTRY_WALL_PAIRS:=1}" "${ENTRY_WALL_SECONDS:=2}" "${ENTRY_WALL_ROUNDS:=5}"
kernels="baseline $against nocpuflags $against"
pending="tlb sync both pin"
if [ -n "$quick" ]; then
	ENTRY_PTI=off ENTRY_WALL_PAIRS=0 kernels="baseline $against" pending=
fi
for v in $kernels; do
	variant_info "$v"
	[ -r "$v_image" ] || die "the $v kernel is not built: run 'make kernel VARIANT=$v'"
done
command -v gdb >/dev/null || die "gdb missing: apt-get install gdb"
hk=0 iso=${ISOLATED##*[-,]}
out=$B/results/entry-cost
rm -rf "$out"
mkdir -p "$out"

# median NAME CPU: the median the job log of boot NAME reports for CPU.
median()
{
	sed -n "s/^# getpid cpu=$2 .*median_ns=\([0-9.]*\).*/\1/p" "$LOGS/$1.job.log" | head -1
}

for pti in $ENTRY_PTI; do
	boot=0
	for v in $kernels; do
		boot=$((boot + 1))
		name=entry-$pti-$boot-$v
		cases="$hk:none $iso:none"
		[ "$v" != "$against" ] || for c in $pending; do cases="$cases $iso:$c"; done
		mkdir -p "$out/$name"
		echo "  BOOT    $name (-icount, traces: $cases)" >&2
		TRACE_CASES=$cases TRACE_OUT=$out/$name.trace.json TRACE_DIR=$out/$name \
		"$WB/qemu-run.sh" --quiet --icount --variant "$v" --name "$name" --timeout 1200 \
			--gdb "$WB/entry-trace.py" --append "$ISOL_ARGS pti=$pti $ENTRY_APPEND" \
			--cmd "getpid_bench -c $hk -t $ENTRY_SECONDS -r $ENTRY_ROUNDS &&
			       getpid_bench -c $iso -t $ENTRY_SECONDS -r $ENTRY_ROUNDS &&
			       { getpid_bench -c $hk -s & s=\$!; getpid_bench -c $iso -s; r=\$?;
			         wait \$s && [ \$r -eq 0 ]; }" ||
			die "$name failed: see $LOGS/$name.* and $LOGS/$name.gdb.log"
		for cpu in $hk $iso; do
			m=$(median "$name" "$cpu")
			[ -n "$m" ] || die "$name: no getpid median for CPU $cpu in $LOGS/$name.job.log"
			echo "icount $pti $v $boot $cpu $m $name" >>"$out/rows.txt"
		done
	done
	for pair in $(seq 1 "$ENTRY_WALL_PAIRS"); do
		for v in baseline "$against"; do
			name=entry-wall-$pti-$pair-$v
			echo "  BOOT    $name (wall clock)" >&2
			"$WB/qemu-run.sh" --quiet --variant "$v" --name "$name" --timeout 900 \
				--append "$ISOL_ARGS pti=$pti $ENTRY_APPEND" \
				--cmd "getpid_bench -c $hk -t $ENTRY_WALL_SECONDS -r $ENTRY_WALL_ROUNDS &&
				       getpid_bench -c $iso -t $ENTRY_WALL_SECONDS -r $ENTRY_WALL_ROUNDS" ||
				die "$name failed: see $LOGS/$name.*"
			for cpu in $hk $iso; do
				echo "wall $pti $v $pair $cpu $(median "$name" "$cpu") $name" >>"$out/rows.txt"
			done
		done
	done
done

python3 "$WB/entry-cost.py" "$out" "$against" "$hk" "$iso" | tee "$out/table.txt"
