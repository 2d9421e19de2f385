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

from bot.domain.i18n import _
from bot.runtime.replies import give_back_words, reply_private, report_error
from bot.runtime.ui import TendModal

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

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
        # Registered from code at every start; a form carries all it needs in its custom_id.
        self._routes: list[type[RoutedModal]] = []

    @property
    def routes(self) -> tuple[type[RoutedModal], ...]:
        """Every form Tend rebuilds from its custom_id (the authority matrix test walks these)."""
        return tuple(self._routes)

    def register(self, *modal_classes: type[RoutedModal]) -> None:
        for cls in modal_classes:
            if cls not in self._routes:
                self._routes.append(cls)

    async def open(self, interaction: discord.Interaction[Any], modal: RoutedModal) -> None:
        """Show ``modal`` as the (first) response; its submit will come back through :meth:`dispatch`."""
        await interaction.response.send_modal(modal)
        interaction.client._connection._view_store.remove_view(modal)

    async def dispatch(self, bot: TendBot, interaction: discord.Interaction[TendBot]) -> bool:
        """Route a submit to its form; a form Tend can't rebuild (unknown, from an older version,
        or for a server that no longer uses Tend) is answered kindly with the words given back."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id", ""))
        for cls in self._routes:
            match = cls.pattern.fullmatch(custom_id)
            if match is None:
                continue
            try:
                modal = cls.rebuild(bot, interaction, match)
            except Exception as error:
                await report_error(interaction, error, where=cls.__name__)
                await give_back_words(interaction, submitted_text(data))
                return False
            # discord.py's own submit path: fills in values, then on_submit / on_error.
            modal._dispatch_submit(interaction, data.get("components", []), data.get("resolved", {}))
            return True
        log.warning("modal submit with an unknown custom_id")
        await reply_private(interaction, UNKNOWN_FORM)
        await give_back_words(interaction, submitted_text(data))
        return False


UNKNOWN_FORM = _(
    "I don't recognise that form any more (it may be from before I was updated). Nothing was saved; "
    "here is what you wrote, so you can send it again."
)


def submitted_text(data: dict[str, Any]) -> str:
    """Everything typed into a submitted form's text inputs, in order."""
    texts: list[str] = []

    def walk(components: list[Any]) -> None:
        for component in components or []:
            if not isinstance(component, dict):
                continue
            if component.get("type") == 4 and component.get("value"):
                texts.append(str(component["value"]))
            walk(component.get("components") or [])
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(data.get("components") or [])
    return "\n\n".join(texts)
