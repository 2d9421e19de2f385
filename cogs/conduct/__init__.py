"""/conduct and /resources: the server's Code of Conduct and resource list, privately."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import ConductCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(ConductCog(bot))
