#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Senders' latency at scale: the sender_bench module (a text_poke_bp batch,
# a vfree purge, an on_each_cpu_cond_mask() over all CPUs), timed on CPU 0
# under QEMU's -icount (the clock counts instructions, so runs agree) at
# each machine size of SENDER_CPUS, on stock 6.12 and on cpu_flags.  At N
# vCPUs, CPU 0 keeps house and CPUs 1..N-1 are nohz_full; each boot times
# two cases: those CPUs idle, and each of them running a user-mode spinner
# (guest/spin.c: about a thousand instructions, then a pause, which under
# single-threaded TCG hands the turn to the next vCPU).
#
# What the figures are: under single-threaded TCG one vCPU runs at a time
# and the -icount clock counts the instructions of all of them.  A sender
# that waits for IPIs is charged for the targets' work in its wait (their
# interrupt entry, the callback, and a spinner's burst for each turn it
# gets meanwhile), as if the machine had one CPU; a sender that does not
# wait is charged its own instructions only.
#
# Each boot must report every operation in both cases, with N CPUs online
# and, in the user case, N-1 spinners running; the table script requires a
# row for every size, kernel, case and operation.
#
#   sender-bench.sh            table to stdout, rows and logs in
#                              build/results/sender-bench/
#
# Environment: SENDER_CPUS ("4 16 64"), SENDER_REPS (21 rounds per
# operation), SENDER_PAGES (16 pages per purge), SENDER_KERNELS ("baseline
# patched"), SENDER_TIMEOUT (seconds per boot, 2400).
set -eu
. "$(dirname "$0")/lib.sh"

: "${SENDER_CPUS:=4 16 64}" "${SENDER_REPS:=21}" "${SENDER_PAGES:=16}"
: "${SENDER_KERNELS:=baseline patched}" "${SENDER_TIMEOUT:=2400}"
for n in $SENDER_CPUS; do
	case "$n" in
	*[!0-9]*|'') die "SENDER_CPUS: '$n' is not a number of vCPUs" ;;
	esac
	[ "$n" -ge 2 ] && [ "$n" -le 64 ] ||
		die "SENDER_CPUS: $n vCPUs: 2 to 64 (CONFIG_NR_CPUS=64; CPU 0 keeps house)"
done
src=$TREE/tools/testing/selftests/cpu_flags/sender_bench
[ -r "$src/sender_bench.c" ] || die "$src missing: run 'make tree'"
out=$B/results/sender-bench
rm -rf "$out"
mkdir -p "$out"

# The module, built against each kernel's own tree, in a cpio of its own
# appended to the kernel's modules.
for v in $SENDER_KERNELS; do
	variant_info "$v"
	[ -r "$v_image" ] || die "the $v kernel is not built: run 'make kernel VARIANT=$v'"
	[ -r "$v_obj/Module.symvers" ] || die "$v_obj has no Module.symvers: rebuild the $v kernel"
	mkdir -p "$out/$v/mod/opt"
	cp "$src/sender_bench.c" "$src/Makefile" "$out/$v/mod/"
	make -C "$v_src" O="$v_obj" M="$out/$v/mod" -s modules >"$out/$v/build.log" 2>&1 ||
		die "building sender_bench for $v failed: see $out/$v/build.log"
	cp "$out/$v/mod/sender_bench.ko" "$out/$v/mod/opt/"
	(cd "$out/$v/mod" && echo opt/sender_bench.ko | cpio -o -H newc --quiet) >"$out/$v/bench.cpio"
	cat "$B/modules-$v.cpio" "$out/$v/bench.cpio" >"$out/$v/modules.cpio"
done

BENCH="taskset -c 0 insmod /opt/sender_bench.ko reps=$SENDER_REPS pages=$SENDER_PAGES && rmmod sender_bench"
rows=$out/rows.txt
: >"$rows"
for n in $SENDER_CPUS; do
	iso="1-$((n - 1))"
	for v in $SENDER_KERNELS; do
		variant_info "$v"
		name=sender-$n-$v
		echo "  BOOT    $name (-icount, $n vCPUs, nohz_full=$iso)" >&2
		"$WB/qemu-run.sh" --quiet --icount --variant "$v" --cpus "$n" --name "$name" \
			--modules "$out/$v/modules.cpio" --timeout "$SENDER_TIMEOUT" \
			--append "$(isol_args "$iso")" \
			--cmd "sleep 2; echo 'CASE idle'; $BENCH 2>/dev/null; dmesg | grep 'sender_bench: op='; dmesg -c >/dev/null;
			       spin $iso & s=\$!; sleep 3;
			       echo 'CASE user'; $BENCH 2>/dev/null; dmesg | grep 'sender_bench: op='; kill \$s; wait \$s; true" ||
			die "$name failed: see $LOGS/$name.console.log and $name.job.log"
		# A user-case row counts only once all N-1 spinners run.
		tr -d '\r' <"$LOGS/$name.job.log" | awk -v n="$n" -v v="$v" '
			/^spin: [0-9]+ spinners/ { spinners = $2 }
			/^CASE / { c = $2 }
			/sender_bench: op=/ {
				if (c == "user" && spinners != n - 1)
					c = "user-without-spinners"
				for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
				print n, v, c, f["op"], f["median_ns"], f["min_ns"], f["max_ns"], f["cpus"]
			}' >>"$rows"
	done
done
python3 "$WB/sender-table.py" "$rows" "$SENDER_CPUS" "$SENDER_KERNELS" >"$out/table.txt" ||
	{ cat "$out/table.txt"; die "the senders' table is incomplete: see $LOGS/sender-*.job.log"; }
cat "$out/table.txt"
