"""report drafts and the distress notice's channel

report_drafts keeps the message a Report message form is about (as Discord resolved it)
between the form opening and its submit, so the form's custom_id carries only the draft's
id. cases.source_channel_id records a distress notice's channel, so the per-channel hourly
cap is counted in the database (it used to live in memory and reset on restart).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('report_drafts',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('reporter_id', sa.BigInteger(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('snapshot', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_drafts'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source_channel_id', sa.BigInteger(), nullable=True))
        batch_op.create_index('ix_cases_source_channel', ['source_channel_id', 'opened_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_source_channel')
        batch_op.drop_column('source_channel_id')
    op.drop_table('report_drafts')
