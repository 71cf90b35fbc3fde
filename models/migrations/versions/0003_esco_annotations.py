"""ESCO annotations cached on profiles and vacancies

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('esco', JSON, nullable=True))
            batch_op.add_column(sa.Column('esco_key', sa.String(length=32), nullable=True))


def downgrade() -> None:
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('esco_key')
            batch_op.drop_column('esco')
