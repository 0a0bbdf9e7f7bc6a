#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make check: every test we have, as one TAP stream, ending with the line
# "N passed, N failed, N skipped".  Exits non-zero on any failure.
#
#   check.sh all | workbench | build | kunit | kselftest | bench
#
#   workbench  the workbench's own error paths (bad patch, unknown option,
#              missing package, hanging guest), lint, export round trip
#   build      the debug kernel builds; sparse/objtool clean on our files;
#              CONFIG_CPU_FLAGS=n is stock on the entry path
#   bisect     every commit of the series compiles (bisect-check.sh fast),
#              then the check's negative control
#   kunit      KUnit suites at boot of the debug kernel (KTAP)
#   kselftest  our kselftests in the debug kernel with isolated CPUs (TAP):
#              zero IPIs from the load with deferral on, PTI on and off,
#              and the control with cpu_flags.defer=0
#   bad-input  wrong boot parameters and knob values: reported, refused,
#              safe values kept (kselftest bad_input, debug kernel)
#   x86        the kernel's x86 entry selftests, PTI on and off
#   smp16      16 vCPUs, 12 isolated (debug kernel): KUnit, the pin test,
#              the interference zero from every source, and its control
#              with cpu_flags.defer=0
#   rcutorture rcutorture scenarios: two on the debug kernel, with and
#              without nohz_full, and CPUFLAGS01 from the tree on the rcu
#              variant (RCUTORTURE_SECONDS each, default 60; CPUFLAGS01
#              only in this part alone or with CHECK_RCU_KERNEL=1)
#   torture    the cpu_flags torture module with user tasks entering the
#              kernel on the nohz_full CPUs and CPU hotplug; its control
#   entry-cost getpid round trips in instructions (-icount), stock against
#              cpu_flags, PTI off: no more instructions, one locked
#              instruction per transition; the debug kernel is the control
#   bench      the control: on the stock kernel the benchmark sees the
#              text-patching IPIs on isolated CPUs
set -eu
. "$(dirname "$0")/lib.sh"

: "${CHECK_BENCH_SECONDS:=5}" "${CHECK_MIXED_SECONDS:=10}" "${ISOL_ARGS:?}"
# The interference runs: $INTERFERENCE_FLAGS of lib.sh (ordinary spinners,
# the large-page-split flush counted apart, the explained interruptions
# left out of -M; cpu-flags.rst).
: "${BENCH_FLAGS:=$INTERFERENCE_FLAGS}"
# KUNIT_GLOB: one kunit.filter_glob ("suite*" or "suite.test"); by default
# every suite the debug config builds in runs.
: "${KUNIT_GLOB:=}"
passed=0 failed=0 skipped=0 n=0
mkdir -p "$LOGS"

# result ok|not ok|skip NAME [why]
result()
{
	n=$((n + 1))
	case "$1" in
	ok) passed=$((passed + 1)); echo "ok $n $2" ;;
	skip) skipped=$((skipped + 1)); echo "ok $n $2 # SKIP ${3:-}" ;;
	*) failed=$((failed + 1)); echo "not ok $n $2${3:+ # $3}" ;;
	esac
}

# expect NAME STATUS-WANTED PATTERN -- command...: the command must exit
# with the wanted status (any non-zero: "fail") and print PATTERN.
expect()
{
	local name=$1 want=$2 pat=$3 out rc=0
	shift 4
	out=$("$@" 2>&1) || rc=$?
	if { [ "$want" = fail ] && [ $rc -ne 0 ] || [ "$want" = "$rc" ]; } &&
	   grep -qE -- "$pat" <<<"$out"; then
		result ok "$name"
	else
		result "not ok" "$name" "exit $rc, wanted $want and /$pat/"
		sed 's/^/#   /' <<<"$out" | tail -15
	fi
}

# report_tap PREFIX LOG [--expect-plan]: one result per leaf of a TAP log.
report_tap()
{
	local prefix=$1 log=$2 v name count=0
	while read -r v name; do
		case "$v" in
		ok) result ok "$prefix: $name" ;;
		skip)
			# On the debug kernel every prerequisite is there: a
			# skip would hide the test (STRICT_SKIP: what may skip).
			if [ -n "${STRICT_SKIP:-}" ] && ! grep -qE "$STRICT_SKIP" <<<"$name"; then
				result "not ok" "$prefix: $name" "skipped where it must run"
			else
				result skip "$prefix: $name"
			fi ;;
		not) result "not ok" "$prefix: ${name#ok }" ;;
		# Why the test above failed, as the test said it.
		diag) echo "#   $name"; continue ;;
		esac
		count=$((count + 1))
	done < <(python3 "$WB/tap.py" ${3:-} "$log")
	[ $count -gt 0 ] || result "not ok" "$prefix: results" "no TAP results in $log"
}

# boot NAME VARIANT APPEND JOB...: one guest run, itself a test result.
# BOOT_ALLOW: console lines that this run expects and that are no splat.
# BOOT_OPTS: more qemu-run.sh options (e.g. --emulator bochs --cpus 2).
boot()
{
	local name=$1 variant=$2 append=$3 rc=0 t0=$SECONDS
	shift 3
	# shellcheck disable=SC2086 # BOOT_OPTS is a list of options
	"$WB/qemu-run.sh" --quiet --variant "$variant" --name "$name" ${BOOT_OPTS:-} \
		${BOOT_ALLOW:+--allow "$BOOT_ALLOW"} \
		--append "$append" --timeout "${BOOT_TIMEOUT:-600}" --cmd "$*" 2>"$LOGS/$name.verdict" || rc=$?
	if [ $rc -eq 0 ] || [ $rc -eq 1 ]; then
		result ok "$name: guest booted, ran its job and powered off cleanly"
	else
		result "not ok" "$name: guest" "$(head -1 "$LOGS/$name.verdict")"
		sed 's/^/#   /' "$LOGS/$name.verdict"
	fi
	# Where a slow run's time went, boot by boot.
	echo "# boot $name: $((SECONDS - t0)) s"
	return 0
}

