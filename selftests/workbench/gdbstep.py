# SPDX-License-Identifier: GPL-2.0
# What the gdb scripts that step a QEMU guest through its gdbstub share
# (entry-trace.py, ipi-trace.py): gdb commands, values, the instruction at
# $pc, and the way out on failure.  Imported from the script's directory.
import os
import re

import gdb

# The script's name in its messages (each script sets it).
NAME = "gdbstep"


def fail(msg):
    print(f"{NAME}: {msg}", flush=True)
    os._exit(1)


def ex(cmd):
    return gdb.execute(cmd, to_string=True)


def val(expr):
    return int(gdb.parse_and_eval(expr)) & ((1 << 64) - 1)


def insn():
    """The instruction at $pc: (function, text)."""
    out = ex("x/i $pc").strip().splitlines()[-1]
    m = re.match(r"=>\s+0x[0-9a-f]+(?:\s+<([^>+]+)(?:\+\d+)?>)?:\s*(.*)", out)
    if not m:
        fail(f"cannot parse {out!r}")
    return (m.group(1) or "?", " ".join(m.group(2).split()))
