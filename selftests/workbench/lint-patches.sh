#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the series: every patch listed once and present, proper headers
# (From, Subject with a subsystem prefix, a body, Signed-off-by by the
# author, one real author for the series), and on the prepared tree, one
# commit at a time: scripts/checkpatch.pl --strict clean, and every
# function a commit message names exists in the tree that commit makes (a
# message that describes code of a later patch is caught here); then
# scripts/kernel-doc clean on the files the series adds, and no new
# kernel-doc warning in the files it changes.  That every commit builds is
# bisect-check.sh's job.
#
# Environment: LINT_RANGE, the commits to check (default base..prepared; the
# workbench's own test lints a deliberately broken copy of the series).
set -eu
. "$(dirname "$0")/lib.sh"

range=${LINT_RANGE:-base..prepared}
range_end=${range#*..}

bad=0
complain()
{
	echo "lint: $*" >&2
	bad=1
}

listed=$(grep -v -e '^#' -e '^$' "$TOP/series" || true)
dups=$(sort <<<"$listed" | uniq -d)
[ -z "$dups" ] || complain "listed twice in series: $dups"
for p in $listed; do
	[ -f "$TOP/$p" ] || complain "series lists $p, which does not exist"
done
for p in "$TOP"/*/patches/*; do
	[ -e "$p" ] || break
	grep -qxF "${p#$TOP/}" <<<"$listed" || complain "${p#$TOP/} is not in series"
done

# check_message FILE HEADER-STYLE: subject prefix, body, Signed-off-by.
check_message()
{
	local f=$1 subject
	subject=$(sed -n 's/^Subject: \(\[PATCH[^]]*\] \)\{0,1\}//p' "$f" | head -1)
	[ -n "$subject" ] || subject=$(head -1 "$f")
	grep -qE '^[A-Za-z0-9_./,-]+: [A-Z]' <<<"$subject" ||
		complain "${f#$TOP/}: subject '$subject' is not 'subsys: Imperative summary'"
	grep -qE '^Signed-off-by: .+ <.+@.+>' "$f" || complain "${f#$TOP/}: no Signed-off-by"
	# The body: text between the subject and the first trailer or '---'.
	awk 'NR > 1 && /^(Signed-off-by:|---$)/ { exit } found && NF { body = 1 }
	     /^Subject:/ || NR == 1 { found = 1 } END { exit !body }' "$f" ||
		complain "${f#$TOP/}: no body saying why"
}

for p in $listed; do
	[ -f "$TOP/$p" ] || continue
	head -1 "$TOP/$p" | grep -qE '^From 0{40} ' ||
		complain "$p: not made by 'git format-patch --zero-commit' (make export)"
	git mailinfo /dev/null /dev/null <"$TOP/$p" 2>/dev/null | grep -qE '^Email: .+@.+' ||
		complain "$p: no From: author"
	check_message "$TOP/$p"
done
for c in $COMPONENTS; do
	[ ! -e "$TOP/$c/import.msg" ] || complain "$c/import.msg: the series keeps no imports"
done

# checkpatch --strict on each commit.  Two kinds of file make checkpatch
# report the kernel's own style as wrong, and only those reports are
# dropped, by file and type: assembler labels and macro arguments ("1:",
# "reg:req") in arch/x86/entry/calling.h, which checkpatch reads as C
# (SPACING); and the TRACE_EVENT() layout of include/trace/events/, whose
# TP_STRUCT__entry( and TP_fast_assign( lines end in '(' by design
# (OPEN_ENDED_LINE, PARENTHESIS_ALIGNMENT).
checkpatch_commit()
{
	tgit format-patch --stdout -1 "$1" |
		(cd "$TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl -q --strict --show-types \
			--no-summary --ignore FILE_PATH_CHANGES,COMMIT_LOG_LONG_LINE -) 2>&1 |
		python3 -c '
import re, sys
text = sys.stdin.read()
blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
exempt = {"arch/x86/entry/calling.h": {"SPACING"},
          "include/trace/events/": {"OPEN_ENDED_LINE", "PARENTHESIS_ALIGNMENT"}}
for b in blocks:
    m = re.match(r"(?:ERROR|WARNING|CHECK):(\w+):", b)
    f = re.search(r"FILE: ([^:]+):", b)
    # Asm-label reports carry no FILE line: they follow a calling.h hunk.
    kind = m.group(1) if m else None
    path = f.group(1) if f else ("arch/x86/entry/calling.h" if kind == "SPACING" and "FILE:" not in b else "")
    if kind and any(path.startswith(p) and kind in t for p, t in exempt.items()):
        continue
    print(b + "\n")
'
}

# The functions a commit message names ("name()") that the tree of that
# commit has nowhere: code the message describes but the patch does not
# bring (yet), or a typo.  Looked up in the files the series touches at
# that commit, then (once, for all messages) in the base.
message_names()
{
	tgit log -1 --format=%B "$1" | grep -oE '\b[A-Za-z_][A-Za-z0-9_]*\(\)' | tr -d '()' | sort -u
}
# Call names_in_base first, outside a subshell: it sets $in_base.  The
# base is searched in its checkout (build/linux-base, grep -r: about 20 s)
# when that is the base and unchanged; git grep through the object store
# reads every blob of the tree (4 minutes) and is the fallback.
names_in_base()
{
	local all
	series_files=$(tgit diff --name-only base "$range_end" -- '*.c' '*.h' '*.S')
	all=$(for x in $(tgit rev-list $range); do message_names "$x"; done | sort -u)
	if [ -z "$all" ]; then
		in_base=" "
	elif [ "$(git -C "$BASE_TREE" rev-parse HEAD 2>/dev/null)" = "$(tgit rev-parse base)" ] &&
	   git -C "$BASE_TREE" diff --quiet 2>/dev/null; then
		in_base=" $(printf '%s\n' $all | grep -rhow -F -f - --include='*.c' --include='*.h' \
			--include='*.S' --exclude-dir=.git "$BASE_TREE" | sort -u | tr '\n' ' ') "
	else
		in_base=" $(tgit grep -h -o -w -F $(printf -- '-e %s ' $all) base -- '*.c' '*.h' '*.S' |
			sort -u | tr '\n' ' ') "
	fi
}
message_names_missing()
{
	local c=$1 n found
	found=" $(tgit grep -h -o -w -F $(printf -- '-e %s ' $(message_names "$c")) "$c" -- $series_files 2>/dev/null |
		sort -u | tr '\n' ' ') "
	for n in $(message_names "$c"); do
		case "$in_base$found" in *" $n "*) ;; *) echo "$n()" ;; esac
	done
}

# kernel-doc warnings of FILE at COMMIT, without line numbers.
kdoc_warnings()
{
	tgit show "$1:$2" >"$B/.kdoc.${2##*/}" 2>/dev/null || return 0
	(cd "$TREE" && perl scripts/kernel-doc -none -Wall "$B/.kdoc.${2##*/}" 2>&1) |
		sed -E 's/^[^:]*:[0-9]+: //' | LC_ALL=C sort
	rm -f "$B/.kdoc.${2##*/}"
}

