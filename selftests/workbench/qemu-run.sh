#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The one place that knows the emulators' command lines.  Boots a kernel
# variant with build/initramfs.cpio, its modules and a job, and judges the
# run.
#
#   qemu-run.sh [options] (--job FILE | --cmd 'shell command')
#     --variant V     patched (default), debug, test, nocpuflags or baseline
#     --kernel F      boot image F instead of the variant's (bisect-check.sh)
#     --modules CPIO  the modules' cpio instead of the variant's (with
#                     --kernel, none unless given)
#     --cpus N        vCPUs (default $CPUS or 4)
#     --append ARGS   extra kernel command line
#     --timeout S     kill the guest after S seconds (default 300)
#     --tcg MODE      single (default; safe for text patching) or multi
#     --name NAME     log names: build/logs/NAME.console.log, NAME.job.log
#     --allow RE      console lines matching RE are not counted as splats
#     --cpu MODEL     TCG's -cpu (default max), e.g. max,vendor=GenuineIntel
#     --monitor-script FILE
#                     drive QEMU's monitor from FILE while the guest runs
#                     (monitor-script.py: "after REGEX" on the job's output,
#                     "send COMMAND"), e.g. to inject a machine check
#     --quiet         do not copy the job's output to stdout
#     --icount        QEMU's -icount shift=0,sleep=off: the guest clock
#                     counts instructions (1 ns each), so timings are
#                     instruction counts, the same on every run (TCG only)
#     --gdb SCRIPT    open QEMU's gdbstub on a free local port and run
#                     'gdb -batch -x SCRIPT' beside the guest, with the
#                     environment QEMU_GDB_PORT, QEMU_JOBLOG and
#                     QEMU_VMLINUX (the variant's vmlinux); its output goes
#                     to build/logs/NAME.gdb.log, and a script that fails
#                     fails the run (entry-trace.py)
#     --emulator E    qemu (default) or bochs: Bochs's Haswell model has
#                     PCID and INVPCID, so with pti=on the PTI entry code's
#                     PCID path runs (TCG has no PCID).  Boots from an
#                     isolinux ISO; --cpu, --tcg and --monitor-script are
#                     QEMU's only.  See ../shared/TESTBED.md.
#
# QEMU_ACCEL=kvm (default tcg) runs the guest under KVM with the host's CPU
# model, for a machine where KVM works: there the guest gets PCID, and the
# PTI entry code's PCID path runs (TCG has no PCID).  The --tcg mode is
# ignored then.
#
# Exit: 0 the job exited 0 and the console is clean; 1 the job failed;
# 2 the kernel splatted (panic, oops, BUG, WARNING, lockdep, RCU stall);
# 3 the guest hung and was killed at its timeout.
set -eu
. "$(dirname "$0")/lib.sh"

variant=patched cpus=${CPUS:-4} append= timeout=300 tcg=single name= allow='^$'
job= cmd= quiet= kernel_opt= modules_opt= cpu_model=max monitor_script= emulator=qemu
icount= gdb_script=
while [ $# -gt 0 ]; do
	case "$1" in
	--variant) variant=$2; shift ;;
	--kernel) kernel_opt=$2; shift ;;
	--modules) modules_opt=$2; shift ;;
	--cpus) cpus=$2; shift ;;
	--append) append=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--tcg) tcg=$2; shift ;;
	--name) name=$2; shift ;;
	--allow) allow=$2; shift ;;
	--cpu) cpu_model=$2; shift ;;
	--monitor-script) monitor_script=$2; shift ;;
	--job) job=$2; shift ;;
	--cmd) cmd=$2; shift ;;
	--quiet) quiet=1 ;;
	--emulator) emulator=$2; shift ;;
	--icount) icount=(-icount shift=0,sleep=off) ;;
	--gdb) gdb_script=$2; shift ;;
	*) die "qemu-run.sh: unknown option '$1'" ;;
	esac
	shift
done

variant_info "$variant"
kernel=${kernel_opt:-$v_image}
modules=$B/modules-$variant.cpio
[ -z "$kernel_opt" ] || modules=
[ -z "$modules_opt" ] || modules=$modules_opt
case "$tcg" in single|multi) ;; *) die "--tcg takes single or multi, not '$tcg'" ;; esac
case "$emulator" in qemu|bochs) ;; *) die "--emulator takes qemu or bochs, not '$emulator'" ;; esac
[ -z "$icount" ] || [ "$tcg" = single ] || die "--icount needs --tcg single"
case "${QEMU_ACCEL:=tcg}" in
tcg) accel=(-accel tcg,thread="$tcg" -cpu "$cpu_model" ${icount:+"${icount[@]}"}) ;;
kvm)
	[ -w /dev/kvm ] || die "QEMU_ACCEL=kvm: /dev/kvm is missing or not writable"
	[ -z "$icount" ] || die "--icount needs TCG (QEMU_ACCEL=tcg)"
	accel=(-accel kvm -cpu host) ;;
