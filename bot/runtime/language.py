"""Whose language a text is written in: the member's Discord locale, the server's, then English.

Replies, forms and buttons follow the interaction's locale. What Tend sends later (a DM, a
thread welcome after a retry, an outcome notice) follows the locale stored from the member's
last interaction. Moderators share one queue, so cards and guidance use the team's language
(``guilds.language``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.i18n import Language, language, language_for

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)


def _code(locale: Any) -> str | None:
    if locale is None:
        return None
    value = getattr(locale, "value", locale)
    return str(value) if value else None


def language_of(interaction: discord.Interaction[Any]) -> Language:
    """The language to answer this interaction in: the person's, else the server's, else English."""
    return language_for(_code(interaction.locale), _code(interaction.guild_locale))


def server_locale(bot: TendBot, guild_id: int | None) -> str | None:
    guild = bot.get_guild(guild_id) if guild_id else None
    return _code(guild.preferred_locale) if guild is not None else None


async def member_language(bot: TendBot, guild_id: int | None, user_id: int | None) -> Language:
    """The language for a message Tend sends a member later, from their last interaction.

    A database hiccup is no reason to withhold a check-in: the server's language is used then.
    """
    stored = None
    if user_id:
        try:
            stored = await bot.services.locales.locale_of(user_id)
        except Exception as error:
            # The error's text can hold the user's id: log its kind only, never who.
            log.warning("could not read a member's language (%s); using the server's", type(error).__name__)
    return language_for(stored, server_locale(bot, guild_id))


def team_language(bot: TendBot, guild_id: int | None) -> Language:
    """The moderators' shared language for this server (``guilds.language``, default English)."""
    guild = bot.settings.guild(guild_id)
    return language(guild.language if guild is not None else "en")


async def remember_locale(bot: TendBot, interaction: discord.Interaction[Any]) -> None:
    """Store the person's locale from this interaction (never in the way of answering it)."""
    locale = _code(interaction.locale)
    if not locale:
        return
    try:
        await bot.services.locales.remember(interaction.user.id, locale)
    except Exception as error:
        log.warning("could not store a member's language (%s)", type(error).__name__)
