"""Case records end to end: a closed case's transcript, posted once; /case for moderators only;
retention and /privacy."""

from __future__ import annotations

import html
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from models import Case, CaseMessage, ScheduledItem

from .flows import EPHEMERAL, last_followup, only_case
from .records import HOSTILE, close_from_card, lived_support_case, notes_thread, recorded, transcripts_in
from .simulator import DiscordSimulator
from .tend import MANAGE_MESSAGES, VIEW_CHANNEL, Tend, build_world, guild_table, running_tend


async def test_a_closed_support_case_posts_one_transcript_with_every_message_and_the_timeline(
    tend: Tend,
) -> None:
    world = tend.world
    case, _said = await lived_support_case(tend)
    await close_from_card(tend, case)

    notes = notes_thread(tend, case)
    ((message, page),) = transcripts_in(tend, notes)
    assert message["allowed_mentions"] == {"parse": []}
    assert "support-0001" in message["content"]
    # Every message, in order, by name: Tend's welcome first.
    order = [
        "support-0001",
        "thanks for coming",
        "What&#x27;s been hardest?",
        "second version of this",
        "something I regret saying",
        "proof.png",
        "print(&#x27;&lt;b&gt;hi&lt;/b&gt;&#x27;)",
    ]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)
    assert "River" in page and "Mod-Ash" in page
    # The edit shows, with the earlier version kept; the deleted message shows as deleted.
    assert "(edited)" in page and "first version of this" in page and "1 earlier version" in page
    assert "deleted " in page
    # Quotes, code blocks and links as Discord shows them.
    assert "<blockquote>you said a hard week</blockquote>" in page
    assert '<pre data-lang="py">' in page
    assert '<a href="https://example.org/help"' in page
    # The card's timeline.
    for moment in ("opened the case", "claimed it", "first moderator reply", "closed it"):
        assert moment in page, moment
    # Hostile text is text.
    assert html.escape(HOSTILE, quote=True).split(" [click")[0] in page
    assert "<script" not in page.lower() and 'onerror="' not in page and 'href="javascript' not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    # Times in the server's zone (UTC here), the member's language when Tend knows it.
    assert "times in UTC" in page, page[-400:]
    assert "Member's language: English (US) (en-US)" in page, page[page.index("Member:") :][:300]

    # Closing posted it once; nothing posts it again.
    await tend.restart()
    await tend.settle()
    assert len(transcripts_in(tend, notes)) == 1
    assert world.member not in tend.sim.thread_members(notes)


async def test_a_restart_between_close_and_posting_still_posts_exactly_one(tend: Tend) -> None:
    world = tend.world
    case, _said = await lived_support_case(tend)
    bot = tend.bot
    assert bot is not None
    # Tend goes down the moment the close commits: nothing has reached Discord yet.
    bot.jobs.stop()
    await bot.cases.close_support(tend.actor(world.moderator), case.id, reason="resolved")
    assert transcripts_in(tend, world.queue) == [] and not tend.sim.threads(world.queue)
    bot = await tend.restart()
    await tend.settle()
    notes = notes_thread(tend, case)
    assert len(transcripts_in(tend, notes)) == 1

    # A crash after Discord took the file but before Tend wrote that down: the retry sends the
    # same nonce, and Discord hands back the message already posted.
    async with tend.db.transaction() as session:
        item = await session.scalar(select(ScheduledItem).where(ScheduledItem.kind == "case.transcript"))
        assert item is not None and item.status == "done"
        item.status, item.finished_at = "pending", None
    await bot.jobs.sweep()
    await tend.settle()
    assert len(transcripts_in(tend, notes)) == 1
    await tend.restart()
    await tend.settle()
    assert len(transcripts_in(tend, notes)) == 1


