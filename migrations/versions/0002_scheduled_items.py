"""scheduled items

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 03:15:22.144162
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('scheduled_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.Column('target_id', sa.BigInteger(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('dedupe_key', sa.String(length=80), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_items')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_scheduled_items_dedupe_key'))
    )
    with op.batch_alter_table('scheduled_items', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_items_case', ['case_id'], unique=False)
        batch_op.create_index('ix_scheduled_items_status_due', ['status', 'due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('scheduled_items', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_items_status_due')
        batch_op.drop_index('ix_scheduled_items_case')

    op.drop_table('scheduled_items')
