"""Skills Puente inferred from a job title that the person said they do not have

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), 'postgresql')


def upgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('declined_skills', JSONType, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('declined_skills')
