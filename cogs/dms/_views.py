"""What a member touches in their DMs with Tend: the server picker, **Talk to the moderators**,
**Keep talking here in DMs** and **Stop talking by DM**.

A DM carries no server: each button names a message Tend kept (or a case), which is looked up
and must be the presser's own; the server comes from that stored row, and Discord is asked
whether the person is really a member of it before anything is opened.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord
from discord.ui import Button, DynamicItem, Select

from bot.domain.authority import snowflake
from bot.domain.cases import CooldownActive
from bot.domain.dms import NoRelay
from bot.domain.errors import NotAllowed, NotConfigured, NotFound
from bot.domain.i18n import ENGLISH, Language, Text, _
from bot.runtime.doors import RESOURCES_TITLE, out_of_hours_line, shut_if_paused
from bot.runtime.embeds import resources_embed
from bot.runtime.language import language_of
from bot.runtime.queue import fire_and_read, join_case_threads_of
from bot.runtime.replies import reply_private
from bot.runtime.ui import Guarded, IdButton, actor_of, button_row, id_template

from ._common import is_timed_out, membership, reachable, relay_possible, server_name

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

DMS_OFF = _(
    "That server's moderators can't be reached through DMs to me any more. You can still use /support there."
)


def talk_view(bot: TendBot, guild: GuildConfig, row_id: int, speak: Language = ENGLISH) -> discord.ui.View:
    """The lasting buttons under a DM for one server, labelled in the member's language."""
    items: list[discord.ui.Item[Any]] = [TalkButton(row_id, speak=speak)]
    if relay_possible(bot, guild):
        items.append(RelayButton(row_id, speak=speak))
    return button_row(*items)


def pick_view(bot: TendBot, rows: dict[int, int], speak: Language = ENGLISH) -> discord.ui.View:
    """The server picker, when the member shares several servers with Tend."""
    first = min(rows.values())
    options = [
        discord.SelectOption(label=server_name(bot, guild)[:100], value=str(guild.id))
        for guild in reachable(bot)
        if guild.id in rows
    ][:25]
    return button_row(PickServer(first, options, speak))


def crisis_embeds(bot: TendBot, guilds: list[GuildConfig], speak: Language = ENGLISH) -> list[discord.Embed]:
    """Each server's resources, crisis lines first as the owner listed them (at most four)."""
    embeds = []
    heading = speak(RESOURCES_TITLE)
    for guild in guilds[:4]:
        title = heading if len(guilds) == 1 else f"{heading} · {server_name(bot, guild)}"
        embeds.append(resources_embed(guild.resources, speak, title=title[:256]))
    return embeds


class TalkButton(IdButton, DynamicItem[Button], template=id_template("dm", "talk")):  # type: ignore[misc]
    """Open the support case (a private thread in the server) from what the member DMed."""

    prefix, action, label, style = "dm", "talk", _("Talk to the moderators"), discord.ButtonStyle.primary

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await talk(interaction, self.target_id, relay=False)


class RelayButton(IdButton, DynamicItem[Button], template=id_template("dm", "relay")):  # type: ignore[misc]
    """The same case, with the conversation relayed through these DMs."""

    prefix, action, label = "dm", "relay", _("Keep talking here in DMs")

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        await talk(interaction, self.target_id, relay=True)


class EndRelayButton(IdButton, DynamicItem[Button], template=id_template("dm", "end")):  # type: ignore[misc]
    """The member ends the relay of their case (``dm:<case id>:end``); the case stays open."""

    prefix, action, label, style = "dm", "end", _("Stop talking by DM"), discord.ButtonStyle.danger

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            case = await bot.dms.end_relay(actor_of(interaction), self.target_id)
        except NoRelay:
            await reply_private(interaction, bot.prompts(None).message("dm_no_relay"))
            return
        guild = bot.guild_config(case.guild_id)
        await reply_private(
            interaction, bot.prompts(guild.id).message("dm_relay_ended", server=server_name(bot, guild))
        )


