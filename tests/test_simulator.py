"""Tests of the Discord simulator itself, driven by a bare discord.py client."""

from __future__ import annotations

import asyncio
import re
import struct
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.simulator import CommandNotSynced, DiscordSimulator, running_bot
from tests.simulator.permissions import DEFAULT_BOT_PERMISSIONS, MANAGE_CHANNELS, MANAGE_ROLES, SEND_MESSAGES

pytest_plugins = ["tests.simulator.pytest_plugin"]


class FastBot(commands.AutoShardedBot):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        pass  # discord.py waits 5 s between IDENTIFYs to respect Discord's limit; the sim has none


def make_bot(
    *, members: bool = True, message_content: bool = True, shard_count: int = 1
) -> commands.AutoShardedBot:
    intents = discord.Intents.default()
    intents.members = members
    intents.message_content = message_content
    return FastBot(
        command_prefix=commands.when_mentioned,
        intents=intents,
        shard_count=shard_count,
        guild_ready_timeout=0.02,
        allowed_mentions=discord.AllowedMentions.none(),
    )


def png_bytes(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


class World:
    """A small guild: #general, #mod-queue (mods only), a member and a moderator."""

    def __init__(self, sim: DiscordSimulator) -> None:
        self.guild = sim.add_guild("Haven")
        self.mod_role = sim.add_role(self.guild, "Moderators", permissions=1 << 40)
        self.general = sim.add_channel(self.guild, "general")
        self.mod_queue = sim.add_channel(
            self.guild,
            "mod-queue",
            overwrites=[
                {"id": self.guild, "type": 0, "deny": 1 << 10},
                {"id": self.mod_role, "type": 0, "allow": 1 << 10},
                {"id": sim.bot_user_id, "type": 1, "allow": 1 << 10},
            ],
        )
        self.alice = sim.add_user("alice")
        self.mod = sim.add_user("morgan")
        sim.add_member(self.guild, self.alice)
        sim.add_member(self.guild, self.mod, roles=[self.mod_role])


@pytest.fixture
def world(discord_sim: DiscordSimulator) -> World:
    return World(discord_sim)


@pytest.fixture
async def start(discord_sim: DiscordSimulator) -> AsyncIterator[Callable[..., Any]]:
    """start(bot, sync_guild=None) -> running bot; everything is closed after the test."""
    stack: list[Any] = []

    async def _start(bot: discord.Client, sync_guild: int | None = None) -> discord.Client:
        cm = running_bot(discord_sim, bot)
        client = await cm.__aenter__()
        stack.append(cm)
        if sync_guild is not None and isinstance(client, commands.AutoShardedBot):
            client.tree.copy_global_to(guild=discord.Object(sync_guild))
            await client.tree.sync(guild=discord.Object(sync_guild))
        return client

    yield _start
    for cm in reversed(stack):
        await cm.__aexit__(None, None, None)


# --------------------------------------------------------------------------- gateway


async def test_connect_ready_and_guild_create_per_shard(discord_sim: DiscordSimulator, start: Any) -> None:
    g0 = discord_sim.add_guild("Shard zero", shard=(0, 2))
    g1 = discord_sim.add_guild("Shard one", shard=(1, 2))
    channel = discord_sim.add_channel(g1, "general")
    alice = discord_sim.add_user("alice")
    discord_sim.add_member(g1, alice)
    bot = await start(make_bot(shard_count=2))
    await discord_sim.wait_ready()

    assert {g.id for g in bot.guilds} == {g0, g1}
    guild = bot.get_guild(g1)
    assert guild.shard_id == 1 and guild.get_channel(channel).name == "general"
    assert guild.get_member(alice).name == "alice" and guild.me.id == discord_sim.bot_user_id
    shard_events = discord_sim.gateway_events_sent
    assert [e["d"]["id"] for e in shard_events[0] if e["t"] == "GUILD_CREATE"] == [str(g0)]
    assert [e["d"]["id"] for e in shard_events[1] if e["t"] == "GUILD_CREATE"] == [str(g1)]
    assert discord_sim.gateway_connected(0) and discord_sim.gateway_connected(1)

    # Changes made while connected reach the right shard.
    bob = discord_sim.add_user("bob")
    discord_sim.add_member(g1, bob)
    await discord_sim.wait_for(lambda: guild.get_member(bob))
    discord_sim.remove_member(g1, bob)
    await discord_sim.wait_for(lambda: guild.get_member(bob) is None)


async def test_heartbeats_are_acknowledged(discord_sim: DiscordSimulator, start: Any) -> None:
    discord_sim.heartbeat_interval_ms = 50
    discord_sim.add_guild()
    bot = await start(make_bot())
    await discord_sim.wait_for(lambda: bot.latency != float("inf") and bot.latency == bot.latency)
    assert bot.latency < 1


async def test_privileged_intent_not_granted_closes_4014(discord_sim: DiscordSimulator) -> None:
    discord_sim.add_guild()
    discord_sim.grant_privileged_intents(members=False, message_content=True)
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(discord_sim, make_bot(members=True)):
            pass
    assert 4014 in discord_sim.gateway.close_codes_sent


async def test_gateway_drop_resumes_and_replays(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = await start(make_bot())
    resumed = asyncio.Event()

    async def on_shard_resumed(shard_id: int) -> None:
        resumed.set()

    bot.add_listener(on_shard_resumed)
    await discord_sim.drop_gateway(code=4000)
    bob = discord_sim.add_user("bob")
    discord_sim.add_member(world.guild, bob)  # buffered while the socket is down
    await asyncio.wait_for(resumed.wait(), 10)
    assert discord_sim.gateway.resume_count == 1 and discord_sim.gateway.identify_count == 1
    await discord_sim.wait_for(lambda: bot.get_guild(world.guild).get_member(bob))


async def test_invalid_session_forces_identify(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    await start(make_bot())
    await discord_sim.invalidate_session(resumable=False)
    await discord_sim.wait_for(lambda: discord_sim.gateway.identify_count == 2, timeout=10)
    await discord_sim.wait_ready()


# ------------------------------------------------------------------ app commands


def add_commands(bot: commands.AutoShardedBot, calls: list[Any]) -> None:
    @bot.tree.command(name="conduct", description="Show a rule")
    @app_commands.describe(rule="Which rule")
    async def conduct(inter: discord.Interaction, rule: str, strict: bool = False) -> None:
        calls.append((rule, strict))
        await inter.response.send_message(f"Rule: {rule}", ephemeral=True)

    @conduct.autocomplete("rule")
    async def rule_autocomplete(inter: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        rules = ["respect", "relevance", "no spam"]
        return [app_commands.Choice(name=r.title(), value=r) for r in rules if r.startswith(current)]

    group = app_commands.Group(name="case", description="Cases")

    @group.command(name="close", description="Close a case")
    async def close(inter: discord.Interaction, member: discord.Member) -> None:
        await inter.response.defer(ephemeral=True, thinking=True)
        await inter.edit_original_response(content=f"closed for {member.display_name}")
        await inter.followup.send("logged", ephemeral=True)

    bot.tree.add_command(group)

    @bot.tree.context_menu(name="Report message")
    async def report(inter: discord.Interaction, message: discord.Message) -> None:
        await inter.response.send_message(f"reported {message.id}", ephemeral=True)

    @bot.tree.context_menu(name="Member info")
    async def info(inter: discord.Interaction, member: discord.Member) -> None:
        await inter.response.send_message(f"info {member.name}", ephemeral=True)


async def test_slash_command_guild_sync_and_ephemeral_reply(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    calls: list[Any] = []
    bot = make_bot()
    add_commands(bot, calls)
    await start(bot)
    with pytest.raises(CommandNotSynced):
        await discord_sim.invoke_slash(
            world.guild, world.general, world.alice, "conduct", {"rule": "respect"}
        )

    bot.tree.copy_global_to(guild=discord.Object(world.guild))
    await bot.tree.sync(guild=discord.Object(world.guild))
    h = await discord_sim.invoke_slash(
        world.guild, world.general, world.alice, "conduct", {"rule": "respect", "strict": True}
    )
    body = await h.response()
    assert body["type"] == 4 and h.is_ephemeral and h.response_type == 4
    original = await h.original()
    assert original["content"] == "Rule: respect" and original["flags"] & 64
    assert calls == [("respect", True)]
    assert original not in discord_sim.channel_messages(world.general)  # ephemeral stays out of the channel

    with pytest.raises(ValueError, match="no option"):
        await discord_sim.invoke_slash(world.guild, world.general, world.alice, "conduct", {"rulez": "x"})


async def test_subcommand_defer_edit_followup(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = make_bot()
    add_commands(bot, [])
    await start(bot, sync_guild=world.guild)
    h = await discord_sim.invoke_slash(
        world.guild, world.mod_queue, world.mod, "case", {"member": world.alice}, subcommand="close"
    )
    assert (await h.response())["type"] == 5
    assert (await h.original())["content"] == "closed for Alice"
    followup = await h.wait_followup(1)
    assert followup["content"] == "logged" and followup["flags"] & 64
    assert [m["content"] for m in h.messages()] == ["closed for Alice", "logged"]


async def test_autocomplete_returns_choices(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    bot = make_bot()
    add_commands(bot, [])
    await start(bot, sync_guild=world.guild)
    choices = await discord_sim.autocomplete(
        world.guild, world.general, world.alice, "conduct", focused="rule", value="re"
    )
    assert choices == [{"name": "Respect", "value": "respect"}, {"name": "Relevance", "value": "relevance"}]


async def test_context_menus(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    bot = make_bot()
    add_commands(bot, [])
    await start(bot, sync_guild=world.guild)
    msg = await discord_sim.send_message(world.general, world.alice, "rude words")
    h = await discord_sim.invoke_message_command(
        world.guild, world.general, world.mod, "Report message", int(msg["id"])
    )
    assert (await h.original())["content"] == f"reported {msg['id']}"
    h = await discord_sim.invoke_user_command(
        world.guild, world.general, world.mod, "Member info", world.alice
    )
    assert (await h.original())["content"] == "info alice"


async def test_interaction_deadline_miss(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    discord_sim.interaction_deadline = 0.2
    errors: list[discord.HTTPException] = []
    bot = make_bot()

    @bot.tree.command(name="slow", description="Too slow")
    async def slow(inter: discord.Interaction) -> None:
        await asyncio.sleep(0.35)
        try:
            await inter.response.send_message("late")
        except discord.NotFound as exc:
            errors.append(exc)

    await start(bot, sync_guild=world.guild)
    h = await discord_sim.invoke_slash(world.guild, world.general, world.alice, "slow")
    await discord_sim.wait_for(lambda: errors)
    assert errors[0].code == 10062 and h.deadline_missed and not h.callbacks
    assert [m.interaction_id for m in discord_sim.deadline_misses] == [h.id]


async def test_second_initial_response_is_rejected(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    errors: list[discord.HTTPException] = []
    bot = make_bot()

    @bot.tree.command(name="twice", description="Answers twice")
    async def twice(inter: discord.Interaction) -> None:
        await inter.response.send_message("one")
        adapter = discord.webhook.async_.async_context.get()
        params = discord.webhook.async_.interaction_response_params(4, {"content": "two"})
        try:
            await adapter.create_interaction_response(
                inter.id, inter.token, session=inter._session, params=params
            )
        except discord.HTTPException as exc:
            errors.append(exc)

    await start(bot, sync_guild=world.guild)
    await discord_sim.invoke_slash(world.guild, world.general, world.alice, "twice")
    await discord_sim.wait_for(lambda: errors)
    assert errors[0].code == 40060


# -------------------------------------------------------------- components/modals


class Panel(discord.ui.View):
    def __init__(self, clicks: list[int] | None = None) -> None:
        super().__init__(timeout=None)
        self.clicks = clicks if clicks is not None else []

    @discord.ui.button(label="Open ticket", custom_id="panel:open")
    async def open(self, inter: discord.Interaction, button: discord.ui.Button) -> None:
        self.clicks.append(inter.user.id)
        await inter.response.send_message("ticket opened", ephemeral=True, view=Confirm())

    @discord.ui.select(
        custom_id="panel:topic",
        options=[
            discord.SelectOption(label="Help", value="help"),
            discord.SelectOption(label="Report", value="report"),
        ],
    )
    async def topic(self, inter: discord.Interaction, select: discord.ui.Select) -> None:
        await inter.response.edit_message(content=f"topic: {select.values[0]}")


class Confirm(discord.ui.View):
    @discord.ui.button(label="Confirm", custom_id="confirm")
    async def confirm(self, inter: discord.Interaction, button: discord.ui.Button) -> None:
        await inter.response.send_message("confirmed", ephemeral=True)


async def test_persistent_view_button_select_and_ephemeral_button(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    clicks: list[int] = []
    bot = make_bot()

    async def setup_hook() -> None:
        bot.add_view(Panel(clicks))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    # The panel was posted by an earlier run of the bot: only the persistent view can answer.
    panel_id = discord_sim.seed_message(
        world.general, discord_sim.bot_user_id, "Need help?", components=Panel().to_components()
    )
    await start(bot)

    h = await discord_sim.click_button(panel_id, "panel:open", world.alice)
    assert (await h.original())["content"] == "ticket opened" and h.is_ephemeral
    assert clicks == [world.alice]

    # A button on the ephemeral reply (a non-persistent view bound to that message).
    assert h.original_message_id is not None
    h2 = await discord_sim.click_button(h.original_message_id, "confirm", world.alice)
    assert (await h2.original())["content"] == "confirmed"

    h3 = await discord_sim.select(panel_id, "panel:topic", world.alice, ["report"])
    assert (await h3.response())["type"] == 7
    assert discord_sim.message(panel_id)["content"] == "topic: report"
    with pytest.raises(ValueError):
        await discord_sim.select(panel_id, "panel:topic", world.alice, ["nope"])


async def test_user_select_resolves_members(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    picked: list[Any] = []

    class Pick(discord.ui.View):
        @discord.ui.select(cls=discord.ui.UserSelect, custom_id="pick")
        async def pick(self, inter: discord.Interaction, select: discord.ui.UserSelect) -> None:
            picked.extend(select.values)
            await inter.response.defer()

    bot = await start(make_bot())
    sent = await bot.get_channel(world.mod_queue).send("who?", view=Pick())
    h = await discord_sim.select(sent.id, "pick", world.mod, [world.alice])
    assert (await h.response())["type"] == 6
    await discord_sim.wait_for(lambda: picked)
    assert isinstance(picked[0], discord.Member) and picked[0].id == world.alice


class ReportModal(discord.ui.Modal, title="Report a message"):
    reason: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Reason", custom_id="reason")
    details: discord.ui.Label[Any] = discord.ui.Label(
        text="Details",
        component=discord.ui.TextInput(
            custom_id="details", style=discord.TextStyle.paragraph, required=False
        ),
    )
    severity: discord.ui.Label[Any] = discord.ui.Label(
        text="Severity",
        component=discord.ui.Select(
            custom_id="severity",
            options=[
                discord.SelectOption(label="Low", value="low"),
                discord.SelectOption(label="High", value="high"),
            ],
        ),
    )

    def __init__(self, got: dict[str, Any]) -> None:
        super().__init__()
        self.got = got

    async def on_submit(self, inter: discord.Interaction) -> None:
        self.got.update(
            reason=self.reason.value,
            details=self.details.component.value,  # type: ignore[attr-defined]
            severity=self.severity.component.values,  # type: ignore[attr-defined]
        )
        await inter.response.send_message("thanks", ephemeral=True)


async def test_modal_round_trip_action_row_and_label(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    got: dict[str, Any] = {}
    bot = make_bot()

    @bot.tree.command(name="report", description="Report")
    async def report(inter: discord.Interaction) -> None:
        await inter.response.send_modal(ReportModal(got))

    await start(bot, sync_guild=world.guild)
    h = await discord_sim.invoke_slash(world.guild, world.general, world.alice, "report")
    assert (await h.response())["type"] == 9
    assert h.modal is not None and [c["type"] for c in h.modal["components"]] == [1, 18, 18]
    with pytest.raises(ValueError, match="required"):
        await discord_sim.submit_modal(h, world.alice, {"details": "x", "severity": ["low"]})
    submitted = await discord_sim.submit_modal(
        h, world.alice, {"reason": "spam", "details": "lots", "severity": ["high"]}
    )
    assert (await submitted.original())["content"] == "thanks"
    assert got == {"reason": "spam", "details": "lots", "severity": ["high"]}


# ------------------------------------------------------------------- forgeries


class ClaimButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"case:(?P<case>[0-9]+):claim"):
    """A button that carries its case id, like a bot's lasting buttons do."""

    seen: ClassVar[list[tuple[int, int, int | None]]] = []

    def __init__(self, case: int) -> None:
        super().__init__(discord.ui.Button(label="Claim", custom_id=f"case:{case}:claim"))
        self.case = case

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> ClaimButton:
        return cls(int(match["case"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        self.seen.append((self.case, interaction.user.id, interaction.guild_id))
        await interaction.response.defer()


class Pick(discord.ui.View):
    def __init__(self, picked: list[Any]) -> None:
        super().__init__(timeout=None)
        self.picked = picked

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="pick", max_values=2)
    async def pick(self, inter: discord.Interaction, select: discord.ui.UserSelect) -> None:
        self.picked.extend(select.values)
        await inter.response.send_message("picked", ephemeral=True)


async def test_forged_clicks_reach_a_dynamic_item_and_a_select_with_any_custom_id(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    sim = discord_sim
    ClaimButton.seen.clear()
    picked: list[Any] = []
    bot = make_bot()

    async def setup_hook() -> None:
        bot.add_dynamic_items(ClaimButton)
        bot.add_view(Pick(picked))

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    # Mallory belongs to another server, not to Haven, where case 42 lives.
    elsewhere = sim.add_guild("Elsewhere")
    lobby = sim.add_channel(elsewhere, "lobby")
    mallory = sim.add_user("mallory")
    sim.add_member(elsewhere, mallory)
    await start(bot)

    # No message ever carried "case:42:claim": the forged click comes with a made-up one.
    forged = await sim.forge_component(elsewhere, lobby, mallory, "case:42:claim")
    assert (await forged.response())["type"] == 6
    assert ClaimButton.seen == [(42, mallory, elsewhere)]
    shown = forged.payload["message"]
    assert shown["flags"] & 64 and shown["author"]["id"] == str(sim.bot_user_id)
    assert shown["components"][0]["components"][0]["custom_id"] == "case:42:claim"
    assert sim.channel_messages(lobby) == []  # the made-up message is in nobody's history

    # A real message rides along as on a real click, even one from another server's channel.
    card = await bot.get_channel(world.mod_queue).send(
        "case 7", view=discord.ui.View().add_item(ClaimButton(7))
    )
    forged = await sim.forge_component(elsewhere, lobby, mallory, "case:7:claim", message_id=card.id)
    await forged.response()
    assert forged.payload["message"]["id"] == str(card.id) and ClaimButton.seen[-1] == (7, mallory, elsewhere)

    # In a DM, and a user select with values resolved like a real one.
    in_dm = await sim.forge_component(None, None, mallory, "case:9:claim")
    await in_dm.response()
    assert ClaimButton.seen[-1] == (9, mallory, None)
    chose = await sim.forge_component(
        world.guild, world.general, world.alice, "pick", component_type=5, values=[world.mod, world.alice]
    )
    assert (await chose.original())["content"] == "picked"
    assert [m.id for m in picked] == [world.mod, world.alice] and isinstance(picked[0], discord.Member)

    # Discord still insists on a member who can see the channel, and on custom_id's length.
    with pytest.raises(ValueError, match="not a member"):
        await sim.forge_component(world.guild, world.general, mallory, "case:42:claim")
    with pytest.raises(PermissionError):
        await sim.forge_component(world.guild, world.mod_queue, world.alice, "case:42:claim")
    with pytest.raises(ValueError, match="1 to 100"):
        await sim.forge_component(elsewhere, lobby, mallory, "x" * 101)
    with pytest.raises(ValueError, match="no values"):
        await sim.forge_component(elsewhere, lobby, mallory, "case:1:claim", values=["1"])


class Appeal(discord.ui.Modal, title="Appeal"):
    why: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Why", custom_id="why")
    outcome: discord.ui.Label[Any] = discord.ui.Label(
        text="Outcome",
        component=discord.ui.Select(
            custom_id="outcome",
            options=[
                discord.SelectOption(label="Lift it", value="lift"),
                discord.SelectOption(label="Keep it", value="keep"),
            ],
        ),
    )

    def __init__(self, got: list[Any]) -> None:
        super().__init__(custom_id="appeal:7")
        self.got = got

    async def on_submit(self, inter: discord.Interaction) -> None:
        values = self.outcome.component.values  # type: ignore[attr-defined]
        self.got.append((inter.user.id, inter.guild_id, self.why.value, values))
        await inter.response.send_message("appeal received", ephemeral=True)


async def test_forged_modal_submit_reaches_on_submit_for_someone_never_shown_it(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    sim = discord_sim
    got: list[Any] = []
    bot = make_bot()

    @bot.tree.command(name="appeal", description="Appeal")
    async def appeal(inter: discord.Interaction) -> None:
        await inter.response.send_modal(Appeal(got))

    await start(bot, sync_guild=world.guild)
    shown = await sim.invoke_slash(world.guild, world.general, world.alice, "appeal")
    assert (await shown.response())["type"] == 9
    assert shown.modal is not None and shown.modal["custom_id"] == "appeal:7"

    # The moderator never opened the form; a modified client submits it anyway, as a Label-wrapped
    # text input and select (the real modal has the text input in an action row).
    forged = await sim.forge_modal_submit(
        world.guild, world.general, world.mod, "appeal:7", {"why": "let me off", "outcome": ["lift"]}
    )
    assert (await forged.original())["content"] == "appeal received"
    assert got == [(world.mod, world.guild, "let me off", ["lift"])]
    rows = forged.payload["data"]["components"]
    assert [(r["type"], r["component"]["type"]) for r in rows] == [(18, 4), (18, 3)]
    with pytest.raises(TypeError):
        await sim.forge_modal_submit(world.guild, world.general, world.mod, "appeal:7", {"why": 3})
    outsider = sim.add_user("outsider")
    with pytest.raises(ValueError, match="not a member"):
        await sim.forge_modal_submit(world.guild, world.general, outsider, "appeal:7", {"why": "x"})


# ----------------------------------------------------------------- REST behaviour


async def test_429_and_500_are_retried(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    bot = await start(make_bot())
    channel = bot.get_channel(world.general)
    discord_sim.inject_failure("POST", "/channels/{channel_id}/messages", status=429, retry_after=0.05)
    await channel.send("after 429")
    discord_sim.inject_failure("POST", "/channels/{channel_id}/messages", status=500)
    await channel.send("after 500")
    statuses = [r.status for r in discord_sim.requests_for("POST", "/channels/{id}/messages")]
    assert statuses == [429, 200, 500, 200]
    assert [m["content"] for m in discord_sim.channel_messages(world.general)] == ["after 429", "after 500"]


async def test_missing_permissions_is_forbidden(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    discord_sim.set_channel_overwrite(
        world.general, discord_sim.world.guilds[world.guild].bot_role_id or 0, deny=SEND_MESSAGES
    )
    bot = await start(make_bot())
    with pytest.raises(discord.Forbidden) as info:
        await bot.get_channel(world.general).send("hi")
    assert info.value.code == 50013
    assert discord_sim.channel_messages(world.general) == []


async def test_creating_a_channel_needs_manage_channels_and_its_overwrites_decide_who_sees_it(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = await start(make_bot())
    guild = bot.get_guild(world.guild)
    private = {
        guild.default_role: discord.PermissionOverwrite(view_channel=False),
        guild.get_role(world.mod_role): discord.PermissionOverwrite(view_channel=True),
        guild.me: discord.PermissionOverwrite(view_channel=True, send_messages=True),
    }
    with pytest.raises(discord.Forbidden) as refused:  # an invite without Manage Channels
        await guild.create_text_channel("team", overwrites=private)
    assert refused.value.code == 50013

    discord_sim.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS | MANAGE_CHANNELS)
    await discord_sim.wait_for(lambda: guild.me.guild_permissions.manage_channels)
    created = await guild.create_text_channel("team", overwrites=private)
    await discord_sim.wait_for(lambda: guild.get_channel(created.id))  # CHANNEL_CREATE reached the cache
    assert discord_sim.channel_named(world.guild, "team")["id"] == str(created.id)
    assert discord_sim.can_view(created.id, world.mod) and discord_sim.can_view(created.id, bot.user.id)
    assert not discord_sim.can_view(created.id, world.alice)

    # Overwrites may only grant or deny what the bot holds itself.
    with pytest.raises(discord.Forbidden):
        await guild.create_text_channel(
            "roles", overwrites={guild.me: discord.PermissionOverwrite(manage_roles=True)}
        )
    assert discord_sim.requests_for("POST", "/guilds/{guild_id}/channels")[-1].status == 403
    assert MANAGE_ROLES & DEFAULT_BOT_PERMISSIONS == 0


async def test_dms_closed_and_deleted_channel(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = await start(make_bot())
    member = bot.get_guild(world.guild).get_member(world.alice)
    await member.send("welcome")
    assert [m["content"] for m in discord_sim.dm_messages(world.alice)] == ["welcome"]
    discord_sim.set_dms_closed(world.alice)
    with pytest.raises(discord.Forbidden) as info:
        await member.send("again")
    assert info.value.code == 50007

    channel = bot.get_channel(world.general)
    discord_sim.delete_channel(world.general)
    await discord_sim.wait_for(lambda: bot.get_channel(world.general) is None)
    with pytest.raises(discord.NotFound) as missing:
        await channel.send("into the void")
    assert missing.value.code == 10003


async def test_unhandled_route_is_recorded(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    bot = await start(make_bot())
    with pytest.raises(discord.NotFound):
        await bot.http.request(discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=world.guild))
    assert [(r.method, r.path) for r in discord_sim.unhandled_routes] == [
        ("GET", f"/guilds/{world.guild}/bans")
    ]
    discord_sim.unhandled_routes.clear()  # provoked on purpose; the fixture would fail the test otherwise


async def test_spec_violation_is_detected(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    assert discord_sim.spec_enabled
    bot = await start(make_bot())
    route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=world.general)
    await bot.http.request(route, json={"content": "ok", "tts": "loud"})
    assert len(discord_sim.spec_violations) == 1
    assert "tts" in discord_sim.spec_violations[0].message
    discord_sim.spec_violations.clear()


async def test_private_thread_and_members(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    bot = await start(make_bot())
    channel = bot.get_channel(world.mod_queue)
    thread = await channel.create_thread(
        name="support-1", type=discord.ChannelType.private_thread, invitable=False
    )
    await thread.add_user(discord.Object(world.alice))
    [data] = discord_sim.threads(parent_id=world.mod_queue)
    assert data["type"] == 12 and data["name"] == "support-1" and data["invitable"] is False
    assert set(discord_sim.thread_members(thread.id)) == {discord_sim.bot_user_id, world.alice}
    await thread.send(
        f"hello <@{world.alice}>",
        allowed_mentions=discord.AllowedMentions(users=[discord.Object(world.alice)]),
    )
    [msg] = discord_sim.channel_messages(thread.id)
    assert [m["id"] for m in msg["mentions"]] == [str(world.alice)]
    assert msg["allowed_mentions"] == {"parse": [], "users": [world.alice]}  # exactly as discord.py sent it
    await thread.edit(archived=True, locked=True)
    assert discord_sim.threads()[0]["archived"] and discord_sim.threads()[0]["locked"]

    discord_sim.set_bot_permissions(world.guild, 1 << 10 | 1 << 11)  # no thread permissions
    with pytest.raises(discord.Forbidden):
        await channel.create_thread(name="nope", type=discord.ChannelType.private_thread)


async def test_file_upload_multipart(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    bot = await start(make_bot())
    data = png_bytes(4, 3)
    sent = await bot.get_channel(world.general).send(
        "chart", file=discord.File(__import__("io").BytesIO(data), "chart.png")
    )
    [att] = discord_sim.message(sent.id)["attachments"]
    assert att["filename"] == "chart.png" and att["data"] == data
    assert (att["width"], att["height"], att["content_type"]) == (4, 3, "image/png")
    assert await sent.attachments[0].read() == data  # served back over HTTP
    [req] = discord_sim.requests_for("POST", "/channels/{channel_id}/messages")
    assert req.files[0].filename == "chart.png" and req.json["content"] == "chart"


async def test_message_content_blanked_without_intent(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    seen: list[tuple[str, str]] = []
    bot = make_bot(message_content=False)

    async def on_message(message: discord.Message) -> None:
        seen.append((str(message.channel.type), message.content))

    bot.add_listener(on_message)
    await start(bot)
    await discord_sim.send_message(world.general, world.alice, "secret")
    await discord_sim.send_message(world.general, world.alice, f"<@{discord_sim.bot_user_id}> hi")
    discord_sim.world.dm_channel(world.alice)
    await discord_sim.send_message(discord_sim.world.dm_channel_by_user[world.alice], world.alice, "dm text")
    await discord_sim.wait_for(lambda: len(seen) == 3)
    assert seen == [("text", ""), ("text", f"<@{discord_sim.bot_user_id}> hi"), ("private", "dm text")]
    assert discord_sim.channel_messages(world.general)[0]["content"] == "secret"  # stored in full


async def test_rate_limit_mode_headers(discord_sim: DiscordSimulator, world: World, start: Any) -> None:
    discord_sim.enable_rate_limits(per_route=2, per_seconds=0.3)
    bot = await start(make_bot())
    channel = bot.get_channel(world.general)
    await asyncio.gather(*(channel.send(f"m{i}") for i in range(4)))
    assert sorted(m["content"] for m in discord_sim.channel_messages(world.general)) == [
        "m0",
        "m1",
        "m2",
        "m3",
    ]
    assert not discord_sim.rest.rate_limits.limited  # discord.py waited on the headers instead of hitting 429


async def test_two_clients_race_on_one_interaction(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    answered: list[str] = []
    errors: list[int] = []

    def build(name: str) -> commands.AutoShardedBot:
        bot = make_bot()

        @bot.tree.command(name="claim", description="Claim")
        async def claim(inter: discord.Interaction) -> None:
            try:
                await inter.response.send_message(f"claimed by {name}")
                answered.append(name)
            except discord.HTTPException as exc:
                errors.append(exc.code)

        return bot

    await start(build("a"), sync_guild=world.guild)
    await start(build("b"), sync_guild=world.guild)
    await discord_sim.invoke_slash(world.guild, world.general, world.alice, "claim")
    await discord_sim.wait_for(lambda: len(answered) + len(errors) == 2)
    assert len(answered) == 1 and errors == [40060]


async def test_all_visible_text_sees_everything(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = await start(make_bot())
    embed = discord.Embed(title="Case 7", description="filed").add_field(name="Reporter", value="hidden")
    await bot.get_channel(world.general).send(embed=embed)
    text = " ".join(discord_sim.all_visible_text())
    assert "Case 7" in text and "hidden" in text and "general" in text
    assert re.search(r"\balice\b", text) is None


async def test_moderation_edits_threads_and_reactions(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = await start(make_bot())
    guild = bot.get_guild(world.guild)
    member = guild.get_member(world.alice)
    await member.timeout(__import__("datetime").timedelta(minutes=10), reason="spam")
    assert discord_sim.member(world.guild, world.alice)["communication_disabled_until"]
    await discord_sim.wait_for(lambda: guild.get_member(world.alice).is_timed_out())

    channel = bot.get_channel(world.general)
    async with channel.typing():
        sent = await channel.send("draft")
    await sent.edit(content="final", embed=discord.Embed(title="Card"))
    await sent.add_reaction("✅")
    stored = discord_sim.message(sent.id)
    assert (
        stored["content"] == "final" and stored["embeds"][0]["title"] == "Card" and stored["edited_timestamp"]
    )
    assert stored["reactions"][0]["emoji"]["name"] == "✅"
    thread = await sent.create_thread(name="discussion")
    assert thread.id == sent.id and discord_sim.threads(world.general)[0]["type"] == 11
    await sent.delete()
    assert discord_sim.channel_messages(world.general) == []

    user_msg = await discord_sim.send_message(world.general, world.alice, "hello")
    with pytest.raises(discord.Forbidden) as info:
        await channel.get_partial_message(int(user_msg["id"])).edit(content="hijacked")
    assert info.value.code == 50005


async def test_dm_slash_command_and_dm_button(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = make_bot()

    @bot.tree.command(name="help", description="Help")
    async def help_command(inter: discord.Interaction) -> None:
        await inter.response.send_message("How can I help?", view=Confirm())

    await start(bot)
    await bot.tree.sync()  # global: usable in DMs
    h = await discord_sim.invoke_slash(None, None, world.alice, "help")
    original = await h.original()
    assert [m["content"] for m in discord_sim.dm_messages(world.alice)] == ["How can I help?"]
    click = await discord_sim.click_button(int(original["id"]), "confirm", world.alice)
    assert (await click.original())["content"] == "confirmed"


async def test_raw_gateway_protocol_and_bad_token(discord_sim: DiscordSimulator) -> None:
    import aiohttp

    discord_sim.add_guild()
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(discord_sim.gateway_url + "?v=10&encoding=json") as ws:
            hello = await ws.receive_json(timeout=2)
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json(timeout=2))["op"] == 11
            await ws.send_json({"op": 2, "d": {"token": "wrong", "intents": 1, "properties": {}}})
            closing = await ws.receive(timeout=2)
            assert closing.type is aiohttp.WSMsgType.CLOSE and closing.data == 4004
        async with session.get(
            discord_sim.api_base_url + "/users/@me", headers={"Authorization": "Bot nope"}
        ) as resp:
            assert resp.status == 401 and (await resp.json())["code"] == 0


def test_missing_spec_only_warns() -> None:
    with pytest.warns(UserWarning, match="spec not found"):
        sim = DiscordSimulator(spec_path="/nonexistent/openapi.json")
    assert not sim.spec_enabled
    assert not DiscordSimulator(spec_path=None).spec_enabled


async def test_enforce_nonce_returns_the_earlier_message(
    discord_sim: DiscordSimulator, world: World, start: Any
) -> None:
    bot = await start(make_bot())
    channel = bot.get_channel(world.general)
    first = await channel.send("card", nonce="card-1")
    again = await channel.send("card", nonce="card-1")
    other = await channel.send("card", nonce="card-2")
    assert first.id == again.id != other.id
    assert len(discord_sim.channel_messages(world.general)) == 2
