"""Profiles, vacancies, the state of their matching, their rankings, and a candidate as an
employer sees one."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from matching import LANGUAGE_LEVELS
from matching.eligibility import (
    Person,
    describe_left_out,
    describe_protection,
    describe_reason,
    describe_steps,
    protection,
)
from matching.scoring import PRIVATE_EXPLANATION, other_trade
from models import (
    CONVERSATION_STATES,
    NOT_RELEVANT_REASONS,
    OUTCOME_KINDS,
    PROFILE,
    REPORTERS,
    RUN_STATUSES,
    Match,
    MatchRun,
    Profile,
    Vacancy,
)

from .common import (
    EducationLevel,
    Locale,
    Out,
    ReasonOut,
    StepOut,
    Time,
    Unit,
    Verdict,
    dump,
)

__all__ = [
    "CandidateOut",
    "CandidateRanking",
    "InterestOut",
    "JobOut",
    "LeftOutOut",
    "NotRelevantOut",
    "OutcomeOut",
    "ProfileExport",
    "ProfileMatch",
    "ProfileOut",
    "ProtectionOut",
    "Ranking",
    "RunOut",
    "VacancyMatch",
    "VacancyOut",
    "candidate_card",
    "interest_out",
    "left_out_out",
    "match_out",
    "outcome_out",
    "profile_out",
    "protection_out",
    "run_out",
    "run_status",
    "split_by_relevance",
    "vacancy_out",
]

RunStatus = Literal[tuple(RUN_STATUSES)]  # type: ignore[valid-type]
ConversationStatus = Literal[tuple(CONVERSATION_STATES)]  # type: ignore[valid-type]
OutcomeKind = Literal[tuple(OUTCOME_KINDS)]  # type: ignore[valid-type]


class RunOut(Out):
    """The state of a ranking's computation."""

    status: RunStatus
    enqueued_at: Time | None
    started_at: Time | None
    finished_at: Time | None
    duration_ms: int | None
    candidates: int | None
    ranked_at: Time | None


def run_status(run: MatchRun | None, ranked_at) -> str:
    """Return the status people see: queued, running, done or failed."""
    if run is None:
        return "done" if ranked_at else "queued"
    return run.status


def run_out(run: MatchRun | None, ranked_at=None) -> RunOut:
    return RunOut(status=run_status(run, ranked_at), enqueued_at=run.enqueued_at if run else None,
                  started_at=run.started_at if run else None, finished_at=run.finished_at if run else None,
                  duration_ms=run.duration_ms if run else None, candidates=run.candidates if run else None,
                  ranked_at=ranked_at)


class JobOut(Out):
    title: str
    years: float
    country: str | None = None
    description: str = ""


class LanguageOut(Out):
    code: str
    level: Literal[tuple(LANGUAGE_LEVELS)]  # type: ignore[valid-type]


class EducationOut(Out):
    level: EducationLevel
    degree: str | None
    field: str
    country: str | None
    recognised_in: list[str]


class ConsentOut(Out):
    scope: str
    version: str
    given_at: Time | None


class ProfileOut(Out):
    """The whole profile, for its owner (whoever holds the private id)."""

    id: str
    locale: Locale
    summary: str
    jobs: list[JobOut]
    skills: list[str]
    languages: list[LanguageOut]
    education: EducationOut | None
    country: str
    city: str
    target_countries: list[str]
    relocate: bool
    nationalities: list[str]
    status: str | None
    gender: Literal["woman", "man", "other"] | None = Field(
        None, description="Self-declared, optional: used only for the fairness audit; never ranks, never shown to employers.")
    # Skills Puente inferred from a job title that the person said they do not have.
    declined_skills: list[str] = Field(default_factory=list)
    consent: ConsentOut
    created_at: Time
    updated_at: Time
    matching: RunOut


def profile_out(p: Profile, run: MatchRun | None) -> ProfileOut:
    education = None
    if p.education_level:
        education = EducationOut(level=p.education_level, degree=p.education_degree, field=p.education_field or "",
                                 country=p.education_country, recognised_in=p.education_recognised_in or [])
    return ProfileOut(
        id=p.public_id, locale=p.locale, summary=p.summary, jobs=p.jobs, skills=p.skills, languages=p.languages,
        education=education, country=p.country, city=p.city, target_countries=p.target_countries,
        relocate=p.relocate, nationalities=p.nationalities, status=p.legal_status, gender=p.gender,
        declined_skills=p.declined_skills or [],
        consent=ConsentOut(scope=p.consent_scope, version=p.consent_version, given_at=p.consent_at),
        created_at=p.created_at, updated_at=p.updated_at, matching=run_out(run, p.ranked_at))


