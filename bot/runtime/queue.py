"""One moderator queue, kinds of case that plug in.

The queue (cogs/queue) posts one card per case and owns what every card shares: Claim, Hand
off, the card's refresh, the team's notices. Everything that differs by kind (how the card
reads, which buttons it has, what a moderator is given on claiming it) comes from a
:class:`CaseKind` the kind's own feature registers (support, reports, distress, and whatever
comes next). Nothing here branches on ``case.kind``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import discord

from bot.domain.cases import reference
from bot.domain.guidance import brief_prompt_text, render_prompt_text
from bot.domain.i18n import ENGLISH, Language, Text, _, language_name
from bot.runtime.language import language_of
from bot.runtime.replies import reply_private
from bot.runtime.ui import Guarded, IdButton, actor_of

if TYPE_CHECKING:
    from bot.domain.authority import Actor
    from bot.domain.config import GuildConfig
    from bot.domain.disclosure import Readers
    from bot.domain.guidance import PromptLibrary
    from bot.runtime.core import TendBot
    from models import Case, ScheduledItem

STATUS_COLOURS = {
    "open": discord.Colour.orange(),
    "new": discord.Colour.orange(),
    "claimed": discord.Colour.blue(),
    "acknowledged": discord.Colour.blue(),
    "closed": discord.Colour.dark_grey(),
    "resolved": discord.Colour.dark_grey(),
    "dismissed": discord.Colour.light_grey(),
}
GUIDANCE_COLOUR = discord.Colour.blue()
ONLY_YOU = _("Only you can see this. The member never sees these prompts.")


@dataclass(frozen=True)
class MemberFacts:
    """What moderators see about the person a card is about (never shown to members)."""

    user_id: int
    joined_at: datetime | None
    in_server: bool
    past_cases: int

    @property
    def account_created(self) -> datetime:
        return discord.utils.snowflake_time(self.user_id)


def member_line(facts: MemberFacts | None, team: Language = ENGLISH) -> str:
    if facts is None:
        return team(_("(not recorded)"))
    account = discord.utils.format_dt(facts.account_created, "R")
    parts = [f"<@{facts.user_id}>", team(_("account {when}", when=account))]
    if not facts.in_server:
        parts.append(team(_("**has left the server**")))
    elif facts.joined_at is not None:
        parts.append(team(_("joined {when}", when=discord.utils.format_dt(facts.joined_at, "D"))))
    earlier = team(_("{count} earlier case(s)", count=facts.past_cases))
    if facts.past_cases:
        earlier += " (`/case history`)"  # and the card's Earlier cases button while it is open
    parts.append(earlier)
    return " · ".join(parts)


@dataclass(frozen=True)
class CardContext:
    """What a kind needs to draw its card."""

    guild: GuildConfig
    facts: MemberFacts | None
    readers: Readers
    library: PromptLibrary
    # The team's language (guilds.language), and the Discord locale of the member who wrote.
    team: Language = ENGLISH
    writer_locale: str | None = None

    def writes_in(self) -> str | None:
        """'writes in Spanish', in the team's language, or None when Tend never heard from them."""
        if not self.writer_locale:
            return None
        return self.team(
            _("writes in {language}", language=language_name(self.writer_locale, self.team.code))
        )

    def add_language(self, embed: discord.Embed) -> None:
        """The card's Language field: which language the member writes in (when Tend knows it)."""
        writes_in = self.writes_in()
        if writes_in:
            embed.add_field(name=self.team(_("Language")), value=writes_in, inline=True)


class CaseKind(Protocol):
    """A kind of case, as the queue needs it. Registered by the kind's feature in ``cog_load``."""

    name: ClassVar[str]
    # The queue's first button while nobody holds the case ("Claim", "Acknowledge", ...).
    claim_label: ClassVar[str | Text]

    def about(self, case: Case) -> int | None:
        """Whom the card's member facts describe (the member asking, the reported member)."""
        ...

    def card(self, case: Case, context: CardContext) -> discord.Embed: ...

    def buttons(self, case: Case, guild: GuildConfig) -> list[discord.ui.Item[Any]]:
        """The kind's own buttons on an open case (the queue adds Claim and Hand off)."""
        ...

    async def after_claim(self, bot: TendBot, interaction: discord.Interaction[TendBot], case: Case) -> None:
        """Privately, for the moderator who just took the case: its guidance, its thread."""
        ...

    def no_thread_yet(self, case: Case) -> str:
        """What is true about the case's threads when it has none (never a promise not kept)."""
        ...

    def thread_coming(self, case: Case) -> bool:
        """Whether the case's member thread is on its way (its job adds the holder when made)."""
        ...

    def closes_with_case(self, case: Case) -> int | None:
        """The member's thread that is archived when the case closes (and opened on reopening)."""
        ...


