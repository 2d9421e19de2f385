"""The buttons on a due reminder (Done, Snooze, Reopen case) and on a member check-in.

All are DynamicItems with the follow-up id in their custom_id, so they keep working after
a restart; every press is checked here against the follow-up, never trusted from Discord.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar

import discord
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.cases import reference
from bot.domain.disclosure import name, tend_checks_in_for, unchecked
from bot.domain.followups import parse_when
from bot.domain.i18n import ENGLISH, Language, _
from bot.domain.text import fit
from bot.runtime.language import language_of
from bot.runtime.modals import RoutedModal
from bot.runtime.replies import reply_private
from bot.runtime.ui import ID, IdButton, actor_of

if TYPE_CHECKING:
    from bot.runtime.core import TendBot
    from models import FollowUp

FOLLOWUP = rf"fu:{ID}"
SNOOZES = {"1h": timedelta(hours=1), "1d": timedelta(days=1)}
SNOOZE_LABELS = {"1h": _("Snooze 1 h"), "1d": _("Snooze 1 day"), "custom": _("Snooze…")}


async def _defer_update(interaction: discord.Interaction[TendBot]) -> None:
    """Defer so the reminder message itself can be updated; a form sent without one (a forged
    or stale submit) gets a private "thinking" answer instead, as Discord allows nothing else."""
    if interaction.message is not None:
        await interaction.response.defer()
    else:
        await interaction.response.defer(ephemeral=True, thinking=True)


async def _close_message(interaction: discord.Interaction[TendBot], line: str) -> None:
    """Keep the reminder's text, add what happened, and take the buttons away."""
    if interaction.message is None:
        await reply_private(interaction, line)
        return
    content = interaction.message.content or ""
    await interaction.edit_original_response(content=fit(f"{content}\n{line}", 2000), view=None)


class _FollowUpButton(IdButton):
    """A reminder's button: ``fu:<follow-up id>:<action>``."""

    prefix = "fu"


class DoneButton(_FollowUpButton, DynamicItem[Button], template=FOLLOWUP + ":done"):  # type: ignore[misc]
    action, label, style = "done", _("Done"), discord.ButtonStyle.success

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await interaction.response.defer()  # updates the reminder message itself
        await interaction.client.followups.done(actor_of(interaction), self.target_id)
        await _close_message(interaction, f"✅ Done, marked by <@{interaction.user.id}>.")


SNOOZE = FOLLOWUP + r":snooze:(?P<span>1h|1d|custom)"
CHECKIN = rf"checkin:{ID}:(?P<answer>ok|talk|stop)"


class SnoozeButton(_FollowUpButton, DynamicItem[Button], template=SNOOZE):  # type: ignore[misc]
    def __init__(self, followup_id: int, span: str, speak: Language = ENGLISH):
        super().__init__(followup_id, SNOOZE_LABELS[span], action=f"snooze:{span}", speak=speak)
        self.span = span

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["id"]), match["span"])

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        if self.span == "custom":
            # A modal must be the first response; the submit checks who may snooze.
            await bot.modals.open(interaction, SnoozeModal(self.target_id, language_of(interaction)))
            return
        await interaction.response.defer()
        until = bot.followups.clock() + SNOOZES[self.span]
        await snooze_and_say(interaction, self.target_id, until)


async def snooze_and_say(interaction: discord.Interaction[TendBot], followup_id: int, until: Any) -> None:
    await interaction.client.followups.snooze(actor_of(interaction), followup_id, until)
    when = discord.utils.format_dt(until, "f")
    await _close_message(interaction, f"💤 Snoozed until {when} by <@{interaction.user.id}>.")


class SnoozeModal(RoutedModal):
    pattern = re.compile(r"fu:(?P<followup>[0-9]{1,19}):snooze-until")

    def __init__(self, followup_id: int, speak: Language = ENGLISH):
        super().__init__(
            title=speak(_("Snooze until…")), custom_id=f"fu:{followup_id}:snooze-until", timeout=None
        )
        self.target_id = followup_id
        self.when: discord.ui.TextInput[Any] = discord.ui.TextInput(
            custom_id="when",
            label=speak(_("When should I remind you again?")),
            placeholder=speak(_("3h, tomorrow 9:00, friday, 2026-05-01 09:30")),
            max_length=100,
        )
        self.add_item(self.when)

    @classmethod
    def rebuild(
        cls, bot: TendBot, interaction: discord.Interaction[TendBot], match: re.Match[str]
    ) -> SnoozeModal:
        return cls(snowflake(match["followup"]), language_of(interaction))

    async def on_submit(self, interaction: discord.Interaction[TendBot]) -> None:  # type: ignore[override]
        bot = interaction.client
        await _defer_update(interaction)
        followup = await bot.followups.for_actor(actor_of(interaction), self.target_id)
        guild = bot.guild_config(followup.guild_id)
        until = parse_when(self.when.value, guild.zone, bot.followups.clock())
        await snooze_and_say(interaction, followup.id, until)


