"""Save submissions and ask for their matching: shared by the API and the forms."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from matching.documents import phrase_key
from models import (
    PROFILE,
    VACANCY,
    Employer,
    Profile,
    Vacancy,
    utcnow,
)
from models.profile import new_public_id
from models.queries import erase
from worker.queueing import enqueue_match, enqueue_matches

from .extensions import database, db_session, redis_conn, settings
from .schemas import MAX_PHRASES, ProfileIn, VacancyIn

__all__ = [
    "answer_inferred_skill",
    "create_profile",
    "create_profile_rows",
    "create_vacancy",
    "create_vacancy_rows",
    "delete_profile",
    "employer_by_name",
    "new_private_link",
    "update_profile",
]


def _profile_fields(data: ProfileIn) -> dict:
    """The columns a validated profile sets (everything the person gave)."""
    edu = data.education
    return dict(
        locale=data.locale, summary=data.summary,
        jobs=[j.model_dump() for j in data.jobs], skills=list(data.skills),
        languages=[lang.model_dump() for lang in data.languages],
        education_level=edu.level if edu else None, education_field=edu.field if edu else None,
        education_country=edu.country if edu else None, education_degree=edu.degree if edu else None,
        education_recognised_in=list(edu.recognised_in) if edu else [],
        country=data.country, city=data.city, target_countries=list(data.target_countries),
        relocate=data.relocate, nationalities=list(data.nationalities), legal_status=data.status, gender=data.gender)


def create_profile(data: ProfileIn) -> tuple[Profile, bool]:
    """Save a profile with its consent and queue its matching.

    Returns:
        The saved profile and whether the matching job reached the queue (False: it is
        saved and will be matched when the queue is back).
    """
    s = db_session()
    now = utcnow()
    profile = Profile(**_profile_fields(data), consent_scope="matching", consent_version=settings().consent_version,
                      consent_at=now, created_at=now, updated_at=now)
    s.add(profile)
    s.commit()
    queued = enqueue_match(s, redis_conn(), settings(), PROFILE, profile.id)
    return profile, queued


def update_profile(profile: Profile, data: ProfileIn) -> bool:
    """Replace what the person gave, renew their consent, and queue a new matching (the
    ranking stays until the new one replaces it; the reconciler catches a lost job)."""
    s = db_session()
    now = utcnow()
    for key, value in _profile_fields(data).items():
        setattr(profile, key, value)
    profile.consent_version, profile.consent_at, profile.updated_at = settings().consent_version, now, now
    s.commit()
    return enqueue_match(s, redis_conn(), settings(), PROFILE, profile.id)


MAX_DECLINED_SKILLS = 200


def answer_inferred_skill(profile: Profile, skill: str, has_it: bool) -> str:
    """Record the person's answer about a skill Puente inferred from one of their job titles:
    "yes" makes it one of their skills (it then counts fully), "no" stops Puente inferring
    it again. Either way their matching is queued again.

    Args:
        profile: the person's profile.
        skill: the skill, as the card showed it (validated by the caller).
        has_it: the answer.

    Returns:
        "confirmed", "removed", or "full" (no room for another skill: nothing changed).
    """
    key = phrase_key(skill)
    skills, declined = list(profile.skills or []), list(profile.declined_skills or [])
    if has_it:
        if key not in {phrase_key(s) for s in skills}:
            if len(skills) >= MAX_PHRASES:
                return "full"
            skills.append(skill)
        declined = [d for d in declined if phrase_key(d) != key]
    elif key not in {phrase_key(d) for d in declined}:
        declined = [*declined, skill][-MAX_DECLINED_SKILLS:]
    s = db_session()
    profile.skills, profile.declined_skills, profile.updated_at = skills, declined, utcnow()
    s.commit()
    enqueue_match(s, redis_conn(), settings(), PROFILE, profile.id)
    return "confirmed" if has_it else "removed"


def new_private_link(profile: Profile) -> str:
    """Give the profile a new private id: the old link stops working at once."""
    s = db_session()
    profile.public_id = new_public_id()
    s.commit()
    return profile.public_id


def new_organisation(s: Session, name: str) -> Employer:
    """A new organisation for an account (see `Employer.for_account`)."""
    employer = Employer.for_account(name)
    s.add(employer)
    return employer


def employer_by_name(s: Session, name: str) -> Employer | None:
    name = " ".join(name.split())
    if not name:
        return None
    key = name.casefold()[:200]  # casefold can lengthen: 'ß' -> 'ss'
    employer = s.scalars(select(Employer).where(Employer.name_key == key)).first()
    if employer is None:
        try:
            with s.begin_nested():  # two first posts by the same employer may race
                employer = Employer(name=name, name_key=key)
                s.add(employer)
        except IntegrityError:
            employer = s.scalars(select(Employer).where(Employer.name_key == key)).one()
    return employer


def create_vacancy(data: VacancyIn, employer: Employer | None = None) -> tuple[Vacancy, str, bool]:
    """Save a vacancy and queue its matching (see `create_profile`).

    Returns:
        The vacancy, its private key (shown once: it opens the candidate list), and
        whether the job reached the queue.
    """
    s = db_session()
    now = utcnow()
    fields = data.model_dump(exclude={"employer"})
    # An employer's account decides the organisation; otherwise the name given.
    vacancy = Vacancy(**fields, employer=employer or employer_by_name(s, data.employer), created_at=now, updated_at=now)
    key = vacancy.new_owner_key()
    s.add(vacancy)
    s.commit()
    queued = enqueue_match(s, redis_conn(), settings(), VACANCY, vacancy.id)
    return vacancy, key, queued


def delete_profile(profile: Profile) -> None:
    """Delete a profile with its matches (both sides), its interests and its run records.

    In a transaction of its own that takes the ranking writers' locks in their order
    (`models.queries.erase`), tried again at once if the database still breaks a conflict:
    a deletion never waits on its own matching job, and never reports a conflict as an outage.
    """
    s = db_session()
    s.commit()   # the request's reads end here: the deletion is one short transaction
    short = database().transact(lambda t: erase(t, PROFILE, profile.id, settings().top_k), what="erasure")
    s.expunge(profile)
    if short:   # full candidate lists it leaves: their own jobs refill them (the next candidate)
        enqueue_matches(s, redis_conn(), settings(), VACANCY, sorted(short), reason="refill")


def create_profile_rows(rows: list[ProfileIn]) -> list[tuple[int, str]]:
    """Save validated imported profiles in one transaction, then queue their matching (one
    Redis pipeline for all).

    Returns:
        (row number in the file, private id) for each, so the case worker can hand each
        person their link.
    """
    s = db_session()
    now = utcnow()
    profiles = [Profile(**_profile_fields(data), consent_scope="matching", consent_version=settings().consent_version,
                        consent_at=now, created_at=now, updated_at=now) for data in rows]
    s.add_all(profiles)
    s.commit()
    enqueue_matches(s, redis_conn(), settings(), PROFILE, [p.id for p in profiles])
    return [(i, p.public_id) for i, p in enumerate(profiles, start=2)]


def create_vacancy_rows(rows: list[VacancyIn]) -> list[tuple[int, str]]:
    """Save validated imported vacancies in one transaction, then queue their matching (one
    Redis pipeline for all).

    Returns:
        (row number in the file, the vacancy's private key).
    """
    s = db_session()
    now = utcnow()
    made = []
    for data in rows:
        vacancy = Vacancy(**data.model_dump(exclude={"employer"}), employer=employer_by_name(s, data.employer),
                          created_at=now, updated_at=now)
        made.append((vacancy, vacancy.new_owner_key()))
        s.add(vacancy)
    s.commit()
    enqueue_matches(s, redis_conn(), settings(), VACANCY, [vacancy.id for vacancy, _ in made])
    return [(i, f"{v.id}?key={key}") for i, (v, key) in enumerate(made, start=2)]
