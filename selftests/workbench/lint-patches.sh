#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Lint the series: every patch listed once and present, proper headers
# (From, Subject with a subsystem prefix, a body, Signed-off-by), every
# import message well formed, and scripts/checkpatch.pl clean on every
# commit the series makes (imports included).
set -eu
. "$(dirname "$0")/lib.sh"

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
	grep -qE '^From: .+ <.+>' "$TOP/$p" || complain "$p: no From: author"
	check_message "$TOP/$p"
done
for c in $COMPONENTS; do
	[ -f "$TOP/$c/import.msg" ] && check_message "$TOP/$c/import.msg"
done

# checkpatch on what the series does to the tree, one commit at a time.
if [ -d "$TREE/.git" ] && tgit rev-parse -q --verify prepared >/dev/null; then
	for c in $(tgit rev-list --reverse base..prepared); do
		# FILE_PATH_CHANGES asks for a MAINTAINERS entry for new files.
		ignore=FILE_PATH_CHANGES,COMMIT_LOG_LONG_LINE
		# checkpatch reads every .h as C and flags each assembler label
		# ("1:") as a SPACING error; arch/x86/entry/calling.h is included
		# by .S files only.  Commits that touch nothing else skip SPACING.
		if ! tgit diff-tree --no-commit-id --name-only -r "$c" |
		   grep -qvE '\.S$|^arch/x86/entry/calling\.h$'; then
			ignore=$ignore,SPACING
		fi
		out=$(tgit format-patch --stdout -1 "$c" |
			(cd "$TREE" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl -q --no-summary \
				--ignore "$ignore" -) 2>&1) ||
			complain "checkpatch: $(tgit log -1 --format=%s "$c"):
$out"
	done
else
	complain "build/linux is not prepared: checkpatch did not run (make tree)"
fi

[ $bad -eq 0 ] || die "the series needs fixing (above)"
echo "lint: $(wc -l <<<"$listed") patches clean" >&2
