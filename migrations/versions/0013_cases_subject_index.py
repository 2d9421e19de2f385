"""an index on the person a report is about

A report's card counts the earlier cases that name the reported member; without this index
that count read every case of the server, once per card, which grows with the community.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 07:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_guild_subject', ['guild_id', 'subject_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_guild_subject')
