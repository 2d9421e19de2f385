"""Case records: the messages of case threads recorded as they happen, the transcript posted to
the team's notes thread when a case closes, ``/case transcript`` and ``/case history``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import RecordsCog

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


async def setup(bot: TendBot) -> None:
    await bot.add_cog(RecordsCog(bot))