class ReopenButton(_FollowUpButton, DynamicItem[Button], template=FOLLOWUP + ":reopen"):  # type: ignore[misc]
    action, label, style = "reopen", _("Reopen case"), discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        await interaction.response.defer()
        # Reopening is a moderator's step on the case's own server, whoever the reminder was for.
        case = await bot.followups.reopen_from_followup(actor_of(interaction), self.target_id)
        ref = reference(case.kind, case.number)
        await _close_message(interaction, f"↩️ {ref} reopened by <@{interaction.user.id}>.")


def reminder_buttons(followup: FollowUp, case_closed: bool, speak: Language = ENGLISH) -> discord.ui.View:
    """Done, Snooze and (a closed case's) Reopen, their labels in ``speak`` (the reader's)."""
    view = discord.ui.View(timeout=None)
    view.add_item(DoneButton(followup.id, speak=speak))
    for span in ("1h", "1d", "custom"):
        view.add_item(SnoozeButton(followup.id, span, speak))
    if followup.case_id is not None and case_closed:
        view.add_item(ReopenButton(followup.id, speak=speak))
    return view


# -- the member's check-in ----------------------------------------------------------------

CHECKIN_LABELS = {
    "ok": _("I'm OK"),
    "talk": _("I'd like to talk again"),
    "stop": _("Please stop checking in"),
}
CHECKIN_REPLIES = {"ok": "checkin_ok_reply", "talk": "checkin_talk_reply", "stop": "checkin_stop_reply"}


class CheckinButton(IdButton, DynamicItem[Button], template=CHECKIN):  # type: ignore[misc]
    """The member's answer to a check-in DM: ``checkin:<follow-up id>:<answer>``."""

    prefix = "checkin"
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "ok": discord.ButtonStyle.success,
        "talk": discord.ButtonStyle.primary,
        "stop": discord.ButtonStyle.secondary,
    }

    def __init__(self, followup_id: int, answer: str, speak: Language | None = None):
        super().__init__(
            followup_id, CHECKIN_LABELS[answer], action=answer, style=self.STYLES[answer], speak=speak
        )
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["id"]), match["answer"])

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        await interaction.response.defer()
        answered = await bot.followups.answer_checkin(self.target_id, interaction.user.id, self.answer)
        followup = answered.followup
        library = bot.prompts(followup.guild_id)
        speak = language_of(interaction)
        answer = speak(_("You answered: {answer}.", answer=CHECKIN_LABELS[self.answer]))
        await _close_message(interaction, f"*{answer}*")
        reply = CHECKIN_REPLIES[self.answer]
        if answered.for_anonymous_reporter and self.answer == "talk":
            reply = "checkin_reporter_talk_reply"  # not tied to their report: /support is theirs
        server = bot.settings.guild(followup.guild_id)
        await reply_private(
            interaction, library.message(reply, server=(server.name if server else None) or _("the server"))
        )
        await tell_the_moderator(bot, followup, self.answer, answered.case)


async def tell_the_moderator(bot: TendBot, followup: FollowUp, answer: str, case: Any) -> None:
    about = await bot.cases.find(followup.case_id)
    member = name(about, followup.member_id, unchecked(about))
    on = f" on {reference(about.kind, about.number)}" if about is not None else ""
    if answer == "ok":
        text, ping = f"{member} answered the check-in{on}: they're OK.", None
    elif answer == "stop":
        text, ping = f"{member} asked not to get check-ins any more; Tend won't send them more.", None
    elif tend_checks_in_for(about, followup.member_id):
        text = (
            f"<@{followup.owner_id}> {member}{on} answered the check-in: they'd like to talk. "
            "I told them `/support` reaches the moderators privately whenever they're ready."
        )
        ping = followup.owner_id
    else:
        where = f" ({reference(case.kind, case.number)})" if case is not None else ""
        text = f"<@{followup.owner_id}> {member} answered the check-in: they'd like to talk again{where}."
        ping = followup.owner_id
    channel = bot.followups.notice_channel(followup, about)
    if channel is not None:
        await bot.followups.notify(followup.guild_id, channel, text, ping=ping)


def checkin_buttons(followup_id: int, speak: Language | None = None) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in ("ok", "talk", "stop"):
        view.add_item(CheckinButton(followup_id, answer, speak))
    return view


DYNAMIC_ITEMS = (DoneButton, SnoozeButton, ReopenButton, CheckinButton)
MODALS = (SnoozeModal,)
