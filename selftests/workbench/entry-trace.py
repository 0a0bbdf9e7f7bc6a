# SPDX-License-Identifier: GPL-2.0
# A gdb script (qemu-run.sh --gdb) that traces kernel round trips
# instruction by instruction through QEMU's gdbstub: one getpid() of a
# "getpid_bench -s" spinner, from the syscall instruction's target to the
# first user-mode instruction after it.  It counts the instructions, the
# locked ones (a lock prefix, or xchg with memory) and the serializing ones
# (the SDM's list: a write to a control or debug register, iret, cpuid,
# wrmsr, invlpg, ...), per function.  A step is an instruction, or one
# iteration of a rep-prefixed one (none on these paths; pause is f3 90).
#
# A CPU is caught first: all CPUs run until it enters the kernel for a
# getpid (a breakpoint on entry_SYSCALL_64 for that CPU and syscall
# number), then it is stepped back to user mode, in the spinner.  From
# there stepping is QEMU's: the traced vCPU runs one instruction at a time
# with interrupts and timers masked, the others stay stopped (gdb's
# scheduler-locking), so a trace is the path itself.  Each case is traced
# three times, the first as a warm-up (a reschedule or a tick pending from
# before the catch runs there), the other two recorded: they must agree.
#
# Cases (TRACE_CASES, space-separated CPU:WHAT), for the spinner on CPU:
#   none    nothing pending
#   tlb, sync, both
#           cpu_flags work pending: the bits are set in the CPU's word while
#           it is in user mode, as a sender's deferral does
#   pin     PIN set while it is in user mode; the entry steps back and
#           waits: when it executes its first pause, PIN is cleared, as the
#           pinner's release does.  So the trace is the pinned-then-released
#           entry with one pass of the wait loop.
#
# Environment: QEMU_GDB_PORT, QEMU_JOBLOG, QEMU_VMLINUX (from qemu-run.sh),
# TRACE_CASES, TRACE_OUT (JSON results), TRACE_DIR (one listing per case),
# TRACE_WAIT (seconds to wait for the spinners, default 900).
import json
import os
import re
import sys
import time

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbstep  # noqa: E402
from gdbstep import ex, fail, insn, val  # noqa: E402

gdbstep.NAME = "entry-trace"

# The word's bits, as in include/linux/cpu_flags.h.
WORK_TLB, WORK_SYNC, PIN = 1 << 2, 1 << 3, 1 << 7
SETUP = {"none": 0, "tlb": WORK_TLB, "sync": WORK_SYNC,
         "both": WORK_TLB | WORK_SYNC, "pin": PIN}
USER_TOP = 1 << 47
SYS_GETPID = 39
MAX_STEPS = 20000
# The SDM's serializing instructions that kernel entry code could meet.
SERIALIZING = re.compile(r"^(mov\s+%\w+,%[cd]r\d|iret\w*|cpuid|wrmsr|serialize|invlpg|invd|wbinvd"
                         r"|lgdt|lidt|lldt|ltr)\b")
# xchg with a memory operand is locked without the prefix.
XCHG_MEM = re.compile(r"^xchg\w*\s+\S*[(:]")
# What a traced entry may leave in the word: nothing of work, taken, WAIT, PIN.
WORD_LEFT = 0xfc


def thread(cpu):
    ex(f"thread {cpu + 1}")


def pc():
    return val("$pc")


def kernel_cpu(avoid):
    """A stopped CPU in kernel mode, whose page tables map kernel data."""
    for t in gdb.selected_inferior().threads():
        cpu = t.num - 1
        if cpu in avoid:
            continue
        thread(cpu)
        if pc() >= USER_TOP:
            try:
                val("*(unsigned long *)&__per_cpu_offset")
                return cpu
            except gdb.error:
                pass
    fail("no stopped CPU in kernel mode to read kernel memory through")


def word_addr(cpu, via):
    thread(via)
    return val(f"*(unsigned long *)((long)&__per_cpu_offset + 8 * {cpu})") + val("(long)&cpu_flags")


def word_read(addr, via):
    thread(via)
    return val(f"*(unsigned int *){addr}")


def word_update(addr, via, set_bits=0, clear_bits=0):
    """Every CPU is stopped: a plain read and write of the word is atomic."""
    old = word_read(addr, via)
    ex(f"set var *(unsigned int *){addr} = {(old | set_bits) & ~clear_bits}")


def catch(cpu):
    """Run all CPUs until @cpu enters the kernel for getpid(), then step
    it back to user mode: it is then in the spinner."""
    entry = val("(long)&entry_SYSCALL_64")
    ex("set scheduler-locking off")
    bp = gdb.Breakpoint(f"*{entry:#x}", internal=True)
    bp.condition = f"$_thread == {cpu + 1} && $rax == {SYS_GETPID}"
    ex("continue")
    bp.delete()
    ex("set scheduler-locking on")
    thread(cpu)
    if pc() != entry:
        fail(f"CPU {cpu} stopped at {pc():#x}, not at entry_SYSCALL_64")
    for _ in range(MAX_STEPS):
        if pc() < USER_TOP:
            return
        ex("stepi")
    fail(f"CPU {cpu}: no return to user mode from getpid in {MAX_STEPS} steps")


