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

# The base is defined once, in the Makefile; read it from there when a
# script is run by hand.
if [ -z "${BASE_SHA256:-}" ] && [ -r "$TOP/Makefile" ]; then
	eval "$(sed -n 's/^\(BASE_[A-Z0-9_]*\) *:= *\(.*\)$/\1="\2"/p' "$TOP/Makefile")"
fi
: "${ISOLATED:=$(sed -n 's/^ISOLATED *?= *//p' "$TOP/Makefile")}"
: "${ISOL_ARGS:=$(make -s -C "$TOP" print-isol 2>/dev/null)}"

die()
{
	echo "error: $*" >&2
	exit 1
}

info()
{
	echo "  $*" >&2
}

# The component folders, in the order their new files are imported.
COMPONENTS="kernel-cpuflags rcu-glue arch-x86 mm coccinelle selftests Documentation"

# Run git on the prepared tree.
tgit()
{
	git -C "$TREE" "$@"
}
