"""/tend stats: team metrics with a chart, for moderators only."""

from __future__ import annotations

from .flows import buttons
from .tend import Tend

PNG = b"\x89PNG\r\n\x1a\n"


async def test_tend_stats_counts_the_loop_and_draws_a_chart(tend: Tend) -> None:
    sim, world = tend.sim, tend.world
    opened = await tend.slash(world.member, "support")
    await opened.response()
    await (await sim.submit_modal(opened, world.member, {"story": "hard week"})).wait_followup()
    await tend.settle()
    [card] = [m for m in sim.channel_messages(world.queue) if m.get("embeds")]
    claim = await sim.click_button(int(card["id"]), buttons(card)["Claim"], world.moderator)
    await claim.wait_followup()
    close = await sim.click_button(int(card["id"]), buttons(card)["Close"], world.moderator)
    await close.response()
    await (
        await sim.submit_modal(
            close, world.moderator, {"reason": ["resolved"], "followup": ["0"], "survey": ["yes"]}
        )
    ).wait_followup()
    await tend.settle()
    thread = next(t for t in sim.threads(world.support))
    goodbye = sim.channel_messages(int(thread["id"]))[-1]
    await (await sim.click_button(int(goodbye["id"]), buttons(goodbye)["Yes"], world.member)).wait_followup()

    handle = await tend.slash(world.moderator, "tend", subcommand="stats", period="week")
    assert (await handle.response())["type"] == 5
    reply = await handle.wait_followup()
    embed = reply["embeds"][0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert embed["title"] == "Tend stats: the last week"
    assert fields["Opened: 1"] == "1 support" and fields["Closed: 1"] == "1 support"
    assert "to acknowledge:" in fields["Median time"] and "p90" in fields["Median time"]
    assert fields["Did they feel heard?"] == "1 yes"
    [attachment] = reply["attachments"]
    assert attachment["filename"] == "tend-stats.png" and attachment["data"].startswith(PNG)
    assert embed["image"]["url"] == "attachment://tend-stats.png"


async def test_tend_stats_is_for_moderators(tend: Tend) -> None:
    body = await (await tend.slash(tend.world.member, "tend", subcommand="stats")).response()
    assert "for this server's moderators" in body["data"]["content"]
