"""What members touch: the "What's going on?" modal, the panel button, and the buttons in their thread."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.cases import CooldownActive, reference
from bot.domain.errors import NotConfigured
from bot.domain.i18n import ENGLISH, P_, Language, Text, _
from bot.runtime.doors import out_of_hours_line, resources_first, shut_if_paused
from bot.runtime.embeds import resources_embed
from bot.runtime.language import language_of, team_language
from bot.runtime.modals import RoutedModal
from bot.runtime.queue import fire_and_read
from bot.runtime.replies import give_back_words, reply_private
from bot.runtime.ui import ID, Guarded, IdButton, actor_of, id_template

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

INTAKE_LIMIT = 4000  # Discord's limit for one text input
FEATURE_OFF = _(
    "Private support isn't switched on in this server. The moderators can still be reached directly."
)
BEING_SET_UP = _("your private thread (it's being set up)")
RIGHT_NOW = _("If you need something right now")


def require_support(bot: TendBot, guild_id: int | None) -> GuildConfig:
    guild = bot.guild_config(guild_id)
    if not guild.features.support:
        raise NotConfigured(FEATURE_OFF)
    return guild


async def refusal_before_form(bot: TendBot, guild: GuildConfig, member_id: int) -> Text | None:
    """Why the member can't open a support case now (an open thread, the cooldown), found by a
    quick look before the form, so nobody types their story only to be turned away. None: go on."""
    from bot.domain.cases.store import open_or_latest

    async def look() -> Text | None:
        async with bot.db.read() as session:
            latest = await open_or_latest(session, guild.id, member_id, "support")
        if latest is not None and latest.is_open:
            where: str | Text = f"<#{latest.thread_id}>" if latest.thread_id else BEING_SET_UP
            return bot.prompts(guild.id).message("support_already_open", thread=where)
        cooldown = timedelta(minutes=guild.support.cooldown_minutes)
        if latest is not None and cooldown and latest.opened_at > bot.cases.clock() - cooldown:
            wait = CooldownActive(latest.opened_at + cooldown - bot.cases.clock())
            return bot.prompts(guild.id).message("support_cooldown", minutes=wait.minutes)
        return None

    try:
        return await asyncio.wait_for(look(), timeout=1.0)
    except Exception:
        return None  # the database is slow: show the form; the submit checks again and keeps their words


async def refuse_kindly(
    interaction: discord.Interaction[TendBot], guild: GuildConfig, text: str | Text
) -> None:
    """A refusal to a member who wanted support comes with the crisis resources, first."""
    speak = language_of(interaction)
    embeds = [resources_embed(guild.resources, speak, title=speak(RIGHT_NOW))] if guild.resources else []
    await reply_private(interaction, text, embeds=embeds)


class SupportModal(RoutedModal):
    pattern = re.compile(r"tend:support:(?P<topic>.{0,80})", re.DOTALL)

    def __init__(self, topic: str | None, speak: Language):
        super().__init__(
            title=speak(_("What's going on?")), custom_id=f"tend:support:{(topic or '')[:80]}", timeout=None
        )
        self.topic = topic or None
        self.story: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="story",
            label=speak(_("Tell us as much or as little as you like")),
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=INTAKE_LIMIT,
            placeholder=speak(_("You can also leave this empty and just talk in your private thread.")),
        )
        self.add_item(self.story)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> SupportModal:
        return cls(match["topic"] or None, language_of(interaction))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        guild = require_support(bot, interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        if await shut_if_paused(interaction, guild, words=self.story.value or "", quick=False):
            return
        library = bot.prompts(guild.id)
        try:
            opened = await bot.cases.open_support(
                guild_id=guild.id,
                member_id=interaction.user.id,
                topic=self.topic,
                text=(self.story.value or "").strip() or None,
                cooldown=timedelta(minutes=guild.support.cooldown_minutes),
                nudge_after=timedelta(minutes=guild.support.nudge_after_minutes),
                silence_after=timedelta(days=guild.support.silence_after_days),
            )
        except CooldownActive as wait:
            await refuse_kindly(interaction, guild, library.message("support_cooldown", minutes=wait.minutes))
            await give_back_words(interaction, self.story.value or "")
            return
        case = opened.case
        if not opened.created:
            where: str | Text = f"<#{case.thread_id}>" if case.thread_id else BEING_SET_UP
            await reply_private(interaction, library.message("support_already_open", thread=where))
            return
        # Create the thread now, through the same durable job a retry would use.
        case = await fire_and_read(bot, opened.setup_job, case.id, then=opened.card_job)
        if case.thread_id:
            answer = library.message("support_received", thread=f"<#{case.thread_id}>")
        else:
            answer = library.message("support_thread_failed")
        away = out_of_hours_line(bot, guild)
        if away is None:
            await reply_private(interaction, answer)
        else:
            # Outside team hours: honest about when to expect a reply, crisis resources first.
            await reply_private(interaction, f"{away}\n\n{answer}", embeds=resources_first(guild))

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        # Whatever failed, the member keeps their words: echo them back, privately.
        await super().on_error(interaction, error)
        await give_back_words(interaction, self.story.value or "")


class MemberButton(IdButton):
    """A button in the member's own thread: ``support:<case id>:<action>``."""

    prefix = "support"


