"""direct messages to Tend and the DM relay

direct_messages keeps what a member DMs Tend (sealed) from the moment it arrives, once per
server it could go to, and each message relayed between a case thread and the member's DMs;
dm_relays marks the support cases a member talks to through DMs.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('direct_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.Column('source_id', sa.BigInteger(), nullable=False),
    sa.Column('delivered_id', sa.BigInteger(), nullable=True),
    sa.Column('body', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_direct_messages'))
    )
    with op.batch_alter_table('direct_messages', schema=None) as batch_op:
        batch_op.create_index('ix_direct_messages_member', ['member_id', 'status'], unique=False)
        batch_op.create_index('ix_direct_messages_source', ['source_id'], unique=False)
    op.create_table('dm_relays',
    sa.Column('case_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=16), nullable=True),
    sa.Column('dms_closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_dm_relays'))
    )
    with op.batch_alter_table('dm_relays', schema=None) as batch_op:
        batch_op.create_index('ix_dm_relays_member', ['member_id', 'ended_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dm_relays', schema=None) as batch_op:
        batch_op.drop_index('ix_dm_relays_member')
    op.drop_table('dm_relays')
    with op.batch_alter_table('direct_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_direct_messages_source')
        batch_op.drop_index('ix_direct_messages_member')
    op.drop_table('direct_messages')
