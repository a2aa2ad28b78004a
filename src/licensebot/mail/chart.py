"""The digest's chart: applications per day for the last 30 days, stacked by decision (PNG)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from licensebot.core.digest import DECISIONS, DayCount

COLOURS = {"approve": "#2e7d32", "reject": "#c62828", "review": "#f9a825", "ignore": "#9e9e9e"}


def decisions_chart(days: Sequence[DayCount], *, title: str) -> bytes:
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(7.5, 2.6), dpi=96)
    ax = fig.add_subplot()
    xs = list(range(len(days)))
    bottom = [0] * len(days)
    for decision in DECISIONS:
        heights = [d.counts.get(decision, 0) for d in days]
        if any(heights):
            ax.bar(xs, heights, bottom=bottom, color=COLOURS[decision], label=decision, width=0.8)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xticks(xs[::5], [days[i].day.strftime("%m-%d") for i in xs[::5]], fontsize=8)
    ax.tick_params(axis="y", labelsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title, fontsize=9, loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    if any(bottom):
        ax.legend(fontsize=8, frameon=False, ncols=4, loc="lower right", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()