def trace(cpu, what, spinners):
    has_word = SETUP[what] != 0
    avoid = set(spinners)
    via = kernel_cpu(avoid)
    addr = word_addr(cpu, via) if has_word else None
    entry = val("(long)&entry_SYSCALL_64")
    thread(cpu)
    # Up to the spinner's next syscall instruction.
    for _ in range(MAX_STEPS):
        if pc() < USER_TOP and insn()[1].startswith("syscall"):
            break
        ex("stepi")
    else:
        fail(f"CPU {cpu} never reached a syscall")
    if has_word:
        word_update(addr, via, set_bits=SETUP[what])
        thread(cpu)
    ex("stepi")
    if pc() != entry:
        fail(f"CPU {cpu}: the syscall went to {pc():#x}, not entry_SYSCALL_64")
    steps, released = [], False
    while pc() >= USER_TOP:
        fn, text = insn()
        steps.append((fn, text))
        if what == "pin" and not released and text.startswith("pause"):
            word_update(addr, via, clear_bits=PIN)
            released = True
            thread(cpu)
        if len(steps) > MAX_STEPS:
            fail(f"CPU {cpu} {what}: no return to user mode in {MAX_STEPS} steps")
        ex("stepi")
    if what == "pin" and not released:
        fail(f"CPU {cpu}: the entry with PIN set never waited")
    left = word_read(addr, via) if has_word else 0
    if has_word and left & WORD_LEFT:
        fail(f"CPU {cpu} {what}: back in user mode with {left:#x} in its word")
    thread(cpu)
    return steps


def summary(steps):
    locked = [t for _, t in steps if t.startswith("lock ") or XCHG_MEM.match(t)]
    serial = [t for _, t in steps if SERIALIZING.match(t)]
    funcs = {}
    for fn, _ in steps:
        funcs[fn] = funcs.get(fn, 0) + 1
    return {"instructions": len(steps), "locked": len(locked), "locked_insns": locked,
            "serializing": len(serial), "serializing_insns": serial, "functions": funcs}


def main():
    cases = [c.split(":") for c in os.environ["TRACE_CASES"].split()]
    for cpu, what in cases:
        if what not in SETUP:
            fail(f"unknown case {what!r} (one of {', '.join(SETUP)})")
    cpus = sorted({int(c) for c, _ in cases})
    joblog = os.environ["QEMU_JOBLOG"]
    deadline = time.time() + float(os.environ.get("TRACE_WAIT", "900"))
    stops = {}
    while len(stops) < len(cpus):
        if time.time() > deadline:
            fail(f"spinners on CPUs {cpus} never started (have {sorted(stops)})")
        time.sleep(1)
        try:
            text = open(joblog, errors="replace").read()
        except OSError:
            continue
        for m in re.finditer(r"# getpid spin cpu=(\d+) stop=(0x[0-9a-f]+)", text):
            stops[int(m.group(1))] = int(m.group(2), 16)
        if "WORKBENCH: exit" in text:
            fail("the job ended before its spinners started")
    ex("set pagination off")
    ex("set confirm off")
    ex(f"file {os.environ['QEMU_VMLINUX']}")
    ex(f"target remote 127.0.0.1:{os.environ['QEMU_GDB_PORT']}")
    ex("set scheduler-locking on")
    results, outdir = [], os.environ.get("TRACE_DIR")
    for cpu, what in cases:
        cpu = int(cpu)
        catch(cpu)
        warm = trace(cpu, what, cpus)
        first = trace(cpu, what, cpus)
        steps = trace(cpu, what, cpus)
        r = {"cpu": cpu, "case": what, "warm-up": len(warm), "first": len(first),
             **summary(steps)}
        results.append(r)
        print(f"entry-trace: cpu={cpu} case={what} instructions={r['instructions']} "
              f"locked={r['locked']} serializing={r['serializing']} first={r['first']}", flush=True)
        if outdir:
            with open(os.path.join(outdir, f"trace-cpu{cpu}-{what}.txt"), "w") as f:
                f.writelines(f"{fn:<32} {t}\n" for fn, t in steps)
    with open(os.environ["TRACE_OUT"], "w") as f:
        json.dump(results, f, indent=1)
    # Let the spinners go: caught, each is in user mode in its spinner.
    for cpu in cpus:
        catch(cpu)
        ex(f"set var *(int *){stops[cpu]} = 1")
    ex("detach")


try:
    main()
except gdb.error as e:
    fail(f"gdb: {e}")
sys.stdout.flush()
os._exit(0)
