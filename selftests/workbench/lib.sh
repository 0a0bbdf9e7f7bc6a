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
