#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Prepare build/linux: the pinned base and the series of patches applied
# with zero fuzz, as git history:
#
#   base -> one commit per patch in ./series (tag "prepared"), on branch work.
#
# The patches are the only copy of our code: new files arrive in the patch
# that first needs them, and later changes to them in the patches that make
# them.  Read the code in build/linux (git log, git blame).
#
# The commits are composed in a private index (git apply --cached), so the
# work tree is only touched where the result differs from what is checked
# out: a built tree is never thrown away needlessly.  Also keeps
# build/linux-base, a worktree of the untouched base for the baseline kernel.
#
# Environment: BASE_TARBALL, BASE_SHA256, BASE_VERSION (from the Makefile);
# FORCE=1 to drop commits in build/linux that were not exported.
set -eu
. "$(dirname "$0")/lib.sh"

: "${BASE_TARBALL:?}" "${BASE_SHA256:?}" "${BASE_VERSION:?}"

# Fixed identity and dates: the same inputs give the same commit ids, so
# re-preparing an unchanged repo is a no-op.
export GIT_COMMITTER_NAME="cpu_flags workbench" GIT_COMMITTER_EMAIL="workbench@invalid"
export GIT_COMMITTER_DATE="1700000000 +0000"

check_base_tarball()
{
	[ -r "$BASE_TARBALL" ] ||
		die "$BASE_TARBALL not found: install Debian's linux-source-6.12 (make deps)"
	sha=$(sha256sum "$BASE_TARBALL" | cut -d' ' -f1)
	if [ "$sha" != "$BASE_SHA256" ]; then
		cat >&2 <<-MSG
		warning: $BASE_TARBALL is not the pinned base.
		warning:   pinned: Linux $BASE_VERSION, sha256 $BASE_SHA256
		warning:   found:  $(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo '?'), sha256 $sha
		warning: trying anyway; a patch that fails will be named below.
		MSG
	fi
}

unpack_base()
{
	info "unpacking $BASE_TARBALL into $TREE"
	rm -rf "$TREE.tmp"
	mkdir -p "$TREE.tmp"
	tar -C "$TREE.tmp" --strip-components=1 -xf "$BASE_TARBALL"
	git -C "$TREE.tmp" init -q
	git -C "$TREE.tmp" config core.autocrlf false
	git -C "$TREE.tmp" config gc.auto 0
	# Debian's packaging appends "/*" to the top-level .gitignore, which
	# makes 'git add' refuse every path of a kernel tree: drop that block.
	sed -i '/^# Debian packaging: ignore everything at the top level/,$d' "$TREE.tmp/.gitignore"
	sed -i '${/^#$/d}' "$TREE.tmp/.gitignore"
	git -C "$TREE.tmp" add -A -f .
	GIT_AUTHOR_NAME="Debian linux-source-6.12" GIT_AUTHOR_EMAIL="debian-kernel@lists.debian.org" \
	GIT_AUTHOR_DATE="$GIT_COMMITTER_DATE" \
		git -C "$TREE.tmp" commit -q -m "Linux base ($(basename "$BASE_TARBALL"), sha256 $sha)

Debian's ignore-everything block at the end of .gitignore is dropped,
so that git add works in the tree as in any kernel tree."
	git -C "$TREE.tmp" tag base
	git -C "$TREE.tmp" config cpuflags.basesha "$sha"
	rm -rf "$TREE" "$BASE_TREE"
	mv "$TREE.tmp" "$TREE"
}

ensure_base()
{
	if [ -d "$TREE/.git" ] && [ "$(tgit config cpuflags.basesha || true)" = "$sha" ]; then
		return
	fi
	if [ -d "$TREE/.git" ] && [ -z "${FORCE:-}" ] && ! work_is_exported; then
		die "build/linux holds commits that are not exported; run 'make export' or set FORCE=1"
	fi
	unpack_base
}

