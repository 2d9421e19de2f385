"""The weekly digest: how the loop went this week, a chart, and a learning prompt.

A recurring durable job per guild (``tend.digest``): each run schedules the next in the
transaction that marks it done, so a restart neither loses nor doubles a week.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain.followups import next_weekly
from bot.domain.text import fit
from bot.infra.jobs import Job, NoPayload
from bot.runtime.delivery import retry_on_discord_errors
from bot.runtime.language import team_language

from ._stats import stats_message

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.domain.guidance import PromptLibrary
    from bot.runtime.core import TendBot


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


class Digest:
    def __init__(self, bot: TendBot):
        self.bot = bot

    def every(self, job: Job[NoPayload]) -> datetime | None:
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None:
            return None  # the server left the config: stop
        return next_digest(guild, max(job.due_at, self.bot.jobs.clock()))

    async def send(self, job: Job[NoPayload]) -> None:
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or not guild.digest.enabled:
            return
        end = job.due_at  # the slot, not now: a late digest still covers its own week
        start = end - timedelta(days=7)
        learning = learning_of_the_week(self.bot.prompts(guild.id), end)
        embed, chart = await stats_message(
            self.bot, guild, start, end, "This week in the compassion loop", learning
        )
        late = self.bot.prompts(guild.id).message("late_apology")
        content = team_language(self.bot, guild.id)(late) if job.late else None
        with retry_on_discord_errors("post the weekly digest"):
            channel_id = guild.digest.channel or guild.channels.queue
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            assert isinstance(channel, discord.abc.Messageable)
            await channel.send(
                content,
                embed=embed,
                file=chart,
                nonce=f"digest-{job.id}",
            )
