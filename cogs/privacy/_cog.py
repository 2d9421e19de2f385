"""/privacy: what Tend holds about me, an export of it, and deleting what can be deleted.

Also the daily retention purge (a recurring durable job per guild).
"""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import datetime
from datetime import time as TimeOfDay
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands
from discord.ui import Button, DynamicItem

from bot.domain.authority import snowflake
from bot.domain.errors import NotAllowed
from bot.domain.followups import next_daily
from bot.domain.i18n import ENGLISH, N_, Language, _
from bot.domain.privacy import RETENTION
from bot.infra.jobs import Job, NoPayload
from bot.runtime.language import language_of
from bot.runtime.replies import reply_private
from bot.runtime.ui import Guarded, button_row

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.domain.privacy import HeldData
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)

# Local time of the daily purge: a quiet hour in most communities.
PURGE_AT = TimeOfDay(4, 0)
_COLOUR = discord.Colour.from_rgb(88, 129, 87)
EXPORT_NAME = "tend-my-data.json"


def next_purge(guild: GuildConfig, after: datetime) -> datetime:
    return next_daily(after, guild.zone, PURGE_AT)


def _date(value: datetime | None) -> str:
    return discord.utils.format_dt(value, "D") if value else "–"


def held_embed(held: HeldData, retention_days: int, speak: Language) -> discord.Embed:
    embed = discord.Embed(title=speak(_("What Tend holds about you here")), colour=_COLOUR)
    if held.empty:
        embed.description = speak(_("Nothing at all. Tend hasn't stored anything about you in this server."))
    else:
        lines = [
            _("Support requests: **{count}**", count=held.support_cases),
            _("Reports you filed: **{count}**", count=held.reports_filed),
            _(
                "Distress notices (a link to a message, never a copy): **{count}**",
                count=held.distress_notices,
            ),
            _("Your reminders: **{count}**", count=held.reminders),
            *(
                [
                    _(
                        "Messages in your case threads (kept for the case's record): **{count}**",
                        count=held.thread_messages,
                    )
                ]
                if held.thread_messages
                else []
            ),
            _("Check-ins sent to you: **{count}** (you asked us to stop)", count=held.checkins)
            if held.checkins_stopped
            else _("Check-ins sent to you: **{count}**", count=held.checkins),
            *(
                [
                    _(
                        "Other things you wrote (notes, reflections, messages to Tend by DM): **{count}**",
                        count=held.other_words,
                    )
                ]
                if held.other_words
                else []
            ),
            _("From {first} to {last}.", first=_date(held.first_at), last=_date(held.last_at)),
        ]
        embed.description = "\n".join(speak(line) for line in lines)
    embed.add_field(
        name=speak(_("How it's kept")),
        value=speak(
            N_(
                "What you write is stored encrypted. Closed cases lose their text and your name after"
                " {days} day. Other people's words about you aren't listed here.",
                "What you write is stored encrypted. Closed cases lose their text and your name after"
                " {days} days. Other people's words about you aren't listed here.",
                retention_days,
                days=retention_days,
            )
        ),
        inline=False,
    )
    return embed


PRIVACY = r"privacy:(?P<member>[0-9]{1,19}):(?P<action>export|delete|confirm|cancel)"
PRIVACY_LABELS = {
    "export": (_("Export my data"), discord.ButtonStyle.primary),
    "delete": (_("Delete what can be deleted…"), discord.ButtonStyle.danger),
    "confirm": (_("Yes, delete"), discord.ButtonStyle.danger),
    "cancel": (_("Keep everything"), discord.ButtonStyle.secondary),
}
NOT_YOURS = _(
    "These buttons are for the person who ran `/privacy`. Run `/privacy` to see what Tend holds about you."
)


