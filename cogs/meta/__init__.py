"""/tend: about Tend here, the config check (doctor), stats, the owners' command sync, and the weekly digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import MetaCog
from ._doctor import StartupCheck

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(MetaCog(bot))
    await bot.add_cog(StartupCheck(bot))
