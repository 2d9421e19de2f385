"""cases

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 03:21:49.068549
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_counters',
    sa.Column('guild_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('guild_id', 'kind', name=op.f('pk_case_counters'))
    )
    op.create_table('cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=True),
    sa.Column('subject_id', sa.BigInteger(), nullable=True),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('escalated', sa.Boolean(), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=True),
    sa.Column('rule_id', sa.String(length=40), nullable=True),
    sa.Column('body_enc', sa.LargeBinary(), nullable=True),
    sa.Column('snapshot_enc', sa.LargeBinary(), nullable=True),
    sa.Column('holder_id', sa.BigInteger(), nullable=True),
    sa.Column('thread_id', sa.BigInteger(), nullable=True),
    sa.Column('staff_thread_id', sa.BigInteger(), nullable=True),
    sa.Column('card_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('card_message_id', sa.BigInteger(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_reply_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('member_active_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('note_enc', sa.LargeBinary(), nullable=True),
    sa.Column('followup_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('survey_answer', sa.String(length=16), nullable=True),
    sa.Column('member_left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('problem', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('guild_id', 'kind', 'number', name=op.f('uq_cases_guild_id_kind_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_guild_member', ['guild_id', 'member_id'], unique=False)
        batch_op.create_index('ix_cases_guild_status', ['guild_id', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_guild_status')
        batch_op.drop_index('ix_cases_guild_member')

    op.drop_table('cases')
    op.drop_table('case_counters')
