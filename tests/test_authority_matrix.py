"""The authority matrix: every persistent component, form and moderator command, forged by
everyone who must be refused. A new button or form is in the matrix without anyone adding it:
the custom_ids come from Tend's own registries and their templates (tests/custom_ids.py).

Server A (the test world) holds a support case, an anonymous report about a moderator, a
distress notice, a closed case with a follow-up reminder and a member check-in, and a
member's /remind. Server B is a second configured server. Each interaction is forged as
- a member of A with no role (a modified client, or a card forwarded to them),
- a moderator of B, acting in B with A's ids,
- the moderator the report is about, on everything that touches the report,
- a moderator of A writing from a DM.
Every one must be answered kindly (never "something went wrong", never silence) and change
nothing: no row, no job, no message outside the refusal, nobody added to a thread.

The rule is decided in the domain and doesn't depend on the database, so the matrix runs on
SQLite only; the service tests check the same rule on both databases.
"""

from __future__ import annotations

import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import select

from bot.core import TendBot
from bot.replies import OUR_FAULT
from models import AuditEvent, Case, CheckinOptOut, FollowUp, Reflection, ScheduledItem

from .custom_ids import examples
from .databases import database_url_for
from .simulator import DiscordSimulator, InteractionHandle
from .tend import MANAGE_MESSAGES, Tend, build_world, guild_table, running_tend

# Entry points any member may use in their own server (each still checks what it is given).
PUBLIC = {"AskForSupportButton", "SupportModal", "ReportModal", "ReportMessageModal"}
# Commands any member may use.
PUBLIC_COMMANDS = {
    "conduct",
    "resources",
    "support",
    "report",
    "privacy",
    "learn",
    "remind",
    "tend about",
    "Report message",
}
SORRY = OUR_FAULT.split("{", 1)[0]
# Inputs a forged form may carry (a superset: a form ignores inputs it doesn't have).
FORM_VALUES: dict[str, Any] = {
    "reason": ["resolved"],
    "note": "note from an outsider",
    "followup": ["1"],
    "survey": ["yes"],
    "outcome": ["warning"],
    "follow": ["reporter"],
    "text": "a reflection from an outsider",
    "when": "2d",
    "what": "an outsider's words, long enough to file",
    "story": "an outsider's story",
    "rule": ["respect"],
    "anonymous": ["0"],
}


@dataclass
class Scene:
    tend: Tend
    guild_b: int
    mod_of_b: int
    stranger: int
    support: Case
    report: Case
    distress: Case
    closed: Case
    followup: FollowUp
    reminder: FollowUp
    message_id: int


