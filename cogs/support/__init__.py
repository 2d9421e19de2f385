"""/support and the private support thread: a member asks for help, and a moderator is there for them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import SupportCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(SupportCog(bot))
