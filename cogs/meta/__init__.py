"""/tend: about Tend in this server, and the owner's command sync."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import MetaCog

if TYPE_CHECKING:
    from bot.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(MetaCog(bot))
