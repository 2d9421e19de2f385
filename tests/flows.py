"""What people do in the end-to-end tests, written once: ask for support, report, press card
buttons, let scheduled work come due, read what came back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from models import Case, FollowUp, ScheduledItem

from .simulator import InteractionHandle
from .tend import Tend

EPHEMERAL = 64


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """A message's buttons and selects by label (or placeholder): their custom_ids."""
    found = {}
    for row in message.get("components", []):
        for component in row.get("components", []):
            label = component.get("label") or component.get("placeholder") or ""
            found[label] = component["custom_id"]
    return found


def fields(message: dict[str, Any]) -> dict[str, str]:
    return {f["name"]: f["value"] for f in message["embeds"][0].get("fields", [])}


async def click(tend: Tend, message: dict[str, Any], label: str, user: int) -> InteractionHandle:
    return await tend.sim.click_button(int(message["id"]), buttons(message)[label], user)


async def ask_for_support(
    tend: Tend, member: int, story: str = "", topic: str | None = None
) -> InteractionHandle:
    options = {"topic": topic} if topic else {}
    opened = await tend.slash(member, "support", **options)
    body = await opened.response()
    assert body["type"] == 9, f"expected the modal first, got {body}"
    submitted = await tend.sim.submit_modal(opened, member, {"story": story})
    await submitted.wait_followup()
    await tend.settle()
    return submitted


async def report(
    tend: Tend,
    reporter: int,
    subject: int,
    rule: str = "respect",
    text: str = "They called me names in #general.",
    anonymous: bool = False,
) -> InteractionHandle:
    opened = await tend.slash(reporter, "report", member=subject, rule=rule, anonymous=anonymous)
    body = await opened.response()
    assert body["type"] == 9, body
    submitted = await tend.sim.submit_modal(opened, reporter, {"what": text})
    await submitted.wait_followup()
    await tend.settle()
    return submitted


async def cases(tend: Tend, kind: str | None = None) -> list[Case]:
    query = select(Case).order_by(Case.id)
    if kind is not None:
        query = query.where(Case.kind == kind)
    async with tend.db.read() as session:
        return list((await session.scalars(query)).all())


async def card(tend: Tend, case_id: int) -> dict[str, Any]:
    """The case's card as it is now."""
    async with tend.db.read() as session:
        case = await session.get(Case, case_id)
    assert case is not None and case.card_message_id is not None
    return tend.sim.message(case.card_message_id)


async def pending(tend: Tend, kind: str) -> list[ScheduledItem]:
    async with tend.db.read() as session:
        rows = await session.scalars(
            select(ScheduledItem).where(ScheduledItem.kind == kind, ScheduledItem.status == "pending")
        )
        return list(rows.all())


async def fire_due(tend: Tend, kind: str, *, late_by: timedelta = timedelta(0)) -> None:
    """Bring every pending item of ``kind`` to now (or ``late_by`` before it) and let it run."""
    assert tend.bot is not None
    async with tend.db.transaction() as session:
        await session.execute(
            update(ScheduledItem)
            .where(ScheduledItem.kind == kind, ScheduledItem.status == "pending")
            .values(due_at=tend.bot.jobs.clock() - late_by)
        )
    await tend.bot.jobs.sweep()
    await tend.settle()


def last_followup(handle: InteractionHandle) -> dict[str, Any]:
    assert handle.followups, "no followup was sent"
    return handle.followups[-1]


async def only_case(tend: Tend) -> Case:
    found = await cases(tend)
    assert len(found) == 1
    return found[0]


def card_of(tend: Tend, case: Case) -> dict[str, Any]:
    """The case's card, as of when ``case`` was read."""
    assert case.card_message_id is not None
    return tend.sim.message(case.card_message_id)


async def followups(tend: Tend) -> list[FollowUp]:
    async with tend.db.read() as session:
        return list((await session.scalars(select(FollowUp).order_by(FollowUp.id))).all())


async def slash_followup(tend: Tend, when: str = "3d", note: str | None = "Ask how the move went") -> Any:
    """A moderator's /followup about the member; returns what they read."""
    options: dict[str, Any] = {"member": tend.world.member, "when": when}
    if note:
        options["note"] = note
    handle = await tend.slash(tend.world.moderator, "followup", **options)
    return await handle.original()
