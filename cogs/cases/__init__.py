"""The moderator queue: one card per case, its persistent buttons, and the jobs behind them.

Support requests, reports and distress notices all pass through here: one mechanism,
several kinds of case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord.ext import commands

from bot.cases.service import CARD_SYNC, CASE_FOLLOWUP, CASE_NOTICE

from ._buttons import DYNAMIC_ITEMS
from ._jobs import CaseJobs
from ._support import CloseSupportModal

if TYPE_CHECKING:
    from bot.core import TendBot


class CasesCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = CaseJobs(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.modals.register(CloseSupportModal)
        self.bot.jobs.register(CARD_SYNC, self.jobs.sync_card)
        self.bot.jobs.register(CASE_NOTICE, self.jobs.notice)
        self.bot.jobs.register(CASE_FOLLOWUP, self.jobs.followup)


async def setup(bot: TendBot) -> None:
    await bot.add_cog(CasesCog(bot))
