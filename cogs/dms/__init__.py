"""DMs to Tend: a member who writes to Tend reaches the moderators (the same support case as
/support), and the relay between a case thread and the member's DMs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import DmsCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


__all__ = ["setup"]


async def setup(bot: TendBot) -> None:
    await bot.add_cog(DmsCog(bot))