check_workbench()
{
	local scratch=$B/check-scratch p
	ensure_built debug
	rm -rf "$scratch"
	mkdir -p "$scratch"

	# A patch that does not apply: named, non-zero, nothing touched.
	rsync -a --exclude build --exclude .git "$TOP/" "$scratch/top/"
	p=$(grep -v '^#' "$TOP/series" | head -1)
	if [ -n "$p" ]; then
		# Change the first context line of the first hunk.
		awk '!done && hunk && /^ / { $0 = " XX-not-in-the-base-XX" substr($0, 2); done = 1 }
		     /^@@ / { hunk = 1 } { print }' "$TOP/$p" >"$scratch/top/$p"
		expect "workbench: a broken patch is named and stops preparation" fail \
			"patch $p does not apply" -- env TOP="$scratch/top" "$WB/prepare-tree.sh" --compose-only
	else
		result skip "workbench: a broken patch is named" "the series has no patch"
	fi
	expect "workbench: the repo's series applies with zero fuzz" 0 "series applies" -- \
		"$WB/prepare-tree.sh" --compose-only

	# An option that cannot be set: named, non-zero.
	printf 'CONFIG_CPU_FLAGS_NO_SUCH_OPTION=y\n' >"$scratch/bad.config"
	expect "workbench: an unknown config option is named" fail \
		"CONFIG_CPU_FLAGS_NO_SUCH_OPTION=y.*absent" -- \
		env EXTRA_FRAGMENTS="$scratch/bad.config" OBJ="$scratch/obj-bad" "$WB/build-kernel.sh" baseline --config-only

	# The config is made once per inputs: reused while no fragment and no
	# Kconfig file changed, made again when one did (here init/Kconfig's
	# mtime, put back afterwards).
	local cobj=$scratch/obj-cache stamp kc=$TREE/init/Kconfig kc_mtime s1 s2 s3
	stamp=$cobj.config/.config-stamp
	OBJ=$cobj "$WB/build-kernel.sh" patched --config-only >/dev/null 2>&1 || true
	s1=$(stat -c %y "$stamp" 2>/dev/null || echo none)
	OBJ=$cobj "$WB/build-kernel.sh" patched --config-only >/dev/null 2>&1 || true
	s2=$(stat -c %y "$stamp" 2>/dev/null || echo none)
	kc_mtime=$(stat -c %y "$kc")
	touch "$kc"
	OBJ=$cobj "$WB/build-kernel.sh" patched --config-only >/dev/null 2>&1 || true
	s3=$(stat -c %y "$stamp" 2>/dev/null || echo none)
	touch -d "$kc_mtime" "$kc"
	if [ "$s1" != none ] && [ "$s1" = "$s2" ]; then
		result ok "workbench: the config is reused while its inputs are unchanged"
	else
		result "not ok" "workbench: the config is reused while its inputs are unchanged" "stamp $s1, then $s2"
	fi
	if [ "$s3" != none ] && [ "$s3" != "$s2" ]; then
		result ok "workbench: the config is made again after a Kconfig file changed"
	else
		result "not ok" "workbench: the config is made again after a Kconfig file changed" "stamp $s2, then $s3"
	fi
	# A named object its config never builds is skipped by name (kbuild
	# would compile it anyway); the same object where the config builds
	# it is compiled (the debug config has CONFIG_PARAVIRT).
	expect "workbench: an object the config does not build is skipped" 0 \
		"SKIP +arch/x86/kernel/paravirt.o" -- \
		env OBJ="$cobj" "$WB/build-kernel.sh" patched --objects arch/x86/kernel/paravirt.o
	if "$WB/build-kernel.sh" debug --objects arch/x86/kernel/paravirt.o 2>&1 | grep -q SKIP; then
		result "not ok" "workbench: control: an object the config builds is not skipped" "paravirt.o skipped in the debug config"
	else
		result ok "workbench: control: an object the config builds is not skipped"
	fi

	# A missing package, not root: the apt-get line to run, non-zero.
	# (A copy in /tmp, so that the clone's own permissions do not matter.)
	d=$(mktemp -d /tmp/cpu_flags-deps.XXXXXX)
	cp "$WB/deps.sh" "$WB/lib.sh" "$d/" && chmod 755 "$d" && chmod 644 "$d"/*
	expect "workbench: a missing package prints the apt-get line" fail \
		"apt-get install -y cpu-flags-no-such-package" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEPS_EXTRA=cpu-flags-no-such-package \
		TOP=/nonexistent bash "$d/deps.sh" build
	# The base is pinned by version: a machine whose linux-source-6.12
	# is another point release is told to install the pinned one (here
	# an older version the archive still lists stands in for the pin).
	other=$(apt-cache madison linux-source-6.12 2>/dev/null |
		awk -v v="$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null)" '$3 != v { print $3; exit }')
	if [ -n "$other" ]; then
		expect "workbench: another base version asks for the pinned one" fail \
			"apt-get install -y --allow-downgrades linux-source-6.12=$other" -- \
			setpriv --reuid=65534 --regid=65534 --clear-groups \
			env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin BASE_DEB_VERSION="$other" \
			TOP=/nonexistent bash "$d/deps.sh" build
	else
		result skip "workbench: another base version asks for the pinned one" "the archive lists one version of linux-source-6.12"
	fi
	rm -rf "$d"

	# A guest that never ends: killed at its timeout, reported, exit 3.
	expect "workbench: a hanging guest is killed and reported" 3 \
		"guest hung, killed after 20s; console: .*check-hang.console.log" -- \
		"$WB/qemu-run.sh" --quiet --variant debug --name check-hang --timeout 20 --cmd 'sleep 1000'

	# A failing job is a failure, with its log named.
	expect "workbench: a failing guest job is reported" 1 "the job exited 7" -- \
		"$WB/qemu-run.sh" --quiet --variant debug --name check-fail --timeout 300 --cmd 'exit 7'

	expect "workbench: lint (series, headers, checkpatch)" 0 "patches clean" -- "$WB/lint-patches.sh"

	# A repo edited after build/linux was prepared: export must not
	# write the tree's older patches over it.  The edit changes an added
	# line of the last patch, so the series still applies.
	rsync -a --exclude build --exclude .git "$TOP/" "$scratch/edited/"
	f=$(grep -v '^#' "$TOP/series" | tail -1)
	awk '!done && /^\+[^+]/ { $0 = "+edited after make tree"; done = 1 } { print }' \
		"$TOP/$f" >"$scratch/edited/$f"
	cp "$scratch/edited/$f" "$scratch/edited.patch"
	expect "workbench: export refuses to overwrite newer repo patches" fail \
		"the repo changed since build/linux was prepared" -- \
		env TOP="$scratch/edited" "$WB/export-tree.sh"
	cmp -s "$scratch/edited/$f" "$scratch/edited.patch" ||
		result "not ok" "workbench: the refused export wrote nothing" "$f was overwritten"

	check_lint_control

	# The round trip regenerates the repo's own files byte for byte.
	"$WB/prepare-tree.sh" >/dev/null 2>&1 || true
	before=$(cd "$TOP" && git status --porcelain=v1 -uall && git diff | sha1sum)
	expect "workbench: export of the prepared tree changes nothing" 0 "Exported" -- "$WB/export-tree.sh"
	after=$(cd "$TOP" && git status --porcelain=v1 -uall && git diff | sha1sum)
	if [ "$before" = "$after" ]; then
		result ok "workbench: export round trip is byte-identical"
	else
		result "not ok" "workbench: export round trip is byte-identical" "the repo changed: see git status"
	fi
	rm -rf "$scratch"
}

# control_branch NAME EDIT: a copy of the series in build/linux (branch NAME,
# build/linux's work tree untouched) whose first commit is changed by EDIT,
# a shell command run in a scratch checkout of that commit; the later
# commits are replayed on it.  Prints the branch's tip.
control_branch()
{
	local name=$1 edit=$2 wt=$B/check-control first c
	first=$(tgit rev-list --reverse base..prepared | head -1)
	tgit worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
	tgit worktree prune
	tgit worktree add -q --detach "$wt" "$first"
	(cd "$wt" && eval "$edit" && git -c user.name=check -c user.email=check@localhost \
		commit -q -a --amend --no-edit --allow-empty) || die "control_branch: edit failed"
	# REPLAY=0: the edited commit alone (an edit later commits conflict with).
	[ "${REPLAY:-1}" = 0 ] ||
	for c in $(tgit rev-list --reverse "$first..prepared"); do
		git -C "$wt" cherry-pick --allow-empty "$c" >/dev/null 2>&1 ||
			die "control_branch: $c does not replay on the edited commit"
	done
	tgit branch -f "$name" "$(git -C "$wt" rev-parse HEAD)" >/dev/null
	tgit worktree remove --force "$wt"
	tgit rev-parse "$name"
}

# The lint's message check catches a message that describes code of a later
# patch (the fault of the old import layout): the first commit's message is
# made to name cpu_flags_pin(), which only the pin patch brings.  The
# edited commit alone is linted (REPLAY=0): the check is per commit, and
# linting the other commits again would only repeat the lint above.
check_lint_control()
{
	REPLAY=0 control_branch lint-control 'msg=$(git log -1 --format=%B); git commit -q --amend -m "$msg

It also adds cpu_flags_pin() for later."' >/dev/null
	expect "workbench: lint names a message that describes a later patch's code" fail \
		"message names what its tree does not have: cpu_flags_pin\\(\\)" -- \
		env LINT_RANGE=base..lint-control "$WB/lint-patches.sh"
}

# The bisect check names a commit that does not build: the first commit
# calls a function that no commit declares (the old series' fault).
check_bisect_control()
{
	REPLAY=0 control_branch bisect-control \
		'echo "void cpu_flags_broken(void) { cpu_flags_do_work(0); }" >>kernel/cpu_flags/cpu_flags.c' \
		>/dev/null
	expect "workbench: the bisect check names the commit that does not build" fail \
		"not ok 1 compiles what it touches \\(patched config\\): cpu_flags: Add the per-CPU state word" -- \
		env BISECT_RANGE=base..bisect-control BISECT_ONLY=1 "$WB/bisect-check.sh" fast
}

# The kernel .c files the series adds (A) or changes (M), with their status.
our_c_files()
{
	tgit diff --name-status --diff-filter=AM base prepared -- '*.c' |
		grep -v -P '\ttools/' || true
}

# sparse_batch SRC OBJ OUT FILE.o...: the sparse, compiler and objtool
# warnings of each object, rebuilt, without the file:line:col that patches
# shift, in OUT/<object, / as %>; an object that did not build has no
# file there.  One make for all the objects (kbuild's own start costs
# about 3 s a call), serial (-j1) so that each warning follows the CC or
# CHECK line of its object, and -k so that one that fails stops no other.
sparse_batch()
{
	local src=$1 obj=$2 out=$3 o
	shift 3
	rm -rf "$out"
	mkdir -p "$out"
	for o; do rm -f "$obj/$o"; done
	[ $# -gt 0 ] || return 0
	make -k -j1 -C "$src" O="$obj" LOCALVERSION= C=1 CHECK="sparse -Wno-decl" "$@" \
		>"$out/make.log" 2>&1 || true
	awk -v src="$src/" '
		/^  (CC|CHECK)( \[M\])? +[^ ]+$/ {
			cur = $NF
			if (index(cur, src) == 1) cur = substr(cur, length(src) + 1)
			sub(/\.c$/, ".o", cur)
			next
		}
		/warning:|error:/ && cur != "" { print cur "\t" $0 }' "$out/make.log" >"$out/lines"
	for o; do
		[ -e "$obj/$o" ] || continue
		awk -F '\t' -v o="$o" '$1 == o { sub(/^[^\t]*\t/, ""); print }' "$out/lines" |
			sed -E 's/^[^ ]*: (warning|error):/\1:/' | LC_ALL=C sort >"$out/${o//\//%}"
	done
}

# build_debug: the debug kernel, and nothing it compiled or linked warned
# (objtool's vmlinux.o noinstr validation included).
build_debug()
{
	if ! "$WB/build-kernel.sh" debug >"$LOGS/check-build.out" 2>&1; then
		result "not ok" "build: debug kernel" "see $LOGS/build-debug.log"
		sed 's/^/#   /' "$LOGS/check-build.out" | tail -20
		return 1
	fi
	result ok "build: debug kernel (lockdep, PROVE_RCU, RCU_EQS_DEBUG, test hooks)"
	if grep -E '(: |^)warning:' "$LOGS/build-debug.log" >"$LOGS/check-build.warn"; then
		result "not ok" "build: debug kernel builds without warnings" "$LOGS/build-debug.log"
		sed 's/^/#   /' "$LOGS/check-build.warn" | head -20
	else
		result ok "build: debug kernel builds without warnings (objtool noinstr included)"
	fi
}

# The danger zone: nothing patchable or instrumentable before the deferred
# work is done, on the machine code; and its negative control.
check_danger_zone()
{
	local vmlinux=$B/obj/debug/vmlinux
	if python3 "$WB/danger-zone.py" "$vmlinux" >"$LOGS/check-danger-zone.out" 2>&1; then
		result ok "build: danger zone: no patchable site or call out of noinstr text before deferred work is done"
	else
		result "not ok" "build: danger zone" "see $LOGS/check-danger-zone.out"
	fi
	sed -n 's/^/#   /p' "$LOGS/check-danger-zone.out" | grep -v '^#   ok' | head -20
	if ! python3 "$WB/danger-zone.py" "$vmlinux" --without ct_kernel_enter_state,ct_kernel_enter \
		>"$LOGS/check-danger-zone-control.out" 2>&1 &&
	   grep -q '^not ok.*tracepoint\|^not ok.*cpu_flags_account' "$LOGS/check-danger-zone-control.out"; then
		result ok "build: danger zone control: walking past the transition finds the tracepoints"
	else
		result "not ok" "build: danger zone control" "the check did not fail: see $LOGS/check-danger-zone-control.out"
	fi
	# The doze window of idle CPUs, from ct_idle_enter_doze() to the end
	# of the doze; its control walks on past the exit transition and must
	# not pass.  (A kernel with no call of ct_idle_enter_doze() fails it too.)
	if python3 "$WB/danger-zone.py" "$vmlinux" --idle >"$LOGS/check-danger-zone-idle.out" 2>&1; then
		result ok "build: danger zone: the doze window of idle CPUs runs nothing patchable before its work"
	else
		result "not ok" "build: danger zone (doze window)" "see $LOGS/check-danger-zone-idle.out"
	fi
	sed -n 's/^/#   /p' "$LOGS/check-danger-zone-idle.out" | grep -v '^#   ok' | head -20
	if ! python3 "$WB/danger-zone.py" "$vmlinux" --idle \
		--without ct_idle_exit_doze,ct_kernel_enter,ct_kernel_enter_state \
		>"$LOGS/check-danger-zone-idle-control.out" 2>&1 &&
	   grep -q '^not ok.*outside entry/noinstr text.*doze window' \
		"$LOGS/check-danger-zone-idle-control.out"; then
		result ok "build: danger zone control (doze window): a doze that does not end its window is caught"
	else
		result "not ok" "build: danger zone control (doze window)" \
			"the check did not fail: see $LOGS/check-danger-zone-idle-control.out"
	fi
}

# The Coccinelle report: every call site found, and the checked-in table is
# what the script says today.
check_cocci_report()
{
	local missing
	if ! IPI_INDEX_OUT=$LOGS/ipi-index.json "$WB/ipi-callers.sh" "$LOGS/ipi-callers" \
		>"$LOGS/check-ipi-callers.out" 2>&1; then
		result "not ok" "build: coccinelle report" "see $LOGS/check-ipi-callers.out"
		return 0
	fi
	result ok "build: coccinelle: $(tail -1 "$LOGS/check-ipi-callers.out" | sed 's/^ *IPI *//; s/ (.*//')"
	if diff -u "$TOP/coccinelle/ipi-callers.csv" "$LOGS/ipi-callers/ipi-callers.csv" \
		>"$LOGS/check-ipi-callers.diff"; then
		result ok "build: coccinelle: coccinelle/ipi-callers.csv is up to date"
	else
		result "not ok" "build: coccinelle: coccinelle/ipi-callers.csv is stale" \
			"run 'make ipi-callers'; see $LOGS/check-ipi-callers.diff"
	fi
	# Coverage: every call a text search finds (comments and strings left
	# out) is a row of the report.
	missing=$(python3 "$WB/ipi-coverage.py" "$TREE" "$LOGS/ipi-callers/ipi-callers.csv" || true)
	if [ -z "$missing" ]; then
		result ok "build: coccinelle: every call site a text search finds is classified"
	else
		result "not ok" "build: coccinelle: call sites missing from the report" "$(echo $missing | head -c 300)"
	fi
}

# The classifier on its fixture (selftests/workbench/cocci/ipi-fixture.c):
# one call site per rule, each callback reaching its construct through a
# helper, with the class it must get in a comment.  Prints what differs.
cocci_fixture_diff()
{
	local dir rc=0
	dir=$(mktemp -d)
	cp "$WB/cocci/ipi-fixture.c" "$dir/"
	(cd "$dir" && { ulimit -s unlimited 2>/dev/null || ulimit -s "$(ulimit -Hs)" 2>/dev/null || :; } &&
		CPU_FLAGS_IPI_INDEX='' spatch --very-quiet \
		--no-includes --include-headers -D report --cocci-file "$TREE/$COCCI" \
		ipi-fixture.c) >"$dir/report" 2>&1
	python3 - "$dir/ipi-fixture.c" "$dir/report" <<'PY' || rc=1
import re, sys
want, got = {}, {}
for n, line in enumerate(open(sys.argv[1]), 1):
    m = re.search(r"\(.*\);\s*/\* (\S+?)(, converted)? \*/", line)
    if m:
        want[n] = (m.group(1), bool(m.group(2)))
for line in open(sys.argv[2]):
    m = re.match(r"ipi-fixture\.c:(\d+): \S+ in \S+: (\S+) \(.*?\)( \[converted: .*\])?$",
                 line.rstrip("\n"))
    if m:
        got[int(m.group(1))] = (m.group(2), bool(m.group(3)))


def show(c):
    return "nothing" if c is None else c[0] + (" (converted)" if c[1] else "")


bad = [f"line {n}: wants {show(w)}, got {show(got.get(n))}"
       for n, w in sorted(want.items()) if got.get(n) != w]
print("; ".join(bad) if bad else f"{len(want)} call sites as expected")
sys.exit(1 if bad or not want else 0)
PY
	rm -rf "$dir"
	return $rc
}

check_cocci_fixture()
{
	local out
	if out=$(cocci_fixture_diff); then
		result ok "build: coccinelle: the fixture's classes, reached through helpers: $out"
	else
		result "not ok" "build: coccinelle: the fixture's classes" "$out"
	fi
	# The control: a script that follows no call must get some wrong.
	if out=$(CPU_FLAGS_IPI_DEPTH=0 cocci_fixture_diff); then
		result "not ok" "build: coccinelle: the fixture's control (following no call) passed" "$out"
	else
		result ok "build: coccinelle: the fixture's control, following no call, is caught: ${out:0:120}"
	fi
	# The share the script cannot decide: at most 15 % of the call sites.
	local pct=${CHECK_COCCI_UNKNOWN_PCT:-15}
	out=$(python3 -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
unk = sum(r["class"] == "unknown" for r in rows)
print("%d of %d (%.1f %%)" % (unk, len(rows), 100.0 * unk / max(len(rows), 1)))
sys.exit(0 if rows and unk * 100 <= int(sys.argv[2]) * len(rows) else 1)' \
		"$LOGS/ipi-callers/ipi-callers.csv" "$pct") &&
		result ok "build: coccinelle: unknown class $out, at most $pct %" ||
		result "not ok" "build: coccinelle: unknown class above $pct %" "$out"
}

# Patch mode, on the base tree, over the files where the report has a
# call site of a class patch mode converts, or one the series converted:
# what it proposes must be what the series did (ipi-patch-compare.py names
# each site same, declined or by hand, with its reason).  kick_all_cpus_sync()
# must come out as the series has it, line for line.  The control: a report
# that says the series did not convert kick_all_cpus_sync() is caught.
check_cocci_patch_mode()
{
	local csv=$LOGS/ipi-callers/ipi-callers.csv out=$LOGS/check-cocci-patch.diff files
	local conv="	on_each_cpu_needs(do_nothing, NULL, 1, &cpu_flags_call_skip_user);"
	if [ ! -r "$csv" ] || [ ! -r "$LOGS/ipi-index.json" ]; then
		result "not ok" "build: coccinelle patch mode" "no report or index from this run"
		return 0
	fi
	files=$(python3 -c '
import csv, os, sys
rows = csv.DictReader(open(sys.argv[1]))
safe = ("defer", "skip-if-USER", "run-under-pin")
print("\n".join(sorted({r["file"] for r in rows if r["class"] in safe or r["converted"]})))' "$csv")
	# shellcheck disable=SC2016
	if ! (cd "$BASE_TREE" && { ulimit -s unlimited 2>/dev/null || ulimit -s "$(ulimit -Hs)" 2>/dev/null || :; } &&
		printf '%s\n' $files | while read -r f; do [ ! -f "$f" ] || echo "$f"; done |
		CPU_FLAGS_IPI_INDEX=$LOGS/ipi-index.json xargs -n 1 \
			spatch --very-quiet --no-includes --include-headers -D patch \
			--cocci-file "$TREE/$COCCI") >"$out" 2>"$out.err"; then
		result "not ok" "build: coccinelle patch mode on the base tree" "$(head -c 300 "$out.err")"
		return 0
	fi
	if python3 "$WB/ipi-patch-compare.py" "$BASE_TREE" "$out" "$csv" >"$LOGS/check-cocci-compare.out"; then
		result ok "build: coccinelle patch mode proposes what the series did: $(tail -1 "$LOGS/check-cocci-compare.out")"
	else
		result "not ok" "build: coccinelle patch mode against the series" \
			"$(grep -E '^(DIFFERS|STALE)' "$LOGS/check-cocci-compare.out" | head -5)"
	fi
	if grep -qxF "+$conv" "$out" && grep -qxF "$conv" "$TREE/kernel/smp.c"; then
		result ok "build: coccinelle patch mode converts kick_all_cpus_sync() as the series does"
	else
		result "not ok" "build: coccinelle patch mode on kernel/smp.c" "see $out"
	fi
	python3 - "$csv" "$LOGS/check-cocci-compare-control.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in rows:
    if r["caller"] == "kick_all_cpus_sync":
        r["converted"] = ""
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
w.writerows(rows)
PY
	if python3 "$WB/ipi-patch-compare.py" "$BASE_TREE" "$out" "$LOGS/check-cocci-compare-control.csv" \
		>"$LOGS/check-cocci-compare-control.out"; then
		result "not ok" "build: coccinelle patch mode comparison (control)" \
			"a series without kick_all_cpus_sync()'s conversion passed"
	else
		result ok "build: coccinelle patch mode comparison (control): $(grep -m1 '^DIFFERS' "$LOGS/check-cocci-compare-control.out")"
	fi
}

build_baseline_and_guest()
{
	if "$WB/build-kernel.sh" baseline >>"$LOGS/check-build.out" 2>&1; then
		result ok "build: baseline kernel"
	else
		result "not ok" "build: baseline kernel" "see $LOGS/build-baseline.log"
	fi
	if "$WB/mkinitramfs.sh" >>"$LOGS/check-build.out" 2>&1; then
		result ok "build: guest initramfs and static selftests"
	else
		result "not ok" "build: guest initramfs" "see $LOGS/check-build.out"
	fi
}

# Test hooks are for test kernels: the production (patched) config has
# CONFIG_CPU_FLAGS_TEST off, the test hooks are built only with it, and the
# debug kernel the tests boot has them.
check_test_hooks_config()
{
	local cfg=$B/obj/patched.config/.config
	if "$WB/build-kernel.sh" patched --config-only >"$LOGS/check-config-patched.out" 2>&1 &&
	   grep -qx '# CONFIG_CPU_FLAGS_TEST is not set' "$cfg" &&
	   grep -qx 'obj-$(CONFIG_CPU_FLAGS_TEST) += test_hooks.o' "$TREE/kernel/cpu_flags/Makefile"; then
		result ok "build: the production config builds no test hook (CONFIG_CPU_FLAGS_TEST off)"
	else
		result "not ok" "build: the production config builds no test hook" "see $cfg"
	fi
	if grep -qw cpu_flags_test_hooks_init "$B/obj/debug/System.map"; then
		result ok "build: the debug kernel has the test hooks"
	else
		result "not ok" "build: the debug kernel has the test hooks" "no cpu_flags_test_hooks_init in its System.map"
	fi
}

# With CONFIG_CPU_FLAGS=n the entry path is stock: the objects of the
# patched tree built with the option off have, function by function, the
# instructions of the base's (disasm-cmp.py); the control is the same
# comparison against our config, which must differ.
CT_IDENTICAL="kernel/context_tracking.o kernel/entry/common.o arch/x86/entry/entry_64.o"
check_nocpuflags_identical()
{
	local o bad=
	if ! "$WB/build-kernel.sh" nocpuflags --objects "$CT_IDENTICAL" >"$LOGS/check-nocpuflags.out" 2>&1 ||
	   ! "$WB/build-kernel.sh" patched --objects kernel/context_tracking.o >>"$LOGS/check-nocpuflags.out" 2>&1; then
		result "not ok" "build: CONFIG_CPU_FLAGS=n and patched objects" "see $LOGS/check-nocpuflags.out"
		return 0
	fi
	for o in $CT_IDENTICAL; do
		python3 "$WB/disasm-cmp.py" "$B/obj/baseline/$o" "$B/obj/nocpuflags/$o" \
			>"$LOGS/check-nocpuflags-${o##*/}.diff" || bad="$bad $o"
	done
	if [ -z "$bad" ]; then
		result ok "build: CONFIG_CPU_FLAGS=n: $CT_IDENTICAL have stock's instructions"
	else
		result "not ok" "build: CONFIG_CPU_FLAGS=n changes the entry path:$bad" \
			"see $LOGS/check-nocpuflags-*.diff"
		grep '^# .*differs' "$LOGS"/check-nocpuflags-*.diff | head -5 | sed 's/^/#   /'
	fi
	if ! python3 "$WB/disasm-cmp.py" "$B/obj/baseline/kernel/context_tracking.o" \
		"$B/obj/patched/kernel/context_tracking.o" >"$LOGS/check-nocpuflags-control.diff"; then
		result ok "build: control: the comparison sees CONFIG_CPU_FLAGS=y's context tracking differ"
	else
		result "not ok" "build: control: the comparison saw no difference with CONFIG_CPU_FLAGS=y"
	fi
}

PERCPU_FALSE_POSITIVE='warning: incorrect type in initializer (different address spaces)'
check_sparse()
{
	local files st f o out base new
	files=$(our_c_files)
	if [ -z "$files" ]; then
		result skip "build: sparse and objtool on our C files" "the series has no kernel C file yet"
		return 0
	fi
	# A file we add must be clean; a file we change must not warn more
	# than the same file in the base (sparse is not clean on all of 6.12).
	# The base's files are checked beside ours (other tree, other build
	# directory, one single-threaded make each).
	# (wait for that one job only: the background queues are children too.)
	# A file built inside another (kernel/sched/deadline.c in
	# build_policy.c) is checked as that unit.
	local sp_base=$B/.sparse-base sp_ours=$B/.sparse-ours sp u units=
	while read -r st f; do
		u=$(unit_of "$TREE" "$f")
		units="$units$st $f ${u%.c}.o"$'\n'
	done <<<"$files"
	sparse_batch "$BASE_TREE" "$B/obj/baseline" "$sp_base" \
		$(awk '$1 == "M" { print $3 }' <<<"$units" | sort -u) &
	sp=$!
	sparse_batch "$TREE" "$B/obj/debug" "$sp_ours" $(awk 'NF { print $3 }' <<<"$units" | sort -u)
	wait "$sp" || true
	# Control: the batch gives each object its own warnings.  The base's
	# context_tracking.c is known to draw sparse's per-CPU false positive
	# (above); a batch that lost or misplaced warnings would show none.
	if grep -qxF "$PERCPU_FALSE_POSITIVE" "$sp_base/kernel%context_tracking.o" 2>/dev/null; then
		result ok "build: control: sparse's known warnings of the base's context_tracking.c are seen"
	else
		result "not ok" "build: control: sparse's known warnings of the base's context_tracking.c are seen" \
			"see $sp_base/make.log"
	fi
	while read -r st f o; do
		[ -n "$o" ] || continue
		[ "$o" = "${f%.c}.o" ] || f="$f (in ${o%.o}.c)"
		if [ ! -r "$sp_ours/${o//\//%}" ]; then
			result skip "build: $f" "not built in this config"
			continue
		fi
		out=$(cat "$sp_ours/${o//\//%}")
		base=
		[ "$st" != M ] || base=$(cat "$sp_base/${o//\//%}" 2>/dev/null || true)
		# Debian 12's sparse misreads 6.12's per-CPU accessors on some
		# variables (kernel/context_tracking.c: every access to
		# context_tracking, 12 in the base file): in a file whose base
		# already shows that false positive, more of it is not new.
		if grep -qxF "$PERCPU_FALSE_POSITIVE" <<<"$base"; then
			out=$(grep -vxF "$PERCPU_FALSE_POSITIVE" <<<"$out" || true)
			base=$(grep -vxF "$PERCPU_FALSE_POSITIVE" <<<"$base" || true)
		fi
		new=$(LC_ALL=C comm -23 <(echo "$out") <(echo "$base") | grep . || true)
		if [ -n "$new" ]; then
			result "not ok" "build: $f: new sparse/objtool/compiler warnings"
			sed 's/^/#   /' <<<"$new" | head -20
		else
			result ok "build: $f: no new sparse, objtool or compiler warnings"
		fi
	done <<<"$units"
}

check_build()
{
	local t0=$SECONDS step
	build_debug || return 0
	echo "# step build_debug: $((SECONDS - t0)) s"
	for step in check_danger_zone check_cocci_report check_cocci_fixture check_cocci_patch_mode \
		build_baseline_and_guest check_test_hooks_config check_nocpuflags_identical check_sparse; do
		t0=$SECONDS
		$step
		echo "# step $step: $((SECONDS - t0)) s"
	done
}

# Every commit of the series compiles (bisect-check.sh fast: what each
# commit touches; CONFIG_CPU_FLAGS=n and arm64 where it touches generic
# code), and the check names a commit that does not.
check_bisect()
{
	local line bg=
	# Started by bg_start (make check), or run here (make check-bisect).
	if [ -n "$BG_PIDS" ] && [ -e "$BG/bisect.pending" ]; then
		bg_wait bisect || true
		if [ -e "$BG/bisect.rc" ]; then bg=1; fi
	fi
	[ -n "$bg" ] || "$WB/bisect-check.sh" fast >"$LOGS/check-bisect.tap" 2>&1 || true
	while IFS= read -r line; do
		case "$line" in
		"ok "*) result ok "bisect: ${line#ok [0-9]* }" ;;
		"not ok "*) result "not ok" "bisect: ${line#not ok [0-9]* }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$LOGS/check-bisect.tap"
	grep -q '^ok ' "$LOGS/check-bisect.tap" ||
		result "not ok" "bisect: no result" "see $LOGS/check-bisect.tap"
	# After the check itself: both use the same worktrees and directories.
	check_bisect_control
}

# nth_tap N LOG: the Nth TAP stream of a log that holds several.
nth_tap()
{
	awk -v want="$1" '/^TAP version/ { n++ } n == want' "$2"
}

# report_streams NAME STREAM:LABEL...: the job log of boot NAME holds one
# TAP stream per kselftest, in this order; report each with its label.
report_streams()
{
	local name=$1 i=0 s
	# Only the perf NMI test may skip (TCG has no PMU).
	local STRICT_SKIP=perf_nmi
	shift
	for s in "$@"; do
		i=$((i + 1))
		nth_tap $i "$LOGS/$name.job.log" >"$LOGS/$name.${s%%:*}.tap"
		report_tap "${s#*:}" "$LOGS/$name.${s%%:*}.tap" --expect-plan
	done
}

COCCI=scripts/coccinelle/api/cpu_flags_ipi_callers.cocci

# The interference table of a boot, as TAP diagnostics: the job prints the
# benchmark's JSON (INTERFERENCE_JSON), the workbench renders it.
# The deferral-off controls: the sources whose IPIs deferral, skips and
# pins take away, each of which must then reach the isolated CPUs.
DEFER_OFF_SOURCES="-S kprobe,perf,vmalloc,module,trace-pid,trace-filter"
DEFER_OFF_SOURCES="$DEFER_OFF_SOURCES,stat-refresh,slab-shrink,memfd-secret,ftrace-ops,membarrier,idle-periods"
DEFER_OFF_SOURCES="$DEFER_OFF_SOURCES -n kprobe=1,perf=1,vmalloc=1,module=1,trace-pid=1,trace-filter=1"
DEFER_OFF_SOURCES="$DEFER_OFF_SOURCES,stat-refresh=1,slab-shrink=1,memfd-secret=1,ftrace-ops=1,membarrier=1,idle-periods=1"
INTERFERENCE_JSON="-j /tmp/interference.json; echo $JSON_BEGIN; cat /tmp/interference.json; echo $JSON_END;"
show_table()
{
	extract_json "$LOGS/$1.job.log" >"$LOGS/$1.json" &&
		python3 "$WB/bench-table.py" "$1=$LOGS/$1.json" 2>&1 | sed 's/^/# /'
	# Sources measured again (interference -R): what their first window had.
	grep -a -B2 ' measured again (-R): the result' "$LOGS/$1.job.log" | grep -a '^# ' |
		sed 's/^# /# measured again: /' || :
	return 0
}

# in_logs NAME JOB_RE CONSOLE_RE: a line of the boot's job log matches
# JOB_RE and one of its console log CONSOLE_RE (extended regexes).
in_logs()
{
	grep -a -q -E "$2" "$LOGS/$1.job.log" && grep -a -q -E "$3" "$LOGS/$1.console.log"
}

# A boot's console must show no splat: lockdep, RCU, WARN, BUG, stalls.
# The pins, the pinned trace callbacks and the deferred work run under
# lockdep and PROVE_RCU on the debug kernel.
console_clean()
{
	local name=$1 hit
	hit=$(grep -E "$SPLAT_RE" "$LOGS/$name.console.log" | grep -v -E "${2:-^$}" | head -1 || true)
	if [ -z "$hit" ]; then
		result ok "$name: console free of splats (lockdep, RCU, WARN, BUG, stalls)"
	else
		result "not ok" "$name: console splat" "$hit"
	fi
}

# The parts after "build" use its images; run alone, they build what is missing.
# The entry tests' debugfs files (CONFIG_CPU_FLAGS_TEST, CONFIG_CPU_FLAGS_ORACLE).
CF=/sys/kernel/debug/cpu_flags
# Job steps: land NMIs between the transition and its work while defer_exec
# leaves work for the isolated CPUs; print what the oracle saw.
ENTRY_NMI_JOB="echo 'nmi 20' >$CF/entry_test; defer_exec >/dev/null 2>&1; echo 'nmi 0' >$CF/entry_test;
 echo \"ENTRY_NMI: \$(sed -n 's/^nmi //p' $CF/entry_test)\";"
# oracle_job TAG: a job step printing the oracle's counts on a TAG: line.
oracle_job()
{
	echo "echo \"$1: \$(tr '\\n' ' ' <$CF/oracle)\";"
}
ORACLE_JOB=$(oracle_job ORACLE)

# oracle_value NAME TAG FIELD: FIELD's number on the job log's TAG: line.
oracle_value()
{
	grep -a "^$2: " "$LOGS/$1.job.log" | tail -1 | tr -d '\r' |
		sed -n "s/.*\b$3 \([0-9]*\).*/\1/p"
}

# entry_results NAME PTI: the NMI landed between the transition and its
# work and its own entry did the work; the oracle checked entries and found
# every deferral done.
entry_results()
{
	local name=$1 pti=$2 landed did checks fired
	landed=$(oracle_value $name ENTRY_NMI landed) did=$(oracle_value $name ENTRY_NMI did_work)
	if [ "${landed:-0}" -gt 0 ] && [ "$did" = "$landed" ]; then
		result ok "NMIs between the transition and its work do the work first ($landed landed, pti=$pti)"
	else
		result "not ok" "NMIs between the transition and its work do the work first (pti=$pti)" \
			"landed '${landed:-}', did the work '${did:-}': see $LOGS/$name.job.log"
	fi
	checks=$(oracle_value $name ORACLE checks) fired=$(oracle_value $name ORACLE fired)
	if [ "${checks:-0}" -gt 0 ] && [ "$fired" = 0 ]; then
		result ok "oracle: $checks entry checks, every deferral done before its entry ran (pti=$pti)"
	else
		result "not ok" "oracle: every deferral done before its entry ran (pti=$pti)" \
			"checks '${checks:-}', violations '${fired:-}': see $LOGS/$name.job.log"
	fi
}

# A pinner that breaks the pin's rule: it queues a call for the CPU it
# pins (asynchronously, so that the test itself does not deadlock).
PIN_IPI_JOB="interference -F -t 60 -s 0 -S idle >/dev/null 2>&1 & spin=\$!; sleep 3;
 echo 'start 3' >$CF/pin_test; echo 'pin 1000 ipi' >$CF/pin_test;
 echo \"PIN-IPI: \$(tail -1 $CF/pin_test)\"; echo stop >$CF/pin_test; kill \$spin;"

# The debug checks' negative controls, on one boot: with the nested-NMI fix
# switched off the landed NMIs must be caught; with entries skipping their
# work, every skip must be caught; a pinner that sends its target an IPI
# must be caught.  Their warnings are expected here.
check_oracle_control()
{
	local name=check-oracle-control landed did f1 f2 skipped
	BOOT_ALLOW='WARNING: .*(cpu_flags_oracle_check|cpu_flags_check_ipi)|Call Trace:|cpu_flags: oracle:' \
	boot $name debug "$ISOL_ARGS kunit.enable=0" \
		"echo 'nested_off 1' >$CF/entry_test; $ENTRY_NMI_JOB" \
		"echo 'nested_off 0' >$CF/entry_test; $(oracle_job ORACLE1)" \
		"echo 'skip 3' >$CF/entry_test; defer_exec >/dev/null 2>&1; echo 'skip 0' >$CF/entry_test;" \
		"echo \"SKIP: \$(sed -n 's/^skip //p' $CF/entry_test)\"; $ORACLE_JOB" \
		"$PIN_IPI_JOB"
	landed=$(oracle_value $name ENTRY_NMI landed) did=$(oracle_value $name ENTRY_NMI did_work)
	f1=$(oracle_value $name ORACLE1 fired)
	if [ "${landed:-0}" -gt 0 ] && [ "$did" = 0 ] && [ "${f1:-0}" -gt 0 ]; then
		result ok "oracle control: with the nested-NMI fix off, the $landed NMIs in the window are caught ($f1 violations)"
	else
		result "not ok" "oracle control: nested-NMI fix off is caught" \
			"landed '${landed:-}', did the work '${did:-}', violations '${f1:-}': see $LOGS/$name.job.log"
	fi
	skipped=$(oracle_value $name SKIP skipped) f2=$(oracle_value $name ORACLE fired)
	if [ "${skipped:-0}" -gt 0 ] && [ "${f2:-0}" -ge $((${f1:-0} + skipped)) ]; then
		result ok "oracle control: $skipped entries that skipped their work caught"
	else
		result "not ok" "oracle control: entries that skip their work are caught" \
			"skipped '${skipped:-}', violations '${f1:-}' then '${f2:-}': see $LOGS/$name.job.log"
	fi
	if grep -q 'cpu_flags oracle: deferred .* work not done' "$LOGS/$name.console.log"; then
		result ok "oracle control: the violation is a WARN naming the work and the entry"
	else
		result "not ok" "oracle control: the violation is a WARN" "see $LOGS/$name.console.log"
	fi
	if in_logs $name '^PIN-IPI: pinned=1 ' 'cpu_flags: CPU[0-9]* sends an IPI to CPU3, which it holds pinned'; then
		result ok "pin rule: a pinner that sends its target an IPI is caught (lockdep build)"
	else
		result "not ok" "pin rule: a pinner that sends its target an IPI is caught" \
			"see the PIN-IPI line of $LOGS/$name.job.log and $LOGS/$name.console.log"
	fi
}

# Machine checks and pins.  QEMU's monitor injects a broadcast machine
# check (every CPU gets one) right after the job pinned CPU 3, which runs a
# user-mode loop; QEMU broadcasts only for an Intel vendor, and the kernel
# makes the CPUs rendezvous only with a monarch timeout (mce=, in us).  A
# #MC that catches CPU 3 in user mode enters during the pin (the pin hook
# counts the entry) and every CPU returns; one that catches it waiting at
# its entry is an NMI-class entry and never waited.  Up to MCE_TRIES pins,
# until one's #MC entered from user mode.  The user-mode loop is the
# interference benchmark's SCHED_FIFO spinner (-F, load "idle"): a fair
# task would be kicked into the kernel by 6.12's deadline server several
# times a second, and wait out the pin there.
MCE_TRIES=8
# Holds of 800 ms: above the default bound of a pin, which would lose CPU 3,
# and long enough for the monitor's #MC to land while the host is busy
# (with 300 ms, 8 tries missed while another job ran on both host cores).
PIN_MAX_US=/sys/module/cpu_flags/parameters/pin_max_us
MCE_QEMU="--cpu max,vendor=GenuineIntel"
MCE_APPEND="mce=5000000 kunit.enable=0"
# mce_job [KNOB]: the guest's side; KNOB is written to entry_test first.
mce_job()
{
	[ -z "${1:-}" ] || echo "echo '$1' >$CF/entry_test"
	cat <<EOF
interference -F -t 120 -s 0 -S idle >/dev/null 2>&1 & spin=\$!
sleep 3
echo 2000000 >$PIN_MAX_US
echo 'start 3' >$CF/pin_test
for i in \$(seq $MCE_TRIES); do
	(echo 'pin 800000 balanced' >$CF/pin_test) & p=\$!
	sleep 0.02; echo "MCE-NOW \$i"
	wait \$p
	d=\$(sed -n 's/.*entries_during=\([0-9]*\).*/\1/p' $CF/pin_test)
	echo "MCE-PIN \$i entries_during=\$d"
	[ "\$d" -gt 0 ] && break
	sleep 0.5
done
echo stop >$CF/pin_test; kill \$spin
echo "MCE-COUNT: \$(grep '^ *MCE:' /proc/interrupts)"
echo "MCE-EXITS: \$(grep exits_pinned $CF/entry_test)"
EOF
}

# mce_script: the host's side, one broadcast #MC per pin (bank 1: an
# uncorrected, signaled, action-optional memory scrubbing error).
mce_script()
{
	local i
	for i in $(seq $MCE_TRIES); do
		echo "after ^MCE-NOW $i\$"
		echo "send mce -b 3 1 0xb1000000000000c0 0x5 0 0"
	done
}

# mce_boot NAME [KNOB]: one boot of the test above; sets rc.
mce_boot()
{
	rc=0
	mce_job "${2:-}" >"$LOGS/$1.job.sh"
	mce_script >"$LOGS/$1.monitor"
	"$WB/qemu-run.sh" --quiet --variant debug --name "$1" $MCE_QEMU \
		--monitor-script "$LOGS/$1.monitor" --append "$ISOL_ARGS $MCE_APPEND" \
		--timeout "${BOOT_TIMEOUT:-600}" --job "$LOGS/$1.job.sh" 2>"$LOGS/$1.verdict" || rc=$?
}

# exits_pinned NAME: how many exits into USER found PIN held (entry_test).
exits_pinned()
{
	tr -d '\r' <"$LOGS/$1.job.log" | sed -n 's/^MCE-EXITS: .*exits_pinned \([0-9]*\).*/\1/p' | tail -1
}

check_mce_pin()
{
	local name=check-mce-pin hit rc ex
	mce_boot $name
	hit=$(grep -a -c 'MCE-PIN .* entries_during=[1-9]' "$LOGS/$name.job.log" || true)
	if [ $rc -eq 0 ] && [ "$hit" -gt 0 ]; then
		result ok "machine check: a broadcast #MC entered a pinned CPU from user mode during the pin, every CPU returned"
	else
		result "not ok" "machine check on a pinned CPU and its pinner" \
			"qemu-run rc $rc, pins the #MC entered: $hit: see $LOGS/$name.job.log, $LOGS/$name.verdict"
	fi
	# Only the handler runs beside the pinner: the #MC's exit waits for
	# the release, so no exit into USER finds PIN held.
	ex=$(exits_pinned $name)
	if [ "$hit" -gt 0 ] && [ "$ex" = 0 ]; then
		result ok "machine check: the pinned CPU's exit waited for the release (exits_pinned 0)"
	else
		result "not ok" "machine check: the pinned CPU's exit waits for the release" \
			"exits_pinned '${ex:-}' after $hit pins the #MC entered: see $LOGS/$name.job.log"
	fi
	# Its control: with the wait left out, the #MC's exit (task work,
	# interrupts) runs while the CPU is still pinned, and is counted.
	name=check-mce-tail-control
	mce_boot $name "mce_tail 1"
	hit=$(grep -a -c 'MCE-PIN .* entries_during=[1-9]' "$LOGS/$name.job.log" || true)
	ex=$(exits_pinned $name)
	if [ "$hit" -gt 0 ] && [ "${ex:-0}" -gt 0 ]; then
		result ok "machine check control: with mce_tail 1 the #MC's exit runs while pinned (exits_pinned $ex)"
	else
		result "not ok" "machine check control: mce_tail 1 must let the exit run while pinned" \
			"exits_pinned '${ex:-}' after $hit pins the #MC entered, qemu-run rc $rc: see $LOGS/$name.job.log"
	fi

	# The control: with the bug put back the rendezvous times out.
	name=check-mce-pin-control
	mce_boot $name "mce_wait 1"
	if grep -q 'Timeout: Not all CPUs entered broadcast exception handler' "$LOGS/$name.console.log"; then
		result ok "machine check control: with mce_wait 1 the pinned CPU waits and the rendezvous times out"
	else
		result "not ok" "machine check control: mce_wait 1 must deadlock the rendezvous" \
			"qemu-run rc $rc: see $LOGS/$name.console.log"
	fi
}

# taken_pcid NAME CPU: the taken_pcid column of CPU's stats line (tracked
# CPUs), found by the header's name (columns were added after it).
taken_pcid()
{
	sed -n '/^STATS-BEGIN/,/^STATS-END/p' "$LOGS/$1.job.log" | tr -d '\r' |
		awk -v cpu="$2" '$1 == "cpu" { for (i = 1; i <= NF; i++) if ($i == "taken_pcid") col = i }
			col && $1 == cpu && $2 == 1 { print $col }'
}

# The PCID entry path, under Bochs: TCG has no PCID, so everywhere else
# the PTI entry code's take (CPU_FLAGS_TAKE_WORK) is patched out.  Bochs's
# Haswell model has PCID and INVPCID; 2 CPUs, CPU 1 nohz_full, pti=on, the
# debug kernel.  The tests run there, and the stats' taken_pcid column
# (entries whose work the entry code took out of the word before its CR3
# write) proves the path ran.  Bochs's CPUID topology leaves make 6.12 warn
# once in parse_legacy() (stock too, see ../shared/TESTBED.md): allowed by
# name.  Its own target (make check-bochs), not in make check: see README.
BOCHS_ALLOW='WARNING: .*parse_legacy|Call Trace:'
# Every source but kprobe and module: their text allocations split large
# pages, whose flush IPI reaches every CPU on purpose (kept), and under
# Bochs the isolated CPU is often still in the kernel from that IPI when
# the same change's deferrable flush comes, which then needs an IPI too
# (seen: kprobe 1 in 24 ops, module 1 in 25, do_flush_tlb_all).  The TCG
# boots of make check run both.
BOCHS_SOURCES=idle,perf,bpf-jit,fork,vmalloc,trace-pid,trace-filter
BOCHS_PIN_SECONDS=${BOCHS_PIN_SECONDS:-20}
check_bochs()
{
	local name=check-bochs-pcid iso
	"$WB/deps.sh" bochs >&2 || die "cannot install Bochs (deps.sh bochs)"
	ensure_built debug
	BOOT_OPTS="--emulator bochs --cpus 2" BOOT_TIMEOUT=${BOCHS_TIMEOUT:-3600} \
	BOOT_ALLOW=$BOCHS_ALLOW \
	boot $name debug "nohz_full=1 isolcpus=nohz,domain,managed_irq,1 rcu_nocbs=1 tsc=reliable pti=on kunit.enable=0" \
		"grep -qw pcid /proc/cpuinfo && grep -qw invpcid /proc/cpuinfo && echo 'PCID: yes';" \
		"defer_exec >/tmp/defer_exec.tap 2>&1; word_fault >/tmp/word_fault.tap 2>&1;" \
		"PIN_TORTURE_SECONDS=$BOCHS_PIN_SECONDS pin >/tmp/pin.tap 2>&1;" \
		"interference -t 5 -s 5 $BENCH_FLAGS -F -m 0 -S $BOCHS_SOURCES $INTERFERENCE_JSON" \
		"echo STATS-BEGIN; cat $CF/stats; echo STATS-END;" \
		"echo; cat /tmp/defer_exec.tap; echo; cat /tmp/word_fault.tap; echo; cat /tmp/pin.tap"
	report_streams $name \
		"interference:Bochs PCID, pti=on: kselftest interference, 0 IPIs from the load" \
		"defer_exec:Bochs PCID, pti=on: kselftest defer_exec" \
		"word_fault:Bochs PCID, pti=on: kselftest word_fault" \
		"pin:Bochs PCID, pti=on: kselftest pin"
	show_table $name
	console_clean $name "$BOCHS_ALLOW"
	if in_logs $name '^PCID: yes' 'Kernel/User page tables isolation: enabled'; then
		result ok "Bochs: the guest has PCID and INVPCID and runs with PTI"
	else
		result "not ok" "Bochs: the guest has PCID and INVPCID and runs with PTI" \
			"see $LOGS/$name.job.log and $LOGS/$name.console.log"
	fi
	iso=$(taken_pcid $name 1)
	if [ "${iso:-0}" -gt 0 ]; then
		result ok "Bochs: the PCID entry path took deferred work before its CR3 write on $iso entries of CPU 1"
	else
		result "not ok" "Bochs: the PCID entry path took deferred work" \
			"taken_pcid of CPU 1 is '${iso:-}': see the STATS lines of $LOGS/$name.job.log"
	fi
}

# Work done in the background (make check's "all"): while the debug
# kernel's boots keep one core busy (TCG runs single-threaded), niced
# jobs on the other core build the kernels that only later parts boot and
# compile every commit (bisect).  ensure_built and check_bisect wait for
# their item and name its log when it failed.
BG=$LOGS/background BG_PIDS=
# bg_reset: no queue running, no item pending.
bg_reset()
{
	bg_stop
	rm -rf "$BG"
	mkdir -p "$BG"
}

# bg_start ITEM...: one more queue, its items built one after the other,
# beside the queues already started (the bisect check's compiles start
# with the build part: they use worktrees and build directories of their
# own, and take the idle core in its single-threaded steps).
bg_start()
{
	local v
	mkdir -p "$BG"
	for v in "$@"; do
		if [ "$v" != bisect ]; then
			variant_info "$v"
			[ ! -r "$v_image" ] || continue
		fi
		rm -f "$BG/$v.rc"
		: >"$BG/$v.pending"
	done
	# A process group of its own (set -m), so that bg_stop stops the
	# compilers too when make check ends early.
	set -m
	(
		for v in "$@"; do
			[ -e "$BG/$v.pending" ] || continue
			rc=0
			if [ "$v" = bisect ]; then
				BISECT_ARM64=last BISECT_SERIAL=1 nice -n 19 env JOBS=1 "$WB/bisect-check.sh" fast \
					>"$LOGS/check-bisect.tap" 2>&1 || rc=$?
			else
				nice -n 19 env JOBS=1 "$WB/build-kernel.sh" "$v" >"$BG/$v.out" 2>&1 || rc=$?
			fi
			echo $rc >"$BG/$v.rc.tmp" && mv "$BG/$v.rc.tmp" "$BG/$v.rc"
		done
	) </dev/null >/dev/null 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	set +m
	# Also when make check is interrupted or killed (an exit from a signal
	# trap runs the EXIT trap; an untrapped signal would not).
	trap bg_stop EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	echo "# in the background (nice 19, one compile job): $* ($BG)"
}

bg_stop()
{
	local p
	for p in $BG_PIDS; do kill -- -"$p" 2>/dev/null || true; done
	BG_PIDS=
}

bg_alive()
{
	local p
	for p in $BG_PIDS; do kill -0 "$p" 2>/dev/null && return 0; done
	return 1
}

# bg_wait ITEM: wait for an item that bg_start began in this run; fails if
# it failed.  One whose queue is gone without a result is no longer pending.
bg_wait()
{
	local t0=$SECONDS
	[ -n "$BG_PIDS" ] && [ -e "$BG/$1.pending" ] || return 0
	until [ -e "$BG/$1.rc" ]; do
		if ! bg_alive; then
			[ -e "$BG/$1.rc" ] && break
			rm -f "$BG/$1.pending"
			return 0
		fi
		sleep 5
	done
	[ $((SECONDS - t0)) -lt 10 ] || echo "# waited $((SECONDS - t0)) s for the background $1" >&2
	rm -f "$BG/$1.pending"
	[ "$(cat "$BG/$1.rc")" = 0 ] || { [ ! -e "$BG/$1.out" ] || sed 's/^/#   /' "$BG/$1.out" | tail -20 >&2; return 1; }
}

ensure_built()
{
	variant_info "$1"
	bg_wait "$1" || die "the background build of the $1 kernel failed: see $BG/$1.out"
	[ -r "$v_image" ] || "$WB/build-kernel.sh" "$1" >&2 || die "cannot build the $1 kernel"
	[ -r "$B/initramfs.cpio" ] || "$WB/mkinitramfs.sh" >&2 || die "cannot build the guest"
}

check_kunit_kselftest()
{
	local name=check-debug pti taken
	ensure_built debug
	# A bad cpu_flags.defer= value is reported and ignored.  Deferral on,
	# PTI off: no IPI of the load may reach an isolated CPU.
	boot $name debug "$ISOL_ARGS cpu_flags.defer=maybe${KUNIT_GLOB:+ kunit.filter_glob=$KUNIT_GLOB}" \
		"$ENTRY_NMI_JOB" \
		"cat /sys/kernel/debug/cpu_flags/stats; defer_exec >/tmp/defer_exec.tap 2>&1;" \
		"word_fault >/tmp/word_fault.tap 2>&1;" \
		"PIN_TORTURE_SECONDS=${PIN_TORTURE_SECONDS:-30} pin >/tmp/pin.tap 2>&1;" \
		"interference -t $CHECK_BENCH_SECONDS -s 5 $BENCH_FLAGS -R -M 0 $INTERFERENCE_JSON" \
		"fair_guard >/tmp/fair_guard.tap 2>&1; fair_guard -z >/tmp/fair_guard_z.tap 2>&1;" \
		"interference -X $CHECK_MIXED_SECONDS -s 2 $BENCH_FLAGS -M 0 >/tmp/mixed.tap;" \
		"$ORACLE_JOB" \
		"echo; cat /tmp/defer_exec.tap; echo; cat /tmp/word_fault.tap; echo; cat /tmp/pin.tap;" \
		"echo; cat /tmp/fair_guard.tap; echo; cat /tmp/fair_guard_z.tap; echo; cat /tmp/mixed.tap"
	report_tap kunit "$LOGS/$name.console.log"
	report_streams $name \
		"interference:kselftest interference, deferral on, pti=off: no interruption of isolated CPUs" \
		"defer_exec:kselftest defer_exec" "word_fault:kselftest word_fault, pti=off" \
		"pin:kselftest pin, pti=off" \
		"fair_guard:kselftest fair_guard: the fair server guards fair tasks after standing down"
	# fair_guard's control: with the CPU's fair server off, both orders
	# must starve the fair task, so both checks fail.
	nth_tap 6 "$LOGS/$name.job.log" >"$LOGS/$name.fair_guard_z.tap"
	if [ "$(grep -c '^not ok' "$LOGS/$name.fair_guard_z.tap")" = 2 ]; then
		result ok "fair_guard -z (control): with the fair server off, the fair task starves in both orders"
	else
		result "not ok" "fair_guard -z (control): with the fair server off, the fair task starves" \
			"expected 2 failures: see $LOGS/$name.fair_guard_z.tap"
	fi
	nth_tap 7 "$LOGS/$name.job.log" >"$LOGS/$name.mixed.tap"
	report_tap "kselftest interference, every source at once for ${CHECK_MIXED_SECONDS}s, pti=off: no interruption" \
		"$LOGS/$name.mixed.tap" --expect-plan
	show_table $name
	console_clean $name
	entry_results $name off
	if grep -q 'cpu_flags.defer=maybe is not a boolean' "$LOGS/$name.console.log" &&
	   grep -q '^defer on' "$LOGS/$name.job.log"; then
		result ok "cpu_flags.defer=maybe is reported and deferral stays on"
	else
		result "not ok" "cpu_flags.defer=maybe is reported and deferral stays on" \
			"see $LOGS/$name.console.log and $name.job.log"
	fi

	# The same with PTI on: the entry code takes the work before its CR3
	# write, and the word's page is mapped in the user page tables.
	name=check-debug-pti
	boot $name debug "$ISOL_ARGS pti=on" \
		"$ENTRY_NMI_JOB" \
		"if grep -qw pcid /proc/cpuinfo; then echo 'PCID: yes'; else echo 'PCID: no'; fi;" \
		"defer_exec >/tmp/defer_exec.tap 2>&1; word_fault >/tmp/word_fault.tap 2>&1;" \
		"PIN_TORTURE_SECONDS=20 pin >/tmp/pin.tap 2>&1;" \
		"interference -t $CHECK_BENCH_SECONDS -s 5 $BENCH_FLAGS -R -M 0 $INTERFERENCE_JSON" \
		"$ORACLE_JOB echo STATS-BEGIN; cat $CF/stats; echo STATS-END;" \
		"echo; cat /tmp/defer_exec.tap; echo; cat /tmp/word_fault.tap; echo; cat /tmp/pin.tap"
	# The suites run at every boot; here they meet the PTI entry code.
	report_tap "kunit, pti=on" "$LOGS/$name.console.log"
	report_streams $name \
		"interference:kselftest interference, deferral on, pti=on: no interruption of isolated CPUs" \
		"defer_exec:kselftest defer_exec, pti=on" "word_fault:kselftest word_fault, pti=on" \
		"pin:kselftest pin, pti=on"
	show_table $name
	console_clean $name
	entry_results $name on
	if grep -q 'Kernel/User page tables isolation: enabled' "$LOGS/$name.console.log"; then
		result ok "pti=on: the guest runs with page table isolation"
	else
		result "not ok" "pti=on: the guest runs with page table isolation" "see $LOGS/$name.console.log"
	fi
	# Which entry path the tests above ran: with PCID the kernel CR3 write
	# drops NOFLUSH for a taken flush; without, every CR3 write flushes.
	if grep -q '^PCID: yes' "$LOGS/$name.job.log"; then
		result ok "pti=on: the guest has PCID: the tests above ran the PCID entry path"
	else
		result skip "pti=on: the PCID entry path" \
			"no PCID in the guest (TCG has none); make check-bochs runs it"
		# The counter's control: without PCID the entry code takes nothing.
		taken=$(taken_pcid $name 3)
		if [ "$taken" = 0 ]; then
			result ok "pti=on without PCID: taken_pcid stays 0 (the counter's control for check-bochs)"
		else
			result "not ok" "pti=on without PCID: taken_pcid stays 0" \
				"CPU 3's taken_pcid is '$taken': see the STATS lines of $LOGS/$name.job.log"
		fi
	fi

	check_oracle_control
	check_mce_pin

	# The control: with cpu_flags.defer=0 every deferral is refused and the
	# sources that patch text or purge vmalloc send IPIs to isolated CPUs.
	# With pti=off, also the control of -R (measure again): a source whose
	# IPIs deferral no longer stops fails in the second window too.
	local again
	for pti in off on; do
		name=check-defer-off-pti-$pti
		again=
		[ $pti = on ] || again="interference -t 2 -s 2 $BENCH_FLAGS -R -M 0 -S perf >/tmp/again.tap 2>&1;
			grep -q '^not ok .*in the second window too' /tmp/again.tap &&
			grep -q 'measured again (-R)' /tmp/again.tap && echo REMEASURE-CONTROL-CAUGHT;
			sed 's/^/again: /' /tmp/again.tap | grep -v '^again: *{';"
		boot $name debug "$ISOL_ARGS cpu_flags.defer=0 pti=$pti" \
			"defer_exec >/tmp/defer_exec.tap 2>&1; pin >/tmp/pin.tap 2>&1; $again" \
			"interference -X $CHECK_MIXED_SECONDS -s 2 $BENCH_FLAGS -n 1 >/tmp/mixed.tap;" \
			"interference -t $CHECK_BENCH_SECONDS -s 5 $BENCH_FLAGS $DEFER_OFF_SOURCES $INTERFERENCE_JSON" \
			"echo; cat /tmp/defer_exec.tap; echo; cat /tmp/pin.tap; echo; cat /tmp/mixed.tap"
		report_streams $name \
			"interference:control, cpu_flags.defer=0, pti=$pti: the load's IPIs reach isolated CPUs" \
			"defer_exec:kselftest defer_exec, cpu_flags.defer=0, pti=$pti" \
			"pin:kselftest pin, cpu_flags.defer=0, pti=$pti" \
			"mixed:control, cpu_flags.defer=0, pti=$pti: every source at once, the load's IPIs reach isolated CPUs"
		show_table $name
		console_clean $name
		if grep -q '^# .*deferral off (control)' "$LOGS/$name.job.log"; then
			result ok "cpu_flags.defer=0 switches deferral off (pti=$pti)"
		else
			result "not ok" "cpu_flags.defer=0 switches deferral off (pti=$pti)" "see $LOGS/$name.job.log"
		fi
		[ -n "$again" ] || continue
		if grep -q '^REMEASURE-CONTROL-CAUGHT' "$LOGS/$name.job.log"; then
			result ok "interference -R (control): an interruption the load causes fails its second window too"
		else
			result "not ok" "interference -R (control): perf with deferral off" \
				"expected a failure in the second window: see the 'again:' lines of $LOGS/$name.job.log"
		fi
	done
}

# The kernel's x86 entry selftests (64-bit, static), on the patched kernel
# with isolated CPUs, PTI on and off.  Those that fail or hang on the stock
# kernel under TCG as well are skipped by name (TESTBED.md: emulator
# limits, not kernel bugs).
X86_SKIP="sysret_ss_attrs_64 fsgsbase_64 fsgsbase_restore_64 mov_ss_trap_64 test_shadow_stack_64"
# Bad input: wrong boot parameters are reported by name and leave safe
# values (deferral on; pin_max_us the last good value, the one qemu-run
# gives TCG guests, guest_pin_max_us), and the kselftest bad_input writes
# wrong values to every run-time knob (each refused, pin_max_us unchanged and warned about,
# nothing armed), with right values as its control.
check_bad_input()
{
	local name=check-bad-input c log us
	us=$(guest_pin_max_us "$CPUS")
	ensure_built debug
	boot $name debug "$ISOL_ARGS kunit.enable=0 cpu_flags.defer= cpu_flags.pin_max_us=abc cpu_flags.pin_max_us=0" \
		"echo pin_max_us=\$(cat /sys/module/cpu_flags/parameters/pin_max_us);" \
		"grep '^defer' /sys/kernel/debug/cpu_flags/stats; bad_input"
	STRICT_SKIP='^never$' report_tap "kselftest bad_input" "$LOGS/$name.job.log" --expect-plan
	log=$LOGS/$name.console.log
	for c in 'cpu_flags.defer= is not a boolean: deferral stays on' \
		 "cpu_flags.pin_max_us=abc is not a positive number of microseconds: it stays $us" \
		 "cpu_flags.pin_max_us=0 is not a positive number of microseconds: it stays $us"; do
		if grep -qF "$c" "$log"; then
			result ok "bad boot parameter reported: $c"
		else
			result "not ok" "bad boot parameter reported: $c" "not in $log"
		fi
	done
	if tr -d '\r' <"$LOGS/$name.job.log" | grep -qx "pin_max_us=$us" &&
	   tr -d '\r' <"$LOGS/$name.job.log" | grep -qx 'defer on'; then
		result ok "after bad boot parameters: deferral on, pin_max_us $us"
	else
		result "not ok" "after bad boot parameters: deferral on, pin_max_us $us" \
			"$(grep -E '^(pin_max_us|defer)' "$LOGS/$name.job.log" | tr '\n' ' ')"
	fi
}

check_x86_selftests()
{
	local pti name t rc
	ensure_built debug
	for pti in off on; do
		name=check-x86-pti-$pti
		boot $name debug "$ISOL_ARGS pti=$pti" \
			"cd /opt/tests/x86 && for t in *_64; do case ' $X86_SKIP ' in" \
			"*\" \$t \"*) echo \"X86: \$t skip\"; continue;; esac;" \
			"timeout 120 ./\$t >/tmp/\$t.log 2>&1; echo \"X86: \$t \$?\"; done"
		local count=0
		while read -r _ t rc; do
			count=$((count + 1))
			case "$rc" in
			0) result ok "x86 selftest $t, pti=$pti" ;;
			4) result skip "x86 selftest $t, pti=$pti" "the test skipped itself" ;;
			skip) result skip "x86 selftest $t, pti=$pti" "fails or hangs on stock 6.12 under TCG too" ;;
			*) result "not ok" "x86 selftest $t, pti=$pti" "exit $rc" ;;
			esac
		done < <(grep -a '^X86: ' "$LOGS/$name.job.log" | tr -d '\r')
		[ $count -ge 15 ] || result "not ok" "x86 selftests, pti=$pti" "only $count ran: see $LOGS/$name.job.log"
	done
}

