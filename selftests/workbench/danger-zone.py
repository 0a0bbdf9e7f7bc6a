#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The danger-zone check: between a CPU's return from user mode and the
point where it does the work other CPUs deferred to it, it must run no code
that can be patched at run time and call nothing outside entry/noinstr text.

    danger-zone.py VMLINUX [--without FUNC,...] [--idle]

--without removes consuming functions from the list: the negative control
(without ct_kernel_enter_state the walk runs past the transition into
tracepoints and must fail).  --idle walks the idle window instead of the
entries (see below).

Patchable code is a jump label whose key can change after boot (keys in
.data..ro_after_init cannot), a static call site, or an ftrace (fentry)
site.  Alternatives are applied once, at boot.

The walk starts at every entry from user mode in .entry.text (the asm_*
IDT stubs and the SYSCALL/SYSENTER/INT80 entries) and follows every branch
(both ways of each jump label) and every direct call, into callees, until
a call to a consuming function: after one returns, the work is done or
none can be pending (see CONSUMERS).  The consuming functions' own bodies
are walked the same way from their entries.  Reaching a patchable site, a
call out of entry/noinstr text or an indirect call is a failure.

--idle walks the doze window instead: from the return of every call to
ct_idle_enter_doze() (the transition into IDLE that sets DOZE, after
which senders may leave the CPU work) to a consuming call
(ct_idle_exit_doze(), the transition out that clears it and does the
work, or an entry's), with the same rules, except that a patchable site
inside noinstr text is allowed and listed (text_poke_sync_at() IPIs every
CPU for a poke there).  A return from the function that made the call is
followed into each of its callers the walk can see (and is a problem if
it has none).  Its negative control is "--idle --without
ct_idle_exit_doze,ct_kernel_enter,ct_kernel_enter_state", which must
fail: the walk then goes on past the exit transition into instrumented
code.

The walk over-approximates (it assumes every branch can be taken): it may
fail on code that cannot run in the zone, never pass code that can.
Prints TAP-style "ok/not ok" lines and exits non-zero on a failure.
"""
import bisect
import re
import struct
import subprocess
import sys

# A call to one of these ends the danger zone on that path: when it returns,
# the work deferred to this CPU is done, or the CPU was not in user mode
# (then nothing could be deferred to it).  Why, for each, is in
# Documentation/core-api/cpu-flags.rst ("The danger zone").
CONSUMERS = (
    "ct_kernel_enter_state",        # the transition; does the work itself
    "ct_kernel_nest_state",         # the same, nested in the mode (NMI-class)
    "cpu_flags_entry_work",         # does it (from cpu_flags_entry_slow())
    "ct_kernel_enter",              # the transition, unless already watching
    "__ct_user_exit",               # user -> kernel: ct_kernel_enter()
    "ct_nmi_enter",                 # NMI/IRQ from user or idle
    "ct_irq_enter",                 # ct_nmi_enter() (interrupts from idle)
    "irqentry_enter_from_user_mode",
    "irqentry_enter",               # from user: the above; else kernel mode
    "irqentry_nmi_enter",           # ct_nmi_enter()
    "cpu_flags_nested_entry_work",  # NMI-class entry, RCU watching: does it
)

# The start of a doze: --idle walks the doze window from the return of
# each call to it, to a call of IDLE_EXIT (the end of the doze, whose
# transition does the work left meanwhile) or another consumer.
IDLE_ENTER = "ct_idle_enter_doze"
IDLE_EXIT = "ct_idle_exit_doze"


# Keys fixed at boot whose "off" path needs no check: with context
# tracking off no CPU is tracked, so nothing is ever deferred.  Only the
# "on" edge of their jump labels is walked.
ON_EDGE_ONLY = {"context_tracking_key"}

# Places the walk reaches only because it cannot evaluate a run-time test;
# each is argued here and in Documentation/core-api/cpu-flags.rst.
# (function, what it reaches) -> why that cannot run with work pending.
NOT_IN_ZONE = {
    ("irqentry_enter", "__rcu_irq_enter_check_tick"):
        "kernel-mode branch with RCU watching (not the idle task, not in an "
        "extended quiescent state): the CPU was in the kernel, where nothing "
        "is deferred to it; an interrupt from a doze is in the idle task and "
        "goes through ct_irq_enter() first",
    ("ct_nmi_enter", "__rcu_irq_enter_check_tick"):
        "only when RCU already watches the CPU: it was in the kernel",
    ("handle_bug", "report_bug"):
        "exc_invalid_op() calls handle_bug() for kernel-mode #UD only",
    ("irqentry_enter", "trace_hardirqs_off_finish"):
        "kernel-mode branch with RCU watching, as above (debug kernels: "
        "TRACE_IRQFLAGS); on the idle branch it comes after ct_irq_enter()",
    ("lockdep_hardirqs_off", "debug_locks_off"):
        "lockdep's report of a broken irq-state invariant (debug kernels)",
    ("lockdep_hardirqs_off", "__warn_printk"):
        "lockdep's report of a broken irq-state invariant (debug kernels)",
    ("lockdep_hardirqs_on", "debug_locks_off"):
        "lockdep's report of a broken irq-state invariant (debug kernels; "
        "the doze window's idle entry)",
    ("lockdep_hardirqs_on", "__warn_printk"):
        "lockdep's report of a broken irq-state invariant (debug kernels; "
        "the doze window's idle entry)",
    ("context_tracking_recursion_enter", "__warn_printk"):
        "WARN on a negative recursion count: a context-tracking bug, "
        "not a path of a correct entry",
}


def readelf_sections(path):
    out = subprocess.run(["readelf", "-SW", path], check=True,
                         capture_output=True, text=True).stdout
    secs = {}
    for line in out.splitlines():
        line = line.replace("[ ", "[")
        parts = line.split()
        if len(parts) < 7 or not parts[0].startswith("["):
            continue
        try:
            name, addr, off, size = parts[1], int(parts[3], 16), int(parts[4], 16), int(parts[5], 16)
        except ValueError:
            continue
        secs[name] = (addr, off, size)
    return secs


def symbols(path):
    out = subprocess.run(["nm", "-n", path], check=True,
                         capture_output=True, text=True).stdout
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) != 3:
            continue
        addrs.append(int(parts[0], 16))
        names.append(parts[2])
    return addrs, names


def sym_at(addrs, names, a):
    i = bisect.bisect_right(addrs, a) - 1
    return (names[i], a - addrs[i]) if i >= 0 else ("?", a)


def disassemble(path, start, end):
    out = subprocess.run(["objdump", "-d", "--no-show-raw-insn", f"--start-address={start:#x}",
                          f"--stop-address={end:#x}", path],
                         check=True, capture_output=True, text=True).stdout
    insns = []
    for line in out.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
        if not m:
            continue
        insns.append((int(m.group(1), 16), m.group(2), m.group(3)))
    return insns


def main(argv):
    if not argv:
        sys.exit(__doc__)
    path = argv[0]
    consumers = set(CONSUMERS)
    idle = "--idle" in argv
    if idle:
        consumers.add(IDLE_EXIT)
    if "--without" in argv:
        consumers -= set(argv[argv.index("--without") + 1].split(","))
    secs = readelf_sections(path)
    addrs, names = symbols(path)
    with open(path, "rb") as f:
        data = f.read()

    def sym(name):
        return addrs[names.index(name)] if name in names else None

    def offset(a):
        for sa, so, ss in secs.values():
            if sa and sa <= a < sa + ss:
                return so + a - sa
        raise ValueError(f"{a:#x} is in no section")

    zones = [(sym("__entry_text_start"), sym("__entry_text_end")),
             (sym("__noinstr_text_start"), sym("__noinstr_text_end"))]
    ro = (sym("__start_ro_after_init"), sym("__end_ro_after_init"))

    def in_zone(a):
        return any(s <= a < e for s, e in zones)

    def table(start, stop):
        a, b = sym(start), sym(stop)
        return (a, offset(a), b - a) if a is not None and b is not None and b > a else None

    sites = {}  # address -> (kind, key address or None, jump target or None)
    t = table("__start___jump_table", "__stop___jump_table")
    if t:
        addr, off, size = t
        for i in range(0, size, 16):
            code, target, key = struct.unpack_from("<iiq", data, off + i)
            # Relative entries: each field is relative to its own address;
            # the key's low bits are flags.
            sites[addr + i + code] = ("jump_label", (addr + i + 8 + key) & ~3,
                                      addr + i + 4 + target, key & 1)
    t = table("__start_static_call_sites", "__stop_static_call_sites")
    if t:
        addr, off, size = t
        for i in range(0, size, 8):
            a, key = struct.unpack_from("<ii", data, off + i)
            sites[addr + i + a] = ("static_call", (addr + i + 4 + key) & ~3, None, 0)
    t = table("__start_mcount_loc", "__stop_mcount_loc")
    if t:
        addr, off, size = t
        for i in range(0, size, 8):
            (a,) = struct.unpack_from("<Q", data, off + i)
            sites[a] = ("fentry", None, None, 0)
    if not any(v[0] == "jump_label" for v in sites.values()):
        print("not ok - danger zone: no jump label sites found: the check would be blind")
        return 1

    insn = {}
    order = []
    walkable = list(zones)
    if ".altinstr_aux" in secs:
        # static_cpu_has() before alternatives are applied: the slow test
        # jumps back to either outcome, so walking it covers both.
        sa, _so, ss = secs[".altinstr_aux"]
        walkable.append((sa, sa + ss))
    for s0, e0 in walkable:
        order += disassemble(path, s0, e0)
    nxt = {}
    for i, (a, mn, ops) in enumerate(order):
        insn[a] = (mn, ops)
        if i + 1 < len(order):
            nxt[a] = order[i + 1][0]
    byname = {n: a for a, n in zip(addrs, names)}

    roots = [n for a, n in zip(addrs, names)
             if zones[0][0] <= a < zones[0][1] and
             (n.startswith("asm_") or n in ("entry_SYSCALL_64", "entry_SYSCALL_compat",
                                            "entry_SYSENTER_compat", "entry_INT80_compat"))]
    roots += [c for c in consumers if c in byname]

    problems = {}  # description -> example path
    allowed = set()
    in_noinstr = set()  # (site, function): allowed in the idle window
    walked = 0

    def note(what, where):
        problems.setdefault(what, where)

    def fname(a):
        n, o = sym_at(addrs, names, a)
        return f"{n}+{o:#x}"

    def walk(work, idle):
        """Walk from each (address, root name[, frame]) of work; idle: the
        doze window, where a patchable site inside entry/noinstr text is
        allowed (its pokes are IPIs to every CPU, never deferred), and
        where a return from the frame (the function the root is in) goes
        on in that function's callers."""
        nonlocal walked
        seen = set()
        work = [w if len(w) == 3 else (w[0], w[1], None) for w in work]
        while work:
            a, root, frame = work.pop()
            while (a, frame) not in seen:
                seen.add((a, frame))
                if a not in insn:
                    note(f"control reaches {fname(a)}, outside entry/noinstr text", root)
                    break
                walked += 1
                mn, ops = insn[a]
                if a in sites:
                    kind, key, target = sites[a][:3]
                    keyname = sym_at(addrs, names, key)[0] if key is not None else "-"
                    if not (key is not None and ro[0] is not None and ro[0] <= key < ro[1]):
                        if idle and in_zone(a):
                            in_noinstr.add((f"{kind} (key {keyname})", fname(a).split("+")[0]))
                        else:
                            note(f"{kind} (key {keyname}) at {fname(a)}", root)
                    if kind == "jump_label" and keyname in ON_EDGE_ONLY:
                        # Taken when enabled != branch (the entry's low key bit).
                        branch = sites[a][3]
                        if branch == 0:
                            a = target
                            continue
                        # else: enabled is the fall-through, walked below
                    elif target is not None:
                        work.append((target, root, frame))
                m = re.search(r"^([0-9a-f]+) <([^>+]+)", ops)
                tgt = int(m.group(1), 16) if m else None
                tname = m.group(2).split(".")[0] if m else None
                # A return with a frame (not in a callee's body: a tail call
                # keeps the frame) goes back to the frame's callers.
                if frame is not None and (mn.startswith("ret") or (
                        mn.startswith("jmp") and "<__x86_return_thunk" in ops)):
                    back = callers.get(frame, [])
                    if not back:
                        note(f"the doze window returns from {frame} into callers "
                             f"the walk cannot see", root)
                    for r, fn in back:
                        work.append((r, root, fn))
                    break
                if mn.startswith("ret") or mn.startswith("iret") or mn.startswith("sysret") or \
                   mn in ("ud2", "int3", "sysexit"):
                    break
                if mn.startswith("call"):
                    if tgt is None:
                        note(f"indirect call at {fname(a)}", root)
                        break
                    if tname in consumers:
                        break           # the zone ends on this path
                    if not in_zone(tgt):
                        fn = fname(a).split("+")[0].split(".")[0]
                        if (fn, tname) in NOT_IN_ZONE:
                            allowed.add((fn, tname))
                        else:
                            note(f"call to {tname} (outside entry/noinstr text) at {fname(a)}", root)
                    else:
                        work.append((tgt, root, None))
                elif mn.startswith("jmp"):
                    if tgt is None:
                        note(f"indirect jump at {fname(a)}", root)
                        break
                    if tname == "__x86_return_thunk":
                        break
                    if tname in consumers:
                        break
                    if not any(s0 <= tgt < e0 for s0, e0 in walkable):
                        note(f"jump to {tname} (outside entry/noinstr text) at {fname(a)}", root)
                        break
                    a = tgt
                    continue
                elif mn.startswith("j") and tgt is not None:
                    work.append((tgt, root, frame))
                if a not in nxt:
                    break
                a = nxt[a]

    if idle:
        roots = [c for c in consumers if c in byname]
    walk([(byname[r], r) for r in roots], False)

    # The idle window: from the return of every call to ct_idle_enter()
    # (the transition into IDLE) in entry/noinstr text until a consuming
    # call (ct_idle_exit(), or an entry's).  Calls from other text are not
    # seen (it is not disassembled); in this kernel there are none.
    idle_roots = []
    callers = {}  # function -> [(return address, calling function)]
    for a, (mn, ops) in insn.items():
        m = re.search(r"^([0-9a-f]+) <([^>+]+)", ops)
        if not (mn.startswith("call") and m and a in nxt):
            continue
        here = fname(a).split("+")[0]
        callers.setdefault(m.group(2).split(".")[0], []).append((nxt[a], here))
        if m.group(2).split(".")[0] == IDLE_ENTER:
            idle_roots.append((nxt[a], "doze window in " + here, here))
    if idle and not idle_roots:
        note(f"no call to {IDLE_ENTER} in entry/noinstr text: the doze window was not walked",
             IDLE_ENTER)
    if idle:
        walk(list(idle_roots), True)
        roots += [r for _a, r, _f in idle_roots]

    for fn, what in sorted(allowed):
        print(f"ok - danger zone: {fn} reaches {what}: {NOT_IN_ZONE[(fn, what)]}")
    for what, fn in sorted(in_noinstr):
        print(f"ok - danger zone: the doze window reaches {what} in {fn}: noinstr text, "
              f"whose pokes IPI every CPU (text_poke_sync_at)")
    for what, root in sorted(problems.items()):
        print(f"not ok - danger zone: {what} (reached from {root})")
    print(f"# walked {walked} instructions from {len(roots)} roots; "
          f"{len(sites)} patchable sites in the kernel, {len(problems)} problems")
    if not problems:
        print("ok - danger zone: no patchable site, call out of noinstr text or indirect "
              "branch before deferred work is done")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
