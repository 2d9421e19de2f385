"""Listening: the Listening prompt, the distress watch, and moderators' reflections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import ListeningCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(ListeningCog(bot))
