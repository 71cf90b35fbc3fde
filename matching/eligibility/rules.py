"""The eligibility rules, one named function per question, in the order they are asked:

    country_covered        does Puente know the rules of the country whose permit counts?
    right_to_work          is the person a national, a holder of a status that lets them
                           work, or what permit would they need (and is any open to them)?
    reserved_occupation    does the law keep this occupation for nationals?
    regulated_profession   is the profession regulated (the knowledge base, or ESCO's note)?
    degree                 is the degree high enough, and does a foreign one need recognition
                           and the professional licence?
    languages              does the person speak the job's (or the country's) language?
    overqualification      is a degree holder applying below their level, and what would
                           open skilled work?

Each rule reads the same `Case` (the facts worked out once from the person, the job and the
knowledge base) and returns a `Finding`; `assess` adds the findings up into a `Verdict`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..knowledge import Country, KnowledgeBase, Recognition, Regulated, Status
from .facts import LEVELS, STEP_KINDS, Job, Person, Step, Verdict, speaks

__all__ = [
    "RULES",
    "Case",
    "Finding",
    "assess",
    "case_of",
    "country_covered",
    "degree",
    "languages",
    "must_stay",
    "overqualification",
    "prerequisites_met",
    "regulated_profession",
    "reserved_occupation",
    "right_to_work",
    "routes",
    "without_status",
]

SKILLED_FROM = LEVELS.index("short_cycle")
# ISCO-08 major groups whose jobs ask for at most secondary education (skill levels 1-2).
LOW_SKILL_MAJOR = frozenset("456789")
# Kinds of status never suggested as the way to the right to work: a protection claim is
# not a job route, and a visit does not authorise work.
NOT_A_ROUTE = frozenset({"national", "irregular", "refugee", "asylum", "visitor"})
# Obtainable from where the person is: 0 first, by whether they are in the country.
_WHERE_FIRST = {"in_country": (0, 1), "both": (0, 0), "abroad": (1, 0)}


@dataclass(frozen=True)
class Finding:
    """What one rule found: steps to take, reasons to show, and whether it is a dead end."""

    steps: tuple[Step, ...] = ()
    reasons: tuple[dict, ...] = ()
    blocked: bool = False


@dataclass(frozen=True)
class Case:
    """The facts every rule reads, worked out once for a person and a job."""

    kb: KnowledgeBase | None
    person: Person
    job: Job
    where: str                      # the country whose permit counts
    host: Country | None            # that country, when covered as a host
    target: Country | None          # the job's country, when covered as a host
    moving: bool                    # the person would move to another country for the job
    national: bool                  # a national of `where`
    national_of_target: bool        # a national of the job's country
    have: int | None                # the person's ISCED level
    need: int | None                # the level the job asks for, raised by a regulation
    regulation: Regulated | None    # the knowledge base's rule for the profession
    min_level: str | None           # the level a regulation asks for (the rule's, or ESCO's)
    abroad_degree: bool             # the degree was issued in another country
    foreign: bool                   # ...and still needs recognition in the job's country
    today: dt.date                  # the day whose open windows count

    @property
    def recognition(self) -> Recognition | None:
        """The job's country's recognition procedure, if covered."""
        return self.target.recognition if self.target is not None else None


def _level(code: str | None) -> int | None:
    return LEVELS.index(code) if code in LEVELS else None


def _covered(kb: KnowledgeBase | None, code: str | None) -> Country | None:
    """The country when the knowledge base has its rules as a host (Venezuela is covered as
    a country of origin only)."""
    c = kb.country(code) if kb is not None else None
    return c if c is not None and "host" in c.roles else None


def _regulation(target: Country | None, job: Job) -> tuple[Regulated | None, str | None]:
    """The knowledge base's rule for the profession, else ESCO's note for one it does not list."""
    rule = target.regulated_for(job.occupation_isco) if target is not None else None
    if rule is not None:
        return rule, rule.min_level
    return None, "bachelor" if job.regulated else None


def _needs_recognition(person: Person, job: Job, target: Country | None) -> bool:
    """Whether a degree from abroad is not yet recognised there (nor exempt by agreement)."""
    rec = target.recognition if target is not None else None
    return job.country not in person.recognised_in \
        and not (rec is not None and person.education_country in rec.exempt_from)


def case_of(kb: KnowledgeBase | None, person: Person, job: Job, today: dt.date | None = None) -> Case:
    """Work out the facts the rules read.

    Args:
        kb: the knowledge base (None: generic rules only).
        person: the person.
        job: the job.
        today: the day whose open application windows count (default: today).

    Returns:
        The `Case`.
    """
    moving = bool(person.current_country) and person.current_country != job.country and not job.remote
    # Remote work is done from where the person lives: the permit that counts is that country's.
    where = person.current_country if job.remote and person.current_country else job.country
    national_status = person.status == "national" and not moving
    target = _covered(kb, job.country)
    regulation, min_level = _regulation(target, job)
    need = _level(job.education_level)
    if min_level is not None:
        need = max(need or 0, LEVELS.index(min_level))
    abroad_degree = bool(person.education_country) and person.education_country != job.country
    return Case(kb, person, job, where, _covered(kb, where), target, moving,
                national=where in person.nationalities or national_status,
                national_of_target=job.country in person.nationalities or national_status,
                have=_level(person.education_level), need=need, regulation=regulation, min_level=min_level,
                abroad_degree=abroad_degree,
                foreign=abroad_degree and _needs_recognition(person, job, target), today=today or dt.date.today())


def _open_to(status: Status, nationalities: Sequence[str]) -> bool:
    """Whether people of these nationalities can obtain the status."""
    return "*" in status.holders or bool(set(status.holders) & set(nationalities))


def _is_route(status: Status, today: dt.date) -> bool:
    return status.authorises_work and status.route and status.open_on(today) and status.kind not in NOT_A_ROUTE


def must_stay(held: Status | None) -> bool:
    """Whether leaving the country would cost the person their protection or their chance
    to come back: no papers (a fine, an entry ban), or a pending asylum claim (leaving
    abandons it)."""
    return without_status(held) or held.kind == "asylum"


def without_status(held: Status | None) -> bool:
    """Whether a person's status where they live leaves them without a regular stay
    (irregular, or not given: then the safe assumption)."""
    return held is None or held.kind == "irregular"


def prerequisites_met(status: Status, held: Status | None, *, inside: bool) -> bool:
    """Tell whether a person can apply for a status from where they are.

    Args:
        status: the status to obtain.
        held: the status the person holds in that country now (None: none or not given).
        inside: whether the person is in that country.

    Returns:
        True when nothing is required, or the person holds what is: a regular stay
        ("regular") or one of the earlier statuses named. From abroad only "regular"
        can be met. A person without a regular stay, or with a pending asylum claim, is
        never sent abroad to apply: leaving can bring a fine or a ban on coming back, or
        abandon the claim.
    """
    if inside and must_stay(held) and status.obtain == "abroad":
        return False
    if not status.requires:
        return True
    if not inside:
        return "regular" in status.requires
    if held is None:
        return False
    return held.code in status.requires or ("regular" in status.requires and held.kind != "irregular")


def routes(kb: KnowledgeBase | None, country: str, nationalities: Sequence[str], *, inside: bool,
           held: str | None = None, today: dt.date | None = None) -> list[Status]:
    """List the statuses that would let a person work in a country and that they can obtain.

    Args:
        kb: the knowledge base (None: none known).
        country: where the job is.
        nationalities: the person's nationalities.
        inside: whether the person is in that country already.
        held: the code of the status they hold there (inside only; None: none or not
            given, read as no regular stay).
        today: the day whose open application windows count (default: today).

    Returns:
        The statuses open on that day, to their nationality, whose prerequisites they
        meet, best first: those obtainable from where the person is (in the country when
        `inside`, else from abroad), then those made for their nationality, then those
        that need no job offer, then the quickest known.
    """
    c = kb.country(country) if kb is not None else None
    if c is None:
        return []
    day = today or dt.date.today()
    holds = c.status(held) if inside else None
    found = [s for s in c.statuses if _is_route(s, day) and _open_to(s, nationalities)
             and prerequisites_met(s, holds, inside=inside)]
    return sorted(found, key=lambda s: (_WHERE_FIRST[s.obtain][0 if inside else 1], "*" in s.holders,
                                        s.needs_offer, s.months if s.months is not None else 99))


def _permit_step(c: Country, status: Status, *, check: bool = False) -> Step:
    return Step("permit", c.code, f"{'check_status' if check else 'status'}:{status.code}",
                status.authority, status.url, status.months)


def _recognition_step(country: str, rec: Recognition | None, level: str | None) -> Step:
    """The recognition step: the country's procedure when it covers the person's level."""
    if rec is None:
        return Step("recognition", country, "recognition:other")
    covers = level is None or level in rec.levels
    return Step("recognition", country, "recognition" if covers else "recognition:other", rec.authority, rec.url,
                rec.months if covers else None)


def _holds(status: Status, nationalities: Sequence[str]) -> bool:
    """Whether the person can hold the status they gave: holding it is the evidence,
    unless the nationalities they gave rule it out."""
    return not nationalities or _open_to(status, nationalities)


def country_covered(case: Case) -> Finding:
    """Say when Puente does not know the rules of the country whose permit counts.

    Args:
        case: the facts.

    Returns:
        A "country_not_covered" reason, or nothing.
    """
    return Finding() if case.host is not None else Finding(reasons=({"code": "country_not_covered",
                                                                     "country": case.where},))


def _moving(case: Case) -> dict:
    return {"code": "moving", "from": case.person.current_country, "to": case.job.country}


def _permit_without_rules(case: Case) -> Finding:
    """A generic work permit where the knowledge base has no rules: for a person moving
    there, or one who said they have no papers."""
    step = (Step("permit", case.where, "work_permit"),)
    if case.moving:
        return Finding(step, (_moving(case),))
    return Finding(step) if case.person.status == "irregular" else Finding()


def _home_status(case: Case) -> Status | None:
    """The status the person said they hold where they live, when Puente knows that country."""
    home = case.kb.country(case.person.current_country) if case.kb is not None else None
    return home.status(case.person.status) if home is not None and case.person.status else None


def _permit_to_move(case: Case) -> Finding:
    """The permit a person moving to the job's country can apply for, or none. A person
    without papers where they live cannot count on a consulate there (most ask for a legal
    stay) nor on a regular stay: only a route taken on arrival without one is named."""
    found = routes(case.kb, case.job.country, case.person.nationalities, inside=False, today=case.today)
    home = _home_status(case)
    if home is not None and home.kind == "irregular":
        found = [s for s in found if s.obtain != "abroad" and "regular" not in s.requires]
    if found:
        return Finding((_permit_step(case.target, found[0]),), (_moving(case),))
    return Finding((), (_moving(case), {"code": "no_route", "country": case.job.country}), blocked=True)


def _permit_where_living(case: Case) -> Finding:
    """The status the person holds where they live: it lets them work, or a route that does
    (to confirm, when they did not say their status)."""
    status = case.host.status(case.person.status)
    if status is not None and status.authorises_work and _holds(status, case.person.nationalities):
        return Finding(reasons=({"code": "status_authorises_work", "status": status.code, "country": case.where},))
    found = routes(case.kb, case.where, case.person.nationalities, inside=True,
                   held=status.code if status is not None else None, today=case.today)
    if status is None:
        # The person did not say (or gave a code this country does not have): not guessed;
        # the route named is one a person without papers could take.
        step = _permit_step(case.host, found[0], check=True) if found else Step("permit", case.where, "check_protection")
        return Finding((step,), ({"code": "status_not_given", "country": case.where},))
    reason = {"code": "status_does_not_authorise_work", "status": status.code, "country": case.where}
    if found:
        return Finding((_permit_step(case.host, found[0]),), (reason,))
    if without_status(status) and case.host.help:
        # No route to a permit is open to them: the first step is what protects them
        # (the asylum procedure, free legal help), never a permit they cannot get.
        return Finding((Step("permit", case.where, "protection"),), (reason,))
    return Finding((), (reason, {"code": "no_route", "country": case.where}), blocked=True)


def right_to_work(case: Case) -> Finding:
    """Decide whether the person may work where the job's permit counts, or what permit it takes.

    Args:
        case: the facts.

    Returns:
        A national or a holder of a status that lets them work: a reason only. Else the
        permit step (the best route open to them) with its reasons, or a dead end when no
        route is open.
    """
    if case.national:
        return Finding(reasons=({"code": "national", "country": case.where},))
    if case.host is None:
        return _permit_without_rules(case)
    if case.moving:
        return _permit_to_move(case)
    return _permit_where_living(case)


def reserved_occupation(case: Case) -> Finding:
    """Stop a foreigner at an occupation the law reserves for nationals.

    Args:
        case: the facts.

    Returns:
        A dead end with a "reserved_for_nationals" reason, or nothing.
    """
    if case.target is None or case.national_of_target or case.target.reserved_for(case.job.occupation_isco) is None:
        return Finding()
    return Finding(reasons=({"code": "reserved_for_nationals", "country": case.job.country,
                             "isco": case.job.occupation_isco},), blocked=True)


def regulated_profession(case: Case) -> Finding:
    """Say that the profession is regulated (by the knowledge base, else by ESCO's note).

    Args:
        case: the facts.

    Returns:
        A "regulated" reason naming the profession's group ("esco" for ESCO's note), or nothing.
    """
    if case.min_level is None:
        return Finding()
    group = case.regulation.group if case.regulation is not None else "esco"
    return Finding(reasons=({"code": "regulated", "group": group, "country": case.job.country},))


def _skilled(case: Case) -> bool:
    """Whether the degree counts for this job: a regulated profession, or tertiary work for
    a person who has (or did not give) a tertiary degree."""
    return case.min_level is not None or (
        case.need is not None and case.need >= SKILLED_FROM and (case.have is None or case.have >= SKILLED_FROM))


def degree(case: Case) -> Finding:
    """Decide what the person's degree needs for this job.

    Args:
        case: the facts.

    Returns:
        A dead end when a regulated profession asks for a higher degree; else, where the
        degree counts, the recognition of a foreign degree and, for a regulated profession
        studied abroad, the professional licence.
    """
    if case.min_level is not None and case.have is not None and case.have < LEVELS.index(case.min_level):
        return Finding(reasons=({"code": "below_required_level", "required": case.min_level,
                                 "country": case.job.country},), blocked=True)
    if not _skilled(case):
        return Finding()
    steps: tuple[Step, ...] = ()
    reasons: tuple[dict, ...] = ()
    person, job = case.person, case.job
    if case.foreign:
        steps = (_recognition_step(job.country, case.recognition, person.education_level),)
        reasons = ({"code": "foreign_degree", "issued_in": person.education_country, "country": job.country},)
    elif case.min_level is not None and case.have is not None and not person.education_country:
        reasons = ({"code": "education_country_not_given"},)
    # A degree from abroad, even once recognised, still needs the professional registration.
    rule = case.regulation
    if rule is not None and case.abroad_degree:
        steps += (Step("licence", job.country, f"regulated:{rule.group}:{rule.isco[0]}", rule.authority, rule.url,
                       rule.months),)
    return Finding(steps, reasons)


def languages(case: Case) -> Finding:
    """Ask for the languages the person does not speak well enough.

    Args:
        case: the facts.

    Returns:
        A language step for each of the job's languages the person lacks; when the job
        names none and the person said what they speak, the country's first official
        language if they speak none of its official ones.
    """
    spoken = case.person.languages
    wanted = list(case.job.languages)
    if not wanted and spoken and case.target is not None \
            and not any(speaks(spoken.get(code)) for code in case.target.languages):
        wanted = [case.target.languages[0]]
    return Finding(tuple(Step("language", case.job.country, f"language:{code}") for code in wanted
                         if not speaks(spoken.get(code))))


def _overqualified(case: Case) -> bool:
    """A degree holder in a job that asks for no tertiary education: by its ISCO major group,
    or, without an occupation, by the level it asks for."""
    major = (case.job.occupation_isco or "")[:1]
    low_skill = major in LOW_SKILL_MAJOR if major else case.need is not None
    return case.have is not None and case.have >= LEVELS.index("bachelor") \
        and (case.need is None or case.need < SKILLED_FROM) and low_skill


def overqualification(case: Case) -> tuple[Finding, tuple[Step, ...]] | None:
    """Notice a degree holder applying below their level, and what would open skilled work.

    Args:
        case: the facts.

    Returns:
        None, or an "overqualified" reason with the steps that would open skilled jobs
        (the recognition of a foreign degree).
    """
    if not _overqualified(case):
        return None
    route = (_recognition_step(case.job.country, case.recognition, case.person.education_level),) \
        if case.foreign else ()
    return Finding(reasons=({"code": "overqualified", "level": case.person.education_level},)), route


# The rules in the order their reasons are shown.
RULES = (country_covered, right_to_work, reserved_occupation, regulated_profession, degree, languages)
_ORDER = {k: i for i, k in enumerate(STEP_KINDS)}


def assess(kb: KnowledgeBase | None, person: Person, job: Job, today: dt.date | None = None) -> Verdict:
    """Decide whether `person` can take `job`, and what it would take.

    Args:
        kb: a `matching.knowledge.KnowledgeBase` (None: no knowledge base, generic rules only).
        person: nationalities, where they live and with what status, their education.
        job: the job's country, its ISCO-08 occupation, required level and languages.
        today: the day whose open application windows count (default: today).

    Returns:
        A `Verdict` with ordered steps (permit, recognition, licence, language) and reasons.
    """
    case = case_of(kb, person, job, today)
    findings = [rule(case) for rule in RULES]
    over = overqualification(case)
    if over is not None:
        findings.append(over[0])
    steps = sorted((s for f in findings for s in f.steps), key=lambda s: _ORDER[s.kind])
    blocked = any(f.blocked for f in findings)
    verdict = "not_eligible" if blocked else ("after_steps" if steps else "eligible_now")
    return Verdict(verdict, tuple(steps), tuple(r for f in findings for r in f.reasons), over is not None,
                   over[1] if over is not None else ())
