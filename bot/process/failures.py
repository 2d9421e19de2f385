"""Network and Discord failures as one sentence an owner can act on, never a traceback.

Shared by ``tend run`` and ``tend setup``: both connect with the token in ``DISCORD_TOKEN``
to ``bot.api_base_url``, and both end with one of these sentences when that fails.
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

# What the command line catches around anything that talks to Discord.
DISCORD_FAILURES: tuple[type[BaseException], ...] = (
    discord.DiscordException,
    aiohttp.ClientError,
    OSError,
    asyncio.TimeoutError,
)


def explain_discord_failure(exc: BaseException, api_base_url: str) -> str:
    """One sentence for ``exc`` (one of :data:`DISCORD_FAILURES`): what happened and what to do."""
    if isinstance(exc, discord.LoginFailure):
        return (
            "Discord refused the token in DISCORD_TOKEN: copy the bot's token again from the Developer "
            "Portal (your application → Bot → Reset Token)."
        )
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return (
            "A privileged intent is switched on in the config but not in the Discord developer portal "
            "(Bot → Privileged Gateway Intents); see README, 'Intents'."
        )
    if isinstance(exc, discord.Forbidden):
        return f"Discord refused: Tend lacks a permission there ({exc.text or exc.status})."
    if isinstance(exc, discord.DiscordServerError):
        return f"Discord answered with a server error ({exc.status}); try again in a few minutes."
    if isinstance(exc, discord.HTTPException):
        return f"Discord refused a request ({exc.status}: {exc.text or 'no reason given'})."
    if isinstance(exc, discord.ConnectionClosed):
        return f"Discord closed the gateway connection (code {exc.code}); try again in a few minutes."
    if isinstance(exc, discord.GatewayNotFound):
        return "Discord's gateway can't be reached; try again in a few minutes."
    if isinstance(exc, aiohttp.ClientError | OSError | asyncio.TimeoutError):
        reason = _reason(exc)
        return (
            f"Discord can't be reached at {api_base_url} ({reason}): check this machine's internet "
            "connection, or bot.api_base_url if Tend goes through a proxy."
        )
    return f"Talking to Discord failed ({type(exc).__name__}: {exc})."


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "no answer in time"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]
