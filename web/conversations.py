"""The conversation about one vacancy between its employer and one person (`models.Interest`).

An employer's interest and a person's application are one conversation, one row per pair,
whoever began:

    employer's interest:   (none) -> pending;        shared / seen -> interested
    the person's answer:   pending -> shared (a contact, a message, profile parts) | declined
    the person applies:    (none) / declined / withdrawn -> shared
    the employer reads:    shared -> seen;           shared / seen -> interested | not_selected
    what happened next:    shared / seen / interested / interview / not_selected -> interview | hired |
                           not_selected (a hire is final)
                           (the employer or a case worker reports it; a hire may also be
                           reported for a ranked candidate with no conversation: `report`)
    the person withdraws:  anything but declined -> withdrawn (what was shared is erased)

Nothing of the person is shared before they confirm (`share`); what they shared, with whom
and when is in their export, and goes with their profile. Only ids and states are logged.
Every step is also an event (`web.outcomes`), committed with the step (for a new
conversation, right after it); a repeated answer records nothing, and a hire is final.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    BY_EMPLOYER,
    BY_SEEKER,
    DECLINED,
    EMPLOYER,
    HIRED_STATE,
    INTERESTED,
    INTERVIEWING,
    NOT_SELECTED,
    PENDING,
    PROFILE,
    SEEKER,
    SEEN,
    SHARED,
    VACANCY,
    WITHDRAWN,
    Interest,
    Match,
    Profile,
    Vacancy,
    utcnow,
)
from models.outcome import (
    ACCEPTED,
    APPLIED,
    DECLINED_EVENT,
    HIRED,
    INTERESTED_EVENT,
    INTERVIEW,
    NOT_SELECTED_EVENT,
    OPENED,
    WITHDRAWN_EVENT,
)

from .extensions import db_session
from .outcomes import record
from .schemas import ApplicationIn

log = logging.getLogger(__name__)

__all__ = ["ACTIVE", "DECISIONS", "Refused", "ask", "decide", "decline", "find", "for_profile", "for_vacancy",
           "mark_seen", "report", "reportable", "share", "withdraw"]

# States in which the employer sees what the person shared.
ACTIVE = (SHARED, SEEN, INTERESTED, INTERVIEWING, HIRED_STATE, NOT_SELECTED)
# What an employer may answer, and the event each answer is.
DECISIONS = {SEEN: OPENED, INTERESTED: INTERESTED_EVENT, INTERVIEWING: INTERVIEW, HIRED_STATE: HIRED,
             NOT_SELECTED: NOT_SELECTED_EVENT}
# What was reported about a candidate, by event, and the conversation's state it leads to.
REPORTED = {INTERVIEW: INTERVIEWING, HIRED: HIRED_STATE, NOT_SELECTED_EVENT: NOT_SELECTED}


class Refused(Exception):
    """The step does not follow from the conversation's state (or the vacancy is closed):
    `reason` is a short code the page or the API turns into words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def find(vacancy_id: int, profile_id: int) -> Interest | None:
    """The conversation about this vacancy with this person, if there is one."""
    return db_session().scalars(select(Interest).where(Interest.vacancy_id == vacancy_id,
                                                       Interest.profile_id == profile_id)).first()


def _save_new(row: Interest) -> Interest:
    """Insert a conversation; a concurrent one for the same pair (a double click) wins."""
    s = db_session()
    s.add(row)
    try:
        s.commit()
    except IntegrityError:
        s.rollback()
        return find(row.vacancy_id, row.profile_id)
    return row


def ask(vacancy: Vacancy, profile_id: int) -> Interest | None:
    """The employer's interest in a candidate of this vacancy's ranking, or in a person who
    applied: a new conversation asks the person to share; an application becomes
    "interested". None when the person is neither (the employer was never shown them)."""
    s = db_session()
    row = find(vacancy.id, profile_id)
    if row is not None:
        if row.status in (SHARED, SEEN):
            return decide(row, INTERESTED)
        return row
    ranked = s.scalars(select(Match.id).where(Match.owner == VACANCY, Match.vacancy_id == vacancy.id,
                                              Match.profile_id == profile_id)).first()
    if ranked is None:
        return None
    now = utcnow()
    new = Interest(vacancy_id=vacancy.id, profile_id=profile_id, started_by=EMPLOYER, status=PENDING,
                   created_at=now, updated_at=now)
    row = _save_new(new)
    if row is new:   # this request's conversation, not a double click's
        record(profile_id, vacancy.id, INTERESTED_EVENT, BY_EMPLOYER, side=VACANCY, at=now)
        db_session().commit()
    return row


def share(profile: Profile, vacancy: Vacancy, given: ApplicationIn) -> Interest:
    """The person shares with this vacancy's employer what they chose: an application, or
    their yes to the employer's interest. Raises `Refused("closed")` for a closed vacancy
    (unless the employer asked first), `Refused("already")` when already shared."""
    row = find(vacancy.id, profile.id)
    if row is not None and row.status in ACTIVE:
        raise Refused("already")
    if vacancy.status != "open" and (row is None or row.status != PENDING):
        raise Refused("closed")
    now = utcnow()
    kind = ACCEPTED if row is not None and row.status == PENDING else APPLIED
    if row is not None:
        _event_first(row, kind, BY_SEEKER, PROFILE, at=now)
    if row is None:
        row = Interest(vacancy_id=vacancy.id, profile_id=profile.id, started_by=SEEKER, created_at=now)
    elif row.status != PENDING:   # declined or withdrawn before: this is an application now
        row.started_by, row.created_at, row.seen_at = SEEKER, now, None
    row.status, row.contact, row.message = SHARED, given.contact, given.message or None
    row.shared, row.decided_at, row.updated_at = list(given.share), now, now
    if row.id is None:
        saved = _save_new(row)
        if saved is not row:   # lost a race with another step on the same pair (a double click: its event)
            if saved.status != SHARED:
                raise Refused("already")
            return saved
        record(profile.id, vacancy.id, kind, BY_SEEKER, side=PROFILE, at=now)   # right after the new row
    db_session().commit()
    log.info("conversation %s: shared (vacancy %s)", row.id, row.vacancy_id)
    return row


