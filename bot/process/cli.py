"""``tend setup | run | check-config | migrate | rotate-keys``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from bot.domain.config import ConfigError, Settings, load_settings
from bot.infra.logs import setup_logging
from bot.process.failures import DISCORD_FAILURES, explain_discord_failure
from bot.process.setup import add_setup_parser
from bot.process.summary import summarise

EXIT_CONFIG = 2
DEFAULT_CONFIG = os.environ.get("TEND_CONFIG", "config.toml")


def _load(path: str) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        print(f"{path} has {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _load(args.config)
    print(f"{args.config} is valid.")
    for line in summarise(settings):
        print(line)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from bot.infra.crypto import load_cipher
    from bot.infra.db import Database
    from bot.infra.migrate import upgrade

    settings = _load(args.config)
    setup_logging(settings.bot.log_level, settings.bot.log_format)

    async def go() -> None:
        async with Database.open(settings.database_url) as db:
            # The keys are loaded only if a migration has words to encrypt (0007: /support topics).
            state = await upgrade(db.engine, cipher=lambda: load_cipher(settings.bot.data_dir, create=False))
            print(f"database is at revision {state.current} (latest: {state.head})")

    asyncio.run(go())
    return 0


def cmd_rotate_keys(args: argparse.Namespace) -> int:
    from bot.infra.crypto import EncryptionKeyError, load_cipher
    from bot.infra.db import Database
    from bot.infra.sealing import rotate_keys

    settings = _load(args.config)
    cipher = load_cipher(settings.bot.data_dir)

    async def go() -> dict[str, int]:
        async with Database.open(settings.database_url) as db:
            db.seal_with(cipher)
            return await rotate_keys(db, cipher.rotate)

    try:
        counts = asyncio.run(go())
    except EncryptionKeyError as exc:
        print(
            f"tend rotate-keys stopped: {exc}. Put every key that wrote stored data in the list "
            "(newest first) and run it again; nothing is lost.",
            file=sys.stderr,
        )
        return 1
    for table, count in counts.items():
        print(f"  {table}: {count}")
    total = sum(counts.values())
    print(f"re-encrypted {total} stored text(s) with the newest key; older keys can now be removed")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from bot.process.app import StartupError, run

    settings = _load(args.config)
    setup_logging(settings.bot.log_level, settings.bot.log_format)
    try:
        asyncio.run(run(settings, args.config))
    except StartupError as exc:
        print(f"Tend can't start: {exc}", file=sys.stderr)
        return 1
    except DISCORD_FAILURES as exc:
        print(f"Tend stopped: {explain_discord_failure(exc, settings.bot.api_base_url)}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tend", description="Tend, a Discord bot for compassionate moderation."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    add_setup_parser(sub, DEFAULT_CONFIG)

    run_p = sub.add_parser("run", help="connect to Discord and run the bot")
    run_p.add_argument("--config", default=DEFAULT_CONFIG, help="TOML config file (default: %(default)s)")
    run_p.set_defaults(func=cmd_run)

    check = sub.add_parser("check-config", help="validate a config file and summarise what it enables")
    check.add_argument(
        "config", nargs="?", default=DEFAULT_CONFIG, help="TOML config file (default: %(default)s)"
    )
    check.set_defaults(func=cmd_check_config)

    migrate = sub.add_parser("migrate", help="upgrade the database to the latest schema")
    migrate.add_argument("--config", default=DEFAULT_CONFIG, help="TOML config file (default: %(default)s)")
    migrate.set_defaults(func=cmd_migrate)
    rotate = sub.add_parser("rotate-keys", help="re-encrypt every stored text with the newest encryption key")
    rotate.add_argument("--config", default=DEFAULT_CONFIG, help="TOML config file (default: %(default)s)")
    rotate.set_defaults(func=cmd_rotate_keys)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
