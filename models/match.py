"""Stored rankings and the runs that compute them."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime, utcnow

PROFILE = "profile"
VACANCY = "vacancy"

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
RUN_STATUSES = (QUEUED, RUNNING, DONE, FAILED)


class Match(Base):
    """One entry of a ranking.

    A pair appears in up to two rankings: the profile's list of vacancies (`owner` =
    "profile") and the vacancy's list of candidates (`owner` = "vacancy"); each has its
    own rank. The per-dimension scores are stored so that an explanation is always a
    view of stored facts.
    """

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("owner", "profile_id", "vacancy_id", name="uq_matches_owner_pair"),
        Index("ix_matches_profile_rank", "owner", "profile_id", "rank"),
        Index("ix_matches_vacancy_rank", "owner", "vacancy_id", "rank"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner: Mapped[str] = mapped_column(String(8))
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict] = mapped_column(JSONType)
    explanation: Mapped[dict] = mapped_column(JSONType)
    encoder: Mapped[str] = mapped_column(String(100))
    ranker: Mapped[str | None] = mapped_column(String(40))   # the ranking model's name (`RankingModel`, weights-...)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MatchRun(Base):
    """One matching job for a profile or a vacancy, as users see its status."""

    __tablename__ = "match_runs"
    __table_args__ = (Index("ix_match_runs_target", "kind", "target_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    target_id: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    reason: Mapped[str] = mapped_column(String(40), default="submitted")
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    candidates: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Exception class and a message written by Puente; never user-supplied text.
    error: Mapped[str | None] = mapped_column(Text)

    @property
    def duration_ms(self) -> int | None:
        """Return the time from start to finish in milliseconds, if finished."""
        if self.started_at and self.finished_at:
            return int((self.finished_at - self.started_at).total_seconds() * 1000)
        return None
