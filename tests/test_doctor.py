"""The config check on its own: a guild config against a small stand-in for the live server."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import discord

from bot.domain.config import GuildConfig
from bot.runtime.doctor import INVITE_PERMISSIONS, Finding, check_guild, finding_lines, invite_url

GUILD, MODS, HELPERS, QUEUE, SUPPORT, ESCALATION = (1 << 40) + 1, 1 << 41, 1 << 42, 1 << 43, 1 << 44, 1 << 45
EVERYTHING = discord.Permissions.all()


def without(**flags: bool) -> discord.Permissions:
    return discord.Permissions(EVERYTHING.value & ~discord.Permissions(**flags).value)


EVERYONE = object()  # the server's @everyone role


@dataclass
class Channel:
    id: int
    name: str
    granted: discord.Permissions = field(default_factory=discord.Permissions.all)
    type: discord.ChannelType = discord.ChannelType.text
    members_read: bool = False

    @property
    def guild(self) -> SimpleNamespace:
        return SimpleNamespace(default_role=EVERYONE)

    def permissions_for(self, target: object) -> discord.Permissions:
        if target is EVERYONE:
            return discord.Permissions(view_channel=self.members_read)
        return self.granted


@dataclass
class Guild:
    channels: dict[int, Channel]
    roles: set[int]
    id: int = GUILD
    me: object = field(default_factory=object)

    def get_channel(self, channel_id: int) -> Channel | None:
        return self.channels.get(channel_id)

    def get_role(self, role_id: int) -> object | None:
        return object() if role_id in self.roles else None


def config(**overrides: object) -> GuildConfig:
    data: dict[str, object] = {
        "id": GUILD,
        "moderator_roles": [MODS],
        "channels": {"queue": QUEUE, "support": SUPPORT},
    }
    data.update(overrides)
    return GuildConfig.model_validate(data)


def healthy() -> Guild:
    return Guild({QUEUE: Channel(QUEUE, "mod-queue"), SUPPORT: Channel(SUPPORT, "support")}, {MODS, HELPERS})


def check(cfg: GuildConfig, guild: Guild | None, intent: bool = False) -> list[Finding]:
    return check_guild(cfg, guild, message_content_intent=intent)


def test_a_healthy_server_has_no_findings() -> None:
    assert check(config(), healthy()) == []


def test_a_missing_channel_says_what_stops_working_and_which_key_to_fix() -> None:
    guild = healthy()
    del guild.channels[QUEUE]
    [finding] = check(config(), guild)
    assert finding.severity == "problem" and f"queue channel ({QUEUE}) doesn't exist" in finding.what
    assert "no case reaches the moderators" in finding.affects and "channels.queue" in finding.fix


def test_the_optional_escalation_channel_is_checked_only_when_set() -> None:
    [finding] = check(
        config(channels={"queue": QUEUE, "support": SUPPORT, "escalation": ESCALATION}), healthy()
    )
    assert "escalation channel" in finding.what and "reach the admins" in finding.affects


def test_a_channel_that_is_not_a_text_channel() -> None:
    guild = healthy()
    guild.channels[SUPPORT].type = discord.ChannelType.voice
    [finding] = check(config(), guild)
    assert finding.what == "The support channel #support is not a text channel."


def test_missing_permissions_are_named_with_their_effects() -> None:
    guild = healthy()
    guild.channels[SUPPORT].granted = without(create_private_threads=True, manage_threads=True)
    guild.channels[QUEUE].granted = without(embed_links=True)
    queue, support = check(config(), guild)
    assert queue.what == "Tend is missing Embed Links in the queue channel #mod-queue."
    assert support.what == (
        "Tend is missing Create Private Threads and Manage Threads in the support channel #support."
    )
    assert support.affects.startswith("support threads can't be created; Tend can't add moderators")
    assert "#support's settings → Permissions" in support.fix


def test_moderator_roles_one_gone_all_gone_and_everyone() -> None:
    [one] = check(config(moderator_roles=[MODS, 1 << 46]), healthy())
    assert one.severity == "warning" and str(1 << 46) in one.what
    [every] = check(config(moderator_roles=[1 << 46]), healthy())
    assert every.severity == "problem" and "only the server owner" in every.affects
    guild = healthy()
    guild.roles.add(GUILD)
    [everyone] = check(config(moderator_roles=[GUILD]), guild)
    assert everyone.what == "@everyone is listed as a moderator role."


def test_distress_watch_without_the_message_content_intent() -> None:
    cfg = config(features={"distress_watch": True})
    [finding] = check(cfg, healthy(), intent=False)
    assert finding.severity == "warning" and "message_content_intent" in finding.fix
    assert check(cfg, healthy(), intent=True) == []


def test_a_server_tend_is_not_in() -> None:
    [finding] = check(config(), None)
    assert finding.severity == "problem" and "Invite Tend again" in finding.fix


def test_a_queue_every_member_can_read_is_a_privacy_problem_a_support_channel_is_not() -> None:
    guild = healthy()
    guild.channels[QUEUE].members_read = True
    guild.channels[SUPPORT].members_read = True
    [finding] = check(config(), guild)
    assert finding.what == "Every member can read the queue channel #mod-queue."
    assert "privacy failure" in finding.affects and "deny View Channel to @everyone" in finding.fix
    guild.channels[QUEUE].granted = without(embed_links=True)
    assert [f.what for f in check(config(), guild)] == [
        "Every member can read the queue channel #mod-queue.",
        "Tend is missing Embed Links in the queue channel #mod-queue.",
    ]


def test_the_invite_asks_for_what_the_channels_need_and_attach_files_nothing_more() -> None:
    assert INVITE_PERMISSIONS.value == 395137108992  # the README's figure
    assert not INVITE_PERMISSIONS.administrator and not INVITE_PERMISSIONS.manage_channels
    url = invite_url(1234567890123)
    assert "client_id=1234567890123" in url and "permissions=395137108992" in url
    assert "scope=bot+applications.commands" in url


def test_findings_read_as_lines_for_a_terminal() -> None:
    assert finding_lines([])[0].startswith("All good")
    guild = healthy()
    del guild.channels[QUEUE]
    lines = finding_lines(check(config(), guild))
    assert lines[0].startswith("✖ The queue channel") and lines[1].startswith("    Affects: no case")


def test_appeals_name_the_server_permissions_and_the_intent_they_need() -> None:
    guild = healthy()
    guild.me = SimpleNamespace(guild_permissions=without(view_audit_log=True, ban_members=True))
    cfg = config(appeals={"timeouts": True, "appeals_server": 1 << 46})
    findings = check_guild(cfg, guild, message_content_intent=False, members_intent=False)
    whats = [f.what for f in findings]
    assert any("Server Members intent" in w for w in whats)
    assert any("View Audit Log" in w for w in whats) and any("Ban Members" in w for w in whats)
    assert not any("Moderate Members" in w for w in whats)
    assert check(config(), guild) == []  # without appeals, none of it is needed
