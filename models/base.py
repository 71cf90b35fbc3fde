"""The declarative base, column types shared by the models, and the database handle."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, LargeBinary, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware.

    SQLite has no time zones; without this, a value would come back naive there and
    aware on PostgreSQL, and comparisons between the two would break.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        return value.astimezone(UTC) if dialect.name == "postgresql" else value.astimezone(
            UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Rankable:
    """Columns of what gets ranked (profiles and vacancies): caches and ranking times."""

    # Embedding cache: the vectors and the hash of (encoder, text) they were computed from.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    embedding_key: Mapped[str | None] = mapped_column(String(64))
    # ESCO annotation (matching.annotate) and the hash of what it was computed from.
    esco: Mapped[dict | None] = mapped_column(JSONType)
    esco_key: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # When the stored ranking was computed (the data snapshot it reflects); None: never.
    ranked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The version of the row (its `updated_at`) that the stored ranking was computed from: a
    # job that read an older version never replaces it (see models.queries.claim_ranking).
    ranked_version: Mapped[datetime | None] = mapped_column(UTCDateTime)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web read while a worker writes; busy_timeout waits instead of failing.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def make_engine(url: str) -> Engine:
    """Create an engine for `url` with the options each backend needs."""
    if url.startswith("sqlite"):
        # hide_parameters: an SQL error must not quote personal data into a log or into Redis.
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True)


class Database:
    """An engine and its session factory; one per process, created by its entry point."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on any error."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