async def test_transcript_and_history_are_for_this_servers_moderators_only(tend: Tend) -> None:
    world = tend.world
    case, _said = await lived_support_case(tend)
    await close_from_card(tend, case)

    # Members are refused, whatever Discord lets them see.
    for sub, options in (("transcript", {"case": "support-0001"}), ("history", {"member": world.member})):
        refused = await (await tend.slash(world.member2, "case", subcommand=sub, **options)).response()
        assert refused["type"] == 4 and refused["data"]["flags"] & EPHEMERAL, sub
        assert "for this server's moderators" in refused["data"]["content"], sub

    # A moderator of this server gets the file, privately.
    asked = await tend.slash(world.moderator, "case", subcommand="transcript", case="support-0001")
    await asked.wait_followup()
    answer = last_followup(asked)
    assert answer["flags"] & EPHEMERAL
    (attachment,) = answer["attachments"]
    assert attachment["filename"] == "support-0001-transcript.html"
    assert "thanks for coming" in bytes(attachment["data"]).decode()

    # An unknown or malformed reference gets a kind answer.
    for bad in ("support-0099", "drop table", "R-" + "9" * 30):
        asked = await tend.slash(world.moderator, "case", subcommand="transcript", case=bad)
        await asked.wait_followup()
        assert not last_followup(asked).get("attachments")

    history = await tend.slash(world.moderator, "case", subcommand="history", member=world.member)
    await history.wait_followup()
    answer = last_followup(history)
    assert answer["flags"] & EPHEMERAL and "support-0001" in answer["embeds"][0]["description"]
    (attachment,) = answer["attachments"]
    assert "thanks for coming" in bytes(attachment["data"]).decode()