def _event_first(row: Interest, kind: str, by: str, side: str, **kwargs) -> None:
    """Record the step's event and send its insert before the conversation's row changes:
    the insert takes key-share locks on the person and the vacancy, and a deletion of
    either (which cascades to this conversation) must find them taken first, not wait on
    this row while this transaction waits on its lock (docs/reliability.md)."""
    record(row.profile_id, row.vacancy_id, kind, by, side=side, **kwargs)
    db_session().flush()


def decline(row: Interest) -> Interest:
    """The person says no to the employer's interest: nothing is shared."""
    if row.status != PENDING:
        raise Refused("state")
    _event_first(row, DECLINED_EVENT, BY_SEEKER, PROFILE)
    row.status, row.decided_at, row.updated_at = DECLINED, utcnow(), utcnow()
    db_session().commit()
    return row


def withdraw(row: Interest) -> Interest:
    """The person withdraws: the employer no longer sees anything they shared."""
    if row.status in (DECLINED, WITHDRAWN):
        raise Refused("state")
    _event_first(row, WITHDRAWN_EVENT, BY_SEEKER, PROFILE)
    row.status, row.contact, row.message, row.shared = WITHDRAWN, None, None, None
    row.updated_at = utcnow()
    db_session().commit()
    log.info("conversation %s: withdrawn", row.id)
    return row


def decide(row: Interest, status: str, by: str = BY_EMPLOYER, reason: str | None = None,
           at: datetime | None = None, commit: bool = True) -> Interest:
    """The employer's answer to what a person shared, or what happened next: seen,
    interested, interview, hired or not selected (with an optional reason, `models.REASONS`),
    reported by the employer or a case worker (`by`), when it happened (`at`, default now);
    `commit=False` leaves the commit to the caller (an import of many)."""
    if row.status not in ACTIVE or status not in DECISIONS:
        raise Refused("state")
    if status == row.status or (status == SEEN and row.status != SHARED):
        return row   # already there (a second click), or further on
    if row.status == HIRED_STATE:
        raise Refused("state")   # a hire is the end of the conversation
    now = utcnow()
    _event_first(row, DECISIONS[status], by, VACANCY, at=at or now, reason=reason if status == NOT_SELECTED else None)
    row.status, row.updated_at = status, now
    row.seen_at = row.seen_at or now
    if commit:
        db_session().commit()
    return row


def report(vacancy: Vacancy, profile_id: int, kind: str, by: str, reason: str | None = None,
           at: datetime | None = None, commit: bool = True) -> bool:
    """What happened to a candidate (interview, hired, not selected), reported by the
    employer or a case worker. With a conversation the person shared in, it moves on
    (`decide`); a candidate of the vacancy's list without one (met outside Puente) gets the
    event alone. False when the person is neither in the vacancy's candidate list nor in
    a conversation about it."""
    row = find(vacancy.id, profile_id)
    if row is not None and row.status in ACTIVE:
        decide(row, REPORTED[kind], by, reason, at, commit)
        return True
    if row is None and not reportable(vacancy.id, profile_id):
        return False
    record(profile_id, vacancy.id, kind, by, side=VACANCY, reason=reason if kind == NOT_SELECTED_EVENT else None, at=at)
    if commit:
        db_session().commit()
    log.info("vacancy %s: %s reported", vacancy.id, kind)
    return True


def reportable(vacancy_id: int, profile_id: int) -> bool:
    """Whether an outcome may be reported for this pair: the person is in the vacancy's own
    candidate list (what its employer sees) or in a conversation about it. Not a person who
    merely has the vacancy in their own list: the employer never saw them, and a report
    must not tell whether they exist."""
    s = db_session()
    ranked = s.scalars(select(Match.id).where(Match.owner == VACANCY, Match.vacancy_id == vacancy_id,
                                              Match.profile_id == profile_id)).first()
    return ranked is not None or find(vacancy_id, profile_id) is not None


def mark_seen(rows: list[Interest]) -> None:
    """The employer (not a case worker) opened the vacancy's page: what was shared is seen."""
    fresh = [row for row in rows if row.status == SHARED]
    if not fresh:
        return
    now = utcnow()
    for row in sorted(fresh, key=lambda r: r.profile_id):
        record(row.profile_id, row.vacancy_id, OPENED, BY_EMPLOYER, side=VACANCY, at=now)
    db_session().flush()   # the events' inserts first (see `_event_first`)
    for row in fresh:
        row.status, row.seen_at, row.updated_at = SEEN, now, now
    db_session().commit()


def for_profile(profile: Profile) -> list[tuple[Interest, Vacancy]]:
    """The person's conversations, newest first, with their vacancies."""
    s = db_session()
    rows = list(s.scalars(select(Interest).where(Interest.profile_id == profile.id).order_by(Interest.id.desc())))
    vacancies = {v.id: v for v in s.scalars(select(Vacancy).where(Vacancy.id.in_([r.vacancy_id for r in rows])))}
    return [(row, vacancies[row.vacancy_id]) for row in rows if row.vacancy_id in vacancies]


def for_vacancy(vacancy: Vacancy) -> dict[int, Interest]:
    """The vacancy's conversations, by person."""
    return {row.profile_id: row for row in db_session().scalars(
        select(Interest).where(Interest.vacancy_id == vacancy.id))}
