"""Draws the soak's RSS samples (rss.csv) as a PNG: RSS and the bytes aiobs holds over time,
the phases shaded. Usage: plot_rss.py RSS_CSV PNG_OUT. Needs matplotlib (Debian's
python3-matplotlib; scripts/install-matplotlib.sh installs it)."""

import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is chosen first)

# The phases of soak.c, soak.rb and the Go soak (bindings/go/tests/soak).
PHASE_COLOURS = {"periodic": "#e8f0fe", "periodic+forks": "#fef7e0", "bounded": "#fce8e6",
                 "exporter down": "#f3e8fd", "plain": "#e6f4ea", "periodic again": "#d2e3fc"}


def main(csv_path, png_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    seconds = [float(r["seconds"]) for r in rows]
    rss = [int(r["rss_kib"]) / 1024 for r in rows]
    held = [int(r["bytes_held"]) / 2**20 for r in rows]
    recorded = int(rows[-1]["recorded"])

    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=110)
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i]["phase"] != rows[start]["phase"]:
            phase = rows[start]["phase"]
            if phase in PHASE_COLOURS:
                ax.axvspan(seconds[start], seconds[min(i, len(rows) - 1)],
                           color=PHASE_COLOURS[phase], label=f"phase: {phase}")
            start = i
    ax.plot(seconds, rss, color="#1a73e8", linewidth=1.4, label="process RSS")
    ax.plot(seconds, held, color="#d93025", linewidth=1.0, label="bytes_held (aiobs_stats)")
    ax.set_xlabel("seconds")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax.set_title(f"aiobs soak: RSS over {recorded:,} recorded calls "
                 f"(start {rss[0]:.0f} MiB, peak {max(rss):.0f} MiB, end {rss[-1]:.0f} MiB)")
    ax.legend(loc="upper left", fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(png_path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
