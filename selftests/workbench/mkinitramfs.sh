#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build build/initramfs.cpio: busybox-static, guest/init and our static
# test binaries under /opt/tests.  Each kernel variant's modules are a
# separate cpio (build/modules-<variant>.cpio) that qemu-run.sh appends.
set -eu
. "$(dirname "$0")/lib.sh"

root=$B/guest/root
hdr=$B/obj/headers

build_selftests()
{
	local t
	make -C "$TREE" O="$hdr" -s headers >/dev/null ||
		die "make headers failed in $TREE"
	for t in cpu_flags; do
		mkdir -p "$B/guest/selftests/$t"
		make -C "$TREE/tools/testing/selftests/$t" -s \
			OUTPUT="$B/guest/selftests/$t" CC=gcc LDFLAGS=-static \
			KHDR_INCLUDES="-isystem $hdr/usr/include" >/dev/null ||
			die "building selftests/$t failed"
		find "$B/guest/selftests/$t" -maxdepth 1 -type f -perm -u+x \
			-exec cp {} "$root/opt/tests/" \;
	done
	# The kernel's x86 entry selftests, 64-bit only (no multilib here:
	# the Makefile says so and builds the rest).
	mkdir -p "$B/guest/selftests/x86" "$root/opt/tests/x86"
	make -C "$TREE/tools/testing/selftests/x86" -s OUTPUT="$B/guest/selftests/x86" \
		CC="gcc -static" KHDR_INCLUDES="-isystem $hdr/usr/include" >"$B/guest/selftests/x86.log" 2>&1 ||
		die "building selftests/x86 failed: see $B/guest/selftests/x86.log"
	ls "$B/guest/selftests/x86"/*_64 >/dev/null 2>&1 ||
		die "selftests/x86 built no 64-bit test: see $B/guest/selftests/x86.log"
	cp "$B/guest/selftests/x86"/*_64 "$root/opt/tests/x86/"
}

install_busybox()
{
	local bb=/bin/busybox a
	[ -x $bb ] || die "$bb missing: apt-get install busybox-static"
	cp $bb "$root/bin/busybox"
	for a in $($bb --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
}

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,opt/tests,lib/modules}
install_busybox
install -m 755 "$WB/guest/init" "$root/init"
# The workbench's own guest tool (not a test of the series).
gcc -static -O2 -Wall -o "$root/opt/tests/spin" "$WB/guest/spin.c" ||
	die "building guest/spin.c failed"
build_selftests
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$B/initramfs.cpio"
echo "  GUEST   build/initramfs.cpio ($(du -h "$B/initramfs.cpio" | cut -f1))" >&2
