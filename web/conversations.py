"""The conversation about one vacancy between its employer and one person (`models.Interest`).

An employer's interest and a person's application are one conversation, one row per pair,
whoever began:

    employer's interest:   (none) -> pending;        shared / seen -> interested
    the person's answer:   pending -> shared (a contact, a message, profile parts) | declined
    the person applies:    (none) / declined / withdrawn -> shared
    the employer reads:    shared -> seen;           shared / seen -> interested | not_selected
    the person withdraws:  anything but declined -> withdrawn (what was shared is erased)

Nothing of the person is shared before they confirm (`share`); what they shared, with whom
and when is in their export, and goes with their profile. Only ids and states are logged.
"""
from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import (
    DECLINED,
    EMPLOYER,
    INTERESTED,
    NOT_SELECTED,
    PENDING,
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

from .extensions import db_session
from .schemas import ApplicationIn

log = logging.getLogger(__name__)

__all__ = ["ACTIVE", "Refused", "ask", "decide", "decline", "find", "for_profile", "for_vacancy", "mark_seen", "share",
           "withdraw"]

# States in which the employer sees what the person shared.
ACTIVE = (SHARED, SEEN, INTERESTED, NOT_SELECTED)


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
    return _save_new(Interest(vacancy_id=vacancy.id, profile_id=profile_id, started_by=EMPLOYER, status=PENDING,
                              created_at=now, updated_at=now))


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
    if row is None:
        row = Interest(vacancy_id=vacancy.id, profile_id=profile.id, started_by=SEEKER, created_at=now)
    elif row.status != PENDING:   # declined or withdrawn before: this is an application now
        row.started_by, row.created_at, row.seen_at = SEEKER, now, None
    row.status, row.contact, row.message = SHARED, given.contact, given.message or None
    row.shared, row.decided_at, row.updated_at = list(given.share), now, now
    if row.id is None:
        row = _save_new(row)
        if row.status != SHARED:   # lost a race with another step on the same pair
            raise Refused("already")
    else:
        db_session().commit()
    log.info("conversation %s: shared (vacancy %s)", row.id, row.vacancy_id)
    return row


def decline(row: Interest) -> Interest:
    """The person says no to the employer's interest: nothing is shared."""
    if row.status != PENDING:
        raise Refused("state")
    row.status, row.decided_at, row.updated_at = DECLINED, utcnow(), utcnow()
    db_session().commit()
    return row


def withdraw(row: Interest) -> Interest:
    """The person withdraws: the employer no longer sees anything they shared."""
    if row.status in (DECLINED, WITHDRAWN):
        raise Refused("state")
    row.status, row.contact, row.message, row.shared = WITHDRAWN, None, None, None
    row.updated_at = utcnow()
    db_session().commit()
    log.info("conversation %s: withdrawn", row.id)
    return row


def decide(row: Interest, status: str) -> Interest:
    """The employer's answer to what a person shared: seen, interested or not selected."""
    if row.status not in ACTIVE or status not in (SEEN, INTERESTED, NOT_SELECTED):
        raise Refused("state")
    if status == SEEN and row.status != SHARED:
        return row   # already further on
    now = utcnow()
    row.status, row.updated_at = status, now
    row.seen_at = row.seen_at or now
    db_session().commit()
    return row


def mark_seen(rows: list[Interest]) -> None:
    """The employer (not a case worker) opened the vacancy's page: what was shared is seen."""
    fresh = [row for row in rows if row.status == SHARED]
    if not fresh:
        return
    now = utcnow()
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
