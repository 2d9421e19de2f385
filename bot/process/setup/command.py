"""``tend setup``: build config.toml from the live server, asking only what matters.

Log in; if Tend is in no server yet, print the invite link and wait for it to join; pick the
server; ask (or read from flags) the moderator roles, the channels (or make them, saying what
first) and a few choices; write the file, keeping every comment; then run the same checks as
``tend check-config`` and ``/tend doctor`` and say what to do next.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from bot.domain.config import DEFAULT_API_BASE_URL, BotSettings, ConfigError, load_settings
from bot.domain.config_file import ConfigDocument, example_config_text
from bot.process.failures import DISCORD_FAILURES, explain_discord_failure
from bot.process.setup.prompts import Option, SetupStopped, Terminal, read_line, say
from bot.process.setup.questions import Draft, ServerQuestions, SetupError
from bot.process.setup.session import SetupClient, connected
from bot.process.summary import summarise
from bot.runtime.doctor import check_guild, finding_lines, invite_url
from bot.runtime.provisioning import DEFAULT_NAMES, CantCreate, ChannelKey, create_channel, creation_problem

EXIT_FAILED, EXIT_CONFIG = 1, 2


def add_setup_parser(sub: Any, default_config: str) -> None:
    setup = sub.add_parser(
        "setup",
        help="build config.toml from the live server (can create Tend's channels)",
        description=(
            "Connects with DISCORD_TOKEN and asks which server, moderator roles and channels Tend uses, "
            "offering to create the channels with the right permissions. Every answer can be given as a "
            "flag; without a terminal, the flags and the defaults are all it uses."
        ),
    )
    setup.add_argument(
        "--config", default=default_config, help="the file to write or update (default: %(default)s)"
    )
    setup.add_argument("--guild", help="the server, by name or id (needed when Tend is in several)")
    setup.add_argument(
        "--moderator-role",
        action="append",
        metavar="ROLE",
        help="a moderator role, by name or id (repeatable)",
    )
    for key, what in (("queue", "the moderators' queue"), ("support", "the support channel")):
        group = setup.add_mutually_exclusive_group()
        group.add_argument(
            f"--{key}", metavar="CHANNEL", help=f"an existing channel as {what}, by name or id"
        )
        group.add_argument(
            f"--create-{key}",
            nargs="?",
            const=DEFAULT_NAMES[key],  # type: ignore[index]
            metavar="NAME",
            help=f"create {what} with the right permissions (default name: %(const)s)",
        )
    escalation = setup.add_mutually_exclusive_group()
    escalation.add_argument(
        "--escalation", metavar="CHANNEL", help="an existing channel for reports about a moderator"
    )
    escalation.add_argument(
        "--create-escalation",
        nargs="?",
        const=DEFAULT_NAMES["escalation"],
        metavar="NAME",
        help="create it, visible to --escalation-role and Tend only (default name: %(const)s)",
    )
    escalation.add_argument(
        "--no-escalation", action="store_true", help="no escalation channel (the default)"
    )
    setup.add_argument("--escalation-role", metavar="ROLE", help="the role that sees the escalation channel")
    setup.add_argument("--timezone", help="the server's time zone, e.g. Europe/Berlin (default: UTC)")
    setup.add_argument(
        "--features",
        help="comma-separated features to switch on, or 'none' (default: all but distress_watch)",
    )
    setup.add_argument(
        "--anonymous-reports",
        action=argparse.BooleanOptionalAction,
        help="allow anonymous reports (default: yes)",
    )
    setup.add_argument(
        "--member-checkins",
        action=argparse.BooleanOptionalAction,
        help="DM members a check-in when a follow-up is due (default: no)",
    )
    setup.add_argument("--api-base-url", help="Discord's REST API, for a proxy (written to bot.api_base_url)")
    setup.add_argument("--gateway-url", help="Discord's gateway, for a proxy (written to bot.gateway_url)")
    setup.add_argument("--non-interactive", action="store_true", help="ask nothing, even at a terminal")
    setup.set_defaults(func=cmd_setup)


def cmd_setup(args: argparse.Namespace) -> int:
    path = Path(args.config)
    try:
        document = ConfigDocument.read(path, example_config_text())
    except ConfigError as exc:
        print(
            f"tend setup stopped: {exc.problems[0]}; fix or move the file, then run it again.",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print(
            "tend setup needs the bot's token: run it as  DISCORD_TOKEN=your-bot-token tend setup  (the token is "
            "never written to the file).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    interactive = sys.stdin.isatty() and not args.non_interactive
    bot_settings = BotSettings(
        api_base_url=args.api_base_url or document.bot_value("api_base_url") or DEFAULT_API_BASE_URL,
        gateway_url=args.gateway_url or document.bot_value("gateway_url"),
    )
    try:
        return asyncio.run(
            _setup(args, path, document, token, bot_settings, Terminal() if interactive else None)
        )
    except (SetupError, SetupStopped, CantCreate) as exc:
        print(f"tend setup stopped: {exc}", file=sys.stderr)
    except KeyboardInterrupt:
        print("\ntend setup stopped: nothing more was written.", file=sys.stderr)
    except DISCORD_FAILURES as exc:
        print(
            f"tend setup stopped: {explain_discord_failure(exc, bot_settings.api_base_url)}", file=sys.stderr
        )
    return EXIT_FAILED


async def _setup(
    args: argparse.Namespace,
    path: Path,
    document: ConfigDocument,
    token: str,
    bot_settings: BotSettings,
    terminal: Terminal | None,
) -> int:
    async with connected(token, bot_settings) as client:
        say(f"Connected to Discord as {client.user}.")
        guild = await _choose_server(client, args, document, terminal)
        draft = await ServerQuestions(guild, args, terminal, document.answers_for(guild.id)).ask_all()
        made = await _make_channels(client, guild, draft, terminal)
        document.set_guild(draft.answers(guild, made))
        if args.api_base_url:
            document.set_bot("api_base_url", args.api_base_url)
        if args.gateway_url:
            document.set_bot("gateway_url", args.gateway_url)
        if "distress_watch" in draft.features:
            document.set_bot("message_content_intent", True)
        try:
            document.write(path)
        except OSError as exc:
            raise SetupError(
                f"{path} can't be written ({exc.strerror}): make its folder writable and run tend setup again "
                "(channels it made are there to choose by name)."
            ) from None
        say("", f"Wrote {path}.")
        return _check(path, guild, draft)


async def _choose_server(
    client: SetupClient, args: argparse.Namespace, document: ConfigDocument, terminal: Terminal | None
) -> Any:
    assert client.application_id is not None
    link = invite_url(client.application_id)
    if not client.guilds:
        say(
            "",
            "Tend is in no server yet. Open this link to add it to yours (it asks for exactly the permissions "
            "Tend needs):",
            f"  {link}",
            "Waiting for Tend to join a server... (Ctrl-C to stop)",
        )
        joined = await client.wait_for_a_server()
        say(f"Tend joined {joined.name}.")
    guilds = sorted(client.guilds, key=lambda g: g.name.casefold())
    if args.guild:
        wanted = args.guild.strip().casefold()
        found = [g for g in guilds if str(g.id) == wanted or g.name.casefold() == wanted]
        if not found:
            raise SetupError(f"--guild: Tend is not in a server {args.guild!r}; add it with {link}")
        return found[0]
    configured = set(document.guild_ids())
    if len(guilds) == 1 or terminal is None:
        if len(guilds) > 1:
            names = ", ".join(g.name for g in guilds)
            raise SetupError(
                f"Tend is in several servers ({names}): say which with --guild (its name or id)."
            )
        say(f"Tend is in one server, {guilds[0].name}: setting it up.")
        return guilds[0]
    options = [
        Option(g.name + (" (already in the config: change its answers)" if g.id in configured else ""), g)
        for g in guilds
    ]
    first_new = next((i for i, g in enumerate(guilds) if g.id not in configured), 0)
    return await terminal.pick_one("Which server should Tend serve?", options, first_new)


async def _make_channels(
    client: SetupClient, guild: Any, draft: Draft, terminal: Terminal | None
) -> dict[ChannelKey, int]:
    plans = draft.to_create
    if not plans:
        return {}
    role_names = {role.id: role.name for role in guild.roles}
    say("", f"Tend will create in {guild.name}:", *(f"  {plan.describe(role_names)}" for plan in plans))
    while problem := creation_problem(plans, guild):
        if terminal is None:
            raise SetupError(problem)
        # The owner can fix it in Discord now; the gateway brings the change, and no answer is lost.
        say(problem)
        await read_line("Press Enter to check again (Ctrl-C stops setup): ")
    if terminal is not None and not await terminal.yes_no("Create them?", True):
        raise SetupStopped("nothing was created or written.")
    made: dict[ChannelKey, int] = {}
    for plan in plans:
        channel = await create_channel(plan, guild)
        await client.channel_arrived(guild, channel.id)
        made[plan.key] = channel.id
        say(f"Created #{channel.name}.")
    return made


def _check(path: Path, guild: Any, draft: Draft) -> int:
    """``tend check-config`` on the file, then ``/tend doctor`` on the live server; what comes next."""
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        say(
            f"{path} has {len(exc.problems)} problem(s) to fix (`tend check-config {path}` lists them again):"
        )
        say(*(f"  - {problem}" for problem in exc.problems))
        return EXIT_CONFIG
    say(f"{path} is valid.", *summarise(settings))
    config = settings.guild(guild.id)
    assert config is not None
    findings = check_guild(config, guild, message_content_intent=settings.bot.message_content_intent)
    say("", f"Checking {guild.name} live (the same check as /tend doctor):", *finding_lines(findings))
    if "distress_watch" in draft.features:
        say(
            "The distress watch reads messages: switch on Message Content in the Developer Portal "
            "(Bot → Privileged Gateway Intents) too."
        )
    say(
        "",
        "Next:",
        f"  Start Tend:  DISCORD_TOKEN=... tend run --config {path}   (or scripts/run from a checkout)",
        f"  Make the Code of Conduct ([[guilds.rules]]) and the resources ([[guilds.resources]]) in {path} your own.",
        "  Run tend setup again to add a server or change these answers; your own edits and comments stay.",
    )
    return 0
