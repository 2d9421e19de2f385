"""Turning Discord failures inside a job into the right retry.

A job that talks to Discord retries while Discord is busy (429, 5xx, network) and
while the server is misconfigured (403, a missing channel), because an owner can fix
those; only the handler knows when something can never succeed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import aiohttp
import discord

from bot.infra.jobs import Retry

BUSY_RETRY = 30.0
CONFIG_RETRY = 300.0


def problem_text(error: BaseException, doing: str) -> str:
    """A short sentence for moderators about why ``doing`` didn't happen yet."""
    if isinstance(error, discord.Forbidden):
        return f"Couldn't {doing}: I'm missing a permission there (run /tend doctor)."
    if isinstance(error, discord.NotFound):
        return f"Couldn't {doing}: the channel or message is gone (check the config)."
    return f"Couldn't {doing} yet: Discord is busy. I'll keep trying."


@contextlib.contextmanager
def retry_on_discord_errors(doing: str) -> Iterator[None]:
    try:
        yield
    except discord.Forbidden as exc:
        raise Retry(problem_text(exc, doing), after=CONFIG_RETRY) from exc
    except discord.NotFound as exc:
        raise Retry(problem_text(exc, doing), after=CONFIG_RETRY) from exc
    except discord.HTTPException as exc:
        if exc.status >= 500 or exc.status == 429:
            raise Retry(problem_text(exc, doing), after=BUSY_RETRY) from exc
        raise
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise Retry(problem_text(exc, doing), after=BUSY_RETRY) from exc


DMS_CLOSED = 50007  # Discord: "Cannot send messages to this user" (their DMs are closed to us)


async def send_dm(
    bot: discord.Client, user_id: int, content: str, *, doing: str, **kwargs: Any
) -> discord.Message | None:
    """DM someone inside a job, retrying what Discord may let through later; None when their DMs
    are closed, which is their choice: the caller decides who to tell, and nothing is retried."""
    with retry_on_discord_errors(doing):
        user = bot.get_user(user_id) or await bot.fetch_user(user_id)
        try:
            return await user.send(content, **kwargs)
        except discord.Forbidden as refused:
            if refused.code != DMS_CLOSED:
                raise
            return None