@pytest.fixture
async def scene(discord_sim: DiscordSimulator, tmp_path: Path) -> AsyncIterator[Scene]:
    sim = discord_sim
    world = build_world(sim)
    stranger = sim.add_user("stranger")
    sim.add_member(world.guild, stranger)
    guild_b = sim.add_guild("Elsewhere")
    b_role = sim.add_role(guild_b, "B moderators", permissions=MANAGE_MESSAGES)
    b_queue, b_support, b_general = (sim.add_channel(guild_b, n) for n in ("queue", "support", "general"))
    mod_of_b = sim.add_user("mod-of-b")
    sim.add_member(guild_b, mod_of_b, roles=[b_role])
    table_b = guild_table(world, id=guild_b, name="Elsewhere", moderator_roles=[b_role])
    table_b["channels"] = {"queue": b_queue, "support": b_support}
    url = await database_url_for("sqlite", tmp_path)
    async with running_tend(sim, url, tmp_path, world=world, extra_guilds=[table_b]) as tend:
        bot = tend.bot
        assert bot is not None
        tend.world.extra["b_general"] = b_general
        # A support case, with its thread and card.
        opened = await tend.slash(world.member, "support")
        await (
            await sim.submit_modal(opened, world.member, {"story": "I'm having a hard week"})
        ).wait_followup()
        # An anonymous report about a moderator (escalated).
        filed = await tend.slash(
            world.member2, "report", member=world.moderator2, rule="respect", anonymous=True
        )
        await (
            await sim.submit_modal(filed, world.member2, {"what": "They mocked me in voice chat."})
        ).wait_followup()
        # A distress notice about a message in #general.
        message = await sim.send_message(world.general, world.member2, "I can't do this any more")
        await bot.distress.notice(
            guild_id=world.guild,
            member_id=world.member2,
            category="crisis",
            channel_id=world.general,
            message_id=int(message["id"]),
            jump_url="https://discord.com/channels/x",
            member_cooldown=timedelta(hours=1),
        )
        await tend.settle()
        async with tend.db.read() as session:
            cases = {c.kind: c for c in (await session.scalars(select(Case))).all()}
        # A closed case of member2's with a follow-up due (which also sends them a check-in).
        closed = (
            await bot.cases.open_support(
                guild_id=world.guild,
                member_id=world.member2,
                topic=None,
                text=None,
                cooldown=timedelta(0),
                nudge_after=timedelta(hours=1),
            )
        ).case
        await bot.cases.claim(tend.actor(world.moderator), closed.id)
        await bot.cases.close_support(tend.actor(world.moderator), closed.id, reason="resolved")
        item = await bot.followups.remind_moderator(
            guild_id=world.guild,
            moderator_id=world.moderator,
            member_id=world.member2,
            due_at=tend.clock() + timedelta(days=1),
            note="see how they are",
            case_id=closed.id,
        )
        mine = await bot.followups.remind(
            guild_id=world.guild,
            user_id=world.member,
            due_at=tend.clock() + timedelta(days=1),
            text="drink water",
            channel_id=world.general,
            by_dm=False,
        )
        await tend.settle()
        async with tend.db.read() as session:
            followup = await session.get(FollowUp, int(item.payload["followup"]))
            reminder = await session.get(FollowUp, int(mine.payload["followup"]))
            closed = await session.get(Case, closed.id)  # type: ignore[assignment]
        assert followup is not None and reminder is not None and closed is not None
        yield Scene(
            tend,
            guild_b,
            mod_of_b,
            stranger,
            cases["support"],
            cases["report"],
            cases["distress"],
            closed,
            followup,
            reminder,
            int(message["id"]),
        )


def context(scene: Scene, *, report_only: bool) -> dict[str, list[object]]:
    world = scene.tend.world
    case_ids: list[object] = [scene.report.id]
    followups: list[object] = []
    listened: dict[str, list[object]] = {"member": [], "channel": [], "message": []}
    if not report_only:
        listened = {"member": [world.member2], "channel": [world.general], "message": [scene.message_id]}
        case_ids += [scene.support.id, scene.distress.id, scene.closed.id, 0, 9_999_999_999_999_999_999]
        followups = [scene.followup.id, scene.reminder.id, 9_999_999_999_999_999_999]
    return {
        "case_id": case_ids,
        "case": case_ids,
        "guild": [world.guild],
        "followup": followups,
        "answer": ["ok", "talk", "stop", "yes", "somewhat", "no"],
        "span": ["1h", "1d", "custom"],
        **listened,
    }


def component_type(cls: type) -> int:
    for base in getattr(cls, "__orig_bases__", ()):
        if typing.get_origin(base) is discord.ui.DynamicItem:
            (item,) = typing.get_args(base)
            return {discord.ui.Button: 2, discord.ui.UserSelect: 5, discord.ui.Select: 3}[item]
    raise AssertionError(f"{cls.__name__} is not a DynamicItem")


def targets(bot: TendBot, scene: Scene, *, report_only: bool) -> list[tuple[str, str, int]]:
    """(class name, custom_id, kind) for every registered item and form: 2/5 components, 0 forms."""
    ctx = context(scene, report_only=report_only)
    found = []
    for cls in bot.persistent_items():
        if cls.__name__ in PUBLIC:
            continue
        pattern = cls.__discord_ui_compiled_template__
        found += [(cls.__name__, cid, component_type(cls)) for cid in examples(pattern, ctx)]
    for form in bot.modals.routes:
        if form.__name__ in PUBLIC:
            continue
        found += [(form.__name__, cid, 0) for cid in examples(form.pattern, ctx)]
    return found


