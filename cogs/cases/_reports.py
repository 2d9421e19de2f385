"""Report actions moderators take from the card: acknowledge, talk, resolve, dismiss, reveal."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.errors import InvalidInput
from bot.domain.guidance import render_prompt_text
from bot.runtime.modals import RoutedModal
from bot.runtime.replies import reply_private
from bot.runtime.ui import actor_of
from cogs.listening._reflection import offer_reflection

from ._base import CASE, _CaseButton, precheck
from ._card import OUTCOME_LABELS

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot
    from models import Case

_COLOUR = discord.Colour.blue()


def prompt_embed(bot: TendBot, guild_id: int, situation_prompt: Any) -> discord.Embed:
    embed = discord.Embed(
        title=situation_prompt.title, description=render_prompt_text(situation_prompt), colour=_COLOUR
    )
    embed.set_footer(text="Only you can see this.")
    return embed


async def after_acknowledge(bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
    """The guidance fitted to the rule: per-rule override, else the rule's category."""
    guild = bot.guild_config(case.guild_id)
    rule = guild.rule(case.rule_id or "")
    prompt = bot.prompts(guild.id).report_prompt(rule.category if rule else "general", case.rule_id)
    text = f"You hold {reference(case.kind, case.number)}. The reporter has been told a moderator is looking at it."
    await reply_private(interaction, text, embed=prompt_embed(bot, guild.id, prompt))


async def open_conversation(
    bot: TendBot,
    interaction: discord.Interaction[TendBot],
    case: Case,
    which: str,
    member_id: int,
    opener: str,
) -> discord.Thread:
    """A private thread in the support channel with one member and the moderator."""
    guild = bot.guild_config(case.guild_id)
    parent = bot.get_channel(guild.channels.support) or await bot.fetch_channel(guild.channels.support)
    assert isinstance(parent, discord.TextChannel)
    name = f"{reference(case.kind, case.number)} · {'report' if which == 'reporter' else 'conversation'}"
    thread = await parent.create_thread(
        name=name, type=discord.ChannelType.private_thread, invitable=False, auto_archive_duration=10080
    )
    await bot.reports.set_conversation(case.id, which, thread.id, interaction.user.id)
    await thread.add_user(discord.Object(member_id))
    await thread.add_user(interaction.user)
    await thread.send(opener, allowed_mentions=discord.AllowedMentions(users=[discord.Object(member_id)]))
    return thread


class TalkReporterButton(_CaseButton, DynamicItem[Button], template=CASE + ":talk-reporter"):  # type: ignore[misc]
    action, label = "talk-reporter", "Talk with reporter"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.for_moderator(actor_of(interaction), self.case_id)
        if case.kind != "report":
            raise InvalidInput("That isn't a report.")
        if case.anonymous or case.member_id is None:
            raise InvalidInput("The reporter chose to stay anonymous, so I can't open a thread with them.")
        if case.thread_id:
            await reply_private(interaction, f"The conversation is already open: <#{case.thread_id}>.")
            return
        opener = (
            f"Hi <@{case.member_id}>, thank you for your report {reference(case.kind, case.number)}. "
            "A moderator is here to talk it through with you. Only you, the moderators and people with "
            "the Manage Threads permission can see this thread."
        )
        thread = await open_conversation(bot, interaction, case, "reporter", case.member_id, opener)
        prompt = bot.prompts(case.guild_id).prompt("report.reporter")
        await reply_private(
            interaction, f"Opened {thread.mention}.", embed=prompt_embed(bot, case.guild_id, prompt)
        )


class TalkReportedButton(_CaseButton, DynamicItem[Button], template=CASE + ":talk-reported"):  # type: ignore[misc]
    action, label = "talk-reported", "Talk with reported member"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.cases.for_moderator(actor_of(interaction), self.case_id)
        if case.kind != "report":
            raise InvalidInput("That isn't a report.")
        if case.subject_thread_id:
            await reply_private(
                interaction, f"The conversation is already open: <#{case.subject_thread_id}>."
            )
            return
        # Nothing here may hint at who reported: no reference to a report, no names.
        opener = (
            f"Hi <@{case.subject_id}>, a moderator would like to talk with you privately about something from "
            "earlier. Only you, the moderators and people with the Manage Threads permission can see this thread."
        )
        thread = await open_conversation(bot, interaction, case, "reported", case.subject_id or 0, opener)
        prompt = bot.prompts(case.guild_id).prompt("report.reported_member")
        await reply_private(
            interaction, f"Opened {thread.mention}.", embed=prompt_embed(bot, case.guild_id, prompt)
        )


