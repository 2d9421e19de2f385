"""Follow-ups, reminders, check-ins and escalation, end to end through the real bot."""

from __future__ import annotations

import asyncio
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.domain.followups import after_quiet_hours
from models import Case, CheckinOptOut, ScheduledItem

from .clock import TestClock
from .databases import raw_value
from .flows import (
    EPHEMERAL,
    ask_for_support,
    buttons,
    fire_due,
    followups,
    only_case,
    pending,
    slash_followup,
)
from .simulator import DiscordSimulator
from .tend import VIEW_CHANNEL, Tend, running_tend


@pytest.fixture
async def caring(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A guild that opted in to member check-ins, with quiet hours switched off."""
    followups = {"member_checkins": True, "quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}
    async with running_tend(discord_sim, database_url, tmp_path, followups=followups) as running:
        yield running


def reminders(tend: Tend, channel: int) -> list[dict[str, Any]]:
    return [m for m in tend.sim.channel_messages(channel) if m["content"].startswith(("⏰", "Sorry"))]


async def test_followup_is_scheduled_delivered_on_time_and_marked_done(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    answer = await slash_followup(tend, "tomorrow 18:00")
    assert answer["flags"] & EPHEMERAL and "I'll remind you" in answer["content"]
    [followup] = await followups(tend)
    assert followup.owner_id == world.moderator and followup.member_id == world.member
    async with tend.db.read() as session:
        raw = await raw_value(session, "follow_ups", "note_enc", followup.id)
    assert followup.note is not None and raw is not None and b"move" not in raw  # encrypted at rest
    [item] = await pending(tend, "followup.due")
    assert item.due_at == followup.due_at > tend.bot.jobs.clock()  # type: ignore[union-attr]

    await fire_due(tend, "followup.due")
    [reminder] = reminders(tend, world.queue)
    assert reminder["content"].startswith(
        f"⏰ <@{world.moderator}>, it's time to check in with <@{world.member}>"
    )
    assert "Ask how the move went" in reminder["content"]
    assert reminder["allowed_mentions"]["users"] == [world.moderator]
    assert set(buttons(reminder)) == {"Done", "Snooze 1 h", "Snooze 1 day", "Snooze…"}  # no case: no Reopen

    # A member can't press a moderator's follow-up (even if the queue were open to them); another
    # moderator can.
    sim.set_channel_overwrite(world.queue, world.member, allow=VIEW_CHANNEL)
    refused = await sim.click_button(int(reminder["id"]), buttons(reminder)["Done"], world.member)
    assert "only they can use" in (await refused.wait_followup())["content"]
    done = await sim.click_button(int(reminder["id"]), buttons(reminder)["Done"], world.moderator2)
    assert (await done.response())["type"] == 6
    await sim.wait_for(lambda: "✅ Done" in sim.message(int(reminder["id"]))["content"])
    assert buttons(sim.message(int(reminder["id"]))) == {}
    [followup] = await followups(tend)
    assert followup.status == "done" and followup.done_by == world.moderator2
    assert not await pending(tend, "followup.checkin")  # member check-ins are off by default


async def test_snooze_for_an_hour_and_until_a_custom_time(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await slash_followup(tend)
    await fire_due(tend, "followup.due")
    [reminder] = reminders(tend, world.queue)
    now = tend.bot.jobs.clock()  # type: ignore[union-attr]

    snooze = await sim.click_button(int(reminder["id"]), buttons(reminder)["Snooze 1 h"], world.moderator)
    await sim.wait_for(lambda: "💤 Snoozed" in sim.message(int(reminder["id"]))["content"])
    [item] = await pending(tend, "followup.due")
    assert timedelta(minutes=59) < item.due_at - now < timedelta(minutes=61)
    assert (await snooze.response())["type"] == 6
    [followup] = await followups(tend)
    assert followup.status == "scheduled" and followup.snoozes == 1

    await fire_due(tend, "followup.due")
    second = reminders(tend, world.queue)[-1]
    assert second["id"] != reminder["id"] and "Done" in buttons(second)
    custom = await sim.click_button(int(second["id"]), buttons(second)["Snooze…"], world.moderator)
    assert (await custom.response())["type"] == 9
    wrong = await sim.submit_modal(custom, world.moderator, {"when": "last tuesday"})
    assert "already passed" in (await wrong.wait_followup())["content"]
    custom = await sim.click_button(int(second["id"]), buttons(second)["Snooze…"], world.moderator)
    submitted = await sim.submit_modal(custom, world.moderator, {"when": "2d"})
    await submitted.response()
    await sim.wait_for(lambda: "💤 Snoozed" in sim.message(int(second["id"]))["content"])
    [item] = await pending(tend, "followup.due")
    assert timedelta(days=2) - timedelta(minutes=1) < item.due_at - now < timedelta(days=2, minutes=1)
    assert len(await followups(tend)) == 1  # one follow-up, however often it is snoozed


async def test_remind_in_the_channel_and_by_dm_pings_only_the_person(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    asked = await tend.slash(world.member, "remind", when="2h", text="call mum @everyone <@&1234567890123>")
    assert "I'll remind you here" in (await asked.original())["content"]
    dm = await tend.slash(world.member2, "remind", when="friday", text="water the plants", dm=True)
    assert "by direct message" in (await dm.original())["content"]
    past = await tend.slash(world.member, "remind", when="2001-01-01", text="too late")
    assert "already passed" in (await past.original())["content"]
    nonsense = await tend.slash(world.member, "remind", when="when pigs fly", text="x")
    assert "couldn't read" in (await nonsense.original())["content"]
    assert len(await followups(tend)) == 2

    await fire_due(tend, "followup.due")
    [here] = [m for m in sim.channel_messages(world.general) if m["content"].startswith("⏰")]
    assert here["content"].startswith(f"⏰ <@{world.member}>, you asked me to remind you:")
    assert "@\u200beveryone" in here["content"] and "<@&\u200b1234567890123>" in here["content"]
    assert here["allowed_mentions"]["users"] == [world.member]
    assert here["allowed_mentions"]["parse"] == []
    [by_dm] = sim.dm_messages(world.member2)
    assert "water the plants" in by_dm["content"] and "Done" in buttons(by_dm)
    # Someone else's reminder: their buttons are theirs alone, even for a moderator.
    refused = await sim.click_button(int(here["id"]), buttons(here)["Done"], world.moderator)
    assert f"belongs to <@{world.member}>" in (await refused.wait_followup())["content"]
    mine = await sim.click_button(int(by_dm["id"]), buttons(by_dm)["Done"], world.member2)
    await mine.response()
    await sim.wait_for(lambda: "✅ Done" in sim.message(int(by_dm["id"]))["content"])


async def test_a_person_can_keep_only_so_many_reminders_waiting(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with running_tend(
        discord_sim, database_url, tmp_path, followups={"max_pending_reminders": 2}
    ) as tend:
        world = tend.world
        for when in ("1h", "2h"):
            asked = await tend.slash(world.member, "remind", when=when, text="stretch")
            assert "I'll remind you" in (await asked.original())["content"]
        third = await (await tend.slash(world.member, "remind", when="3h", text="stretch")).original()
        assert "already have 2 reminders waiting" in third["content"] and third["flags"] & EPHEMERAL
        # Someone else's reminders don't count against them.
        other = await (await tend.slash(world.member2, "remind", when="3h", text="water")).original()
        assert "I'll remind you" in other["content"]
        assert len([f for f in await followups(tend) if f.owner_id == world.member]) == 2


async def test_closing_a_case_with_a_followup_delivers_the_reminder_and_reopens_the_case(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    assert tend.bot is not None
    await ask_for_support(tend, world.member, "rough week")
    case = await only_case(tend)
    await tend.bot.cases.claim(tend.actor(world.moderator), case.id)
    await tend.bot.cases.close_support(
        tend.actor(world.moderator),
        case.id,
        reason="resolved",
        followup_at=tend.bot.jobs.clock() + timedelta(days=3),
    )
    await tend.settle()
    assert sim.channel(case.thread_id or 0)["thread_metadata"]["archived"]

    await fire_due(tend, "case.followup")
    case = await only_case(tend)
    [reminder] = reminders(tend, case.staff_thread_id or 0)
    assert "support-0001" in reminder["content"] and f"<@{world.member}>" in reminder["content"]
    assert set(buttons(reminder)) == {"Done", "Snooze 1 h", "Snooze 1 day", "Snooze…", "Reopen case"}

    sim.set_channel_overwrite(world.queue, world.member, allow=VIEW_CHANNEL)
    refused = await sim.click_button(int(reminder["id"]), buttons(reminder)["Reopen case"], world.member)
    assert "moderators" in (await refused.wait_followup())["content"]
    reopen = await sim.click_button(int(reminder["id"]), buttons(reminder)["Reopen case"], world.moderator)
    await reopen.response()
    await sim.wait_for(lambda: "reopened" in sim.message(int(reminder["id"]))["content"])
    await tend.settle()
    case = await only_case(tend)
    assert case.status == "claimed" and case.closed_at is None and case.holder_id == world.moderator
    thread = sim.channel(case.thread_id or 0)
    assert not thread["thread_metadata"]["archived"] and not thread["thread_metadata"]["locked"]
    assert "open again" in sim.channel_messages(case.thread_id or 0)[-1]["content"]
    card = sim.message(case.card_message_id or 0)
    assert "Close" in buttons(card)  # the card shows an open case again
    [followup] = await followups(tend)
    assert followup.status == "done" and followup.case_id == case.id


async def test_member_checkin_answers_ok_talk_and_stop(caring: Tend) -> None:
    tend, sim, world = caring, caring.sim, caring.world
    assert tend.bot is not None
    await ask_for_support(tend, world.member, "rough week")
    case = await only_case(tend)
    await tend.bot.cases.claim(tend.actor(world.moderator), case.id)
    await tend.bot.cases.close_support(
        tend.actor(world.moderator),
        case.id,
        reason="resolved",
        followup_at=tend.bot.jobs.clock() + timedelta(days=1),
    )
    await fire_due(tend, "case.followup")
    await fire_due(tend, "followup.checkin")
    [checkin] = sim.dm_messages(world.member)[-1:]
    assert "how are you doing" in checkin["content"].lower() and "Haven" in checkin["content"]
    assert set(buttons(checkin)) == {"I'm OK", "I'd like to talk again", "Please stop checking in"}

    talk = await sim.click_button(
        int(checkin["id"]), buttons(checkin)["I'd like to talk again"], world.member
    )
    assert "reach out" in (await talk.wait_followup())["content"]
    await tend.settle()
    case = await only_case(tend)
    assert case.status == "claimed" and case.closed_at is None  # their support case, reopened
    # The moderator is told after the member's reply, still inside the click (no job to settle).
    staff = case.staff_thread_id or 0
    await sim.wait_for(
        lambda: any(
            "they'd like to talk again (support-0001)" in m["content"] for m in sim.channel_messages(staff)
        )
    )

    # The next follow-up: "I'm OK"; then one more: "Please stop checking in".
    for answer in ("I'm OK", "Please stop checking in"):
        await tend.bot.followups.remind_moderator(
            guild_id=world.guild,
            moderator_id=world.moderator,
            member_id=world.member,
            due_at=tend.bot.jobs.clock() + timedelta(days=2),
            note=None,
        )
        await fire_due(tend, "followup.due")
        await fire_due(tend, "followup.checkin")
        latest = sim.dm_messages(world.member)[-1]
        pressed = await sim.click_button(int(latest["id"]), buttons(latest)[answer], world.member)
        await pressed.wait_followup()
        await tend.settle()
    answers = [f.checkin for f in await followups(tend)]
    assert answers == ["talk", "ok", "stop"]
    async with tend.db.read() as session:
        assert await session.get(CheckinOptOut, (world.guild, world.member)) is not None

    # After "stop": the moderator is still reminded, the member gets nothing.
    dms_before = len(sim.dm_messages(world.member))
    await tend.bot.followups.remind_moderator(
        guild_id=world.guild,
        moderator_id=world.moderator,
        member_id=world.member,
        due_at=tend.bot.jobs.clock() + timedelta(days=2),
        note=None,
    )
    await fire_due(tend, "followup.due")
    assert not await pending(tend, "followup.checkin")
    assert len(sim.dm_messages(world.member)) == dms_before
    assert "asked not to get check-ins" in reminders(tend, world.queue)[-1]["content"]


async def test_checkin_to_closed_dms_is_recorded_and_the_moderator_told(caring: Tend) -> None:
    tend, sim, world = caring, caring.sim, caring.world
    sim.set_dms_closed(world.member)
    await slash_followup(tend)
    await fire_due(tend, "followup.due")
    await fire_due(tend, "followup.checkin")
    [followup] = await followups(tend)
    assert followup.checkin == "dms_closed"
    told = [m for m in sim.channel_messages(world.queue) if "DMs are closed" in m["content"]]
    assert len(told) == 1 and told[0]["allowed_mentions"]["users"] == [world.moderator]


async def test_quiet_hours_hold_the_checkin_until_morning(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    # Quiet hours from an hour ago until two hours from now (UTC, by Tend's clock): the check-in must wait.
    clock = TestClock()
    hour = clock().hour
    start, end = time((hour - 1) % 24), time((hour + 2) % 24)
    followups_config = {
        "member_checkins": True,
        "quiet_hours_start": start.isoformat("minutes"),
        "quiet_hours_end": end.isoformat("minutes"),
    }
    async with running_tend(
        discord_sim, database_url, tmp_path, clock=clock, followups=followups_config
    ) as tend:
        assert tend.bot is not None
        await slash_followup(tend)
        await fire_due(tend, "followup.due")
        assert len(reminders(tend, tend.world.queue)) == 1  # the moderator is reminded at once
        [checkin] = await pending(tend, "followup.checkin")
        now = tend.bot.jobs.clock()
        assert checkin.due_at == after_quiet_hours(now, ZoneInfo("UTC"), start, end) > now
        assert checkin.due_at.time() == end and not tend.sim.dm_messages(tend.world.member)


async def test_escalation_pings_on_call_twice_then_stops_and_stops_once_claimed(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    sim = discord_sim
    from .tend import build_world

    world = build_world(sim)
    oncall = sim.add_role(world.guild, "On call")
    settings = {"oncall": {"role": oncall, "after_minutes": 30, "again_after_minutes": 120}}
    async with running_tend(sim, database_url, tmp_path, world=world, **settings) as tend:
        assert tend.bot is not None
        await ask_for_support(tend, world.member)
        [first] = await pending(tend, "case.escalate")
        case = await only_case(tend)
        assert first.due_at == case.opened_at + timedelta(minutes=30)

        def pings() -> list[dict[str, Any]]:
            return [m for m in sim.channel_messages(world.queue) if m["content"].startswith("🔔")]

        await fire_due(tend, "case.escalate")
        [ping] = pings()
        assert f"<@&{oncall}> support-0001 has waited" in ping["content"]
        assert ping["allowed_mentions"]["roles"] == [oncall]
        assert ping["message_reference"]["message_id"] == str(case.card_message_id)
        await fire_due(tend, "case.escalate")
        assert len(pings()) == 2 and "last reminder" in pings()[-1]["content"]
        assert not await pending(tend, "case.escalate")  # and then it stops

        # A second case is claimed before its first ping: nothing is sent.
        await ask_for_support(tend, world.member2)
        async with tend.db.read() as session:
            second = await session.scalar(select(Case).where(Case.member_id == world.member2))
        assert second is not None
        await tend.bot.cases.claim(tend.actor(world.moderator), second.id)
        await fire_due(tend, "case.escalate")
        assert len(pings()) == 2 and not await pending(tend, "case.escalate")


async def test_items_due_while_tend_was_down_fire_once_late_with_an_apology(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await slash_followup(tend, "3d")
    await (await tend.slash(world.member, "remind", when="5h", text="stretch")).original()
    await tend.stop()
    async with tend.db.transaction() as session:  # "Tend was down" past both due times
        await session.execute(
            update(ScheduledItem)
            .where(ScheduledItem.kind == "followup.due")
            .values(due_at=tend.clock() - timedelta(minutes=30))
        )
    await tend.start()
    await tend.settle()
    late = [m for m in sim.channel_messages(world.queue) if "Sorry this is late" in m["content"]]
    assert len(late) == 1 and "time to check in" in late[0]["content"] and "Done" in buttons(late[0])
    late_here = [m for m in sim.channel_messages(world.general) if "Sorry this is late" in m["content"]]
    assert len(late_here) == 1 and "stretch" in late_here[0]["content"]
    await tend.restart()  # a second restart fires nothing again
    await tend.settle()
    assert len([m for m in sim.channel_messages(world.queue) if "time to check in" in m["content"]]) == 1
    async with tend.db.read() as session:
        items = (
            await session.scalars(select(ScheduledItem).where(ScheduledItem.kind == "followup.due"))
        ).all()
    assert all(i.status == "done" and i.late and i.attempts == 1 for i in items)


async def test_two_processes_racing_for_the_same_reminder_send_it_once(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("two processes share one database only on PostgreSQL")
    async with running_tend(discord_sim, database_url, tmp_path) as first:
        second = Tend(first.sim, first.world, first.settings, first.db, first.cipher, clock=first.clock)
        await second.start()
        try:
            for n in range(10):
                await (
                    await first.slash(first.world.member, "remind", when="1h", text=f"race {n}")
                ).original()
            async with first.db.transaction() as session:
                await session.execute(
                    update(ScheduledItem)
                    .where(ScheduledItem.kind == "followup.due")
                    .values(due_at=first.clock() - timedelta(seconds=1))
                )
            assert first.bot is not None and second.bot is not None
            await asyncio.gather(first.bot.jobs.sweep(), second.bot.jobs.sweep())
            await asyncio.gather(first.settle(), second.settle())
        finally:
            await second.stop()
        sent = [m for m in discord_sim.channel_messages(first.world.general) if m["content"].startswith("⏰")]
        assert sorted(m["content"].rsplit(" ", 1)[-1] for m in sent) == sorted(str(n) for n in range(10))
