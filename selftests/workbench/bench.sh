#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the stock kernel, the patched kernel and the patched
# kernel with cpu_flags.defer=0 (the control) with isolated CPUs, PTI on and
# off, run the interference benchmark on each and print the table.
#
# Environment: BENCH_SECONDS (per source), BENCH_PTI (default "on off"),
# BENCH_APPEND (extra kernel arguments), ISOL_ARGS, BENCH_SOURCES (comma
# list), BENCH_FLAGS (interference options, default: SCHED_FIFO spinners and
# the large-page-split flush counted apart, see cpu-flags.rst).
set -eu
. "$(dirname "$0")/lib.sh"

: "${BENCH_SECONDS:=20}" "${BENCH_PTI:=on off}" "${BENCH_APPEND:=}" "${BENCH_SOURCES:=}"
: "${BENCH_FLAGS:=-F -k cpa_split_flush_tlb_all}"
res=$B/results
mkdir -p "$res"

# run_interference NAME VARIANT APPEND [interference args...]
# Boots VARIANT, runs the benchmark, leaves its JSON in build/results/NAME.json.
run_interference()
{
	local name=$1 variant=$2 append=$3 job
	shift 3
	job=$B/guest/run/$name.sh
	mkdir -p "$B/guest/run"
	cat >"$job" <<-JOB
	interference -t $BENCH_SECONDS $BENCH_FLAGS ${BENCH_SOURCES:+-S $BENCH_SOURCES} -j /tmp/result.json $*
	rc=\$?
	echo $JSON_BEGIN; cat /tmp/result.json; echo $JSON_END
	exit \$rc
	JOB
	"$WB/qemu-run.sh" --variant "$variant" --name "$name" --quiet \
		--timeout $((8 * BENCH_SECONDS + 300)) \
		--append "$ISOL_ARGS $append" --job "$job" || return $?
	extract_json "$LOGS/$name.job.log" >"$res/$name.json" ||
		die "$name: no JSON in $LOGS/$name.job.log"
}

tables=()
for pti in $BENCH_PTI; do
	case $pti in on|off) ;; *) die "BENCH_PTI: '$pti' is not on or off" ;; esac
	for run in "stock baseline" "cpu_flags patched" "defer=0 patched cpu_flags.defer=0"; do
		set -- $run
		label=$1 variant=$2
		shift 2
		name=bench-$label-pti-$pti
		name=${name/=/}
		echo "  BENCH   $label kernel, pti=$pti $*, ${BENCH_SECONDS}s per source (log: build/logs/$name.*)" >&2
		run_interference "$name" "$variant" "pti=$pti $* $BENCH_APPEND"
		tables+=("$label=$res/$name.json")
	done
	echo
	echo "=== pti=$pti ==="
	python3 "$WB/bench-table.py" "${tables[@]: -3}" --json "$res/bench-pti-$pti.json"
done
echo
echo "JSON: build/results/bench-pti-*.json; logs: build/logs/bench-*.log"