async def test_moderators_of_another_server_are_refused(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    sim = discord_sim
    world = build_world(sim)
    # Another server Tend serves, with its own moderator, who is a plain member of Haven too.
    elsewhere = sim.add_guild("Elsewhere")
    role = sim.add_role(elsewhere, "Their moderators", permissions=MANAGE_MESSAGES)
    queue, support, general = (sim.add_channel(elsewhere, n) for n in ("queue", "support", "general"))
    outsider = sim.add_user("mod-elsewhere")
    sim.add_member(elsewhere, outsider, roles=[role])
    sim.add_member(world.guild, outsider)
    table = guild_table(world, id=elsewhere, name="Elsewhere", moderator_roles=[role])
    table["channels"] = {"queue": queue, "support": support}
    async with running_tend(sim, database_url, tmp_path, world=world, extra_guilds=[table]) as tend:
        case, _said = await lived_support_case(tend)
        await close_from_card(tend, case)
        # In Haven, where they are a member: refused.
        for sub, options in (
            ("transcript", {"case": "support-0001"}),
            ("history", {"member": world.member}),
        ):
            refused = await (await tend.slash(outsider, "case", subcommand=sub, **options)).response()
            assert refused["type"] == 4 and "for this server's moderators" in refused["data"]["content"]
        # In their own server, where they moderate: Haven's cases don't exist there.
        there = await sim.invoke_slash(
            elsewhere, general, outsider, "case", options={"case": "support-0001"}, subcommand="transcript"
        )
        await there.wait_followup()
        assert not last_followup(there).get("attachments")
        assert "can't find" in last_followup(there)["content"]
        history = await sim.invoke_slash(
            elsewhere, general, outsider, "case", options={"member": world.member}, subcommand="history"
        )
        await history.wait_followup()
        answer = last_followup(history)
        assert not answer.get("attachments") and "no earlier cases" in answer["content"]
        assert not any(a for m in sim.ephemeral_messages(outsider) for a in m.get("attachments", []))


async def test_history_never_shows_an_anonymous_reporter_and_a_reported_moderator_cant_read_it(
    tend: Tend,
) -> None:
    from .flows import report

    world = tend.world
    # member files an anonymous report about member2; member2 has asked for support before.
    await report(tend, world.member, world.member2, text="They mocked me again and again.", anonymous=True)
    await report(tend, world.member2, world.moderator2, text="The moderator was unkind to me.")
    history = await tend.slash(world.moderator, "case", subcommand="history", member=world.member2)
    await history.wait_followup()
    answer = last_followup(history)
    listing = answer["embeds"][0]["description"]
    assert "R-0001" in listing and "R-0002" not in listing  # reports they filed aren't their history
    page = bytes(answer["attachments"][0]["data"]).decode()
    assert "Filed by: anonymous" in page
    assert str(world.member) not in page and str(world.member) not in visible(answer)
    assert "River" not in page  # the reporter's name

    # The reporter's own history doesn't list the report they filed either.
    mine = await tend.slash(world.moderator, "case", subcommand="history", member=world.member)
    await mine.wait_followup()
    assert "R-0001" not in visible(last_followup(mine))

    # The moderator a report is about can't read its transcript.
    refused = await tend.slash(world.moderator2, "case", subcommand="transcript", case="R-0002")
    await refused.wait_followup()
    body = last_followup(refused)
    assert not body.get("attachments") and "about you" in body["content"]


async def test_retention_and_privacy_delete_remove_the_record_and_the_export_has_only_own_threads(
    tend: Tend,
) -> None:
    from .flows import ask_for_support

    world = tend.world
    case, _said = await lived_support_case(tend)
    # Another member's case, with their own words.
    await ask_for_support(tend, world.member2, "someone else's story")
    async with tend.db.read() as session:
        other = await session.scalar(select(Case).where(Case.member_id == world.member2))
    assert other is not None and other.thread_id is not None
    await tend.sim.send_message(other.thread_id, world.member2, "words of another member")
    await tend.sim.wait_for(lambda: _has(tend, other.id, 2), timeout=20)  # a bound, not a timing goal

    bot = tend.bot
    assert bot is not None
    export = json.dumps(await bot.privacy.export(world.guild, world.member), ensure_ascii=False)
    data = json.loads(export)
    (conversation,) = data["your_conversations"]
    texts = [m["text"] for m in conversation["messages"]]
    assert "thanks for coming" in texts and "second version of this" in texts
    assert "words of another member" not in export

    # Their case closes (its transcript is posted), then they delete their data: the record goes,
    # and so does the copy posted in the notes thread.
    await bot.cases.close_support(tend.actor(world.moderator), case.id, reason="resolved")
    await tend.settle()
    notes = notes_thread(tend, case)
    assert len(transcripts_in(tend, notes)) == 1
    deleted = await bot.privacy.delete_mine(world.guild, world.member)
    assert deleted.thread_messages >= 8 and await recorded(tend, case.id) == 0
    assert await recorded(tend, other.id) == 2  # another member's record stays
    await tend.settle()
    assert transcripts_in(tend, notes) == []
    asked = await tend.slash(world.moderator, "case", subcommand="transcript", case="support-0001")
    await asked.wait_followup()
    page = bytes(last_followup(asked)["attachments"][0]["data"]).decode()
    assert "thanks for coming" not in page and "were removed" in page and "closed it" in page

    # Retention: the other case closes and a year passes.
    await bot.cases.close_support(tend.actor(world.moderator), other.id, reason="resolved")
    await tend.settle()
    async with tend.db.transaction() as session:
        await session.execute(
            update(Case).where(Case.id == other.id).values(closed_at=tend.clock() - timedelta(days=400))
        )
    other_notes = notes_thread(tend, other, index=1)
    assert len(transcripts_in(tend, other_notes)) == 1
    purged = await bot.privacy.purge_expired(world.guild)
    assert purged.thread_messages >= 2 and await recorded(tend, other.id) == 0
    await tend.settle()
    assert transcripts_in(tend, other_notes) == []
    async with tend.db.read() as session:
        assert (await session.scalars(select(CaseMessage))).all() == []
    assert (await only_case_of(tend, other.id)).member_id is None


def visible(message: dict[str, Any]) -> str:
    """A message as JSON, its files' names kept and their bytes left out."""
    shown = dict(message)
    shown["attachments"] = [a["filename"] for a in message.get("attachments", [])]
    return json.dumps(shown, default=str)


async def _has(tend: Tend, case_id: int, count: int) -> bool:
    return await recorded(tend, case_id) >= count


async def only_case_of(tend: Tend, case_id: int) -> Case:
    async with tend.db.read() as session:
        found = await session.get(Case, case_id)
    assert found is not None
    return found


__all__ = ["only_case"]


async def test_a_reports_transcript_has_both_conversations_and_each_person_exports_only_theirs(
    tend: Tend,
) -> None:
    from .flows import card as card_now
    from .flows import click, report

    sim, world = tend.sim, tend.world
    await report(tend, world.member, world.member2)
    (case,) = await _cases(tend)
    for label in ("Acknowledge", "Talk with reporter", "Talk with reported member"):
        pressed = await click(tend, await card_now(tend, case.id), label, world.moderator)
        await pressed.wait_followup()
        await tend.settle()
    case = await only_case_of(tend, case.id)
    assert case.thread_id and case.subject_thread_id
    await sim.send_message(case.thread_id, world.member, "it happened twice, in voice too")
    await sim.send_message(case.subject_thread_id, world.member2, "I didn't mean it like that")
    await sim.send_message(case.subject_thread_id, world.moderator, "Thank you for hearing me out.")
    await sim.wait_for(lambda: _has(tend, case.id, 5), timeout=20)
    # The reported member's conversation is deleted before the case closes: its record stays.
    sim.delete_channel(case.subject_thread_id)

    bot = tend.bot
    assert bot is not None
    await bot.reports.resolve(tend.actor(world.moderator), case.id, outcome="warning", note=None)
    await tend.settle()
    ((_message, page),) = transcripts_in(tend, notes_thread(tend, case))
    reporter_part = page.index("Conversation with the reporter")
    reported_part = page.index("Conversation with the reported member")
    assert reporter_part < page.index("it happened twice") < reported_part
    assert reported_part < page.index("I didn&#x27;t mean it like that")
    assert "resolved it (Warning)" in page and "Filed by: River" in page

    # Each person's export has their own conversation, never the other's.
    reporter = json.dumps(await bot.privacy.export(world.guild, world.member))
    reported = json.dumps(await bot.privacy.export(world.guild, world.member2))
    assert "it happened twice" in reporter and "mean it like that" not in reporter
    assert "mean it like that" in reported and "it happened twice" not in reported
    assert "Thank you for hearing me out" in reported

    # The reporter deletes their data: the report's conversation stays for moderation, without
    # their name.
    await bot.privacy.delete_mine(world.guild, world.member)
    asked = await tend.slash(world.moderator, "case", subcommand="transcript", case="R-0001")
    await asked.wait_followup()
    page = bytes(last_followup(asked)["attachments"][0]["data"]).decode()
    assert "it happened twice" in page and "River" not in page and "the reporter" in page


async def test_messages_sent_while_tend_was_down_are_read_back_at_close(tend: Tend) -> None:
    world = tend.world
    case, _said = await lived_support_case(tend)
    await tend.stop()
    await tend.sim.send_message(case.thread_id or 0, world.member, "did anyone see this while you were away?")
    await tend.start()
    bot = tend.bot
    assert bot is not None
    await bot.cases.close_support(tend.actor(world.moderator), case.id, reason="resolved")
    await tend.settle()
    ((_message, page),) = transcripts_in(tend, notes_thread(tend, case))
    assert "did anyone see this while you were away?" in page
    assert page.index("here is the screenshot") < page.index("did anyone see this")


async def _cases(tend: Tend) -> list[Case]:
    async with tend.db.read() as session:
        return list((await session.scalars(select(Case).order_by(Case.id))).all())


async def test_the_card_of_a_member_with_earlier_cases_links_to_their_history(tend: Tend) -> None:
    from .flows import ask_for_support, buttons, card, click, fields

    sim, world = tend.sim, tend.world
    case, _said = await lived_support_case(tend)
    await close_from_card(tend, case)
    tend.clock.advance(hours=1)  # past the /support cooldown
    await ask_for_support(tend, world.member, "It's hard again.")
    async with tend.db.read() as session:
        second = await session.scalar(select(Case).where(Case.number == 2))
    assert second is not None
    shown = await card(tend, second.id)
    assert "1 earlier case(s) (`/case history`)" in fields(shown)["Member"]
    assert "Earlier cases" in buttons(shown)

    # Even where a member can reach the card (a queue opened too widely), it refuses.
    sim.set_channel_overwrite(world.queue, world.member2, allow=VIEW_CHANNEL)
    refused = await click(tend, shown, "Earlier cases", world.member2)
    assert "for this server's moderators" in (await refused.response())["data"]["content"]
    pressed = await click(tend, shown, "Earlier cases", world.moderator)
    await pressed.wait_followup()
    answer = last_followup(pressed)
    assert answer["flags"] & EPHEMERAL and "support-0001" in answer["embeds"][0]["description"]
    page = bytes(answer["attachments"][0]["data"]).decode()
    assert "thanks for coming" in page and "support-0002" in page
    assert sim.channel_messages(world.general) == []  # nothing public


async def test_a_reopened_case_closed_again_posts_its_whole_story_once_more(tend: Tend) -> None:
    world = tend.world
    case, _said = await lived_support_case(tend)
    await close_from_card(tend, case)
    bot = tend.bot
    assert bot is not None
    await bot.followups.reopen_case(world.guild, case.id, world.moderator, why="checkin")
    await tend.settle()
    await tend.sim.send_message(case.thread_id or 0, world.member, "I'm back, it got worse")
    await tend.sim.wait_for(lambda: _has(tend, case.id, 10), timeout=20)
    await bot.cases.close_support(tend.actor(world.moderator), case.id, reason="resolved")
    await tend.settle()
    first, second = transcripts_in(tend, notes_thread(tend, case))
    assert "I&#x27;m back, it got worse" not in first[1]
    assert "thanks for coming" in second[1] and "I&#x27;m back, it got worse" in second[1]
    assert "reopened it" in second[1]
