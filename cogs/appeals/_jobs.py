"""An appeal's durable work: the DM offering a review, changing the timeout or lifting the ban
on Discord, and telling the member the outcome (each exactly once, across restarts)."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord

from bot.domain.cases import reference
from bot.domain.cases.appeals import ActionPayload, DecisionPayload
from bot.domain.i18n import _
from bot.domain.text import fit, neutralise_mentions
from bot.infra.jobs import Finish, GiveUp, Job, Retry
from bot.runtime.delivery import retry_on_discord_errors, send_dm
from bot.runtime.language import member_language, team_language
from bot.runtime.ui import button_row

from ._member import AskReviewButton, server_name

if TYPE_CHECKING:
    from bot.runtime.core import TendBot

UNKNOWN_BAN = 10026
MEMBER_UPDATE = 24


class AppealJobs:
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def who_timed_out(self, guild_id: int, member_id: int) -> tuple[int | None, str | None]:
        """Who set the member's timeout, and why, from the audit log (None when Tend can't read it)."""
        log: Any
        with retry_on_discord_errors("read the audit log"):
            try:
                log = await self.bot.http.get_audit_logs(guild_id, limit=50, action_type=MEMBER_UPDATE)  # type: ignore[arg-type]
            except discord.Forbidden:
                return None, None  # no View Audit Log: the card says who is unknown
        for entry in log.get("audit_log_entries", []):
            changed = {c.get("key") for c in entry.get("changes") or []}
            if str(entry.get("target_id")) == str(member_id) and "communication_disabled_until" in changed:
                return (int(entry["user_id"]) if entry.get("user_id") else None), entry.get("reason")
        return None, None

    async def offer(self, job: Job[ActionPayload]) -> Finish | None:
        """DM the member what happened and when it ends, with Ask for a review."""
        guild = self.bot.settings.guild(job.guild_id)
        action = await self.bot.appeals.get_action(job.payload.action)
        if guild is None or action is None or action.until is None:
            raise GiveUp("the server or the timeout is gone")
        acted_by, reason = action.acted_by, action.reason
        if acted_by is None:
            acted_by, reason = await self.who_timed_out(guild.id, action.member_id)
        if acted_by is not None and self.bot.user is not None and acted_by == self.bot.user.id:
            return None  # Tend's own change (an appeal's outcome): nothing to offer
        library = self.bot.prompts(guild.id)
        speak = await member_language(self.bot, guild.id, action.member_id)
        text = speak(
            library.message(
                "appeal_timeout_dm",
                server=server_name(self.bot, guild),
                until=discord.utils.format_dt(action.until, "f"),
            )
        )
        shown = reason if guild.appeals.show_reason and reason else None
        if shown:
            text += "\n\n" + speak(
                library.message("appeal_reason_line", reason=neutralise_mentions(fit(shown, 500)))
            )
        view = button_row(AskReviewButton(action.id, speak=speak))
        await send_dm(
            self.bot,
            action.member_id,
            text,
            doing="tell the member about their timeout",
            view=view,
            nonce=f"dm-{job.id}",
        )
        return self.bot.appeals.who_acted(action.id, acted_by, shown)

    async def apply(self, job: Job[DecisionPayload]) -> Finish:
        """Change the timeout (shortened: the new end; lifted: none) or lift the ban, then tell them."""
        case = await self.bot.cases.get(job.guild_id, job.case_id or 0)
        facts = case.snapshot or {}
        member_id = case.member_id
        if member_id is None:
            raise GiveUp("the member is no longer known (erased)")
        ref = reference(case.kind, case.number)
        outcome = job.payload.outcome
        try:
            if facts.get("action") == "ban":
                with retry_on_discord_errors("lift the ban"):
                    try:
                        await self.bot.http.unban(member_id, job.guild_id, reason=f"Appeal {ref}: lifted")
                    except discord.NotFound as gone:
                        if gone.code != UNKNOWN_BAN:
                            raise  # 10026 Unknown Ban: already lifted, nothing to do
            else:
                until = job.payload.until if outcome == "shortened" else None
                value = datetime.fromisoformat(until).isoformat() if until else None
                # A member who left took their timeout with them (NotFound: nothing to change).
                with retry_on_discord_errors("change the timeout"), contextlib.suppress(discord.NotFound):
                    await self.bot.http.edit_member(
                        job.guild_id,
                        member_id,
                        reason=f"Appeal {ref}: {outcome}",
                        communication_disabled_until=value,
                    )
        except Retry as retry:
            # On the card: e.g. Tend lacks Moderate Members (or Ban Members); fixed, it goes on.
            await self.bot.cases.set_problem(case.id, f"{retry} The member hasn't been told yet.")
            raise
        return self.bot.appeals.applied(case.id, job.guild_id, member_id, job.payload)

    async def tell(self, job: Job[DecisionPayload]) -> None:
        """Tell the member the outcome, in a DM (closed DMs: the team is told)."""
        guild = self.bot.settings.guild(job.guild_id)
        if guild is None or job.case_id is None or job.target_id is None:
            raise GiveUp("nothing to send")
        case = await self.bot.cases.get(job.guild_id, job.case_id)
        library = self.bot.prompts(guild.id)
        values = {"reference": reference(case.kind, case.number), "server": server_name(self.bot, guild)}
        outcome = job.payload.outcome
        if outcome == "shortened" and job.payload.until:
            values["until"] = discord.utils.format_dt(datetime.fromisoformat(job.payload.until), "f")
        key = {"upheld": "appeal_upheld", "shortened": "appeal_shortened", "lifted": "appeal_lifted"}[outcome]
        if outcome == "lifted" and (case.snapshot or {}).get("action") == "ban":
            key = "appeal_lifted_ban"
        speak = await member_language(self.bot, guild.id, job.target_id)
        text = speak(library.message(key, **values))
        doing = "tell the member the outcome of their appeal"
        if await send_dm(self.bot, job.target_id, text, doing=doing, nonce=f"dm-{job.id}") is None:
            await self.bot.cases.notify_team(
                case,
                team_language(self.bot, guild.id)(
                    _(
                        "I couldn't send the member of {reference} the outcome (their DMs are closed). "
                        "If they need to hear it, please reach them another way.",
                        reference=values["reference"],
                    )
                ),
                ping=case.closed_by,
            )
