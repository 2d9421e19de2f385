"""DMs to Tend, end to end: a member writes to Tend and reaches the moderators; the relay
between a case thread and the member's DMs, both ways, through closed DMs and a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.jobs import Finish
from models import Case, DirectMessage, DmRelay, ScheduledItem

from .flows import EPHEMERAL, buttons, cases, fire_due, only_case
from .simulator import DiscordSimulator
from .tend import MANAGE_MESSAGES, Tend, guild_table, running_tend


@pytest.fixture
async def tend(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path) -> AsyncIterator[Tend]:
    """Tend with the Message Content intent (moderators' words are relayed)."""
    async with running_tend(
        discord_sim, database_url, tmp_path, bot={"message_content_intent": True}
    ) as running:
        yield running


async def write_to_tend(tend: Tend, user: int, text: str, **kwargs: Any) -> dict[str, Any]:
    """The member DMs Tend; returns Tend's answer (the last message in their DMs)."""
    sim = tend.sim
    channel = sim.world.dm_channel(user).id
    before = len(sim.dm_messages(user))
    sent = await sim.send_message(channel, user, text, **kwargs)
    await sim.wait_for(lambda: len(sim.dm_messages(user)) > before + 1)
    await tend.settle()
    answer = sim.dm_messages(user)[-1]
    assert answer["author"]["id"] != str(user), answer
    answer["_sent"] = sent
    return answer


async def arrives(tend: Tend, channel: int, count: int) -> list[dict[str, Any]]:
    """Wait until ``channel`` holds more than ``count`` messages (gateway events are asynchronous)."""
    await tend.sim.wait_for(lambda: len(tend.sim.channel_messages(channel)) > count)
    await tend.settle()
    return tend.sim.channel_messages(channel)


async def press(tend: Tend, message: dict[str, Any], label: str, user: int) -> dict[str, Any]:
    handle = await tend.sim.click_button(int(message["id"]), buttons(message)[label], user)
    answer = await handle.wait_followup()
    await tend.settle()
    return answer


async def rows(tend: Tend) -> list[DirectMessage]:
    async with tend.db.read() as session:
        return list((await session.scalars(select(DirectMessage).order_by(DirectMessage.id))).all())


async def test_a_dm_opens_the_same_support_case_with_the_words_as_its_story(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    answer = await write_to_tend(tend, world.member, "I don't feel safe in voice chat @everyone")
    # Kept, sealed, before anything was said back; crisis resources come with the answer.
    [kept] = await rows(tend)
    assert kept.status == "waiting" and kept.body == "I don't feel safe in voice chat @everyone"
    assert "Haven" in answer["content"] and "Crisis lines" in answer["embeds"][0]["description"]
    assert set(buttons(answer)) == {"Talk to the moderators", "Keep talking here in DMs"}

    # A second message before pressing: kept with the first, a short answer.
    more = await write_to_tend(tend, world.member, "it happened again last night")
    assert "kept that together" in more["content"] and not more["embeds"]

    opened = await press(tend, answer, "Talk to the moderators", world.member)
    case = await only_case(tend)
    assert case.kind == "support" and case.member_id == world.member and case.thread_id is not None
    assert case.body == "I don't feel safe in voice chat @everyone\n\nit happened again last night"
    assert f"<#{case.thread_id}>" in opened["content"] and opened["flags"] & EPHEMERAL
    assert world.member in sim.thread_members(case.thread_id)
    welcome = sim.channel_messages(case.thread_id)[0]
    assert "@\u200beveryone" in welcome["embeds"][0]["description"]  # their words, inert
    assert case.card_message_id is not None  # the same card in the queue
    # The words live on the case now; the kept rows hold none.
    assert all(r.status == "story" and r.body is None and r.case_id == case.id for r in await rows(tend))

    # Pressing again (a lasting button) points to the open case, and a new DM is passed on.
    await write_to_tend(tend, world.member, "one more thing")
    again = await press(tend, answer, "Talk to the moderators", world.member)
    assert f"<#{case.thread_id}>" in again["content"]
    await tend.settle()
    assert "one more thing" in sim.channel_messages(case.thread_id)[-1]["content"]
    assert len(await cases(tend)) == 1


async def test_a_member_sharing_two_servers_picks_one(discord_sim: DiscordSimulator, tmp_path: Path) -> None:
    from .databases import database_url_for
    from .tend import build_world

    sim = discord_sim
    world = build_world(sim)
    other = sim.add_guild("Elsewhere")
    role = sim.add_role(other, "B moderators", permissions=MANAGE_MESSAGES)
    queue, support = sim.add_channel(other, "queue"), sim.add_channel(other, "support")
    sim.add_member(other, world.member)
    table = guild_table(world, id=other, name="Elsewhere", moderator_roles=[role])
    table["channels"] = {"queue": queue, "support": support}
    table["resources"] = [{"topic": "crisis", "name": "Elsewhere's helpline", "description": "Call."}]
    url = await database_url_for("sqlite", tmp_path)
    async with running_tend(sim, url, tmp_path, world=world, extra_guilds=[table]) as tend:
        answer = await write_to_tend(tend, world.member, "something happened in Elsewhere")
        assert "pick whose moderators" in answer["content"]
        resources = " ".join(e["description"] for e in answer["embeds"])
        assert "Crisis lines" in resources and "Elsewhere's helpline" in resources
        assert {r.guild_id for r in await rows(tend)} == {world.guild, other}  # kept for each
        picker = buttons(answer)["Which server's moderators?"]
        picked = await sim.select(int(answer["id"]), picker, world.member, [str(other)])
        assert (await picked.response())["type"] == 6  # answered at once; the message is redrawn
        await sim.wait_for(lambda: "You chose" in sim.message(int(answer["id"]))["content"])
        chosen = sim.message(int(answer["id"]))
        assert "Elsewhere" in chosen["content"] and "Talk to the moderators" in buttons(chosen)
        await press(tend, chosen, "Talk to the moderators", world.member)
        case = await only_case(tend)
        assert case.guild_id == other and case.body == "something happened in Elsewhere"
        assert [r.guild_id for r in await rows(tend)] == [other]  # Haven's copy is gone

        # A forged pick of a server whose copy isn't theirs is refused kindly.
        stranger = sim.add_user("stranger")
        sim.add_member(world.guild, stranger)
        forged = await sim.forge_component(
            None, None, stranger, picker, component_type=3, values=[str(world.guild)]
        )
        refusal = await forged.answer(timeout=3)
        assert refusal["flags"] & EPHEMERAL and "can't find anything of yours" in refusal["content"]


async def test_a_long_story_reaches_the_thread_whole(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    parts = [f"part {n} " + "x" * 1890 for n in (1, 2, 3)]
    answer = await write_to_tend(tend, world.member, parts[0])
    for part in parts[1:]:
        await write_to_tend(tend, world.member, part)
    await press(tend, answer, "Talk to the moderators", world.member)
    await fire_due(tend, "dm.relay_in")
    case = await only_case(tend)
    assert case.body == parts[0]  # what fits the welcome is the story
    said = "".join(m["content"] for m in sim.channel_messages(case.thread_id or 0))
    assert "part 2" in said and "part 3" in said and said.count("x") == 2 * 1890  # every word


async def test_forged_dm_buttons_are_refused_kindly(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    answer = await write_to_tend(tend, world.member, "please help")
    [kept] = await rows(tend)
    # Someone else pressing the member's button (a forwarded or forged id), from their own DMs.
    forged = await sim.forge_component(None, None, world.member2, f"dm:{kept.id}:talk")
    refusal = await forged.answer(timeout=3)
    assert refusal["flags"] & EPHEMERAL and "can't find anything of yours" in refusal["content"]
    # The member, after leaving the server: Discord is asked, and says no.
    sim.remove_member(world.guild, world.member)
    left = await sim.click_button(int(answer["id"]), buttons(answer)["Talk to the moderators"], world.member)
    text = (await left.wait_followup())["content"]
    assert "don't seem to be a member" in text
    # Another person's case can't have its relay ended by them.
    ended = await sim.forge_component(None, None, world.member2, "dm:1:end")
    assert (await ended.answer(timeout=3))["flags"] & EPHEMERAL
    assert await cases(tend) == []


async def test_a_dm_from_someone_in_no_server_gives_the_words_back(tend: Tend) -> None:
    sim = tend.sim
    outsider = sim.add_user("outsider")
    answer = await write_to_tend(tend, outsider, "hello? is anyone there")
    assert "couldn't find one" in answer["content"] and "hello? is anyone there" in answer["content"]
    assert await rows(tend) == []


async def test_when_the_database_fails_the_member_gets_their_words_back(
    tend: Tend, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tend.bot is not None

    async def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database is down")

    monkeypatch.setattr(tend.bot.dms, "keep", broken)
    answer = await write_to_tend(tend, tend.world.member, "my words must not be lost")
    assert "couldn't keep that safe" in answer["content"] and "my words must not be lost" in answer["content"]


async def relay_case(tend: Tend) -> tuple[Case, dict[str, Any]]:
    world = tend.world
    answer = await write_to_tend(tend, world.member, "I was timed out and I don't understand why")
    await press(tend, answer, "Keep talking here in DMs", world.member)
    case = await only_case(tend)
    assert case.thread_id is not None
    started = tend.sim.dm_messages(world.member)[-1]
    assert "Stop talking by DM" in buttons(started)
    return case, started


async def test_relay_both_ways(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    case, started = await relay_case(tend)
    thread = case.thread_id or 0
    assert world.member not in sim.thread_members(thread)  # the thread is the team's side
    # The member writes: it appears in the thread, inert, attachments as links.
    dm = sim.world.dm_channel(world.member).id
    count = len(sim.channel_messages(thread))
    sent = await sim.send_message(
        dm, world.member, "thanks for listening @here <@&123>", attachments=[("photo.png", b"png")]
    )
    posted = (await arrives(tend, thread, count))[-1]
    await sim.wait_for(lambda: sim.message(int(sent["id"])).get("reactions"))  # ✅: it reached them
    assert "thanks for listening @\u200bhere" in posted["content"] and "photo.png" in posted["content"]
    assert posted["allowed_mentions"] == {"parse": []}
    # An edit is shown as an edit.
    await sim.edit_user_message(int(sent["id"]), "thanks for listening, truly")
    await sim.wait_for(lambda: "(edited)" in sim.message(int(posted["id"]))["content"])
    assert "truly" in sim.message(int(posted["id"]))["content"]
    # An edit that grows past one message (Nitro allows 4,000 characters) isn't cut: the rest follows.
    count = len(sim.channel_messages(thread))
    await sim.edit_user_message(int(sent["id"]), "thanks, " + "y" * 3000 + " THE END")
    await arrives(tend, thread, count)
    said = "".join(m["content"] for m in sim.channel_messages(thread))
    assert said.count("y") >= 3000 and "THE END" in said

    # A moderator answers in the thread: it reaches the member, from "the moderators of Haven".
    sim.join_thread(thread, world.moderator)
    count = len(sim.dm_messages(world.member))
    asked = await sim.send_message(
        thread, world.moderator, "We're here. What happened before the timeout? @everyone"
    )
    reply = (await arrives(tend, dm, count))[-1]
    assert "From the moderators of Haven" in reply["content"] and "What happened" in reply["content"]
    assert "mod-ash" not in reply["content"]
    assert reply["allowed_mentions"] == {"parse": []}  # relayed words never ping, even in a DM
    # The moderator's edit is shown as an edit in the member's DMs.
    await sim.edit_user_message(int(asked["id"]), "We're here. What happened, in your words?")
    await sim.wait_for(lambda: "(edited)" in sim.message(int(reply["id"]))["content"])
    assert "in your words" in sim.message(int(reply["id"]))["content"]
    # Nothing else is relayed: a bot's message, another thread, a non-moderator.
    before = len(sim.dm_messages(world.member))
    other = sim.add_thread(world.general, "chat", world.moderator)
    await sim.send_message(other, world.moderator, "unrelated")
    await tend.settle()
    assert len(sim.dm_messages(world.member)) == before

    # The member ends it with the button; the team is told.
    stop = await press(tend, started, "Stop talking by DM", world.member)
    assert "stopped passing messages" in stop["content"]
    assert "ended the DM conversation" in sim.channel_messages(thread)[-1]["content"]
    # Later they choose the thread after all: the lasting button adds them to it.
    offer = next(m for m in sim.dm_messages(world.member) if "Talk to the moderators" in buttons(m))
    joined = await press(tend, offer, "Talk to the moderators", world.member)
    assert f"<#{thread}>" in joined["content"] and world.member in sim.thread_members(thread)


async def test_closing_the_case_ends_the_relay_and_tells_the_member(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    case, _ = await relay_case(tend)
    assert tend.bot is not None
    await tend.bot.cases.claim(tend.actor(world.moderator), case.id)
    await tend.bot.cases.close_support(tend.actor(world.moderator), case.id, reason="resolved")
    await tend.settle()
    assert "closed your case support-0001" in sim.dm_messages(world.member)[-1]["content"]
    async with tend.db.read() as session:
        relay = await session.get(DmRelay, case.id)
    assert relay is not None and relay.ended_by == "closed"


async def test_a_timed_out_member_is_relayed(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    until = tend.clock() + timedelta(hours=1)
    sim.world.member(world.guild, world.member).communication_disabled_until = until.isoformat()
    answer = await write_to_tend(tend, world.member, "why was I timed out?")
    opened = await press(tend, answer, "Talk to the moderators", world.member)
    assert "timed out" in opened["content"]
    async with tend.db.read() as session:
        assert (await session.scalars(select(DmRelay))).one().ended_at is None


async def test_closed_dms_are_told_to_the_team_and_not_retried(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    case, _ = await relay_case(tend)
    thread = case.thread_id or 0
    sim.set_dms_closed(world.member)
    sim.join_thread(thread, world.moderator)
    count = len(sim.channel_messages(thread))
    await sim.send_message(thread, world.moderator, "Are you still there?")
    await sim.wait_for(lambda: len(sim.channel_messages(thread)) > count + 1)
    await tend.settle()
    note = sim.channel_messages(thread)[-1]
    assert "won't let me send them a DM" in note["content"]
    async with tend.db.read() as session:
        out = await session.scalar(select(DirectMessage).where(DirectMessage.direction == "out"))
        items = (
            await session.scalars(select(ScheduledItem).where(ScheduledItem.kind == "dm.relay_out"))
        ).all()
    assert out is not None and out.status == "undeliverable"
    assert [i.status for i in items] == ["done"]  # not retried forever


async def test_a_relay_survives_a_restart_and_is_delivered_once(
    tend: Tend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process dies after Discord took each relay but before Tend recorded it: after the
    restart the lease runs out, the relay runs again, and the nonce keeps it to one message."""
    sim, world = tend.sim, tend.world
    case, _ = await relay_case(tend)
    thread = case.thread_id or 0
    assert tend.bot is not None

    def crash(row_id: int, delivered_id: int | None) -> Finish:
        async def record(session: AsyncSession) -> None:
            raise RuntimeError("the process died here")

        return record

    monkeypatch.setattr(tend.bot.dms, "delivered", crash)
    dm = sim.world.dm_channel(world.member).id
    count = len(sim.channel_messages(thread))
    await sim.send_message(dm, world.member, "written just before a restart")
    await arrives(tend, thread, count)
    sim.join_thread(thread, world.moderator)
    count = len(sim.dm_messages(world.member))
    await sim.send_message(thread, world.moderator, "answered just before a restart")
    await arrives(tend, dm, count)
    monkeypatch.undo()
    await tend.restart()
    assert tend.bot is not None
    tend.clock.advance(timedelta(minutes=6))  # the dead process's lease runs out
    await tend.bot.jobs.sweep()
    await tend.settle()
    async with tend.db.read() as session:
        relayed = (await session.scalars(select(DirectMessage).where(DirectMessage.case_id == case.id))).all()
    assert {r.direction: r.status for r in relayed} == {"in": "relayed", "out": "relayed"}
    into_thread = [m for m in sim.channel_messages(thread) if "written just before" in m["content"]]
    to_member = [m for m in sim.dm_messages(world.member) if "answered just before" in m["content"]]
    assert len(into_thread) == 1 and len(to_member) == 1
    await tend.restart()  # a second restart sends nothing again
    await tend.bot.jobs.sweep()
    await tend.settle()
    assert len([m for m in sim.channel_messages(thread) if "written just before" in m["content"]]) == 1


async def test_a_relayed_member_is_not_asked_about_silence_in_a_thread_they_are_not_in(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    case, _ = await relay_case(tend)
    tend.clock.advance(timedelta(days=4))
    await fire_due(tend, "support.silence")
    said = [m["content"] for m in sim.channel_messages(case.thread_id or 0)]
    assert not any("quiet here" in text for text in said)
    assert world.member not in sim.thread_members(case.thread_id or 0)


def test_relayed_text_is_split_whole_and_stays_quoted() -> None:
    from cogs.dms._common import pieces

    quoted = "> " + "a" * 4000 + "\n> " + "b" * 100
    parts = pieces(quoted)
    assert all(len(p) <= 1800 and p.startswith("> ") for p in parts)
    assert "".join(p.replace("> ", "").replace("\n", "") for p in parts) == "a" * 4000 + "b" * 100


async def test_what_a_member_dmed_is_in_their_privacy_export_and_delete(tend: Tend) -> None:
    import json

    sim, world = tend.sim, tend.world
    await write_to_tend(tend, world.member, "words I wrote to Tend at night")
    handle = await tend.slash(world.member, "privacy")
    shown = await handle.original()
    assert "messages to Tend by DM): **1**" in shown["embeds"][0]["description"]
    export = await sim.click_button(int(shown["id"]), buttons(shown)["Export my data"], world.member)
    data = json.loads((await export.wait_followup())["attachments"][0]["data"])
    assert {"where": "direct_messages.body", "id": 1, "text": "words I wrote to Tend at night"} in data[
        "other_words_you_wrote"
    ]
    delete = await sim.click_button(
        int(shown["id"]), buttons(shown)["Delete what can be deleted…"], world.member
    )
    confirm = await delete.original()
    yes = await sim.click_button(int(confirm["id"]), buttons(confirm)["Yes, delete"], world.member)
    await yes.wait_followup()
    assert [r.body for r in await rows(tend)] == [None]


async def test_without_message_content_moderators_mention_tend_to_reach_the_member(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    sim = discord_sim
    # Message Content switched off (the default is on: transcripts need it)
    async with running_tend(sim, database_url, tmp_path, bot={"message_content_intent": False}) as tend:
        world = tend.world
        case, _ = await relay_case(tend)
        thread = case.thread_id or 0
        me = sim.world.bot_user_id
        assert f"mention <@{me}>" in sim.channel_messages(thread)[0]["content"]  # the team is told how
        sim.join_thread(thread, world.moderator)
        dm = sim.world.dm_channel(world.member).id
        count = len(sim.dm_messages(world.member))
        await sim.send_message(thread, world.moderator, "talking among ourselves")  # Discord blanks it
        await sim.send_message(thread, world.moderator, f"<@{me}> We read what you wrote. We're here.")
        reply = (await arrives(tend, dm, count))[-1]
        assert "We read what you wrote" in reply["content"] and f"<@{me}>" not in reply["content"]
        assert len(sim.dm_messages(world.member)) == count + 1  # only the message meant for them


async def test_a_dm_for_a_deleted_case_thread_comes_back_to_the_member(tend: Tend) -> None:
    """Someone deleted the case's thread: the member's next DM can't reach the team there, and
    retrying would never end; they get their words back, told so."""
    sim, world = tend.sim, tend.world
    case, _started = await relay_case(tend)
    sim.delete_channel(case.thread_id or 0)
    dm = sim.world.dm_channel(world.member).id
    count = len(sim.dm_messages(world.member))
    await sim.send_message(dm, world.member, "are you still there? it got worse tonight")

    def from_tend() -> str:
        mine = [m for m in sim.dm_messages(world.member)[count:] if int(m["author"]["id"]) != world.member]
        return "".join(m["content"] for m in mine)

    said = await sim.wait_for(lambda: "it got worse tonight" in from_tend() and from_tend(), timeout=20)
    assert "couldn't pass this on" in said
