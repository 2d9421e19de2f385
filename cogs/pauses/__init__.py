"""Pausing a member's access to Tend for a while (/pause), lifting it early, and its end on time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import PausesCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(PausesCog(bot))
