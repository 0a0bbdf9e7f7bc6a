#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The round trip: turn what is committed in build/linux back into the repo.
#
#   export-tree.sh          every commit on the base -> <component>/patches/,
#                           and ./series, in the order of the commits
#   export-tree.sh --mail D the whole series base..HEAD, numbered, into D
#
# Patches are made by git format-patch --zero-commit --no-signature and
# named by their subject only, so regenerating an unchanged commit rewrites
# the same bytes and inserting a patch renames nothing.
set -eu
. "$(dirname "$0")/lib.sh"

[ -d "$TREE/.git" ] || die "build/linux is not prepared: run 'make tree'"
if ! tgit diff --quiet || ! tgit diff --cached --quiet; then
	die "build/linux has uncommitted edits: commit them first (git -C build/linux commit)"
fi

fmt_patch()
{
	tgit format-patch -q --zero-commit --no-signature --abbrev=12 "$@"
}

if [ "${1:-}" = "--mail" ]; then
	out=${2:?--mail needs a folder}
	rm -rf "$out"
	fmt_patch --cover-letter -o "$out" base..HEAD
	echo "  SERIES  $out: $(ls "$out" | wc -l) files, base $(tgit rev-parse --short base)" >&2
	exit 0
fi

# Exporting from a tree prepared before the repo last changed would write
# the tree's older files over the repo's newer ones: refuse.
tip=$("$WB/prepare-tree.sh" --print-tip 2>"$B/.export.err") || {
	cat "$B/.export.err" >&2
	die "cannot compose the repo's series (above): fix it before exporting"
}
# Safe when the repo describes what build/linux holds or held: the
# prepared commit or one of the commits made on it since.
repo_is_behind_tree()
{
	local t c
	t=$(tgit rev-parse "$tip^{tree}")
	for c in prepared $(tgit rev-list -n 200 prepared..HEAD); do
		[ "$t" = "$(tgit rev-parse "$c^{tree}")" ] && return 0
	done
	return 1
}
repo_is_behind_tree ||
	die "the repo changed since build/linux was prepared; exporting would overwrite that change.
Run 'make tree' first (it refuses if build/linux has commits of its own; then
move those commits onto the new 'work' by hand, e.g. git -C build/linux cherry-pick)."

tgit merge-base --is-ancestor base HEAD ||
	die "build/linux's history no longer contains the 'base' commit; re-run 'make tree'"

# Which component a patch belongs to: where it already is, else by the
# subsystem prefix of its subject.
patch_component()
{
	local name=$1 subject=$2 p
	p=$(grep -E "^[a-zA-Z-]+/patches/$name\$" "$TOP/series" | head -1)
	[ -n "$p" ] && { echo "${p%%/*}"; return; }
	case "$subject" in
	selftests*) echo selftests ;;
	rcu*|srcu*) echo rcu-glue ;;
	x86*) echo arch-x86 ;;
	mm*) echo mm ;;
	coccinelle*|scripts/coccinelle*) echo coccinelle ;;
	Documentation*|docs*) echo Documentation ;;
	cpu_flags*|context_tracking*|sched*|entry*|smp*|tracing*|workqueue*|kernel*|fork*) echo kernel-cpuflags ;;
	*) die "cannot tell the component of '$subject': use a known subsystem prefix or add it to patch_component() in ${0#$TOP/}" ;;
	esac
}

export_patches()
{
	local tmp p name subject comp new_series
	tmp=$(mktemp -d)
	fmt_patch --no-numbered -o "$tmp" base..HEAD
	new_series=$(mktemp)
	sed -n '/^#/p' "$TOP/series" >"$new_series"
	declare -A keep=()
	for p in "$tmp"/*.patch; do
		[ -e "$p" ] || break
		name=${p##*/}
		name=${name#[0-9][0-9][0-9][0-9]-}
		[ -z "${keep[$name]:-}" ] || die "two patches would be named $name: reword one subject"
		subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$p" | head -1)
		comp=$(patch_component "$name" "$subject")
		mkdir -p "$TOP/$comp/patches"
		cmp -s "$p" "$TOP/$comp/patches/$name" || cp "$p" "$TOP/$comp/patches/$name"
		echo "$comp/patches/$name" >>"$new_series"
		keep[$name]=1
	done
	for p in "$TOP"/*/patches/*.patch; do
		[ -e "$p" ] || break
		[ -n "${keep[${p##*/}]:-}" ] && continue
		rm "$p"
		info "removed ${p#$TOP/} (no longer a commit in build/linux)"
	done
	mv "$new_series" "$TOP/series"
	rm -rf "$tmp"
	info "${#keep[@]} patches in ./series"
}

# The layout before patches only: component files at kernel paths and an
# import message.  Nothing may be left of it, or it would be a second copy.
for comp in $COMPONENTS; do
	[ ! -e "$TOP/$comp/import.msg" ] || die "$comp/import.msg: the series keeps no imports; fold it into a patch"
done
export_patches
# The repo now describes HEAD: later exports compare against it.
tgit tag -f prepared HEAD >/dev/null
echo "Exported; review with 'git status' and 'git diff', then 'make lint'." >&2
