"""The doors members use to reach the team (/support, /report, /remind, DMs): whether a pause
holds one shut, and team hours said honestly. Resources are never behind a door."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.domain.hours import is_around, next_around
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.runtime.embeds import resources_embed
from bot.runtime.language import language_of
from bot.runtime.replies import give_back_words, reply_private

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)
RESOURCES_TITLE = _("If you need something right now")


async def paused_refusal(
    bot: TendBot, guild: GuildConfig, user_id: int, *, quick: bool = True
) -> Text | None:
    """The kind refusal a paused member reads (with when it ends), or None when no pause holds.
    ``quick``: a slow database lets them through to the form (its submit asks again)."""
    if quick:
        try:
            pause = await asyncio.wait_for(bot.pauses.active(guild.id, user_id), timeout=1.0)
        except Exception:
            log.warning("couldn't look up a pause in time; the form's submit asks again")
            return None
    else:
        pause = await bot.pauses.active(guild.id, user_id)
    if pause is None:
        return None
    until = discord.utils.format_dt(pause.ends_at, "f")
    return bot.prompts(guild.id).message("paused_refusal", until=until)


async def refuse_paused(
    interaction: discord.Interaction[TendBot], guild: GuildConfig, text: Text, *, words: str = ""
) -> None:
    """Refuse with the resources (never paused), and give back anything they wrote."""
    await reply_private(interaction, text, embeds=resources_first(guild, language_of(interaction)))
    await give_back_words(interaction, words)


async def shut_if_paused(
    interaction: discord.Interaction[TendBot], guild: GuildConfig, *, words: str = "", quick: bool = True
) -> bool:
    """Refuse a paused member kindly; True when the door was shut (the caller stops there)."""
    bot = interaction.client
    text = await paused_refusal(bot, guild, interaction.user.id, quick=quick)
    if text is None:
        return False
    await refuse_paused(interaction, guild, text, words=words)
    return True


def out_of_hours_line(bot: TendBot, guild: GuildConfig) -> Text | None:
    """Outside team hours, the honest line on when to expect a reply (None inside them)."""
    now = bot.cases.clock()
    if is_around(guild, now):
        return None
    back = next_around(guild, now)
    when = f"{discord.utils.format_dt(back, 'F')} ({discord.utils.format_dt(back, 'R')})"
    return bot.prompts(guild.id).message("out_of_hours", back=when)


def resources_first(guild: GuildConfig, speak: Language = ENGLISH) -> list[discord.Embed]:
    """The crisis resources, as the first thing a member reads outside team hours."""
    return [resources_embed(guild.resources, speak, title=speak(RESOURCES_TITLE))]
