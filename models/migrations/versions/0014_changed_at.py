"""When a profile or vacancy last changed what the workers' vector indexes hold (its vector,
country, status, reach floor): an index syncs only the rows changed since its last sync

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""
from alembic import op
import sqlalchemy as sa

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


# Every UPDATE of a row moves its `changed_at`, unless the statement sets it itself: the
# database does it, so a hand edit in SQL is seen by the workers' indexes and document caches
# as any edit through the app is.
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION puente_touch_changed() RETURNS trigger AS $$
BEGIN
    IF NEW.changed_at IS NOT DISTINCT FROM OLD.changed_at THEN
        NEW.changed_at := clock_timestamp();
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = """
CREATE TRIGGER {table}_changed_at BEFORE UPDATE ON {table}
FOR EACH ROW EXECUTE FUNCTION puente_touch_changed()
"""
# SQLite: the same after the update (its triggers do not recurse), in the format SQLAlchemy
# stores datetimes in (microseconds: '%f' gives milliseconds).
SQLITE_TRIGGER = """
CREATE TRIGGER {table}_changed_at AFTER UPDATE ON {table}
FOR EACH ROW WHEN NEW.changed_at IS OLD.changed_at
BEGIN
    UPDATE {table} SET changed_at = strftime('%Y-%m-%d %H:%M:%f000', 'now') WHERE id = NEW.id;
END
"""


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if not sqlite:
        op.execute(PG_FUNCTION)
    for table in ('profiles', 'vacancies'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True))
        op.execute(f'UPDATE {table} SET changed_at = updated_at')
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_changed_at'), ['changed_at'], unique=False)
        op.execute((SQLITE_TRIGGER if sqlite else PG_TRIGGER).format(table=table))


def downgrade() -> None:
    for table in ('profiles', 'vacancies'):
        op.execute(f'DROP TRIGGER IF EXISTS {table}_changed_at' + ('' if op.get_bind().dialect.name == 'sqlite'
                                                                   else f' ON {table}'))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_changed_at'))
            batch_op.drop_column('changed_at')
    if op.get_bind().dialect.name != 'sqlite':
        op.execute('DROP FUNCTION IF EXISTS puente_touch_changed()')
