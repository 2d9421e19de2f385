"""`tend setup` as an owner runs it, against the simulator: at a terminal, and with flags only."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

from bot.domain.config import load_settings
from bot.infra.crypto import Cipher

from .process import ROOT, run_tend, started_tend, stop_tend
from .simulator import DiscordSimulator
from .simulator.permissions import (
    CREATE_PRIVATE_THREADS,
    CREATE_PUBLIC_THREADS,
    DEFAULT_BOT_PERMISSIONS,
    MANAGE_CHANNELS,
    channel_permissions,
)
from .tend import build_world
from .terminal import at_a_terminal

KEY = Cipher.generate_key().decode()
EXAMPLE_COMMENT = "# Where case cards appear for moderators. Keep it visible to moderators only."


def endpoints(sim: DiscordSimulator) -> list[str]:
    return ["--api-base-url", sim.api_base_url, "--gateway-url", sim.gateway_url]


def run_env(sim: DiscordSimulator, tmp_path: Path) -> dict[str, str]:
    """What `tend run` needs beside the file: the token, a database and a key of the test's own."""
    return {
        "DISCORD_TOKEN": sim.token,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/tend.db",
        "TEND_ENCRYPTION_KEYS": KEY,
    }


def can_start_threads(sim: DiscordSimulator, channel: int, user: int) -> bool:
    return bool(
        channel_permissions(sim.world, channel, user) & (CREATE_PUBLIC_THREADS | CREATE_PRIVATE_THREADS)
    )


async def test_at_a_terminal_it_invites_tend_creates_private_channels_and_writes_a_commented_config(
    discord_sim: DiscordSimulator, tmp_path: Path
) -> None:
    sim = discord_sim
    config = tmp_path / "config.toml"
    env = {**os.environ, "DISCORD_TOKEN": sim.token}
    async with at_a_terminal("setup", "--config", str(config), *endpoints(sim), cwd=ROOT, env=env) as term:
        await term.expect("Tend is in no server yet.")
        link = await term.expect("Waiting for Tend to join a server")
        assert f"client_id={sim.application_id}" in link and "permissions=395137108992" in link

        world = build_world(sim, with_tend=False)
        sim.invite_bot(world.guild)  # the owner follows the link
        await term.expect("Tend joined Haven.")
        roles = await term.expect("Choose one or more numbers, separated by commas [1]: ")
        assert "1) @Moderators" in roles and "@Tend" not in roles and "@everyone" not in roles
        term.type("7")
        await term.expect("Please type one or more numbers from 1 to 1")
        term.type("1")

        queue = await term.expect("Choose a number [1]: ")
        assert "1) create #tend-queue (the moderator roles and Tend only)" in queue
        general = next(line for line in queue.splitlines() if line.endswith("#general")).split(")")[0].strip()
        term.type(general)  # a channel every member reads: refused, kindly
        await term.expect("Every member can read #general, and the cards in the queue channel name members")
        term.type("")  # create it
        await term.expect("The support channel")
        await term.expect("Choose a number [1]: ")
        term.type("")  # create it
        await term.expect("1) none: reports about a moderator go to the queue like any other")
        await term.expect("Choose a number [1]: ")
        term.type("")  # none
        await term.expect("time zone, for dates and reminders (e.g. Europe/Berlin) [UTC]: ")
        term.type("Europe/Berln")
        await term.expect("'Europe/Berln' is not a time zone name")
        term.type("Europe/Berlin")
        await term.expect("[support, reports, listening, followups, learning]: ")
        term.type("")
        await term.expect("Let members report conduct anonymously? [Y/n]: ")
        term.type("")
        await term.expect("also DM the member a gentle check-in? [y/N]: ")
        term.type("y")

        plan = await term.expect("Press Enter to check again")
        assert "#tend-queue: only @Moderators and Tend can see it" in plan
        assert "#tend-support: every member can read it; only Tend starts threads there" in plan
        assert "its role lacks Manage Channels" in plan  # the invite asks for no more than Tend runs on
        sim.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS | MANAGE_CHANNELS)  # the owner grants it
        term.type("")  # checked again, as soon as the role update has reached Tend
        while (await term.expect_first("Create them? [Y/n]: ", "Press Enter to check again"))[
            0
        ] != "Create them? [Y/n]: ":
            term.type("")
        term.type("")
        await term.expect(f"Wrote {config}.")
        await term.expect("All good: every channel and role in the config exists")
        await term.expect("Next:")
        assert await term.finish() == 0, term.screen
    assert "Traceback" not in term.screen

    queue_id = int(sim.channel_named(world.guild, "tend-queue")["id"])
    support_id = int(sim.channel_named(world.guild, "tend-support")["id"])
    assert not sim.can_view(queue_id, world.member)
    assert sim.can_view(queue_id, world.moderator) and sim.can_view(queue_id, sim.bot_user_id)
    assert sim.can_view(support_id, world.member) and not can_start_threads(sim, support_id, world.member)

    code, out, err = await run_tend("check-config", str(config))
    assert code == 0 and "is valid" in out, err
    assert EXAMPLE_COMMENT in config.read_text()
    [guild] = load_settings(config, {}).guilds
    assert (guild.id, guild.name, guild.moderator_roles) == (world.guild, "Haven", [world.mod_role])
    assert (guild.channels.queue, guild.channels.support, guild.channels.escalation) == (
        queue_id,
        support_id,
        None,
    )
    assert guild.timezone == "Europe/Berlin" and guild.followups.member_checkins and guild.reports.anonymous