async def snapshot(scene: Scene) -> tuple[object, ...]:
    tend, sim = scene.tend, scene.tend.sim
    async with tend.db.read() as session:
        cases = [
            (
                c.id,
                c.status,
                c.holder_id,
                c.closed_at,
                c.outcome,
                c.member_id,
                c.thread_id,
                c.subject_thread_id,
            )
            for c in (await session.scalars(select(Case).order_by(Case.id))).all()
        ]
        followups = [
            (f.id, f.status, f.due_at, f.checkin, f.snoozes)
            for f in (await session.scalars(select(FollowUp).order_by(FollowUp.id))).all()
        ]
        items = [
            (i.id, i.status, i.kind)
            for i in (await session.scalars(select(ScheduledItem).order_by(ScheduledItem.id))).all()
        ]
        counts = [
            len((await session.scalars(select(model.id))).all())  # type: ignore[attr-defined]
            for model in (AuditEvent, Reflection)
        ]
        opted_out = len((await session.scalars(select(CheckinOptOut.member_id))).all())
    messages = sorted(
        (m.id, m.payload.get("content"))
        for m in sim.world.messages.values()
        if not (int(m.payload.get("flags") or 0) & 64)
    )
    members = sorted(
        (c.id, tuple(sorted(c.thread_members))) for c in sim.world.channels.values() if c.is_thread
    )
    return cases, followups, items, counts, opted_out, messages, members


async def answered_kindly(sim: DiscordSimulator, handle: InteractionHandle, what: str) -> None:
    answer = await handle.answer(timeout=3)
    if handle.response_type == 9:  # a form: its submit must be refused instead
        submit = await sim.forge_modal_submit(
            handle.guild_id, handle.channel_id, handle.user_id, answer["custom_id"], FORM_VALUES
        )
        answer = await submit.answer(timeout=3)
        handle = submit
    text = answer.get("content") or ""
    assert text and SORRY not in text, f"{what}: {text!r}"
    assert int(answer.get("flags") or 0) & 64, f"{what} was answered in public: {text!r}"
    assert not handle.deadline_missed, what


async def forge(
    scene: Scene, who: str, user: int, guild: int | None, channel: int | None, report_only: bool
) -> int:
    sim, bot = scene.tend.sim, scene.tend.bot
    assert bot is not None
    before = await snapshot(scene)
    forged = 0
    for name, custom_id, kind in targets(bot, scene, report_only=report_only):
        what = f"{who}: {name} {custom_id}"
        if kind == 0:
            handle = await sim.forge_modal_submit(guild, channel, user, custom_id, FORM_VALUES)
        elif kind in (3, 5):  # a select: its first option (one day), or the person themselves
            values: list[object] = ["1"] if kind == 3 else [user]
            handle = await sim.forge_component(
                guild, channel, user, custom_id, component_type=kind, values=values
            )
        else:
            handle = await sim.forge_component(guild, channel, user, custom_id, component_type=kind)
        await answered_kindly(sim, handle, what)
        await scene.tend.settle()
        assert await snapshot(scene) == before, f"{what} changed something"
        forged += 1
    return forged


async def test_a_member_of_the_server_is_refused_everywhere(scene: Scene) -> None:
    world = scene.tend.world
    assert await forge(scene, "member", scene.stranger, world.guild, world.general, False) > 50


async def test_a_moderator_of_another_server_is_refused_everywhere(scene: Scene) -> None:
    b_general = scene.tend.world.extra["b_general"]
    assert await forge(scene, "moderator of B", scene.mod_of_b, scene.guild_b, b_general, False) > 50