if [ -d "$TREE/.git" ] && tgit rev-parse -q --verify "$range_end" >/dev/null; then
	authors=$(tgit log --format='%an <%ae>' $range | sort -u)
	[ "$(wc -l <<<"$authors")" -eq 1 ] || complain "the series has several authors: $authors"
	grep -qiE '@invalid>|<cpu-flags-dev@' <<<"$authors" && complain "placeholder author: $authors"
	names_in_base
	for c in $(tgit rev-list --reverse $range); do
		s=$(tgit log -1 --format=%s "$c")
		out=$(checkpatch_commit "$c")
		[ -z "$out" ] || complain "checkpatch --strict: $s:
$out"
		sob=$(tgit log -1 --format=%B "$c" | sed -n 's/^Signed-off-by: //p' | tail -1)
		[ "$sob" = "$(tgit log -1 --format='%an <%ae>' "$c")" ] ||
			complain "$s: the last Signed-off-by ($sob) is not the author"
		missing=
		[ -z "$(message_names "$c")" ] || missing=$(message_names_missing "$c")
		[ -z "$missing" ] || complain "$s: the message names what its tree does not have:" $missing
	done
	while read -r st f; do
		case "$f" in *.c|*.h) ;; *) continue ;; esac
		case "$f" in tools/*) continue ;; esac
		new=$(kdoc_warnings "$range_end" "$f")
		old=
		[ "$st" = A ] || old=$(kdoc_warnings base "$f")
		extra=$(LC_ALL=C comm -23 <(echo "$new") <(echo "$old") | grep . || true)
		[ -z "$extra" ] || complain "kernel-doc: $f:
$extra"
	done < <(tgit diff --name-status --diff-filter=AM base "$range_end")
else
	complain "build/linux is not prepared: checkpatch and kernel-doc did not run (make tree)"
fi

[ $bad -eq 0 ] || die "the series needs fixing (above)"
echo "lint: $(wc -l <<<"$listed") patches clean" >&2
