"""Reflection after a case: a few questions and a private answer kept for the moderator alone.

Other features offer it when they close a case: ``from cogs.reflections import offer_reflection``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._cog import ReflectionsCog
from ._views import offer_reflection

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

__all__ = ["offer_reflection", "setup"]


async def setup(bot: TendBot) -> None:
    await bot.add_cog(ReflectionsCog(bot))
