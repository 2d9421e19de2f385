"""/support and the private support thread: a member asks for help, and a moderator is there for them.

Other features open a thread *for* a member through ``from cogs.support import reach_out``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import SupportCog
from ._outreach import reach_out

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


__all__ = ["reach_out", "setup"]


async def setup(bot: TendBot) -> None:
    await bot.add_cog(SupportCog(bot))