class VacancyOut(Out):
    id: int
    title: str
    description: str
    employer: str | None
    essential_skills: list[str]
    optional_skills: list[str]
    country: str
    city: str
    remote: bool
    languages: list[str]
    education_level: EducationLevel | None
    experience_years: float
    openings: int = Field(ge=1)
    accepts_relocation: bool
    status: Literal["open", "closed"]
    locale: Locale
    created_at: Time
    updated_at: Time
    matching: RunOut


def vacancy_out(v: Vacancy, run: MatchRun | None) -> VacancyOut:
    return VacancyOut(
        id=v.id, title=v.title, description=v.description, employer=v.employer.name if v.employer else None,
        essential_skills=v.essential_skills, optional_skills=v.optional_skills, country=v.country, city=v.city,
        remote=v.remote, languages=v.languages, education_level=v.education_level,
        experience_years=v.experience_years, openings=v.openings, accepts_relocation=v.accepts_relocation,
        status=v.status, locale=v.locale, created_at=v.created_at, updated_at=v.updated_at,
        matching=run_out(run, v.ranked_at))


class CandidateOut(Out):
    """What an employer may see of a candidate: no name, contact, nationality or legal status."""

    skills: list[str]
    job_titles: list[str | None]
    experience_years: float
    education_level: EducationLevel | None
    languages: list[LanguageOut]
    city: str
    country: str


def candidate_card(p: Profile) -> dict:
    return dump(CandidateOut(
        skills=p.skills, job_titles=[j.get("title") for j in p.jobs or []], experience_years=p.experience_years(),
        education_level=p.education_level, languages=p.languages, city=p.city, country=p.country))


class MatchedSkill(BaseModel):
    model_config = ConfigDict(extra="allow")

    skill: str
    by: str              # the person's own phrase (a skill they wrote, or a job title)
    similarity: float
    inferred: bool = None   # true: matched only by a job title, not by a skill they wrote


class Explanation(BaseModel):
    """Why a pair scored as it did. Explanations grew over versions: stored rankings may
    lack the newer keys, and keep keys this model does not name."""

    model_config = ConfigDict(extra="allow")

    matched_skills: list[MatchedSkill] = None
    missing_skills: list[str] = None
    missing_optional_skills: list[str] = None
    relevant_years: float = None
    required_years: float = None
    location: Literal["remote", "remote_abroad", "same_city", "same_country", "relocation", "out_of_reach"] = None
    occupations: dict[str, Any] = None
    skills_from_occupation: bool = None
    ready_now: bool


class ProfileExplanation(Explanation):
    verdict: Verdict
    steps: list[StepOut]
    reasons: list[ReasonOut]
    overqualified: bool = None
    routes: list[StepOut] = None


class _MatchOut(Out):
    rank: int = Field(ge=1)
    score: Unit
    encoder: str
    computed_at: Time | None


class ProfileMatch(_MatchOut):
    """A vacancy in a profile's ranking, with the steps and reasons written for the person."""

    vacancy_id: int
    scores: dict[str, Unit]
    explanation: ProfileExplanation


class VacancyMatch(_MatchOut):
    """A candidate in a vacancy's ranking, without what would tell their status."""

    profile_id: int
    scores: Annotated[dict[str, Unit], WithJsonSchema({
        "type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1},
        "not": {"required": ["eligibility"]},
        "description": "No eligibility score: it would tell which steps the person needs."})]
    explanation: Explanation
    candidate: CandidateOut = None


def _match_fields(m: Match, locale: str, kb) -> dict:
    """A ranking entry's fields, its steps and reasons written in `locale`.

    A vacancy's ranking (seen by employers) was stored without the verdict, steps,
    reasons and eligibility score (`matching.scoring.for_employer`); they are dropped here
    too, for rankings stored before that.
    """
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
    return {"rank": m.rank, "score": m.score, "scores": scores, "explanation": explanation, "encoder": m.encoder,
            "computed_at": m.computed_at}


