"""Appeals: Ask for a review after a timeout, /appeal on an appeals server after a ban; the
appeal card (Uphold, Shorten, Lift) and Tend changing the timeout or lifting the ban itself."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import AppealsCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(AppealsCog(bot))
