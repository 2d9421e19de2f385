"""A lived-in server for the matrix tests: every kind of case, a reminder, a check-in, a
second configured server; and the custom_ids of everything Tend registered, to press.

Server A (the test world) holds a support case, an anonymous report about a moderator, a
distress notice, a closed case with a follow-up reminder and a member check-in, a member's
/remind, a pause of a member's access, and an appeal of a timeout the first moderator set.
Server B is a second configured server with its own moderator.
"""

from __future__ import annotations

import contextlib
import typing
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
from sqlalchemy import select

from bot.runtime.core import TendBot
from bot.runtime.replies import OUR_FAULT
from models import (
    AuditEvent,
    Case,
    CheckinOptOut,
    FollowUp,
    MemberPause,
    ModerationAction,
    Reflection,
    ScheduledItem,
)

from .custom_ids import examples
from .databases import database_url_for
from .simulator import DiscordSimulator, InteractionHandle
from .tend import MANAGE_MESSAGES, Tend, build_world, guild_table, running_tend

# Entry points any member may use in their own server (each still checks what it is given).
PUBLIC = {"AskForSupportButton", "SupportModal", "ReportModal", "ReportMessageModal"}
SORRY = OUR_FAULT.msgid.split("{", 1)[0]
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
    pause: MemberPause
    appeal: Case
    action: ModerationAction


@contextlib.asynccontextmanager
async def build_scene(sim: DiscordSimulator, tmp_path: Path) -> AsyncIterator[Scene]:
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
    async with running_tend(
        sim, url, tmp_path, world=world, extra_guilds=[table_b], bot={"message_content_intent": True}
    ) as tend:
        bot = tend.bot
        assert bot is not None
        tend.world.extra["b_general"] = b_general
        # A support case, with its thread and card.
        opened = await tend.slash(world.member, "support")
        await (
            await sim.submit_modal(opened, world.member, {"story": "I'm having a hard week"})
        ).wait_followup()
        # The member writes to Tend by DM and keeps talking there (the relay of their case).
        dm = sim.world.dm_channel(world.member).id
        await sim.send_message(dm, world.member, "can we talk here instead?")
        await sim.wait_for(lambda: len(sim.dm_messages(world.member)) > 1)
        await tend.settle()
        offer = sim.dm_messages(world.member)[-1]
        relay_id = next(
            c["custom_id"]
            for row in offer["components"]
            for c in row["components"]
            if c["custom_id"].endswith(":relay")
        )
        await (await sim.click_button(int(offer["id"]), relay_id, world.member)).wait_followup()
        await tend.settle()
        assert "Stop talking by DM" in str(sim.dm_messages(world.member)[-1]["components"])
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
        # The stranger's access is paused; the member appeals a timeout the moderator set.
        pause = await bot.pauses.pause(
            tend.actor(world.moderator), stranger, span=timedelta(days=3), reason="abuse"
        )
        async with tend.db.transaction() as session:
            action = ModerationAction(
                guild_id=world.guild,
                member_id=world.member,
                action="timeout",
                acted_by=world.moderator,
                acted_at=tend.clock(),
                until=tend.clock() + timedelta(hours=6),
            )
            session.add(action)
        appeal = await bot.appeals.ask(
            tend.actor(world.member, None), action.id, "I was joking with a friend"
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
            pause,
            appeal,
            action,
        )


def context(scene: Scene, *, report_only: bool, only: Case | None = None) -> dict[str, list[object]]:
    """The ids to attack: everything, or (``report_only`` / ``only``) one case's buttons and forms."""
    world = scene.tend.world
    case_ids: list[object] = [scene.report.id if only is None else only.id]
    report_only = report_only or only is not None
    followups: list[object] = []
    listened: dict[str, list[object]] = {"member": [], "channel": [], "message": []}
    if not report_only:
        listened = {"member": [world.member2], "channel": [world.general], "message": [scene.message_id]}
        case_ids += [
            scene.support.id,
            scene.distress.id,
            scene.closed.id,
            scene.appeal.id,
            0,
            9_999_999_999_999_999_999,
        ]
        followups = [scene.followup.id, scene.reminder.id, 9_999_999_999_999_999_999]
        followups += [scene.pause.id, scene.action.id]  # pause: and appeal: buttons
    return {
        "case_id": case_ids,
        "id": [
            *case_ids,
            *followups,
        ],  # case:, fu:, support:, pause: and appeal: buttons name one thing by id
        "case": case_ids,
        "guild": [world.guild],
        "followup": followups,
        "answer": ["ok", "talk", "stop", "yes", "somewhat", "no"],
        "action": ["export", "delete", "confirm", "cancel"],
        "draft": [scene.message_id],  # no such draft: a Report message form Tend lost track of
        "subject": [world.member2],
        "rule": ["respect"],
        "situation": ["first_reply", "report.harassment"],  # a prompt's More button
        "anon": ["0"],
        "span": ["1h", "1d", "custom"],
        **listened,
    }


