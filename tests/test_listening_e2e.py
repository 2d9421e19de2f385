"""Listening, distress watch, reflection and learning, end to end through the real bot."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.followups.service import FOLLOWUP_DUE
from bot.domain.guidance import PromptLibrary
from models import FollowUp, Reflection, ScheduledItem

from .databases import raw_value
from .flows import EPHEMERAL, buttons, cases, last_followup
from .simulator import DiscordSimulator, InteractionHandle
from .tend import MANAGE_MESSAGES, Tend, build_world, running_tend

WATCHED = {"features": {"distress_watch": True}}


async def listening_prompt(tend: Tend, user: int, message_id: int) -> InteractionHandle:
    return await tend.sim.invoke_message_command(
        tend.world.guild, tend.world.general, user, "Listening prompt", message_id
    )


async def test_listening_prompt_for_moderators_with_its_buttons(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    said = await sim.send_message(world.general, world.member, "honestly this week has been a lot")
    handle = await listening_prompt(tend, world.moderator, int(said["id"]))
    body = await handle.response()
    assert body["data"]["flags"] & EPHEMERAL
    embed = body["data"]["embeds"][0]
    assert embed["title"] == PromptLibrary.for_guild().prompt("listening").title
    assert "honestly this week has been a lot" in embed["fields"][0]["value"]
    prompt_message = await handle.original()
    assert set(buttons(prompt_message)) == {
        "Open a support thread with them",
        "Share resources privately",
        "Remind me to check in",
    }

    shared = await sim.click_button(
        int(prompt_message["id"]), buttons(prompt_message)["Share resources privately"], world.moderator
    )
    await shared.wait_followup()
    dm = sim.dm_messages(world.member)[-1]
    assert dm["embeds"][0]["title"] == "Resources" and "mod-ash" not in dm["content"]

    reach = await sim.click_button(
        int(prompt_message["id"]), buttons(prompt_message)["Open a support thread with them"], world.moderator
    )
    await reach.wait_followup()
    await tend.settle()
    (case,) = await cases(tend, "support")
    assert case.member_id == world.member and case.holder_id == world.moderator and case.status == "claimed"
    assert set(sim.thread_members(case.thread_id or 0)) >= {world.member, world.moderator}
    welcome = sim.channel_messages(case.thread_id or 0)[0]["content"]
    assert "you're not in trouble" in welcome and f"<@{world.moderator}>" in welcome


async def test_members_are_refused_the_listening_prompt(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    # Even with Manage Messages (an owner may widen the command), a non-moderator is refused by Tend.
    helpers = sim.add_role(world.guild, "Helpers", permissions=MANAGE_MESSAGES)
    sim.set_member_roles(world.guild, world.member2, [helpers])
    said = await sim.send_message(world.general, world.member, "rough day")
    body = await (await listening_prompt(tend, world.member2, int(said["id"]))).response()
    assert body["data"]["flags"] & EPHEMERAL and "for this server's moderators" in body["data"]["content"]


async def watched_tend(sim: DiscordSimulator, database_url: str, tmp_path: Path, **extra: Any):  # type: ignore[no-untyped-def]
    world = build_world(sim)
    listening = {
        "distress_channels": [world.general],
        "member_cooldown_hours": 12,
        "channel_cards_per_hour": 2,
    }
    return running_tend(
        sim,
        database_url,
        tmp_path,
        world=world,
        bot={"message_content_intent": True},
        listening=listening,
        **WATCHED,
        **extra,
    )


async def test_a_distress_message_makes_exactly_one_quiet_card(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with await watched_tend(discord_sim, database_url, tmp_path) as tend:
        sim, world = tend.sim, tend.world
        said = await sim.send_message(
            world.general, world.member, "I can't do this anymore, I just want to die"
        )
        await sim.wait_for(lambda: _has_cases(tend, "distress", 1))
        await tend.settle()
        (case,) = await cases(tend, "distress")
        assert case.topic == "crisis" and case.member_id == world.member
        card = sim.message(case.card_message_id or 0)
        assert int(card["channel_id"]) == world.queue
        text = " ".join(
            [card["embeds"][0]["description"], *(f["value"] for f in card["embeds"][0]["fields"])]
        )
        assert said["id"] in text and "want to die" not in text  # a link, never a copy
        assert set(buttons(card)) >= {"I'll reach out", "Open a support thread", "Not needed"}
        # Never a public reply: the only message in the channel is the member's own.
        assert [m["id"] for m in sim.channel_messages(world.general)] == [said["id"]]
        # The same member again soon: no second card.
        await sim.send_message(world.general, world.member, "i want to die")
        await sim.send_message(world.general, world.member2, "this boss fight is killing me lol")
        await tend.settle()
        assert len(await cases(tend, "distress")) == 1

        not_needed = await sim.click_button(int(card["id"]), buttons(card)["Not needed"], world.moderator)
        await not_needed.wait_followup()
        await tend.settle()
        closed = (await cases(tend, "distress"))[0]
        assert closed.status == "dismissed" and closed.outcome == "not_needed"


async def _has_cases(tend: Tend, kind: str, count: int) -> bool:
    """At least ``count`` cases of ``kind``, each with its card posted."""
    found = await cases(tend, kind)
    return len(found) >= count and all(c.card_message_id for c in found)


async def test_the_channel_rate_limit_and_unwatched_channels(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with await watched_tend(discord_sim, database_url, tmp_path) as tend:
        sim, world = tend.sim, tend.world
        others = [sim.add_user(f"m{i}") for i in range(3)]
        for user in others:
            sim.add_member(world.guild, user)
        await sim.send_message(world.support, world.member, "i want to die")  # not a watched channel
        for user in others:
            await sim.send_message(world.general, user, "im so overwhelmed with everything")
        await sim.wait_for(lambda: _has_cases(tend, "distress", 2))
        await tend.settle()
        distress = await cases(tend, "distress")
        assert len(distress) == 2  # channel_cards_per_hour = 2
        assert world.member not in {c.member_id for c in distress}

        # The cap is counted in the database: a restart doesn't reset it within the hour...
        await tend.restart()
        late = sim.add_user("late")
        sim.add_member(world.guild, late)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="bot.domain.cases.distress"):
            await sim.send_message(world.general, late, "im so overwhelmed with everything")
            await sim.wait_for(lambda: "channel limit reached" in caplog.text)
        await tend.settle()
        assert len(await cases(tend, "distress")) == 2
        # ...and an hour later the channel may have cards again.
        tend.clock.advance(hours=1, minutes=1)
        await sim.send_message(world.general, late, "im so overwhelmed with everything")
        await sim.wait_for(lambda: _has_cases(tend, "distress", 3))


async def test_no_watch_without_the_message_content_intent(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    world = build_world(discord_sim)
    listening = {"distress_channels": [world.general]}
    # The intent is on by default (case transcripts need it): an owner who turns it off.
    async with running_tend(
        discord_sim,
        database_url,
        tmp_path,
        world=world,
        listening=listening,
        bot={"message_content_intent": False},
        **WATCHED,
    ) as tend:
        await discord_sim.send_message(world.general, world.member, "i want to die")
        about = await (await tend.slash(world.member, "tend", subcommand="about")).response()
        on = next(
            f["value"] for f in about["data"]["embeds"][0]["fields"] if f["name"] == "On in this server"
        )
        assert "message content intent is off" in on
        await tend.settle()
        assert await cases(tend, "distress") == []


async def test_reflection_after_close_is_private_and_deletable(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    opened = await tend.slash(world.member, "support")
    await opened.response()
    submitted = await sim.submit_modal(opened, world.member, {"story": "a hard week"})
    await submitted.wait_followup()
    await tend.settle()
    (case,) = await cases(tend, "support")
    card = sim.message(case.card_message_id or 0)
    claim = await sim.click_button(int(card["id"]), buttons(card)["Claim"], world.moderator)
    await claim.wait_followup()
    close = await sim.click_button(int(card["id"]), buttons(card)["Close"], world.moderator)
    await close.response()
    done = await sim.submit_modal(
        close, world.moderator, {"reason": ["resolved"], "followup": ["0"], "survey": ["no"]}
    )
    await done.wait_followup(n=2)
    reflection_message = done.followups[-1]
    assert reflection_message["flags"] & EPHEMERAL and reflection_message["embeds"][0]["title"].startswith(
        "A moment to reflect"
    )
    questions = reflection_message["embeds"][0]["description"].count("• ")
    assert 2 <= questions <= 3

    write = await sim.click_button(
        int(reflection_message["id"]),
        buttons(reflection_message)["Write a private reflection"],
        world.moderator,
    )
    assert (await write.response())["type"] == 9
    saved = await sim.submit_modal(
        write, world.moderator, {"text": "I rushed the first reply.", "follow": ["none"]}
    )
    await saved.wait_followup()
    async with tend.db.read() as session:
        (row,) = (await session.scalars(select(Reflection))).all()
        raw = await raw_value(session, "reflections", "text_enc", row.id)
    assert row.author_id == world.moderator and row.text == "I rushed the first reply."
    assert raw is not None and b"rushed" not in raw  # encrypted at rest

    mine = await tend.slash(world.moderator, "reflections")
    await mine.wait_followup()
    listing = last_followup(mine)
    assert "I rushed the first reply." in listing["embeds"][0]["fields"][0]["value"]
    theirs = await tend.slash(world.moderator2, "reflections")
    await theirs.wait_followup()
    assert "haven't written any" in last_followup(theirs)["content"]

    select_id = listing["components"][0]["components"][0]["custom_id"]
    deleted = await sim.select(int(listing["id"]), select_id, world.moderator, [str(row.id)])
    await deleted.wait_followup()
    assert "Deleted" in last_followup(deleted)["content"]
    async with tend.db.read() as session:
        assert (await session.scalars(select(Reflection))).all() == []


async def test_learn_every_topic(tend: Tend) -> None:
    topics = PromptLibrary.for_guild().learning_topics()
    assert {key for key, _ in topics} >= {
        "active_listening",
        "empathy_compassion",
        "microaggressions",
        "privilege",
        "oppression",
        "de_escalation",
        "code_of_conduct",
        "self_care",
    }
    for key, title in topics:
        body = await (await tend.slash(tend.world.member, "learn", topic=key)).response()
        embed = body["data"]["embeds"][0]
        assert body["data"]["flags"] & EPHEMERAL and embed["title"] == title
        assert {f["name"] for f in embed["fields"]} >= {
            "In a community like this one",
            "Try this",
            "To sit with",
        }
    listing = await (await tend.slash(tend.world.member, "learn")).response()
    assert all(f"`{key}`" in listing["data"]["embeds"][0]["description"] for key, _ in topics)
    choices = await tend.sim.autocomplete(
        tend.world.guild, tend.world.general, tend.world.member, "learn", focused="topic", value="micro"
    )
    assert choices == [{"name": dict(topics)["microaggressions"], "value": "microaggressions"}]


async def test_toml_overrides_replace_the_defaults(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    prompts = {"listening": {"title": "Our way of listening", "intro": "Slow down first."}}
    async with running_tend(discord_sim, database_url, tmp_path, prompts=prompts) as tend:
        said = await discord_sim.send_message(tend.world.general, tend.world.member, "hello")
        embed = (await (await listening_prompt(tend, tend.world.moderator, int(said["id"]))).response())[
            "data"
        ]["embeds"][0]
        assert embed["title"] == "Our way of listening" and "Slow down first." in embed["description"]
        assert (
            PromptLibrary.for_guild().prompt("listening").next_action in embed["description"]
        )  # the rest stays


async def test_load_suggestion_on_new_cards_and_a_break_for_the_moderator(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with running_tend(
        discord_sim, database_url, tmp_path, listening={"max_open_per_moderator": 1}
    ) as tend:
        sim, world = tend.sim, tend.world
        handles = []
        for member in (world.member, world.member2):
            opened = await tend.slash(member, "support")
            await opened.response()
            handles.append(await sim.submit_modal(opened, member, {"story": "need to talk"}))
            await handles[-1].wait_followup()
            await tend.settle()
        first, second = await cases(tend, "support")
        claim = await sim.click_button(first.card_message_id or 0, f"case:{first.id}:claim", world.moderator)
        await claim.wait_followup()
        claim2 = await sim.click_button(
            second.card_message_id or 0, f"case:{second.id}:claim", world.moderator
        )
        await claim2.wait_followup(n=2)
        assert any("holding 2 open cases" in (m.get("content") or "") for m in claim2.followups)
        # A new card now suggests someone else could take it.
        third_member = sim.add_user("newcomer")
        sim.add_member(world.guild, third_member)
        opened = await tend.slash(third_member, "support")
        await opened.response()
        await (await sim.submit_modal(opened, third_member, {"story": "hi"})).wait_followup()
        await tend.settle()
        third = (await cases(tend, "support"))[-1]
        card = sim.message(third.card_message_id or 0)
        team = next(f["value"] for f in card["embeds"][0]["fields"] if f["name"] == "⚖ Team load")
        assert f"<@{world.moderator}> (2)" in team


async def test_remind_me_to_check_in_stores_a_followup_that_fires(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    said = await sim.send_message(world.general, world.member, "not sure I can keep going with school")
    handle = await listening_prompt(tend, world.moderator, int(said["id"]))
    await handle.response()
    prompt_message = await handle.original()
    remind = await sim.click_button(
        int(prompt_message["id"]), buttons(prompt_message)["Remind me to check in"], world.moderator
    )
    body = await remind.response()
    picker = await remind.original()
    select_id = body["data"]["components"][0]["components"][0]["custom_id"]
    chosen = await sim.select(int(picker["id"]), select_id, world.moderator, ["3"])
    await chosen.wait_followup()
    assert "remind you" in last_followup(chosen)["content"]
    assert tend.bot is not None
    async with tend.db.transaction() as session:
        followup = await session.scalar(select(FollowUp))
        assert (
            followup is not None
            and followup.owner_id == world.moderator
            and followup.member_id == world.member
        )
        # The note is kept sealed on the follow-up, not in a job payload.
        assert followup.note is not None
        assert await raw_value(session, "follow_ups", "note_enc", followup.id) not in (
            None,
            followup.note.encode(),
        )
        item = await session.scalar(
            select(ScheduledItem).where(
                ScheduledItem.kind == FOLLOWUP_DUE.name, ScheduledItem.status == "pending"
            )
        )
        assert item is not None and item.due_at > tend.bot.jobs.clock() + timedelta(days=2)
        item.due_at = tend.bot.jobs.clock()  # three days pass
    await tend.bot.jobs.sweep()
    await tend.settle()
    reminder = sim.channel_messages(world.queue)[-1]
    assert f"<@{world.moderator}>" in reminder["content"] and f"<@{world.member}>" in reminder["content"]
    assert reminder["allowed_mentions"] == {"parse": [], "users": [world.moderator]}
    assert {"Done", "Snooze 1 h"} <= set(buttons(reminder))


async def test_distress_card_actions_reach_out_and_close(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with await watched_tend(discord_sim, database_url, tmp_path) as tend:
        sim, world = tend.sim, tend.world
        await sim.send_message(world.general, world.member, "im so overwhelmed with everything")
        await sim.send_message(world.general, world.member2, "i feel so alone, nobody cares about me")
        await sim.wait_for(lambda: _has_cases(tend, "distress", 2))
        # The two messages are handled concurrently: find each case by its member, not by order.
        by_member = {c.member_id: c for c in await cases(tend, "distress")}
        first, second = by_member[world.member], by_member[world.member2]

        card = sim.message(first.card_message_id or 0)
        claim = await sim.click_button(int(card["id"]), buttons(card)["I'll reach out"], world.moderator)
        await claim.wait_followup()
        guidance = last_followup(claim)
        assert guidance["flags"] & EPHEMERAL
        assert (
            guidance["embeds"][0]["title"]
            == PromptLibrary.for_guild().distress_prompt(first.topic or "").title
        )
        card = sim.message(first.card_message_id or 0)
        reach = await sim.click_button(
            int(card["id"]), buttons(card)["Open a support thread"], world.moderator
        )
        await reach.wait_followup()
        await tend.settle()
        (support,) = await cases(tend, "support")
        assert support.member_id == world.member and support.holder_id == world.moderator
        assert set(sim.thread_members(support.thread_id or 0)) >= {world.member, world.moderator}
        closed = {c.id: c for c in await cases(tend, "distress")}[first.id]
        assert closed.status == "closed" and closed.outcome == "reached_out"
        assert buttons(sim.message(first.card_message_id or 0)) == {}

        card2 = sim.message(second.card_message_id or 0)
        done = await sim.click_button(int(card2["id"]), buttons(card2)["I reached out"], world.moderator2)
        await done.wait_followup(n=2)
        assert done.followups[-1]["embeds"][0]["title"].startswith("A moment to reflect")
        assert {c.id: c for c in await cases(tend, "distress")}[second.id].outcome == "reached_out"


async def test_one_members_repeats_do_not_crowd_out_anothers_card(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with await watched_tend(discord_sim, database_url, tmp_path) as tend:  # channel cap: 2 an hour
        sim, world = tend.sim, tend.world
        for _ in range(4):  # held back by the member's own cooldown after the first
            await sim.send_message(world.general, world.member, "i want to die")
        await sim.wait_for(lambda: _has_cases(tend, "distress", 1))
        await tend.settle()
        await sim.send_message(world.general, world.member2, "im so overwhelmed with everything")
        await sim.wait_for(lambda: _has_cases(tend, "distress", 2))
        assert {c.member_id for c in await cases(tend, "distress")} == {world.member, world.member2}
