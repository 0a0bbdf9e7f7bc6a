// SPDX-License-Identifier: GPL-2.0-only
///
/// Find every caller of on_each_cpu*(), smp_call_function*() and
/// smp_call_function_single*() with the callback it sends, and classify
/// the callback for cpu_flags (Documentation/core-api/cpu-flags.rst) from
/// what its body touches:
///
///   defer        only sync_core() or a full kernel TLB flush: a CPU in
///                user mode can do it at its next kernel entry
///   skip-if-USER nothing but memory barriers: the IPI only waits until
///                the target is outside some kernel section
///   run-under-pin only this CPU's per-CPU kernel data (this_cpu_*,
///                smp_processor_id()): a pinner can run it for a CPU that
///                stays in user mode
///   must-IPI     anything else: MSRs, control registers, user-mm TLB,
///                LDT/FPU/PMU, calls the script cannot see into, or a
///                callback it cannot find
///
/// The class is a first cut from the callback's text, with the reason it
/// saw; a conversion still needs a human to check the callback.  Calls
/// already converted to on_each_cpu_needs() / on_each_cpu_cond_mask_needs()
/// or to a cpu_flags filter are marked with what they pass.
///
/// Patch mode converts the callers whose callback the script classes
/// skip-if-USER and that call on_each_cpu(), on_each_cpu_mask() or
/// smp_call_function(): they pass &cpu_flags_call_skip_user.  Such a
/// callback (empty, or barriers only) also runs on the calling CPU after
/// the patch, which is harmless.  The defer and run-under-pin classes
/// are not patched: whether a flush may wait for the next entry depends on
/// what the caller changed, and a pinned callback has to be written.
///
// Confidence: Moderate
// Copyright: (C) 2026 cpu_flags developers
// Options: --no-includes --include-headers
//

virtual report
virtual org
virtual context
virtual patch

// Callbacks passed by name, by where the API takes them.
@first depends on report || org || context@
identifier cb;
expression list es;
position p;
@@
(
 on_each_cpu@p(cb, es)
|
 smp_call_function@p(cb, es)
)

@second depends on report || org || context@
expression E;
identifier cb;
expression list es;
position p;
@@
(
 on_each_cpu_mask@p(E, cb, es)
|
 on_each_cpu_cond@p(E, cb, es)
|
 on_each_cpu_cond_mask@p(E, cb, es)
|
 smp_call_function_single@p(E, cb, es)
|
 smp_call_function_many@p(E, cb, es)
|
 smp_call_function_any@p(E, cb, es)
)

// Calls converted to the cpu_flags caller API, and what they need.
@needs depends on report || org || context@
expression C, I, W, M, N;
identifier cb;
position p;
@@
(
 on_each_cpu_needs@p(cb, I, W, N)
|
 on_each_cpu_cond_mask_needs@p(C, cb, I, W, M, N)
)

// Every call, to catch those whose callback is not a plain name.
@anycall depends on report || org || context@
expression list es;
identifier api =~ "^(on_each_cpu|on_each_cpu_mask|on_each_cpu_cond|on_each_cpu_cond_mask|on_each_cpu_needs|on_each_cpu_cond_mask_needs|smp_call_function|smp_call_function_single|smp_call_function_single_async|smp_call_function_many|smp_call_function_many_cond|smp_call_function_any)$";
position p;
@@
 api@p(es)

// Function definitions in the file, to read the callbacks' bodies.
@fn@
identifier f;
position p;
@@
 f@p(...) { ... }

@initialize:python@
@@
import re

sites = {}      # (file, line) -> [api, callback or None, caller]
converted = {}  # (file, line) -> the cpu_flags filter the call already uses
defs = {}       # (file, function name) -> line

