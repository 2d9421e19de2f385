"""Appeals end to end: a timeout set in Discord produces a DM with Ask for a review, the appeal
card names the action and who took it, the acting moderator can't decide it, and each outcome
really changes the timeout on Discord (the simulator) and tells the member. A ban is appealed
from the appeals server, checked with Discord first, and lifting it unbans."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEvent, ModerationAction

from .flows import EPHEMERAL, buttons, card, cases, fields, fire_due
from .simulator import DiscordSimulator
from .simulator.permissions import BAN_MEMBERS, DEFAULT_BOT_PERMISSIONS, MODERATE_MEMBERS, VIEW_AUDIT_LOG
from .tend import Tend, build_world, guild_table, running_tend

REASON = "Posting the same link in every channel"


@pytest.fixture
async def appeals(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path) -> AsyncIterator[Tend]:
    """Haven offers reviews of timeouts (reasons shown) and takes ban appeals in Haven Appeals."""
    sim = discord_sim
    world = build_world(sim)
    place = sim.add_guild("Haven Appeals", owner_id=world.owner)
    role = sim.add_role(place, "Appeals team")
    queue, support, general = (sim.add_channel(place, n) for n in ("queue", "support", "general"))
    table = guild_table(world, id=place, name="Haven Appeals", moderator_roles=[role])
    table["channels"] = {"queue": queue, "support": support}
    sim.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS | VIEW_AUDIT_LOG | BAN_MEMBERS)
    settings: dict[str, Any] = {"appeals": {"timeouts": True, "show_reason": True, "appeals_server": place}}
    async with running_tend(
        sim, database_url, tmp_path, world=world, extra_guilds=[table], **settings
    ) as tend:
        tend.world.extra.update(appeals_server=place, appeals_general=general)
        yield tend


def timeout_of(tend: Tend, user: int) -> datetime | None:
    raw = tend.sim.world.member(tend.world.guild, user).communication_disabled_until
    return None if raw is None else datetime.fromisoformat(raw.replace("Z", "+00:00"))


async def timed_out_and_asked(
    tend: Tend, story: str = "I was sharing a fundraiser, not spam."
) -> dict[str, Any]:
    """A moderator times the member out in Discord; the member asks for a review. The card."""
    sim, world = tend.sim, tend.world
    until = tend.clock() + timedelta(hours=2)
    sim.timeout_member(world.guild, world.member, until, by=world.moderator, reason=REASON)
    await sim.wait_for(lambda: bool(sim.dm_messages(world.member)))
    await tend.settle()
    [offer] = sim.dm_messages(world.member)
    assert "timeout" in offer["content"] and f"<t:{int(until.timestamp())}:f>" in offer["content"]
    assert REASON in offer["content"]  # this server shows the reason
    assert set(buttons(offer)) == {"Ask for a review"}

    asked = await sim.click_button(int(offer["id"]), buttons(offer)["Ask for a review"], world.member)
    assert (await asked.response())["type"] == 9  # the form first
    sent = await sim.submit_modal(asked, world.member, {"story": story})
    receipt = await sent.wait_followup()
    await tend.settle()
    assert receipt["flags"] & EPHEMERAL and "A-0001" in receipt["content"]
    [appeal] = await cases(tend, "appeal")
    assert appeal.member_id == world.member and appeal.acted_by == world.moderator
    return await card(tend, appeal.id)


@pytest.mark.parametrize("outcome", ["upheld", "shortened", "lifted"])
async def test_a_timeout_appeal_is_decided_by_another_moderator_and_really_applied(
    appeals: Tend, outcome: str
) -> None:
    tend, sim, world = appeals, appeals.sim, appeals.world
    shown = await timed_out_and_asked(tend)
    facts = fields(shown)
    assert facts["Action"].startswith("Timeout until") and facts["Taken by"] == f"<@{world.moderator}>"
    assert "When" in facts and REASON in facts["Reason given"]
    assert "fundraiser" in shown["embeds"][0]["description"]
    assert set(buttons(shown)) == {"Review", "Uphold", "Shorten", "Lift", "Hand off"}
    before = timeout_of(tend, world.member)

    # The moderator who acted can't review or decide it, whatever button they press.
    for label in ("Review", "Uphold", "Lift"):
        refused = await sim.click_button(int(shown["id"]), buttons(shown)[label], world.moderator)
        assert "a decision you made" in (await refused.original())["content"], label
    assert timeout_of(tend, world.member) == before

    taken = await sim.click_button(int(shown["id"]), buttons(shown)["Review"], world.moderator2)
    guidance = await taken.original()
    assert "what would make it right" in str(guidance["embeds"]).lower()
    label = {"upheld": "Uphold", "shortened": "Shorten", "lifted": "Lift"}[outcome]
    pressed = await sim.click_button(int(shown["id"]), buttons(shown)[label], world.moderator2)
    if outcome == "shortened":
        assert (await pressed.response())["type"] == 9
        pressed = await sim.submit_modal(pressed, world.moderator2, {"when": "30m"})
        await pressed.wait_followup()
    else:
        await pressed.original()
    await tend.settle()
    await sim.wait_for(lambda: len(sim.dm_messages(world.member)) == 2)
    await tend.settle()

    told = sim.dm_messages(world.member)[-1]["content"]
    now = tend.clock()
    if outcome == "upheld":
        assert timeout_of(tend, world.member) == before and "keep the decision" in told
    elif outcome == "shortened":
        after = timeout_of(tend, world.member)
        assert after is not None and abs(after - (now + timedelta(minutes=30))) < timedelta(seconds=30)
        assert "shortened" in told and f"<t:{int(after.timestamp())}:f>" in told
    else:
        assert timeout_of(tend, world.member) is None and "lifted your timeout" in told
    # Tend's own change to the timeout is not taken for a new timeout to offer a review of.
    assert len(sim.dm_messages(world.member)) == 2
    closed = await card(tend, (await cases(tend, "appeal"))[0].id)
    assert not buttons(closed) and f"by <@{world.moderator2}>" in fields(closed)["Status"]
    async with tend.db.read() as session:
        decided = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "appeal_decided"))
        ).one()
    assert decided.actor_id == world.moderator2 and decided.detail == {"outcome": outcome}
    # Their words are theirs: in their /privacy export, with the outcome.
    [mine] = (await tend.bot.privacy.export(world.guild, world.member))["appeals"]  # type: ignore[union-attr]
    assert (
        mine["outcome"] == outcome and "fundraiser" in mine["what_you_wrote"] and mine["about"] == "timeout"
    )


async def test_only_the_member_may_ask_and_only_once(appeals: Tend) -> None:
    tend, sim, world = appeals, appeals.sim, appeals.world
    sim.timeout_member(world.guild, world.member, tend.clock() + timedelta(hours=1), by=world.moderator)
    await sim.wait_for(lambda: bool(sim.dm_messages(world.member)))
    await tend.settle()
    [offer] = sim.dm_messages(world.member)
    custom_id = buttons(offer)["Ask for a review"]
    assert REASON not in offer["content"]  # no reason was given
    # Someone else forging the button gets a kind answer and nothing opens.
    forged = await sim.forge_component(None, None, world.member2, custom_id)
    assert "can't find that decision" in (await forged.answer())["content"]
    asked = await sim.click_button(int(offer["id"]), custom_id, world.member)
    await (await sim.submit_modal(asked, world.member, {"story": ""})).wait_followup()
    again = await sim.click_button(int(offer["id"]), custom_id, world.member)
    assert "already asked" in (await again.answer())["content"]
    assert len(await cases(tend, "appeal")) == 1


async def test_a_server_without_appeals_sends_nothing(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    sim.timeout_member(world.guild, world.member, tend.clock() + timedelta(hours=1), by=world.moderator)
    # A round trip on the same gateway connection: the member update was heard before it.
    await (await tend.slash(world.member2, "resources")).original()
    await tend.settle()
    assert not sim.dm_messages(world.member)
    async with tend.db.read() as session:
        assert not (await session.scalars(select(ModerationAction))).all()


async def test_a_ban_is_appealed_from_the_appeals_server_and_lifting_it_unbans(appeals: Tend) -> None:
    tend, sim, world = appeals, appeals.sim, appeals.world
    place, general = world.extra["appeals_server"], world.extra["appeals_general"]
    sim.add_member(place, world.member)
    sim.add_member(place, world.member2)
    sim.ban_member(world.guild, world.member, by=world.moderator, reason="Raiding")

    # Someone who isn't banned can't open one: Tend asks Discord, not the member.
    handle = await sim.invoke_slash(place, general, world.member2, "appeal", {"server": str(world.guild)})
    assert (await handle.response())["type"] == 9
    refused = await sim.submit_modal(handle, world.member2, {"story": "let me back"})
    assert "can't find a ban" in (await refused.wait_followup())["content"]
    assert not await cases(tend, "appeal")

    handle = await sim.invoke_slash(place, general, world.member, "appeal", {"server": str(world.guild)})
    sent = await sim.submit_modal(handle, world.member, {"story": "I'm sorry about the raid; I was hacked."})
    assert "A-0001" in (await sent.wait_followup())["content"]
    await tend.settle()
    [appeal] = await cases(tend, "appeal")
    assert appeal.guild_id == world.guild and appeal.acted_by == world.moderator
    shown = await card(tend, appeal.id)
    assert shown["channel_id"] == str(world.queue)  # the banning server's own queue
    assert fields(shown)["Action"] == "Ban" and "Raiding" in fields(shown)["Reason given"]
    assert set(buttons(shown)) == {"Review", "Uphold", "Lift", "Hand off"}  # a ban isn't shortened

    refused_mod = await sim.click_button(int(shown["id"]), buttons(shown)["Lift"], world.moderator)
    assert "a decision you made" in (await refused_mod.original())["content"]
    assert world.member in sim.world.guild(world.guild).bans
    lifted = await sim.click_button(int(shown["id"]), buttons(shown)["Lift"], world.moderator2)
    await lifted.original()
    await tend.settle()
    await sim.wait_for(lambda: bool(sim.dm_messages(world.member)))
    assert world.member not in sim.world.guild(world.guild).bans
    assert "lifted your ban" in sim.dm_messages(world.member)[-1]["content"]
    # /appeal is offered only on the appeals server.
    assert "appeal" not in {c["name"] for c in sim.synced_commands(world.guild)}


async def test_an_upheld_ban_appeal_is_not_asked_again_for_a_while(appeals: Tend) -> None:
    tend, sim, world = appeals, appeals.sim, appeals.world
    place, general = world.extra["appeals_server"], world.extra["appeals_general"]
    sim.add_member(place, world.member)
    sim.ban_member(world.guild, world.member, by=world.moderator)

    async def ask(story: str) -> str:
        handle = await sim.invoke_slash(place, general, world.member, "appeal", {"server": str(world.guild)})
        sent = await sim.submit_modal(handle, world.member, {"story": story})
        return str((await sent.wait_followup())["content"])

    assert "A-0001" in await ask("Please reconsider.")
    assert "already asked" in await ask("Please, again.")
    await tend.settle()
    [appeal] = await cases(tend, "appeal")
    await tend.bot.appeals.decide(tend.actor(world.moderator2), appeal.id, "upheld")  # type: ignore[union-attr]
    await tend.settle()
    assert "keep the decision" in sim.dm_messages(world.member)[-1]["content"]
    assert "decision stands" in await ask("And again.")
    assert world.member in sim.world.guild(world.guild).bans
    tend.clock.advance(days=31)
    assert "A-0002" in await ask("A month on, I've thought about it.")


async def test_without_moderate_members_the_card_says_so_and_the_member_hears_only_once_done(
    appeals: Tend,
) -> None:
    tend, sim, world = appeals, appeals.sim, appeals.world
    shown = await timed_out_and_asked(tend)
    sim.set_bot_permissions(
        world.guild, (DEFAULT_BOT_PERMISSIONS | VIEW_AUDIT_LOG | BAN_MEMBERS) & ~MODERATE_MEMBERS
    )
    lifted = await sim.click_button(int(shown["id"]), buttons(shown)["Lift"], world.moderator2)
    await lifted.original()
    await tend.settle()
    assert timeout_of(tend, world.member) is not None
    [appeal] = await cases(tend, "appeal")
    await sim.wait_for(lambda: "⚠ Needs attention" in str(sim.message(appeal.card_message_id)["embeds"]))  # type: ignore[arg-type]
    assert "missing a permission" in str(sim.message(appeal.card_message_id)["embeds"])  # type: ignore[arg-type]
    assert len(sim.dm_messages(world.member)) == 1  # only the offer: not told of a change not made

    sim.set_bot_permissions(world.guild, DEFAULT_BOT_PERMISSIONS | VIEW_AUDIT_LOG | BAN_MEMBERS)
    await fire_due(tend, "appeal.apply")
    await sim.wait_for(lambda: len(sim.dm_messages(world.member)) == 2)
    assert timeout_of(tend, world.member) is None
    assert "lifted your timeout" in sim.dm_messages(world.member)[-1]["content"]
    await tend.settle()
    assert "Needs attention" not in str((await card(tend, appeal.id))["embeds"])
