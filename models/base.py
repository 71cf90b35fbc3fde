"""The declarative base, column types shared by the models, and the database handle."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from sqlalchemy import JSON, DateTime, Float, LargeBinary, MetaData, String, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
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

log = logging.getLogger(__name__)
T = TypeVar("T")

# PostgreSQL's SQLSTATEs for a transaction the server rolled back to break a conflict:
# deadlock_detected, serialization_failure. Trying again at once is the documented answer.
_RETRYABLE_STATES = {"40P01", "40001"}
RETRIES = 4   # tries of a transaction that keeps losing a conflict, then it fails as any other error


def sqlstate(exc: DBAPIError) -> str | None:
    """The SQLSTATE of a driver's error: psycopg 3's `sqlstate`, psycopg2's `pgcode`."""
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def retryable(exc: BaseException) -> bool:
    """Whether `exc` is a conflict between transactions (deadlock, serialization failure,
    SQLite's "database is locked"), not an outage: the transaction can be tried again at once."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    return (sqlstate(exc) in _RETRYABLE_STATES
            or getattr(exc.orig, "sqlite_errorname", None) in ("SQLITE_BUSY", "SQLITE_LOCKED"))


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
    # The cosine of the farthest row of the other side that the last job scored when it
    # scored only the nearest (PUENTE_CANDIDATES); -1 when it scored every row in reach;
    # None: not ranked yet. A later row of the other side at least this near is scored by
    # its own job for this row's ranking too (worker.candidates): whichever of two rows
    # came first, the pair is scored once the second one is ranked.
    reach_floor: Mapped[float | None] = mapped_column(Float)
    # When the row last changed in any way: every UPDATE moves it (a trigger, migration 0014,
    # so hand edits in SQL too). A worker's vector index reads only the rows changed since
    # its last sync, and its document cache serves a row only at the version it read
    # (worker.candidates).
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, index=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the web read while a worker writes; busy_timeout waits instead of failing.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


# JSON columns are written without spaces, and letters as they are ('é', not '\\u00e9'): a
# re-match writes two million explanations, and they are most of what it sends the database.
_JSON_SERIALIZER = partial(json.dumps, separators=(",", ":"), ensure_ascii=False)


def make_engine(url: str) -> Engine:
    """Create an engine for `url` with the options each backend needs."""
    if url.startswith("sqlite"):
        # hide_parameters: an SQL error must not quote personal data into a log or into Redis.
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True,
                               json_serializer=_JSON_SERIALIZER)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, hide_parameters=True,
                         json_serializer=_JSON_SERIALIZER)


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

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Yield a session that never writes: no autoflush, nothing committed; its objects
        stay readable after the block (detached, not expired), and changes made to them are
        never flushed. For work that reads, computes at length, and writes later in a short
        transaction of its own (no row lock is held while it computes)."""
        session = self.sessionmaker(autoflush=False)
        try:
            yield session
        finally:
            session.close()

    def transact(self, work: Callable[[Session], T], what: str = "transaction",
                 again: tuple[type[Exception], ...] = ()) -> T:
        """Run `work(session)` in a transaction of its own and commit it; when the database
        rolls it back to break a conflict (a deadlock, a serialization failure), or `work`
        raises one of `again`, run it again at once in a new one, up to `RETRIES` times.
        `work` must read what it decides on inside the transaction, so that each try sees
        what the other one committed."""
        for attempt in range(1, RETRIES + 1):
            try:
                with self.session() as s:
                    return work(s)
            except (DBAPIError, *again) as exc:
                if attempt == RETRIES or not (isinstance(exc, again) or retryable(exc)):
                    raise
                cause = type(exc.orig if isinstance(exc, DBAPIError) else exc).__name__
                log.warning("%s: %s, tried again at once (%d of %d)", what, cause, attempt + 1, RETRIES)
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
