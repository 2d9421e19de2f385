"""The questions for one server: each answered by its flag, else at the terminal, else by its default.

Without a terminal (scripts, Docker), a question with neither a flag nor a default ends setup
with one sentence naming the flag to give. Roles and channels are offered by name; a flag may
name them or give their id.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.domain.config import FEATURES, Features, timezone_problem
from bot.domain.config_file import GuildAnswers
from bot.process.setup.prompts import Option, Terminal
from bot.runtime.doctor import CHANNEL_ROLES, TEXT_CHANNEL_TYPES, members_can_read
from bot.runtime.provisioning import DEFAULT_NAMES, ChannelKey, NewChannel

# What each channel is for, as the question says it.
PURPOSE: dict[ChannelKey, str] = {
    "queue": "where case cards reach the moderators",
    "support": "where members' private support threads open",
    "escalation": "where reports about a moderator go (optional)",
}
NEW_LABEL: dict[ChannelKey, str] = {
    "queue": "the moderator roles and Tend only",
    "support": "members read it; only Tend starts threads",
    "escalation": "one role you choose and Tend only",
}


class SetupError(Exception):
    """Setup can't go on; the message is one sentence saying why and what to do."""


Channel = int | NewChannel | None  # an existing channel's id, one to create, or none (escalation)


@dataclass
class Draft:
    """A server's answers before Tend has made the channels it was asked to make."""

    moderator_roles: tuple[int, ...]
    channels: dict[ChannelKey, Channel] = field(default_factory=dict)
    escalation_role: int | None = None
    timezone: str = "UTC"
    features: tuple[str, ...] = ()
    anonymous_reports: bool = True
    member_checkins: bool = False

    @property
    def to_create(self) -> list[NewChannel]:
        return [c for c in self.channels.values() if isinstance(c, NewChannel)]

    def answers(self, guild: Any, made: dict[ChannelKey, int]) -> GuildAnswers:
        """The final answers, with the ids of the channels Tend made (``made``)."""

        def channel_id(key: ChannelKey) -> int | None:
            chosen = self.channels.get(key)
            return made[key] if isinstance(chosen, NewChannel) else chosen

        queue, support = channel_id("queue"), channel_id("support")
        assert queue is not None and support is not None
        return GuildAnswers(
            id=guild.id,
            name=guild.name,
            moderator_roles=self.moderator_roles,
            queue=queue,
            support=support,
            escalation=channel_id("escalation"),
            escalation_role=self.escalation_role,
            timezone=self.timezone,
            features=self.features,
            anonymous_reports=self.anonymous_reports,
            member_checkins=self.member_checkins,
        )


def _named(text: str, prefix: str) -> str:
    return text.strip().removeprefix(prefix).casefold()


