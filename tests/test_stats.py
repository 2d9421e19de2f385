"""Team metrics against a real database, the chart, and the weekly digest through the real bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.stats import duration_text, team_stats
from bot.infra.db import Database
from bot.runtime.charts import weekly_chart
from models import Case, FollowUp, ScheduledItem

from .flows import ask_for_support, only_case, pending
from .tend import Tend

GUILD = 1 << 40
MOD_A, MOD_B = 1 << 41, 1 << 42
START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
END = START + timedelta(days=7)
PNG = b"\x89PNG\r\n\x1a\n"


def _case(number: int, kind: str, opened: datetime, **values: object) -> Case:
    defaults: dict[str, object] = {"status": "open", "member_id": 1 << 43}
    return Case(guild_id=GUILD, kind=kind, number=number, opened_at=opened, **(defaults | values))


def _followup(due: datetime, status: str) -> FollowUp:
    return FollowUp(
        guild_id=GUILD, kind="followup", owner_id=MOD_A, due_at=due, first_due_at=due, status=status
    )


async def test_team_stats_counts_medians_followups_and_load(db: Database) -> None:
    async def seed(session):  # type: ignore[no-untyped-def]
        hour = timedelta(hours=1)
        session.add_all(
            [
                # Acknowledged after 10 min, 30 min and 2 h (median 30 min); replies after 1 h and 3 h.
                _case(
                    1,
                    "support",
                    START + hour,
                    acknowledged_at=START + hour * 1 + timedelta(minutes=10),
                    first_reply_at=START + hour * 2,
                    holder_id=MOD_A,
                    status="claimed",
                ),
                _case(
                    2,
                    "support",
                    START + hour * 30,
                    acknowledged_at=START + hour * 30 + timedelta(minutes=30),
                    first_reply_at=START + hour * 33,
                    closed_at=START + hour * 40,
                    status="closed",
                ),
                _case(
                    1,
                    "report",
                    START + hour * 50,
                    acknowledged_at=START + hour * 52,
                    holder_id=MOD_B,
                    status="acknowledged",
                ),
                _case(2, "report", START + hour * 60),  # waiting for someone
                _case(3, "report", START - timedelta(days=2), closed_at=START + hour, status="resolved"),
                _case(4, "report", END + hour),  # next week: not counted
            ]
        )
        session.add_all(
            [
                _followup(START + timedelta(days=1), "done"),
                _followup(START + timedelta(days=2), "done"),
                _followup(START + timedelta(days=3), "due"),
                _followup(START + timedelta(days=4), "scheduled"),  # snoozed past the week
                _followup(START - timedelta(days=1), "due"),  # last week's
            ]
        )

    await db.write(seed)
    async with db.read() as session:
        stats = await team_stats(session, GUILD, START, END, ZoneInfo("Europe/Berlin"))
    assert stats.opened == {"support": 2, "report": 2, "distress": 0, "appeal": 0}
    assert stats.closed == {"support": 1, "report": 1, "distress": 0, "appeal": 0}
    assert stats.median_acknowledge == timedelta(minutes=30)
    assert stats.median_first_reply == timedelta(hours=2)
    assert (stats.followups_kept, stats.followups_missed, stats.followups_snoozed) == (2, 1, 1)
    assert stats.open_load == {MOD_A: 1, MOD_B: 1} and stats.waiting == 2
    # Every local day the period touches (Monday 09:00 to Monday 09:00: eight dates).
    assert len(stats.days) == 8 and sum(d.opened for d in stats.days) == 4
    assert duration_text(stats.median_acknowledge) == "30 min" and duration_text(None) == "–"
    assert duration_text(timedelta(days=2, hours=5)) == "2 d 5 h"

    chart = weekly_chart(stats, {MOD_A: "mod-ash"})
    assert chart.startswith(PNG) and len(chart) > 5000


async def test_weekly_digest_posts_metrics_a_learning_prompt_and_a_png_then_schedules_the_next(
    tend: Tend,
) -> None:
    sim, world = tend.sim, tend.world
    assert tend.bot is not None
    await ask_for_support(tend, world.member, "a hard week")
    case = await only_case(tend)
    await tend.bot.cases.claim(tend.actor(world.moderator), case.id)
    [seeded] = await pending(tend, "tend.digest")
    assert seeded.dedupe_key == f"tend.digest:{world.guild}" and seeded.due_at > tend.bot.jobs.clock()
    assert seeded.due_at.weekday() == 0 and seeded.due_at.hour == 9  # Monday 09:00 UTC by default

    # Monday 09:00 comes: the digest covers the week up to its slot.
    tend.clock.set(seeded.due_at)
    await tend.bot.jobs.sweep()
    await tend.settle()
    [digest] = [
        m
        for m in sim.channel_messages(world.queue)
        if m.get("embeds") and m["embeds"][0].get("title", "").startswith("This week")
    ]
    embed = digest["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Opened: 1"] == "1 support" and "Closed: 0" in fields
    assert "to acknowledge: 0 min" in fields["Median time"]
    assert f"<@{world.moderator}> 1" in fields["Open cases per moderator"]
    assert any(name.startswith("Learning: ") for name in fields)
    assert embed["image"]["url"] == "attachment://tend-stats.png"
    [attachment] = digest["attachments"]
    assert attachment["filename"] == "tend-stats.png" and attachment["data"].startswith(PNG)
    assert digest["allowed_mentions"] == {"parse": []}  # a digest never pings

    # Exactly one pending digest, a week on; a restart doesn't add another.
    [following] = await pending(tend, "tend.digest")
    assert following.id != seeded.id and following.due_at > tend.bot.jobs.clock() + timedelta(days=6)
    assert following.due_at == seeded.due_at + timedelta(days=7)
    await tend.restart()
    assert [i.id for i in await pending(tend, "tend.digest")] == [following.id]
    async with tend.db.read() as session:
        runs = (await session.scalars(select(ScheduledItem).where(ScheduledItem.kind == "tend.digest"))).all()
    assert sorted(r.status for r in runs) == ["done", "pending"]