TOUCH = [
    # (reason, pattern) in the order they decide the class
    ("MSR/CR/CPUID", r"\b(wrmsr\w*|rdmsr\w*|native_write_cr\d|write_cr\d|__write_cr\d|"
                     r"cr4_(set|clear|update)\w*|native_wbinvd|wbinvd|cpuid\w*|"
                     r"write_pkru|xsetbv|set_debugreg|native_load_\w+|load_\w+_desc)\b"),
    ("user-visible state", r"\b(current|switch_mm\w*|load_mm_\w+|refresh_ldt\w*|"
                           r"fpregs?\w*|perf_\w+|x86_pmu\w*|membarrier\w*|"
                           r"send_sig\w*|set_tsk\w*|task_\w+|mm)\b"),
    ("TLB (kernel)", r"\b(__flush_tlb_all|__flush_tlb_global|flush_tlb_one_kernel)\s*\("),
    ("TLB (range or user)", r"\b(flush_tlb_(?!one_kernel\b)\w+|__flush_tlb_(?!all\b|global\b)\w+|"
                            r"invlpg\w*|invpcid\w*)\s*\("),
    ("serialize", r"\bsync_core\b"),
    ("per-CPU data", r"\b(this_cpu_\w+|__this_cpu_\w+|raw_cpu_\w+|get_cpu_var|"
                     r"this_cpu_ptr|smp_processor_id|raw_smp_processor_id)\b"),
    ("barrier", r"\b(smp_mb|smp_rmb|smp_wmb|mb|rmb|wmb|barrier)\b"),
]
BENIGN = set("""
 this_cpu_read this_cpu_write this_cpu_inc this_cpu_dec this_cpu_add
 this_cpu_sub this_cpu_ptr __this_cpu_read __this_cpu_write __this_cpu_inc
 __this_cpu_dec __this_cpu_add raw_cpu_ptr raw_cpu_read smp_processor_id
 raw_smp_processor_id smp_mb smp_rmb smp_wmb mb rmb wmb barrier sync_core
 __flush_tlb_all __flush_tlb_global flush_tlb_one_kernel WRITE_ONCE READ_ONCE
 count_vm_tlb_event count_vm_tlb_events
 if while for return sizeof likely unlikely per_cpu_ptr get_cpu_var
 put_cpu_var container_of atomic_inc atomic_dec atomic_set atomic_read
 set_bit clear_bit test_bit cpumask_set_cpu cpumask_clear_cpu
 cpumask_test_cpu
""".split())


def body_of(path, line):
    """The text of the function whose name is on @line, from its '{'."""
    try:
        src = open(path).read().split("\n")
    except OSError:
        return None
    text = "\n".join(src[line - 1:])
    start = text.find("{")
    if start < 0:
        return None
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return text[start:i + 1]
    return None


def strip_comments(t):
    t = re.sub(r"/\*.*?\*/", " ", t, flags=re.S)
    return re.sub(r"//[^\n]*", " ", t)


# Callbacks a human reviewed, where the text alone misleads.
REVIEWED = {
    "cpa_split_flush_tlb_all": ("must-IPI", "large-page split: no CPU may keep the old "
                                "large translation next to new small ones"),
    "ipi_mb": ("must-IPI", "membarrier: the barrier is for the user code running there"),
    "sgx_ipi_cb": ("must-IPI", "SGX: the IPI makes CPUs leave the enclave, which runs in "
                   "user mode"),
    "ignore_task_cpu": ("run-under-pin", "per-CPU ignore_pid from the running task, which "
                        "cannot change while pinned (cpu_curr_snapshot())"),
    "disable_trace_buffered_event": ("run-under-pin", "per-CPU count that NMIs change too: "
                                     "cpu_flags_pinned_add_balanced()"),
    "enable_trace_buffered_event": ("run-under-pin", "per-CPU count that NMIs change too: "
                                    "cpu_flags_pinned_add_balanced()"),
}