*) die "QEMU_ACCEL takes tcg or kvm, not '$QEMU_ACCEL'" ;;
esac
[ -r "$kernel" ] || die "$kernel not built: run 'make kernel VARIANT=$variant'"
[ -r "$B/initramfs.cpio" ] || die "build/initramfs.cpio not built: run 'make guest'"
if [ "$emulator" = qemu ]; then
	command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: apt-get install qemu-system-x86"
	[ -r /usr/share/qemu/qboot.rom ] || die "/usr/share/qemu/qboot.rom missing: apt-get install qemu-system-data"
else
	[ -z "$monitor_script" ] || die "--monitor-script drives QEMU's monitor: not with --emulator bochs"
	[ -z "$icount" ] || die "--icount is QEMU's: not with --emulator bochs"
	[ -z "$gdb_script" ] || die "--gdb drives QEMU's gdbstub: not with --emulator bochs"
	command -v bochs >/dev/null || die "bochs missing: apt-get install bochs bochs-term bochsbios vgabios"
	command -v xorriso >/dev/null || die "xorriso missing: apt-get install xorriso"
	for f in /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32; do
		[ -r "$f" ] || die "$f missing: apt-get install isolinux syslinux-common"
	done
fi
[ -n "$job$cmd" ] || die "qemu-run.sh needs --job FILE or --cmd 'command'"
: "${name:=$variant}"

mkdir -p "$LOGS" "$B/guest/run"
console=$LOGS/$name.console.log
joblog=$LOGS/$name.job.log
run=$B/guest/run/$name
mkdir -p "$run/job"
if [ -n "$job" ]; then cp "$job" "$run/job/job"; else printf '%s\n' "$cmd" >"$run/job/job"; fi
(cd "$run/job" && echo job | cpio -o -H newc --quiet) >"$run/job.cpio"
if [ -n "$modules" ] && [ -r "$modules" ]; then
	cat "$B/initramfs.cpio" "$modules" "$run/job.cpio" >"$run/initrd"
else
	cat "$B/initramfs.cpio" "$run/job.cpio" >"$run/initrd"
fi

# Generous watchdogs: TCG is slow, and slowness is not a stall.  So is the
# pin's hold bound: single-threaded TCG runs one vCPU at a time, and a
# pinned callback of a few microseconds on hardware holds for as long as
# the other vCPUs run when its vCPU loses its turn, which loses the target
# (guest_pin_max_us, lib.sh; tests that need the default bound set it
# themselves).  Other kernels ignore it.
cmdline="console=ttyS0 panic=-1 watchdog_thresh=165 workqueue.watchdog_thresh=420"
cmdline="$cmdline rcupdate.rcu_cpu_stall_timeout=300 cpu_flags.pin_max_us=$(guest_pin_max_us "$cpus")"
cmdline="$cmdline $append"

rm -f "$console" "$joblog" "$run/monitor.sock" "$run/monitor.log"
monitor=() driver=
if [ -n "$monitor_script" ]; then
	[ -r "$monitor_script" ] || die "--monitor-script $monitor_script: no such file"
	monitor=(-monitor unix:"$run/monitor.sock",server=on,wait=off)
	python3 "$WB/monitor-script.py" "$run/monitor.sock" "$joblog" "$monitor_script" \
		2>"$run/monitor.log" &
	driver=$!
fi
gdbstub=() gdb_driver=
if [ -n "$gdb_script" ]; then
	[ -r "$gdb_script" ] || die "--gdb $gdb_script: no such file"
	command -v gdb >/dev/null || die "gdb missing: apt-get install gdb"
	[ -z "$kernel_opt" ] || die "--gdb reads the variant's vmlinux: not with --kernel"
	[ -r "$v_obj/vmlinux" ] || die "$v_obj/vmlinux missing: build the $variant kernel"
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	gdbstub=(-gdb tcp:127.0.0.1:"$port")
	QEMU_GDB_PORT=$port QEMU_JOBLOG=$joblog QEMU_VMLINUX=$v_obj/vmlinux \
		gdb -q -batch -nx -x "$gdb_script" </dev/null >"$LOGS/$name.gdb.log" 2>&1 &
	gdb_driver=$!
fi
rc=0
if [ "$emulator" = qemu ]; then
	timeout --kill-after=10 "$timeout" \
	qemu-system-x86_64 -nodefaults -no-user-config -display none -no-reboot \
		"${accel[@]}" -M q35 -smp "$cpus" -m 1G \
		-bios /usr/share/qemu/qboot.rom "${monitor[@]}" "${gdbstub[@]}" \
		-kernel "$kernel" -initrd "$run/initrd" -append "$cmdline" \
		-serial file:"$console" -serial file:"$joblog" </dev/null || rc=$?