class KindRegistry:
    """The kinds of case this bot knows. In memory, registered from code at every start."""

    def __init__(self) -> None:
        self._kinds: dict[str, CaseKind] = {}

    def register(self, kind: CaseKind) -> None:
        if kind.name in self._kinds:
            raise ValueError(f"the case kind {kind.name!r} is already registered")
        self._kinds[kind.name] = kind

    def of(self, case: Case) -> CaseKind:
        try:
            return self._kinds[case.kind]
        except KeyError:
            raise LookupError(f"no feature registered the case kind {case.kind!r}") from None

    def __iter__(self) -> Any:
        return iter(self._kinds.values())


class CaseButton(IdButton):
    """A card button: ``case:<id>:<action>``."""

    prefix = "case"

    async def begin(self, interaction: discord.Interaction[TendBot]) -> Actor:
        """A moderator's press: a quick gate on their roles here (the case's own server decides,
        in the service), then a private "thinking" answer before anything slow."""
        interaction.client.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        return actor_of(interaction)


def guidance(
    bot: TendBot,
    guild_id: int,
    situation: str,
    *,
    rule_id: str | None = None,
    colour: discord.Colour = GUIDANCE_COLOUR,
    view: discord.ui.View | None = None,
    speak: Language = ENGLISH,
) -> dict[str, Any]:
    """A prompt of the library at a glance (in the team's language), for a private reply:
    ``embed`` and ``view`` (with **More** for the rest of the phrasings and what to avoid);
    the footer and the button in ``speak``, the reader's."""
    prompt = bot.prompts(guild_id).guidance(situation, rule_id)
    embed = discord.Embed(title=prompt.title, description=brief_prompt_text(prompt), colour=colour)
    embed.set_footer(text=speak(ONLY_YOU))
    view = view or discord.ui.View(timeout=None)
    view.add_item(MoreGuidanceButton(situation, rule_id, label=speak(_("More"))))
    return {"embed": embed, "view": view}


def brief_guidance(bot: TendBot, guild_id: int, situation: str) -> str:
    """A prompt at a glance as plain Markdown, for the top of a form (forms take no embeds)."""
    prompt = bot.prompts(guild_id).prompt(situation)
    return f"**{prompt.title}**\n{brief_prompt_text(prompt)}"


def guidance_embed(
    prompt: Any,
    *,
    colour: discord.Colour = GUIDANCE_COLOUR,
    footer: str | Text | None = None,
    speak: Language = ENGLISH,
) -> discord.Embed:
    """A prompt of the library in full, as a private embed for the moderator (its footer in ``speak``)."""
    embed = discord.Embed(title=prompt.title, description=render_prompt_text(prompt), colour=colour)
    embed.set_footer(text=speak(footer or ONLY_YOU))
    return embed


_MORE = r"guide:(?P<situation>[a-z_]{1,30}(?:\.[a-z_]{1,30})?)(?::(?P<rule>[A-Za-z0-9_-]{1,40}))?"


class MoreGuidanceButton(Guarded, discord.ui.DynamicItem[discord.ui.Button], template=_MORE):  # type: ignore[misc]
    """**More** under a prompt: the whole of it, privately. Names no case, so it only needs a
    moderator of the server it is pressed in (the situation in the custom_id picks a text)."""

    def __init__(self, situation: str, rule_id: str | None = None, *, label: str = "More"):
        custom_id = f"guide:{situation}" + (f":{rule_id}" if rule_id else "")
        super().__init__(
            discord.ui.Button(label=label, style=discord.ButtonStyle.secondary, custom_id=custom_id)
        )
        self.situation, self.rule_id = situation, rule_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: Any, match: Any
    ) -> MoreGuidanceButton:
        return cls(match["situation"], match["rule"])

    async def act(self, interaction: discord.Interaction[TendBot]) -> None:
        guild = interaction.client.require_moderator(interaction)
        prompt = interaction.client.prompts(guild.id).guidance(self.situation, self.rule_id)
        await reply_private(interaction, embed=guidance_embed(prompt, speak=language_of(interaction)))


async def precheck(interaction: discord.Interaction[TendBot], case_id: int) -> None:
    """Before a form (which must be the first response): refuse at once when the authority rule
    says no. A slow database skips this; the form's submit asks the rule again either way."""
    try:
        await asyncio.wait_for(interaction.client.cases.for_moderator(actor_of(interaction), case_id), 1.0)
    except TimeoutError:
        return


