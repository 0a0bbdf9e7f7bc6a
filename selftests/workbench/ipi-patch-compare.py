#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Compare what Coccinelle's patch mode proposes with what the series did.

    ipi-patch-compare.py BASE_TREE PATCH_DIFF REPORT_CSV

PATCH_DIFF is the output of cpu_flags_ipi_callers.cocci in patch mode over
files of the base tree (Linux without the series); REPORT_CSV is the report
over the tree with the series (coccinelle/ipi-callers.csv), whose
"converted" column says how the series converted each call site.

Each call site is named by its file, the function that makes the call and
the callback, and its conversion by kind: skip (a CPU in user mode is
skipped), defer (a filter defers the work to the next entry), pin (a
struct cpu_flags_call with a pinned variant).  A site where the two agree
on the kind is "same"; one the script proposes and the series leaves
alone must be in DECLINED, and one the series converts and the script
does not propose must be in BY_HAND, each with its reason.  Anything else
is a difference, and the exit status is 1.
"""
import csv
import re
import sys

# Proposed by the script, not taken by the series: why.
DECLINED = {
    ("arch/x86/kernel/alternative.c", "text_poke_sync", "do_sync_core"):
        "its callers patch text that the entry path may run before it takes "
        "deferred work; the series defers through text_poke_sync_at(), where "
        "the address is known",
    ("arch/x86/mm/tlb.c", "flush_tlb_all", "do_flush_tlb_all"):
        "its callers may have freed page-table pages, which a CPU in user mode "
        "can still walk speculatively; the series defers only the flushes that "
        "free none (flush_tlb_kernel_leaf_range(), change_page_attr)",
    ("arch/x86/mm/tlb.c", "flush_tlb_kernel_range", "do_flush_tlb_all"):
        "as flush_tlb_all(): its callers may free page tables",
    ("arch/x86/mm/tlb.c", "flush_tlb_kernel_range", "do_kernel_range_flush"):
        "as flush_tlb_all(): its callers may free page tables",
    ("kernel/trace/ftrace.c", "update_ftrace_function", "ftrace_sync_ipi"):
        "only without CONFIG_DYNAMIC_FTRACE, which x86 always has",
    ("kernel/scftorture.c", "scf_torture_cleanup", "scf_cleanup_handler"):
        "a torture test's own IPIs, which it exists to send",
    ("kernel/livepatch/transition.c", "klp_synchronize_transition", "klp_sync"):
        "correct (a CPU in user mode is outside every patched function), but "
        "CONFIG_LIVEPATCH is not in the test config, so no load source measures it",
}

# Converted by the series where the script proposes nothing (another form of
# call, or a class the facts alone do not give): why.
BY_HAND = {
    ("arch/x86/mm/tlb.c", "flush_tlb_all_cond", "do_flush_tlb_all"):
        "a new function that takes its caller's filter",
    ("arch/x86/mm/tlb.c", "__flush_tlb_kernel_range", "do_flush_tlb_all"):
        "a new function that takes its caller's filter",
    ("arch/x86/mm/tlb.c", "__flush_tlb_kernel_range", "do_kernel_range_flush"):
        "a new function that takes its caller's filter",
    ("mm/vmstat.c", "vmstat_refresh", "refresh_vm_stats"):
        "the facts say must-IPI (local_lock()'s lockdep owner, the page "
        "allocator); the pinned variant was reviewed by hand",
    ("mm/slub.c", "flush_all_cpus_locked", "flush_cpu_slab"):
        "per-CPU work in a loop (cpu_flags_call_avoid_work()); the facts say "
        "must-IPI, the pinned variant was reviewed by hand",
    ("mm/swap.c", "__lru_add_drain_all", "lru_add_drain_per_cpu"):
        "per-CPU work in a loop (cpu_flags_call_avoid_work()); the facts say "
        "must-IPI (local_lock()'s lockdep owner), the pinned variant was "
        "reviewed by hand",
    ("kernel/workqueue.c", "schedule_on_each_cpu_needs", "func"):
        "the API's own layer",
    ("kernel/sched/membarrier.c", "sync_runqueues_membarrier_state", "ipi_sync_rq_state"):
        "the facts say must-IPI (the callback reads current); the pinned "
        "variant names the pinned CPU's task instead, reviewed by hand",
}

CALL = re.compile(r"\b(on_each_cpu_needs|on_each_cpu_cond_mask_needs|on_each_cpu_cond_mask|"
                  r"on_each_cpu_cond|schedule_on_each_cpu_needs)\s*\((.*)$")
FUNC = re.compile(r"^(?:[A-Za-z_][\w \*]*[ \*])?([A-Za-z_]\w*)\s*\(")


def kind_of(text):
    """The kind of a conversion, from the call's arguments or the report's
    "converted" column."""
    if re.search(r"cpu_flags_call_skip_(user|quiet)|cpu_flags_ipi_unless_(user|quiet)", text):
        return "skip"
    if re.search(r"cpu_flags_ipi_unless_(sync|tlb)_deferred", text):
        return "defer"
    if re.search(r"\w+_needs\b", text) or "cpu_flags_call_avoid_work" in text:
        return "pin"
    return None


def enclosing(lines, n):
    """The function whose body holds line @n (1-based) of @lines."""
    for k in range(n - 1, -1, -1):
        line = lines[k]
        if line[:1] in ("{", "}") and k < n - 1:
            if line.startswith("}"):
                return None
            # The definition's head ends just above its brace.
            for j in range(k - 1, max(k - 8, -1), -1):
                m = FUNC.match(lines[j])
                if m and not lines[j].rstrip().endswith(";"):
                    return m.group(1)
            return None
    return None


def proposals(base, diff):
    """{(file, caller, callback): kind} from a patch-mode diff."""
    out, path, old, lines = {}, None, 0, []
    text = open(diff).read().split("\n")
    for k, line in enumerate(text):
        if line.startswith("--- "):
            path = line[4:].split("\t")[0].strip()
            path = path[2:] if path.startswith("a/") else path
            lines = open(f"{base}/{path}", errors="replace").read().split("\n")
            continue
        m = re.match(r"^@@ -(\d+)", line)
        if m:
            old = int(m.group(1))
            continue
        if line.startswith("+++"):
            continue
        if line.startswith("-"):
            old += 1
            continue
        if line.startswith("+"):
            m = CALL.search(line)
            if m:
                call = line[1:]
                j = k + 1
                while call.count("(") > call.count(")") and j < len(text):
                    call += text[j][1:]
                    j += 1
                args = [a.strip() for a in re.sub(r"^[^(]*\(", "", call).rsplit(")", 1)[0]
                        .split(",")]
                cb = args[1] if m.group(1).startswith("on_each_cpu_cond") else args[0]
                out[(path, enclosing(lines, old), cb)] = kind_of(call)
            continue
        old += 1
    return out


def series(report):
    """{(file, caller, callback): kind} of the sites the series converted."""
    out = {}
    for r in csv.DictReader(open(report)):
        # "needs NULL" (schedule_on_each_cpu()'s own call) converts nothing.
        if r["converted"] and kind_of(r["converted"]):
            out[(r["file"], r["caller"], r["callback"])] = kind_of(r["converted"])
    return out


def main(base, diff, report):
    got, done = proposals(base, diff), series(report)
    bad = 0
    for key in sorted(set(got) | set(done)):
        site = "%s: %s() -> %s()" % key
        p, s = got.get(key), done.get(key)
        if p and s == p:
            print(f"same      {site}: {p}")
        elif p and s is None and key in DECLINED:
            print(f"declined  {site}: proposed {p}; {DECLINED[key]}")
        elif p is None and s and key in BY_HAND:
            print(f"by hand   {site}: {s}; {BY_HAND[key]}")
        elif p is None and s and key[1] is not None and not base_has(base, key):
            print(f"new       {site}: {s}; the call is new in the series")
        else:
            bad += 1
            print(f"DIFFERS   {site}: proposed {p or 'nothing'}, series {s or 'nothing'}")
    # A listed reason that no longer applies is itself a difference.
    stale = [k for k in DECLINED if not (k in got and k not in done)] + \
        [k for k in BY_HAND if not (k in done and k not in got)]
    for key in stale:
        bad += 1
        print("STALE     %s: %s() -> %s(): its reason is listed, but the site is not "
              "so (any more)" % key)
    print(f"{len(got)} proposed, {len(done)} converted by the series, {bad} differences")
    return 1 if bad else 0


def base_has(base, key):
    """Whether the base tree has @key's call (same file, caller, callback)."""
    try:
        text = open(f"{base}/{key[0]}", errors="replace").read()
    except OSError:
        return False
    head = re.search(r"^[^\n;]*\b%s\s*\([^;{]*\)\s*\{" % re.escape(key[1]), text, re.M)
    return bool(head) and re.search(r"\b%s\b" % re.escape(key[2]), text[head.end():]) is not None


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
