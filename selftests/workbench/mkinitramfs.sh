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
build_selftests
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) >"$B/initramfs.cpio"
echo "  GUEST   build/initramfs.cpio ($(du -h "$B/initramfs.cpio" | cut -f1))" >&2
