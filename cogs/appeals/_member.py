"""What the member touches: Ask for a review (in their DMs), /appeal on the appeals server, and
the form where they write their side (sealed at rest, given back if anything fails)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.cases.appeals import ACTION_GONE
from bot.domain.errors import InvalidInput, NotFound
from bot.domain.i18n import ENGLISH, Language, _
from bot.runtime.language import language_of
from bot.runtime.modals import RoutedModal
from bot.runtime.replies import give_back_words, reply_private
from bot.runtime.ui import IdButton, actor_of, id_template

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

STORY_LIMIT = 4000
MEMBER_BAN_ADD = 22


def server_name(bot: TendBot, guild: GuildConfig) -> str:
    return guild.name or (g.name if (g := bot.get_guild(guild.id)) else "the server")


def _story(speak: Language = ENGLISH) -> discord.ui.TextInput[Any]:
    return discord.ui.TextInput(
        custom_id="story",
        label=speak(_("Your side, in your own words")),
        style=discord.TextStyle.paragraph,
        required=False,
        max_length=STORY_LIMIT,
        placeholder=speak(_("What happened, how it affected you or others, and what would make it right.")),
    )


class AskReviewButton(IdButton, DynamicItem[Button], template=id_template("appeal", "ask")):  # type: ignore[misc]
    """In the member's DMs, under the timeout notice: names the moderation action by id (untrusted)."""

    prefix, action, label, style = "appeal", "ask", _("Ask for a review"), discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        # The form must be the first response: a quick look that it is theirs, then the form.
        try:
            found = await asyncio.wait_for(bot.appeals.get_action(self.target_id), 1.0)
        except TimeoutError:
            # the submit checks again
            await bot.modals.open(interaction, AppealModal(self.target_id, language_of(interaction)))
            return
        if found is None or found.member_id != interaction.user.id:
            raise NotFound(ACTION_GONE)
        if found.case_id is not None:
            raise InvalidInput(_("You've already asked for a review of this. You'll hear back here."))
        await bot.modals.open(interaction, AppealModal(self.target_id, language_of(interaction)))


class _AppealForm(RoutedModal):
    story: discord.ui.TextInput[Any]

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        await super().on_error(interaction, error)
        await give_back_words(interaction, self.story.value or "")


class AppealModal(_AppealForm):
    pattern = re.compile(r"tend:appeal:(?P<id>[0-9]{1,19})")

    def __init__(self, action_id: int, speak: Language = ENGLISH):
        super().__init__(
            title=speak(_("Ask for a review"))[:45], custom_id=f"tend:appeal:{action_id}", timeout=None
        )
        self.action_id = action_id
        self.story = _story(speak)
        self.add_item(self.story)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> AppealModal:
        return cls(snowflake(match["id"]))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.appeals.ask(actor_of(interaction), self.action_id, self.story.value)
        text = bot.prompts(case.guild_id).message(
            "appeal_received", reference=reference(case.kind, case.number)
        )
        await reply_private(interaction, text)


class BanAppealModal(_AppealForm):
    """/appeal's form on the appeals server: names the server they were removed from."""

    pattern = re.compile(r"tend:appeal-ban:(?P<guild>[0-9]{1,19})")

    def __init__(self, guild_id: int, title: str | None = None, speak: Language = ENGLISH):
        title = title or speak(_("Ask for a review of a ban"))
        super().__init__(title=title[:45], custom_id=f"tend:appeal-ban:{guild_id}", timeout=None)
        self.guild_id = guild_id
        self.story = _story(speak)
        self.add_item(self.story)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> BanAppealModal:
        return cls(snowflake(match["guild"]))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        source = appealable(bot, interaction.guild_id, self.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        acted_by, reason = await verify_ban(bot, source, interaction.user.id)
        case = await bot.appeals.ask_ban(
            guild_id=source.id,
            member_id=interaction.user.id,
            words=self.story.value,
            acted_by=acted_by,
            reason=reason,
        )
        text = bot.prompts(source.id).message("appeal_received", reference=reference(case.kind, case.number))
        await reply_private(interaction, text)


def appealable(bot: TendBot, here: int | None, guild_id: int) -> GuildConfig:
    """The server an /appeal names, if this (appeals) server takes appeals for it."""
    source = next((g for g in bot.settings.appealed_from(here) if g.id == guild_id), None)
    if source is None:
        raise InvalidInput(
            _("Please pick one of the servers in the list: this server takes appeals for those.")
        )
    return source


async def verify_ban(bot: TendBot, source: GuildConfig, user_id: int) -> tuple[int | None, str | None]:
    """Ask Discord whether ``user_id`` is banned from ``source`` (never trust the member's word
    for it); returns who banned them and the reason, from the audit log when Tend may read it."""
    name = server_name(bot, source)
    try:
        ban = await bot.http.get_ban(user_id, source.id)
    except discord.NotFound:
        raise InvalidInput(
            _(
                "I can't find a ban for you in {server}. If you were kicked rather than banned, you can "
                "rejoin with a new invite; if you think this is wrong, please contact its moderators.",
                server=name,
            )
        ) from None
    except discord.Forbidden:
        raise InvalidInput(
            _(
                "I can't check bans in {server} (I don't have the Ban Members permission there), so I "
                "can't take this appeal. Please contact its moderators another way.",
                server=name,
            )
        ) from None
    reason = ban.get("reason")
    acted_by = None
    log: Any
    try:
        log = await bot.http.get_audit_logs(source.id, limit=50, action_type=MEMBER_BAN_ADD)  # type: ignore[arg-type]
    except discord.HTTPException:
        log = {}  # no View Audit Log: the card says who is unknown
    for entry in log.get("audit_log_entries", []):
        if str(entry.get("target_id")) == str(user_id) and entry.get("user_id"):
            acted_by = int(entry["user_id"])
            reason = reason or entry.get("reason")
            break
    return acted_by, reason


ITEMS = (AskReviewButton,)
MODALS = (AppealModal, BanAppealModal)
