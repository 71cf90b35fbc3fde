"""How profiles, vacancies, runs and matches are shown: one place for JSON and pages."""
from __future__ import annotations

from matching.eligibility import describe_reason, describe_steps
from matching.scoring import PRIVATE_EXPLANATION
from models import PROFILE, Match, MatchRun, Profile, Vacancy

__all__ = ["candidate_card", "match_json", "profile_json", "run_json", "run_status", "vacancy_json"]


def iso(dt):
    """Return an ISO 8601 timestamp, or None."""
    return dt.isoformat() if dt else None


def run_status(run: MatchRun | None, ranked_at) -> str:
    """Return the status people see: queued, running, done or failed."""
    if run is None:
        return "done" if ranked_at else "queued"
    return run.status


def run_json(run: MatchRun | None, ranked_at=None) -> dict:
    return {
        "status": run_status(run, ranked_at),
        "enqueued_at": iso(run.enqueued_at) if run else None,
        "started_at": iso(run.started_at) if run else None,
        "finished_at": iso(run.finished_at) if run else None,
        "duration_ms": run.duration_ms if run else None,
        "candidates": run.candidates if run else None,
        "ranked_at": iso(ranked_at),
    }


def profile_json(p: Profile) -> dict:
    """The whole profile, for its owner (whoever holds the private id)."""
    education = None
    if p.education_level:
        education = {"level": p.education_level, "degree": p.education_degree, "field": p.education_field or "",
                     "country": p.education_country, "recognised_in": p.education_recognised_in or []}
    return {
        "id": p.public_id, "locale": p.locale, "summary": p.summary, "jobs": p.jobs, "skills": p.skills,
        "languages": p.languages, "education": education, "country": p.country, "city": p.city,
        "target_countries": p.target_countries, "relocate": p.relocate, "nationalities": p.nationalities,
        "status": p.legal_status,
        "consent": {"scope": p.consent_scope, "version": p.consent_version, "given_at": iso(p.consent_at)},
        "created_at": iso(p.created_at), "updated_at": iso(p.updated_at),
    }


def vacancy_json(v: Vacancy) -> dict:
    return {
        "id": v.id, "title": v.title, "description": v.description, "employer": v.employer.name if v.employer else None,
        "essential_skills": v.essential_skills, "optional_skills": v.optional_skills, "country": v.country,
        "city": v.city, "remote": v.remote, "languages": v.languages, "education_level": v.education_level,
        "experience_years": v.experience_years, "openings": v.openings, "accepts_relocation": v.accepts_relocation,
        "status": v.status, "locale": v.locale, "created_at": iso(v.created_at), "updated_at": iso(v.updated_at),
    }


def candidate_card(p: Profile) -> dict:
    """What an employer may see of a candidate: no name, contact, nationality or legal status."""
    return {
        "skills": p.skills, "job_titles": [j.get("title") for j in p.jobs or []],
        "experience_years": p.experience_years(), "education_level": p.education_level,
        "languages": p.languages, "city": p.city, "country": p.country,
    }


def match_json(m: Match, locale: str = "es", kb=None) -> dict:
    """A ranking entry, its steps and reasons written in `locale`.

    A vacancy's ranking (seen by employers) was stored without the verdict, steps,
    reasons and eligibility score (`matching.scoring.for_employer`); they are dropped here
    too, for rankings stored before that.
    """
    other = {"vacancy_id": m.vacancy_id} if m.owner == PROFILE else {"profile_id": m.profile_id}
    explanation = dict(m.explanation)
    private = {k: explanation.pop(k) for k in PRIVATE_EXPLANATION if k in explanation}
    steps = private.get("steps", [])
    verdict = private.get("verdict") or ("after_steps" if steps else "eligible_now")
    scores = dict(m.scores)
    if m.owner == PROFILE:
        explanation["verdict"] = verdict
        explanation["steps"] = describe_steps(kb, steps, locale)
        explanation["reasons"] = [describe_reason(kb, r, locale) for r in private.get("reasons", [])]
        if private.get("overqualified"):
            explanation["overqualified"] = True
            explanation["routes"] = describe_steps(kb, private.get("routes", []), locale)
        explanation["ready_now"] = verdict == "eligible_now"
    else:
        scores.pop("eligibility", None)
        explanation["ready_now"] = explanation.get("ready_now", verdict == "eligible_now")
    return {**other, "rank": m.rank, "score": m.score, "scores": scores, "explanation": explanation,
            "encoder": m.encoder, "computed_at": iso(m.computed_at)}