def split_by_relevance(matches: list[ProfileMatch], floor: float) -> tuple[list[ProfileMatch], list[ProfileMatch]]:
    """Part a profile's ranking into its matches and the other work nearby (jobs of another
    trade below the relevance floor, `matching.scoring.other_trade`), each in rank order.

    Args:
        matches: the ranking, best first.
        floor: the relevance floor (PUENTE_RELEVANCE_FLOOR).

    Returns:
        (matches, other work).
    """
    other = [other_trade(m.score, m.scores, floor) for m in matches]
    return [m for m, o in zip(matches, other, strict=True) if not o], \
        [m for m, o in zip(matches, other, strict=True) if o]


def match_out(m: Match, locale: str = "es", kb=None, candidate: Profile | None = None) -> ProfileMatch | VacancyMatch:
    """A ranking entry as the person (a profile's) or the employer (a vacancy's) sees it."""
    fields = _match_fields(m, locale, kb)
    if m.owner == PROFILE:
        return ProfileMatch.model_validate({"vacancy_id": m.vacancy_id, **fields})
    if candidate is not None:
        fields["candidate"] = candidate_card(candidate)
    return VacancyMatch.model_validate({"profile_id": m.profile_id, **fields})


class RouteOut(Out):
    """A procedure that protects a person or regularises their stay."""

    code: str
    label: str
    how: str
    authority: str = None
    url: str = None
    closes: str = None          # the last day applications are taken (ISO date), if any
    authorises_work: bool
    uncertain: bool = None
    caution: str = None         # what to know before acting (a risk)


class HelpOut(Out):
    """Free help: UNHCR, a legal clinic, an NGO, the ombudsman."""

    name: str
    kind: Literal["unhcr", "iom", "legal_aid", "ngo", "ombudsman", "public"]
    what: str
    url: str
    places: str = None
    phone: str = None


class ProtectionOut(Out):
    """For a person without a regular status where they live, what to read before any job
    step: cautions, the asylum procedure, open regularisation routes, free help."""

    country: str
    country_name: str
    cautions: list[str]
    asylum: RouteOut | None
    routes: list[RouteOut]
    help: list[HelpOut]


def protection_out(p: Profile, locale: str, kb) -> ProtectionOut | None:
    """What protects the profile's person, when they said they have no valid permit where they live.

    Args:
        p: the profile.
        locale: the reader's language.
        kb: the knowledge base.

    Returns:
        The `ProtectionOut`, or None.
    """
    found = protection(kb, Person(tuple(p.nationalities or ()), p.country, p.legal_status))
    if found is None:
        return None
    words = describe_protection(kb, found, locale)
    words.pop("status")
    return ProtectionOut(**words)


class LeftOutOut(Out):
    """Jobs close to the profile, in places the person would work, that the mobility rules
    left off the list: how many, why, and what would open them."""

    code: str           # the blocking reason: reserved_for_nationals | below_required_level | no_route
    country: str | None
    count: int
    text: str
    hint: str = None    # what would open them, where something would


def left_out_out(p: Profile, locale: str, kb) -> list[LeftOutOut]:
    """The groups of jobs the profile's last ranking left out, in words (largest first).

    Args:
        p: the profile.
        locale: the reader's language.
        kb: the knowledge base.

    Returns:
        One `LeftOutOut` per group; none before the first ranking.
    """
    return [LeftOutOut(**describe_left_out(kb, g, locale)) for g in p.left_out or ()]


class NotRelevantOut(Out):
    vacancy_id: int
    reason: Literal[tuple(NOT_RELEVANT_REASONS)] | None  # type: ignore[valid-type]


class Ranking(Out):
    status: RunStatus
    ranked_at: Time | None
    # Present when the person has no valid permit where they live: shown before any match.
    protection: ProtectionOut | None = None
    matches: list[ProfileMatch]
    # Jobs of another trade below the relevance floor: offered apart, not as matches.
    other_work: list[ProfileMatch] = Field(default_factory=list)
    # Jobs close to the profile that the mobility rules left out, grouped by why.
    left_out: list[LeftOutOut] = Field(default_factory=list)
    # Matches the person said are not for them (out of `matches` until taken back).
    not_relevant: list[NotRelevantOut] = Field(default_factory=list)