class ServerQuestions:
    """Asks (or reads from flags) everything setup needs to know about ``guild``."""

    def __init__(
        self, guild: Any, args: argparse.Namespace, terminal: Terminal | None, current: GuildAnswers | None
    ):
        self.guild, self.args, self.terminal, self.current = guild, args, terminal, current
        self.roles = sorted(
            (r for r in guild.roles if not r.is_default() and not r.managed),
            key=lambda r: r.position,
            reverse=True,
        )
        self.channels = sorted(
            (c for c in guild.channels if c.type in TEXT_CHANNEL_TYPES), key=lambda c: c.position
        )

    async def ask_all(self) -> Draft:
        draft = Draft(moderator_roles=await self.moderator_roles())
        for key in ("queue", "support", "escalation"):
            draft.channels[key] = await self.channel(key, draft.moderator_roles)
        escalation = draft.channels["escalation"]
        if escalation is not None:
            draft.escalation_role = await self.escalation_role(creating=isinstance(escalation, NewChannel))
            if isinstance(escalation, NewChannel) and draft.escalation_role is not None:
                draft.channels["escalation"] = NewChannel(
                    "escalation", escalation.name, (draft.escalation_role,)
                )
        draft.timezone = await self.timezone()
        draft.features = await self.features()
        draft.anonymous_reports = await self.yes_no(
            "anonymous_reports", "Let members report conduct anonymously?", True
        )
        draft.member_checkins = await self.yes_no(
            "member_checkins",
            "When a moderator's follow-up comes due, also DM the member a gentle check-in?",
            False,
        )
        return draft

    # -- roles ------------------------------------------------------------------------

    def find_role(self, text: str, flag: str) -> int:
        wanted = text.strip().removeprefix("<@&").removesuffix(">")
        for role in self.guild.roles:
            if str(role.id) == wanted or role.name.casefold() == _named(text, "@"):
                if role.is_default():
                    raise SetupError(
                        f"{flag}: @everyone can't be chosen: every member would have that power."
                    )
                return int(role.id)
        raise SetupError(f"{flag}: {self.guild.name} has no role {text!r} (give its name or its id).")

    async def moderator_roles(self) -> tuple[int, ...]:
        if self.args.moderator_role:
            return tuple(
                dict.fromkeys(self.find_role(r, "--moderator-role") for r in self.args.moderator_role)
            )
        known = [r for r in (self.current.moderator_roles if self.current else ()) if self.guild.get_role(r)]
        if self.terminal is None:
            if known:
                return tuple(known)
            raise SetupError("Without a terminal, tend setup needs --moderator-role (a role's name or id).")
        if not self.roles:
            raise SetupError(
                f"{self.guild.name} has no roles to choose from: make a role for your moderators in Discord "
                "(Server Settings → Roles), then run tend setup again."
            )
        defaults = [i for i, r in enumerate(self.roles) if r.id in known] or [
            i for i, r in enumerate(self.roles) if _moderates(r.permissions)
        ]
        options = [Option(f"@{r.name}", int(r.id)) for r in self.roles]
        picked = await self.terminal.pick_many(
            f"Moderator roles in {self.guild.name}: whose members work cases with Tend?", options, defaults
        )
        return tuple(picked)

    async def escalation_role(self, *, creating: bool) -> int | None:
        if self.args.escalation_role:
            return self.find_role(self.args.escalation_role, "--escalation-role")
        known = self.current.escalation_role if self.current else None
        if known is not None and self.guild.get_role(known) is not None:
            default: int | None = known
        else:
            default = None
        if self.terminal is None or not self.roles:
            if creating and default is None:
                raise SetupError("--create-escalation needs --escalation-role: the role that may see it.")
            return default
        options: list[Option[int | None]] = [] if creating else [Option("none: nobody is called on", None)]
        options += [Option(f"@{r.name}", int(r.id)) for r in self.roles]
        index = next((i for i, o in enumerate(options) if o.value == default), None if creating else 0)
        return await self.terminal.pick_one(
            "Which role sees the escalation channel and is called on for reports about a moderator?",
            options,
            index,
        )

    # -- channels ---------------------------------------------------------------------

    def find_channel(self, text: str, flag: str) -> int:
        wanted = text.strip().removeprefix("<#").removesuffix(">")
        for channel in self.channels:
            if str(channel.id) == wanted or channel.name.casefold() == _named(text, "#"):
                return int(channel.id)
        raise SetupError(f"{flag}: {self.guild.name} has no text channel {text!r} (give its name or its id).")

    def refusal(self, key: ChannelKey, chosen: Channel) -> str | None:
        """Why ``chosen`` can't be the ``key`` channel: the cards in a private one name members."""
        if not isinstance(chosen, int) or key == "support":
            return None
        channel = self.guild.get_channel(chosen)
        if channel is not None and members_can_read(channel):
            title = CHANNEL_ROLES[key][0]
            return (
                f"Every member can read #{channel.name}, and the cards in the {title} name members: choose "
                "a channel only the team can see, or let Tend create one."
            )
        return None

    async def channel(self, key: ChannelKey, moderator_roles: tuple[int, ...]) -> Channel:
        readers = moderator_roles if key == "queue" else ()
        given, chosen = self._channel_from_flags(key, readers)
        if not given:
            return await self._channel_from_person(key, readers)
        problem = self.refusal(key, chosen)
        if problem:
            raise SetupError(f"--{key}: {problem}")
        return chosen

    def _channel_from_flags(self, key: ChannelKey, readers: tuple[int, ...]) -> tuple[bool, Channel]:
        """Whether the flags answer for ``key``, and their answer."""
        named, new = getattr(self.args, key), getattr(self.args, f"create_{key}")
        if named:
            return True, self.find_channel(named, f"--{key}")
        if new:
            return True, NewChannel(key, new, readers)
        if key == "escalation" and self.args.no_escalation:
            return True, None
        return False, None

    async def _channel_from_person(self, key: ChannelKey, readers: tuple[int, ...]) -> Channel:
        known = getattr(self.current, key, None) if self.current else None
        exists = known is not None and self.guild.get_channel(known) is not None
        new = NewChannel(key, DEFAULT_NAMES[key], readers)
        if self.terminal is None:
            if exists:
                problem = self.refusal(key, known)
                if problem:
                    raise SetupError(problem)
                return known
            if key == "escalation":
                return None
            raise SetupError(
                f"Without a terminal, tend setup needs --{key} CHANNEL or --create-{key} [NAME]."
            )
        options: list[Option[Channel]] = []
        if key == "escalation":
            options.append(Option("none: reports about a moderator go to the queue like any other", None))
        options.append(Option(f"create #{new.name} ({NEW_LABEL[key]})", new))
        options += [Option(f"#{c.name}", int(c.id)) for c in self.channels]
        default = next((i for i, o in enumerate(options) if exists and o.value == known), 0)
        title = CHANNEL_ROLES[key][0]
        return await self.terminal.pick_one(
            f"The {title}: {PURPOSE[key]}.", options, default, lambda chosen: self.refusal(key, chosen)
        )

    # -- the few choices that matter ---------------------------------------------------

    async def timezone(self) -> str:
        if self.args.timezone:
            problem = timezone_problem(self.args.timezone)
            if problem:
                raise SetupError(f"--timezone: {problem}.")
            return str(self.args.timezone)
        default = self.current.timezone if self.current else "UTC"
        if self.terminal is None:
            return default
        return await self.terminal.text(
            "\nThe server's time zone, for dates and reminders (e.g. Europe/Berlin)",
            default,
            timezone_problem,
        )

    async def features(self) -> tuple[str, ...]:
        default = self.current.features if self.current else tuple(Features().enabled())
        if self.args.features is not None:
            return _features(self.args.features, "--features: ")
        if self.terminal is None:
            return default
        answer = await self.terminal.text(
            f"Features to switch on (any of: {', '.join(FEATURES)}; 'none' for none)",
            ", ".join(default) or "none",
            _feature_problem,
        )
        return _features(answer, "")

    async def yes_no(self, flag: str, question: str, default: bool) -> bool:
        given = getattr(self.args, flag)
        if given is not None:
            return bool(given)
        current = getattr(self.current, flag) if self.current else default
        if self.terminal is None:
            return bool(current)
        return await self.terminal.yes_no(question, bool(current))


def _moderates(permissions: discord.Permissions) -> bool:
    return bool(permissions.moderate_members or permissions.manage_messages or permissions.kick_members)


def _feature_problem(text: str) -> str | None:
    names = [n.strip() for n in text.replace(" ", ",").split(",") if n.strip()]
    unknown = [n for n in names if n not in (*FEATURES, "none")]
    if unknown:
        return f"{', '.join(unknown)} is not a feature (they are: {', '.join(FEATURES)})"
    return None


def _features(text: str, flag: str) -> tuple[str, ...]:
    problem = _feature_problem(text)
    if problem:
        raise SetupError(f"{flag}{problem}.")
    names = {n.strip() for n in text.replace(" ", ",").split(",")}
    return tuple(name for name in FEATURES if name in names)
