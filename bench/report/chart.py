"""bench/report/chart.py <latest.json> <chart.png>: the benchmark's figures as one PNG (catch-up rates, latency)."""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(src: str, out: str) -> None:
    r = json.load(open(src))
    panels = [p for p in ("source", "latency") if p in r]
    if not panels:
        panels = ["none"]
    fig, axes = plt.subplots(1, len(panels), figsize=(7 * len(panels), 4.8), squeeze=False)
    for ax, panel in zip(axes[0], panels):
        if panel == "source":
            s = r["source"]
            m = s["medians"]
            poller = (s.get("poller") or {}).get("rowsPerSecond")
            broker = ((s.get("ceilings") or {}).get("broker") or {}).get("perSecond")
            candidates = [
                ("ours\nfrom start", m.get("oursFromStart"), "#1f77b4"),
                ("ours\nafter 1st", m.get("oursAfterFirst"), "#1f77b4"),
                ("Debezium\nfrom start", m.get("debeziumFromStart"), "#ff7f0e"),
                ("Debezium\nafter 1st", m.get("debeziumAfterFirst"), "#ff7f0e"),
                ("Debezium\ntuned", m.get("tunedAfterFirst"), "#ffbb78"),
                ("seed\npoller", poller, "#d62728"),
                ("Kafka perf\n(ceiling)", broker, "#7f7f7f"),
            ]
            # A peer that failed (or NaN in the JSON, null) has no bar.
            bars = [b for b in candidates if isinstance(b[1], (int, float)) and b[1] == b[1]]
            ax.bar([b[0] for b in bars], [b[1] / 1000 for b in bars], color=[b[2] for b in bars])
            for i, b in enumerate(bars):
                ax.text(i, b[1] / 1000, f"{b[1] / 1000:.0f}k", ha="center", va="bottom", fontsize=8)
            ax.set_ylabel("thousand changes / s")
            ax.set_title(f"Catch-up of {s['changes']:,} changes (this machine)")
            ax.tick_params(axis="x", labelsize=8)
        elif panel == "latency":
            rates = r["latency"]["rates"]
            xs = [str(x["rate"]) for x in rates]
            ax.bar([i - 0.2 for i in range(len(xs))], [x["p50"] for x in rates], width=0.4, label="p50", color="#2ca02c")
            ax.bar([i + 0.2 for i in range(len(xs))], [x["p99"] for x in rates], width=0.4, label="p99", color="#98df8a")
            ax.set_xticks(range(len(xs)), [f"{x}/s" for x in xs])
            ax.axhline(100, color="#555", linestyle="--", linewidth=1)
            ax.text(len(xs) - 0.5, 102, "100 ms", fontsize=8, ha="right")
            ax.set_ylabel("ms, commit to line")
            ax.set_title("Latency at fixed rates (single-row transactions)")
            ax.legend()
        else:
            ax.text(0.5, 0.5, "no scenarios run", ha="center")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
