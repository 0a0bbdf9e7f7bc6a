#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Make sure the Debian packages a job needs are installed.
#
#   deps.sh build|guest|check|all|bochs|bench
#
# As root, missing packages are installed from Debian's archive.  Otherwise
# the one apt-get line that would install them is printed and we stop.
set -eu
. "$(dirname "$0")/lib.sh"

pkgs_build="linux-source-6.12 build-essential bc flex bison libelf-dev libssl-dev dwarves cpio kmod rsync ccache git python3 xz-utils"
pkgs_guest="qemu-system-x86 busybox-static cpio gdb"
pkgs_check="sparse coccinelle python3-ply python3-git gcc-aarch64-linux-gnu"
# Only make check-bochs needs these: Bochs and a boot ISO's tools.
pkgs_bochs="bochs bochs-term bochsbios vgabios isolinux syslinux-common xorriso"
# make bench plots the mixed run with gnuplot.
pkgs_bench="gnuplot-nox"

case "${1:-all}" in
build) want=$pkgs_build ;;
guest) want="$pkgs_build $pkgs_guest" ;;
check|all) want="$pkgs_build $pkgs_guest $pkgs_check" ;;
bochs) want="$pkgs_build $pkgs_guest $pkgs_bochs" ;;
bench) want="$pkgs_build $pkgs_guest $pkgs_bench" ;;
*) die "deps.sh: unknown set '$1' (build, guest, check, all, bochs, bench)" ;;
esac

# The base is pinned (BASE_DEB_VERSION, from the Makefile): Debian's
# security archive moves linux-source-6.12 on, and a newer point release
# shifts the line numbers the Coccinelle report records and the stock
# figures we compare against.  Ask for the pinned version by name; if the
# archive no longer has it, take what it has and let prepare-tree.sh warn.
base_pkg=linux-source-6.12
has_base_version()
{
	apt-cache madison "$base_pkg" 2>/dev/null |
		awk -v v="$BASE_DEB_VERSION" '$3 == v { f = 1 } END { exit !f }'
}
installed_base=$(dpkg-query -W -f='${Version}' "$base_pkg" 2>/dev/null || true)
if [ -n "${BASE_DEB_VERSION:-}" ] && [ "$installed_base" != "$BASE_DEB_VERSION" ] &&
   ! has_base_version && [ "$(id -u)" -eq 0 ]; then
	# A fresh machine has empty or old package lists.
	apt-get update -q >/dev/null 2>&1 || true
fi
if [ -n "${BASE_DEB_VERSION:-}" ] &&
   { [ "$installed_base" = "$BASE_DEB_VERSION" ] || has_base_version; }; then
	base_want="$base_pkg=$BASE_DEB_VERSION"
else
	base_want=$base_pkg
	[ -z "${BASE_DEB_VERSION:-}" ] ||
		echo "warning: $base_pkg $BASE_DEB_VERSION is not in Debian's archive (apt-get update?): taking its newest" >&2
fi

# DEPS_EXTRA: more packages (the workbench's own test uses it).
missing=
for p in $want ${DEPS_EXTRA:-}; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [ "$p" = "$base_pkg" ] && [ "$s" = installed ] && [ "$base_want" != "$base_pkg" ]; then
		[ "$installed_base" = "$BASE_DEB_VERSION" ] || missing="$missing $base_want"
		continue
	fi
	if [ "$s" != installed ]; then
		[ "$p" = "$base_pkg" ] && p=$base_want
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
# Going back to the pinned base from a newer one is a downgrade.
allow=
case "$missing " in *" $base_pkg="*) allow=" --allow-downgrades" ;; esac

if [ "$(id -u)" -ne 0 ]; then
	echo "error: missing Debian packages:$missing" >&2
	echo "run:   sudo apt-get install -y$allow$missing" >&2
	exit 1
fi

echo "Installing from Debian's archive:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; update once, then install.
if ! apt-get install -y$allow --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null || die "apt-get update failed"
	apt-get install -y -q$allow --no-install-recommends $missing ||
		die "apt-get install$missing failed"
fi
