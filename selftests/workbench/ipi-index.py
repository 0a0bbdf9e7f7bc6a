#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The index of function facts for the IPI callers report: the first pass.

    ipi-index.py TREE COCCI REPORT INDEX [FILES...]

REPORT is a report made without an index (its lines name each call site's
callback); FILES are the files of the call sites.  Starting from the
callbacks, this follows every function they call, as far as the report's
classification does (cpu_flags_ipi_callers.cocci: MAX_DEPTH, and no
further into names its VOCABULARY already gives a meaning), finds where
each one is defined (a non-static definition in a .c file, or any in a
header, or a function-like macro) with git grep, runs the script in facts
mode over those files, and writes what it found to INDEX (JSON), where the
report's second pass reads it (CPU_FLAGS_IPI_INDEX).  The filters handed
on from one function to another (the script's PASS lines) go in too,
under "__passes__", from the call sites' files.  IPI_INDEX_TIMES=1 names
every spatch run that takes more than 3 seconds.
"""
import json
import os
import re
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# Where definitions are looked for: the code the report covers and what it
# calls.  Headers of other architectures are left out.
SCOPE = ["arch/x86", "kernel", "mm", "lib", "include", "drivers", "fs", "block",
         "security", "net", "crypto", "virt", "init", "ipc"]
SITE = re.compile(r"^(\S+?):(\d+): (\S+?)\((\S*?)\) in ")


def cocci_python(cocci):
    """The script's own Python (its @initialize:python@ block), so that the
    vocabulary and the depth are those of the report."""
    text = open(cocci).read()
    start = text.index("@initialize:python@\n@@\n") + len("@initialize:python@\n@@\n")
    end = re.compile(r"\n(?=//|@)").search(text, start).start()
    env = {}
    exec(text[start:end], env)
    return env


def facts_of(tree, cocci, files):
    """Run the script in facts mode over @files: {file: [(name, facts)]},
    and the PASS lines."""
    def one(f):
        t0 = time.time()
        r = subprocess.run(["spatch", "--very-quiet", "--no-includes", "--include-headers",
                            "-D", "facts", "--cocci-file", cocci, f],
                           cwd=tree, capture_output=True, text=True)
        if os.environ.get("IPI_INDEX_TIMES") and time.time() - t0 > 3:
            sys.stderr.write(f"ipi-index: {f}: {time.time() - t0:.1f} s\n")
        return f, r
    out, passes = {}, []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for f, r in ex.map(one, sorted(files)):
            got = []
            for line in r.stdout.splitlines():
                if line.startswith("FACT "):
                    got.append(tuple(json.loads(line[5:])))
                elif line.startswith("PASS "):
                    passes.append(json.loads(line[5:]))
            if r.returncode and not got:
                sys.stderr.write(f"ipi-index: spatch failed on {f}: {r.stderr[-300:]}\n")
            out[f] = got
    return out, passes


def macro_facts(tree, path, line):
    """The facts of a function-like macro defined at @path:@line, read from
    its text: the names it calls, and current."""
    lines = open(os.path.join(tree, path), errors="replace").read().split("\n")
    calls, cur, asm, n = [], [], [], line - 1
    while n < len(lines):
        text = lines[n]
        body = text.split(")", 1)[1] if n == line - 1 and ")" in text else text
        calls += [[g, n + 1] for g in re.findall(r"\b([A-Za-z_]\w*)\s*\(", body)]
        if re.search(r"\bcurrent\b", body):
            cur.append(n + 1)
        if re.search(r"\b(asm|__asm__|alternative\w*)\b", body):
            asm.append(n + 1)
        if not text.rstrip().endswith("\\"):
            break
        n += 1
    return {"file": path, "line": line, "calls": calls, "icalls": [], "cur": cur, "asm": asm}


DEFS = None
# Files that no x86_64 kernel compiles (the other word size, the boot and
# real-mode stubs): a definition there is not what the report's code calls.
NOT_X86_64 = re.compile(r"^arch/x86/(boot|realmode|purgatory|um)/|^arch/x86/.*_32\.c$")


def locate(tree, names):
    """Where each of @names is defined: {name: [(file, line, is_macro)]}.
    One git grep of every line that may start a definition, read once."""
    global DEFS
    if DEFS is None:
        DEFS = {}
        rx = (r"^([A-Za-z_][A-Za-z0-9_ \*]*[ \*])?[A-Za-z_][A-Za-z0-9_]*\s*\(|"
              r"^#\s*define\s+[A-Za-z_][A-Za-z0-9_]*\(")
        r = subprocess.run(["git", "grep", "-n", "-E", rx, "--",
                            *[f"{d}/*.[ch]" for d in SCOPE]],
                           cwd=tree, capture_output=True, text=True)
        if r.returncode not in (0, 1) or not r.stdout:
            sys.exit(f"ipi-index: git grep found no definitions in {tree}: {r.stderr[-300:]}")
        for hit in r.stdout.splitlines():
            path, line, text = hit.split(":", 2)
            if path.startswith("include/") and path.endswith(".c"):
                continue
            if NOT_X86_64.search(path):
                continue
            m = re.match(r"^#\s*define\s+(\w+)\(", text)
            if m:
                DEFS.setdefault(m.group(1), []).append((path, int(line), True))
                continue
            if ";" in text or re.match(r"^(return|if|else|while|for|switch|do)\b", text):
                continue
            if path.endswith(".c") and re.match(r"^static\b", text):
                continue
            m = re.match(r"^(?:[A-Za-z_][A-Za-z0-9_ \*]*[ \*])?(\w+)\s*\(", text)
            if m:
                DEFS.setdefault(m.group(1), []).append((path, int(line), False))
    return {n: DEFS[n] for n in names if n in DEFS}


def main(tree, cocci, report, index, site_files):
    site_files = set(site_files)
    # spatch nests deeply on long functions: as much stack as allowed.
    hard = resource.getrlimit(resource.RLIMIT_STACK)[1]
    resource.setrlimit(resource.RLIMIT_STACK, (hard, hard))
    py = cocci_python(cocci)
    vocab, depth_max = py["vocab"], py["MAX_DEPTH"]

    local, passes = facts_of(tree, cocci, site_files)
    by_file = {f: {n: fa for n, fa in got} for f, got in local.items()}
    idx = {}

    def lookup(name, file):
        """As the report's fact(): the file's own function, then the index."""
        fa = by_file.get(file, {}).get(name)
        if fa is not None:
            # The report's pass over another file sees only that file's own.
            idx[f"{file}::{name}"] = fa
            return fa
        return idx.get(name)

    frontier = []
    for line in open(report):
        m = SITE.match(line)
        if m and m.group(4) not in ("", "?"):
            frontier.append((m.group(4), m.group(1), 0))
    visited, asked = set(), set()
    while frontier:
        unresolved, nxt = {}, []
        for name, file, depth in frontier:
            if (name, file) in visited:
                continue
            fa = lookup(name, file)
            if fa is None:
                if name not in asked:
                    unresolved.setdefault(name, []).append((name, file, depth))
                continue
            visited.add((name, file))
            if depth >= depth_max:
                continue
            for one in fa if isinstance(fa, list) else [fa]:
                for g, _line in one["calls"]:
                    if g != name and vocab(g) is None:
                        nxt.append((g, one["file"], depth + 1))
        if unresolved:
            asked |= set(unresolved)
            where = locate(tree, set(unresolved))
            files = {p for hits in where.values() for p, _l, mac in hits if not mac} - set(by_file)
            got, _more = facts_of(tree, cocci, files)
            for f, facts in got.items():
                by_file[f] = {n: fa for n, fa in facts}
            for name, hits in where.items():
                # Every definition (one per config or architecture, a stub
                # macro beside the real function): the report takes the
                # union of their effects, each with its own file.
                found = []
                for path, line, mac in hits:
                    fa = macro_facts(tree, path, line) if mac else by_file.get(path, {}).get(name)
                    if fa is not None and fa not in found:
                        found.append(fa)
                if found:
                    idx[name] = found[0] if len(found) == 1 else found
            nxt += [t for lst in unresolved.values() for t in lst]
        frontier = nxt
    idx["__passes__"] = passes
    json.dump(idx, open(index, "w"), sort_keys=True)
    print(f"  INDEX   {len(idx) - 1} functions from {len(by_file)} files, "
          f"{len(passes)} filters handed on", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
