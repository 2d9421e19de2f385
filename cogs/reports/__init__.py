"""/report and the Report message context menu: members report harm safely."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import ReportsCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(ReportsCog(bot))