class CandidateRanking(Out):
    status: RunStatus
    ranked_at: Time | None
    matches: list[VacancyMatch]


class InterestOut(Out):
    """A conversation with an employer about a vacancy, as the person sees it (their export,
    `GET /profiles/{id}/applications`): who began it, where it stands, and what was shared."""

    id: int
    vacancy_id: int
    vacancy_title: str
    organisation: str | None
    started_by: Literal["employer", "seeker"]
    status: ConversationStatus
    contact_shared: str | None
    message: str | None
    parts_shared: list[Literal["summary", "jobs", "education"]]
    asked_at: Time | None = Field(description="When the conversation began (the employer's ask or the application).")
    answered_at: Time | None = Field(description="When the person shared or declined.")
    seen_at: Time | None = Field(description="When the employer first saw what was shared.")
    updated_at: Time | None


def interest_out(row, vacancy) -> InterestOut:
    return InterestOut(id=row.id, vacancy_id=row.vacancy_id, vacancy_title=vacancy.title,
                       organisation=vacancy.employer.name if vacancy.employer else None,
                       started_by=row.started_by, status=row.status, contact_shared=row.contact, message=row.message,
                       parts_shared=list(row.shared or []), asked_at=row.created_at, answered_at=row.decided_at,
                       seen_at=row.seen_at, updated_at=row.updated_at)


class SharedEducationOut(Out):
    level: EducationLevel | None
    field: str | None
    country: str | None
    recognised_in: list[str]


class ApplicationOut(Out):
    """A conversation as the vacancy's employer sees it: what the person shared (nothing
    before they did; nothing after they withdrew), with their candidate card and, if they
    are in the vacancy's ranking, their rank and score."""

    id: int
    profile_id: int
    started_by: Literal["employer", "seeker"]
    status: ConversationStatus
    contact: str | None
    message: str | None
    summary: str | None = Field(description="Only if the person chose to share it.")
    jobs: list[JobOut] | None = Field(description="Only if the person chose to share them.")
    education: SharedEducationOut | None = Field(description="Only if the person chose to share it.")
    candidate: CandidateOut
    rank: int | None
    score: Unit | None
    asked_at: Time | None
    answered_at: Time | None
    seen_at: Time | None
    updated_at: Time | None


def application_out(row, p: Profile, ranked: Match | None) -> ApplicationOut:
    parts = set(row.shared or [])
    education = SharedEducationOut(level=p.education_level, field=p.education_field, country=p.education_country,
                                   recognised_in=list(p.education_recognised_in or [])) if "education" in parts else None
    return ApplicationOut(
        id=row.id, profile_id=p.id, started_by=row.started_by, status=row.status, contact=row.contact,
        message=row.message, summary=p.summary if "summary" in parts else None,
        jobs=[JobOut(title=j.get("title", ""), years=float(j.get("years") or 0), country=j.get("country"),
                     description=j.get("description", "")) for j in p.jobs or []] if "jobs" in parts else None,
        education=education, candidate=CandidateOut(**candidate_card(p)),
        rank=ranked.rank if ranked is not None else None, score=ranked.score if ranked is not None else None,
        asked_at=row.created_at, answered_at=row.decided_at, seen_at=row.seen_at, updated_at=row.updated_at)


class Applications(Out):
    applications: list[ApplicationOut]


class Conversations(Out):
    """A person's conversations with employers, newest first."""

    applications: list[InterestOut]


class OutcomeOut(Out):
    """One step after a match (`models.Outcome`), as the person's export shows it."""

    vacancy_id: int
    kind: OutcomeKind
    by: Literal[tuple(REPORTERS)]  # type: ignore[valid-type]
    reason: str | None
    rank: int | None = Field(description="The match's place in the ranking when it happened.")
    at: Time


def outcome_out(row) -> OutcomeOut:
    return OutcomeOut(vacancy_id=row.vacancy_id, kind=row.kind, by=row.by, reason=row.reason, rank=row.rank, at=row.at)


class ProfileExport(ProfileOut):
    """Everything Puente keeps about a person (the export a person downloads)."""

    matches: list[ProfileMatch]
    interests: list[InterestOut]
    outcomes: list[OutcomeOut] = Field(description="What happened after each match, oldest first.")
