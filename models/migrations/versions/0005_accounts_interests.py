"""Accounts for employers and case workers; employers' interest in candidates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('employer_id', sa.Integer(), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_users_employer_id_employers'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name=op.f('uq_users_email')),
    )
    op.create_table(
        'interests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('vacancy_id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('contact', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['profile_id'], ['profiles.id'], name=op.f('fk_interests_profile_id_profiles'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['vacancy_id'], ['vacancies.id'], name=op.f('fk_interests_vacancy_id_vacancies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interests')),
        sa.UniqueConstraint('vacancy_id', 'profile_id', name=op.f('uq_interests_pair')),
    )
    op.create_index(op.f('ix_interests_profile_id'), 'interests', ['profile_id'], unique=False)
    op.create_index(op.f('ix_interests_vacancy_id'), 'interests', ['vacancy_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_interests_vacancy_id'), table_name='interests')
    op.drop_index(op.f('ix_interests_profile_id'), table_name='interests')
    op.drop_table('interests')
    op.drop_table('users')
