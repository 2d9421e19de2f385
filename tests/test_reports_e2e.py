"""Conduct reports, end to end: members report safely; moderators act and close the loop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from models import AuditEvent, ReportDraft, ScheduledItem

from .databases import raw_sqlite_files
from .flows import EPHEMERAL, buttons, cases, click, fields, last_followup, report
from .simulator import DiscordSimulator, InteractionHandle
from .tend import MANAGE_MESSAGES, Tend, build_world, guild_table, running_tend


def said(handle: InteractionHandle, first: str = "") -> str:
    """Everything an interaction's person read, after ``first``: its followups' texts."""
    return first + "".join(m.get("content") or "" for m in handle.followups)


async def test_report_from_receipt_to_outcome(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    submitted = await report(tend, world.member, world.member2)
    receipt = last_followup(submitted)
    assert receipt["flags"] & EPHEMERAL and "R-0001" in receipt["content"]
    assert receipt["embeds"][0]["title"] == "If you need support"
    (case,) = await cases(tend, "report")
    assert case.status == "new" and case.rule_id == "respect" and not case.anonymous

    card = sim.message(case.card_message_id or 0)
    assert int(card["channel_id"]) == world.queue
    info = fields(card)
    assert info["Rule: Treat people with respect"] == "No insults or attacks."
    assert f"<@{world.member2}>" in info["Reported member"] and info["Reporter"] == f"<@{world.member}>"
    assert set(buttons(card)) == {
        "Acknowledge",
        "Talk with reporter",
        "Talk with reported member",
        "Resolve",
        "Dismiss",
        "Hand off",
    }

    ack = await click(tend, card, "Acknowledge", world.moderator)
    await ack.wait_followup()
    prompt = last_followup(ack)
    assert prompt["flags"] & EPHEMERAL and prompt["embeds"][0]["title"] == "A report of harassment"
    await tend.settle()
    dms = sim.dm_messages(world.member)
    assert len(dms) == 1 and "R-0001" in dms[0]["content"]
    assert "mod-ash" not in dms[0]["content"] and str(world.moderator) not in dms[0]["content"]
    acknowledged = (await cases(tend, "report"))[0]
    assert acknowledged.status == "acknowledged" and acknowledged.acknowledged_at is not None

    card = sim.message(case.card_message_id or 0)
    talk = await click(tend, card, "Talk with reporter", world.moderator)
    await talk.wait_followup()
    talk_subject = await click(tend, card, "Talk with reported member", world.moderator)
    await talk_subject.wait_followup()
    await tend.settle()
    talked = (await cases(tend, "report"))[0]
    assert set(sim.thread_members(talked.thread_id or 0)) >= {world.member, world.moderator}
    assert world.member2 not in sim.thread_members(talked.thread_id or 0)
    assert set(sim.thread_members(talked.subject_thread_id or 0)) >= {world.member2, world.moderator}
    assert world.member not in sim.thread_members(talked.subject_thread_id or 0)
    opener = sim.channel_messages(talked.subject_thread_id or 0)[0]
    assert "report" not in opener["content"].lower() and str(world.member) not in opener["content"]
    # The reporter's thread carries R-0001; the reported member's shares nothing with it.
    names = {int(t["id"]): t["name"] for t in sim.threads(world.support)}
    assert names[talked.thread_id or 0] == "R-0001 · report"
    subject_thread = names[talked.subject_thread_id or 0]
    assert "R-0001" not in subject_thread and "0001" not in subject_thread
    assert last_followup(talk_subject)["embeds"][0]["title"]  # the restorative-conversation prompt

    resolve = await click(tend, sim.message(case.card_message_id or 0), "Resolve", world.moderator)
    assert (await resolve.response())["type"] == 9
    done = await sim.submit_modal(
        resolve, world.moderator, {"outcome": ["warning"], "note": "first time", "follow": ["reporter"]}
    )
    await done.wait_followup()
    await tend.settle()
    resolved = (await cases(tend, "report"))[0]
    assert resolved.status == "resolved" and resolved.outcome == "warning"
    assert resolved.followup_at is not None and resolved.followup_at > resolved.closed_at + timedelta(days=2)  # type: ignore[operator]
    outcome = sim.dm_messages(world.member)[-1]["content"]
    assert "R-0001" in outcome and "warning" in outcome and "sky" not in outcome
    final = sim.message(case.card_message_id or 0)
    assert buttons(final) == {} and fields(final)["Status"] == "Resolved: Warning"
    async with tend.db.read() as session:
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
            )
        ).all()
    assert list(actions) == ["reported", "claimed", "talk_reporter", "talk_reported", "resolved"]


async def test_report_message_keeps_the_evidence_after_deletion(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    bad = await sim.send_message(
        world.general, world.member2, "you people are all idiots", attachments=[("meme.png", b"png")]
    )
    opened = await sim.invoke_message_command(
        world.guild, world.general, world.member, "Report message", int(bad["id"])
    )
    assert (await opened.response())["type"] == 9
    await sim.delete_user_message(int(bad["id"]))  # deleted while the reporter writes,
    await tend.restart()  # and Tend restarts meanwhile: the evidence is in the database
    submitted = await sim.submit_modal(
        opened,
        world.member,
        {"rule": ["respect"], "what": "Insulting everyone in general.", "anonymous": ["0"]},
    )
    await submitted.wait_followup()
    await tend.settle()
    (case,) = await cases(tend, "report")
    assert case.subject_id == world.member2
    evidence = fields(sim.message(case.card_message_id or 0))["Reported message"]
    assert (
        "you people are all idiots" in evidence
        and "meme.png" in evidence
        and f"<@{world.member2}>" in evidence
    )
    assert str(bad["id"]) in evidence  # the jump link
    async with tend.db.read() as session:
        assert (await session.scalars(select(ReportDraft))).all() == []  # filed: the draft is gone


async def test_report_message_form_names_only_its_draft(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    """A forged Report message submit can't point Tend at a message in another server's private
    thread (the old custom_id carried channel, message and author): the form names a draft
    that belongs to the member who opened it, in the server where they opened it."""
    sim = discord_sim
    world = build_world(sim)
    other = sim.add_guild("Elsewhere")
    b_role = sim.add_role(other, "B moderators", permissions=MANAGE_MESSAGES)
    b_general = sim.add_channel(other, "general")
    mallory = sim.add_user("mallory")
    sim.add_member(world.guild, mallory)
    sim.add_member(other, mallory)
    table_b = guild_table(world, id=other, name="Elsewhere", moderator_roles=[b_role])
    table_b["channels"] = {
        "queue": sim.add_channel(other, "queue"),
        "support": sim.add_channel(other, "support"),
    }
    async with running_tend(sim, database_url, tmp_path, world=world, extra_guilds=[table_b]) as tend:
        secret = await sim.send_message(world.general, world.member, "something only Haven sees")
        opened = await sim.invoke_message_command(
            world.guild, world.general, world.member2, "Report message", int(secret["id"])
        )
        form = (await opened.response())["data"]
        draft_id = form["custom_id"].removeprefix("tend:report-msg:")
        assert draft_id == str(opened.id)  # nothing but the draft in the custom_id
        values = {"rule": ["respect"], "what": "Look at what they wrote over there.", "anonymous": ["0"]}
        for custom_id, user, guild, channel in (
            (form["custom_id"], mallory, other, b_general),  # someone else's draft, from B
            (form["custom_id"], mallory, world.guild, world.general),  # someone else's, in A
            # The old shape: a channel, a message and an author of the attacker's choosing.
            (
                f"tend:report-msg:{world.general}:{secret['id']}:{world.member}",
                mallory,
                other,
                b_general,
            ),
        ):
            forged = await sim.forge_modal_submit(guild, channel, user, custom_id, values)
            refusal = (await forged.answer()).get("content") or ""
            await sim.wait_for(lambda h=forged, r=refusal: "Look at what they wrote" in said(h, r))
            assert "something only Haven sees" not in said(forged, refusal)  # only their words came back
        await tend.settle()
        assert await cases(tend, "report") == []
        # The member who opened it can still send it.
        sent = await sim.submit_modal(opened, world.member2, values)
        await sent.wait_followup()
        await tend.settle()
        assert [c.guild_id for c in await cases(tend, "report")] == [world.guild]
        assert "something only Haven sees" not in "".join(
            m["content"] or "" for m in sim.channel_messages(table_b["channels"]["queue"])
        )


async def test_members_cannot_report_themselves_or_the_bot(tend: Tend) -> None:
    world = tend.world
    yourself = await (
        await tend.slash(world.member, "report", member=world.member, rule="respect")
    ).response()
    assert "can't report yourself" in yourself["data"]["content"]
    bot = await (
        await tend.slash(world.member, "report", member=tend.sim.bot_user_id, rule="respect")
    ).response()
    assert "Bots can't be reported" in bot["data"]["content"]
    unknown = await (await tend.slash(world.member, "report", member=world.member2, rule="nope")).response()
    assert "I don't know the rule" in unknown["data"]["content"] and "`respect`" in unknown["data"]["content"]
    assert await cases(tend, "report") == []


async def test_an_anonymous_reporter_appears_nowhere_others_can_see(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await report(tend, world.member, world.member2, anonymous=True)
    (case,) = await cases(tend, "report")
    card = sim.message(case.card_message_id or 0)
    assert fields(card)["Reporter"] == "Anonymous" and "Talk with reporter" not in buttons(card)
    ack = await click(tend, card, "Acknowledge", world.moderator)
    await ack.wait_followup()
    talk = await click(
        tend, sim.message(case.card_message_id or 0), "Talk with reported member", world.moderator
    )
    await talk.wait_followup()
    dismiss = await click(tend, sim.message(case.card_message_id or 0), "Dismiss", world.moderator)
    shown = [c["content"] for c in (await dismiss.response())["data"]["components"] if c["type"] == 10]
    assert shown and shown[0].startswith("**Dismissing a report kindly**")  # fitted to dismissals
    done = await sim.submit_modal(dismiss, world.moderator, {"reason": "Not enough to act on yet."})
    await done.wait_followup()
    await tend.settle()
    # Nothing anyone can see anywhere in the simulated Discord names the reporter: cards, threads,
    # notes, prompts, DMs, receipts, modal titles, thread and channel names.
    visible = list(sim.all_visible_text(include_custom_ids=True))
    assert visible
    for text in visible:
        assert str(world.member) not in text and "river" not in text.lower(), text
    assert (
        "dismissed" in sim.dm_messages(world.member)[-1]["content"]
        or "closed" in sim.dm_messages(world.member)[-1]["content"]
    )
    async with tend.db.read() as session:
        reported = await session.scalar(select(AuditEvent).where(AuditEvent.action == "reported"))
    assert reported is not None and reported.actor_id is None


async def test_anonymous_reporter_revealed_only_to_the_configured_role(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    world = build_world(discord_sim)
    leads = discord_sim.add_role(world.guild, "Leads")
    discord_sim.set_member_roles(world.guild, world.moderator2, [world.mod_role, leads])
    async with running_tend(
        discord_sim, database_url, tmp_path, world=world, reports={"anonymous_visible_to": leads}
    ) as tend:
        await report(tend, world.member, world.member2, anonymous=True)
        (case,) = await cases(tend, "report")
        card = discord_sim.message(case.card_message_id or 0)
        refused = await click(tend, card, "Reveal reporter", world.moderator)
        assert "Only the role" in (await refused.answer())["content"]
        shown = await click(tend, card, "Reveal reporter", world.moderator2)
        await shown.wait_followup()
        answer = last_followup(shown)
        assert answer["flags"] & EPHEMERAL and f"<@{world.member}>" in answer["content"]


async def test_rate_limits_hold_and_the_words_come_back(tend: Tend) -> None:
    world = tend.world
    for _ in range(3):
        await report(tend, world.member, world.member2)
    refused = await report(tend, world.member, world.member2, text="A fourth one, with detail.")
    await refused.wait_followup(n=2)
    contents = [m.get("content", "") for m in refused.followups]
    assert any("paused new ones" in c for c in contents)
    assert any("A fourth one, with detail." in c for c in contents)  # nothing they wrote is lost
    assert len(await cases(tend, "report")) == 3


async def test_a_report_about_a_moderator_goes_to_escalation(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    world = build_world(discord_sim)
    admins = discord_sim.add_role(world.guild, "Admins")
    async with running_tend(
        discord_sim, database_url, tmp_path, world=world, reports={"escalation_role": admins}
    ) as tend:
        await report(tend, world.member, world.moderator)
        (case,) = await cases(tend, "report")
        assert case.escalated
        card = discord_sim.message(case.card_message_id or 0)
        assert int(card["channel_id"]) == world.escalation
        assert card["content"].startswith(f"<@&{admins}>")
        assert card["allowed_mentions"] == {"parse": [], "roles": [admins]}
        assert not [m for m in discord_sim.channel_messages(world.queue) if m.get("embeds")]


async def test_card_delivery_survives_errors_and_a_restart_with_exactly_one_card(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    route = "/channels/{channel_id}/messages"
    sim.inject_failure("POST", route, status=429, times=1, retry_after=0.05)  # discord.py waits and retries
    sim.inject_failure("POST", route, status=500, times=1)  # and retries a 500 after a second
    await report(tend, world.member, world.member2)
    sim.inject_failure("POST", route, status=503, times=1)  # Discord down: Tend's job retries later
    submitted = await report(tend, world.member, world.member2, text="Second report, during an outage.")
    assert "R-0002" in last_followup(submitted)["content"]  # the reporter is never told it was lost
    first, second = await cases(tend, "report")
    assert first.card_message_id is not None and second.card_message_id is None
    await tend.restart()  # across a restart
    assert tend.bot is not None
    async with tend.db.transaction() as session:
        item = await session.scalar(
            select(ScheduledItem).where(ScheduledItem.case_id == second.id, ScheduledItem.status == "pending")
        )
        assert item is not None and item.kind == "case.card"
        item.due_at = tend.bot.jobs.clock()
    await tend.bot.jobs.sweep()
    await tend.settle()
    cards = [
        m
        for m in sim.channel_messages(world.queue)
        if m.get("embeds") and m["embeds"][0]["title"].startswith("R-")
    ]
    assert sorted(m["embeds"][0]["title"].split(" ")[0] for m in cards) == ["R-0001", "R-0002"]


async def test_mentions_inside_a_report_ping_no_one(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await report(tend, world.member, world.member2, text=f"@everyone look at this <@&{world.mod_role}> @here")
    (case,) = await cases(tend, "report")
    card = sim.message(case.card_message_id or 0)
    assert card["mention_everyone"] is False and card["mention_roles"] == [] and card["mentions"] == []
    assert "@\u200beveryone" in card["embeds"][0]["description"]


async def test_report_text_is_unreadable_in_the_raw_database_file(
    discord_sim: DiscordSimulator, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/tend.db"
    secret = "he sent me threatening messages about my address"
    async with running_tend(discord_sim, url, tmp_path) as tend:
        await report(tend, tend.world.member, tend.world.member2, text=secret)
    raw = raw_sqlite_files(tmp_path)
    assert raw and secret.encode() not in raw and b"threatening" not in raw


async def test_cases_lists_my_open_cases_oldest_first(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await report(tend, world.member, world.member2)
    await report(tend, world.member2, world.member, rule="spam", text="Flooding the channel all day.")
    first, _second = await cases(tend, "report")
    ack = await click(tend, sim.message(first.card_message_id or 0), "Acknowledge", world.moderator)
    await ack.wait_followup()
    listing = await tend.slash(world.moderator, "cases")
    await listing.wait_followup()
    embed = last_followup(listing)["embeds"][0]
    assert "R-0001" in embed["description"] and "R-0002" not in embed["description"]
    waiting = next(f["value"] for f in embed["fields"] if f["name"].startswith("Waiting for anyone"))
    assert "R-0002" in waiting
    # Discord's default permissions are only a hint: Tend checks its moderator roles itself.
    helpers = sim.add_role(world.guild, "Helpers", permissions=MANAGE_MESSAGES)
    sim.set_member_roles(world.guild, world.member, [helpers])
    refused = await (await tend.slash(world.member, "cases")).response()
    assert "for this server's moderators" in refused["data"]["content"]


async def test_a_button_naming_another_servers_case_is_refused(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    world = build_world(discord_sim)
    other = discord_sim.add_guild("Elsewhere")
    other_mods = discord_sim.add_role(other, "Mods")
    other_queue = discord_sim.add_channel(other, "queue")
    other_support = discord_sim.add_channel(other, "support")
    discord_sim.add_member(other, world.moderator2, roles=[other_mods])
    extra = [
        {
            "id": other,
            "moderator_roles": [other_mods],
            "channels": {"queue": other_queue, "support": other_support},
        }
    ]
    async with running_tend(discord_sim, database_url, tmp_path, world=world, extra_guilds=extra) as tend:
        await report(tend, world.member, world.member2)
        (case,) = await cases(tend, "report")
        crafted = discord_sim.seed_message(
            other_queue,
            discord_sim.bot_user_id,
            "crafted",
            components=[
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 1, "label": "Claim", "custom_id": f"case:{case.id}:claim"}
                    ],
                }
            ],
        )
        refused = await discord_sim.click_button(crafted, f"case:{case.id}:claim", world.moderator2)
        await refused.wait_followup()
        assert "can't find that case" in last_followup(refused)["content"]
        assert (await cases(tend, "report"))[0].holder_id is None


async def test_a_long_refused_report_comes_back_whole_as_a_file(tend: Tend) -> None:
    world = tend.world
    for _ in range(3):
        await report(tend, world.member, world.member2)
    long_text = "It started in voice chat. ```quoted``` " + "They kept at it for hours. " * 140
    refused = await report(tend, world.member, world.member2, text=long_text)
    await refused.wait_followup(n=2)
    given_back = refused.followups[-1]
    assert "attached" in given_back["content"]
    [attachment] = given_back["attachments"]
    assert attachment["filename"] == "what-you-wrote.txt"
    assert attachment["data"].decode() == long_text.strip()  # every character, not a cut
