"""Tuning curves: the best speed found so far against the number of trials, one panel per
workload, drawn with matplotlib's Agg renderer (no display needed) into a PNG."""

from __future__ import annotations

import math

import numpy as np

METRICS = ("gflops", "ms")


def best_so_far(records) -> np.ndarray:
    """Best mean run time (seconds) after each trial, trials in the order they were measured
    (record time, then storage order); inf until the first valid record."""
    order = sorted(range(len(records)), key=lambda i: (records[i].time is None, records[i].time or 0.0, i))
    secs = np.array([records[i].mean_run_secs for i in order], dtype=np.float64)
    return np.minimum.accumulate(secs) if secs.size else secs


def curve_values(best_secs: np.ndarray, flops: int, metric: str) -> np.ndarray:
    """The curve in `metric`: GFLOP/s (0 before the first valid trial) or milliseconds (nan)."""
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; known: {', '.join(METRICS)}")
    finite = np.isfinite(best_secs)
    if metric == "ms":
        return np.where(finite, best_secs * 1e3, np.nan)
    safe = np.where(finite & (best_secs > 0), best_secs, 1.0)
    return np.where(finite & (best_secs > 0), flops / safe / 1e9, 0.0)


def plot_curves(curves: dict, out: str, metric: str = "gflops") -> str:
    """Draw `curves` ({title: (best_secs per trial, flops)}) into the PNG `out`."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if not curves:
        raise ValueError("no tuning records to plot")
    n = len(curves)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.2 * cols, 3.2 * rows), layout="constrained")
    label = "best GFLOP/s" if metric == "gflops" else "best time (ms)"
    for i, (title, (best, flops)) in enumerate(curves.items()):
        ax = fig.add_subplot(rows, cols, i + 1)
        values = curve_values(best, flops, metric)
        ax.step(np.arange(1, len(values) + 1), values, where="post", color="tab:blue", linewidth=1.6)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("trials")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if metric == "ms" and np.isfinite(values).any():
            ax.set_yscale("log")
        elif metric == "gflops":
            ax.set_ylim(bottom=0)
        final = values[-1] if len(values) else float("nan")
        if np.isfinite(final):
            ax.annotate(f"{final:.3g}", xy=(len(values), final), xytext=(-4, 4), textcoords="offset points",
                        ha="right", fontsize=8)
    fig.savefig(out, dpi=110)
    return out