class PickServer(Guarded, DynamicItem[Select], template=r"dm:(?P<id>[0-9]{1,19}):pick"):  # type: ignore[misc]
    """Which server's moderators: names one kept message; the picked server must hold its copy."""

    def __init__(
        self, row_id: int, options: list[discord.SelectOption] | None = None, speak: Language = ENGLISH
    ):
        super().__init__(
            Select(
                custom_id=f"dm:{row_id}:pick",
                placeholder=speak(_("Which server's moderators?")),
                options=options or [discord.SelectOption(label=speak(_("A server")), value="0")],
            )
        )
        self.row_id = row_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: re.Match[str]
    ) -> Any:
        return cls(snowflake(match["id"]))

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        bot = interaction.client
        library = bot.prompts(None)
        # Answered at once (the 3-second rule); the message is redrawn once the choice is found.
        await interaction.response.defer()
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        values = list(data.get("values") or [])
        picked = snowflake(values[0]) if values else 0
        row = await bot.dms.choose(self.row_id, interaction.user.id, picked)
        if row is None:
            raise NotFound(library.message("dm_not_yours"))
        guild = _reachable(bot, row.guild_id)
        server = server_name(bot, guild)
        speak = language_of(interaction)
        text = speak(bot.prompts(guild.id).message("dm_picked", server=server))
        if relay_possible(bot, guild):
            text = f"{text}\n\n{speak(bot.prompts(guild.id).message('dm_relay_offer'))}"
        await interaction.edit_original_response(
            content=text,
            embeds=crisis_embeds(bot, [guild], speak),
            view=talk_view(bot, guild, row.id, speak),
            allowed_mentions=discord.AllowedMentions.none(),
        )


def _reachable(bot: TendBot, guild_id: int) -> GuildConfig:
    guild = bot.settings.guild(guild_id)
    if guild is None or guild not in reachable(bot):
        raise NotConfigured(bot.prompts(guild_id).message("dm_server_off"))
    return guild


async def talk(interaction: discord.Interaction[TendBot], row_id: int, *, relay: bool) -> None:
    """Open the member's support case from what they DMed (or add to their open one)."""
    bot = interaction.client
    user_id = interaction.user.id
    await interaction.response.defer(ephemeral=True, thinking=True)
    row = await bot.dms.own_message(row_id, user_id)
    if row is None:
        raise NotFound(bot.prompts(None).message("dm_not_yours"))
    guild = _reachable(bot, row.guild_id)
    library = bot.prompts(guild.id)
    server = server_name(bot, guild)
    # Never trust the stored row alone: Discord says whether they are a member now.
    found = await membership(bot, guild.id, user_id)
    if found is None:
        raise NotAllowed(library.message("dm_not_member"))
    # A paused member is refused here as in /support (their words stay kept), resources included.
    if await shut_if_paused(interaction, guild, quick=False):
        return
    timed_out = is_timed_out(found, bot.cases.clock())
    relay = (relay or timed_out) and relay_possible(bot, guild)
    try:
        opened = await bot.dms.open_case(guild, user_id, relay=relay)
    except CooldownActive as wait:
        await reply_private(
            interaction,
            library.message("support_cooldown", minutes=wait.minutes),
            embeds=crisis_embeds(bot, [guild], language_of(interaction)),
        )
        return
    case = opened.case
    if not opened.created:
        passed_on = await bot.dms.add_to_case(case, user_id, relay=relay)
        if case.thread_id and not relay:
            # A case they talked to by DM has a thread without them: they choose it now.
            await join_case_threads_of(bot, case.thread_id, user_id)
        where: str | Text = f"<#{case.thread_id}>" if case.thread_id and not relay else _("here in DMs")
        key = "dm_added_to_case" if passed_on else "dm_already_open"
        await reply_private(interaction, library.message(key, server=server, thread=where))
        return
    case = await fire_and_read(bot, opened.setup_job, case.id, then=opened.card_job)
    speak = language_of(interaction)
    if relay:
        # The lasting "you're talking by DM" message, with Stop, is sent by a durable note.
        said = speak(library.message("dm_relay_opened", server=server))
        if timed_out:
            said = f"{speak(library.message('dm_relay_timed_out', server=server))}\n\n{said}"
        await reply_private(interaction, said)
    elif case.thread_id:
        text = library.message("dm_case_opened", server=server, thread=f"<#{case.thread_id}>")
        await reply_private(interaction, with_hours(bot, guild, speak(text), speak))
    else:
        said = speak(library.message("dm_case_pending", server=server))
        await reply_private(interaction, with_hours(bot, guild, said, speak))


def with_hours(bot: TendBot, guild: GuildConfig, text: str, speak: Language) -> str:
    """Outside team hours, say first when to expect a reply."""
    line = out_of_hours_line(bot, guild)
    return f"{speak(line)}\n\n{text}" if line else text


DYNAMIC_ITEMS = (TalkButton, RelayButton, EndRelayButton, PickServer)
