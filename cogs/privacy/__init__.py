"""/privacy for members, and the daily data-retention purge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import PrivacyCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(PrivacyCog(bot))
