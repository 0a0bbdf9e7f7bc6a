#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the stock kernel, the patched kernel and the patched
# kernel with cpu_flags.defer=0 (the control) with isolated CPUs, PTI on and
# off, run the interference benchmark on each and print the table.
#
# Then the mixed run: every source at once for BENCH_MIXED_SECONDS (default
# 600, 0 skips it) on the same three kernels with the first PTI setting,
# its table, and a plot of the interruptions per second
# (build/results/mixed.svg).
#
# Environment: BENCH_SECONDS (per source), BENCH_PTI (default "on off"),
# BENCH_APPEND (extra kernel arguments), ISOL_ARGS, BENCH_SOURCES (comma
# list), BENCH_FLAGS (interference options, default $INTERFERENCE_FLAGS of
# lib.sh: ordinary spinners, the large-page-split flush counted apart).
set -eu
. "$(dirname "$0")/lib.sh"

: "${BENCH_SECONDS:=20}" "${BENCH_PTI:=on off}" "${BENCH_APPEND:=}" "${BENCH_SOURCES:=}"
: "${BENCH_MIXED_SECONDS:=600}"
case $BENCH_SECONDS in
''|*[!0-9]*|0) die "BENCH_SECONDS: '$BENCH_SECONDS' is not a number of seconds" ;;
esac
case $BENCH_MIXED_SECONDS in
''|*[!0-9]*) die "BENCH_MIXED_SECONDS: '$BENCH_MIXED_SECONDS' is not a number of seconds" ;;
esac
: "${BENCH_FLAGS:=$INTERFERENCE_FLAGS}"
res=$B/results
mkdir -p "$res"

# run_interference NAME VARIANT APPEND TIMEOUT [interference args...]
# Boots VARIANT, runs the benchmark, leaves its JSON in build/results/NAME.json.
run_interference()
{
	local name=$1 variant=$2 append=$3 timeout=$4 job
	shift 4
	job=$B/guest/run/$name.sh
	mkdir -p "$B/guest/run"
	cat >"$job" <<-JOB
	interference $BENCH_FLAGS ${BENCH_SOURCES:+-S $BENCH_SOURCES} -j /tmp/result.json $*
	rc=\$?
	echo $JSON_BEGIN; cat /tmp/result.json; echo $JSON_END
	exit \$rc
	JOB
	"$WB/qemu-run.sh" --variant "$variant" --name "$name" --quiet \
		--timeout "$timeout" --append "$ISOL_ARGS $append" --job "$job" || return $?
	extract_json "$LOGS/$name.job.log" >"$res/$name.json" ||
		die "$name: no JSON in $LOGS/$name.job.log"
}

# three_boots PREFIX PTI WHAT TIMEOUT [interference args...]: the stock
# kernel, cpu_flags and its control (cpu_flags.defer=0), each booted with
# pti=PTI and running the benchmark with the args; their results are
# LABEL=JSON words in the array tables.
three_boots()
{
	local prefix=$1 pti=$2 what=$3 timeout=$4 run label variant extra name
	shift 4
	tables=()
	for run in "stock baseline" "cpu_flags patched" "defer=0 patched cpu_flags.defer=0"; do
		read -r label variant extra <<<"$run"
		name=$prefix-${label/=/}-pti-$pti
		echo "  BENCH   $label kernel, pti=$pti $extra, $what (log: build/logs/$name.*)" >&2
		run_interference "$name" "$variant" "pti=$pti $extra $BENCH_APPEND" "$timeout" "$@"
		tables+=("$label=$res/$name.json")
	done
}

# A boot's time limit grows with the sources it runs: each one's window,
# 20 s for its setup and cleanup (a module load, a netns, a cgroup), and
# 300 s for the boot and the rest.  The sources are BENCH_SOURCES, or every
# entry of the benchmark's table (loads.c).
loads_c=$TREE/tools/testing/selftests/cpu_flags/loads.c
if [ -n "$BENCH_SOURCES" ]; then
	nsources=$(tr ',' '\n' <<<"$BENCH_SOURCES" | grep -c .)
else
	[ -r "$loads_c" ] || die "$loads_c missing: run 'make tree'"
	nsources=$(grep -cE '^[[:space:]]*(LOAD\("|\{ \.name = ")' "$loads_c")
	[ "$nsources" -gt 0 ] || die "no load sources found in $loads_c"
fi
bench_timeout=$((nsources * (BENCH_SECONDS + 20) + 300))

for pti in $BENCH_PTI; do
	case $pti in on|off) ;; *) die "BENCH_PTI: '$pti' is not on or off" ;; esac
	three_boots bench $pti "${BENCH_SECONDS}s per source" $bench_timeout \
		-t "$BENCH_SECONDS"
	echo
	echo "=== pti=$pti ==="
	python3 "$WB/bench-table.py" "${tables[@]}" --json "$res/bench-pti-$pti.json"
done

# The mixed run: every source at once, the rteval way, on the first PTI
# setting; the table of that one window and the plot of its seconds.
if [ "$BENCH_MIXED_SECONDS" -gt 0 ]; then
	set -- $BENCH_PTI
	pti=$1
	three_boots mixed $pti "every source at once for ${BENCH_MIXED_SECONDS}s" \
		$((2 * BENCH_MIXED_SECONDS + 600)) -X "$BENCH_MIXED_SECONDS"
	echo
	echo "=== every source at once, pti=$pti ==="
	python3 "$WB/bench-table.py" "${tables[@]}" --json "$res/mixed-pti-$pti.json"
	python3 "$WB/mixed-plot.py" "${tables[@]}" --svg "$res/mixed.svg"
	echo "plot of the interruptions per second: build/results/mixed.svg"
fi
echo
echo "JSON: build/results/bench-pti-*.json, mixed-pti-*.json; logs: build/logs/bench-*.log, mixed-*.log"