async def join_case_threads(bot: TendBot, case: Case, user_id: int) -> list[str]:
    """Add a moderator to every private thread the case has (the member's, a report's two
    conversations); returns mentions of where they are now, empty when there is none yet."""
    return [
        await join_case_threads_of(bot, thread_id, user_id)
        for thread_id in (case.thread_id, case.subject_thread_id)
        if thread_id is not None
    ]


async def join_case_threads_of(bot: TendBot, thread_id: int, user_id: int) -> str:
    """Add someone to one of a case's threads; returns its mention."""
    thread = await thread_of(bot, thread_id)
    await thread.add_user(discord.Object(user_id))
    return thread.mention


async def fire_and_read(
    bot: TendBot, item: ScheduledItem | None, case_id: int, *, then: ScheduledItem | None = None
) -> Case:
    """Run a just-added side effect now, through the same durable job a retry would use, and
    read the case back: it says what happened (a thread made, or the problem on the card).
    ``then``: a claimed item to run next, in the background (a new case's card, drawn once its
    thread exists)."""
    if item is not None:
        await bot.jobs.run_now(item)
    bot.jobs.spawn_claimed(then)
    case = await bot.cases.find(case_id)
    if case is None:
        raise LookupError(f"case {case_id} vanished")
    return case


async def private_thread(bot: TendBot, parent_id: int, name: str, *, adopt: bool = True) -> discord.Thread:
    """The private thread called ``name`` that Tend made in ``parent_id``, made now if there is none.

    A crash after Discord made the thread but before Tend stored it leaves the thread there:
    a retry adopts it rather than making a second one (threads carry no nonce). Names are
    case references, unique per server. ``adopt=False``: a first try, with nothing to adopt,
    skips looking through every thread of the server. Call inside ``retry_on_discord_errors``.
    """
    parent = bot.get_channel(parent_id) or await bot.fetch_channel(parent_id)
    assert isinstance(parent, discord.TextChannel)
    mine = bot.user.id if bot.user else None
    found = (
        next((t for t in parent.threads if t.name == name and t.owner_id == mine), None) if adopt else None
    )
    return found or await parent.create_thread(
        name=name, type=discord.ChannelType.private_thread, invitable=False, auto_archive_duration=10080
    )


async def messageable(bot: TendBot, channel_id: int) -> discord.abc.Messageable:
    """A channel or thread to send to, from the cache or (once) from Discord."""
    channel = bot.get_channel(channel_id) or await bot.fetch_channel(channel_id)
    assert isinstance(channel, discord.abc.Messageable)
    return channel


THREAD_EXISTS = 160004  # "A thread has already been created for this message"
_THREAD_NAME_LIMIT = 100


async def notes_channel(bot: TendBot, case: Case, queue_id: int) -> discord.abc.Messageable:
    """Where Tend tells the team about a case: the notes thread on its card, opened the first
    time it is needed (most cases never need one), else the queue channel. Call inside
    ``retry_on_discord_errors``; ``case.staff_thread_id`` is set when this made the thread."""
    if case.staff_thread_id is not None:
        return await messageable(bot, case.staff_thread_id)
    if case.card_message_id is None or case.card_channel_id is None:
        return await messageable(bot, queue_id)  # no card yet: nowhere to hang a thread
    card_channel = await messageable(bot, case.card_channel_id)
    assert isinstance(card_channel, discord.TextChannel)
    name = f"{reference(case.kind, case.number)} · team notes"[:_THREAD_NAME_LIMIT]
    try:
        thread_id = (
            await card_channel.get_partial_message(case.card_message_id).create_thread(
                name=name, auto_archive_duration=10080
            )
        ).id
    except discord.HTTPException as exc:
        if exc.code == THREAD_EXISTS:
            thread_id = case.card_message_id  # a message's thread has the message's id
        elif isinstance(exc, discord.Forbidden | discord.NotFound):
            return card_channel  # no right to open threads, or the card is gone: say it beside it
        else:
            raise
    await bot.cases.set_notes_thread(case.id, thread_id)
    case.staff_thread_id = thread_id
    return await messageable(bot, thread_id)


async def thread_of(bot: TendBot, thread_id: int) -> discord.Thread:
    thread = bot.get_channel(thread_id) or await bot.fetch_channel(thread_id)
    assert isinstance(thread, discord.Thread)
    return thread
