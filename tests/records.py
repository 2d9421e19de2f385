"""Shared steps of the case-record tests: a support case with a lived conversation, closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from models import Case, CaseMessage

from .flows import ask_for_support, buttons, card, only_case
from .tend import Tend

HOSTILE = (
    "<img src=x onerror=\"document.title='pwned'\"> </script><script>document.title='pwned'</script> "
    "[click me](javascript:document.title='pwned') javascript:alert(1) @everyone"
)


async def recorded(tend: Tend, case_id: int) -> int:
    async with tend.db.read() as session:
        count = await session.scalar(
            select(func.count()).select_from(CaseMessage).where(CaseMessage.case_id == case_id)
        )
    return int(count or 0)


async def lived_support_case(tend: Tend) -> tuple[Case, dict[str, Any]]:
    """The member asks, a moderator claims and talks with them; the member edits one message,
    deletes another, sends a file and some hostile text. Returns the case and its messages."""
    sim, world = tend.sim, tend.world
    await ask_for_support(tend, world.member, "It's been a hard week.")
    case = await only_case(tend)
    claim = await sim.click_button(
        int((await card(tend, case.id))["id"]), buttons(await card(tend, case.id))["Claim"], world.moderator
    )
    await claim.wait_followup()
    await tend.settle()
    thread = case.thread_id or 0
    said: dict[str, Any] = {}
    said["hello"] = await sim.send_message(thread, world.member, "thanks for coming")
    said["reply"] = await sim.send_message(
        thread, world.moderator, "I'm here. **What's been hardest?**\n> you said a hard week"
    )
    said["edited"] = await sim.send_message(thread, world.member, "first version of this")
    said["gone"] = await sim.send_message(thread, world.member, "something I regret saying")
    said["file"] = await sim.send_message(
        thread, world.member, "here is the screenshot", attachments=[("proof.png", b"\x89PNG not really")]
    )
    said["hostile"] = await sim.send_message(thread, world.member, HOSTILE)
    said["code"] = await sim.send_message(
        thread, world.moderator, "Try this:\n```py\nprint('<b>hi</b>')\n```\nand https://example.org/help"
    )
    # The seven messages above (Tend's welcome may come with them, or be read back at close: it
    # can arrive before Discord has told Tend about the new thread).
    await sim.wait_for(lambda: _count_at_least(tend, case.id, 7), timeout=20)
    await sim.edit_user_message(int(said["edited"]["id"]), "second version of this")
    await sim.delete_user_message(int(said["gone"]["id"]))
    await sim.wait_for(
        lambda: _edited_and_deleted(tend, int(said["edited"]["id"]), int(said["gone"]["id"])), timeout=20
    )
    return case, said


async def _count_at_least(tend: Tend, case_id: int, count: int) -> bool:
    return await recorded(tend, case_id) >= count


async def _edited_and_deleted(tend: Tend, edited: int, gone: int) -> bool:
    async with tend.db.read() as session:
        rows = {
            r.message_id: r
            for r in (
                await session.scalars(select(CaseMessage).where(CaseMessage.message_id.in_([edited, gone])))
            ).all()
        }
    return (
        edited in rows
        and gone in rows
        and rows[edited].edited_at is not None
        and rows[gone].deleted_at is not None
    )


async def close_from_card(tend: Tend, case: Case) -> None:
    sim, world = tend.sim, tend.world
    current = await card(tend, case.id)
    close = await sim.click_button(int(current["id"]), buttons(current)["Close"], world.moderator)
    assert (await close.response())["type"] == 9
    done = await sim.submit_modal(
        close, world.moderator, {"reason": ["resolved"], "note": "", "followup": ["0"], "survey": ["no"]}
    )
    await done.wait_followup()
    await tend.settle()


def transcripts_in(tend: Tend, channel_id: int) -> list[tuple[dict[str, Any], str]]:
    """Every transcript file Tend posted in a channel: (message, the HTML)."""
    found = []
    for message in tend.sim.channel_messages(channel_id):
        for attachment in message.get("attachments", []):
            if attachment["filename"].endswith("-transcript.html"):
                found.append((message, bytes(attachment["data"]).decode()))
    return found


def notes_thread(tend: Tend, case: Case, index: int = 0) -> int:
    """The team's notes thread on a case's card (``index``: the how-manyth notes thread)."""
    from bot.domain.cases import reference

    threads = [t for t in tend.sim.threads(tend.world.queue) if "team notes" in t["name"]]
    assert len(threads) == index + 1, threads
    assert threads[index]["name"].startswith(reference(case.kind, case.number))
    return int(threads[index]["id"])
