"""A moderator reaching out: open a private support thread *for* a member and hold it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot.domain.errors import NotConfigured
from bot.domain.i18n import _
from bot.runtime.queue import fire_and_read

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

REACHED_OUT_TOPIC = "A moderator reached out"


async def reach_out(bot: TendBot, guild: GuildConfig, member_id: int, moderator_id: int) -> str:
    """Open (or find) the member's support thread with the moderator in it; returns its mention."""
    if not guild.features.support:
        raise NotConfigured(_("Private support threads are switched off in this server."))
    opened = await bot.cases.open_support(
        guild_id=guild.id,
        member_id=member_id,
        topic=REACHED_OUT_TOPIC,
        text=None,
        cooldown=timedelta(0),
        nudge_after=timedelta(minutes=guild.support.nudge_after_minutes),
        silence_after=timedelta(days=guild.support.silence_after_days),
        reached_out_by=moderator_id,
    )
    case = await fire_and_read(bot, opened.setup_job, opened.case.id, then=opened.card_job)
    if case.thread_id is None:
        raise NotConfigured(
            _(
                "The case is saved, but Discord didn't let me create the thread yet; the card in the queue says why."
            )
        )
    thread = bot.get_channel(case.thread_id) or await bot.fetch_channel(case.thread_id)
    assert isinstance(thread, discord.Thread)
    await thread.add_user(discord.Object(moderator_id))
    return thread.mention