# rcutorture scenarios: a config is the debug kernel, a scenario is boot
# arguments plus rcutorture module parameters.  The verdict is rcutorture's
# "End of test: SUCCESS" line on a console with no splat.
: "${RCUTORTURE_SECONDS:=60}"
# scenario_args -v|"" FILE: a .boot file's kernel arguments (-v), or its
# rcutorture.* ones as the module's parameters: insmod, unlike modprobe,
# does not take them from the command line.
scenario_args()
{
	tr -s ' \n' '\n\n' <"$2" | if [ "$1" = -v ]; then grep -v '^rcutorture\.' || true
	else sed -n 's/^rcutorture\.//p'; fi | tr '\n' ' '
}

# rcutorture_scenario NAME APPEND PARAMS [VARIANT [USER]]: USER non-empty
# runs entry_target on the nohz_full CPUs for the whole run, so that they
# move between user mode and the kernel rather than only idle.
rcutorture_scenario()
{
	local name=$1 append=$2 params=$3 variant=${4:-debug} user=${5:-} m pre=
	m='/lib/modules/$(uname -r)/kernel/kernel'
	[ -z "$user" ] || pre="entry_target -t $((RCUTORTURE_SECONDS + 5)) >/tmp/et.log 2>&1 & et=\$!;"
	ensure_built "$variant"
	# The guest's timeout grows with the run (RCUTORTURE_SECONDS=600).
	BOOT_TIMEOUT=$((RCUTORTURE_SECONDS + 600)) boot "$name" "$variant" "$append" \
		"$pre insmod $m/torture.ko && insmod $m/rcu/rcutorture.ko $params &&" \
		"sleep $RCUTORTURE_SECONDS && rmmod rcutorture" \
		"${user:+; wait \$et; echo \"ENTRY_TARGET: rc=\$?\"; cat /tmp/et.log}"
	if grep -q 'End of test: SUCCESS' "$LOGS/$name.console.log"; then
		result ok "$name: rcutorture End of test: SUCCESS (${RCUTORTURE_SECONDS}s)"
	else
		result "not ok" "$name: rcutorture" \
			"$(grep -m1 -o 'End of test: [A-Z_]*' "$LOGS/$name.console.log" || echo 'no End of test line')"
	fi
	[ -n "$user" ] || return 0
	# Every nohz_full CPU's task ran and entered the kernel all along.
	if grep -aq '^ENTRY_TARGET: rc=0' "$LOGS/$name.job.log" &&
	   [ "$(grep -ac '^# entry_target: CPU[0-9]*: syscall [1-9]' "$LOGS/$name.job.log")" -ge 3 ]; then
		result ok "$name: user tasks entered the kernel on the nohz_full CPUs throughout"
	else
		result "not ok" "$name: user tasks on the nohz_full CPUs" "see $LOGS/$name.job.log"
	fi
}

