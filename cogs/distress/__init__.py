"""Distress notices: the watch that notices (opt-in), and the quiet card moderators act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import DistressCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(DistressCog(bot))
