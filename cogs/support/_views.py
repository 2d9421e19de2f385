"""What members touch: the "What's going on?" modal, the panel button, and the buttons in their thread."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.cases import CooldownActive, reference
from bot.errors import NotAllowed, NotConfigured
from bot.modals import RoutedModal
from bot.replies import give_back_words, reply_private
from bot.ui import Guarded

if TYPE_CHECKING:
    from bot.config import GuildConfig
    from bot.core import TendBot

INTAKE_LIMIT = 4000  # Discord's limit for one text input
FEATURE_OFF = (
    "Private support isn't switched on in this server. The moderators can still be reached directly."
)


def require_support(bot: TendBot, guild_id: int | None) -> GuildConfig:
    guild = bot.guild_config(guild_id)
    if not guild.features.support:
        raise NotConfigured(FEATURE_OFF)
    return guild


async def open_case_link(bot: TendBot, guild_id: int, member_id: int) -> str | None:
    """The member's open support thread, if a quick look finds one (never delays a modal long)."""
    from bot.cases.store import open_case_of

    async def look() -> int | None:
        async with bot.db.read() as session:
            case = await open_case_of(session, guild_id, member_id, "support")
            return None if case is None else (case.thread_id or 0)

    try:
        thread_id = await asyncio.wait_for(look(), timeout=1.0)
    except Exception:
        return None  # the database is slow: show the modal; the submit will find the open case
    if thread_id is None:
        return None
    return f"<#{thread_id}>" if thread_id else "your private thread (it's being set up)"


class SupportModal(RoutedModal):
    pattern = re.compile(r"tend:support:(?P<topic>.{0,80})", re.DOTALL)

    def __init__(self, topic: str | None):
        super().__init__(
            title="What's going on?", custom_id=f"tend:support:{(topic or '')[:80]}", timeout=None
        )
        self.topic = topic or None
        self.story: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="story",
            label="Tell us as much or as little as you like",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=INTAKE_LIMIT,
            placeholder="You can also leave this empty and just talk in your private thread.",
        )
        self.add_item(self.story)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> SupportModal:
        return cls(match["topic"] or None)

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        guild = require_support(bot, interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
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
            await reply_private(interaction, library.message("support_cooldown", minutes=wait.minutes))
            return
        case = opened.case
        if not opened.created:
            where = f"<#{case.thread_id}>" if case.thread_id else "your private thread (it's being set up)"
            await reply_private(interaction, library.message("support_already_open", thread=where))
            return
        # Create the thread now, through the same durable job a retry would use.
        if opened.setup_job is not None:
            await bot.jobs.fire(opened.setup_job.id)
        case = await bot.cases.get(guild.id, case.id)
        if case.thread_id:
            await reply_private(
                interaction, library.message("support_received", thread=f"<#{case.thread_id}>")
            )
        else:
            await reply_private(interaction, library.message("support_thread_failed"))

    async def on_error(self, interaction: discord.Interaction[Any], error: Exception, /) -> None:  # type: ignore[override]
        # Whatever failed, the member keeps their words: echo them back, privately.
        await super().on_error(interaction, error)
        await give_back_words(interaction, self.story.value or "")


class _SupportButton(Guarded):
    def __init__(self, custom_id: str, label: str, style: discord.ButtonStyle, case_id: int | None = None):
        super().__init__(Button(label=label, style=style, custom_id=custom_id))  # type: ignore[call-arg]
        self.case_id = case_id


class AskForSupportButton(_SupportButton, DynamicItem[Button], template=r"support:ask"):  # type: ignore[misc]
    """The panel's button, for members who don't use slash commands."""

    def __init__(self) -> None:
        super().__init__("support:ask", "Ask for support", discord.ButtonStyle.primary)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls()

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = require_support(bot, interaction.guild_id)
        link = await open_case_link(bot, guild.id, interaction.user.id)
        if link is not None:
            await reply_private(
                interaction, bot.prompts(guild.id).message("support_already_open", thread=link)
            )
            return
        await bot.modals.open(interaction, SupportModal(None))


CASE_ID = r"(?P<case_id>[0-9]{1,19})"


class MemberCloseButton(_SupportButton, DynamicItem[Button], template=rf"support:{CASE_ID}:member-close"):  # type: ignore[misc]
    """The member's own Close, in their thread (also "You can close it" on the silence question)."""

    def __init__(self, case_id: int, label: str = "Close this thread"):
        super().__init__(f"support:{case_id}:member-close", label, discord.ButtonStyle.secondary, case_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(int(match["case_id"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await close_by_member(interaction, int(self.case_id or 0))


async def close_by_member(interaction: discord.Interaction[TendBot], case_id: int) -> None:
    bot = interaction.client
    guild = bot.guild_config(interaction.guild_id)
    await interaction.response.defer(ephemeral=True, thinking=True)
    case = await bot.cases.get(guild.id, case_id)
    if case.member_id != interaction.user.id:
        raise NotAllowed(
            "This button is for the person who asked for support. Moderators close cases from the card in the queue."
        )
    case = await bot.cases.close_support(
        guild.id,
        case_id,
        interaction.user.id,
        reason="member_closed",
        survey=guild.support.survey,
        by_member=True,
    )
    if case.holder_id:
        await bot.cases.notify_team(
            case, f"{reference(case.kind, case.number)} was closed by the member.", ping=case.holder_id
        )
    await reply_private(interaction, "Your thread is closed. You can always open a new one with `/support`.")


SURVEY = rf"support:{CASE_ID}:survey:(?P<answer>yes|somewhat|no)"


class SurveyButton(_SupportButton, DynamicItem[Button], template=SURVEY):  # type: ignore[misc]
    LABELS: ClassVar[dict[str, str]] = {"yes": "Yes", "somewhat": "Somewhat", "no": "Not really"}

    def __init__(self, case_id: int, answer: str):
        super().__init__(
            f"support:{case_id}:survey:{answer}", self.LABELS[answer], discord.ButtonStyle.secondary, case_id
        )
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(int(match["case_id"]), match["answer"])

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.guild_config(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.cases.record_survey(guild.id, int(self.case_id or 0), interaction.user.id, self.answer)
        await reply_private(interaction, bot.prompts(guild.id).message("survey_thanks"))


class KeepOpenButton(_SupportButton, DynamicItem[Button], template=rf"support:{CASE_ID}:keep-open"):  # type: ignore[misc]
    def __init__(self, case_id: int):
        super().__init__(f"support:{case_id}:keep-open", "Keep it open", discord.ButtonStyle.primary, case_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(int(match["case_id"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.guild_config(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await bot.cases.keep_open(
            guild.id,
            int(self.case_id or 0),
            interaction.user.id,
            timedelta(days=guild.support.silence_after_days),
        )
        await reply_private(interaction, "Of course. The thread stays open; write whenever you're ready.")


DYNAMIC_ITEMS = (AskForSupportButton, MemberCloseButton, SurveyButton, KeepOpenButton)
