"""What moderators do from a report's card: talk with either person, resolve, dismiss, reveal."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.i18n import ENGLISH, Language, _
from bot.runtime.language import language_of
from bot.runtime.modals import RoutedModal
from bot.runtime.queue import (
    CaseButton,
    brief_guidance,
    fire_and_read,
    guidance,
    join_case_threads_of,
    precheck,
)
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of, id_template
from cogs.reflections import offer_reflection

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

OUTCOME_LABELS = {
    "no_violation": _("No violation"),
    "conversation_held": _("Conversation held"),
    "warning": _("Warning"),
    "timeout": _("Timeout"),
    "removal": _("Removal"),
    "other": _("Other"),
    "dismissed": _("Dismissed"),
}


class TalkButton(CaseButton):
    """Open a private conversation with the reporter or the reported member: a durable job, so
    a Discord failure is retried (and shown on the card) rather than lost."""

    which: ClassVar[str]

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        item = await bot.reports.start_conversation(actor, self.target_id, self.which)
        case = await fire_and_read(bot, item, self.target_id)
        thread_id = case.thread_id if self.which == "reporter" else case.subject_thread_id
        if item is None and thread_id:
            await join_case_threads_of(bot, thread_id, interaction.user.id)
            await reply_private(
                interaction, _("The conversation is already open: {thread}.", thread=f"<#{thread_id}>")
            )
            return
        if not thread_id:
            why = (
                _(
                    "The conversation isn't open yet: {problem} I'll keep trying and add you when it is.",
                    problem=case.problem,
                )
                if case.problem
                else _("The conversation isn't open yet. I'll keep trying and add you when it is.")
            )
            await reply_private(
                interaction,
                why,
            )
            return
        await reply_private(
            interaction,
            _("Opened {thread}.", thread=f"<#{thread_id}>"),
            **guidance(bot, case.guild_id, PROMPTS[self.which], speak=language_of(interaction)),
        )


PROMPTS = {"reporter": "report.reporter", "reported": "report.reported_member"}


class TalkReporterButton(TalkButton, DynamicItem[Button], template=id_template("case", "talk-reporter")):  # type: ignore[misc]
    action, label, which = "talk-reporter", _("Talk with reporter"), "reporter"


class TalkReportedButton(TalkButton, DynamicItem[Button], template=id_template("case", "talk-reported")):  # type: ignore[misc]
    action, label, which = "talk-reported", _("Talk with reported member"), "reported"


class ResolveButton(CaseButton, DynamicItem[Button], template=id_template("case", "resolve")):  # type: ignore[misc]
    action, label, style = "resolve", _("Resolve"), discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await precheck(interaction, self.target_id)
        await bot.modals.open(
            interaction,
            ResolveModal.build(
                self.target_id, guild, language_of(interaction), brief_guidance(bot, guild.id, "closing")
            ),
        )


class DismissButton(CaseButton, DynamicItem[Button], template=id_template("case", "dismiss")):  # type: ignore[misc]
    action, label, style = "dismiss", _("Dismiss"), discord.ButtonStyle.danger

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await precheck(interaction, self.target_id)
        await bot.modals.open(
            interaction,
            DismissModal(
                self.target_id, language_of(interaction), brief_guidance(bot, guild.id, "dismissing")
            ),
        )


class RevealButton(CaseButton, DynamicItem[Button], template=id_template("case", "reveal")):  # type: ignore[misc]
    action, label = "reveal", _("Reveal reporter")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        actor = await self.begin(interaction)
        case = await bot.reports.reveal(actor, self.target_id)
        who = f"<@{case.member_id}>" if case.member_id else "no one (the reporter's data was removed)"
        await reply_private(
            interaction,
            _(
                "{reference} was reported by {who}. Only you see this.",
                reference=reference(case.kind, case.number),
                who=who,
            ),
        )


class ResolveModal(RoutedModal):
    pattern = re.compile(r"tend:resolve:(?P<case_id>[0-9]{1,19})")

    def __init__(
        self,
        case_id: int,
        outcomes: list[str],
        followup_days: int,
        speak: Language = ENGLISH,
        guidance: str = "",
    ):
        super().__init__(
            title=speak(_("Resolve this report")), custom_id=f"tend:resolve:{case_id}", timeout=None
        )
        self.case_id, self.followup_days = case_id, followup_days
        if guidance:  # the closing prompt, while there is still time to act on it
            self.add_item(discord.ui.TextDisplay(guidance))
        self.outcome: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="outcome",
            options=[discord.SelectOption(label=speak(OUTCOME_LABELS[o]), value=o) for o in outcomes],
        )
        self.add_item(discord.ui.Label(text=speak(_("What was the outcome?")), component=self.outcome))
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="note", style=discord.TextStyle.paragraph, required=False, max_length=1000
        )
        self.add_item(
            discord.ui.Label(
                text=speak(_("A note for the team")),
                description=speak(_("Only moderators see it.")),
                component=self.note,
            )
        )
        self.follow: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="follow",
            options=[
                discord.SelectOption(label=speak(_("No follow-up")), value="none", default=True),
                discord.SelectOption(
                    label=speak(_("Check in with the reporter in {days} days", days=followup_days)),
                    value="reporter",
                ),
                discord.SelectOption(
                    label=speak(
                        _(
                            "Check in with the reported member in {days} days",
                            days=followup_days,
                        )
                    ),
                    value="reported",
                ),
            ],
        )
        self.add_item(discord.ui.Label(text=speak(_("Follow up later?")), component=self.follow))

    @classmethod
    def build(
        cls, case_id: int, guild: GuildConfig, speak: Language = ENGLISH, guidance: str = ""
    ) -> ResolveModal:
        return cls(case_id, list(guild.reports.outcomes), guild.reports.followup_days, speak, guidance)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ResolveModal:
        return cls.build(
            snowflake(match["case_id"]), bot.guild_config(interaction.guild_id), language_of(interaction)
        )

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        follow = self.follow.values[0] if self.follow.values else "none"
        case = await bot.reports.resolve(
            actor_of(interaction),
            self.case_id,
            outcome=self.outcome.values[0] if self.outcome.values else "other",
            note=self.note.value or None,
            follow_with=None if follow == "none" else follow,
            follow_after=timedelta(days=self.followup_days),
        )
        await closed_reply(bot, interaction, case)


class DismissModal(RoutedModal):
    pattern = re.compile(r"tend:dismiss:(?P<case_id>[0-9]{1,19})")

    def __init__(self, case_id: int, speak: Language = ENGLISH, guidance: str = ""):
        super().__init__(
            title=speak(_("Dismiss this report")), custom_id=f"tend:dismiss:{case_id}", timeout=None
        )
        self.case_id = case_id
        if guidance:
            self.add_item(discord.ui.TextDisplay(guidance))
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="reason",
            style=discord.TextStyle.paragraph,
            required=True,
            min_length=3,
            max_length=1000,
        )
        self.add_item(
            discord.ui.Label(
                text=speak(_("Why is it dismissed?")),
                description=speak(_("Only moderators see this.")),
                component=self.reason,
            )
        )

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> DismissModal:
        return cls(snowflake(match["case_id"]), language_of(interaction))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.reports.dismiss(actor_of(interaction), self.case_id, reason=self.reason.value)
        await closed_reply(bot, interaction, case)


async def closed_reply(bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
    lines = [f"Closed {reference(case.kind, case.number)}; the reporter will get a notice that names no one."]
    if case.followup_at:
        lines.append(f"I'll remind you to follow up {discord.utils.format_dt(case.followup_at, 'R')}.")
    await reply_private(interaction, " ".join(lines))
    await offer_reflection(bot, interaction, case)


ITEMS = (TalkReporterButton, TalkReportedButton, ResolveButton, DismissButton, RevealButton)
MODALS = (ResolveModal, DismissModal)
