"""The case service against real databases (no Discord)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.domain.authority import Actor
from bot.domain.cases import CaseService, CooldownActive
from bot.domain.cases.kinds import (
    CARD_SYNC,
    CASE_FOLLOWUP,
    SUPPORT_CLOSE,
    SUPPORT_NUDGE,
    SUPPORT_SETUP,
    SUPPORT_SILENCE,
)
from bot.domain.errors import InvalidInput, NotAllowed, NotFound
from bot.infra.crypto import Cipher, EncryptionKeyError, load_cipher
from bot.infra.db import Database
from models import AuditEvent, ScheduledItem

from .domain import (
    GUILD,
    MOD,
    MOD2,
    MOD_ROLE,
    OTHER_GUILD,
    OTHER_MOD_ROLE,
    case_service,
    followup_service,
    member,
    mod,
)


@pytest.fixture
def service(db: Database) -> CaseService:
    return case_service(db)


async def open_for(
    service: CaseService, member: int, *, guild: int = GUILD, cooldown: float = 0, text: str = "hi"
):
    return await service.open_support(
        guild_id=guild,
        member_id=member,
        topic="Feeling low",
        text=text,
        cooldown=timedelta(minutes=cooldown),
        nudge_after=timedelta(minutes=30),
    )


async def test_fifty_members_at_once_get_fifty_distinct_numbers(service: CaseService) -> None:
    opened = await asyncio.gather(*(open_for(service, 1000 + i) for i in range(50)))
    assert sorted(o.case.number for o in opened) == list(range(1, 51))
    # Another guild counts from one on its own.
    assert (await open_for(service, 1000, guild=OTHER_GUILD)).case.number == 1


async def test_one_open_case_per_member_and_the_cooldown(service: CaseService) -> None:
    first = await open_for(service, 7, cooldown=10)
    again = await open_for(service, 7, cooldown=10)
    assert first.created and not again.created and again.case.id == first.case.id
    await service.close_support(mod(), first.case.id, reason="resolved")
    with pytest.raises(CooldownActive) as caught:
        await open_for(service, 7, cooldown=10)
    assert caught.value.minutes == 10
    assert (await open_for(service, 7, cooldown=0)).created


async def test_opening_schedules_setup_card_and_nudge_in_the_same_transaction(
    service: CaseService, db: Database
) -> None:
    opened = await open_for(service, 8)
    async with db.read() as session:
        kinds = sorted(
            (
                await session.scalars(
                    select(ScheduledItem.kind).where(ScheduledItem.case_id == opened.case.id)
                )
            ).all()
        )
        actions = (
            await session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == opened.case.id))
        ).all()
    assert kinds == sorted(k.name for k in (SUPPORT_SETUP, CARD_SYNC, SUPPORT_NUDGE, SUPPORT_SILENCE))
    assert actions == ["opened"]
    assert opened.setup_job is not None and opened.setup_job.kind == SUPPORT_SETUP.name


async def test_claim_hand_off_close_and_survey(service: CaseService, db: Database) -> None:
    case = (await open_for(service, 9)).case
    claimed = await service.claim(mod(), case.id)
    assert claimed.status == "claimed" and claimed.holder_id == MOD and claimed.acknowledged_at is not None
    with pytest.raises(InvalidInput, match="already holds"):
        await service.claim(mod(MOD2), case.id)
    with pytest.raises(InvalidInput, match="someone it is about"):
        await service.hand_off(mod(), case.id, 9, frozenset({MOD_ROLE}))
    with pytest.raises(InvalidInput, match="aren't one of the moderators"):
        await service.hand_off(mod(), case.id, MOD2, frozenset())
    assert (await service.hand_off(mod(), case.id, MOD2, frozenset({MOD_ROLE}))).holder_id == MOD2
    when = service.clock() + timedelta(days=3)
    closed = await service.close_support(
        mod(MOD2), case.id, reason="resolved", note="talked", followup_at=when, survey=True
    )
    assert closed.status == "closed" and closed.outcome == "resolved" and closed.followup_at == when
    with pytest.raises(InvalidInput, match="already closed"):
        await service.claim(mod(), case.id)
    with pytest.raises(NotAllowed):
        await service.record_survey(member(12345), case.id, "yes")
    assert (await service.record_survey(member(9), case.id, "yes")).survey_answer == "yes"
    async with db.read() as session:
        items = {
            i.kind: i.status
            for i in await session.scalars(select(ScheduledItem).where(ScheduledItem.case_id == case.id))
        }
        actions = (
            await session.scalars(
                select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.id)
            )
        ).all()
    assert (
        items[SUPPORT_NUDGE.name] == "cancelled"
        and items[CASE_FOLLOWUP.name] == "pending"
        and items[SUPPORT_CLOSE.name] == "pending"
    )
    assert actions == ["opened", "claimed", "handed_off", "closed", "survey_answered"]


async def test_a_case_of_another_guild_is_unknown_even_to_its_moderators(service: CaseService) -> None:
    case = (await open_for(service, 10)).case
    with pytest.raises(NotFound):  # a moderator of the other server, acting there
        await service.claim(mod(MOD, OTHER_GUILD, OTHER_MOD_ROLE), case.id)
    with pytest.raises(NotFound):  # a moderator of this server, acting from another (or a DM)
        await service.claim(mod(MOD, OTHER_GUILD), case.id)
    with pytest.raises(NotFound):
        await service.claim(Actor.of(MOD, None, [MOD_ROLE]), case.id)
    with pytest.raises(NotAllowed):  # a member of this server
        await service.claim(member(77), case.id)
    with pytest.raises(NotFound):  # an id out of any database's range never reaches the driver
        await service.claim(mod(), 0)


async def test_thread_messages_record_first_reply_and_member_activity(service: CaseService) -> None:
    case = (await open_for(service, 11)).case
    await service.set_thread(case.id, 555)
    await service.record_thread_message(555, 11, is_moderator=False)
    assert (await service.get(GUILD, case.id)).first_reply_at is None
    await service.record_thread_message(555, MOD, is_moderator=True)
    first = (await service.get(GUILD, case.id)).first_reply_at
    await service.record_thread_message(555, MOD2, is_moderator=True)
    assert first is not None and (await service.get(GUILD, case.id)).first_reply_at == first
    # After the first reply, moderators' and anyone else's messages change nothing: no write.
    from sqlalchemy import event

    commits = [0]

    def count(_connection: object) -> None:
        commits[0] += 1

    event.listen(service.db.engine.sync_engine, "commit", count)
    try:
        await service.record_thread_message(555, MOD, is_moderator=True)
        await service.record_thread_message(555, 999, is_moderator=False)
        assert commits[0] == 0
        later = service.clock.advance(minutes=5)  # type: ignore[attr-defined]
        await service.record_thread_message(555, 11, is_moderator=False)  # the member: still talking
        assert commits[0] == 1
        active = (await service.get(GUILD, case.id)).member_active_at
        assert active is not None and active >= later
    finally:
        event.remove(service.db.engine.sync_engine, "commit", count)


async def test_member_left_marks_open_cases(service: CaseService) -> None:
    case = (await open_for(service, 12)).case
    left = await service.member_left(GUILD, 12)
    assert [c.id for c in left] == [case.id] and left[0].member_left_at is not None


async def test_member_text_is_encrypted_at_rest(service: CaseService, db: Database) -> None:
    secret = "my neighbour keeps following me home"
    case = (await open_for(service, 13, text=secret)).case
    async with db.engine.connect() as conn:
        raw = (
            await conn.execute(text("SELECT body_enc FROM cases WHERE id = :id"), {"id": case.id})
        ).scalar()
    assert raw is not None and secret.encode() not in bytes(raw)
    assert (await service.get(GUILD, case.id)).body == secret


def test_key_file_is_created_once_with_owner_only_permissions(tmp_path: Path) -> None:
    first = load_cipher(tmp_path, environ={})
    key_file = tmp_path / "tend.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    token = first.encrypt("x")
    assert load_cipher(tmp_path, environ={}).decrypt(token) == "x"


def test_a_migration_never_makes_up_a_key_for_text_already_stored(tmp_path: Path) -> None:
    with pytest.raises(EncryptionKeyError, match="restore"):
        load_cipher(tmp_path, environ={}, create=False)
    assert not (tmp_path / "tend.key").exists()


def test_rotation_keeps_old_text_readable() -> None:
    old_key, new_key = Cipher.generate_key(), Cipher.generate_key()
    token = Cipher([old_key]).encrypt("before rotation")
    rotated = Cipher([new_key, old_key])
    assert rotated.decrypt(token) == "before rotation"
    assert Cipher([new_key]).decrypt(rotated.rotate(token)) == "before rotation"


async def test_reopening_never_makes_a_second_open_support_case(service: CaseService) -> None:
    followups = followup_service(service)
    first = (await open_for(service, 14)).case
    await service.close_support(mod(), first.id, reason="resolved")
    second = (await open_for(service, 14)).case  # they asked again after the cooldown
    reminder = await followups.remind_moderator(
        guild_id=GUILD,
        moderator_id=MOD,
        member_id=14,
        due_at=service.clock() + timedelta(days=1),
        note=None,
        case_id=first.id,
    )
    with pytest.raises(InvalidInput, match=r"already has support-0002 open"):
        await followups.reopen_from_followup(mod(), int(reminder.payload["followup"]))
    assert not (await service.get(GUILD, first.id)).is_open and (await service.get(GUILD, second.id)).is_open
    # A moderator of the other server can't reopen it from the same reminder at all.
    with pytest.raises(NotFound):
        await followups.reopen_from_followup(
            mod(MOD2, OTHER_GUILD, OTHER_MOD_ROLE), int(reminder.payload["followup"])
        )


async def test_a_card_counts_the_earlier_cases_that_name_a_person(db: Database) -> None:
    """Their own support and distress cases and reports about them count; reports they filed,
    the case itself and other servers' cases don't."""
    from bot.domain.cases.store import past_case_count
    from models import Case

    person, other = 4242, 4343
    rows = [
        Case(guild_id=GUILD, kind="support", number=1, status="closed", member_id=person),
        Case(guild_id=GUILD, kind="distress", number=1, status="closed", member_id=person),
        Case(guild_id=GUILD, kind="report", number=1, status="resolved", member_id=other, subject_id=person),
        Case(guild_id=GUILD, kind="report", number=2, status="new", member_id=None, subject_id=person),
        Case(guild_id=GUILD, kind="report", number=3, status="new", member_id=person, subject_id=other),
        Case(guild_id=OTHER_GUILD, kind="support", number=1, status="open", member_id=person),
        Case(guild_id=GUILD, kind="support", number=2, status="open", member_id=other),
    ]
    async with db.transaction() as session:
        session.add_all(rows)
    current = rows[3]  # the card being drawn: a report about them
    async with db.read() as session:
        assert await past_case_count(session, current, person) == 3
        assert await past_case_count(session, rows[0], person) == 3
        assert (
            await past_case_count(session, current, other) == 2
        )  # their support and the report they're named in
