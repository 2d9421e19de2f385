"""The `tend` command line, run as a real process."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from .process import ROOT, run_tend, started_tend, stop_tend
from .simulator import DiscordSimulator
from .tend import build_world


async def test_check_config_passes_the_example_and_lists_every_problem_with_exit_2(tmp_path: Path) -> None:
    code, out, _ = await run_tend("check-config", str(ROOT / "config.example.toml"))
    assert code == 0 and "is valid" in out and "features support, reports" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(
        "[bot]\nlog_level = 5\nshoe_size = 9\n[[guilds]]\nmoderator_roles = [222222222222222222]\n"
        "[guilds.channels]\nqueue = 333333333333333333\nsupport = 444444444444444444\n"
    )
    code, _, err = await run_tend("check-config", str(bad))
    assert code == 2
    assert "bot.log_level: 5 is not one of" in err
    assert "bot.shoe_size: is not a known key" in err
    assert "guilds[0].id: is required but missing" in err
    assert "Traceback" not in err


async def test_run_without_a_token_says_so(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "", "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    code, _, err = await run_tend("run", "--config", str(ROOT / "config.example.toml"), env=env)
    assert code == 1 and "DISCORD_TOKEN is not set" in err


async def test_run_refuses_an_unmigrated_database_then_migrate_fixes_it(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/t.db"}
    config = str(ROOT / "config.example.toml")
    code, _, err = await run_tend("run", "--config", config, env=env)
    assert code == 1 and f"Run: tend migrate --config {config}" in err
    code, out, _ = await run_tend("migrate", "--config", config, env=env)
    assert code == 0 and "database is at revision" in out


async def test_run_connects_through_the_configured_urls_and_stops_cleanly_on_sigterm(
    discord_sim: DiscordSimulator, tmp_path: Path
) -> None:
    world = build_world(discord_sim)
    config = tmp_path / "config.toml"
    config.write_text(
        "[bot]\n"
        f'data_dir = "{tmp_path}"\n'
        f'api_base_url = "{discord_sim.api_base_url}"\n'
        f'gateway_url = "{discord_sim.gateway_url}"\n'
        "auto_migrate = true\nshard_count = 1\n"
        "[[guilds]]\n"
        f"id = {world.guild}\nmoderator_roles = [{world.mod_role}]\n"
        f"[guilds.channels]\nqueue = {world.queue}\nsupport = {world.support}\n"
    )
    env = {"DISCORD_TOKEN": discord_sim.token, "DATABASE_URL": ""}
    async with started_tend("run", "--config", str(config), env=env) as process:
        await discord_sim.wait_for(lambda: discord_sim.synced_commands(world.guild), timeout=30)
        await discord_sim.wait_ready(timeout=30)
        err = await stop_tend(process)
    assert process.returncode == 0, err
    assert "Tend stopped cleanly" in err
    assert (tmp_path / "tend.db").exists() and (tmp_path / "tend.key").exists()
    assert {c["name"] for c in discord_sim.synced_commands(world.guild)} >= {"support", "conduct", "tend"}


def test_json_logs_are_one_object_per_line(capsys) -> None:  # type: ignore[no-untyped-def]
    import logging

    from bot.infra.logs import setup_logging

    setup_logging("INFO", "json")
    logging.getLogger("tend.test").info("card posted", extra={"guild_id": 1, "case_id": 2})
    line = capsys.readouterr().err.strip().splitlines()[-1]
    entry = json.loads(line)
    assert entry["message"] == "card posted" and entry["guild_id"] == 1 and entry["case_id"] == 2
    setup_logging("WARNING", "text")


async def test_rotate_keys_reencrypts_so_the_old_key_can_go(tmp_path: Path) -> None:
    from sqlalchemy import select

    from bot.infra.crypto import Cipher
    from bot.infra.db import Database
    from bot.infra.migrate import upgrade
    from models import Case, FollowUp, Reflection, utcnow

    old, new = Cipher.generate_key().decode(), Cipher.generate_key().decode()
    url = f"sqlite:///{tmp_path}/t.db"
    async with Database.open(url) as db:
        await upgrade(db.engine)
        db.seal_with(Cipher([old.encode()]))
        async with db.transaction() as session:
            session.add(Case(guild_id=1, kind="report", number=1, status="new", body="kept safe"))
            # Not only cases: a /remind text and a reflection were once left under the old key.
            now = utcnow()
            session.add(
                FollowUp(
                    guild_id=1, kind="reminder", owner_id=2, note="stretch", due_at=now, first_due_at=now
                )
            )
            session.add(Reflection(guild_id=1, author_id=3, text="I listened"))
    env = {"DATABASE_URL": url, "TEND_ENCRYPTION_KEYS": f"{new},{old}"}
    code, out, err = await run_tend("rotate-keys", "--config", str(ROOT / "config.example.toml"), env=env)
    assert code == 0 and "re-encrypted 3 stored text" in out, err
    assert "cases: 1" in out and "follow_ups: 1" in out and "reflections: 1" in out
    async with Database.open(url) as db:
        db.seal_with(Cipher([new.encode()]))  # readable without the old key
        async with db.read() as session:
            assert await session.scalar(select(Case.body)) == "kept safe"
            assert await session.scalar(select(FollowUp.note)) == "stretch"
            assert await session.scalar(select(Reflection.text)) == "I listened"


async def test_run_refuses_keys_that_cant_read_the_stored_data_and_says_how_to_fix_it(tmp_path: Path) -> None:
    from bot.infra.crypto import Cipher
    from bot.infra.db import Database
    from bot.infra.migrate import upgrade
    from bot.infra.sealing import verify_keys

    first = Cipher.generate_key().decode()
    url = f"sqlite:///{tmp_path}/t.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\n'
        "[[guilds]]\nid = 111111111111111111\nmoderator_roles = [222222222222222222]\n"
        "[guilds.channels]\nqueue = 333333333333333333\nsupport = 444444444444444444\n"
    )
    async with Database.open(url) as db:  # a first start wrote the key check with `first`
        await upgrade(db.engine)
        db.seal_with(Cipher([first.encode()]))
        await verify_keys(db)

    another = {
        "DISCORD_TOKEN": "x",
        "DATABASE_URL": url,
        "TEND_ENCRYPTION_KEYS": Cipher.generate_key().decode(),
    }
    code, _, err = await run_tend("run", "--config", str(config), env=another)
    assert code == 1 and "Traceback" not in err, err
    assert (
        "The encryption keys in TEND_ENCRYPTION_KEYS can't read the data already stored (written with "
        "another key). Put the key that wrote it back (newest first, old after) and run tend rotate-keys."
    ) in err

    # A new install pointed at the old database: a fresh key file, named in the message.
    code, _, err = await run_tend(
        "run",
        "--config",
        str(config),
        env={"DISCORD_TOKEN": "x", "DATABASE_URL": url, "TEND_ENCRYPTION_KEYS": ""},
    )
    assert code == 1 and f"The encryption keys in {tmp_path / 'tend.key'} can't read" in err, err


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_run_without_a_connection_to_discord_ends_in_one_sentence(tmp_path: Path) -> None:
    port = closed_port()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[bot]\ndata_dir = "{tmp_path}"\nauto_migrate = true\n'
        f'api_base_url = "http://127.0.0.1:{port}/api/v10"\ngateway_url = "ws://127.0.0.1:{port}/"\n'
        "[[guilds]]\nid = 111111111111111111\nmoderator_roles = [222222222222222222]\n"
        "[guilds.channels]\nqueue = 333333333333333333\nsupport = 444444444444444444\n"
    )
    env = {"DISCORD_TOKEN": "x", "DATABASE_URL": ""}
    code, _, err = await run_tend("run", "--config", str(config), env=env)
    assert code == 1 and "Traceback" not in err, err
    assert f"Tend stopped: Discord can't be reached at http://127.0.0.1:{port}/api/v10 (" in err
    assert err.strip().splitlines()[-1].endswith("or bot.api_base_url if Tend goes through a proxy.")
