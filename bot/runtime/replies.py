"""Answering interactions privately and kindly, whatever state the interaction is in."""

from __future__ import annotations

import io
import logging
from typing import Any

import discord
from discord import app_commands
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.errors import TendError, TryLater, new_reference
from bot.infra.db import is_transient

log = logging.getLogger(__name__)

BUSY = "I'm a little overwhelmed right now and couldn't save that. Nothing was sent; please try again in a moment."
NO_PERMISSION = (
    "Discord didn't let me do that here: I'm missing a permission. "
    "A server owner can run `/tend doctor` to see what to fix."
)
DISCORD_TROUBLE = "Discord didn't answer me properly just now. Please try again in a moment."
OUR_FAULT = (
    "Something went wrong on my side, and I'm sorry. The moderators can look it up with reference `{ref}`."
)


async def reply_private(
    interaction: discord.Interaction[Any], content: str | None = None, **kwargs: Any
) -> None:
    """Send an ephemeral answer: the first response if there was none yet, else a followup."""
    kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
    if interaction.is_expired():
        log.warning("interaction %s expired before it could be answered", interaction.id)
        return
    if content is not None:
        kwargs["content"] = content
    if interaction.response.is_done():
        await interaction.followup.send(ephemeral=True, **kwargs)
    else:
        await interaction.response.send_message(ephemeral=True, **kwargs)


def explain(error: BaseException) -> tuple[str, str | None]:
    """The sentence a person should read for ``error``, and a reference id when it is our fault."""
    original = error
    while isinstance(original, app_commands.CommandInvokeError | app_commands.TransformerError):
        if original.__cause__ is None:
            break
        original = original.__cause__
    if isinstance(original, TendError):
        return original.message, None
    if isinstance(original, app_commands.CommandOnCooldown):
        return TryLater(f"Please wait {original.retry_after:.0f} seconds and try again.").message, None
    if isinstance(original, app_commands.CheckFailure):
        return str(original) or "You can't use this here.", None
    if isinstance(original, discord.Forbidden):
        return NO_PERMISSION, None
    if isinstance(original, discord.HTTPException) and (original.status >= 500 or original.status == 429):
        return DISCORD_TROUBLE, None
    if isinstance(original, SQLAlchemyError) and is_transient(original):
        return BUSY, None
    ref = new_reference()
    return OUR_FAULT.format(ref=ref), ref


GIVE_BACK_INLINE = 1800


async def give_back_words(interaction: discord.Interaction[Any], text: str) -> None:
    """After a failure, hand a member back exactly what they wrote, privately, so nothing is lost.

    Short text comes back in a code block; long text (or text that would break the block) as a
    file, because cutting it to Discord's message limit would lose part of it.
    """
    text = text.strip()
    if not text:
        return
    intro = "Here is what you wrote, so nothing is lost"
    try:
        if len(text) <= GIVE_BACK_INLINE and "```" not in text:
            await reply_private(interaction, f"{intro}:\n```\n{text}\n```")
        else:
            words = discord.File(io.BytesIO(text.encode("utf-8")), filename="what-you-wrote.txt")
            await reply_private(interaction, f"{intro} (attached, as it's long):", file=words)
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
