#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every commit of the series builds: checks out each commit of base..prepared
# in turn in a worktree of its own (build/linux-bisect, so build/linux is
# never touched) and builds it incrementally, as TAP, one result per commit
# and configuration.  Stops at nothing: every commit that fails is named.
#
#   bisect-check.sh full   per commit: the patched config (vmlinux, modules,
#                          boot to /init), CONFIG_CPU_FLAGS=n (vmlinux), and
#                          arm64's generic objects; make bisect-check
#   bisect-check.sh fast   per commit: the objects of the C files it touches,
#                          patched config; where it touches a generic header
#                          or C file, the same objects and the header's users
#                          with CONFIG_CPU_FLAGS=n and on arm64; make check
#
# Environment: BISECT_RANGE (default base..prepared), BISECT_ONLY (check only
# the first N commits of the range), BISECT_ARM64 (fast form: "each" commit
# that touches generic code, the default, or "last": once, at the range's
# last commit, every generic file the range touches; make check's choice,
# which halves the generic chain).  The arm64 checks need
# Debian's gcc-aarch64-linux-gnu (make deps installs it).
set -eu
. "$(dirname "$0")/lib.sh"

mode=${1:-fast}
case "$mode" in full|fast) ;; *) die "bisect-check.sh: full or fast, not '$mode'" ;; esac
range=${BISECT_RANGE:-base..prepared}
wt=$B/linux-bisect
obj=$B/obj/bisect
logs=$LOGS/bisect
mkdir -p "$logs"

# The generic objects that include <linux/cpu_flags.h> through a header the
# series changes (<linux/hardirq.h>, <linux/context_tracking_state.h>), built
# whenever a commit touches a generic header.
HEADER_USERS="kernel/context_tracking.o kernel/softirq.o kernel/smp.o"

