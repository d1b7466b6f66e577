#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise io_uring_rs benchmark rows into a table, CSVs and an SVG plot.

Input: files with rows ``csv,BENCH,PARAM,BACKEND,REP,VALUE,UNIT`` among
other lines (the VM's ttyS1 log, the host benchmark's output). Output, in
the directory given: ``raw.csv`` (every measurement), ``summary.csv``
(median, min, max per bench, parameter and backend, and the module/io_uring
ratio of medians), ``bench.svg`` (P1, P2 and P5), and the table on stdout.
"""

import argparse
import csv
import statistics
import sys
from collections import defaultdict


def read_rows(paths):
    rows = []
    for path in paths:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip().lstrip("# ").strip()
                if line.startswith("csv,"):
                    parts = line.split(",")
                    if len(parts) == 7:
                        _, bench, param, backend, rep, value, unit = parts
                        rows.append((bench, param, backend, int(rep), float(value), unit))
    return rows


def summarise(rows):
    groups = defaultdict(list)
    units = {}
    for bench, param, backend, _, value, unit in rows:
        groups[(bench, param, backend)].append(value)
        units[bench] = unit
    out = []
    for (bench, param, backend), vals in sorted(groups.items(), key=lambda k: (k[0][0], _num(k[0][1]), k[0][2])):
        out.append({
            "bench": bench, "param": param, "backend": backend,
            "median": statistics.median(vals), "min": min(vals), "max": max(vals),
            "n": len(vals), "unit": units[bench],
        })
    by_key = {(s["bench"], s["param"], s["backend"]): s for s in out}
    for s in out:
        ref = by_key.get((s["bench"], s["param"], "io_uring"))
        s["ratio"] = s["median"] / ref["median"] if ref and ref["median"] else None
    return out


def _num(s):
    try:
        return float(s)
    except ValueError:
        return float("inf")


def table(summary, out=sys.stdout):
    print(f"{'bench':10} {'param':>28} {'backend':12} {'median':>12} {'min':>12} {'max':>12} {'n':>3} {'unit':6} {'rs/uring':>8}", file=out)
    for s in summary:
        ratio = f"{s['ratio']:.2f}" if s["ratio"] is not None and s["backend"] != "io_uring" else ""
        print(f"{s['bench']:10} {s['param']:>28} {s['backend']:12} {s['median']:12.2f} {s['min']:12.2f} {s['max']:12.2f} {s['n']:3} {s['unit']:6} {ratio:>8}", file=out)


def svg(summary, path):
    """Four panels: P1 requests/s by chain length; P2 cancel-all and close
    time by N; P5 time to cancel N reads blocked in io-wq."""
    colors = {"io_uring": "#4477aa", "io_uring_rs": "#ee6677"}
    w, h, pad = 900, 700, 60
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<rect width="{w}" height="{h}" fill="white"/>']

    import math

    def panel(x0, top, title, groups, ylabel, log=False):
        pw, ph = (w - 3 * pad) / 2, (h - 4 * pad) / 2
        parts.append(f'<text x="{x0 + pw / 2}" y="{top - 25}" text-anchor="middle" font-size="14">{title}</text>')
        parts.append(f'<line x1="{x0}" y1="{top + ph}" x2="{x0 + pw}" y2="{top + ph}" stroke="black"/>')
        parts.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{top + ph}" stroke="black"/>')
        parts.append(f'<text x="{x0 - 45}" y="{top + ph / 2}" transform="rotate(-90 {x0 - 45} {top + ph / 2})" text-anchor="middle">{ylabel}</text>')
        values = [v for g in groups for s in g[1] for v in (s["min"], s["max"]) if v > 0] or [1.0]
        if log:
            lo, hi = math.floor(math.log10(min(values))), math.ceil(math.log10(max(values)))
            hi = max(hi, lo + 1)
            scale = lambda v: ph * (math.log10(max(v, 10 ** lo)) - lo) / (hi - lo)
            for d in range(lo, hi + 1):
                y = top + ph - ph * (d - lo) / (hi - lo)
                parts.append(f'<text x="{x0 - 5}" y="{y + 4:.1f}" text-anchor="end" font-size="10">1e{d}</text>')
                parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        else:
            top = max(values)
            scale = lambda v: ph * v / top
            parts.append(f'<text x="{x0}" y="{top - 5}" font-size="10">max {top:.4g}</text>')
        gw = pw / max(len(groups), 1)
        for gi, (label, items) in enumerate(groups):
            bw = gw / (len(items) + 1)
            for bi, s in enumerate(items):
                x = x0 + gi * gw + (bi + 0.5) * bw
                bh = scale(s["median"])
                parts.append(f'<rect x="{x:.1f}" y="{top + ph - bh:.1f}" width="{bw * 0.9:.1f}" height="{bh:.1f}" fill="{colors.get(s["backend"], "gray")}"/>')
                ylo, yhi = top + ph - scale(s["min"]), top + ph - scale(s["max"])
                xm = x + bw * 0.45
                parts.append(f'<line x1="{xm:.1f}" y1="{ylo:.1f}" x2="{xm:.1f}" y2="{yhi:.1f}" stroke="black"/>')
                parts.append(f'<text x="{xm:.1f}" y="{top + ph - bh - 4:.1f}" text-anchor="middle" font-size="9">{s["median"]:.3g}</text>')
            parts.append(f'<text x="{x0 + gi * gw + gw / 2:.1f}" y="{top + ph + 18}" text-anchor="middle">{label}</text>')

    def groups_of(bench, label):
        g = defaultdict(list)
        for s in summary:
            if s["bench"] == bench:
                g[s["param"]].append(s)
        return [(label(p), sorted(v, key=lambda s: s["backend"])) for p, v in sorted(g.items(), key=lambda k: _num(k[0]))]

    x2, y2 = 2 * pad + (w - 3 * pad) / 2, 2 * pad + (h - 4 * pad) / 2
    panel(pad, pad, "P1: io-wq NOP chains (requests/s)", groups_of("P1", lambda p: f"chain {p}"), "requests/s")
    panel(x2, pad, "P2: cancel-all of N pending (ms, log scale)",
          groups_of("P2cancel", lambda p: f"N={p}"), "ms", log=True)
    panel(pad, y2, "P2: close with N pending (ms, log scale)",
          groups_of("P2close", lambda p: f"N={p}"), "ms", log=True)
    panel(x2, y2, "P5: cancel N reads blocked in io-wq (ms, log scale)",
          groups_of("P5", lambda p: f"N={p}"), "ms", log=True)
    for i, (name, c) in enumerate(colors.items()):
        parts.append(f'<rect x="{pad + i * 130}" y="{h - 22}" width="12" height="12" fill="{c}"/>')
        parts.append(f'<text x="{pad + i * 130 + 18}" y="{h - 12}">{name}</text>')
    parts.append(f'<text x="{w - pad}" y="{h - 12}" text-anchor="end">bars: median; lines: min to max</text>')
    parts.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(parts) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="results directory")
    ap.add_argument("inputs", nargs="+")
    args = ap.parse_args(argv)
    rows = read_rows(args.inputs)
    if not rows:
        print("bench: no measurements found", file=sys.stderr)
        return 1
    with open(f"{args.out}/raw.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bench", "param", "backend", "rep", "value", "unit"])
        w.writerows(rows)
    summary = summarise(rows)
    with open(f"{args.out}/summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["bench", "param", "backend", "median", "min", "max", "n", "unit", "ratio"])
        w.writeheader()
        w.writerows(summary)
    svg(summary, f"{args.out}/bench.svg")
    table(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
