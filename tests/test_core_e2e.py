"""The real bot against the simulator: connect, sync, the first commands, errors, restarts."""

from __future__ import annotations

import sys
from pathlib import Path

import discord
import pytest

from .flows import EPHEMERAL
from .simulator import DiscordSimulator
from .tend import Tend, running_tend


def names(commands: list[dict]) -> set[str]:
    return {c["name"] for c in commands}


async def test_connects_through_configured_urls_and_syncs_commands_to_the_guild(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    assert sim.api_base_url == discord.http.Route.BASE
    assert str(discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY) == sim.gateway_url
    assert {"conduct", "resources", "tend"} <= names(sim.synced_commands(world.guild))
    assert sim.synced_commands(None) == []  # nothing global: each server gets its own set


async def test_restart_with_unchanged_commands_does_not_sync_again(tend: Tend) -> None:
    route = "/applications/{application_id}/guilds/{guild_id}/commands"
    before = len(tend.sim.requests_for("PUT", route))
    await tend.restart()
    assert len(tend.sim.requests_for("PUT", route)) == before == 1


async def test_conduct_shows_every_rule_privately(tend: Tend) -> None:
    handle = await tend.slash(tend.world.member, "conduct")
    body = await handle.response()
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    embed = body["data"]["embeds"][0]
    assert embed["title"] == "Code of Conduct"
    for title in ("Treat people with respect", "Everyone belongs", "No spam"):
        assert title in embed["description"]
    assert body["data"]["allowed_mentions"] == {"parse": []}


async def test_conduct_one_rule_and_an_unknown_rule(tend: Tend) -> None:
    one = await (await tend.slash(tend.world.member, "conduct", rule="inclusion")).response()
    assert one["data"]["embeds"][0]["title"] == "Everyone belongs"
    assert one["data"]["embeds"][0]["description"] == "Impact over intent."
    unknown = await (await tend.slash(tend.world.member, "conduct", rule="no-such-rule")).response()
    description = unknown["data"]["embeds"][0]["description"]
    assert "couldn't find a rule called “no-such-rule”" in description and "No spam" in description


async def test_conduct_and_resources_autocomplete(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    choices = await sim.autocomplete(
        world.guild, world.general, world.member, "conduct", focused="rule", value="bel"
    )
    assert choices == [{"name": "Everyone belongs", "value": "inclusion"}]
    everything = await sim.autocomplete(
        world.guild, world.general, world.member, "conduct", focused="rule", value=""
    )
    assert [c["value"] for c in everything] == ["respect", "inclusion", "spam"]
    topics = await sim.autocomplete(
        world.guild, world.general, world.member, "resources", focused="topic", value="CRI"
    )
    assert topics == [{"name": "Crisis lines", "value": "crisis"}]


async def test_resources_list_and_topic(tend: Tend) -> None:
    everything = await (await tend.slash(tend.world.member, "resources")).response()
    assert everything["data"]["flags"] & EPHEMERAL
    description = everything["data"]["embeds"][0]["description"]
    assert (
        "[Crisis lines](https://findahelpline.com)" in description and "Looking after yourself" in description
    )
    one = await (await tend.slash(tend.world.member, "resources", topic="wellbeing")).response()
    assert one["data"]["embeds"][0]["title"] == "Looking after yourself"
    unknown = await (await tend.slash(tend.world.member, "resources", topic="pizza")).response()
    assert "couldn't find the topic “pizza”" in unknown["data"]["embeds"][0]["description"]


async def test_tend_about_lists_features_on_in_this_server(tend: Tend) -> None:
    body = await (await tend.slash(tend.world.member, "tend", subcommand="about")).response()
    assert body["data"]["flags"] & EPHEMERAL
    fields = {f["name"]: f["value"] for f in body["data"]["embeds"][0]["fields"]}
    assert "private support threads (/support)" in fields["On in this server"]
    assert "distress watch" not in fields["On in this server"]
    assert fields["Version"]


async def test_tend_sync_is_for_owners_only(tend: Tend) -> None:
    refused = await (await tend.slash(tend.world.moderator, "tend", subcommand="sync")).response()
    assert refused["data"]["flags"] & EPHEMERAL and "Only Tend's owners" in refused["data"]["content"]


async def test_an_unexpected_error_gets_an_apology_with_a_reference_in_the_log(
    tend: Tend, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("a bug in rendering")

    # discord.py loads extensions without binding them on the parent package.
    monkeypatch.setattr(sys.modules["cogs.conduct._cog"], "rule_embed", broken)
    body = await (await tend.slash(tend.world.member, "conduct", rule="respect")).response()
    content = body["data"]["content"]
    assert body["data"]["flags"] & EPHEMERAL and "reference `T-" in content
    ref = content.split("`")[1]
    logged = [r for r in caplog.records if ref in r.getMessage()]
    assert logged and logged[0].exc_info is not None and "a bug in rendering" not in content


async def test_an_owner_can_sync_commands_now(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    from .tend import build_world

    world = build_world(discord_sim)
    route = "/applications/{application_id}/guilds/{guild_id}/commands"
    async with running_tend(
        discord_sim, database_url, tmp_path, world=world, bot={"owner_ids": [world.moderator]}
    ) as tend:
        before = len(discord_sim.requests_for("PUT", route))
        handle = await tend.slash(world.moderator, "tend", subcommand="sync")
        await handle.wait_followup()
        assert "Synced commands to 1 server(s)." in handle.followups[-1]["content"]
        assert len(discord_sim.requests_for("PUT", route)) == before + 1
