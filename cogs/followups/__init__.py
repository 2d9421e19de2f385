"""Follow-ups and reminders: /followup, /remind, their buttons, member check-ins,
on-call escalation and the weekly digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import FollowUpsCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(FollowUpsCog(bot))
