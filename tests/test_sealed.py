"""Encrypted text declared once: the sealed-column registry, and everything it drives.

Every column that can hold a person's words is sealed; every sealed column is encrypted at
rest, exported to its author, erased by their /privacy delete where the model says so,
cleared by the retention purge and re-encrypted by rotate-keys, without per-column code.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import JSON, LargeBinary, String, Text, func, select, text
from sqlalchemy.exc import StatementError

from bot.domain.cases.store import audit
from bot.domain.config import parse_settings
from bot.domain.privacy import PrivacyService
from bot.infra.crypto import Cipher
from bot.infra.db import Database
from bot.infra.jobs import JobEngine
from bot.infra.sealing import KeysCantRead, primary_key, rotate_keys, verify_keys
from models import (
    KEY_CHECK_ID,
    KEY_CHECK_VALUE,
    Base,
    Case,
    CaseMessage,
    DirectMessage,
    FollowUp,
    KeyCheck,
    MemberPause,
    ModerationAction,
    Reflection,
    ReportDraft,
    SealedColumn,
    UnsealedDatabase,
    sealed_columns,
    sealed_tables,
    utcnow,
)

from .domain import MINIMAL

GUILD = MINIMAL["guilds"][0]["id"]
MEMBER, OTHER, MOD = 1 << 43, 1 << 44, 1 << 45

# Text columns that are not sealed, each with why it can't hold a person's words.
NOT_WORDS = {
    "direct_messages.direction": "in / out",
    "direct_messages.status": "a status key",
    "dm_relays.ended_by": "member / closed",
    "audit_events.action": "an action key Tend chose",
    "audit_events.detail": "ids and labels only; audit() refuses free text",
    "case_counters.kind": "a case kind",
    "cases.kind": "a case kind",
    "cases.status": "a status key",
    "cases.rule_id": "a rule id from the owner's config",
    "cases.outcome": "an outcome key from a fixed list",
    "cases.survey_answer": "yes / somewhat / no",
    "cases.problem": "Tend's own note of a stuck Discord step",
    "command_syncs.payload_hash": "a hash of the command set",
    "member_locales.locale": "a Discord locale code (es-ES), as Discord sends it",
    "follow_ups.kind": "followup / reminder",
    "follow_ups.status": "a status key",
    "follow_ups.checkin": "a check-in state key",
    "scheduled_items.kind": "a job kind",
    "scheduled_items.status": "a status key",
    "scheduled_items.payload": "ids, flags and Tend-written notices; words live sealed on their rows",
    "scheduled_items.last_error": "Tend's own error text",
    "scheduled_items.dedupe_key": "kind:id keys",
    "member_pauses.reason": "a reason key from a fixed list",
    "moderation_actions.action": "timeout / ban",
}


def test_every_text_column_is_sealed_or_known_to_hold_no_ones_words() -> None:
    sealed = {c.name for c in sealed_columns(Base.metadata)}
    textual = {
        f"{table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, String | Text | JSON | LargeBinary)
        or isinstance(getattr(column.type, "impl", None), String | Text | JSON | LargeBinary)
    }
    unexplained = textual - sealed - set(NOT_WORDS)
    assert not unexplained, (
        f"{sorted(unexplained)} can hold text but isn't sealed: use models.sealed() if a person's "
        "words can end up there, else add it to NOT_WORDS with the reason"
    )
    assert not set(NOT_WORDS) - textual, "NOT_WORDS names a column that no longer exists"
    assert sealed >= {
        "cases.topic_enc",
        "cases.body_enc",
        "cases.snapshot_enc",
        "cases.note_enc",
        "follow_ups.note_enc",
        "reflections.text_enc",
    }


def test_every_table_with_words_declares_how_they_expire_and_whose_they_are() -> None:
    for table, rule, columns in sealed_tables(Base):
        assert rule is not None, f"{table.name} has sealed columns but its model declares no `retention`"
        assert len(table.primary_key.columns) == 1, f"{table.name}: rotation pages by a one-column key"
        if rule.action != "keep":
            assert rule.after in table.c and "guild_id" in table.c, table.name
            assert all(name in table.c for name in rule.also_clear), table.name
        else:
            assert rule.reason, f"{table.name}: say why nothing expires"
        for sealed in columns:
            if sealed.seal.author is not None:
                assert sealed.seal.author in table.c and "guild_id" in table.c, sealed.name
            assert sealed.column.nullable or sealed.seal.erasable in (True, False), (
                f"{sealed.name}: a NOT NULL sealed column is erased by deleting its row, so "
                "a condition on which rows are erasable isn't supported"
            )


async def test_a_database_without_keys_refuses_sealed_columns(database_url: str) -> None:
    from bot.infra.migrate import upgrade

    async with Database.open(database_url) as db:
        await upgrade(db.engine)
        with pytest.raises(StatementError) as caught:
            async with db.transaction() as session:
                session.add(Case(guild_id=GUILD, kind="support", number=1, status="open", body="unsealed!"))
        assert isinstance(caught.value.orig, UnsealedDatabase)
        assert "seal_with" in str(caught.value) and "unsealed!" not in str(caught.value)


# -- one sentinel in every sealed column ------------------------------------------------------


def sentinel(column: str, n: int = 0) -> str:
    return f"sentinel {column} {n} ✓"


async def fill(db: Database) -> dict[str, list[tuple[int, Any, int | None]]]:
    """A distinct sentinel in every sealed column, mostly written by MEMBER; returns
    (row, value, author) per sealed column."""
    now = utcnow()
    support = Case(
        guild_id=GUILD,
        kind="support",
        number=1,
        status="open",
        member_id=MEMBER,
        topic=sentinel("cases.topic_enc"),
        body=sentinel("cases.body_enc"),
        opened_at=now,
    )
    # A report MEMBER resolved as a moderator: their note; the reporter's words; someone's message.
    report = Case(
        guild_id=GUILD,
        kind="report",
        number=1,
        status="acknowledged",
        member_id=OTHER,
        subject_id=MOD,
        rule_id="respect",
        body=sentinel("cases.body_enc", 1),
        snapshot={"content": sentinel("cases.snapshot_enc"), "author_id": str(MOD)},
        note=sentinel("cases.note_enc"),
        closed_by=MEMBER,
        opened_at=now,
    )
    reminder = FollowUp(
        guild_id=GUILD,
        kind="reminder",
        owner_id=MEMBER,
        note=sentinel("follow_ups.note_enc"),
        created_by=MEMBER,
        due_at=now,
        first_due_at=now,
    )
    # MEMBER, as a moderator, asked to check in on OTHER.
    followup = FollowUp(
        guild_id=GUILD,
        kind="followup",
        owner_id=MEMBER,
        member_id=OTHER,
        note=sentinel("follow_ups.note_enc", 1),
        created_by=MEMBER,
        due_at=now,
        first_due_at=now,
    )
    reflection = Reflection(guild_id=GUILD, author_id=MEMBER, text=sentinel("reflections.text_enc"))
    key_check = KeyCheck(id=KEY_CHECK_ID, value=KEY_CHECK_VALUE)  # what `tend run` writes first
    # OTHER opened Report message on a message of MOD's and hasn't sent the form yet.
    draft = ReportDraft(
        id=1 << 50,
        guild_id=GUILD,
        reporter_id=OTHER,
        channel_id=1 << 51,
        message_id=1 << 52,
        author_id=MOD,
        snapshot={"content": sentinel("report_drafts.snapshot"), "author_id": str(MOD)},
        created_at=now,
    )
    # MEMBER wrote to Tend by DM; MOD's answer in a relayed case was sent to OTHER's DMs.
    dm = DirectMessage(
        guild_id=GUILD,
        member_id=MEMBER,
        author_id=MEMBER,
        direction="in",
        status="waiting",
        source_id=1 << 53,
        body=sentinel("direct_messages.body"),
        created_at=now,
    )
    answer = DirectMessage(
        guild_id=GUILD,
        member_id=OTHER,
        author_id=MOD,
        direction="out",
        status="relayed",
        source_id=1 << 54,
        body=sentinel("direct_messages.body", 1),
        created_at=now,
    )
    # OTHER, as a moderator, paused MOD's access with a note; MOD timed OTHER out with a reason.
    paused = MemberPause(
        guild_id=GUILD,
        member_id=MOD,
        paused_by=OTHER,
        reason="abuse",
        note=sentinel("member_pauses.note"),
        starts_at=now,
        ends_at=now,
        ended_at=now,
    )
    action = ModerationAction(
        guild_id=GUILD,
        member_id=OTHER,
        action="timeout",
        acted_by=MOD,
        reason=sentinel("moderation_actions.reason"),
    )
    async with db.transaction() as session:
        session.add_all(
            [support, report, reminder, followup, reflection, key_check, draft, dm, answer, paused, action]
        )
        await session.flush()
        support.thread_id, report.thread_id = 1 << 53, 1 << 54
        # What was said in case threads: MEMBER in their own support thread, and (as a
        # moderator) in OTHER's conversation about their report; OTHER there too.
        session.add_all(
            [
                said(support, MEMBER, sentinel("case_messages.record_enc"), 1),
                said(report, MEMBER, sentinel("case_messages.record_enc", 1), 2),
                said(report, OTHER, sentinel("case_messages.record_enc", 2), 3),
            ]
        )
    filled: dict[str, list[tuple[int, Any, int | None]]] = {}
    async with db.read() as session:
        for sealed in sealed_columns(Base.metadata):
            pk, author = primary_key(sealed.table), sealed.author_column()
            columns = [pk, sealed.column] + ([] if author is None else [author])
            rows = await session.execute(select(*columns).where(sealed.column.is_not(None)))
            filled[sealed.name] = [(row[0], row[1], row[2] if author is not None else None) for row in rows]
    missing = [name for name, rows in filled.items() if not rows]
    assert not missing, f"fill() puts nothing in {missing}: add a row so its coverage is checked"
    return filled


def said(case: Case, author: int, text: str, n: int) -> CaseMessage:
    assert case.thread_id is not None
    return CaseMessage(
        guild_id=GUILD,
        case_id=case.id,
        thread_id=case.thread_id,
        message_id=(1 << 55) + n,
        author_id=author,
        record={"name": f"person {n}", "text": text},
    )


def shown_of(value: Any) -> str:
    return value if isinstance(value, str) else value.get("content") or value["text"]


def privacy_service(db: Database) -> PrivacyService:
    jobs = JobEngine(db, AsyncIOScheduler(timezone="UTC"))
    return PrivacyService(db, jobs, parse_settings(MINIMAL, {}))


async def current(db: Database, sealed: SealedColumn, row: int) -> tuple[bool, Any]:
    """(the row still exists, the column's value)."""
    pk = primary_key(sealed.table)
    async with db.read() as session:
        found = (await session.execute(select(sealed.column).where(pk == row))).first()
    return (found is not None, None if found is None else found[0])


async def test_export_has_every_sealed_word_its_author_wrote_and_nothing_else(db: Database) -> None:
    filled = await fill(db)
    export = json.dumps(await privacy_service(db).export(GUILD, MEMBER), ensure_ascii=False)
    for sealed in sealed_columns(Base.metadata):
        for _row, value, author in filled[sealed.name]:
            shown = shown_of(value)
            if author == MEMBER:
                assert shown in export, f"{sealed.name}: written by the member but not exported"
            else:  # nobody's own words (a reported message), or someone else's
                assert shown not in export, f"{sealed.name}: not the member's to export"
    # The reporter's words are the reporter's: not in the export of the moderator who closed it.
    assert sentinel("cases.body_enc", 1) not in export
    data = json.loads(export)
    assert data["support_requests"][0]["what_you_wrote"] == sentinel("cases.body_enc")
    assert data["support_requests"][0]["topic"] == sentinel("cases.topic_enc")
    assert data["reminders"][0]["text"] == sentinel("follow_ups.note_enc")
    others = {entry["where"]: shown_of(entry["text"]) for entry in data["other_words_you_wrote"]}
    assert others == {
        "cases.note": sentinel("cases.note_enc"),
        "follow_ups.note": sentinel("follow_ups.note_enc", 1),
        "reflections.text": sentinel("reflections.text_enc"),
        "direct_messages.body": sentinel("direct_messages.body"),
        # What they said as a moderator in someone else's thread: their words, not their thread.
        "case_messages.record": sentinel("case_messages.record_enc", 1),
    }
    # Their own thread comes whole, as a conversation.
    (conversation,) = data["your_conversations"]
    assert conversation["reference"] == "support-0001"
    assert [(m["from"], m["text"]) for m in conversation["messages"]] == [
        ("you", sentinel("case_messages.record_enc"))
    ]
    held = await privacy_service(db).held(GUILD, MEMBER)
    # other words: a case note, a follow-up note, a reflection, a DM, what they said in OTHER's thread
    assert held.other_words == 5 and held.support_cases == 1 and held.reminders == 1
    assert held.thread_messages == 1


async def test_delete_erases_every_erasable_word_the_member_wrote(db: Database) -> None:
    filled = await fill(db)
    expected: dict[tuple[str, int], bool] = {}
    async with db.read() as session:
        for sealed in sealed_columns(Base.metadata):
            erasable, author = sealed.erasable_where(), sealed.author_column()
            for row, _value, _author in filled[sealed.name]:
                if erasable is None or author is None:
                    expected[(sealed.name, row)] = False
                    continue
                pk = primary_key(sealed.table)
                matches = await session.scalar(
                    select(func.count())
                    .select_from(sealed.table)
                    .where(pk == row, author == MEMBER, erasable)
                )
                expected[(sealed.name, row)] = bool(matches)
    assert expected[("cases.topic_enc", filled["cases.topic_enc"][0][0])]  # the /support topic goes
    assert not expected[("cases.note_enc", filled["cases.note_enc"][0][0])]  # moderation keeps notes

    deleted = await privacy_service(db).delete_mine(GUILD, MEMBER)
    assert deleted.intake_texts == 1 and deleted.reminders == 1 and deleted.other_texts == 3

    for sealed in sealed_columns(Base.metadata):
        for row, value, _author in filled[sealed.name]:
            exists, now = await current(db, sealed, row)
            if expected[(sealed.name, row)]:
                assert not exists or now is None, f"{sealed.name} row {row} should be erased"
            else:
                assert now == value, f"{sealed.name} row {row} should be kept"


async def test_retention_purge_clears_every_sealed_word_of_expired_rows(db: Database) -> None:
    filled = await fill(db)
    long_ago = utcnow() - timedelta(days=400)
    async with db.transaction() as session:
        for case in (await session.scalars(select(Case))).all():
            case.status, case.closed_at = "closed", long_ago
        for followup in (await session.scalars(select(FollowUp))).all():
            followup.status, followup.due_at = "done", long_ago
        for reflection in (await session.scalars(select(Reflection))).all():
            reflection.created_at = long_ago
        for draft in (await session.scalars(select(ReportDraft))).all():
            draft.created_at = long_ago
        for message in (await session.scalars(select(DirectMessage))).all():
            message.created_at = long_ago
        for pause in (await session.scalars(select(MemberPause))).all():
            pause.ends_at = long_ago
        for action in (await session.scalars(select(ModerationAction))).all():
            action.acted_at = long_ago

    purged = await privacy_service(db).purge_expired(GUILD)
    assert purged.cases == 2 and purged.followups == 2 and purged.reflections == 1

    for _table, rule, columns in sealed_tables(Base):
        assert rule is not None
        for sealed in columns:
            for row, value, _author in filled[sealed.name]:
                exists, now = await current(db, sealed, row)
                if rule.action == "keep":
                    assert now == value
                else:
                    assert not exists or now is None, f"{sealed.name} row {row} outlived retention"
    async with db.read() as session:
        assert await session.scalar(select(func.count()).where(Case.member_id.is_not(None))) == 0


async def raw_tokens(db: Database) -> dict[str, set[bytes]]:
    """Every stored token of every sealed column, as the database holds it."""
    found: dict[str, set[bytes]] = {}
    async with db.engine.connect() as conn:
        for sealed in sealed_columns(Base.metadata):
            column, table = sealed.column.name, sealed.table.name
            rows = await conn.execute(text(f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"))
            found[sealed.name] = {bytes(row[0]) for row in rows}
    return found


async def test_rotate_keys_re_encrypts_every_sealed_column_so_the_old_key_can_go(db: Database) -> None:
    old, new = Cipher.generate_key(), Cipher.generate_key()
    db.seal_with(Cipher([old]))
    filled = await fill(db)
    before = await raw_tokens(db)

    both = Cipher([new, old])
    db.seal_with(both)
    counts = await rotate_keys(db, both.rotate, batch=2)  # several batches per table
    assert counts == {
        table.name: sum(len(filled[s.name]) for s in columns) for table, _rule, columns in sealed_tables(Base)
    }
    after = await raw_tokens(db)
    for name, tokens in after.items():
        assert tokens and not tokens & before[name], f"{name} was not re-encrypted"

    db.seal_with(Cipher([new]))  # the old key is gone
    await verify_keys(db)
    for sealed in sealed_columns(Base.metadata):
        for row, value, _author in filled[sealed.name]:
            assert (await current(db, sealed, row))[1] == value, sealed.name


async def test_keys_that_cant_read_stored_words_are_refused(db: Database) -> None:
    old, new = Cipher.generate_key(), Cipher.generate_key()
    db.seal_with(Cipher([old]))
    await verify_keys(db)  # an empty database: the key check is written with the old key
    db.seal_with(Cipher([new]))
    with pytest.raises(KeysCantRead, match="key_checks"):
        await verify_keys(db)

    # Rotated, except a reflection someone left under a key that was then removed.
    db.seal_with(Cipher([new, old]))
    await rotate_keys(db, Cipher([new, old]).rotate)
    db.seal_with(Cipher([old]))
    async with db.transaction() as session:
        session.add(Reflection(guild_id=GUILD, author_id=MOD, text="written under the old key"))
    db.seal_with(Cipher([new]))
    with pytest.raises(KeysCantRead, match="reflections"):
        await verify_keys(db)


async def test_the_audit_trail_refuses_anything_that_looks_like_someones_words(db: Database) -> None:
    async with db.transaction() as session:
        audit(session, None, "closed", MOD, guild_id=GUILD, reason="no_response", rule="respect", step=2)
        with pytest.raises(ValueError, match="free text"):
            audit(session, None, "opened", MEMBER, guild_id=GUILD, topic="my landlord is evicting me")
        with pytest.raises(ValueError, match="free text"):
            audit(session, None, "opened", MEMBER, guild_id=GUILD, why="x" * 65)
