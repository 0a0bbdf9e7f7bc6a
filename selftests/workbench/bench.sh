#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The main job: boot the stock and the patched kernel with isolated CPUs,
# run the interference benchmark on each and print them side by side.
#
# Environment: BENCH_SECONDS (per source), BENCH_APPEND (extra kernel
# arguments, default pti=on), ISOL_ARGS, BENCH_SOURCES (comma list).
set -eu
. "$(dirname "$0")/lib.sh"

: "${BENCH_SECONDS:=20}" "${BENCH_APPEND:=pti=on}" "${BENCH_SOURCES:=}"
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
	interference -t $BENCH_SECONDS ${BENCH_SOURCES:+-S $BENCH_SOURCES} -j /tmp/result.json $*
	rc=\$?
	echo WORKBENCH-JSON-BEGIN; cat /tmp/result.json; echo WORKBENCH-JSON-END
	exit \$rc
	JOB
	"$WB/qemu-run.sh" --variant "$variant" --name "$name" --quiet \
		--timeout $((8 * BENCH_SECONDS + 300)) \
		--append "$ISOL_ARGS $append" --job "$job" || return $?
	sed -n '/^WORKBENCH-JSON-BEGIN/,/^WORKBENCH-JSON-END/p' "$LOGS/$name.job.log" |
		sed '1d;$d' >"$res/$name.json"
	[ -s "$res/$name.json" ] || die "$name: no JSON in $LOGS/$name.job.log"
}

for v in baseline patched; do
	echo "  BENCH   $v kernel, $BENCH_APPEND, ${BENCH_SECONDS}s per source (log: build/logs/bench-$v.*)" >&2
	run_interference "bench-$v" "$v" "$BENCH_APPEND"
done
echo
python3 "$WB/bench-table.py" "stock=$res/bench-baseline.json" \
	"cpu_flags=$res/bench-patched.json" --json "$res/bench.json"
echo
echo "JSON: build/results/bench.json; logs: build/logs/bench-*.log"
