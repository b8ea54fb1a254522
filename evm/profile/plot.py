"""Charts of a profile (``pip install 'cyevm[plot]'``: matplotlib).

Left: ns per opcode (bars) beside its gas cost per instruction (second
axis). Right: gas charged against measured ns per opcode, log-log, with the
lines a client at 60 and 100 Mgas/s would sit on (EIP-7904's anchors).
"""
from __future__ import annotations

from typing import Mapping, Sequence

__all__ = ["plot_profile"]


def plot_profile(path: str, rows: Sequence[Mapping[str, object]], title: str = "cyevm opcode costs",
                 top: int = 40) -> None:
    """Write the two charts to ``path`` (.png or .svg) from summary rows
    (those with a time); ``top`` opcodes by total time in the bar chart."""
    if not path.lower().endswith((".png", ".svg")):
        raise ValueError(f"--plot: {path!r} must end in .png or .svg")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'cyevm[plot]'") from None
    timed = [r for r in rows if r.get("ns_per_op") is not None and r["count"]]
    if not timed:
        raise ValueError("--plot: nothing timed to plot")
    bars = sorted(timed, key=lambda r: -float(r["ns_total"]))[:top]
    fig, (ax1, ax3) = plt.subplots(1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [3, 2]})
    xs = range(len(bars))
    ax1.bar([x - 0.2 for x in xs], [float(r["ns_per_op"]) for r in bars], width=0.4, color="tab:blue",
            label="ns per instruction")
    ax1.set_ylabel("ns per instruction", color="tab:blue")
    ax1.set_yscale("log")
    ax2 = ax1.twinx()
    ax2.bar([x + 0.2 for x in xs], [max(float(r["gas"]) / float(r["count"]), 0.1) for r in bars], width=0.4,
            color="tab:orange", label="gas per instruction")
    ax2.set_ylabel("gas per instruction", color="tab:orange")
    ax2.set_yscale("log")
    ax1.set_xticks(list(xs))
    ax1.set_xticklabels([str(r["name"]) for r in bars], rotation=90, fontsize=7)
    ax1.set_title(f"{title}: the {len(bars)} opcodes with the most time")
    pts = [r for r in timed if float(r["gas"]) > 0 and float(r["ns_total"]) > 0]
    ns = [float(r["ns_total"]) / float(r["count"]) for r in pts]
    gas = [float(r["gas"]) / float(r["count"]) for r in pts]
    ax3.scatter(ns, gas, s=12)
    for r, x, y in zip(pts, ns, gas):
        if y / x > 1000 or x > 200:  # label the outliers only
            ax3.annotate(str(r["name"]), (x, y), fontsize=6)
    lo, hi = min(ns) / 2, max(ns) * 2
    for rate, style in ((60, "--"), (100, ":")):
        # rate Mgas/s = rate * 1e6 gas per 1e9 ns = rate / 1000 gas per ns
        ax3.plot([lo, hi], [lo * rate / 1000, hi * rate / 1000], style, color="gray", label=f"{rate} Mgas/s")
    ax3.set_xscale("log")
    ax3.set_yscale("log")
    ax3.set_xlabel("measured ns per instruction")
    ax3.set_ylabel("gas per instruction")
    ax3.set_title("gas vs time (above a line: priced for that rate)")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)
