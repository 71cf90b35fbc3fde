"""Learning from outcomes: the ranking models tried (and which is live), which model ranked
each match, and a person's optional self-declared gender (for the fairness audit only)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'ranking_models',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('weights', JSONType, nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('why', sa.Text(), nullable=False),
        sa.Column('figures', JSONType, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('live_from', sa.DateTime(timezone=True), nullable=True),
        sa.Column('live_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_models')),
    )
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ranker', sa.String(length=40), nullable=True))
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('gender')
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_column('ranker')
    op.drop_table('ranking_models')
