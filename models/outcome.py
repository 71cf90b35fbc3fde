"""What happened after a match: one event per step, with its time (issue 17).

The events are the history a learned ranking and the fairness audit read; the current
state of a conversation stays in `Interest`. An event holds ids, a kind, who reported it,
an optional reason from a short list and, for the learner, the match's rank, score and
per-dimension scores as they were when it happened: nothing a person typed. Events go
with their profile or vacancy (ON DELETE CASCADE).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, JSONType, UTCDateTime, utcnow

# The kinds of event, in the order a match usually goes through them.
SHOWN = "shown"                  # the match appeared in a ranking someone read (once per side)
OPENED = "opened"                # the person opened the vacancy from their ranking (once)
INTERESTED_EVENT = "interested"  # the employer would like to talk to the person
APPLIED = "applied"              # the person applied (shared their details unasked)
ACCEPTED = "accepted"            # the person said yes to the employer's interest
DECLINED_EVENT = "declined"      # the person said no to the employer's interest
WITHDRAWN_EVENT = "withdrawn"    # the person withdrew what they shared
INTERVIEW = "interview"          # an interview was held or arranged
HIRED = "hired"                  # the person was hired for this vacancy
NOT_SELECTED_EVENT = "not_selected"  # the employer will not go on (a reason may say why)
NOT_RELEVANT = "not_relevant"    # the person says this match is not for them
OUTCOME_KINDS = (SHOWN, OPENED, INTERESTED_EVENT, APPLIED, ACCEPTED, DECLINED_EVENT, WITHDRAWN_EVENT, INTERVIEW,
                 HIRED, NOT_SELECTED_EVENT, NOT_RELEVANT)
# What an employer or a case worker may report about a candidate (pages, API, CSV import).
REPORTABLE = (INTERVIEW, HIRED, NOT_SELECTED_EVENT)
# Why a person was not selected / why a match is not for the person: short codes the
# pages and the API turn into words; no free text, so nothing personal can enter.
NOT_SELECTED_REASONS = ("skills", "experience", "language", "documents", "location", "filled", "no_response", "other")
NOT_RELEVANT_REASONS = ("occupation", "place", "conditions", "requirements", "other")
REASONS = {NOT_SELECTED_EVENT: NOT_SELECTED_REASONS, NOT_RELEVANT: NOT_RELEVANT_REASONS}
# Who reported an event.
BY_SEEKER, BY_EMPLOYER, BY_CASE_WORKER, BY_IMPORT = "seeker", "employer", "caseworker", "import"
REPORTERS = (BY_SEEKER, BY_EMPLOYER, BY_CASE_WORKER, BY_IMPORT)

__all__ = [
    "ACCEPTED",
    "APPLIED",
    "BY_CASE_WORKER",
    "BY_EMPLOYER",
    "BY_IMPORT",
    "BY_SEEKER",
    "DECLINED_EVENT",
    "HIRED",
    "INTERESTED_EVENT",
    "INTERVIEW",
    "LIVE",
    "NOT_RELEVANT",
    "NOT_RELEVANT_REASONS",
    "NOT_SELECTED_EVENT",
    "NOT_SELECTED_REASONS",
    "OPENED",
    "OUTCOME_KINDS",
    "REASONS",
    "REJECTED",
    "REPLACED",
    "REPORTABLE",
    "REPORTERS",
    "SHOWN",
    "WITHDRAWN_EVENT",
    "Outcome",
    "RankingModel",
]


class Outcome(Base):
    """One step after a match.

    `side` says whose ranking the match was read in for `shown` ("profile": the person's
    list of vacancies, "vacancy": the employer's list of candidates); `once` makes the
    events that count only once (shown per side, opened, not relevant) unique per pair.
    """

    __tablename__ = "outcomes"
    __table_args__ = (Index("ix_outcomes_pair", "profile_id", "vacancy_id"), Index("ix_outcomes_at", "at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id", ondelete="CASCADE"))
    vacancy_id: Mapped[int] = mapped_column(ForeignKey("vacancies.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    side: Mapped[str | None] = mapped_column(String(8))
    by: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(16))
    once: Mapped[str | None] = mapped_column(String(60), unique=True)
    rank: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    scores: Mapped[dict | None] = mapped_column(JSONType)
    ranker: Mapped[str | None] = mapped_column(String(40))   # which ranking model had ranked the match
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


LIVE, REJECTED, REPLACED = "live", "rejected", "replaced"


class RankingModel(Base):
    """A combination of the per-dimension scores learnt from outcomes, and whether it ranks.

    At most one is `live` (when none is, the hand-set weights of `config/scoring.toml`
    rank); every model tried is kept with the figures it was judged by (time-split
    validation and the fairness audit), so that a case worker sees what weighs and why,
    and each stored match names the model that ranked it (`Match.ranker`).
    """

    __tablename__ = "ranking_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    weights: Mapped[dict] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10))
    why: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    live_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    live_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
