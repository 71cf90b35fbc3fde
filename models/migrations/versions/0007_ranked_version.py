"""The version (edit time) of the row each stored ranking was computed from

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""
from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty for the rankings stored before: any job may replace them (as before this column).
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('ranked_version', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('ranked_version')
