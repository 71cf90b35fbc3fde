"""Degree name and where it is recognised; country-specific status codes; rankings redone

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

# The generic "protection_permit" of earlier versions becomes the instrument of the
# country the person lives in (the statuses with that alias in config/countries); other
# codes that a country does not have are read as "not given" by the eligibility rules.
PROTECTION = {'CO': 'ppt', 'PE': 'cpp', 'EC': 'virte', 'BR': 'residencia_venezuelanos', 'CR': 'cet',
              'DO': 'pnv', 'PA': 'ppsh', 'CL': 'vrd'}


def upgrade() -> None:
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('education_degree', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('education_recognised_in', JSON, nullable=True))
    profiles = sa.table('profiles', sa.column('country', sa.String), sa.column('legal_status', sa.String))
    for country, code in PROTECTION.items():
        op.execute(profiles.update().where(profiles.c.legal_status == 'protection_permit')
                   .where(profiles.c.country == country).values(legal_status=code))
    op.execute(profiles.update().where(profiles.c.legal_status == 'unknown').values(legal_status=None))
    # Every ranking was made without the mobility rules: the reconciler redoes them.
    for table in ('profiles', 'vacancies'):
        op.execute(sa.table(table, sa.column('ranked_at', sa.DateTime)).update().values(ranked_at=None))


def downgrade() -> None:
    profiles = sa.table('profiles', sa.column('country', sa.String), sa.column('legal_status', sa.String))
    for country, code in PROTECTION.items():
        op.execute(profiles.update().where(profiles.c.legal_status == code)
                   .where(profiles.c.country == country).values(legal_status='protection_permit'))
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('education_recognised_in')
        batch_op.drop_column('education_degree')