async def test_with_flags_alone_it_refuses_kindly_then_adds_a_second_server_and_tend_runs_from_the_file(
    discord_sim: DiscordSimulator, tmp_path: Path
) -> None:
    sim = discord_sim
    world = build_world(sim)
    config = tmp_path / "config.toml"
    env = {"DISCORD_TOKEN": sim.token}
    haven = ["setup", "--config", str(config), *endpoints(sim), "--guild", "Haven"]
    haven += ["--moderator-role", "Moderators", "--support", "#support"]

    # Without a terminal every answer comes from a flag or a default; the wrong ones end in one sentence.
    code, _, err = await run_tend(*haven, "--queue", "general", env=env)
    assert code == 1 and "Traceback" not in err, err
    assert err.strip() == (
        "tend setup stopped: --queue: Every member can read #general, and the cards in the queue channel name "
        "members: choose a channel only the team can see, or let Tend create one."
    )
    code, _, err = await run_tend(*haven, "--create-queue", env=env)
    assert (
        code == 1
        and "tend setup stopped: Tend can't create channels in Haven: its role lacks Manage Channels" in err
    )
    code, _, err = await run_tend(*haven, "--create-queue", env={"DISCORD_TOKEN": "not-the-token"})
    assert code == 1 and err.strip().startswith(
        "tend setup stopped: Discord refused the token in DISCORD_TOKEN"
    )
    assert not config.exists() and sim.requests_for("POST", "/guilds/{guild_id}/channels") == []

    code, out, err = await run_tend(
        *haven, "--queue", str(world.queue), "--timezone", "Europe/London", env=env
    )
    assert code == 0 and "All good" in out, err
    config.write_text(config.read_text().replace("[guilds.support]", "# Our own note.\n[guilds.support]", 1))

    # A second server, with its channels made by Tend.
    owner = sim.add_user("grove-owner")
    grove = sim.add_guild("Grove", owner_id=owner)
    stewards = sim.add_role(grove, "Stewards")
    fern = sim.add_user("fern")
    sim.add_member(grove, fern)
    sim.set_bot_permissions(grove, DEFAULT_BOT_PERMISSIONS | MANAGE_CHANNELS)
    code, out, err = await run_tend(
        "setup", "--config", str(config), "--guild", str(grove), "--moderator-role", str(stewards),
        "--create-queue", "team-queue", "--create-support", "--no-anonymous-reports", env=env,
    )  # fmt: skip
    assert code == 0 and "Created #team-queue." in out and "All good" in out, err
    text = config.read_text()
    assert "# Our own note.\n[guilds.support]" in text and text.count(EXAMPLE_COMMENT) == 2
    settings = load_settings(config, {})
    assert [g.name for g in settings.guilds] == ["Haven", "Grove"]
    assert settings.guilds[0].channels.queue == world.queue and settings.guilds[0].timezone == "Europe/London"
    assert settings.guilds[1].reports.anonymous is False
    grove_queue = int(sim.channel_named(grove, "team-queue")["id"])
    assert settings.guilds[1].channels.queue == grove_queue and not sim.can_view(grove_queue, fern)

    # The bot started from the written file answers /support end to end.
    code, _, err = await run_tend("migrate", "--config", str(config), env=run_env(sim, tmp_path))
    assert code == 0, err
    async with started_tend("run", "--config", str(config), env=run_env(sim, tmp_path)) as process:
        assert process.stderr is not None
        async with asyncio.timeout(30):  # up, with its scheduled work running, as a member would find it
            while b"connected as Tend" not in await process.stderr.readline():
                pass
        opened = await sim.invoke_slash(world.guild, world.general, world.member, "support")
        assert (await opened.response())["type"] == 9  # the form
        submitted = await sim.submit_modal(opened, world.member, {"story": "a rough week"})
        await submitted.wait_followup()
        [thread] = await sim.wait_for(lambda: sim.threads(world.support), 15)
        assert str(world.member) in thread["member_ids"]
        await sim.wait_for(lambda: sim.channel_messages(world.queue), 15)  # the card reached the moderators
        err = await stop_tend(process)
    assert process.returncode == 0, err


