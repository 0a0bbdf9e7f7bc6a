# SPDX-License-Identifier: GPL-2.0
#
# cpu_flags: prepare the pinned kernel tree, build, boot and test.
# `make help` lists the targets; README.md says what each prints.

# The base: Debian's linux-source-6.12.  One place for these facts.
BASE_VERSION     := 6.12.118
BASE_DEB_VERSION := 6.12.118-1~deb12u1
BASE_TARBALL     := /usr/src/linux-source-6.12.tar.xz
BASE_SHA256      := c93391b6a4884e6428ffbfbb8ce6340229ad28dc421e9f19bc081740b1ab34b2

TOP  := $(CURDIR)
B    := $(TOP)/build
WB   := $(TOP)/selftests/workbench
JOBS ?= $(shell echo $$(( $$(nproc) + 1 )))

# The guest the benchmarks and tests boot (see selftests/workbench/qemu-run.sh).
CPUS     ?= 4
ISOLATED ?= 2-3
# tsc=reliable: no clocksource watchdog, whose timer otherwise hops onto
# the isolated CPUs every few seconds (see ../shared/TESTBED.md).
ISOL_ARGS = nohz_full=$(ISOLATED) isolcpus=nohz,domain,managed_irq,$(ISOLATED) rcu_nocbs=$(ISOLATED) tsc=reliable
# Seconds each interference source runs, in the main job and in make check.
BENCH_SECONDS ?= 20
CHECK_BENCH_SECONDS ?= 5
# Seconds of the window where every source runs at once (0: none in the
# main job).
BENCH_MIXED_SECONDS ?= 600
CHECK_MIXED_SECONDS ?= 10
# Seconds of the pin torture in make check (kselftest pin, pti=off boot).
PIN_TORTURE_SECONDS ?= 30

export BASE_VERSION BASE_DEB_VERSION BASE_TARBALL BASE_SHA256
export TOP B WB JOBS CPUS ISOLATED ISOL_ARGS BENCH_SECONDS CHECK_BENCH_SECONDS PIN_TORTURE_SECONDS
export BENCH_MIXED_SECONDS CHECK_MIXED_SECONDS

SH := bash

.PHONY: help print-isol deps tree kernel kernel-debug baseline-kernel kernels guest \
	bench entry-cost sender-bench sender-trace bisect-check ipi-callers check torture-long lint export series clean distclean

help:
	@echo 'make bench            build stock and patched kernels, boot each with isolated'
	@echo '                      CPUs, print the interference table (the main job)'
	@echo 'make check            run every test; ends with "N passed, N failed"'
	@echo 'make entry-cost       getpid round trips in instructions (-icount) and traced: stock,'
	@echo '                      cpu_flags and CONFIG_CPU_FLAGS=n, PTI off and on, work pending'
	@echo 'make sender-bench     senders at scale (-icount): text_poke_bp batch, vfree purge,'
	@echo '                      on_each_cpu_cond_mask at 4/16/64 vCPUs, stock and cpu_flags'
	@echo 'make sender-trace     after sender-bench: both sides of its user-only skip over idle'
	@echo '                      CPUs traced per function (gdbstub), stock against cpu_flags'
	@echo 'make ipi-callers      Coccinelle report of every IPI caller and its class, to'
	@echo '                      coccinelle/ipi-callers.txt and .csv'
	@echo 'make torture-long     the cpu_flags torture to 10^6 deferrals and 10^5 pins'
	@echo '                      (TORTURE_LONG_SECONDS, default 300, at least)'
	@echo 'make check-<part>     one part: build, bisect, workbench, kunit, kselftest, oracle-control,'
	@echo '                      mce, x86, smp16, rcutorture, torture, entry-cost, bad-input, bench;'
	@echo '                      and bochs (the PCID path under Bochs, not part of make check)'
	@echo 'make tree             prepare build/linux (base + components + series)'
	@echo 'make kernel           build/bzImage (patched)'
	@echo 'make kernel-debug     build/bzImage-debug (patched, lockdep/PROVE_RCU)'
	@echo 'make baseline-kernel  build/bzImage-baseline (stock base, same config)'
	@echo 'make guest            build/initramfs.cpio (busybox + test binaries)'
	@echo 'make export           turn commits in build/linux into component files/patches'
	@echo 'make lint             check series, patch headers, checkpatch --strict, kernel-doc'
	@echo 'make bisect-check     every commit builds (patched, CONFIG_CPU_FLAGS=n, arm64) and boots'
	@echo 'make series           write the whole series to build/series/ for mailing'

deps:
	@$(SH) $(WB)/deps.sh all

tree: deps
	@$(SH) $(WB)/prepare-tree.sh

# VARIANT: patched (default), debug, test, nocpuflags or baseline (lib.sh).
VARIANT ?= patched
kernel: tree
	@$(SH) $(WB)/build-kernel.sh $(VARIANT)

kernel-debug: tree
	@$(SH) $(WB)/build-kernel.sh debug

baseline-kernel: tree
	@$(SH) $(WB)/build-kernel.sh baseline

guest: tree
	@$(SH) $(WB)/mkinitramfs.sh

bench: kernel baseline-kernel guest
	@$(SH) $(WB)/deps.sh bench
	@$(SH) $(WB)/bench.sh

# getpid round trips in instructions, stock, patched and CONFIG_CPU_FLAGS=n,
# PTI off and on, with the traced kernel paths (see entry-cost.sh).
entry-cost: kernel baseline-kernel guest
	@$(SH) $(WB)/build-kernel.sh nocpuflags
	@$(SH) $(WB)/entry-cost.sh

# Senders' latency at 4, 16 and 64 vCPUs (SENDER_CPUS), stock and cpu_flags.
sender-bench: kernel baseline-kernel guest
	@$(SH) $(WB)/sender-bench.sh

# Both sides of sender-bench's one cell above stock, traced per function.
sender-trace: kernel baseline-kernel guest
	@$(SH) $(WB)/sender-trace.sh

# Every commit of the series builds (patched and CONFIG_CPU_FLAGS=n vmlinux,
# arm64's generic objects) and boots to /init; make check runs the fast form.
bisect-check: tree
	@$(SH) $(WB)/bisect-check.sh full

# The Coccinelle report of IPI callers, into the checked-in table.
ipi-callers: kernel-debug
	@$(SH) $(WB)/ipi-callers.sh

# The cpu_flags torture at the counts of a long run (make check's are 10x
# smaller): TORTURE_LONG_SECONDS at least, until 10^6 deferrals and 10^5 pins.
TORTURE_LONG_SECONDS ?= 300
torture-long: deps
	@CPU_FLAGS_TORTURE_SECONDS=$(TORTURE_LONG_SECONDS) TORTURE_MAX_SECONDS=$$(( $(TORTURE_LONG_SECONDS) + 600 )) \
		TORTURE_MIN_DEFERRALS=1000000 TORTURE_MIN_PINS=100000 $(SH) $(WB)/check.sh torture

check: deps
	@$(SH) $(WB)/check.sh all

check-%: deps
	@$(SH) $(WB)/check.sh $*

lint: tree
	@$(SH) $(WB)/lint-patches.sh

export:
	@$(SH) $(WB)/export-tree.sh

series: tree
	@$(SH) $(WB)/export-tree.sh --mail $(B)/series

clean:
	rm -rf $(B)/obj $(B)/logs $(B)/bzImage* $(B)/modules-* $(B)/guest $(B)/*.cpio*

distclean:
	rm -rf $(B)

# The isolation arguments, for booting a guest by hand (see README.md).
print-isol:
	@echo '$(ISOL_ARGS)'
