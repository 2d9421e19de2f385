"""Modals that survive a restart.

discord.py keeps sent modals in memory and silently discards a submit it doesn't know,
so a member who spends ten minutes writing while Tend restarts would lose their words.
Tend's modals are rebuilt from their ``custom_id`` instead: after sending one, Tend
takes it out of discord.py's store, and every submit goes through :class:`ModalRouter`,
whether or not Tend restarted in between. (This touches discord.py's view store, a
private detail; discord.py is pinned to 2.7.x and a test covers the behaviour.)
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord

from .ui import TendModal

if TYPE_CHECKING:
    from .core import TendBot

log = logging.getLogger(__name__)


class RoutedModal(TendModal):
    """A modal whose ``custom_id`` carries everything needed to handle its submit."""

    pattern: ClassVar[re.Pattern[str]]

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> RoutedModal:
        raise NotImplementedError


class ModalRouter:
    def __init__(self) -> None:
        self._routes: list[type[RoutedModal]] = []

    def register(self, *modal_classes: type[RoutedModal]) -> None:
        for cls in modal_classes:
            if cls not in self._routes:
                self._routes.append(cls)

    async def open(self, interaction: discord.Interaction[Any], modal: RoutedModal) -> None:
        """Show ``modal`` as the (first) response; its submit will come back through :meth:`dispatch`."""
        await interaction.response.send_modal(modal)
        interaction.client._connection._view_store.remove_view(modal)

    def dispatch(self, bot: TendBot, interaction: discord.Interaction[TendBot]) -> bool:
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id", ""))
        for cls in self._routes:
            match = cls.pattern.fullmatch(custom_id)
            if match is None:
                continue
            modal = cls.rebuild(bot, interaction, match)
            # discord.py's own submit path: fills in values, then on_submit / on_error.
            modal._dispatch_submit(interaction, data.get("components", []), data.get("resolved", {}))
            return True
        log.warning("modal submit with unknown custom_id %r", custom_id)
        return False