class ResolveButton(_CaseButton, DynamicItem[Button], template=CASE + ":resolve"):  # type: ignore[misc]
    action, label, style = "resolve", "Resolve", discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        guild = bot.require_moderator(interaction)
        await precheck(interaction, self.case_id)
        await bot.modals.open(interaction, ResolveModal.build(self.case_id, guild))


class DismissButton(_CaseButton, DynamicItem[Button], template=CASE + ":dismiss"):  # type: ignore[misc]
    action, label, style = "dismiss", "Dismiss", discord.ButtonStyle.danger

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        interaction.client.require_moderator(interaction)
        await precheck(interaction, self.case_id)
        await interaction.client.modals.open(interaction, DismissModal(self.case_id))


class RevealButton(_CaseButton, DynamicItem[Button], template=CASE + ":reveal"):  # type: ignore[misc]
    action, label = "reveal", "Reveal reporter"

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.reports.reveal(actor_of(interaction), self.case_id)
        who = f"<@{case.member_id}>" if case.member_id else "no one (the reporter's data was removed)"
        await reply_private(
            interaction, f"{reference(case.kind, case.number)} was reported by {who}. Only you see this."
        )


class ResolveModal(RoutedModal):
    pattern = re.compile(r"tend:resolve:(?P<case_id>[0-9]{1,19})")

    def __init__(self, case_id: int, outcomes: list[str], followup_days: int):
        super().__init__(title="Resolve this report", custom_id=f"tend:resolve:{case_id}", timeout=None)
        self.case_id, self.followup_days = case_id, followup_days
        self.outcome: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="outcome",
            options=[discord.SelectOption(label=OUTCOME_LABELS[o], value=o) for o in outcomes],
        )
        self.add_item(discord.ui.Label(text="What was the outcome?", component=self.outcome))
        self.note: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="note", style=discord.TextStyle.paragraph, required=False, max_length=1000
        )
        self.add_item(
            discord.ui.Label(
                text="A note for the team", description="Only moderators see it.", component=self.note
            )
        )
        self.follow: discord.ui.Select[Any] = discord.ui.Select(
            custom_id="follow",
            options=[
                discord.SelectOption(label="No follow-up", value="none", default=True),
                discord.SelectOption(
                    label=f"Check in with the reporter in {followup_days} days", value="reporter"
                ),
                discord.SelectOption(
                    label=f"Check in with the reported member in {followup_days} days", value="reported"
                ),
            ],
        )
        self.add_item(discord.ui.Label(text="Follow up later?", component=self.follow))

    @classmethod
    def build(cls, case_id: int, guild: GuildConfig) -> ResolveModal:
        return cls(case_id, list(guild.reports.outcomes), guild.reports.followup_days)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> ResolveModal:
        return cls.build(snowflake(match["case_id"]), bot.guild_config(interaction.guild_id))

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

    def __init__(self, case_id: int):
        super().__init__(title="Dismiss this report", custom_id=f"tend:dismiss:{case_id}", timeout=None)
        self.case_id = case_id
        self.reason: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="reason",
            style=discord.TextStyle.paragraph,
            required=True,
            min_length=3,
            max_length=1000,
        )
        self.add_item(
            discord.ui.Label(
                text="Why is it dismissed?", description="Only moderators see this.", component=self.reason
            )
        )

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> DismissModal:
        return cls(snowflake(match["case_id"]))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        bot.require_moderator(interaction)  # a quick gate; the case decides below
        await interaction.response.defer(ephemeral=True, thinking=True)
        case = await bot.reports.dismiss(actor_of(interaction), self.case_id, reason=self.reason.value)
        await closed_reply(bot, interaction, case)


async def closed_reply(bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
    closing = bot.prompts(case.guild_id).prompt("closing")
    lines = [f"Closed {reference(case.kind, case.number)}; the reporter will get a notice that names no one."]
    if case.followup_at:
        lines.append(f"I'll remind you to follow up {discord.utils.format_dt(case.followup_at, 'R')}.")
    await reply_private(interaction, " ".join(lines), embed=prompt_embed(bot, case.guild_id, closing))
    await offer_reflection(bot, interaction, case)


REPORT_ITEMS = (TalkReporterButton, TalkReportedButton, ResolveButton, DismissButton, RevealButton)
REPORT_MODALS = (ResolveModal, DismissModal)