else
	# Bochs boots only from a disk: an isolinux CD with the kernel, the
	# initrd and the command line.  Serial ports as QEMU's: console, job.
	rm -rf "$run/iso" && mkdir -p "$run/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$run/iso/isolinux/"
	cp "$kernel" "$run/iso/vmlinuz" && cp "$run/initrd" "$run/iso/initrd"
	printf 'SERIAL 0 115200\nDEFAULT linux\nPROMPT 0\nTIMEOUT 1\nLABEL linux\n  KERNEL /vmlinuz\n  INITRD /initrd\n  APPEND %s\n' \
		"${cmdline/console=ttyS0/console=ttyS0,115200}" >"$run/iso/isolinux/isolinux.cfg"
	xorriso -as mkisofs -quiet -o "$run/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$run/iso" 2>"$run/xorriso.log" ||
		die "xorriso could not build $run/boot.iso: see $run/xorriso.log"
	# The Haswell model: PCID, INVPCID.  rfb is this build's only headless
	# display; timeout=0 starts without waiting for a viewer.  Bochs exits
	# 1 on the guest's power-off: the logs judge the run, as for QEMU.
	cat >"$run/bochsrc" <<BOCHSRC
megs: 1024
cpu: model=corei7_haswell_4770, count=$cpus, ips=50000000, ignore_bad_msrs=1
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: rfb, options="timeout=0"
ata0-master: type=cdrom, path=$run/boot.iso, status=inserted
boot: cdrom
clock: sync=none
com1: enabled=1, mode=file, dev=$console
com2: enabled=1, mode=file, dev=$joblog
panic: action=fatal
log: $run/bochs.log
BOCHSRC
	echo continue >"$run/debug.rc"
	timeout --kill-after=10 "$timeout" bochs -q -f "$run/bochsrc" -rc "$run/debug.rc" \
		</dev/null >"$run/bochs.out" 2>&1 &
	bochs_pid=$!
	# The guest's power-off does not reach Bochs from this kernel (it
	# stops after the job's last line, before device shutdown, with both
	# CPUs idle): once the job reported its exit, give the console a few
	# seconds and stop Bochs.
	while kill -0 $bochs_pid 2>/dev/null; do
		if grep -a -q '^WORKBENCH: exit' "$joblog" 2>/dev/null; then
			sleep 5
			kill $bochs_pid 2>/dev/null || true
			pkill -P $bochs_pid 2>/dev/null || true
			break
		fi
		sleep 2
	done
	wait $bochs_pid || rc=$?
	[ $rc -eq 124 ] || [ $rc -eq 137 ] || rc=0
fi
if [ -n "$driver" ]; then
	kill "$driver" 2>/dev/null || true
	wait "$driver" 2>/dev/null || true
	sed 's/^/monitor: /' "$run/monitor.log" >&2
fi

gdb_rc=0
if [ -n "$gdb_driver" ]; then
	# The guest is gone: give the script a few seconds to detach and
	# write its results; one still waiting for the guest can only fail.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$gdb_driver" 2>/dev/null || break
		sleep 1
	done
	kill "$gdb_driver" 2>/dev/null || true
	wait "$gdb_driver" || gdb_rc=$?
fi

[ -n "$quiet" ] || grep -v '^WORKBENCH: ' "$joblog" 2>/dev/null || true

splats=$(grep -n -E "$SPLAT_RE" "$console" 2>/dev/null | grep -v -E "$allow" | head -20 || true)
if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "FAIL: $name: guest hung, killed after ${timeout}s; console: $console" >&2
	[ -z "$splats" ] || echo "$splats" >&2
	exit 3
fi
if [ -n "$splats" ]; then
	echo "FAIL: $name: the kernel splatted; console: $console" >&2
	echo "$splats" >&2
	exit 2
fi
jrc=$(sed -n 's/^WORKBENCH: exit \([0-9]*\).*/\1/p' "$joblog" 2>/dev/null | tail -1)
if [ -z "$jrc" ]; then
	echo "FAIL: $name: the guest stopped before the job ended (qemu rc $rc); console: $console" >&2
	tail -5 "$console" >&2
	exit 1
fi
[ "$jrc" -eq 0 ] || { echo "FAIL: $name: the job exited $jrc; log: $joblog" >&2; exit 1; }
if [ "$gdb_rc" -ne 0 ]; then
	echo "FAIL: $name: the gdb script failed (rc $gdb_rc); log: $LOGS/$name.gdb.log" >&2
	tail -5 "$LOGS/$name.gdb.log" >&2
	exit 1
fi
exit 0
