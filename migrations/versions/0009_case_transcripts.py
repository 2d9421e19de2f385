"""case transcripts: the messages of a case's threads, recorded as they happen

case_messages keeps every message of a case's private threads (who, when, edited, deleted,
and, sealed, what was said), so a case's transcript survives its thread and goes with the case
under the retention purge. transcript_posts remembers where each transcript file was posted,
so that copy goes too.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('case_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('thread_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('author_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('record_enc', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_messages'))
    )
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.create_index('ix_case_messages_case', ['case_id', 'created_at'], unique=False)
        batch_op.create_index('ix_case_messages_message', ['message_id'], unique=True)
    op.create_table('transcript_posts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('guild_id', sa.BigInteger(), nullable=False),
    sa.Column('case_id', sa.BigInteger(), nullable=False),
    sa.Column('channel_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_posts'))
    )
    with op.batch_alter_table('transcript_posts', schema=None) as batch_op:
        batch_op.create_index('ix_transcript_posts_case', ['case_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('transcript_posts', schema=None) as batch_op:
        batch_op.drop_index('ix_transcript_posts_case')
    op.drop_table('transcript_posts')
    with op.batch_alter_table('case_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_case_messages_message')
        batch_op.drop_index('ix_case_messages_case')
    op.drop_table('case_messages')