async def test_the_reported_moderator_is_refused_on_the_report(scene: Scene) -> None:
    world = scene.tend.world
    assert scene.report.subject_id == world.moderator2 and scene.report.escalated
    assert await forge(scene, "reported moderator", world.moderator2, world.guild, world.general, True) > 5


async def test_a_moderator_writing_from_a_dm_is_refused_everywhere(scene: Scene) -> None:
    assert await forge(scene, "DM", scene.tend.world.moderator2, None, None, False) > 50


async def test_moderator_commands_refuse_members_whatever_the_permissions(scene: Scene) -> None:
    """Owners can override a command's default permissions: Tend checks roles itself."""
    tend, sim = scene.tend, scene.tend.sim
    world = tend.world
    helper = sim.add_role(world.guild, "Helpers", permissions=MANAGE_MESSAGES)
    sim.set_member_roles(world.guild, scene.stranger, [helper])
    before = await snapshot(scene)
    checked = 0
    for command in sim.synced_commands(world.guild):
        if command.get("type", 1) == 3:  # a message context menu
            if command["name"] in PUBLIC_COMMANDS:
                continue
            handle = await sim.invoke_message_command(
                world.guild, world.general, scene.stranger, command["name"], scene.message_id
            )
            await _refused(handle, command["name"])
            checked += 1
            continue
        subs = [o for o in command.get("options", []) if o["type"] == 1] or [None]
        for sub in subs:
            full = f"{command['name']} {sub['name']}" if sub else command["name"]
            if full in PUBLIC_COMMANDS:
                continue
            options = (sub or command).get("options", [])
            values = {o["name"]: _option(o, world) for o in options if o.get("required")}
            handle = await sim.invoke_slash(
                world.guild,
                world.general,
                scene.stranger,
                command["name"],
                options=values,
                subcommand=sub["name"] if sub else None,
            )
            await _refused(handle, full)
            checked += 1
    assert checked >= 7
    assert await snapshot(scene) == before


async def _refused(handle: InteractionHandle, what: str) -> None:
    text = (await handle.answer(timeout=3)).get("content") or ""
    assert "for this server's moderators" in text or "Only Tend's owners" in text, (what, text)


def _option(option: dict[str, Any], world: Any) -> object:
    return {6: world.member, 7: world.general}.get(option["type"], "1d")


def test_every_template_is_understood(scene: Scene) -> None:
    """The public list names real classes, so a renamed entry point can't hide from the matrix."""
    bot = scene.tend.bot
    assert bot is not None
    names = {c.__name__ for c in bot.persistent_items()} | {f.__name__ for f in bot.modals.routes}
    assert names >= PUBLIC


async def test_ids_out_of_range_are_unknown_even_to_moderators(scene: Scene) -> None:
    """A 19-digit id past what Discord or the database can hold is answered like an unknown
    case or reminder, never with an apology for an error."""
    tend, sim, bot = scene.tend, scene.tend.sim, scene.tend.bot
    assert bot is not None
    world = tend.world
    huge = 9_999_999_999_999_999_999
    ctx: dict[str, list[object]] = {
        "case_id": [huge],
        "case": [huge],
        "guild": [world.guild],
        "followup": [huge],
        "answer": ["ok", "yes"],
        "span": ["1h"],
        "member": [huge],
        "channel": [huge],
        "message": [huge],
    }
    before = await snapshot(scene)
    checked = 0
    for cls in bot.persistent_items():
        for custom_id in examples(cls.__discord_ui_compiled_template__, ctx):
            if str(huge) not in custom_id:
                continue
            kind = component_type(cls)
            values: list[object] | None = ["1"] if kind == 3 else [world.moderator2] if kind == 5 else None
            handle = await sim.forge_component(
                world.guild, world.general, world.moderator, custom_id, component_type=kind, values=values
            )
            await answered_kindly(sim, handle, f"moderator: {cls.__name__} {custom_id}")
            checked += 1
    assert checked > 15
    await tend.settle()
    assert await snapshot(scene) == before