class PrivacyButton(Guarded, DynamicItem[Button], template=PRIVACY):  # type: ignore[misc]
    """Export, delete, and the delete's confirmation. DynamicItems like every button, so a member
    taking their data out after a restart gets an answer (the message itself is private to them)."""

    def __init__(self, member_id: int, action: str, speak: Language | None = None):
        label, style = PRIVACY_LABELS[action]
        button: Button[Any] = Button(
            label=(speak or ENGLISH)(label), style=style, custom_id=f"privacy:{member_id}:{action}"
        )
        super().__init__(button)
        self.member_id, self.action = member_id, action

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["member"]), match["action"])

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        # Only ever the data of the person pressing, in the server they press it in.
        guild = bot.guild_config(interaction.guild_id)
        if interaction.user.id != self.member_id:
            raise NotAllowed(NOT_YOURS)
        speak = language_of(interaction)
        if self.action == "delete":
            await reply_private(interaction, CONFIRM_DELETE, view=button_row(*self.confirmation(speak)))
            return
        if self.action == "cancel":
            await reply_private(interaction, _("Nothing was deleted."))
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        if self.action == "export":
            data = await bot.privacy.export(guild.id, self.member_id)
            locale = await bot.services.locales.locale_of(self.member_id)
            if locale:
                data["language"] = locale
            payload = json.dumps(data, indent=2, ensure_ascii=False).encode()
            await reply_private(
                interaction,
                _("Here is everything that is yours, your own words included. Only you can see this."),
                file=discord.File(io.BytesIO(payload), filename=EXPORT_NAME),
            )
            return
        deleted = await bot.privacy.delete_mine(guild.id, self.member_id)
        await bot.services.locales.forget(self.member_id)
        parts = [
            N_(
                "{count} support message",
                "{count} support messages",
                deleted.intake_texts,
                count=deleted.intake_texts,
            ),
            N_("{count} reminder", "{count} reminders", deleted.reminders, count=deleted.reminders),
        ]
        if deleted.other_texts:
            parts.append(
                N_(
                    "{count} other thing you wrote",
                    "{count} other things you wrote",
                    deleted.other_texts,
                    count=deleted.other_texts,
                )
            )
        listed = ", ".join(speak(part) for part in parts)
        unlinked = N_(
            "Done. Deleted: {listed}; your name is off {count} report.",
            "Done. Deleted: {listed}; your name is off {count} reports.",
            deleted.reports_unlinked,
            listed=listed,
            count=deleted.reports_unlinked,
        )
        said = speak(unlinked)
        if deleted.thread_messages:
            gone = N_(
                "The record of your support threads ({count} message) is gone too.",
                "The record of your support threads ({count} messages) is gone too.",
                deleted.thread_messages,
                count=deleted.thread_messages,
            )
            said = f"{said} {speak(gone)}"
        await reply_private(interaction, said)

    def confirmation(self, speak: Language) -> tuple[PrivacyButton, PrivacyButton]:
        return PrivacyButton(self.member_id, "confirm", speak), PrivacyButton(self.member_id, "cancel", speak)


CONFIRM_DELETE = _(
    "This deletes what you wrote when asking for support (and the record of your support "
    "threads), your reminders and anything else "
    "you wrote that the team doesn't need (your reflections), and removes your name from "
    "reports you filed (the reports stay, so the moderators can still act on them). "
    "It can't be undone. Delete now?"
)


class PrivacyCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PrivacyButton)
        self.bot.jobs.register(RETENTION, self.purge, every=self.every)
        now = self.bot.jobs.clock()
        await self.bot.jobs.seed(RETENTION, {g.id: next_purge(g, now) for g in self.bot.settings.guilds})

    def every(self, job: Job[NoPayload]) -> datetime | None:
        guild = self.bot.settings.guild(job.guild_id)
        return None if guild is None else next_purge(guild, max(job.due_at, self.bot.jobs.clock()))

    async def purge(self, job: Job[NoPayload]) -> None:
        purged = await self.bot.privacy.purge_expired(job.guild_id)
        if purged.cases or purged.followups or purged.reflections or purged.jobs or purged.thread_messages:
            log.info(
                "retention: purged %d case(s), %d thread message(s), %d reminder(s), %d reflection(s), "
                "%d finished job(s)",
                purged.cases,
                purged.thread_messages,
                purged.followups,
                purged.reflections,
                purged.jobs,
                extra={"guild_id": job.guild_id},
            )

    @app_commands.command(name="privacy", description="What Tend stores about you; export it or delete it.")
    @app_commands.guild_only()
    async def privacy(self, interaction: discord.Interaction[TendBot]) -> None:
        guild = self.bot.guild_config(interaction.guild_id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        held = await self.bot.privacy.held(guild.id, interaction.user.id)
        member = interaction.user.id
        speak = language_of(interaction)
        embed = held_embed(held, guild.privacy.retention_days, speak)
        if held.empty:
            await reply_private(interaction, embed=embed)
        else:
            view = button_row(PrivacyButton(member, "export", speak), PrivacyButton(member, "delete", speak))
            await reply_private(interaction, embed=embed, view=view)
