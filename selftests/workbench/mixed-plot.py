#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Plot the interruptions per second of the isolated CPUs in a mixed run
(interference -X: every source at once), one line per kernel, with
gnuplot (Debian's gnuplot-nox) into an SVG file.

    mixed-plot.py LABEL=result.json [LABEL=result.json ...] --svg OUT

A kernel whose line is all zeroes stays visible on the log scale's floor:
each count c is drawn as c + 1 (the axis says so).
"""
import json
import os
import subprocess
import sys
import tempfile


def main(argv):
    runs, out = [], None
    args = iter(argv)
    for a in args:
        if a == "--svg":
            out = next(args, None)
            continue
        label, _, path = a.rpartition("=")
        if not label:
            sys.exit(f"mixed-plot.py: '{a}' is not LABEL=result.json")
        with open(path) as f:
            r = json.load(f)
        src = next((s for s in r["sources"] if s["name"] == "mixed"), None)
        if src is None or "per_second" not in src:
            sys.exit(f"mixed-plot.py: {path} holds no mixed run (interference -X)")
        runs.append((label, r, src))
    if not runs or not out:
        sys.exit("usage: mixed-plot.py LABEL=result.json ... --svg OUT")

    with tempfile.TemporaryDirectory() as tmp:
        plots = []
        for i, (label, r, src) in enumerate(runs):
            data = os.path.join(tmp, f"{i}.dat")
            with open(data, "w") as f:
                for t, c in enumerate(src["per_second"]):
                    f.write(f"{t + 1} {c + 1}\n")
            plots.append(f"'{data}' using 1:2 with lines lw 2 title "
                         f"'{label}: {src['interruptions']} in {len(src['per_second'])} s'")
        first = runs[0][1]
        script = os.path.join(tmp, "plot.gp")
        with open(script, "w") as f:
            f.write("set terminal svg size 900,480 dynamic noenhanced font 'sans,12'\n")
            f.write(f"set output '{out}'\n")
            f.write(f"set title 'Every source at once: interruptions of isolated CPUs "
                    f"{first['isolated']} ({first.get('spinners', '')} spinners)'\n")
            f.write("set xlabel 'second of the run'\n")
            f.write("set ylabel 'interruptions per second + 1'\n")
            f.write("set logscale y\nset yrange [0.8:*]\nset key top right\nset grid\n")
            f.write("plot " + ", ".join(plots) + "\n")
        try:
            subprocess.run(["gnuplot", script], check=True)
        except FileNotFoundError:
            sys.exit("mixed-plot.py: gnuplot is missing (Debian package gnuplot-nox)")


if __name__ == "__main__":
    main(sys.argv[1:])
