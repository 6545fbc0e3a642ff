"""Puts the comparison side by side: a Markdown table with the ratios (results.md) and a chart
(compare.png). Reads OUT_DIR/<name>.json (a workload's medians) and OUT_DIR/<name>-memory.txt
(one bytes-per-event figure per fresh process) for each name given; the first is the baseline
the ratios are taken against. Usage: chart.py OUT_DIR BASELINE OTHER... Needs matplotlib."""

import json
import math
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)

# (key, title, unit, higher is better)
MEASURES = [
    ("record_ns", "recording one 1.25 KB call event", "ns per call", False),
    ("traced_ns", "tracing one function call (overhead)", "ns per call", False),
    ("flush_events_per_s", "flush to a JSON file", "events per second", True),
    ("bytes_per_event", "memory held per recorded event", "bytes (RSS)", False),
]


def load(out_dir, name):
    with open(os.path.join(out_dir, f"{name}.json")) as f:
        result = json.load(f)
    with open(os.path.join(out_dir, f"{name}-memory.txt")) as f:
        result["bytes_per_event"] = statistics.median(float(line) for line in f if line.strip())
    return result


def ratio(baseline, value, higher_is_better, better):
    """How value compares with baseline: "5.4x faster", or "2.9x slower" when it is worse."""
    times = value / baseline if higher_is_better else baseline / value
    if times < 1:
        times, better = 1 / times, WORSE[better]
    return (f"{times:,.0f}x" if times >= 10 else f"{times:,.1f}x") + " " + better


WORSE = {"faster": "slower", "less": "more"}


def better(key):
    return "less" if key == "bytes_per_event" else "faster"


def figure(value, key):
    if key == "flush_events_per_s":
        return f"{value:,.0f}"
    return f"{value:,.0f}" if value >= 100 else f"{value:,.2f}"


def table(results):
    base = results[0]
    names = [r["language"] for r in results]
    lines = ["| measure | " + " | ".join(names) + " | " +
             " | ".join(f"{n} vs {base['language']}" for n in names[1:]) + " |",
             "| --- |" + " ---: |" * (2 * len(names) - 1)]
    for key, title, unit, higher in MEASURES:
        cells = [figure(r[key], key) for r in results]
        ratios = [ratio(base[key], r[key], higher, better(key)) for r in results[1:]]
        lines.append(f"| {title} ({unit}) | " + " | ".join(cells) + " | " + " | ".join(ratios)
                     + " |")
    flush_mb = " / ".join(f"{r['language']} {r['flush_mb_per_s']:,.1f} MB/s "
                          f"({r['flush_bytes_per_event']:,.0f} B/event)" for r in results)
    lines.append("")
    lines.append(f"Flush in MB/s (file bytes over flush time): {flush_mb}.")
    for r in results:
        if "recorded_as" in r:
            lines.append("")
            lines.append(f"{r['language']}: {r['recorded_as']}.")
    return "\n".join(lines) + "\n"


def chart(results, path):
    base = results[0]
    fig, axes = plt.subplots(2, 2, figsize=(11, 6.5), dpi=110)
    colours = ["#9aa0a6", "#1a73e8", "#00add8", "#cc342d"]
    for ax, (key, title, unit, higher) in zip(axes.flat, MEASURES):
        names = [r["language"] for r in results]
        values = [r[key] for r in results]
        bars = ax.barh(names, values, color=colours[:len(values)])
        ax.set_xscale("log")
        ax.invert_yaxis()
        ax.set_title(f"{title}\n({'higher' if higher else 'lower'} is better)", fontsize=10)
        ax.set_xlabel(f"{unit}, log scale", fontsize=9)
        ax.tick_params(labelsize=8)
        for bar, r in zip(bars, results):
            label = figure(r[key], key)
            if r is not base:
                label += f"  ({ratio(base[key], r[key], higher, better(key))})"
            ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + label,
                    va="center", fontsize=8)
        # Bars on a log scale start from a power of ten well below the smallest value.
        ax.set_xlim(left=10 ** math.floor(math.log10(min(values)) - 1), right=max(values) * 30)
    languages = [r["language"].rsplit(" ", 1)[-1] for r in results[1:]]
    listed = " and ".join(filter(None, [", ".join(languages[:-1]), languages[-1]]))
    fig.suptitle(f"aiobs: the Python SDK 0.2.0 and the native core from {listed}, same workload",
                 fontsize=11)
    captured = [r["language"].rsplit(" ", 1)[-1] for r in results if "recorded_as" in r]
    if captured:
        fig.text(0.5, 0.005, f"{' and '.join(captured)}: a call is recorded through the binding's "
                 "HTTP capture (the same calls, as HTTP exchanges); see results.md",
                 ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.02, 1, 1))
    fig.savefig(path)


def main(out_dir, names):
    results = [load(out_dir, n) for n in names]
    with open(os.path.join(out_dir, "results.md"), "w") as f:
        f.write(table(results))
    chart(results, os.path.join(out_dir, "compare.png"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])
