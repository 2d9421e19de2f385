"""Base classes for Tend's components, so every failure reaches the person kindly.

discord.py logs and swallows errors raised in a DynamicItem's callback (the member would
see only "This interaction failed"); modals and views log by default. These bases send
every failure through the same handler as slash commands.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button

from bot.domain.authority import Actor, snowflake
from bot.domain.i18n import ENGLISH, Language, Text
from bot.runtime.replies import report_error

if TYPE_CHECKING:
    from bot.runtime.core import TendBot


def actor_of(interaction: discord.Interaction[Any]) -> Actor:
    """Who is acting, from what Discord says about the interaction (roles from its member payload)."""
    user = interaction.user
    roles = [r.id for r in getattr(user, "roles", [])] if interaction.guild_id is not None else []
    guild = interaction.guild
    owner = guild is not None and getattr(guild, "owner_id", None) == user.id
    return Actor.of(user.id, interaction.guild_id, roles, owner=owner)


class Guarded:
    """Mixin for ``DynamicItem`` subclasses: implement ``act`` instead of ``callback``.

    Put it first in the bases: ``class Claim(Guarded, DynamicItem[Button], template=...)``.
    """

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        raise NotImplementedError

    async def callback(self, interaction: discord.Interaction[TendBot]) -> None:
        try:
            await self.act(interaction)
        except Exception as error:
            await report_error(interaction, error, where=type(self).__name__)


ID = r"(?P<id>[0-9]{1,19})"


def id_template(prefix: str, action: str) -> str:
    """The custom_id template of an :class:`IdButton`: ``<prefix>:<id>:<action>``."""
    return rf"{prefix}:{ID}:{action}"


class IdButton(Guarded):
    """A lasting button that names one thing by id: ``<prefix>:<id>:<action>``.

    Case cards (``case``), reminders (``fu``) and support threads (``support``) all use it::

        class Claim(IdButton, DynamicItem[Button], template=id_template("case", "claim")):
            prefix, action, label = "case", "claim", "Claim"

    The id is untrusted input: it is range-checked here, and the service it goes to looks it up.
    """

    prefix: ClassVar[str]
    action: ClassVar[str]
    label: ClassVar[str | Text]
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary

    def __init__(
        self,
        target_id: int,
        label: str | Text | None = None,
        *,
        action: str | None = None,
        style: discord.ButtonStyle | None = None,
        speak: Language | None = None,
    ):
        """``speak`` writes the label in its reader's language (buttons on a card: the team's)."""
        action = action or self.action
        button: Button[Any] = Button(
            label=(speak or ENGLISH)(label or self.label),
            style=style or self.style,
            custom_id=f"{self.prefix}:{target_id}:{action}",
        )
        super().__init__(button)  # type: ignore[call-arg]
        self.target_id = target_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["id"]))


class TendModal(discord.ui.Modal):
    # discord.py's Modal.on_error takes no item, unlike the View it derives from.
    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await report_error(interaction, error, where=type(self).__name__)


class TendView(discord.ui.View):
    async def on_error(
        self, interaction: discord.Interaction[Any], error: Exception, item: discord.ui.Item[Any], /
    ) -> None:
        await report_error(interaction, error, where=f"{type(self).__name__}.{type(item).__name__}")


def button_row(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A lasting (timeout-free) view of persistent items, for cards and thread messages."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view
