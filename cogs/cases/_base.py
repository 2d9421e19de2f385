"""What every card button shares: the case id in its custom_id, and failures answered kindly."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button

from bot.domain.authority import snowflake
from bot.runtime.ui import Guarded, actor_of

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

CASE = r"case:(?P<case_id>[0-9]{1,19})"


class _CaseButton(Guarded):
    """A card button: ``case:<id>:<action>``. Subclasses set action, label and style."""

    action: str
    label: str
    style: discord.ButtonStyle = discord.ButtonStyle.secondary

    def __init__(self, case_id: int, label: str | None = None):
        button: Button[Any] = Button(
            label=label or self.label, style=self.style, custom_id=f"case:{case_id}:{self.action}"
        )
        super().__init__(button)  # type: ignore[call-arg]
        self.case_id = case_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["case_id"]))


async def precheck(interaction: discord.Interaction[TendBot], case_id: int) -> None:
    """Before a form (which must be the first response): refuse at once when the authority rule
    says no. A slow database skips this; the form's submit asks the rule again either way."""
    try:
        await asyncio.wait_for(interaction.client.cases.for_moderator(actor_of(interaction), case_id), 1.0)
    except TimeoutError:
        return
