"""Operating Tend, end to end: /tend doctor, the health endpoint, metrics and JSON logs."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot.infra.db import Database, create_engine
from bot.infra.logs import setup_logging
from bot.process.health import HealthServer

from .flows import EPHEMERAL
from .simulator import DiscordSimulator
from .tend import Tend, build_world, running_tend

CREATE_PRIVATE_THREADS, MANAGE_THREADS = 1 << 36, 1 << 34
# Nothing listens on port 1: a database that is down, on either backend's test run.
DEAD_DATABASE = "postgresql+asyncpg://tend@127.0.0.1:1/tend"


@contextlib.asynccontextmanager
async def health_of(tend: Tend) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    assert tend.bot is not None
    server = HealthServer(tend.bot, database_timeout=1.0)
    await server.start("127.0.0.1", 0)
    try:
        async with aiohttp.ClientSession() as http:
            yield http, f"http://127.0.0.1:{server.port}"
    finally:
        await server.stop()


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, Any]:
    async with http.get(url) as response:
        text = await response.text()
        is_json = response.content_type == "application/json"
        return response.status, json.loads(text) if is_json else text


def fields(body: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in body["data"]["embeds"][0].get("fields", [])}


# -- /tend doctor -------------------------------------------------------------------------


async def test_doctor_says_all_good_on_a_healthy_server(tend: Tend) -> None:
    body = await (await tend.slash(tend.world.moderator, "tend", subcommand="doctor")).response()
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert body["data"]["embeds"][0]["description"].startswith("All good")


async def test_doctor_is_for_moderators_and_the_owner(tend: Tend) -> None:
    refused = await (await tend.slash(tend.world.member, "tend", subcommand="doctor")).response()
    assert refused["data"]["flags"] & EPHEMERAL and "moderators" in refused["data"]["content"]
    owner = await (await tend.slash(tend.world.owner, "tend", subcommand="doctor")).response()
    assert owner["data"]["embeds"][0]["title"] == "Tend doctor"


async def test_doctor_names_a_missing_channel_role_and_permission(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    sim = discord_sim
    world = build_world(sim)
    helpers = sim.add_role(world.guild, "Helpers")
    async with running_tend(
        sim, database_url, tmp_path, world=world, moderator_roles=[world.mod_role, helpers]
    ) as tend:
        bot = tend.bot
        assert bot is not None
        sim.delete_channel(world.escalation)
        sim.delete_role(world.guild, helpers)
        sim.deny_bot(world.support, CREATE_PRIVATE_THREADS | MANAGE_THREADS)
        guild = bot.get_guild(world.guild)
        assert guild is not None
        await sim.wait_for(
            lambda: (
                guild.get_channel(world.escalation) is None
                and guild.get_role(helpers) is None
                and not guild.get_channel(world.support).permissions_for(guild.me).manage_threads
            ),  # type: ignore[union-attr]
            timeout=5,
        )

        body = await (await tend.slash(world.moderator, "tend", subcommand="doctor")).response()
        embed = body["data"]["embeds"][0]
        assert "2 problem(s) and 1 warning(s)" in embed["description"]
        found = fields(body)
        channel = next(name for name in found if "escalation channel" in name)
        assert f"({world.escalation}) doesn't exist" in channel and "reach the admins" in found[channel]
        role = next(name for name in found if str(helpers) in name)
        assert role.startswith("⚠") and "moderator_roles" in found[role]
        permission = next(name for name in found if "support channel" in name)
        assert "Create Private Threads and Manage Threads" in permission and "#support" in permission
        assert "support threads can't be created" in found[permission]
        assert "close and lock them" in found[permission]


async def test_problems_are_logged_once_at_start(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = build_world(discord_sim)
    discord_sim.deny_bot(world.queue, 1 << 14)  # Embed Links
    caplog.set_level(logging.INFO, logger="cogs.meta._doctor")
    async with running_tend(discord_sim, database_url, tmp_path, world=world) as tend:
        assert tend.bot is not None
        await tend.restart()  # a second process start logs again; a reconnect would not
        await discord_sim.drop_gateway()
        await discord_sim.wait_ready()
    lines = [r for r in caplog.records if r.name == "cogs.meta._doctor"]
    assert len(lines) == 2 and all(r.levelno == logging.WARNING for r in lines)
    assert "Embed Links in the queue channel #mod-queue" in lines[0].getMessage()
    assert all(getattr(r, "guild_id", None) == world.guild for r in lines)


# -- health -------------------------------------------------------------------------------


async def test_health_turns_unready_when_the_database_is_down(tend: Tend) -> None:
    async with health_of(tend) as (http, base):
        assert await get(http, base + "/livez") == (200, {"alive": True})
        status, body = await get(http, base + "/readyz")
        assert status == 200 and body == {
            "ready": True,
            "down": [],
            "checks": {"gateway": "ok", "database": "ok"},
        }

        assert tend.bot is not None
        live, dead = tend.bot.db, Database(create_engine(DEAD_DATABASE))
        tend.bot.db = dead  # the database server goes away
        try:
            status, body = await get(http, base + "/readyz")
            assert status == 503 and body["down"] == ["database"] and not body["ready"]
            assert (await get(http, base + "/livez"))[0] == 200
            status, page = await get(http, base + "/metrics")
            assert status == 200 and "tend_database_up 0.0" in page
        finally:
            tend.bot.db = live
            await dead.engine.dispose()
        assert (await get(http, base + "/readyz"))[0] == 200


async def test_health_turns_unready_while_the_gateway_is_dropped(
    tend: Tend, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Hold discord.py's reconnect until the test has looked, so the window can't be missed.
    reconnect = asyncio.Event()
    connect = discord.gateway.DiscordWebSocket.from_client

    async def held(cls: Any, *args: Any, **kwargs: Any) -> Any:
        await reconnect.wait()
        return await connect(*args, **kwargs)

    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "from_client", classmethod(held))
    async with health_of(tend) as (http, base):
        assert (await get(http, base + "/readyz"))[0] == 200
        await tend.sim.drop_gateway()
        status, body = await _poll(http, base + "/readyz", lambda s: s == 503)
        assert body["down"] == ["gateway"] and "shard 0 disconnected" in body["checks"]["gateway"]
        reconnect.set()
        status, _ = await _poll(http, base + "/readyz", lambda s: s == 200)
        assert status == 200


async def _poll(http: aiohttp.ClientSession, url: str, until: Any, timeout: float = 5.0) -> tuple[int, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        status, body = await get(http, url)
        if until(status) or loop.time() > deadline:
            return status, body
        await asyncio.sleep(0.01)


# -- metrics ------------------------------------------------------------------------------


async def test_metrics_count_interactions_latency_and_discord_answers(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    sim.inject_failure("POST", "/interactions/{interaction_id}/{interaction_token}/callback", status=429)
    await (await tend.slash(world.member, "conduct")).response()
    await (await tend.slash(world.member, "tend", subcommand="doctor")).response()  # refused
    await asyncio.sleep(0.05)  # the answering tasks finish
    async with health_of(tend) as (http, base):
        status, page = await get(http, base + "/metrics")
    assert status == 200
    assert 'tend_interactions_total{kind="command",name="/conduct",outcome="ok"} 1.0' in page
    assert 'tend_interactions_total{kind="command",name="/tend doctor",outcome="refused"} 1.0' in page
    assert 'tend_interaction_response_seconds_count{kind="command",name="/conduct"} 1.0' in page
    callback = 'route="/interactions/{id}/*/callback"'
    assert f'tend_discord_errors_total{{kind="rate_limited",method="POST",{callback}}} 1.0' in page
    assert "tend_database_up 1.0" in page and 'tend_gateway_connected{shard="0"} 1.0' in page
    assert sim.token not in page


async def test_metrics_read_open_cases_and_scheduled_items_from_the_database(tend: Tend) -> None:
    world = tend.world
    opened = await tend.slash(world.member, "support")
    submitted = await tend.sim.submit_modal(opened, world.member, {"story": "hard week"})
    await submitted.wait_followup()
    await tend.settle()
    async with health_of(tend) as (http, base):
        _, page = await get(http, base + "/metrics")
    assert 'tend_cases_open{kind="support"} 1.0' in page
    assert 'tend_scheduled_items_pending{kind="support.nudge"}' in page
    assert 'tend_interactions_total{kind="modal",name="tend:support:*",outcome="ok"} 1.0' in page
    assert "hard week" not in page


# -- logs ---------------------------------------------------------------------------------


async def test_json_logs_end_to_end_carry_context_and_no_member_text(
    discord_sim: DiscordSimulator,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    world = build_world(discord_sim)
    discord_sim.deny_bot(world.support, MANAGE_THREADS)
    try:
        setup_logging("INFO", "json")  # what `tend run` does with bot.log_format = "json"
        async with running_tend(discord_sim, database_url, tmp_path, world=world) as tend:
            opened = await tend.slash(world.member, "support")
            story = "my private story about the fight"
            await (await tend.sim.submit_modal(opened, world.member, {"story": story})).wait_followup()
            await tend.settle()

            def broken(*args: object) -> None:
                raise RuntimeError("a bug in rendering")

            monkeypatch.setattr(sys.modules["cogs.conduct._cog"], "rule_embed", broken)
            await (await tend.slash(world.member, "conduct", rule="respect")).response()
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    doctor = [e for e in entries if e["logger"] == "cogs.meta._doctor"]
    assert doctor and doctor[0]["guild_id"] == world.guild and "Manage Threads" in doctor[0]["message"]
    crash = next(e for e in entries if "unexpected error" in e["message"])
    assert "RuntimeError" in crash["exception"]
    text = "\n".join(lines)
    assert story not in text and discord_sim.token not in text