# True when build/linux's HEAD holds nothing the repo does not: it is the
# last prepared commit, or its content equals what the repo now describes
# ($1, when composed) or last described.
work_is_exported()
{
	tgit rev-parse -q --verify refs/tags/prepared >/dev/null || return 0
	[ "$(tgit rev-parse HEAD)" = "$(tgit rev-parse prepared)" ] && return 0
	[ -n "${1:-}" ] && tgit diff --quiet "$1" HEAD && return 0
	tgit diff --quiet prepared HEAD
}

# Commit the current private index on top of $parent with message file $1.
commit_index()
{
	local tree
	tree=$(tgit write-tree)
	parent=$(tgit commit-tree "$tree" -p "$parent" -F "$1")
}

apply_patch()
{
	local p=$1 info msg patch
	[ -r "$TOP/$p" ] || die "series names $p, which does not exist"
	info=$(mktemp) msg=$(mktemp) patch=$(mktemp)
	git mailinfo "$msg" "$patch" <"$TOP/$p" >"$info"
	# git apply takes no fuzz: every context line must match.
	if ! out=$(cd "$TREE" && git apply --cached --whitespace=nowarn "$patch" 2>&1); then
		rm -f "$info" "$msg" "$patch"
		echo "$out" >&2
		die "patch $p does not apply (see the file named above); fix it or the base"
	fi
	{ sed -n 's/^Subject: //p' "$info"; echo; cat "$msg"; } >"$msg.full"
	GIT_AUTHOR_NAME=$(sed -n 's/^Author: //p' "$info") \
	GIT_AUTHOR_EMAIL=$(sed -n 's/^Email: //p' "$info") \
	GIT_AUTHOR_DATE=$(sed -n 's/^Date: //p' "$info") \
		commit_index "$msg.full"
	rm -f "$info" "$msg" "$msg.full" "$patch"
}

compose_series()
{
	local p
	export GIT_INDEX_FILE=$B/.prepare-index.$$
	rm -f "$GIT_INDEX_FILE"
	tgit read-tree base
	parent=$(tgit rev-parse base)
	while read -r p; do
		case "$p" in ''|'#'*) continue ;; esac
		apply_patch "$p"
	done <"$TOP/series"
	rm -f "$GIT_INDEX_FILE"
	unset GIT_INDEX_FILE
}

checkout_series()
{
	local head
	if ! tgit diff --quiet || ! tgit diff --cached --quiet; then
		die "build/linux has uncommitted edits: commit them and run 'make export', or discard them"
	fi
	head=$(tgit rev-parse HEAD)
	if [ "$head" != "$parent" ] && [ -z "${FORCE:-}" ] && ! work_is_exported "$parent"; then
		die "build/linux has commits that are not exported; run 'make export' or set FORCE=1"
	fi
	tgit tag -d imported >/dev/null 2>&1 || true
	tgit tag -f prepared "$parent" >/dev/null
	# Only files that differ are rewritten, so make rebuilds only those.
	tgit checkout -q -B work "$parent"
}

ensure_base_worktree()
{
	if [ "$(git -C "$BASE_TREE" rev-parse HEAD 2>/dev/null)" != "$(tgit rev-parse base)" ]; then
		rm -rf "$BASE_TREE"
		tgit worktree prune
		tgit worktree add -q --detach "$BASE_TREE" base
	fi
}

mkdir -p "$B"
check_base_tarball
ensure_base
compose_series
# --compose-only: check that the repo's series applies, touch nothing.
# --print-tip: the same, and print the commit the repo describes.
case "${1:-}" in
--compose-only|--print-tip)
	echo "series applies: $(tgit rev-list --count "base..$parent") patches" >&2
	[ "$1" = --compose-only ] || echo "$parent"
	exit 0 ;;
esac
checkout_series
ensure_base_worktree
echo "build/linux: $(tgit rev-list --count base..work) patches on the base" >&2
