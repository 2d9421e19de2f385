"""Hand-off tells both moderators the truth, for every kind of case, with or without threads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from .flows import ask_for_support, buttons, card, cases, click, fire_due, report
from .simulator import DiscordSimulator, InteractionHandle
from .tend import Tend, running_tend


async def hand_off(tend: Tend, case_id: int, to: int) -> tuple[str, str]:
    """Press Hand off as the first moderator and pick ``to``; returns (what the first moderator
    read, the notice in the team's notes)."""
    sim, world = tend.sim, tend.world
    picker: InteractionHandle = await click(tend, await card(tend, case_id), "Hand off", world.moderator)
    chooser = await picker.wait_followup()
    pick = await sim.select(int(chooser["id"]), buttons(chooser)["Pick a moderator"], world.moderator, [to])
    said = await pick.answer()
    await tend.settle()
    [case] = [c for c in await cases(tend) if c.id == case_id]
    assert case.holder_id == to
    notes = sim.channel_messages(case.staff_thread_id or 0)
    told = next(m for m in reversed(notes) if "was handed to" in (m["content"] or ""))
    assert told["allowed_mentions"] == {"parse": [], "users": [to]}  # the new holder is pinged
    return said["content"], told["content"]


async def test_a_report_with_no_conversation(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with running_tend(discord_sim, database_url, tmp_path) as tend:
        world = tend.world
        await report(tend, world.member, world.member2)
        [case] = await cases(tend, "report")
        said, told = await hand_off(tend, case.id, world.moderator2)
        assert "Handed R-0001" in said and "told in the team's notes" in said
        assert "thread" not in said and "keep trying" not in said  # nothing promised that won't happen
        assert f"R-0001 was handed to <@{world.moderator2}> by <@{world.moderator}>" in told


async def test_a_report_with_a_conversation(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    async with running_tend(discord_sim, database_url, tmp_path) as tend:
        sim, world = tend.sim, tend.world
        await report(tend, world.member, world.member2)
        [case] = await cases(tend, "report")
        talk = await click(tend, await card(tend, case.id), "Talk with reporter", world.moderator)
        await talk.wait_followup()
        await tend.settle()
        [case] = await cases(tend, "report")
        said, _told = await hand_off(tend, case.id, world.moderator2)
        assert f"I added them to <#{case.thread_id}>" in said
        assert world.moderator2 in sim.thread_members(case.thread_id or 0)


async def test_a_distress_card(discord_sim: DiscordSimulator, database_url: str, tmp_path: Path) -> None:
    async with running_tend(discord_sim, database_url, tmp_path) as tend:
        sim, world = tend.sim, tend.world
        assert tend.bot is not None
        said_in = await sim.send_message(world.general, world.member, "it's all too much")
        await tend.bot.distress.notice(
            guild_id=world.guild,
            member_id=world.member,
            category="overwhelmed",
            channel_id=world.general,
            message_id=int(said_in["id"]),
            jump_url="https://discord.com/channels/x",
            member_cooldown=timedelta(hours=1),
        )
        await tend.settle()
        [case] = await cases(tend, "distress")
        said, told = await hand_off(tend, case.id, world.moderator2)
        assert "Handed D-0001" in said and "thread" not in said
        assert "D-0001 was handed to" in told


async def test_support_before_its_thread_exists(
    discord_sim: DiscordSimulator, database_url: str, tmp_path: Path
) -> None:
    """The thread is still pending (Discord refuses for now): the new holder is told, and added
    to the thread when it exists, as the reply promises."""
    async with running_tend(discord_sim, database_url, tmp_path) as tend:
        sim, world = tend.sim, tend.world
        sim.inject_failure("POST", "/channels/{channel_id}/threads", status=403, code=50013, times=1)
        await ask_for_support(tend, world.member, "please")
        [case] = await cases(tend, "support")
        assert case.thread_id is None
        said, _told = await hand_off(tend, case.id, world.moderator2)
        assert "as soon as it exists" in said
        await fire_due(tend, "support.setup")
        [case] = await cases(tend, "support")
        assert case.thread_id is not None
        assert {world.member, world.moderator2} <= set(sim.thread_members(case.thread_id))
