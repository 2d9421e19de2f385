"""Answering interactions privately and kindly, whatever state the interaction is in."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.errors import TendError, new_reference
from bot.domain.i18n import Text, _
from bot.infra.db import is_transient
from bot.runtime.language import language_of

log = logging.getLogger(__name__)

BUSY = _(
    "I'm a little overwhelmed right now and couldn't save that. Nothing was sent; please try again in a moment."
)
NO_PERMISSION = _(
    "Discord didn't let me do that here: I'm missing a permission. "
    "A server owner can run `/tend doctor` to see what to fix."
)
DISCORD_TROUBLE = _("Discord didn't answer me properly just now. Please try again in a moment.")
OUR_FAULT = _(
    "Something went wrong on my side, and I'm sorry. The moderators can look it up with reference `{ref}`."
)
CANT_USE_HERE = _("You can't use this here.")


async def reply_private(
    interaction: discord.Interaction[Any], content: str | Text | None = None, **kwargs: Any
) -> None:
    """Send an ephemeral answer: the first response if there was none yet, else a followup.

    A :class:`Text` is written in the person's language (their Discord locale, else the server's).
    """
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.is_expired():
        log.warning("interaction %s expired before it could be answered", interaction.id)
        return
    if content is not None:
        kwargs["content"] = language_of(interaction)(content)
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


def explain(error: BaseException) -> tuple[str | Text, str | None]:
    """The sentence a person should read for ``error``, and a reference id when it is our fault."""
    original = error
    while isinstance(original, app_commands.CommandInvokeError | app_commands.TransformerError):
        if original.__cause__ is None:
            break
        original = original.__cause__
    if isinstance(original, TendError):
        return original.message, None
    if isinstance(original, app_commands.CommandOnCooldown):
        seconds = f"{original.retry_after:.0f}"
        return _("Please wait {seconds} seconds and try again.", seconds=seconds), None
    if isinstance(original, app_commands.CheckFailure):
        reason = original.args[0] if original.args else None
        return reason if isinstance(reason, Text) else (str(original) or CANT_USE_HERE), None
    if isinstance(original, discord.Forbidden):
        return NO_PERMISSION, None
    if isinstance(original, discord.HTTPException) and (original.status >= 500 or original.status == 429):
        return DISCORD_TROUBLE, None
    if isinstance(original, SQLAlchemyError) and is_transient(original):
        return BUSY, None
    ref = new_reference()
    return OUR_FAULT.with_values(ref=ref), ref


GIVE_BACK_INLINE = 1800


async def give_back_words(interaction: discord.Interaction[Any], text: str) -> None:
    """After a failure, hand a member back exactly what they wrote, privately, so nothing is lost.

    Short text comes back in a code block; long text (or text that would break the block) as a
    file, because cutting it to Discord's message limit would lose part of it.
    """
    text = text.strip()
    if not text:
        return
    speak = language_of(interaction)
    try:
        if len(text) <= GIVE_BACK_INLINE and "```" not in text:
            intro = speak(_("Here is what you wrote, so nothing is lost:"))
            await reply_private(interaction, f"{intro}\n```\n{text}\n```")
        else:
            words = discord.File(io.BytesIO(text.encode("utf-8")), filename="what-you-wrote.txt")
            await reply_private(
                interaction,
                _("Here is what you wrote, so nothing is lost (attached, as it's long):"),
                file=words,
            )
    except discord.HTTPException:
        log.warning("could not give back a member's words after a failure (interaction %s)", interaction.id)


async def report_error(interaction: discord.Interaction[Any], error: BaseException, *, where: str) -> None:
    """The one place a failed interaction is logged and answered."""
    message, ref = explain(error)
    metrics = getattr(interaction.client, "metrics", None)
    if metrics is not None:
        metrics.interaction_failed(interaction.id, error)
    if ref is not None:
        # No user id in either line: a log must not tie a person to a case (a reporter to a report).
        log.error(
            "unexpected error in %s (ref=%s, interaction %s)",
            where,
            ref,
            interaction.id,
            exc_info=error,
            extra={"guild_id": interaction.guild_id, "ref": ref},
        )
    else:
        log.info("refused %s: %s", where, type(error).__name__, extra={"guild_id": interaction.guild_id})
    try:
        await reply_private(interaction, message)
    except discord.HTTPException:
        log.warning("could not deliver the error reply for %s (ref=%s)", where, ref)