class AskForSupportButton(Guarded, DynamicItem[Button], template=r"support:ask"):  # type: ignore[misc]
    """The panel's button, for members who don't use slash commands."""

    def __init__(self, speak: Language | None = None) -> None:
        label = (speak or ENGLISH)(_("Ask for support"))
        super().__init__(Button(label=label, style=discord.ButtonStyle.primary, custom_id="support:ask"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls()

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = require_support(bot, interaction.guild_id)
        if await shut_if_paused(interaction, guild):
            return
        refusal = await refusal_before_form(bot, guild, interaction.user.id)
        if refusal is not None:
            await refuse_kindly(interaction, guild, refusal)
            return
        await bot.modals.open(interaction, SupportModal(None, language_of(interaction)))


class MemberCloseButton(MemberButton, DynamicItem[Button], template=id_template("support", "member-close")):  # type: ignore[misc]
    """The member's own Close, in their thread (also "You can close it" on the silence question)."""

    action, label = "member-close", _("Close this thread")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await close_by_member(interaction, self.target_id)


async def close_by_member(interaction: discord.Interaction[TendBot], case_id: int) -> None:
    bot = interaction.client
    guild = bot.guild_config(interaction.guild_id)
    await interaction.response.defer(ephemeral=True, thinking=True)
    case = await bot.cases.close_support(
        actor_of(interaction),
        case_id,
        reason="member_closed",
        survey=guild.support.survey,
        by_member=True,
    )
    if case.holder_id:
        team = team_language(bot, case.guild_id)
        closed = team(_("{reference} was closed by the member.", reference=reference(case.kind, case.number)))
        await bot.cases.notify_team(case, closed, ping=case.holder_id)
    await reply_private(
        interaction, _("Your thread is closed. You can always open a new one with `/support`.")
    )


SURVEY = rf"support:{ID}:survey:(?P<answer>yes|somewhat|no)"


class SurveyButton(MemberButton, DynamicItem[Button], template=SURVEY):  # type: ignore[misc]
    LABELS: ClassVar[dict[str, Text]] = {
        "yes": P_("survey", "Yes"),
        "somewhat": P_("survey", "Somewhat"),
        "no": P_("survey", "Not really"),
    }

    def __init__(self, case_id: int, answer: str, speak: Language | None = None):
        super().__init__(case_id, (speak or ENGLISH)(self.LABELS[answer]), action=f"survey:{answer}")
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["id"]), match["answer"])

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.guild_config(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.cases.record_survey(actor_of(interaction), self.target_id, self.answer)
        await reply_private(interaction, bot.prompts(guild.id).message("survey_thanks"))


class KeepOpenButton(MemberButton, DynamicItem[Button], template=id_template("support", "keep-open")):  # type: ignore[misc]
    action, label, style = "keep-open", _("Keep it open"), discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.guild_config(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.cases.keep_open(
            actor_of(interaction), self.target_id, timedelta(days=guild.support.silence_after_days)
        )
        await reply_private(interaction, _("Of course. The thread stays open; write whenever you're ready."))


DYNAMIC_ITEMS = (AskForSupportButton, MemberCloseButton, SurveyButton, KeepOpenButton)
