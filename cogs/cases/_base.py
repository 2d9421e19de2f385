"""What every card button shares: the case id in its custom_id, and failures answered kindly."""

from __future__ import annotations

import re
from typing import Any

import discord
from discord.ui import Button

from bot.ui import Guarded

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
        return cls(int(match["case_id"]))
