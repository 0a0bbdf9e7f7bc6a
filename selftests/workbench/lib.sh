# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the workbench scripts.  Sourced, never run.
#
# Every fact the scripts share (paths, the base, the QEMU defaults) comes
# from the top-level Makefile through the environment; the defaults below
# only let a script be run by hand from the repo's top level.

: "${TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${B:=$TOP/build}"
: "${WB:=$TOP/selftests/workbench}"
: "${TREE:=$B/linux}"
: "${BASE_TREE:=$B/linux-base}"
: "${LOGS:=$B/logs}"
# ccache in depend mode: a miss costs no second preprocessor run (a kernel
# from an empty cache, as in CI, builds in 7 minutes instead of 11; hits
# come from the compiler's own dependency list, which kbuild asks for).
export CCACHE_DEPEND=${CCACHE_DEPEND:-true}

# The base is defined once, in the Makefile; read it from there when a
# script is run by hand.
if [ -z "${BASE_SHA256:-}" ] && [ -r "$TOP/Makefile" ]; then
	eval "$(sed -n 's/^\(BASE_[A-Z0-9_]*\) *:= *\(.*\)$/\1="\2"/p' "$TOP/Makefile")"
fi
: "${ISOLATED:=$(sed -n 's/^ISOLATED *?= *//p' "$TOP/Makefile")}"
: "${ISOL_ARGS:=$(make -s -C "$TOP" print-isol 2>/dev/null)}"

# isol_args CPULIST: the Makefile's isolation arguments for other isolated
# CPUs than ISOLATED (bigger machines: check-smp16, sender-bench.sh).
isol_args()
{
	make -s -C "$TOP" print-isol ISOLATED="$1"
}

# guest_pin_max_us CPUS: the bound of a pin's hold (cpu_flags.pin_max_us)
# that qemu-run gives a guest of CPUS vCPUs.  Single-threaded TCG runs one
# vCPU at a time and switches at QEMU's round-robin kick, every 100 ms: a
# pinner whose few-microsecond hold meets the kick keeps the pin while
# each other vCPU that does not halt runs up to 100 ms (seen: 100 to 105
# ms with 4 busy vCPUs, in the torture), and a hold past the bound loses
# the target's pins for the rest of the boot.  One kick period per vCPU
# is above the worst case by one period.
guest_pin_max_us()
{
	echo $(( $1 * 100000 ))
}

die()
{
	echo "error: $*" >&2
	exit 1
}

info()
{
	echo "  $*" >&2
}

# The component folders; each holds its patches in patches/.
COMPONENTS="kernel-cpuflags rcu-glue arch-x86 mm coccinelle selftests Documentation"

# The kernel variants: which tree, which config fragments (configs/NAME.config,
# merged in order on tinyconfig) and which image.  The one place that knows.
#   patched     what a user runs: our options, no test hooks (make kernel)
#   debug       patched + test hooks + lockdep, PROVE_RCU, ... (make check)
#   test        patched + test hooks only (entry cost with work pending)
#   nocpuflags  the patched tree with CONFIG_CPU_FLAGS=n (must equal stock)
#   baseline    the untouched base, same config minus our options
#   rcu         debug + the rcutorture scenario CPUFLAGS01's config (in the
#               tree: preemptible, two-level rcu_node tree, RCU's counter in
#               the word shrunk to two bits)
# v_extra: a fragment from the prepared tree, merged after the others.
VARIANTS="patched debug test nocpuflags baseline rcu"
RCU_SCENARIOS=tools/testing/selftests/rcutorture/configs/rcu
variant_info()
{
	v_extra=
	case "$1" in
	patched)    v_src=$TREE      v_frags="base tcg cpu_flags"            v_image=$B/bzImage ;;
	debug)      v_src=$TREE      v_frags="base tcg cpu_flags test debug" v_image=$B/bzImage-debug ;;
	test)       v_src=$TREE      v_frags="base tcg cpu_flags test"       v_image=$B/bzImage-test ;;
	nocpuflags) v_src=$TREE      v_frags="base tcg no_cpu_flags"         v_image=$B/bzImage-nocpuflags ;;
	baseline)   v_src=$BASE_TREE v_frags="base tcg"                      v_image=$B/bzImage-baseline ;;
	rcu)        v_src=$TREE      v_frags="base tcg cpu_flags test debug" v_image=$B/bzImage-rcu
	            v_extra=$TREE/$RCU_SCENARIOS/CPUFLAGS01 ;;
	*) die "unknown kernel variant '$1' ($VARIANTS)" ;;
	esac
	v_obj=$B/obj/$1
}

# A console line that means the kernel is broken: panic, oops, BUG, WARNING,
# lockdep, RCU stalls and suspicious use, lockups, hung tasks, UBSAN.  Used
# by qemu-run.sh (the run fails) and check.sh (a test per boot).
SPLAT_RE='Kernel panic|Oops|BUG:|WARNING:|kernel BUG|general protection fault|detected stalls|rcu_.*self-detected|rcu: INFO|INFO: task .* blocked|hung_task|soft lockup|possible (recursive|circular) locking|inconsistent lock state|suspicious RCU usage|UBSAN:|Call Trace:'

# The interference runs' options: ordinary (SCHED_OTHER) spinners, as a
# user's task; the large-page-split flush, which must reach every CPU,
# counted apart (-k); and the interruptions that cpu-flags.rst
# ("Interference, measured") explains left out of -M (-E): that flush's
# call, clock-event re-arms that ran no timer, machine-check bank polls,
# and irq_work self-IPIs, which only follow another interruption there.
INTERFERENCE_FLAGS="-k cpa_split_flush_tlb_all"
INTERFERENCE_FLAGS="$INTERFERENCE_FLAGS -E csd:cpa_split_flush_tlb_all,hrtimer:none"
INTERFERENCE_FLAGS="$INTERFERENCE_FLAGS,timer:mce_timer_fn,vector:irq_work"

# A guest job prints a JSON result between these lines on its log.
JSON_BEGIN=WORKBENCH-JSON-BEGIN
JSON_END=WORKBENCH-JSON-END
# extract_json JOBLOG: that JSON, on stdout; fails if there is none.
extract_json()
{
	local out
	out=$(sed -n "/^$JSON_BEGIN/,/^$JSON_END/p" "$1" | sed '1d;$d')
	[ -n "$out" ] && printf '%s\n' "$out"
}

# unit_of TREE FILE: the C file kbuild compiles for FILE: FILE itself, or
# the file of its directory that #includes it (kernel/sched/deadline.c is
# built inside build_policy.c and does not compile alone).
unit_of()
{
	local t=$1 d=${2%/*} b=${2##*/} u
	u=$(grep -l -E "^#[[:space:]]*include \"$b\"" "$t/$d"/*.c 2>/dev/null | head -1)
	if [ -n "$u" ]; then echo "${u#"$t/"}"; else echo "$2"; fi
}

# Run git on the prepared tree.
tgit()
{
	git -C "$TREE" "$@"
}
