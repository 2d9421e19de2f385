"""Checking a server's config against the live server: channels, roles and Tend's permissions.

:func:`check_guild` reads only what discord.py already holds in memory (no REST calls), so
it is cheap enough to run at every start and on every ``/tend doctor``. Each finding says
what is wrong in words a server owner understands, what stops working because of it, and
how to fix it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import discord

from bot.domain.config import GuildConfig

Severity = Literal["problem", "warning"]
INVITE_HINT = (
    "Invite Tend again with the link `tend setup` prints (or the one in its README; scopes bot and "
    "applications.commands)."
)
ALL_GOOD = (
    "All good: every channel and role in the config exists, and Tend has the permissions it needs there."
)
TEXT_CHANNEL_TYPES = (discord.ChannelType.text, discord.ChannelType.news)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    what: str
    affects: str
    fix: str


@dataclass(frozen=True)
class Need:
    """A permission Tend needs in a channel, named as Discord's settings name it."""

    flag: str
    label: str
    affects: str


QUEUE_NEEDS = (
    Need("view_channel", "View Channel", "case cards can't reach the moderators"),
    Need("send_messages", "Send Messages", "case cards can't be posted"),
    Need("embed_links", "Embed Links", "case cards can't show their details"),
    Need("read_message_history", "Read Message History", "Tend can't find its cards again to update them"),
    Need(
        "create_public_threads", "Create Public Threads", "the team's notes thread on a card can't be opened"
    ),
    Need("send_messages_in_threads", "Send Messages in Threads", "Tend can't post in the notes threads"),
)
SUPPORT_NEEDS = (
    Need("view_channel", "View Channel", "support threads can't be created"),
    Need("send_messages", "Send Messages", "the support panel can't be posted here"),
    Need("create_private_threads", "Create Private Threads", "support threads can't be created"),
    Need(
        "send_messages_in_threads",
        "Send Messages in Threads",
        "members get no welcome in their support thread and Tend can't talk there",
    ),
    Need(
        "manage_threads",
        "Manage Threads",
        "Tend can't add moderators to support threads, or close and lock them",
    ),
    Need("embed_links", "Embed Links", "the welcome and the resources can't show their details"),
    Need(
        "read_message_history",
        "Read Message History",
        "Tend can't read back support threads (who replied, whether the member went quiet)",
    ),
)
ESCALATION_NEEDS = QUEUE_NEEDS  # escalated cards live there like in the queue
# Channels whose cards name members and what they went through: for the team's eyes only.
PRIVATE_CHANNELS = ("queue", "escalation")
CHANNEL_ROLES: dict[str, tuple[str, tuple[Need, ...], str]] = {
    # config key: (what owners call it, permissions, what breaks when it is missing)
    "queue": (
        "queue channel",
        QUEUE_NEEDS,
        "no case reaches the moderators: support requests and reports wait",
    ),
    "support": (
        "support channel",
        SUPPORT_NEEDS,
        "support threads can't be created, so /support can't help anyone",
    ),
    "escalation": (
        "escalation channel",
        ESCALATION_NEEDS,
        "escalated cases (e.g. reports about a moderator) can't reach the admins",
    ),
}


def permissions_of(*needs: tuple[Need, ...]) -> discord.Permissions:
    """Every permission named in ``needs``, as one set."""
    return discord.Permissions(**{need.flag: True for group in needs for need in group})


# Exactly what the invite link asks for: what the channels need, and Attach Files for the
# charts of /tend stats and the weekly digest.
INVITE_PERMISSIONS = permissions_of(QUEUE_NEEDS, SUPPORT_NEEDS, ESCALATION_NEEDS) | discord.Permissions(
    attach_files=True
)


def invite_url(application_id: int) -> str:
    """The link that adds Tend to a server with the scopes and permissions it needs, no more."""
    return discord.utils.oauth_url(
        application_id, permissions=INVITE_PERMISSIONS, scopes=("bot", "applications.commands")
    )


def members_can_read(channel: Any) -> bool:
    """Whether a member with no role (``@everyone``) can read ``channel``."""
    return bool(channel.permissions_for(channel.guild.default_role).view_channel)


def finding_lines(findings: list[Finding]) -> list[str]:
    """The findings as plain lines for a terminal (``tend setup``); ``/tend doctor`` shows an embed."""
    if not findings:
        return [ALL_GOOD]
    lines = []
    for finding in findings:
        lines.append(f"{'✖' if finding.severity == 'problem' else '⚠'} {finding.what}")
        lines.append(f"    Affects: {finding.affects}")
        lines.append(f"    Fix: {finding.fix}")
    return lines


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def check_guild(
    config: GuildConfig, guild: Any, *, message_content_intent: bool, members_intent: bool = True
) -> list[Finding]:
    """Everything wrong with ``config`` in the live ``guild`` (a ``discord.Guild``, or None if
    Tend can't see the server). An empty list means all good."""
    findings: list[Finding] = []
    if config.appeals.timeouts and not members_intent:
        findings.append(
            Finding(
                "warning",
                "Reviews of timeouts are switched on, but Tend doesn't have the Server Members intent.",
                "timeouts go unnoticed: members aren't offered a review",
                "Set bot.members_intent = true in the config, switch on Server Members in the Developer "
                "Portal (Bot → Privileged Gateway Intents), and restart Tend.",
            )
        )
    if config.features.distress_watch and not message_content_intent:
        findings.append(
            Finding(
                "warning",
                "The distress watch is switched on, but Tend doesn't have the Message Content intent.",
                "the distress watch stays off: messages are not read for signals",
                "Set bot.message_content_intent = true in the config, switch on Message Content in the "
                "Developer Portal (Bot → Privileged Gateway Intents), and restart Tend.",
            )
        )
    if guild is None:
        findings.append(
            Finding(
                "problem",
                f"Tend is not in the server {config.id}, or Discord hasn't sent it yet.",
                "nothing works in that server",
                INVITE_HINT,
            )
        )
        return findings
    me = guild.me
    for key, (title, needs, gone) in CHANNEL_ROLES.items():
        channel_id = getattr(config.channels, key)
        if channel_id is not None:
            findings.extend(_check_channel(guild, me, key, channel_id, title, needs, gone))
    findings.extend(_check_roles(config, guild))
    findings.extend(_check_appeals(config, me))
    return findings


