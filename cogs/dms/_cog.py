"""A DM to Tend, and what moderators write in a relayed case's thread.

A member's DM is kept sealed before Tend says anything back, so nothing they write is lost: if
the database or Discord fails, they are told and their words are given back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import commands

from bot.domain.dms import DM_NOTE, DM_RELAY_IN, DM_RELAY_OUT, TooMuchWaiting
from bot.domain.i18n import ENGLISH, Language, _
from bot.runtime.doors import out_of_hours_line
from bot.runtime.language import member_language, team_language

from ._common import give_back, membership, reachable, relay_possible, server_name, team_words, words_of
from ._jobs import DmJobs
from ._views import DYNAMIC_ITEMS, crisis_embeds, pick_view, talk_view

if TYPE_CHECKING:
    from bot.domain.config import GuildConfig
    from bot.runtime.core import TendBot

log = logging.getLogger(__name__)


class DmsCog(commands.Cog):
    def __init__(self, bot: TendBot):
        self.bot = bot
        self.jobs = DmJobs(bot)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.jobs.register(DM_RELAY_IN, self.jobs.relay_in)
        self.bot.jobs.register(DM_RELAY_OUT, self.jobs.relay_out)
        self.bot.jobs.register(DM_NOTE, self.jobs.note)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None and isinstance(message.channel, discord.DMChannel):
            await self.from_member(message)
        elif isinstance(message.channel, discord.Thread):
            await self.from_team(message)

    # -- a member writes to Tend -----------------------------------------------------------

    async def from_member(self, message: discord.Message) -> None:
        bot, channel = self.bot, message.channel
        library = bot.prompts(None)
        text = words_of(message)
        if not text:
            return  # a sticker or an empty message: nothing to keep or pass on
        user_id = message.author.id
        speak = await member_language(bot, None, user_id)  # the language they last used with Tend
        try:
            relay = await bot.dms.active_relay(user_id)
            if relay is not None:
                await bot.dms.relay_in(relay, source_id=message.id, text=text)
                return
        except Exception:
            log.exception("could not keep a DM for the relay")
            await give_back(channel, speak(library.message("dm_not_saved")), text)
            return
        try:
            guilds = await self.servers_of(user_id)
        except Exception:  # Discord's errors, a dropped connection: never silence, words back
            log.warning("could not ask Discord which servers a DM's author shares", exc_info=True)
            await give_back(channel, speak(library.message("dm_discord_trouble")), text)
            return
        if not guilds:
            await give_back(channel, speak(library.message("dm_no_server")), text)
            return
        if len(guilds) == 1:
            # Someone Tend never heard from reads their one shared server's language.
            speak = await member_language(bot, guilds[0].id, user_id)
        try:
            kept = await bot.dms.keep(
                member_id=user_id, source_id=message.id, guild_ids=[g.id for g in guilds], text=text
            )
        except TooMuchWaiting:
            await give_back(channel, speak(library.message("dm_more_kept")), text)
            return
        except Exception:
            log.exception("could not keep a DM")
            await give_back(channel, speak(library.message("dm_not_saved")), text)
            return
        await self.answer(message, guilds, kept.rows, earlier=kept.earlier, speak=speak)

    async def servers_of(self, user_id: int) -> list[GuildConfig]:
        """The servers using Tend (with DMs on) that this person is a member of, asked of Discord."""
        guilds = reachable(self.bot)
        # Asked of every server at once: a DM's answer shouldn't wait on them one by one.
        found = await asyncio.gather(*(membership(self.bot, g.id, user_id) for g in guilds))
        return [guild for guild, member in zip(guilds, found, strict=True) if member is not None]

    async def answer(
        self,
        message: discord.Message,
        guilds: list[GuildConfig],
        rows: dict[int, int],
        *,
        earlier: bool,
        speak: Language = ENGLISH,
    ) -> None:
        """A warm answer with the crisis resources and the way to the moderators (words kept)."""
        bot = self.bot
        kwargs: dict[str, Any] = {}
        if len(guilds) == 1:
            guild = guilds[0]
            library = bot.prompts(guild.id)
            server = server_name(bot, guild)
            text = speak(
                library.message("dm_more_kept") if earlier else library.message("dm_welcome", server=server)
            )
            if not earlier and relay_possible(bot, guild):
                text = f"{text}\n\n{speak(library.message('dm_relay_offer'))}"
            if not earlier and (line := out_of_hours_line(bot, guild)):
                text = f"{speak(line)}\n\n{text}"
            kwargs["view"] = talk_view(bot, guild, rows[guild.id], speak)
        else:
            library = bot.prompts(None)
            text = speak(library.message("dm_more_kept") if earlier else library.message("dm_welcome_pick"))
            kwargs["view"] = pick_view(bot, rows, speak)
        if not earlier:
            kwargs["embeds"] = crisis_embeds(bot, guilds, speak)
        try:
            await message.channel.send(text, allowed_mentions=discord.AllowedMentions.none(), **kwargs)
        except discord.HTTPException:
            # Their words are kept; the next DM (or a retry of Discord) gets them the buttons.
            log.warning("could not answer a DM (the words are kept)")

    # -- the team writes in a relayed case's thread -----------------------------------------------

    async def from_team(self, message: discord.Message) -> None:
        bot = self.bot
        thread = message.channel
        assert isinstance(thread, discord.Thread)
        guild = bot.settings.guild(message.guild.id if message.guild else None)
        if guild is None or thread.parent_id != guild.channels.support or not guild.dms.relay:
            return
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        # Without the Message Content intent Discord blanks every message here except those that
        # mention Tend: those are the ones the team asked to pass on.
        text = team_words(bot, message)
        if not text:
            return
        # Only the team's words are theirs to pass on as "from the moderators".
        roles = [r.id for r in getattr(message.author, "roles", [])]
        if not bot.is_moderator_of(guild, message.author.id, roles):
            return
        try:
            case = await bot.dms.relayed_case(thread.id)
            if case is None:
                return
            await bot.dms.relay_out(case, author_id=message.author.id, source_id=message.id, text=text)
        except Exception:
            # Never silence: the moderator hears their words didn't go, and can send them again.
            log.exception("could not keep a moderator's words for the relay")
            team = team_language(bot, guild.id)
            with contextlib.suppress(discord.HTTPException):
                await message.reply(
                    team(
                        _("I couldn't pass this on to the member just now. Please send it again in a moment.")
                    ),
                    mention_author=False,
                    allowed_mentions=discord.AllowedMentions.none(),
                )

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A relayed message edited where it was written: the edit is shown on the other side."""
        data: dict[str, Any] = payload.data  # type: ignore[assignment]
        author = data.get("author") or {}
        if author.get("bot") or "content" not in data:
            return
        parts = [str(data.get("content") or "").strip()]
        parts += [str(a.get("url")) for a in data.get("attachments") or [] if a.get("url")]
        text = "\n".join(p for p in parts if p)
        if not text or not author.get("id"):
            return
        await self.bot.dms.edited(source_id=payload.message_id, author_id=int(author["id"]), text=text)