# The cpu_flags torture (kernel/cpu_flags/cpu_flags_torture.c, see
# cpu-flags.rst "Torture"): writer kthreads on the housekeeping CPUs defer
# work to, pin, call and skip the nohz_full CPUs while entry_target enters
# the kernel there at random and CPUs go offline and online, for at least
# CPU_FLAGS_TORTURE_SECONDS and until the counts below are reached (TCG's
# speed varies with the host's load), at most TORTURE_MAX_SECONDS.
# Verdict: End of test: SUCCESS, lost work 0, at least
# TORTURE_MIN_DEFERRALS deferrals and TORTURE_MIN_PINS pins, CPUs taken
# offline and back, and the oracle silent.  The negative control, on the
# same boot afterwards: with entries skipping their work (entry_test
# "skip") the torture must end in FAILURE with lost work.  make check's
# counts take about a minute under TCG; make torture-long asks for 10^6
# deferrals and 10^5 pins (about 8 minutes).
: "${CPU_FLAGS_TORTURE_SECONDS:=60}" "${TORTURE_MAX_SECONDS:=240}"
: "${TORTURE_MIN_DEFERRALS:=200000}" "${TORTURE_MIN_PINS:=10000}"
torture_value()
{
	sed -n "s/.*\b$2 \([0-9]*\).*/\1/p" <<<"$1"
}