APPEAL_NEEDS = {
    "moderate_members": ("Moderate Members", "Tend can't shorten or lift a timeout after a review"),
    "view_audit_log": ("View Audit Log", "appeal cards can't say who took the action, or why"),
    "ban_members": ("Ban Members", "Tend can't check a ban before an appeal, or lift it after one"),
}


def _check_appeals(config: GuildConfig, me: Any) -> list[Finding]:
    """Server-wide permissions the opted-in appeals need (timeouts; bans via the appeals server)."""
    wanted: list[str] = []
    if config.appeals.timeouts:
        wanted += ["moderate_members", "view_audit_log"]
    if config.appeals.appeals_server is not None:
        wanted += ["ban_members", "view_audit_log"]
    held = getattr(me, "guild_permissions", None)
    findings = []
    for flag in dict.fromkeys(wanted):
        if held is not None and not getattr(held, flag, False):
            label, affects = APPEAL_NEEDS[flag]
            findings.append(
                Finding(
                    "problem",
                    f"Tend's role doesn't have {label} in this server (appeals need it).",
                    affects,
                    f"Server Settings → Roles → Tend's role: switch on {label}.",
                )
            )
    return findings


def _check_channel(
    guild: Any, me: Any, key: str, channel_id: int, title: str, needs: tuple[Need, ...], gone: str
) -> list[Finding]:
    channel = guild.get_channel(channel_id)
    if channel is None:
        return [
            Finding(
                "problem",
                f"The {title} ({channel_id}) doesn't exist, or Tend can't see it.",
                gone,
                f"Put the id of an existing text channel in channels.{key} (right-click the channel → "
                f"Copy ID), or give Tend's role View Channel there.",
            )
        ]
    name = f"#{channel.name}"
    if getattr(channel, "type", None) not in TEXT_CHANNEL_TYPES:
        return [
            Finding(
                "problem",
                f"The {title} {name} is not a text channel.",
                gone,
                f"Point channels.{key} at a text channel.",
            )
        ]
    findings = []
    if key in PRIVATE_CHANNELS and members_can_read(channel):
        findings.append(
            Finding(
                "problem",
                f"Every member can read the {title} {name}.",
                "case cards there name members and what they reported or asked for: a privacy failure",
                f"In {name}'s settings → Permissions, deny View Channel to @everyone and allow it to the "
                "moderator roles and Tend (or let `tend setup` create a private channel).",
            )
        )
    if me is None:
        return findings
    granted = channel.permissions_for(me)
    missing = [need for need in needs if not getattr(granted, need.flag)]
    if not missing:
        return findings
    labels = [need.label for need in missing]
    effects = list(dict.fromkeys(need.affects for need in missing))
    return [
        *findings,
        Finding(
            "problem",
            f"Tend is missing {_join(labels)} in the {title} {name}.",
            "; ".join(effects),
            f"In {name}'s settings → Permissions, allow {_join(labels)} for Tend's role (a channel "
            "overwrite that denies them wins over the server-wide role).",
        ),
    ]


def _check_roles(config: GuildConfig, guild: Any) -> list[Finding]:
    findings = []
    missing = [role_id for role_id in config.moderator_roles if guild.get_role(role_id) is None]
    if missing and len(missing) == len(config.moderator_roles):
        findings.append(
            Finding(
                "problem",
                f"None of the moderator roles exist (moderator_roles: {_join([str(r) for r in missing])}).",
                "only the server owner can use moderator buttons and commands",
                "Put the id of your moderators' role in moderator_roles (Server Settings → Roles → "
                "right-click the role → Copy ID).",
            )
        )
    else:
        findings.extend(
            Finding(
                "warning",
                f"The moderator role {role_id} doesn't exist any more.",
                "nobody gets moderator rights through it",
                "Remove it from moderator_roles, or replace it with the role's new id.",
            )
            for role_id in missing
        )
    if guild.id in config.moderator_roles:
        findings.append(
            Finding(
                "problem",
                "@everyone is listed as a moderator role.",
                "every member can use moderator buttons and see moderators' guidance",
                "Replace it in moderator_roles with the id of your moderators' role.",
            )
        )
    return findings
