"""Outcomes: every step after a match is an event with its time (shown, opened, interested,
applied, accepted, declined, withdrawn, interview, hired, not selected, not relevant)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table(
        'outcomes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('vacancy_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('side', sa.String(length=8), nullable=True),
        sa.Column('by', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=True),
        sa.Column('once', sa.String(length=60), nullable=True),
        sa.Column('rank', sa.Integer(), nullable=True),
        sa.Column('score', sa.Float(), nullable=True),
        sa.Column('scores', JSONType, nullable=True),
        sa.Column('ranker', sa.String(length=40), nullable=True),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_outcomes_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vacancy_id'], ['vacancies.id'], name=op.f('fk_outcomes_vacancy_id_vacancies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes')),
        sa.UniqueConstraint('once', name=op.f('uq_outcomes_once')),
    )
    op.create_index('ix_outcomes_pair', 'outcomes', ['profile_id', 'vacancy_id'])
    op.create_index('ix_outcomes_at', 'outcomes', ['at'])
    op.create_index(op.f('ix_outcomes_vacancy_id'), 'outcomes', ['vacancy_id'])


def downgrade() -> None:
    op.drop_table('outcomes')
