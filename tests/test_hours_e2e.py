"""Team hours, end to end: honest answers outside them with the resources first, and nudges and
on-call escalation that count only team time, except a possible crisis, which escalates at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .flows import EPHEMERAL, fire_due, only_case, pending, report
from .simulator import DiscordSimulator
from .tend import Tend, build_world, guild_table, running_tend


def next_thursday_at(now: datetime, hour: int) -> datetime:
    """The first Thursday ``hour``:00 UTC after ``now`` (wherever TEND_TEST_EPOCH put the clock)."""
    day = now.date() + timedelta(days=1)
    while day.weekday() != 3:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
async def hours_tend(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path) -> AsyncIterator[Tend]:
    world = build_world(discord_sim)
    oncall = discord_sim.add_role(world.guild, "On call")
    rules = guild_table(world)["rules"] + [
        {"id": "threats", "title": "No threats", "text": "Threats of harm.", "category": "safety"}
    ]
    settings: dict[str, Any] = {
        "hours": {"thursday": "13:00-17:00", "friday": "09:00-17:00"},
        "oncall": {"role": oncall, "after_minutes": 30, "again_after_minutes": 120},
        "support": {"nudge_after_minutes": 30},
        "rules": rules,
    }
    async with running_tend(discord_sim, database_url, tmp_path, world=world, **settings) as tend:
        tend.world.extra["oncall"] = oncall
        tend.clock.set(next_thursday_at(tend.clock(), 10))  # 10:00 UTC: the team is around from 13:00
        yield tend


def stamp(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:F>"


async def test_outside_hours_support_says_when_to_expect_a_reply_resources_first(hours_tend: Tend) -> None:
    tend, sim, world = hours_tend, hours_tend.sim, hours_tend.world
    opened_at = tend.clock()
    back = opened_at.replace(hour=13, minute=0, second=0, microsecond=0)
    handle = await tend.slash(world.member, "support")
    submitted = await sim.submit_modal(handle, world.member, {"story": "It's late and I feel awful"})
    answer = await submitted.wait_followup()
    await tend.settle()
    assert answer["flags"] & EPHEMERAL
    assert answer["content"].startswith("The moderators aren't usually around right now")
    assert stamp(back) in answer["content"] and "private thread is ready" in answer["content"]
    assert "Crisis lines" in answer["embeds"][0]["description"]  # the resources come first
    case = await only_case(tend)
    welcome = sim.channel_messages(case.thread_id)[0]  # type: ignore[arg-type]
    assert stamp(back) in welcome["content"]

    # The nudge and the on-call escalation count team hours: 30 minutes after 13:00.
    [nudge] = await pending(tend, "support.nudge")
    [escalate] = await pending(tend, "case.escalate")
    assert nudge.due_at == escalate.due_at == back + timedelta(minutes=30)
    await tend.bot.jobs.sweep()  # type: ignore[union-attr]
    await tend.settle()
    assert not [m for m in sim.channel_messages(world.queue) if "🔔" in m["content"]]

    # At 13:31 the team has had its half hour: the on-call role is pinged, and the second
    # ping waits 90 more minutes of team time.
    tend.clock.set(back + timedelta(minutes=31))
    await tend.bot.jobs.sweep()  # type: ignore[union-attr]
    await tend.settle()
    [nudge_sent] = [m for m in sim.channel_messages(world.queue) if m["content"].startswith("⏰")]
    assert "30 minutes of team hours" in nudge_sent["content"]
    [ping] = [m for m in sim.channel_messages(world.queue) if "🔔" in m["content"]]
    assert f"<@&{world.extra['oncall']}>" in ping["content"]
    [again] = await pending(tend, "case.escalate")
    assert abs(again.due_at - (back + timedelta(minutes=121))) < timedelta(seconds=5)


async def test_inside_hours_there_is_no_out_of_hours_line(hours_tend: Tend) -> None:
    tend, sim, world = hours_tend, hours_tend.sim, hours_tend.world
    tend.clock.set(tend.clock().replace(hour=14, minute=0))
    handle = await tend.slash(world.member, "support")
    answer = await (await sim.submit_modal(handle, world.member, {"story": "hi"})).wait_followup()
    await tend.settle()
    assert "aren't usually around" not in answer["content"]
    [escalate] = await pending(tend, "case.escalate")
    assert abs(escalate.due_at - tend.clock().replace(hour=14, minute=30)) < timedelta(seconds=5)


async def test_a_report_receipt_is_honest_and_a_safety_report_escalates_at_once(hours_tend: Tend) -> None:
    tend, sim, world = hours_tend, hours_tend.sim, hours_tend.world
    receipt = (await report(tend, world.member, world.member2, rule="respect")).followups[-1]
    assert receipt["content"].startswith("The moderators aren't usually around right now")
    assert "R-0001" in receipt["content"] and "Crisis lines" in receipt["embeds"][0]["description"]
    [waiting] = await pending(tend, "case.escalate")
    assert waiting.due_at.hour == 13 and waiting.due_at.minute == 30

    # A report under a safety rule doesn't wait for the team's hours.
    await report(tend, world.member2, world.member, rule="threats", text="They said they'd hurt me tonight.")
    await tend.settle()
    pings = [m for m in sim.channel_messages(world.queue) if "🔔" in m["content"]]
    assert len(pings) == 1 and "R-0002" in pings[0]["content"] and "safety" in pings[0]["content"]
    await fire_due(tend, "support.nudge")  # nothing else is due


async def test_a_dm_outside_hours_says_when_to_expect_a_reply(hours_tend: Tend) -> None:
    tend, sim, world = hours_tend, hours_tend.sim, hours_tend.world
    back = tend.clock().replace(hour=13, minute=0, second=0, microsecond=0)
    channel = sim.world.dm_channel(world.member).id
    await sim.send_message(channel, world.member, "is anyone there?")
    await sim.wait_for(lambda: len(sim.dm_messages(world.member)) >= 2)
    await tend.settle()
    answer = sim.dm_messages(world.member)[-1]
    assert answer["content"].startswith("The moderators aren't usually around right now")
    assert stamp(back) in answer["content"] and "Crisis lines" in answer["embeds"][0]["description"]