async def test_flags_name_what_is_wrong_and_an_escalation_channel_is_made_for_one_role(
    discord_sim: DiscordSimulator, tmp_path: Path
) -> None:
    sim = discord_sim
    world = build_world(sim)
    sim.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS | MANAGE_CHANNELS)
    config = tmp_path / "config.toml"
    env = {"DISCORD_TOKEN": sim.token}
    base = ["setup", "--config", str(config), *endpoints(sim), "--queue", "mod-queue", "--support", "support"]
    wrong = {
        (
            "--moderator-role",
            "Nobody",
        ): "--moderator-role: Haven has no role 'Nobody' (give its name or its id).",
        ("--moderator-role", "Moderators", "--features", "support,bogus"): (
            "--features: bogus is not a feature (they are: support, reports, listening, distress_watch, "
            "followups, learning)."
        ),
        ("--moderator-role", "Moderators", "--create-escalation"): (
            "--create-escalation needs --escalation-role: the role that may see it."
        ),
    }
    for flags, sentence in wrong.items():
        code, _, err = await run_tend(*base, *flags, env=env)
        assert code == 1 and err.strip() == f"tend setup stopped: {sentence}", err
    assert not config.exists()

    code, out, err = await run_tend(
        *base,
        "--moderator-role",
        "Moderators",
        "--create-escalation",
        "--escalation-role",
        "Moderators",
        env=env,
    )
    assert code == 0 and "#tend-escalations: only @Moderators and Tend can see it" in out, err
    escalation = int(sim.channel_named(world.guild, "tend-escalations")["id"])
    assert sim.can_view(escalation, world.moderator) and not sim.can_view(escalation, world.member)
    [guild] = load_settings(config, {}).guilds
    assert (guild.channels.escalation, guild.reports.escalation_role) == (escalation, world.mod_role)


async def test_scripts_run_at_a_terminal_sets_up_first_then_starts_tend(
    discord_sim: DiscordSimulator, tmp_path: Path
) -> None:
    """The Quick start's first command: no config yet, so it asks, writes the file, and runs Tend."""
    sim = discord_sim
    world = build_world(sim)
    config = tmp_path / "config.toml"
    env = {**os.environ, **run_env(sim, tmp_path)}
    script = ["bash", str(ROOT / "scripts" / "run"), str(config), *endpoints(sim)]
    async with at_a_terminal(*script, cwd=ROOT, env=env, program=()) as term:
        await term.expect(f"No {config} yet: tend setup builds it from your server")
        await term.expect("Choose one or more numbers, separated by commas [1]: ")
        term.type("")  # @Moderators, pre-selected: it can moderate members
        for name in ("mod-queue", "support"):
            listed = await term.expect("Choose a number [1]: ")
            term.type(next(line for line in listed.splitlines() if line.endswith(f"#{name}")).split(")")[0])
        for _ in range(5):  # no escalation channel, then the defaults
            await term.expect(": ")
            term.type("")
        await term.expect("All good")
        await term.expect("connected as Tend")  # tend run, started from the file it just wrote
        term.process.send_signal(signal.SIGTERM)
        assert await term.finish() == 0, term.screen
    assert "Tend stopped cleanly" in term.screen and "Traceback" not in term.screen
    [guild] = load_settings(config, {}).guilds
    assert (guild.channels.queue, guild.channels.support) == (world.queue, world.support)
    assert {c["name"] for c in sim.synced_commands(world.guild)} >= {"support", "report", "tend"}
