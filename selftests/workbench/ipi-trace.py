# SPDX-License-Identifier: GPL-2.0
# A gdb script (qemu-run.sh --gdb) that traces one side of an empty
# cross-CPU call instruction by instruction through QEMU's gdbstub, per
# function, for the sender's table (sender-trace.sh):
#
#   TRACE_SIDE=send  CPU 0's call of TRACE_SEND_FN (on_each_cpu_cond_mask
#                    on stock, on_each_cpu_cond_mask_needs on cpu_flags)
#                    with a module's callback (the sender_bench module's),
#                    from its entry to its first pause: the loop over the
#                    targets and the IPIs, up to the wait.
#   TRACE_SIDE=wake  idle CPU TRACE_CPU's wake-up by a call-function IPI,
#                    from the IPI's entry to the next hlt: the handler, the
#                    idle exit and the idle loop's way back into the halt.
#
# The guest job prints "TRACE-READY" before it loads the module; the script
# then stops the guest, sets its breakpoint, and records TRACE_N calls or
# wake-ups.  While it steps, only the traced vCPU runs (scheduler-locking),
# with interrupts and timers masked (QEMU's single-step default).
#
# Environment: QEMU_GDB_PORT, QEMU_JOBLOG, QEMU_VMLINUX (from qemu-run.sh),
# TRACE_SIDE, TRACE_CPU (wake: the idle CPU, default 3), TRACE_SEND_FN
# (send), TRACE_N (default 4), TRACE_DIR (one listing per trace and
# trace.json: instructions, locked instructions, per function).
import json
import os
import sys
import time

import gdb

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gdbstep  # noqa: E402
from gdbstep import ex, fail, insn, val  # noqa: E402

gdbstep.NAME = "ipi-trace"
MAX_STEPS = 50000
MODULE_TEXT = 0xffffffffa0000000  # x86-64 module mapping space


def main():
    side = os.environ["TRACE_SIDE"]
    if side not in ("send", "wake"):
        fail(f"TRACE_SIDE={side}: send or wake")
    n = int(os.environ.get("TRACE_N", "4"))
    cpu = 0 if side == "send" else int(os.environ.get("TRACE_CPU", "3"))
    outdir = os.environ["TRACE_DIR"]
    joblog = os.environ["QEMU_JOBLOG"]
    deadline = time.time() + 900
    while True:
        try:
            text = open(joblog, errors="replace").read()
        except OSError:
            text = ""
        if "TRACE-READY" in text:
            break
        if "WORKBENCH: exit" in text or time.time() > deadline:
            fail("the job never printed TRACE-READY")
        time.sleep(0.5)
    ex("set pagination off")
    ex("set confirm off")
    ex(f"file {os.environ['QEMU_VMLINUX']}")
    ex(f"target remote 127.0.0.1:{os.environ['QEMU_GDB_PORT']}")
    bps = []
    if side == "send":
        b = gdb.Breakpoint(f"*{val('(long)&' + os.environ['TRACE_SEND_FN']):#x}", internal=True)
        # The callback (second argument) is the module's, not a boot-time caller's.
        b.condition = f"$_thread == 1 && $rsi >= {MODULE_TEXT:#x}"
        bps.append(b)
        stop = "pause"
    else:
        for s in ("asm_sysvec_call_function", "asm_sysvec_call_function_single"):
            b = gdb.Breakpoint(f"*{val('(long)&' + s):#x}", internal=True)
            b.condition = f"$_thread == {cpu + 1}"
            bps.append(b)
        stop = "hlt"
    results = []
    for k in range(n):
        ex("set scheduler-locking off")
        ex("continue")
        ex("set scheduler-locking on")
        ex(f"thread {cpu + 1}")
        steps = []
        while True:
            fn, t = insn()
            if t.startswith(stop):
                break
            steps.append((fn, t))
            if len(steps) > MAX_STEPS:
                fail(f"{side} {k}: no {stop} in {MAX_STEPS} steps")
            ex("stepi")
        funcs = {}
        for fn, _ in steps:
            funcs[fn] = funcs.get(fn, 0) + 1
        locked = sum(1 for _, t in steps if t.startswith("lock "))
        results.append({"instructions": len(steps), "locked": locked, "functions": funcs})
        print(f"ipi-trace: {side} {k} instructions={len(steps)} locked={locked}", flush=True)
        with open(os.path.join(outdir, f"{side}{k}.txt"), "w") as f:
            f.writelines(f"{fn:<36} {t}\n" for fn, t in steps)
    for b in bps:
        b.delete()
    with open(os.path.join(outdir, "trace.json"), "w") as f:
        json.dump(results, f, indent=1)
    ex("set scheduler-locking off")
    ex("detach")


try:
    main()
except gdb.error as e:
    fail(f"gdb: {e}")
os._exit(0)
