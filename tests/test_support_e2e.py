"""Private support threads, end to end: members and moderators through the real bot."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.jobs import INLINE_GRACE, Finish
from models import AuditEvent, Case, ScheduledItem

from .flows import (
    EPHEMERAL,
    ask_for_support,
    buttons,
    card_of,
    last_followup,
    only_case,
)
from .tend import MANAGE_MESSAGES, VIEW_CHANNEL, Tend

PRIVATE_THREAD = 12


async def test_member_asks_for_support_and_gets_a_private_thread_and_welcome(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    submitted = await ask_for_support(
        tend, world.member, "I can't sleep since the fight in #general @everyone", "Feeling low"
    )
    case = await only_case(tend)
    assert case.number == 1 and case.topic == "Feeling low" and case.status == "open"

    thread = next(t for t in sim.threads(world.support))
    assert thread["type"] == PRIVATE_THREAD and thread["name"] == "support-0001"
    assert thread["thread_metadata"]["invitable"] is False
    assert world.member in sim.thread_members(int(thread["id"]))

    answer = last_followup(submitted)
    assert answer["flags"] & EPHEMERAL and f"<#{thread['id']}>" in answer["content"]

    welcome = sim.channel_messages(int(thread["id"]))[0]
    assert f"<@{world.member}>" in welcome["content"] and "Manage Threads" in welcome["content"]
    assert welcome["allowed_mentions"] == {"parse": [], "users": [world.member]}
    quoted = welcome["embeds"][0]["description"]
    assert "@\u200beveryone" in quoted  # member text is quoted inert
    assert "Crisis lines" in welcome["embeds"][1]["description"]
    assert "Close this thread" in buttons(welcome)

    card = card_of(tend, case)
    assert int(card["channel_id"]) == world.queue
    assert card["embeds"][0]["title"] == "support-0001 · Feeling low"
    member_field = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "Member")
    assert (
        f"<@{world.member}>" in member_field
        and "0 earlier case(s)" in member_field
        and "joined" in member_field
    )
    assert set(buttons(card)) == {"Claim", "Add me", "Hand off", "Close"}
    assert card["allowed_mentions"] == {"parse": []}
    # The team's notes thread on the card is opened when Tend first has something to tell the
    # team there (most cases never need one): none yet, and none in the member's thread.
    assert sim.threads(world.queue) == [] and case.staff_thread_id is None


async def test_a_topic_is_inert_in_the_card_title(tend: Tend) -> None:
    await ask_for_support(tend, tend.world.member, "help", "@everyone <@&123> **HELP**\n# now")
    title = card_of(tend, await only_case(tend))["embeds"][0]["title"]
    assert "@everyone" not in title and "<@&123>" not in title and "**" not in title and "\n" not in title
    assert title.startswith("support-0001 · ") and "HELP" in title


async def test_panel_button_opens_the_same_flow(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    posted = await tend.slash(world.moderator, "support-panel")
    await posted.wait_followup()
    panel = sim.channel_messages(world.general)[-1]
    click = await sim.click_button(int(panel["id"]), buttons(panel)["Ask for support"], world.member2)
    assert (await click.response())["type"] == 9
    submitted = await sim.submit_modal(click, world.member2, {"story": ""})
    await submitted.wait_followup()
    await tend.settle()
    case = await only_case(tend)
    assert case.member_id == world.member2 and case.body is None and case.thread_id is not None


async def test_discord_permissions_alone_do_not_make_a_moderator(tend: Tend) -> None:
    # An owner may let others see the command (or give a role Manage Messages); Tend still checks its roles.
    helpers = tend.sim.add_role(tend.world.guild, "Helpers", permissions=MANAGE_MESSAGES)
    tend.sim.set_member_roles(tend.world.guild, tend.world.member, [helpers])
    refused = await (await tend.slash(tend.world.member, "support-panel")).response()
    assert refused["data"]["flags"] & EPHEMERAL and "moderators" in refused["data"]["content"]


async def test_moderator_claims_replies_and_closes_with_followup_and_survey(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member, "It's been a hard week.")
    case = await only_case(tend)
    card = card_of(tend, case)

    claim = await sim.click_button(int(card["id"]), buttons(card)["Claim"], world.moderator)
    await claim.wait_followup()
    prompt = last_followup(claim)
    assert (
        prompt["flags"] & EPHEMERAL and prompt["embeds"][0]["title"] == "Your first reply in a support thread"
    )
    assert "never sees these prompts" in prompt["embeds"][0]["footer"]["text"]
    assert prompt["content"].startswith("Thank you for taking support-0001")
    # At a glance (one thing to say, one question, the next step); the rest behind More.
    brief = prompt["embeds"][0]["description"]
    assert len(brief.split()) <= 80 and "**Ask:**" in brief and "**Avoid**" not in brief
    more = await sim.click_button(int(prompt["id"]), buttons(prompt)["More"], world.moderator)
    full = (await more.answer())["embeds"][0]
    assert full["title"] == "Your first reply in a support thread" and "**Avoid**" in full["description"]
    outsider = await sim.forge_component(
        world.guild, world.general, world.member, buttons(prompt)["More"], component_type=2
    )
    assert "moderators" in (await outsider.answer())["content"]  # the rest is for moderators only
    assert world.moderator in sim.thread_members(case.thread_id or 0)
    await tend.settle()
    card = card_of(tend, case)
    status = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "Status")
    assert status == f"Held by <@{world.moderator}>" and "Claim" not in buttons(card)

    await sim.send_message(case.thread_id or 0, world.member, "thanks for coming")
    await sim.send_message(case.thread_id or 0, world.moderator, "I'm here. What's been hardest?")
    await sim.wait_for(lambda: _first_reply_recorded(tend, case.id), timeout=5)

    close = await sim.click_button(int(card["id"]), buttons(card)["Close"], world.moderator)
    form = await close.response()
    assert form["type"] == 9
    # The closing prompt comes with the form, while there's still time to act on it.
    shown = [c["content"] for c in form["data"]["components"] if c["type"] == 10]
    assert shown and shown[0].startswith("**Closing a case well**")
    done = await sim.submit_modal(
        close,
        world.moderator,
        {"reason": ["resolved"], "note": "talked it through", "followup": ["3"], "survey": ["yes"]},
    )
    await done.wait_followup()
    assert "Closed support-0001" in last_followup(done)["content"]
    await tend.settle()

    thread = sim.channel(case.thread_id or 0)
    assert thread["thread_metadata"]["archived"] and thread["thread_metadata"]["locked"]
    goodbye = sim.channel_messages(case.thread_id or 0)[-1]
    assert set(buttons(goodbye)) == {"Yes", "Somewhat", "Not really"}

    answer = await sim.click_button(int(goodbye["id"]), buttons(goodbye)["Yes"], world.member)
    await answer.wait_followup()
    await tend.settle()
    closed = await only_case(tend)
    assert closed.status == "closed" and closed.outcome == "resolved" and closed.survey_answer == "yes"
    assert closed.first_reply_at is not None and closed.followup_at is not None
    fields = {f["name"]: f["value"] for f in card_of(tend, closed)["embeds"][0]["fields"]}
    assert fields["Status"] == "Closed: Talked it through" and fields["Felt heard?"] == "yes"
    assert buttons(card_of(tend, closed)) == {}
    async with tend.db.read() as session:
        actions = (
            await session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == closed.id))
        ).all()
        followups = (
            await session.scalars(select(ScheduledItem).where(ScheduledItem.kind == "case.followup"))
        ).all()
    assert list(actions) == [
        "opened",
        "thread_created",
        "claimed",
        "first_reply",
        "closed",
        "survey_answered",
    ]
    assert (
        len(followups) == 1 and followups[0].status == "pending" and followups[0].target_id == world.moderator
    )


async def _first_reply_recorded(tend: Tend, case_id: int) -> bool:
    async with tend.db.read() as session:
        case = await session.get(Case, case_id)
    return case is not None and case.first_reply_at is not None


async def test_a_member_is_refused_at_every_moderator_button(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member)
    case = await only_case(tend)
    card = card_of(tend, case)
    # Even where a member can reach the card (a queue opened too widely), every button refuses.
    sim.set_channel_overwrite(world.queue, world.member2, allow=VIEW_CHANNEL)
    for label, custom_id in buttons(card).items():
        refused = await sim.click_button(int(card["id"]), custom_id, world.member2)
        body = await refused.response()
        assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL, label
        assert "for this server's moderators" in body["data"]["content"], label
    assert (await only_case(tend)).status == "open" and (await only_case(tend)).holder_id is None
    assert world.member2 not in sim.thread_members(case.thread_id or 0)


async def test_a_second_support_points_to_the_open_thread_and_the_cooldown_holds(tend: Tend) -> None:
    world = tend.world
    await ask_for_support(tend, world.member)
    case = await only_case(tend)
    again = await (await tend.slash(world.member, "support")).response()
    assert again["type"] == 4 and f"<#{case.thread_id}>" in again["data"]["content"]

    # A form opened now and sent after the thread closed: the case must not be lost or doubled.
    form = await tend.slash(world.member2, "support")
    assert (await form.response())["type"] == 9

    # The member closes it; asking again at once meets the cooldown (10 minutes by default)
    # before the form, so nobody writes their story only to be turned away; resources come too.
    welcome = tend.sim.channel_messages(case.thread_id or 0)[0]
    closing = await tend.sim.click_button(
        int(welcome["id"]), buttons(welcome)["Close this thread"], world.member
    )
    await closing.wait_followup()
    await tend.settle()
    assert (await only_case(tend)).outcome == "member_closed"
    refused = await (await tend.slash(world.member, "support")).answer()
    assert "in about 10 min" in refused["content"] and "carry on there" not in refused["content"]
    assert refused["embeds"][0]["title"] == "If you need something right now"

    # The earlier form, sent by the member (as when the quick look before the form was too slow),
    # meets the cooldown at submit: refused the same way, and their words come back.
    sent = await tend.sim.submit_modal(form, world.member, {"story": "the words I wrote"})
    await sent.wait_followup(n=2)
    assert "in about 10 min" in sent.followups[0]["content"]
    assert "the words I wrote" in sent.followups[1]["content"]
    async with tend.db.read() as session:
        assert len((await session.scalars(select(Case))).all()) == 1


async def test_thread_creation_refused_keeps_the_case_and_tells_everyone(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    sim.inject_failure("POST", "/channels/{channel_id}/threads", status=403, code=50013, times=1)
    submitted = await ask_for_support(tend, world.member, "please help")
    case = await only_case(tend)
    assert case.thread_id is None and case.problem is not None
    answer = last_followup(submitted)["content"]
    assert "safe" in answer.lower() or "moderators" in answer.lower()
    card = card_of(tend, case)
    attention = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "⚠ Needs attention")
    assert "missing a permission" in attention
    # Once Discord allows it, the retry creates the thread and clears the warning.
    assert tend.bot is not None
    async with tend.db.transaction() as session:
        item = await session.scalar(select(ScheduledItem).where(ScheduledItem.kind == "support.setup"))
        assert item is not None and item.status == "pending"
        item.due_at = tend.bot.jobs.clock()
    await tend.bot.jobs.sweep()
    await tend.settle()
    fixed = await only_case(tend)
    assert fixed.thread_id is not None and fixed.problem is None
    assert len(sim.threads(world.support)) == 1
    shown = {f["name"]: f["value"] for f in card_of(tend, fixed)["embeds"][0]["fields"]}
    assert "⚠ Needs attention" not in shown and shown["Thread"] == f"<#{fixed.thread_id}>"


async def test_a_5xx_storm_then_the_thread_and_a_card_that_says_so(tend: Tend) -> None:
    """Discord fails thread creation for a while (retried beyond discord.py's own retries);
    once it works, the card stops saying it couldn't."""
    sim, world = tend.sim, tend.world
    sim.inject_failure("POST", "/channels/{channel_id}/threads", status=503, times=8)
    await ask_for_support(tend, world.member, "please help")
    case = await only_case(tend)
    assert case.thread_id is None and "Discord is busy" in (case.problem or "")
    assert tend.bot is not None
    while (await only_case(tend)).thread_id is None:
        async with tend.db.transaction() as session:
            item = await session.scalar(
                select(ScheduledItem).where(
                    ScheduledItem.kind == "support.setup", ScheduledItem.status == "pending"
                )
            )
            assert item is not None
            item.due_at = tend.bot.jobs.clock()
        await tend.bot.jobs.sweep()
        await tend.settle()
    fixed = await only_case(tend)
    shown = {f["name"]: f["value"] for f in card_of(tend, fixed)["embeds"][0]["fields"]}
    assert "⚠ Needs attention" not in shown and fixed.problem is None
    assert len(sim.threads(world.support)) == 1


async def test_a_crash_after_discord_made_the_thread_adopts_it(
    tend: Tend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Discord created the thread and Tend welcomed the member, then died before storing it:
    the item's short inline lease runs out, and the retry finds the thread it made (threads carry
    no nonce) instead of making a second one, and doesn't welcome twice."""
    sim, world = tend.sim, tend.world
    assert tend.bot is not None
    cases = tend.bot.cases

    def crash(case_id: int, thread_id: int | None) -> Finish:
        async def record(session: AsyncSession) -> None:
            raise RuntimeError("the process died here")

        return record

    monkeypatch.setattr(cases, "thread_ready", crash)
    await ask_for_support(tend, world.member, "please help")
    assert len(sim.threads(world.support)) == 1 and (await only_case(tend)).thread_id is None
    await tend.restart()
    assert tend.bot is not None
    async with tend.db.read() as session:
        setup = await session.scalar(select(ScheduledItem).where(ScheduledItem.kind == "support.setup"))
    assert setup is not None and setup.status == "running"  # claimed by the process that died
    tend.clock.advance(INLINE_GRACE + timedelta(seconds=1))
    await tend.bot.jobs.sweep()
    await tend.settle()
    case = await only_case(tend)
    [thread] = sim.threads(world.support)
    assert case.thread_id == int(thread["id"]) and world.member in sim.thread_members(int(thread["id"]))
    assert len(sim.channel_messages(int(thread["id"]))) == 1  # one welcome


async def test_buttons_and_forms_work_after_a_restart(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member, "before the restart")
    case = await only_case(tend)
    # The member opens the form, the bot restarts while they type, then they submit.
    opened = await tend.slash(world.member2, "support")
    await opened.response()
    await tend.restart()
    submitted = await sim.submit_modal(opened, world.member2, {"story": "written during a restart"})
    await submitted.wait_followup()
    await tend.settle()
    card = card_of(tend, case)
    claim = await sim.click_button(int(card["id"]), buttons(card)["Claim"], world.moderator)
    await claim.wait_followup()
    assert last_followup(claim)["embeds"][0]["title"] == "Your first reply in a support thread"
    async with tend.db.read() as session:
        cases = (await session.scalars(select(Case).order_by(Case.number))).all()
    assert [c.status for c in cases] == ["claimed", "open"]
    assert cases[1].body == "written during a restart"


async def test_hand_off_to_another_moderator_only(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member)
    case = await only_case(tend)
    card = card_of(tend, case)
    picker = await sim.click_button(int(card["id"]), buttons(card)["Hand off"], world.moderator)
    assert (await picker.response())["type"] == 5  # deferred first: it reads the database
    chooser = await picker.wait_followup()
    assert chooser["flags"] & EPHEMERAL and chooser["embeds"][0]["title"]  # the hand-off prompt
    message_id = int(chooser["id"])
    select_id = chooser["components"][0]["components"][0]["custom_id"]
    wrong = await sim.select(message_id, select_id, world.moderator, [world.member2])
    assert "isn't one of this server's moderators" in (await wrong.response())["data"]["content"]
    right = await sim.select(message_id, select_id, world.moderator, [world.moderator2])
    await right.wait_followup()
    await tend.settle()
    handed = await only_case(tend)
    assert handed.holder_id == world.moderator2
    assert world.moderator2 in sim.thread_members(handed.thread_id or 0)
    notice = sim.channel_messages(handed.staff_thread_id or 0)[-1]
    assert f"<@{world.moderator2}>" in notice["content"]
    assert notice["allowed_mentions"] == {"parse": [], "users": [world.moderator2]}


async def test_member_leaving_is_recorded_and_the_holder_told(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member)
    case = await only_case(tend)
    card = card_of(tend, case)
    claim = await sim.click_button(int(card["id"]), buttons(card)["Claim"], world.moderator)
    await claim.wait_followup()
    sim.remove_member(world.guild, world.member)
    await sim.wait_for(lambda: _member_left(tend), timeout=5)

    def told() -> bool:
        # The first thing Tend tells the team about this case opens its notes thread on the card.
        notes = [t for t in sim.threads(world.queue) if t["name"] == "support-0001 · team notes"]
        return len(notes) == 1 and any(
            "has left the server" in m["content"] and f"<@{world.moderator}>" in m["content"]
            for m in sim.channel_messages(int(notes[0]["id"]))
        )

    await sim.wait_for(told, timeout=5)
    await tend.settle()
    left = await only_case(tend)
    assert left.staff_thread_id == left.card_message_id  # the thread on the card, stored
    member_field = next(
        f["value"] for f in card_of(tend, left)["embeds"][0]["fields"] if f["name"] == "Member"
    )
    assert "has left the server" in member_field


async def _member_left(tend: Tend) -> bool:
    async with tend.db.read() as session:
        case = await session.scalar(select(Case))
    return case is not None and case.member_left_at is not None


async def test_fifty_members_asking_at_once_get_fifty_distinct_numbers(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    members = [sim.add_user(f"member-{i}") for i in range(50)]
    for user in members:
        sim.add_member(world.guild, user)
    opened = await asyncio.gather(*(tend.slash(user, "support") for user in members))
    await asyncio.gather(*(h.response() for h in opened))
    submitted = await asyncio.gather(
        *(
            sim.submit_modal(h, user, {"story": f"story {i}"})
            for i, (h, user) in enumerate(zip(opened, members, strict=True))
        )
    )
    await asyncio.gather(*(h.wait_followup(timeout=30) for h in submitted))
    await tend.settle()
    async with tend.db.read() as session:
        numbers = sorted((await session.scalars(select(Case.number))).all())
    assert numbers == list(range(1, 51))
    assert len({t["name"] for t in sim.threads(world.support)}) == 50
    assert not sim.deadline_misses


async def make_due(tend: Tend, kind: str) -> None:
    """Bring a scheduled item's time forward to now, as if the clock had run on."""
    assert tend.bot is not None
    async with tend.db.transaction() as session:
        item = await session.scalar(
            select(ScheduledItem).where(ScheduledItem.kind == kind, ScheduledItem.status == "pending")
        )
        assert item is not None, f"no pending {kind}"
        item.due_at = tend.bot.jobs.clock()
    await tend.bot.jobs.sweep()
    await tend.settle()


async def test_no_moderator_reply_nudges_the_queue_once(tend: Tend) -> None:
    await ask_for_support(tend, tend.world.member)
    case = await only_case(tend)
    await make_due(tend, "support.nudge")
    nudges = [
        m for m in tend.sim.channel_messages(tend.world.queue) if "without a moderator reply" in m["content"]
    ]
    assert len(nudges) == 1 and nudges[0]["message_reference"]["message_id"] == str(case.card_message_id)
    async with tend.db.read() as session:
        assert (
            await session.scalar(
                select(ScheduledItem).where(
                    ScheduledItem.kind == "support.nudge", ScheduledItem.status == "pending"
                )
            )
            is None
        )


async def test_a_quiet_member_is_asked_before_anything_closes(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member)
    case = await only_case(tend)
    assert tend.bot is not None
    # Pretend the member last wrote four days ago.
    async with tend.db.transaction() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.member_active_at = tend.bot.jobs.clock() - timedelta(days=4)
    await make_due(tend, "support.silence")
    question = sim.channel_messages(case.thread_id or 0)[-1]
    assert set(buttons(question)) == {"Keep it open", "You can close it"}
    assert (await only_case(tend)).status == "open"  # never closed silently
    keep = await sim.click_button(int(question["id"]), buttons(question)["Keep it open"], world.member)
    await keep.wait_followup()
    async with tend.db.read() as session:
        pending = (
            await session.scalars(
                select(ScheduledItem).where(
                    ScheduledItem.kind == "support.silence", ScheduledItem.status == "pending"
                )
            )
        ).all()
    assert len(pending) == 1 and pending[0].due_at > tend.bot.jobs.clock() + timedelta(days=2)


async def test_add_me_joins_the_thread_without_taking_the_case(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member)
    case = await only_case(tend)
    card = card_of(tend, case)
    claim = await sim.click_button(int(card["id"]), buttons(card)["Claim"], world.moderator)
    await claim.wait_followup()
    join = await sim.click_button(int(card["id"]), buttons(card)["Add me"], world.moderator2)
    await join.wait_followup()
    assert (
        last_followup(join)["flags"] & EPHEMERAL and "stays with its holder" in last_followup(join)["content"]
    )
    assert world.moderator2 in sim.thread_members(case.thread_id or 0)
    assert (await only_case(tend)).holder_id == world.moderator


async def test_from_submit_to_settled_is_three_writes_and_the_welcome_is_kept_once(tend: Tend) -> None:
    """The case with its items; the thread, the card's refresh and the welcome's record; the card.
    (scripts/bench counts the same under load.) The welcome's gateway copy costs no write."""
    from sqlalchemy import event

    from models import CaseMessage

    sim, world = tend.sim, tend.world
    bot = tend.bot
    assert bot is not None
    await bot.services.locales.remember(world.member, sim.world.users[world.member].locale)
    writes = [0]

    def statement(connection: object, _c: object, sql: str, *_: object) -> None:
        if sql.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            connection.info["wrote"] = True  # type: ignore[attr-defined]

    def commit(connection: object) -> None:
        writes[0] += bool(connection.info.pop("wrote", False))  # type: ignore[attr-defined]

    engine = tend.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        opened = await tend.slash(world.member, "support")
        await opened.response()
        submitted = await sim.submit_modal(opened, world.member, {"story": "a hard week"})
        await submitted.wait_followup()
        await tend.settle()
        assert writes[0] == 3
        case = await only_case(tend)
        # The member's first words, heard after the welcome's copy.
        await sim.send_message(case.thread_id or 0, world.member, "hello")

        async def kept() -> list[int]:
            async with tend.db.read() as session:
                rows = await session.scalars(
                    select(CaseMessage.author_id)
                    .where(CaseMessage.case_id == case.id)
                    .order_by(CaseMessage.id)
                )
                return list(rows)

        async def heard() -> bool:
            return len(await kept()) == 2 and writes[0] >= 5

        # Two writes for it (its record, and that the member is still talking), after the
        # welcome's copy, which is dispatched first and would have written by now.
        await sim.wait_for(heard, timeout=20)
        assert await kept() == [bot.user.id if bot.user else 0, world.member]
        assert writes[0] == 5
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)