check_cpu_flags_torture()
{
	local name=check-torture m secs=$CPU_FLAGS_TORTURE_SECONDS final verdicts v ran
	local max=$TORTURE_MAX_SECONDS
	[ "$max" -ge "$secs" ] || max=$secs
	local deferrals pins lost late broken missed onoff off_ok on_ok fired
	ensure_built debug
	m='/lib/modules/$(uname -r)/kernel/kernel'
	BOOT_TIMEOUT=$((max + 600)) \
	BOOT_ALLOW='WARNING: .*cpu_flags_oracle_check|Call Trace:|cpu_flags: oracle:' \
	boot $name debug "$ISOL_ARGS kunit.enable=0" \
		"insmod $m/torture.ko;" \
		"for p in nwriters=0 pin_hold_us=501 late_ms=-1 torture_type=rcu; do" \
		" if insmod $m/cpu_flags/cpu_flags_torture.ko \$p 2>/dev/null; then rmmod cpu_flags_torture;" \
		" echo \"TORTURE-PARAM: \$p accepted\"; else echo \"TORTURE-PARAM: \$p refused\"; fi; done;" \
		"entry_target -t $((max + 60)) >/tmp/et.log & et=\$!; sleep 2;" \
		"insmod $m/cpu_flags/cpu_flags_torture.ko onoff_interval=50 onoff_holdoff=5 stat_interval=10;" \
		"t=0; while [ \$t -lt $max ]; do sleep 10; t=\$((t + 10));" \
		" l=\$(dmesg | grep 'cpu_flags_torture: Stats:' | tail -1);" \
		" d=\$(echo \"\$l\" | sed -n 's/.* deferrals \([0-9]*\) .*/\1/p');" \
		" p=\$(echo \"\$l\" | sed -n 's/.* pins \([0-9]*\) .*/\1/p');" \
		" [ \$t -ge $secs ] && [ \${d:-0} -ge $TORTURE_MIN_DEFERRALS ] && [ \${p:-0} -ge $TORTURE_MIN_PINS ] && break;" \
		"done; echo \"TORTURE-SECONDS: \$t\"; rmmod cpu_flags_torture;" \
		"echo \"ORACLE: \$(tr '\n' ' ' <$CF/oracle)\";" \
		"echo 'skip 1000000' >$CF/entry_test;" \
		"insmod $m/cpu_flags/cpu_flags_torture.ko stat_interval=0; sleep 15; rmmod cpu_flags_torture;" \
		"echo 'skip 0' >$CF/entry_test; killall -TERM entry_target; wait \$et;" \
		"echo \"ENTRY_TARGET: rc=\$?\"; cat /tmp/et.log"
	final=$(grep -a 'cpu_flags_torture: Final:' "$LOGS/$name.console.log" | head -1 | tr -d '\r')
	verdicts=$(grep -ao 'End of test: [A-Z]*' "$LOGS/$name.console.log" | tr '\n' ' ')
	ran=$(grep -a '^TORTURE-SECONDS: ' "$LOGS/$name.job.log" | tr -d '\r' | sed 's/.* //')
	secs=${ran:-?}
	sed 's/^/# /' <<<"${final:-no Final line}"
	deferrals=$(torture_value "$final" deferrals) pins=$(torture_value "$final" pins)
	lost=$(torture_value "$final" lost) late=$(torture_value "$final" late)
	broken=$(torture_value "$final" pin_broken) missed=$(torture_value "$final" missed)
	# torture_onoff_stats(): "onoff: ONLINE_OK/ONLINE_TRIED:OFFLINE_OK/OFFLINE_TRIED ..."
	onoff=$(grep -ao 'onoff: [0-9]*/[0-9]*:[0-9]*/[0-9]*' <<<"$final" || true)
	on_ok=$(sed -n 's|onoff: \([0-9]*\)/.*|\1|p' <<<"$onoff")
	off_ok=$(sed -n 's|onoff: [0-9]*/[0-9]*:\([0-9]*\)/.*|\1|p' <<<"$onoff")
	fired=$(grep -a '^ORACLE: ' "$LOGS/$name.job.log" | tr -d '\r' | sed -n 's/.*fired \([0-9]*\).*/\1/p')
	if [[ $verdicts == "End of test: SUCCESS "* ]] && [ "${lost:-1}" = 0 ] && [ "${late:-1}" = 0 ] &&
	   [ "${broken:-1}" = 0 ] && [ "${missed:-1}" = 0 ]; then
		result ok "cpu_flags torture: End of test: SUCCESS, ${deferrals} deferrals, ${pins} pins, lost 0 (${secs}s)"
	else
		result "not ok" "cpu_flags torture: SUCCESS with nothing lost" \
			"verdicts '${verdicts}', lost '${lost:-}', late '${late:-}', pin_broken '${broken:-}', missed calls '${missed:-}': see $LOGS/$name.console.log"
	fi
	if [ "${deferrals:-0}" -ge "$TORTURE_MIN_DEFERRALS" ] && [ "${pins:-0}" -ge "$TORTURE_MIN_PINS" ]; then
		result ok "cpu_flags torture: at least $TORTURE_MIN_DEFERRALS deferrals and $TORTURE_MIN_PINS pins"
	else
		result "not ok" "cpu_flags torture: at least $TORTURE_MIN_DEFERRALS deferrals and $TORTURE_MIN_PINS pins" \
			"${deferrals:-none} deferrals, ${pins:-none} pins in ${secs}s (at most $max)"
		# A hold past the bound stops that CPU's pins for the rest of the run.
		grep -a 'held CPU[0-9]* pinned for' "$LOGS/$name.console.log" | sed 's/^/#   /' || true
	fi
	if [ "${off_ok:-0}" -gt 0 ] && [ "${on_ok:-0}" -gt 0 ]; then
		result ok "cpu_flags torture: CPUs went offline and online during the run (${onoff#onoff: })"
	else
		result "not ok" "cpu_flags torture: CPU hotplug in the loop" "onoff '${onoff:-none}'"
	fi
	if [ "${fired:-1}" = 0 ]; then
		result ok "cpu_flags torture: the oracle found every deferral done at its entry"
	else
		result "not ok" "cpu_flags torture: the oracle stays silent" "fired '${fired:-}': see $LOGS/$name.job.log"
	fi
	if grep -aq '^ENTRY_TARGET: rc=0' "$LOGS/$name.job.log"; then
		result ok "cpu_flags torture: entry_target ran on the nohz_full CPUs to the end"
	else
		result "not ok" "cpu_flags torture: entry_target" "see $LOGS/$name.job.log"
	fi
	# Wrong module parameters: each refused, with a message saying why.
	v=$(grep -a '^TORTURE-PARAM: ' "$LOGS/$name.job.log" | tr -d '\r')
	if [ "$(grep -c ' refused$' <<<"$v")" = 4 ] &&
	   grep -aq 'cpu_flags_torture: nwriters and late_ms must be positive' "$LOGS/$name.console.log" &&
	   grep -aq 'cpu_flags_torture: torture_type=rcu: only' "$LOGS/$name.console.log"; then
		result ok "cpu_flags torture: wrong module parameters are refused with a reason (4)"
	else
		result "not ok" "cpu_flags torture: wrong module parameters refused" "$(tr '\n' ';' <<<"$v")"
	fi
	v=$(grep -a 'cpu_flags_torture: Final:' "$LOGS/$name.console.log" | sed -n 2p | tr -d '\r')
	if [[ $verdicts == *" End of test: FAILURE "* ]] && [ "$(torture_value "$v" lost)" -gt 0 ] 2>/dev/null; then
		result ok "cpu_flags torture control: entries that skip their work give FAILURE ($(torture_value "$v" lost) lost)"
	else
		result "not ok" "cpu_flags torture control: skipped work is caught" \
			"verdicts '${verdicts}', second Final line '${v:-none}'"
	fi
}

