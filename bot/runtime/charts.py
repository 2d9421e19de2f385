"""PNG charts of team metrics, drawn with matplotlib's Agg backend (no display, no pyplot).

Rendering is CPU work: call it with ``asyncio.to_thread`` from the event loop. Labels are
moderators' display names passed in by the caller (never member text).
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before anything else of matplotlib is imported: no GUI toolkit, ever

from matplotlib.figure import Figure

from bot.domain.stats import TeamStats

_OPENED = "#58815a"
_CLOSED = "#785ea0"
_LOAD = "#4a78a8"


def weekly_chart(stats: TeamStats, names: dict[int, str] | None = None) -> bytes:
    """Cases opened and closed per day, and open cases per moderator; PNG bytes."""
    names = names or {}
    figure = Figure(figsize=(9, 4), dpi=100)
    days_axes, load_axes = figure.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})

    labels = [day.strftime("%a %d") for day in (d.day for d in stats.days)]
    positions = list(range(len(labels)))
    width = 0.4
    days_axes.bar(
        [p - width / 2 for p in positions],
        [d.opened for d in stats.days],
        width,
        label="opened",
        color=_OPENED,
    )
    days_axes.bar(
        [p + width / 2 for p in positions],
        [d.closed for d in stats.days],
        width,
        label="closed",
        color=_CLOSED,
    )
    days_axes.set_xticks(positions, labels, fontsize=8)
    days_axes.set_title("Cases per day")
    days_axes.yaxis.get_major_locator().set_params(integer=True)
    days_axes.legend(fontsize=8, frameon=False)
    days_axes.spines[["top", "right"]].set_visible(False)

    load = sorted(stats.open_load.items(), key=lambda item: -item[1])[:10]
    if load:
        who = [names.get(moderator, f"…{str(moderator)[-4:]}") for moderator, _ in load]
        load_axes.barh(who[::-1], [count for _, count in load][::-1], color=_LOAD)
        load_axes.xaxis.get_major_locator().set_params(integer=True)
    else:
        load_axes.text(0.5, 0.5, "No open cases held", ha="center", va="center", fontsize=10)
        load_axes.set_xticks([])
        load_axes.set_yticks([])
    load_axes.set_title("Open cases per moderator")
    load_axes.spines[["top", "right"]].set_visible(False)

    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
