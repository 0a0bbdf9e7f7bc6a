#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare the machine code of two object files function by function.

    disasm-cmp.py A.o B.o

Exit 0 if every function of A has the same instructions and relocations in
B and neither has a function the other lacks; else print the functions that
differ (a unified diff each) and exit 1.  What does not count, because it
is layout and naming rather than code:
 - the order and addresses of functions in a section;
 - the numbered suffixes of compiler clones (.isra.0, .constprop.1);
 - whether two identical functions were folded into one body (identical
   code folding): a call is compared by the body it reaches, not by the
   name objdump prints for it.
"""
import difflib
import hashlib
import re
import subprocess
import sys

SUFFIX = re.compile(r"\.(isra|constprop|part)\.[0-9]+")
FUNC = re.compile(r"^([0-9a-f]+) <([^>]+)>:$")
INSN = re.compile(r"^\s*[0-9a-f]+:\s*(.*)$")
TARGET = re.compile(r"\b[0-9a-f]+ (<[^>]+>)")
NAME = re.compile(r"<([A-Za-z0-9_.]+)([+-]0x[0-9a-f]+)?>")


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def symbols(obj):
    """(section, address) -> names of the function symbols there."""
    at = {}
    for line in run("objdump", "-t", obj).splitlines():
        f = line.split()
        if len(f) == 6 and f[2] == "F":
            at.setdefault((f[3], int(f[0], 16)), set()).add(SUFFIX.sub("", f[5]))
    return at


def functions(obj):
    """Every function name -> its instructions (targets as names)."""
    at = symbols(obj)
    bodies, cur, section = {}, None, ""
    for line in run("objdump", "-dr", "--no-show-raw-insn", obj).splitlines():
        if line.startswith("Disassembly of section "):
            section = line.split()[-1].rstrip(":")
            continue
        m = FUNC.match(line)
        if m:
            name = SUFFIX.sub("", m.group(2))
            # "<f-0x10>": the padding before f, not a function.
            if "-0x" in name:
                cur = None
                continue
            names = at.get((section, int(m.group(1), 16)), {name})
            cur = []
            for n in names:
                bodies[f"{section} {n}"] = (names, cur)
            continue
        m = INSN.match(line)
        if cur is not None and m:
            cur.append(SUFFIX.sub("", TARGET.sub(r"\1", m.group(1))).strip())
    return bodies


def normalized(bodies):
    """Name -> instructions, with each reference to a local function
    replaced by a digest of that function's own (self-normalized) body."""
    def own(names, insns):
        self_ref = lambda m: "<self" + (m.group(2) or "") + ">" if m.group(1) in names else m.group(0)
        return [NAME.sub(self_ref, i) for i in insns]
    # Each body's digest covers the digests of what it calls: a few rounds
    # reach the depth of any call chain within one object file.
    digest = {}
    def ref(m):
        d = digest.get(m.group(1))
        return f"<fn:{d}{m.group(2) or ''}>" if d else m.group(0)
    for _ in range(8):
        digest = {key.split(" ", 1)[1]:
                  hashlib.sha1("\n".join(NAME.sub(ref, i) for i in own(names, insns))
                               .encode()).hexdigest()[:12]
                  for key, (names, insns) in bodies.items()}
    return {key: [NAME.sub(ref, i) for i in own(names, insns)]
            for key, (names, insns) in bodies.items()}


def main(a, b):
    fa, fb = normalized(functions(a)), normalized(functions(b))
    bad = 0
    for name in sorted(set(fa) | set(fb)):
        if fa.get(name) == fb.get(name):
            continue
        bad += 1
        print(f"# {name}: differs")
        for line in difflib.unified_diff(fa.get(name, []), fb.get(name, []), a, b, lineterm="", n=2):
            print(line)
    print(f"# {len(fa)} functions compared, {bad} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
