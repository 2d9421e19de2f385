"""Pausing a member's access: refused kindly everywhere but the resources, audited, shown on
their next card, lifted with one click, and ended on time across a restart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from models import AuditEvent, Case, DirectMessage, MemberPause

from .flows import EPHEMERAL, ask_for_support, buttons, card, fire_due, only_case, pending
from .simulator import InteractionHandle
from .tend import MANAGE_MESSAGES, Tend


async def pause(tend: Tend, member: int, duration: str = "3d", by: int | None = None) -> dict[str, Any]:
    handle = await tend.slash(
        by or tend.world.moderator, "pause", member=member, duration=duration, reason="abuse"
    )
    return await handle.original()


def notices(tend: Tend) -> list[dict[str, Any]]:
    return [
        m
        for m in tend.sim.channel_messages(tend.world.queue)
        if m.get("embeds") and "pause" in m["embeds"][0].get("title", "").lower()
    ]


async def refused(handle: InteractionHandle) -> dict[str, Any]:
    body = await handle.response()
    # An answer (at once, or after "thinking" where Tend looks it up at leisure); never the form.
    assert body["type"] in (4, 5), f"expected a refusal, not {body['type']}"
    answer = await handle.original()
    assert answer["flags"] & EPHEMERAL
    assert "paused" in answer["content"] and "<t:" in answer["content"]
    # The resources come with the refusal: crisis help is never paused.
    assert any("Crisis lines" in e.get("description", "") for e in answer["embeds"])
    return answer


async def test_a_paused_member_is_refused_everywhere_but_the_resources(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    answer = await pause(tend, world.member)
    assert answer["flags"] & EPHEMERAL and "Paused" in answer["content"]
    await tend.settle()
    [notice] = notices(tend)
    assert f"<@{world.member}>" in str(notice["embeds"]) and "Lift pause" in buttons(notice)

    await refused(await tend.slash(world.member, "support"))
    await refused(await tend.slash(world.member, "report", member=world.member2, rule="respect"))
    message = await sim.send_message(world.general, world.member2, "hello there")
    await refused(
        await sim.invoke_message_command(
            world.guild, world.general, world.member, "Report message", int(message["id"])
        )
    )
    await refused(await tend.slash(world.member, "remind", when="2h", text="drink water"))
    # /resources is never paused.
    resources = await (await tend.slash(world.member, "resources")).original()
    assert "Crisis lines" in resources["embeds"][0]["description"]
    # Other members are not touched.
    opened = await tend.slash(world.member2, "support")
    assert (await opened.response())["type"] == 9

    async with tend.db.read() as session:
        [event] = (await session.scalars(select(AuditEvent).where(AuditEvent.action == "paused"))).all()
    assert event.actor_id == world.moderator and event.detail["reason"] == "abuse"
    assert event.detail["member"] == world.member and event.detail["minutes"] == 3 * 24 * 60


async def test_only_a_moderator_of_the_server_may_pause_and_never_themselves(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    # An owner let members see the command (default permissions are only a hint): Tend still refuses.
    helper = sim.add_role(world.guild, "Helpers", permissions=MANAGE_MESSAGES)
    sim.set_member_roles(world.guild, world.member, [helper])
    by_member = await pause(tend, world.member2, by=world.member)
    assert "for this server's moderators" in by_member["content"]
    themselves = await pause(tend, world.moderator)
    assert "can't pause yourself" in themselves["content"]
    moderator = await pause(tend, world.moderator2)
    assert "one of this server's moderators" in moderator["content"]
    async with tend.db.read() as session:
        assert not (await session.scalars(select(MemberPause))).all()


async def test_the_pause_ends_on_time_across_a_restart_and_the_member_is_told(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    await pause(tend, world.member, "2d")
    await tend.settle()
    [end] = await pending(tend, "pause.end")
    assert end.due_at == (await tend.bot.pauses.active(world.guild, world.member)).ends_at  # type: ignore[union-attr]

    await tend.restart()
    tend.clock.advance(days=1)
    await tend.bot.jobs.sweep()  # type: ignore[union-attr]
    await tend.settle()
    await refused(await tend.slash(world.member, "support"))  # a day in: still paused
    assert not sim.dm_messages(world.member)

    tend.clock.advance(days=1, minutes=1)
    await tend.bot.jobs.sweep()  # type: ignore[union-attr]
    await tend.settle()
    [told] = sim.dm_messages(world.member)
    assert "has ended" in told["content"] and "Haven" in told["content"]
    [notice] = notices(tend)
    assert "ended" in notice["embeds"][0]["title"] and not buttons(notice)
    await ask_for_support(tend, world.member, "I'm back")
    case = await only_case(tend)
    [paused] = (await tend.bot.privacy.export(world.guild, world.member))["pauses"]  # type: ignore[union-attr]
    assert paused["ended_at"] is not None and "note" not in paused
    # Their next case card shows the pause, for the team.
    assert "Paused earlier" in str((await card(tend, case.id))["embeds"])


async def test_lift_pause_is_one_click_and_checked_against_the_pause_server(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    sim.set_dms_closed(world.member)  # closed DMs: the notice that it ended is skipped quietly
    await pause(tend, world.member, "1w")
    await tend.settle()
    [notice] = notices(tend)
    lift = await sim.click_button(int(notice["id"]), buttons(notice)["Lift pause"], world.moderator2)
    assert "Lifted" in (await lift.original())["content"]
    await tend.settle()
    assert await tend.bot.pauses.active(world.guild, world.member) is None  # type: ignore[union-attr]
    opened = await tend.slash(world.member, "support")
    assert (await opened.response())["type"] == 9
    assert not buttons(sim.message(int(notice["id"])))  # the notice says it was lifted, no button
    again = await sim.forge_component(
        world.guild, world.general, world.moderator, buttons(notice)["Lift pause"]
    )
    assert "already ended" in (await again.answer())["content"]
    await fire_due(tend, "pause.end")
    async with tend.db.read() as session:
        actions = [e.action for e in (await session.scalars(select(AuditEvent))).all()]
    assert actions.count("pause_lifted") == 1 and "pause_ended" not in actions
    assert not await pending(tend, "pause.ended")


async def test_a_paused_member_who_dms_tend_is_refused_too_and_keeps_their_words(tend: Tend) -> None:
    """DMs to Tend are one of the doors a pause closes; the resources stay open and the
    words they wrote stay kept for when the pause ends."""
    sim, world = tend.sim, tend.world
    await pause(tend, world.member)
    channel = sim.world.dm_channel(world.member).id
    await sim.send_message(channel, world.member, "please, I need to talk to someone")
    await sim.wait_for(lambda: len(sim.dm_messages(world.member)) >= 2)
    await tend.settle()
    answer = sim.dm_messages(world.member)[-1]
    assert "Crisis lines" in answer["embeds"][0]["description"]
    talk = await sim.click_button(int(answer["id"]), buttons(answer)["Talk to the moderators"], world.member)
    refusal = await talk.wait_followup()
    await tend.settle()
    assert refusal["flags"] & EPHEMERAL and "paused" in refusal["content"] and "<t:" in refusal["content"]
    assert any("Crisis lines" in e.get("description", "") for e in refusal["embeds"])
    async with tend.db.read() as session:
        assert (await session.scalars(select(Case).where(Case.kind == "support"))).all() == []
        kept = (await session.scalars(select(DirectMessage))).all()
    assert [m.body for m in kept] == ["please, I need to talk to someone"]
