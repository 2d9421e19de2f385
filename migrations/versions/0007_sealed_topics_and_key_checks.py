"""sealed /support topics and the key check

/support topics were free text stored plainly (cases.topic) and quoted in the "opened"
audit event. They move into cases.topic_enc, encrypted with Tend's key, and the audit
trail loses the quotes. key_checks holds the value ``tend run`` reads at start-up to prove
its keys can read what is stored.

Encrypting needs the key: ``tend migrate`` (and ``bot.auto_migrate``) pass a loader through
``config.attributes["cipher"]``; it is called only when there are topics to encrypt.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import context, op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEEDS_KEY = (
    "Migration 0007 encrypts the /support topics already stored, so it needs Tend's encryption "
    "key: run it with `tend migrate --config <your config>` (which loads the key from "
    "TEND_ENCRYPTION_KEYS or <data_dir>/tend.key), not the bare alembic command."
)

cases = sa.table(
    'cases',
    sa.column('id', sa.BigInteger()),
    sa.column('topic', sa.String(100)),
    sa.column('topic_enc', sa.LargeBinary()),
)
audit_events = sa.table(
    'audit_events',
    sa.column('id', sa.BigInteger()),
    sa.column('action', sa.String(64)),
    sa.column('detail', sa.JSON()),
)


WRONG_KEY = (
    "Migration 0007 would encrypt the stored /support topics, but the encryption keys it was "
    "given can't read the text already stored (written with another key). Put the key that "
    "wrote it back (newest first, old after) and migrate again."
)


def _cipher() -> Any:
    load = context.config.attributes.get('cipher')
    if load is None:
        raise RuntimeError(NEEDS_KEY)
    cipher = load()
    # Topics sealed with a key that can't read the rest would be lost when the right key
    # comes back: prove the key on text already stored first.
    bind = op.get_bind()
    for table, column in (('cases', 'body_enc'), ('cases', 'note_enc'), ('follow_ups', 'note_enc')):
        token = bind.execute(
            sa.text(f'SELECT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1')
        ).scalar()
        if token is not None:
            try:
                cipher.decrypt(bytes(token))
            except Exception:
                raise RuntimeError(WRONG_KEY) from None
            break
    return cipher


def upgrade() -> None:
    bind = op.get_bind()
    # Load the key before changing anything: SQLite's Python driver runs DDL outside the
    # transaction, so a migration that stopped half-way couldn't simply be run again.
    topics = bind.execute(sa.select(cases.c.id, cases.c.topic).where(cases.c.topic.is_not(None))).all()
    cipher = _cipher() if topics else None

    op.create_table('key_checks',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_key_checks'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic_enc', sa.LargeBinary(), nullable=True))

    for case_id, topic in topics:
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(topic_enc=cipher.encrypt(topic)))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('topic')

    # Only "opened" events quoted the topic; the audit trail keeps ids and labels.
    opened = bind.execute(
        sa.select(audit_events.c.id, audit_events.c.detail).where(audit_events.c.action == 'opened')
    ).all()
    for event_id, detail in opened:
        if isinstance(detail, dict) and 'topic' in detail:
            kept = {k: v for k, v in detail.items() if k != 'topic'}
            bind.execute(sa.update(audit_events).where(audit_events.c.id == event_id).values(detail=kept))


def downgrade() -> None:
    bind = op.get_bind()
    sealed = bind.execute(
        sa.select(cases.c.id, cases.c.topic_enc).where(cases.c.topic_enc.is_not(None))
    ).all()
    cipher = _cipher() if sealed else None

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('topic', sa.String(length=100), nullable=True))

    for case_id, token in sealed:
        topic = cipher.decrypt(bytes(token))
        bind.execute(sa.update(cases).where(cases.c.id == case_id).values(topic=topic[:100]))

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('topic_enc')

    op.drop_table('key_checks')