n=0 failed=0
result()
{
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2${3:+ # $3}"
	fi
}

checkout()
{
	if [ ! -d "$wt/.git" ] && [ ! -f "$wt/.git" ]; then
		tgit worktree prune
		tgit worktree add -q --detach "$wt" "$1"
	else
		git -C "$wt" checkout -q --detach "$1"
	fi
}

# x86_build VARIANT COMMIT LABEL [OBJECTS]: build in the worktree.
x86_build()
{
	local v=$1 c=$2 label=$3 objs=${4:-} log
	log=$logs/$(git -C "$wt" rev-parse --short "$c")-$v.log
	if [ -n "$objs" ]; then
		TREE=$wt OBJ=$obj-$v LOG=$log "$WB/build-kernel.sh" "$v" --objects "$objs" >"$log.out" 2>&1
	else
		TREE=$wt OBJ=$obj-$v LOG=$log IMAGE=$obj-$v.bzImage MODULES=$obj-$v.modules \
			"$WB/build-kernel.sh" "$v" >"$log.out" 2>&1
	fi || { result "not ok" "$label" "see $log"; sed 's/^/#   /' "$log.out" | tail -8; return 1; }
	# A commit must not add a warning (objtool's noinstr checks included).
	if grep -qE '(: |^)warning:' "$log"; then
		result "not ok" "$label" "warnings: see $log"
		grep -E '(: |^)warning:' "$log" | head -5 | sed 's/^/#   /'
		return 1
	fi
	result ok "$label"
}

ARM64_CC=aarch64-linux-gnu-gcc
arm64_build()
{
	local c=$1 label=$2 objs=$3 log o=$obj-arm64
	log=$logs/$(git -C "$wt" rev-parse --short "$c")-arm64.log
	command -v $ARM64_CC >/dev/null ||
		{ result "not ok" "$label" "$ARM64_CC missing: apt-get install gcc-aarch64-linux-gnu"; return 1; }
	mkdir -p "$o"
	{
		[ -r "$o/.config" ] || make -C "$wt" O="$o" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- -s defconfig
		"$wt/scripts/config" --file "$o/.config" -e NO_HZ_FULL -e CONTEXT_TRACKING_USER_FORCE
		make -C "$wt" O="$o" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="ccache $ARM64_CC" \
			-s olddefconfig
		make -C "$wt" O="$o" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- CC="ccache $ARM64_CC" \
			-j"${JOBS:-3}" $objs
	} >"$log" 2>&1 || { result "not ok" "$label" "see $log"; grep -E 'error' "$log" | head -5 | sed 's/^/#   /'; return 1; }
	result ok "$label"
}

# touched_objects COMMIT [patched|nocpuflags|arm64]: the .o of every C file
# the commit adds or changes that kbuild builds in that configuration.
# kernel/cpu_flags/ needs CONFIG_CPU_FLAGS, arch/x86 is x86 only, and
# kernel/trace/ is left out of arm64's defconfig-based build.
touched_objects()
{
	local f
	for f in $(git -C "$wt" diff-tree --no-commit-id --name-only -r --diff-filter=AM "$1"); do
		case "$f" in
		*.c) f=$(unit_of "$wt" "$f") ;;
		*) continue ;;
		esac
		case "${2:-patched}:$f" in
		*:tools/*|*:scripts/*) ;;
		nocpuflags:kernel/cpu_flags/*|arm64:kernel/cpu_flags/*) ;;
		arm64:arch/*|arm64:kernel/trace/*) ;;
		*) echo "${f%.c}.o" ;;
		esac
	done | sort -u | tr '\n' ' '
}

# The arm64 objects of every C file the range touches and that its last
# commit (checked out in $wt) still has, and the header's users.
range_generic_objects()
{
	local c o
	{
		echo $HEADER_USERS
		for c in $commits; do
			touches_generic "$c" || continue
			for o in $(touched_objects "$c" arm64); do
				[ -e "$wt/${o%.o}.c" ] && echo "$o"
			done
		done
	} | tr ' ' '\n' | grep . | sort -u | tr '\n' ' '
}

touches_generic()
{
	git -C "$wt" diff-tree --no-commit-id --name-only -r "$1" |
		grep -qE '^(include/|kernel/|mm/|init/)'
}

# fast: the patched compiles run in build/linux-bisect while the
# CONFIG_CPU_FLAGS=n and arm64 compiles of the same commits run beside them
# in build/linux-bisect-generic (kbuild's serial steps overlap); each
# commit's results are kept in a file and printed in commit order.
fast_chain()
{
	local which=$1 i=0 c s objs
	n=0 failed=0
	for c in $commits; do
		i=$((i + 1))
		checkout "$c"
		s=$(git -C "$wt" log -1 --format=%s "$c")
		{
			if [ "$which" = patched ]; then
				objs=$(touched_objects "$c")
				[ -z "$objs" ] ||
					x86_build patched "$c" "compiles what it touches (patched config): $s" "$objs" || true
			elif touches_generic "$c"; then
				x86_build nocpuflags "$c" "compiles with CONFIG_CPU_FLAGS=n: $s" \
					"$HEADER_USERS $(touched_objects "$c" nocpuflags)" || true
				[ "$arm64" = last ] ||
					arm64_build "$c" "arm64 compiles the generic files: $s" \
						"$HEADER_USERS $(touched_objects "$c" arm64)" || true
			fi
			if [ "$which" = generic ] && [ "$arm64" = last ] && [ "$c" = "$last" ]; then
				arm64_build "$c" "arm64 compiles every generic file of the range, at its last commit: $s" \
					"$(range_generic_objects)" || true
			fi
		} >"$logs/results/$i.$which"
	done
}

echo "TAP version 13"
commits=$(tgit rev-list --reverse "$range" | head -n "${BISECT_ONLY:-100000}")
[ -n "$commits" ] || die "no commits in $range: run 'make tree'"
last=${commits##*[[:space:]]}
arm64=${BISECT_ARM64:-each}
case "$arm64" in each|last) ;; *) die "BISECT_ARM64=$arm64: each or last" ;; esac
if [ "$mode" = fast ]; then
	rm -rf "$logs/results"
	mkdir -p "$logs/results"
	# Both worktrees exist before the chains run (git locks its list).
	checkout "${commits%%[[:space:]]*}"
	(wt=$B/linux-bisect-generic; checkout "${commits%%[[:space:]]*}")
	# The generic chain builds in directories of its own (another source
	# path: sharing them with full mode's would rebuild them each switch).
	pstatus=0 gstatus=0 gen_done=
	(wt=$B/linux-bisect-generic obj=$B/obj/bisect-generic fast_chain generic) &
	gen=$!
	# A patched chain that dies does not leave the generic one building.
	trap 'kill $gen 2>/dev/null || true' EXIT
	# BISECT_SERIAL=1: the generic chain first, then the patched one (make
	# check runs this beside a guest on the other core, one compile at a
	# time).  Each chain runs in the background and is waited for, so that
	# errexit holds inside it.
	if [ "${BISECT_SERIAL:-0}" = 1 ]; then
		wait $gen || gstatus=$?
		gen_done=1
	fi
	(fast_chain patched) &
	wait $! || pstatus=$?
	[ -n "$gen_done" ] || wait $gen || gstatus=$?
	trap - EXIT
	n=0 failed=0
	[ $pstatus -eq 0 ] || result "not ok" "the patched compiles stopped (exit $pstatus)" "see $logs"
	[ $gstatus -eq 0 ] || result "not ok" "the CONFIG_CPU_FLAGS=n and arm64 compiles stopped (exit $gstatus)" "see $logs"
	i=0
	for c in $commits; do
		i=$((i + 1))
		for which in patched generic; do
			[ -r "$logs/results/$i.$which" ] ||
				{ result "not ok" "commit $i: the $which compiles left no result"; continue; }
			while IFS= read -r line; do
				case "$line" in
				"ok "*) result ok "${line#ok [0-9]* }" ;;
				"not ok "*) line=${line#not ok [0-9]* }; result "not ok" "${line% # *}" "${line##* # }" ;;
				*) echo "$line" ;;
				esac
			done <"$logs/results/$i.$which"
		done
	done
	echo "1..$n"
	echo "$((n - failed)) passed, $failed failed"
	[ $failed -eq 0 ]
	exit
fi
for c in $commits; do
	checkout "$c"
	s=$(git -C "$wt" log -1 --format=%s "$c")
	if x86_build patched "$c" "builds (patched config): $s"; then
		if "$WB/qemu-run.sh" --quiet --variant patched --kernel "$obj-patched.bzImage" \
			--modules "$obj-patched.modules.cpio" --name "bisect-$(git -C "$wt" rev-parse --short "$c")" \
			--append "$ISOL_ARGS" --timeout 300 --cmd 'true' >/dev/null 2>"$logs/boot.err"; then
			result ok "boots to /init: $s"
		else
			result "not ok" "boots to /init: $s" "$(head -1 "$logs/boot.err")"
		fi
	fi
	x86_build nocpuflags "$c" "builds (CONFIG_CPU_FLAGS=n): $s" || true
	touches_generic "$c" &&
		{ arm64_build "$c" "arm64 generic objects build: $s" "$HEADER_USERS $(touched_objects "$c" arm64)" || true; }
done
echo "1..$n"
echo "$((n - failed)) passed, $failed failed"
[ $failed -eq 0 ]