def component_type(cls: type) -> int:
    for base in getattr(cls, "__orig_bases__", ()):
        if typing.get_origin(base) is discord.ui.DynamicItem:
            (item,) = typing.get_args(base)
            return {discord.ui.Button: 2, discord.ui.UserSelect: 5, discord.ui.Select: 3}[item]
    raise AssertionError(f"{cls.__name__} is not a DynamicItem")


def targets(
    bot: TendBot, scene: Scene, *, report_only: bool, public: bool = False, only: Case | None = None
) -> list[tuple[str, str, int]]:
    """(class name, custom_id, kind) for every registered item and form (kind: the component
    type, 0 for a form); the members' entry points too with ``public``."""
    ctx = context(scene, report_only=report_only, only=only)
    ctx["topic"] = ["", "Feeling low"]  # /support's form carries its topic
    found = []
    for cls in bot.persistent_items():
        if cls.__name__ in PUBLIC and not public:
            continue
        pattern = cls.__discord_ui_compiled_template__
        found += [(cls.__name__, cid, component_type(cls)) for cid in examples(pattern, ctx)]
    for form in bot.modals.routes:
        if form.__name__ in PUBLIC and not public:
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
        pauses = [
            (p.id, p.ended_at, p.lifted_by, p.ends_at)
            for p in (await session.scalars(select(MemberPause).order_by(MemberPause.id))).all()
        ]
        actions = [
            (a.id, a.case_id, a.until)
            for a in (await session.scalars(select(ModerationAction).order_by(ModerationAction.id))).all()
        ]
    messages = sorted(
        (m.id, m.payload.get("content"))
        for m in sim.world.messages.values()
        if not (int(m.payload.get("flags") or 0) & 64)
    )
    members = sorted(
        (c.id, tuple(sorted(c.thread_members))) for c in sim.world.channels.values() if c.is_thread
    )
    return cases, followups, items, counts, opted_out, messages, members, pauses, actions


async def answered_kindly(
    sim: DiscordSimulator, handle: InteractionHandle, what: str, *, private: bool = True
) -> None:
    """Answered within Discord's 3 seconds, never with an apology for an error. ``private``:
    a refusal, so it must be a private message; otherwise the action may also be an edit of
    the message the button sits on. A form shown is submitted in turn."""
    body = await handle.response(timeout=3)
    assert not handle.deadline_missed, what
    if body["type"] == 9:
        submit = await sim.forge_modal_submit(
            handle.guild_id, handle.channel_id, handle.user_id, body["data"]["custom_id"], FORM_VALUES
        )
        return await answered_kindly(sim, submit, f"{what} (its form)", private=private)
    if not private and body["type"] in (6, 7):
        # The action edits the button's message; anything said besides must not be an apology.
        edited = f"/{handle.token}/messages/@original"
        await sim.wait_for(
            lambda: (
                handle.followup_ids
                or any(
                    r.path.endswith(edited)
                    for r in sim.requests_for("PATCH", "/webhooks/{a}/{t}/messages/@original")
                )
            )
        )
        for said in handle.followups:
            assert SORRY not in (said.get("content") or ""), f"{what}: {said.get('content')!r}"
        return
    answer = await handle.answer(timeout=3)
    text = answer.get("content") or "".join(e.get("title", "") for e in answer.get("embeds") or [])
    assert text and SORRY not in text, f"{what}: {text!r}"
    if private:
        assert int(answer.get("flags") or 0) & 64, f"{what} was answered in public: {text!r}"