# Entry cost in instructions (entry-cost.sh --quick: one -icount boot each
# of stock and cpu_flags, PTI off): with nothing pending, a getpid round
# trip on cpu_flags executes no more instructions than on stock, on the
# housekeeping and the isolated CPU, and the isolated CPU's traced kernel
# path has one locked instruction per transition, as stock's.  Each
# boot traces its round trip twice, and the two must agree.  The control:
# the same assertion against the debug kernel (lockdep and PROVE_RCU add
# instructions to that path) must fail.
# entry_cost_field KEY...: a value of summary.json, "-" when it is missing.
entry_cost_field()
{
	python3 - "$B/results/entry-cost/summary.json" "$@" <<'PY2'
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    v = v.get(k) if isinstance(v, dict) else None
print("-" if v is None else v)
PY2
}

check_entry_cost()
{
	local cpu r lk lks tr
	ensure_built patched
	ensure_built baseline
	if ! "$WB/entry-cost.sh" --quick >"$LOGS/check-entry-cost.out" 2>&1; then
		result "not ok" "entry cost: the -icount boots" "see $LOGS/check-entry-cost.out"
		tail -5 "$LOGS/check-entry-cost.out" | sed 's/^/#   /'
		return 0
	fi
	sed -n '/^| /p' "$LOGS/check-entry-cost.out" | sed 's/^/# /'
	for cpu in hk iso; do
		r=$(entry_cost_field off $cpu "cpu_flags ratio")
		[ "$r" = - ] || r=$(printf '%.3f' "$r")
		if awk -v r="$r" 'BEGIN { exit !(r != "-" && r + 0 > 0 && r + 0 <= 1.0005) }'; then
			result ok "entry cost: pti=off, $cpu CPU: cpu_flags/stock = $r instructions, <= 1.000"
		else
			result "not ok" "entry cost: pti=off, $cpu CPU: cpu_flags/stock = $r instructions, wanted <= 1.000"
		fi
	done
	lk=$(entry_cost_field off iso "cpu_flags locked")
	lks=$(entry_cost_field off iso "stock locked")
	if [ "$lk" = 2 ] && [ "$lks" = 2 ]; then
		result ok "entry cost: isolated CPU: one locked instruction per transition (cpu_flags $lk, stock $lks per round trip)"
	else
		result "not ok" "entry cost: isolated CPU: locked instructions per round trip: cpu_flags $lk, stock $lks, wanted 2 each"
	fi
	tr=$(entry_cost_field off iso "cpu_flags traces")
	if [ "$(tr -d '[] ' <<<"$tr" | tr ',' '
' | sort -u | wc -l)" = 1 ] && [ "$tr" != - ]; then
		result ok "entry cost: two traces of the isolated CPU's round trip agree ($tr)"
	else
		result "not ok" "entry cost: two traces of the isolated CPU's round trip differ ($tr)"
	fi
	ensure_built debug
	if ! "$WB/entry-cost.sh" --quick --against debug >"$LOGS/check-entry-cost-control.out" 2>&1; then
		result "not ok" "entry cost: control: the -icount boots" "see $LOGS/check-entry-cost-control.out"
		return 0
	fi
	r=$(entry_cost_field off iso "cpu_flags ratio")
	[ "$r" = - ] || r=$(printf '%.3f' "$r")
	if awk -v r="$r" 'BEGIN { exit !(r != "-" && r + 0 > 1.0005) }'; then
		result ok "entry cost: control: the debug kernel fails the assertion (isolated CPU: $r of stock)"
	else
		result "not ok" "entry cost: control: the debug kernel passed the assertion (isolated CPU: $r of stock)"
	fi
}

# More CPUs: 16 vCPUs, 12 of them isolated (SMP16_ISOLATED), on the debug
# kernel: the word's KUnit suites at boot, the pin test (on the first
# isolated CPU, while the interference spinners are gone), the
# interference check with its zero from every source, and a clean console;
# then the zero's control, cpu_flags.defer=0 on the same machine, where
# the sources that patch text or flush kernel TLBs must reach the isolated
# CPUs.  The spinners pause, so they share the emulator's one thread.
: "${SMP16_CPUS:=16}" "${SMP16_ISOLATED:=4-15}" "${SMP16_BENCH_SECONDS:=4}"
check_many_cpus()
{
	local name=check-smp$SMP16_CPUS iso=$SMP16_ISOLATED online
	ensure_built debug
	BOOT_OPTS="--cpus $SMP16_CPUS" BOOT_TIMEOUT=1800 boot $name debug \
		"$(isol_args $iso)${KUNIT_GLOB:+ kunit.filter_glob=$KUNIT_GLOB}" \
		"echo \"ONLINE: \$(cat /sys/devices/system/cpu/online) NOHZ_FULL: \$(cat /sys/devices/system/cpu/nohz_full)\";" \
		"PIN_TORTURE_SECONDS=20 pin >/tmp/pin.tap 2>&1;" \
		"interference -t $SMP16_BENCH_SECONDS -s 5 $BENCH_FLAGS -R -M 0 $INTERFERENCE_JSON" \
		"echo; cat /tmp/pin.tap"
	online=$(grep -a '^ONLINE: ' "$LOGS/$name.job.log" | tr -d '\r' | head -1)
	if [ "$online" = "ONLINE: 0-$((SMP16_CPUS - 1)) NOHZ_FULL: $iso" ]; then
		result ok "$name: $SMP16_CPUS CPUs online, $iso nohz_full"
	else
		result "not ok" "$name: $SMP16_CPUS CPUs online, $iso nohz_full" "the guest says '${online:-nothing}'"
	fi
	report_tap "kunit, $SMP16_CPUS vCPUs" "$LOGS/$name.console.log"
	report_streams $name \
		"interference:kselftest interference, $SMP16_CPUS vCPUs: no interruption of CPUs $iso" \
		"pin:kselftest pin, $SMP16_CPUS vCPUs"
	show_table $name
	console_clean $name

	name=check-smp$SMP16_CPUS-defer-off
	BOOT_OPTS="--cpus $SMP16_CPUS" BOOT_TIMEOUT=1800 boot $name debug \
		"$(isol_args $iso) cpu_flags.defer=0" \
		"interference -t $SMP16_BENCH_SECONDS -s 5 $BENCH_FLAGS $DEFER_OFF_SOURCES $INTERFERENCE_JSON"
	report_streams $name \
		"interference:control, cpu_flags.defer=0, $SMP16_CPUS vCPUs: the load's IPIs reach CPUs $iso"
	show_table $name
	console_clean $name
}

check_rcutorture()
{
	ensure_built debug
	# Like the kernel's TREE04 (nohz_full=1-N): every CPU's callbacks
	# offloaded but one, CPU hotplug, grace-period delays.  Unlike TREE04
	# the rcu_node tree has one level: NR_CPUS=8 fits one leaf, and a
	# smaller rcutree.rcu_fanout_leaf needs RCU_FANOUT set at build time.
	# With PTI on
	# (the emulated CPU is not Meltdown-affected, so PTI is off unless
	# forced) while the other scenario runs with it off.
	# User tasks on the nohz_full CPUs enter the kernel at random meanwhile.
	rcutorture_scenario rcutorture-nohz-full \
		"nohz_full=1-3 rcu_nocbs=1-3 rcutree.gp_init_delay=3 rcutree.gp_cleanup_delay=3 pti=on" \
		"torture_type=rcu onoff_interval=3000 onoff_holdoff=10 stat_interval=15 test_no_idle_hz=1" \
		debug user
	# And without nohz_full: the idle path, IRQs and NMIs from idle.
	rcutorture_scenario rcutorture-idle "" \
		"torture_type=rcu onoff_interval=3000 onoff_holdoff=10 stat_interval=15"
	# CPUFLAGS01, kept in the kernel's format in the tree (rcu-glue/): its
	# config fragment is the rcu variant's last, its .boot the command line
	# (rcutorture.* there reach the module when it loads).  Preemptible,
	# a two-level rcu_node tree, RCU's counter in the word two bits wide,
	# user tasks on the nohz_full CPUs.
	# The word's KUnit rules run at its boot too, on the two-bit counter.
	local boot=$TREE/$RCU_SCENARIOS/CPUFLAGS01.boot
	if [ "$CHECK_RCU_KERNEL" != 1 ]; then
		result skip "rcutorture-CPUFLAGS01 and its KUnit rules on the two-bit counter" \
			"a kernel of its own (7 minutes more): make check-rcutorture runs it, or CHECK_RCU_KERNEL=1"
		return 0
	fi
	rcutorture_scenario rcutorture-CPUFLAGS01 \
		"$(scenario_args -v "$boot") kunit.filter_glob=cpu_flags_word" \
		"$(scenario_args "" "$boot")" rcu user
	report_tap "kunit, two-bit counter (CPUFLAGS01 kernel)" "$LOGS/rcutorture-CPUFLAGS01.console.log"
}

check_bench_control()
{
	local name=check-bench-stock
	ensure_built baseline
	boot $name baseline "$ISOL_ARGS pti=on" \
		"interference -t $CHECK_BENCH_SECONDS -s 5 $BENCH_FLAGS -S idle,kprobe,perf -n kprobe=1,perf=1 -N idle=1" \
		"$INTERFERENCE_JSON"
	report_tap "stock kernel sees IPIs" "$LOGS/$name.job.log" --expect-plan
	show_table $name
}

part=${1:-all}
# CPUFLAGS01 (preemptible, two-level rcu_node tree, RCU's counter two bits
# wide) needs a kernel of its own: make check-rcutorture builds it, make
# check only with CHECK_RCU_KERNEL=1 (CI's hour has no room for the build).
if [ "$part" = rcutorture ]; then
	CHECK_RCU_KERNEL=${CHECK_RCU_KERNEL:-1}
else
	CHECK_RCU_KERNEL=${CHECK_RCU_KERNEL:-0}
fi
CHECK_BACKGROUND="patched$([ "$CHECK_RCU_KERNEL" != 1 ] || echo ' rcu')"
echo "TAP version 13"
case "$part" in
all)
	"$WB/prepare-tree.sh" >"$LOGS/check-tree.out" 2>&1 ||
		{ cat "$LOGS/check-tree.out"; result "not ok" "prepare build/linux"; }
	# The compiles of every commit start now, in worktrees of their own;
	# the kernels that only later parts boot build beside the debug
	# kernel's boots (the build part uses their build directories).  Each
	# part's time, so that a slow CI run says where it went.
	bg_reset
	bg_start bisect
	for step in build background workbench kunit_kselftest bad_input x86_selftests many_cpus \
		cpu_flags_torture rcutorture bench_control entry_cost bisect; do
		t0=$SECONDS
		if [ $step = background ]; then bg_start $CHECK_BACKGROUND; else "check_$step"; fi
		echo "# part $step: $((SECONDS - t0)) s (total $SECONDS s)"
	done
	;;
workbench) check_workbench ;;
build) check_build ;;
bisect) check_bisect ;;
sparse) check_sparse ;;
kunit|kselftest) check_kunit_kselftest ;;
oracle-control) check_oracle_control ;;
mce) check_mce_pin ;;
bochs) check_bochs ;;
x86) check_x86_selftests ;;
rcutorture) check_rcutorture ;;
smp16) check_many_cpus ;;
entry-cost) check_entry_cost ;;
torture) check_cpu_flags_torture ;;
bad-input) check_bad_input ;;
bench) check_bench_control ;;
*) die "unknown part '$part' (all, workbench, build, bisect, sparse, kunit, kselftest, oracle-control, mce, bochs, x86, rcutorture, smp16, torture, entry-cost, bad-input, bench)" ;;
esac
echo "1..$n"
echo "$passed passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ]
