"""Applications: a person may start the conversation about a vacancy (apply), not only an
employer (interest); what the person chose to share goes with it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('interests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('started_by', sa.String(length=10), nullable=False, server_default='employer'))
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('shared', JSONType, nullable=True))
        batch_op.add_column(sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('status', existing_type=sa.String(length=10), type_=sa.String(length=12),
                              existing_nullable=False)
    # "accepted"" (a person gave a contact to an employer who asked) is now "shared": the same
    # state an application starts in.
    op.execute("UPDATE interests SET status = 'shared' WHERE status = 'accepted'")
    op.execute("UPDATE interests SET updated_at = COALESCE(decided_at, created_at)")


def downgrade() -> None:
    op.execute("UPDATE interests SET status = 'accepted' WHERE status IN ('shared', 'seen', 'interested', 'not_selected')")
    op.execute("DELETE FROM interests WHERE started_by = 'seeker' OR status = 'withdrawn'")
    with op.batch_alter_table('interests', schema=None) as batch_op:
        for column in ('updated_at', 'seen_at', 'shared', 'message', 'started_by'):
            batch_op.drop_column(column)
        batch_op.alter_column('status', existing_type=sa.String(length=12), type_=sa.String(length=10),
                              existing_nullable=False)
