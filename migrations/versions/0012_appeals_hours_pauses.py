"""pauses of a member's access, the moderation actions members may appeal, appeal cases

member_pauses: a moderator paused a member's use of /support, /report and /remind for a while
(ended by time or lifted early). moderation_actions: a timeout or ban Tend noticed, which the
member may ask a review of. cases.acted_by: on an appeal, the moderator who took the action
(they never decide it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('member_pauses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('paused_by', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('note', sa.LargeBinary(), nullable=True),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by', sa.BigInteger(), nullable=True),
    sa.Column('notice_channel_id', sa.BigInteger(), nullable=True),
    sa.Column('notice_message_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_pauses'))
    )
    op.create_index('ix_member_pauses_guild_member', 'member_pauses', ['guild_id', 'member_id'], unique=False)
    op.create_table('moderation_actions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('member_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('acted_by', sa.BigInteger(), nullable=True),
    sa.Column('acted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.LargeBinary(), nullable=True),
    sa.Column('case_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_actions'))
    )
    op.create_index(
        'ix_moderation_actions_guild_member', 'moderation_actions', ['guild_id', 'member_id'], unique=False
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('acted_by', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('acted_by')
    op.drop_index('ix_moderation_actions_guild_member', table_name='moderation_actions')
    op.drop_table('moderation_actions')
    op.drop_index('ix_member_pauses_guild_member', table_name='member_pauses')
    op.drop_table('member_pauses')
