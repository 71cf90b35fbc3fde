"""Each row's reach floor: the cosine of the farthest candidate its last job scored

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty for the rankings stored before: those rows are found again by their next job.
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('reach_floor', sa.Float(), nullable=True))


def downgrade() -> None:
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('reach_floor')
