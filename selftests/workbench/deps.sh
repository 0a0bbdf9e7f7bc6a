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

# DEPS_EXTRA: more packages (the workbench's own test uses it).
missing=
for p in $want ${DEPS_EXTRA:-}; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = installed ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "error: missing Debian packages:$missing" >&2
	echo "run:   sudo apt-get install -y$missing" >&2
	exit 1
fi

echo "Installing from Debian's archive:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine has empty package lists; update once, then install.
if ! apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -q >/dev/null || die "apt-get update failed"
	apt-get install -y -q --no-install-recommends $missing ||
		die "apt-get install$missing failed"
fi