def classify(cb, path):
    """(class, reason) for callback @cb, defined (or not) in @path."""
    if cb in REVIEWED:
        return REVIEWED[cb][0], "reviewed: " + REVIEWED[cb][1]
    if cb is None:
        return "must-IPI", "callback is not a plain function name"
    if (path, cb) not in defs:
        return "must-IPI", "callback not defined in this file (a variable or elsewhere)"
    body = body_of(path, defs[(path, cb)])
    if body is None:
        return "must-IPI", "callback body not found"
    body = strip_comments(body)
    inner = body.strip()[1:-1]
    if not re.search(r"\w", re.sub(r"\(\s*void\s*\)\s*\w+\s*;", "", inner)):
        return "skip-if-USER", "nothing (empty body)"
    seen = [why for why, pat in TOUCH if re.search(pat, body)]
    calls = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", body)) - BENIGN
    if "MSR/CR/CPUID" in seen:
        return "must-IPI", "MSRs/CRs/CPUID"
    if "user-visible state" in seen:
        return "must-IPI", "user-visible or task state"
    if "TLB (range or user)" in seen:
        return "must-IPI", "TLB, not a full kernel flush"
    if calls:
        return "must-IPI", "calls " + ", ".join(sorted(calls)[:4]) + \
            (" ..." if len(calls) > 4 else "")
    if "TLB (kernel)" in seen or "serialize" in seen:
        what = " + ".join(w for w in ("TLB (kernel)", "serialize") if w in seen)
        return "defer", what
    if "per-CPU data" in seen:
        return "run-under-pin", "this CPU's per-CPU data only"
    if seen == ["barrier"] or not seen:
        return "skip-if-USER", "memory barriers only" if seen else "no side effect seen"
    return "must-IPI", "unrecognised body"

def describe(api, p):
    """One report line for the call of @api at @p."""
    key = (p[0].file, int(p[0].line))
    _, cb, caller = sites.get(key, [None, None, p[0].current_element])
    cls, why = classify(cb, p[0].file)
    done = converted.get(key)
    return "%s(%s) in %s(): %s (%s)%s" % (api, cb or "?", caller, cls, why,
                                          " [converted: %s]" % done if done else "")

@script:python depends on fn@
f << fn.f;
p << fn.p;
@@
defs.setdefault((p[0].file, f), int(p[0].line))

@script:python depends on first@
cb << first.cb;
p << first.p;
@@
sites[(p[0].file, int(p[0].line))] = [None, cb, p[0].current_element]

@script:python depends on second@
cb << second.cb;
e << second.E;
p << second.p;
@@
sites[(p[0].file, int(p[0].line))] = [None, cb, p[0].current_element]
if str(e).startswith("cpu_flags_"):
    converted[(p[0].file, int(p[0].line))] = str(e)

@script:python depends on needs@
cb << needs.cb;
n << needs.N;
p << needs.p;
@@
sites[(p[0].file, int(p[0].line))] = [None, cb, p[0].current_element]
converted[(p[0].file, int(p[0].line))] = str(n).replace("&", "").strip()

@script:python depends on anycall && org@
api << anycall.api;
p << anycall.p;
@@
cocci.print_main(describe(api, p), p)

@script:python depends on anycall && (report || context)@
api << anycall.api;
p << anycall.p;
@@
print("%s:%s: %s" % (p[0].file, p[0].line, describe(api, p)))

// Patch mode: callers of the skip-if-USER class.
@pcall depends on patch@
identifier cb;
expression I, W, M;
position p;
@@
(
 on_each_cpu@p(cb, I, W)
|
 smp_call_function@p(cb, I, W)
|
 on_each_cpu_mask@p(M, cb, I, W)
)

@script:python pskip depends on pcall@
cb << pcall.cb;
p << pcall.p;
@@
if classify(cb, p[0].file)[0] != "skip-if-USER":
    cocci.include_match(False)

@depends on pskip@
identifier pcall.cb;
expression pcall.I, pcall.W, pcall.M;
position pcall.p;
@@
(
- on_each_cpu@p(cb, I, W)
+ on_each_cpu_needs(cb, I, W, &cpu_flags_call_skip_user)
|
- smp_call_function@p(cb, I, W)
+ on_each_cpu_needs(cb, I, W, &cpu_flags_call_skip_user)
|
- on_each_cpu_mask@p(M, cb, I, W)
+ on_each_cpu_cond_mask_needs(NULL, cb, I, W, M, &cpu_flags_call_skip_user)
)
