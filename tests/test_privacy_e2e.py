"""/privacy (what Tend holds, export, delete) and the retention purge, through the real bot."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.domain.cases.reports import ReportLimits
from models import AuditEvent, Case, FollowUp, ScheduledItem

from .flows import ask_for_support, buttons, fire_due, pending
from .tend import Tend

LIMITS = ReportLimits(burst=5, burst_window=timedelta(minutes=10), daily=10)


async def file_report(tend: Tend, reporter: int, subject: int, text: str) -> Case:
    assert tend.bot is not None
    case = await tend.bot.reports.file(
        guild_id=tend.world.guild,
        reporter_id=reporter,
        subject_id=subject,
        rule_id="respect",
        text=text,
        snapshot=None,
        anonymous=False,
        escalated=False,
        limits=LIMITS,
    )
    await tend.settle()
    return case


async def privacy(tend: Tend, user: int) -> tuple[Any, dict[str, Any]]:
    handle = await tend.slash(user, "privacy")
    return handle, await handle.original()


async def test_privacy_with_nothing_stored_says_so(tend: Tend) -> None:
    _, shown = await privacy(tend, tend.world.member2)
    assert "Nothing at all" in shown["embeds"][0]["description"] and buttons(shown) == {}


async def test_privacy_shows_exports_and_deletes_what_is_theirs(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member, "I have been sleeping badly")
    report = await file_report(tend, world.member, world.member2, "they mocked my accent in #general")
    other = await file_report(tend, world.member2, world.member, "a report about river, not theirs to see")
    await (await tend.slash(world.member, "remind", when="2d", text="drink water")).original()

    handle, shown = await privacy(tend, world.member)
    text = shown["embeds"][0]["description"]
    assert "Support requests: **1**" in text and "Reports you filed: **1**" in text
    assert "Your reminders: **1**" in text and shown["flags"] & 64
    assert set(buttons(shown)) == {"Export my data", "Delete what can be deleted…"}

    export = await sim.click_button(int(shown["id"]), buttons(shown)["Export my data"], world.member)
    sent = await export.wait_followup()
    [attachment] = sent["attachments"]
    assert attachment["filename"] == "tend-my-data.json" and sent["flags"] & 64
    data = json.loads(attachment["data"])
    assert data["support_requests"][0]["what_you_wrote"] == "I have been sleeping badly"
    assert data["reports_you_filed"][0]["what_you_wrote"] == "they mocked my accent in #general"
    assert data["reminders"][0]["text"] == "drink water"
    assert "not theirs to see" not in attachment["data"].decode()  # reports about them aren't theirs

    delete = await sim.click_button(
        int(shown["id"]), buttons(shown)["Delete what can be deleted…"], world.member
    )
    confirm = await delete.original()
    assert "can't be undone" in confirm["content"]
    yes = await sim.click_button(int(confirm["id"]), buttons(confirm)["Yes, delete"], world.member)
    done = await yes.wait_followup()
    assert "1 support message, 1 reminder; your name is off 1 report." in done["content"]

    async with tend.db.read() as session:
        support = await session.scalar(select(Case).where(Case.kind == "support"))
        filed = await session.get(Case, report.id)
        about_them = await session.get(Case, other.id)
        reminders = (await session.scalars(select(FollowUp))).all()
        named = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.case_id == report.id, AuditEvent.actor_id == world.member)
            )
        ).all()
    assert support is not None and support.body is None and support.member_id == world.member
    assert filed is not None and filed.member_id is None and filed.body is not None  # kept, unnamed
    assert about_them is not None and about_them.subject_id == world.member  # moderation's record stays
    assert reminders == [] and named == []
    assert not await pending(tend, "followup.due")
    assert handle is not None


async def test_retention_purges_old_closed_cases_and_keeps_one_daily_run(tend: Tend) -> None:
    world = tend.world
    assert tend.bot is not None
    await ask_for_support(tend, world.member, "an old story")
    report = await file_report(tend, world.member2, world.member, "an old report")
    async with tend.db.read() as session:
        support = await session.scalar(select(Case).where(Case.kind == "support"))
    assert support is not None
    await tend.bot.cases.close_support(
        tend.actor(world.moderator), support.id, reason="resolved", note="fine"
    )
    await tend.bot.reports.resolve(tend.actor(world.moderator), report.id, outcome="warning", note="talked")
    await ask_for_support(tend, world.member2, "a recent story")  # open: never purged
    await tend.settle()
    async with tend.db.transaction() as session:  # the two closed cases are 400 days old
        for case_id in (support.id, report.id):
            case = await session.get(Case, case_id)
            assert case is not None and case.closed_at is not None
            case.closed_at -= timedelta(days=400)

    [seeded] = await pending(tend, "tend.retention")
    assert seeded.dedupe_key == f"tend.retention:{world.guild}"
    await fire_due(tend, "tend.retention")
    async with tend.db.read() as session:
        cases = {c.id: c for c in (await session.scalars(select(Case))).all()}
        purged = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "purged"))).all()
        opened = await session.scalar(
            select(AuditEvent).where(AuditEvent.case_id == support.id, AuditEvent.action == "opened")
        )
    old_support, old_report = cases[support.id], cases[report.id]
    assert old_support.body is None and old_support.note is None and old_support.member_id is None
    assert old_report.body is None and old_report.member_id is None
    assert old_report.subject_id == world.member  # the reported member stays on the record
    recent = next(c for c in cases.values() if c.member_id == world.member2 and c.kind == "support")
    assert recent.body is not None
    assert {e.case_id for e in purged} == {support.id, report.id}
    assert opened is not None and "topic" not in opened.detail  # the audit trail stays, minus text
    [following] = await pending(tend, "tend.retention")
    assert following.id != seeded.id and following.due_at > tend.bot.jobs.clock()
    async with tend.db.read() as session:
        runs = (
            await session.scalars(select(ScheduledItem).where(ScheduledItem.kind == "tend.retention"))
        ).all()
    assert sorted(r.status for r in runs) == ["done", "pending"]
