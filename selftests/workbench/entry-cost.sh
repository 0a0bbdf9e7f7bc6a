#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Entry cost: getpid round trips on a housekeeping CPU (0) and an isolated
# CPU (the last of ISOLATED), stock against patched kernel, PTI on and off,
# nothing pending.  Boots alternate stock/patched; each boot runs ROUNDS
# rounds of SECONDS per CPU.  Reports the median per kernel and the ratio
# patched/stock per pair of boots (median, min-max over pairs).
#
# Environment: ENTRY_PAIRS (default 2), ENTRY_ROUNDS (5), ENTRY_SECONDS (2),
# ENTRY_APPEND (extra kernel arguments, e.g. cpu_flags.defer=0).
set -eu
. "$(dirname "$0")/lib.sh"

: "${ENTRY_PAIRS:=2}" "${ENTRY_ROUNDS:=5}" "${ENTRY_SECONDS:=2}" "${ENTRY_APPEND:=}"
iso=${ISOLATED##*[-,]}
res=$B/results/entry-cost.txt
mkdir -p "$B/results"
: >"$res"

# median_ns NAME CPU: the median a boot's job log reports for CPU.
median_ns()
{
	sed -n "s/^# getpid cpu=$2 .*median_ns=\([0-9.]*\).*/\1/p" "$LOGS/$1.job.log" | head -1
}

for pti in off on; do
	for pair in $(seq 1 "$ENTRY_PAIRS"); do
		for v in baseline patched; do
			name=entry-$pti-$pair-$v
			"$WB/qemu-run.sh" --quiet --variant "$v" --name "$name" --timeout 600 \
				--append "$ISOL_ARGS pti=$pti $ENTRY_APPEND" \
				--cmd "getpid_bench -c 0 -t $ENTRY_SECONDS -r $ENTRY_ROUNDS &&
				       getpid_bench -c $iso -t $ENTRY_SECONDS -r $ENTRY_ROUNDS" ||
				die "$name failed: see $LOGS/$name.*"
			for cpu in 0 "$iso"; do
				echo "$pti $pair $v $cpu $(median_ns "$name" "$cpu")" >>"$res"
			done
			[ "$v" = patched ] || continue
			# The same isolated CPU with work pending at its entries: a
			# housekeeping CPU keeps deferring a flush and a sync_core.
			name=entry-$pti-$pair-pending
			# (The test kernel: the defer_test hook is CONFIG_CPU_FLAGS_TEST.)
			"$WB/qemu-run.sh" --quiet --variant test --name "$name" --timeout 600 \
				--append "$ISOL_ARGS pti=$pti $ENTRY_APPEND" \
				--cmd "getpid_bench -c $iso -t $ENTRY_SECONDS -r $ENTRY_ROUNDS -p 1" ||
				die "$name failed: see $LOGS/$name.*"
			echo "$pti $pair pending $iso $(median_ns "$name" "$iso")" \
				"$(sed -n "s/^# getpid pending cpu=$iso fraction=\([0-9.]*\).*/\1/p" \
				   "$LOGS/$name.job.log" | head -1)" >>"$res"
		done
	done
done

python3 - "$res" "$iso" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
iso = sys.argv[2]
val = {(r[0], r[1], r[2], r[3]): float(r[4]) for r in rows}
frac = {(r[0], r[1]): float(r[5]) for r in rows if r[2] == "pending" and len(r) > 5}
print("getpid round trip, ns (median per boot); ratio = cpu_flags / stock per boot pair")
print(f"{'pti':<4} {'cpu':<16} {'stock':>16} {'cpu_flags':>16} {'ratio (min-max)':>24}")
for p in ("off", "on"):
    for c, what in (("0", "housekeeping 0"), (iso, f"isolated {iso}")):
        pairs = sorted({pair for (pp, pair, v, cc) in val if pp == p and cc == c})
        st = [val[(p, x, "baseline", c)] for x in pairs]
        cf = [val[(p, x, "patched", c)] for x in pairs]
        r = [b / a for a, b in zip(st, cf)]
        print(f"{p:<4} {what:<16} {statistics.median(st):>16.1f} {statistics.median(cf):>16.1f} "
              f"{statistics.median(r):>10.3f} ({min(r):.3f}-{max(r):.3f})")
print()
print("with work pending: isolated CPU, cpu_flags, a housekeeping CPU deferring a TLB flush")
print("and a sync_core to it without pause; ratio = pending / nothing pending, same pair")
for p in ("off", "on"):
    pairs = sorted({pair for (pp, pair, v, cc) in val if pp == p and v == "pending"})
    if not pairs:
        continue
    pend = [val[(p, x, "pending", iso)] for x in pairs]
    r = [val[(p, x, "pending", iso)] / val[(p, x, "patched", iso)] for x in pairs]
    f = [frac.get((p, x), 0.0) for x in pairs]
    print(f"pti={p:<3} {statistics.median(pend):>10.1f} ns, ratio {statistics.median(r):.3f} "
          f"({min(r):.3f}-{max(r):.3f}), entries with work: {statistics.median(f):.1%}")
PY
