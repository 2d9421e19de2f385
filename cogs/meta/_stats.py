"""Team metrics as a message: the same rendering for /tend stats and the weekly digest."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain.stats import TeamStats, duration_text, team_stats
from bot.domain.text import fit
from bot.runtime.charts import weekly_chart

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

CHART_NAME = "tend-stats.png"
COLOUR = discord.Colour.from_rgb(88, 129, 87)
KIND_LABELS = {"support": "support", "report": "reports", "distress": "distress notices", "appeal": "appeals"}
PERIODS = {"day": 1, "week": 7, "month": 30, "quarter": 91}
SURVEY_LABELS = {"yes": "yes", "somewhat": "somewhat", "no": "not really"}


def _times(median: timedelta | None, p90: timedelta | None) -> str:
    return f"{duration_text(median)} (p90 {duration_text(p90)})" if median is not None else "–"


def stats_embed(stats: TeamStats, title: str, learning: tuple[str, str] | None = None) -> discord.Embed:
    def by_kind(counts: dict[str, int]) -> str:
        return ", ".join(f"{n} {KIND_LABELS.get(kind, kind)}" for kind, n in counts.items() if n) or "none"

    since = discord.utils.format_dt(stats.start, "D")
    embed = discord.Embed(title=title, description=f"Since {since}.", colour=COLOUR)
    embed.add_field(name=f"Opened: {stats.opened_total}", value=by_kind(stats.opened), inline=True)
    embed.add_field(name=f"Closed: {stats.closed_total}", value=by_kind(stats.closed), inline=True)
    embed.add_field(
        name="Median time",
        value=(
            f"to acknowledge: {_times(stats.median_acknowledge, stats.p90_acknowledge)}\n"
            f"to a first reply: {_times(stats.median_first_reply, stats.p90_first_reply)}"
        ),
        inline=True,
    )
    followups = (
        f"{stats.followups_kept} kept · {stats.followups_missed} missed"
        + (f" · {stats.followups_snoozed} snoozed" if stats.followups_snoozed else "")
        if stats.followups_due
        else "none came due"
    )
    embed.add_field(name="Follow-ups", value=followups, inline=True)
    if stats.survey:
        answers = " · ".join(f"{n} {SURVEY_LABELS.get(a, a)}" for a, n in sorted(stats.survey.items()))
        embed.add_field(name="Did they feel heard?", value=answers, inline=True)
    load = sorted(stats.open_load.items(), key=lambda item: -item[1])
    load_text = (
        ", ".join(f"<@{moderator}> {count}" for moderator, count in load[:15]) or "nobody holds a case"
    )
    if stats.waiting:
        load_text += f"\n{stats.waiting} open case(s) wait for someone."
    embed.add_field(name="Open cases per moderator", value=fit(load_text, 1024), inline=False)
    if learning is not None:
        embed.add_field(name=f"Learning: {learning[0]}", value=learning[1], inline=False)
    embed.set_image(url=f"attachment://{CHART_NAME}")
    return embed


def moderator_names(bot: TendBot, guild_id: int, ids: list[int]) -> dict[int, str]:
    """Display names for the chart (an image can't render mentions)."""
    guild = bot.get_guild(guild_id)
    names = {}
    for user_id in ids:
        member = (guild.get_member(user_id) or bot.recent_members.get(guild.id, user_id)) if guild else None
        user = member or bot.get_user(user_id)
        if user is not None:
            names[user_id] = user.display_name
    return names


async def stats_message(
    bot: TendBot,
    guild: GuildConfig,
    start: datetime,
    end: datetime,
    title: str,
    learning: tuple[str, str] | None = None,
) -> tuple[discord.Embed, discord.File]:
    async with bot.db.read() as session:
        stats = await team_stats(session, guild.id, start, end, guild.zone)
    names = moderator_names(bot, guild.id, list(stats.open_load))
    # matplotlib is CPU-bound: draw off the event loop so interactions keep their 3 seconds.
    chart = await asyncio.to_thread(weekly_chart, stats, names)
    return stats_embed(stats, title, learning), discord.File(io.BytesIO(chart), filename=CHART_NAME)
