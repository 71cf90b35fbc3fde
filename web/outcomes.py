"""Record what happened after a match (`models.Outcome`): the history a learned ranking and
the fairness audit read.

Each step is an event with its time: a match shown (once per side), opened, the employer's
interest, the person's application or yes, a no, a withdrawal, an interview, a hire, a "not
selected" with an optional reason, and the person's own "not relevant to me". An event holds
ids, codes and, for the learner, the match's rank and score as they were (and, in an
employer's list, its per-dimension scores): never text a person typed. Only ids and kinds
are logged.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from matching.learning import weights_name
from models import (
    BY_SEEKER,
    NOT_RELEVANT,
    PROFILE,
    REASONS,
    VACANCY,
    Match,
    Outcome,
    Profile,
    utcnow,
)
from models.history import live_model
from models.outcome import NOT_SELECTED_EVENT, OPENED, SHOWN

from .extensions import db_session, settings

log = logging.getLogger(__name__)

__all__ = ["dismissed", "history", "not_relevant", "opened", "ranker_id", "reason_labels", "record", "relevant_again",
           "shown"]

# Events that count once per pair (and per side for `shown`): a second one is not recorded.
ONCE = (SHOWN, OPENED, NOT_RELEVANT)


def ranker_id() -> str:
    """The ranking model in use (an event names the one that ranked its match, else this)."""
    live = live_model(db_session())
    return live.name if live is not None else weights_name(settings().weights)


def _once_key(kind: str, side: str | None, profile_id: int, vacancy_id: int) -> str:
    return f"{kind}:{side or '-'}:{profile_id}:{vacancy_id}"


def _match(session, profile_id: int, vacancy_id: int, side: str | None) -> Match | None:
    """The stored match the event is about: in `side`'s ranking, else in either."""
    owners = (side,) if side else (PROFILE, VACANCY)
    rows = session.scalars(select(Match).where(Match.profile_id == profile_id, Match.vacancy_id == vacancy_id,
                                               Match.owner.in_(owners))).all()
    rows.sort(key=lambda m: owners.index(m.owner))
    return rows[0] if rows else None


def _event(profile_id: int, vacancy_id: int, kind: str, by: str, match: Match | None, *, side: str | None = None,
           reason: str | None = None, at: datetime | None = None, in_use: str | None = None) -> Outcome:
    if reason is not None and reason not in REASONS.get(kind, ()):
        raise ValueError(f"no reason {reason!r} for {kind}")
    return Outcome(profile_id=profile_id, vacancy_id=vacancy_id, kind=kind, side=side, by=by, reason=reason,
                   once=_once_key(kind, side, profile_id, vacancy_id) if kind in ONCE else None,
                   rank=match.rank if match else None, score=match.score if match else None,
                   # The per-dimension scores as the employer saw them (the learner's input): a
                   # person's own list has an eligibility score, which says something of their
                   # status, and is not kept here.
                   scores=dict(match.scores) if match and match.owner == VACANCY else None, ranker=(match.ranker if match is not None and match.ranker else in_use or ranker_id()),
                   at=at or utcnow())


def record(profile_id: int, vacancy_id: int, kind: str, by: str, *, side: str | None = None,
           reason: str | None = None, at: datetime | None = None) -> Outcome | None:
    """Add one event to the request's transaction (the caller commits it with the step it
    records). An event that counts once and is already there is not added again: None.

    Raises:
        ValueError: a reason that is not one of `models.REASONS[kind]`.
    """
    s = db_session()
    event = _event(profile_id, vacancy_id, kind, by, _match(s, profile_id, vacancy_id, side), side=side,
                   reason=reason, at=at)
    if event.once is None:
        s.add(event)
        return event
    try:
        with s.begin_nested():
            s.add(event)
    except IntegrityError:
        return None
    return event


def shown(side: str, matches: Sequence[Match], by: str) -> None:
    """The matches a person or an employer was shown (their first showing is an event).

    In a short transaction of its own after the page's reads, rows in id order (the lock
    order of the ranking writers: an event's insert takes a key-share lock on the rows it
    references). Recording must not cost a reader their page: a failure is logged (with
    counts only) and the page is drawn.
    """
    if not matches:
        return
    s = db_session()
    s.commit()
    keys = {_once_key(SHOWN, side, m.profile_id, m.vacancy_id): m for m in matches}
    try:
        known = set(s.scalars(select(Outcome.once).where(Outcome.once.in_(list(keys)))))
        fresh = sorted((m for k, m in keys.items() if k not in known), key=lambda m: (m.profile_id, m.vacancy_id))
        if not fresh:
            return
        now, in_use = utcnow(), ranker_id()
        s.add_all(_event(m.profile_id, m.vacancy_id, SHOWN, by, m, side=side, at=now, in_use=in_use) for m in fresh)
        s.commit()
    except (IntegrityError, SQLAlchemyError):   # a second reader recorded them first, or the database is busy
        s.rollback()
        log.info("shown events not recorded this time (%d matches)", len(matches))


def opened(profile: Profile, vacancy_id: int) -> None:
    """The person opened a vacancy from their ranking (the first time is an event)."""
    s = db_session()
    s.commit()
    try:
        if record(profile.id, vacancy_id, OPENED, BY_SEEKER, side=PROFILE) is not None:
            s.commit()
    except SQLAlchemyError:
        s.rollback()
        log.info("opened event not recorded this time")


def not_relevant(profile: Profile, vacancy_id: int, reason: str | None) -> bool:
    """The person says a match is not for them (with an optional reason): it leaves their
    list until they take it back. False when it was already marked."""
    event = record(profile.id, vacancy_id, NOT_RELEVANT, BY_SEEKER, side=PROFILE, reason=reason)
    db_session().commit()
    return event is not None


def relevant_again(profile: Profile, vacancy_id: int) -> bool:
    """The person takes back a "not relevant": the statement was theirs, so it is erased."""
    s = db_session()
    gone = s.execute(delete(Outcome).where(Outcome.once == _once_key(NOT_RELEVANT, PROFILE, profile.id, vacancy_id)))
    s.commit()
    return gone.rowcount > 0


def dismissed(profile_id: int) -> dict[int, str | None]:
    """The vacancies the person marked not relevant, with the reason they gave."""
    return dict(db_session().execute(select(Outcome.vacancy_id, Outcome.reason).where(
        Outcome.profile_id == profile_id, Outcome.kind == NOT_RELEVANT)).all())


def history(profile_id: int) -> list[Outcome]:
    """Every event about the person, oldest first (for their export)."""
    return list(db_session().scalars(select(Outcome).where(Outcome.profile_id == profile_id)
                                     .order_by(Outcome.at, Outcome.id)))



def reason_labels(kind: str) -> dict[str, str]:
    """The reasons one may give for a kind of event, in the reader's language."""
    from flask_babel import gettext as _

    words = {
        NOT_RELEVANT: {"occupation": _("No es mi oficio"), "place": _("Queda lejos o en un lugar donde no trabajaría"),
                       "conditions": _("Las condiciones no me sirven (horario, pago)"),
                       "requirements": _("Piden algo que no tengo"), "other": _("Otra razón")},
        NOT_SELECTED_EVENT: {"skills": _("Le faltan habilidades"), "experience": _("Le falta experiencia"),
                             "language": _("Idioma"), "documents": _("Documentos o permiso de trabajo"),
                             "location": _("Ubicación"), "filled": _("El puesto ya se cubrió"),
                             "no_response": _("No respondió o no se presentó"), "other": _("Otra razón")},
    }[kind]
    return {code: words[code] for code in REASONS[kind]}
