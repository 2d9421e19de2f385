"""The weekly digest: how the loop went this week, a chart, and a learning prompt.

A recurring durable job per guild (``tend.digest``): each run schedules the next in the
transaction that marks it done, so a restart neither loses nor doubles a week.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord
from sqlalchemy.ext.asyncio import AsyncSession

from bot.charts import weekly_chart
from bot.delivery import retry_on_discord_errors
from bot.followups import next_weekly
from bot.jobs import Job
from bot.stats import TeamStats, duration_text, team_stats
from bot.text import fit

if TYPE_CHECKING:
    from bot.config import GuildConfig
    from bot.core import TendBot
    from bot.guidance import PromptLibrary

DIGEST = "tend.digest"
CHART_NAME = "tend-week.png"
_COLOUR = discord.Colour.from_rgb(88, 129, 87)
_KIND_LABELS = {"support": "support", "report": "reports", "distress": "distress notices"}


def next_digest(guild: GuildConfig, after: datetime) -> datetime:
    return next_weekly(after, guild.zone, guild.digest.day, guild.digest.time)


def learning_of_the_week(library: PromptLibrary, when: datetime) -> tuple[str, str] | None:
    """The week's learning topic (rotating by ISO week): its title and a short prompt."""
    topics = library.learning_topics()
    if not topics:
        return None
    key, title = topics[when.isocalendar().week % len(topics)]
    topic = library.learning(key)
    if topic is None:
        return None
    body = f"{topic.summary}\n**Try this week:** {topic.try_this[0] if topic.try_this else topic.reflect}"
    return title, fit(body, 1024)


def digest_embed(stats: TeamStats, learning: tuple[str, str] | None) -> discord.Embed:
    def by_kind(counts: dict[str, int]) -> str:
        parts = [f"{n} {_KIND_LABELS.get(kind, kind)}" for kind, n in counts.items() if n]
        return ", ".join(parts) or "none"

    start = discord.utils.format_dt(stats.start, "D")
    embed = discord.Embed(
        title="This week in the compassion loop",
        description=f"The week since {start}.",
        colour=_COLOUR,
    )
    embed.add_field(name=f"Opened: {stats.opened_total}", value=by_kind(stats.opened), inline=True)
    embed.add_field(name=f"Closed: {stats.closed_total}", value=by_kind(stats.closed), inline=True)
    embed.add_field(
        name="Median time",
        value=(
            f"to acknowledge: {duration_text(stats.median_acknowledge)}\n"
            f"to a first reply: {duration_text(stats.median_first_reply)}"
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


class Digest:
    def __init__(self, bot: TendBot):
        self.bot = bot

    def every(self, job: Job) -> datetime | None:
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None:
            return None  # the server left the config: stop
        return next_digest(guild, max(job.due_at, self.bot.jobs.clock()))

    async def send(self, job: Job) -> None:
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or not guild.digest.enabled:
            return
        end = job.due_at  # the slot, not now: a late digest still covers its own week
        start = end - timedelta(days=7)
        async with self.bot.db.read() as session:
            stats = await team_stats(session, guild.id, start, end, guild.zone)
        names = self._names(guild.id, list(stats.open_load))
        chart = await asyncio.to_thread(weekly_chart, stats, names)
        embed = digest_embed(stats, learning_of_the_week(self.bot.prompts(guild.id), end))
        content = self.bot.prompts(guild.id).message("late_apology") if job.late else None
        with retry_on_discord_errors("post the weekly digest"):
            channel_id = guild.digest.channel or guild.channels.queue
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            assert isinstance(channel, discord.abc.Messageable)
            await channel.send(
                content,
                embed=embed,
                file=discord.File(io.BytesIO(chart), filename=CHART_NAME),
                nonce=f"digest-{job.id}",
            )

    def _names(self, guild_id: int, moderator_ids: list[int]) -> dict[int, str]:
        guild = self.bot.get_guild(guild_id)
        names = {}
        for moderator in moderator_ids:
            member = guild.get_member(moderator) if guild else None
            user = member or self.bot.get_user(moderator)
            if user is not None:
                names[moderator] = user.display_name
        return names


async def seed_recurring(
    bot: TendBot, kind: str, first_due: Callable[[GuildConfig, datetime], datetime]
) -> None:
    """Make sure every configured guild has its one pending item of a recurring kind.

    Adding is a no-op where one is pending (per-guild dedupe key); a pending one still in
    the future is moved when the config now says another time.
    """
    now = bot.jobs.clock()

    async def work(session: AsyncSession) -> None:
        for guild in bot.settings.guilds:
            due = first_due(guild, now)
            item = await bot.jobs.ensure_recurring(session, guild_id=guild.id, kind=kind, due_at=due)
            if item.due_at > now and item.due_at != due:
                item.due_at = due

    await bot.db.write(work)
