"""Can this person take a job in that country, and what would it take?

Pure code over the mobility knowledge base (`config.mobility.KnowledgeBase`, passed in):
for a person and a job's country it gives a verdict,

    eligible_now   nothing stands between the person and the job;
    after_steps    an ordered list of concrete steps: a permit, the recognition of a degree,
                   a professional licence, a language;
    not_eligible   no route the knowledge base knows of (the occupation is reserved for
                   nationals, the profession needs a degree the person does not have, or no
                   permit is open to the person's nationality),

with the reasons. It covers a person applying where they live, one who would move to
another country, and a host-community national. Steps and reasons are plain data (codes
and references into the knowledge base); `describe_step` and `describe_reason` turn them
into text in Spanish, Portuguese or English.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .vocab import EDUCATION_LEVELS, LANGUAGE_LEVELS

__all__ = [
    "LEVELS",
    "STEP_KINDS",
    "VERDICTS",
    "Job",
    "Person",
    "Step",
    "Verdict",
    "assess",
    "describe_reason",
    "describe_step",
    "describe_steps",
    "routes",
]

LEVELS = tuple(EDUCATION_LEVELS)
STEP_KINDS = ("permit", "recognition", "licence", "language")
VERDICTS = ("eligible_now", "after_steps", "not_eligible")
SKILLED_FROM = LEVELS.index("short_cycle")
# ISCO-08 major groups whose jobs ask for at most secondary education (skill levels 1-2).
LOW_SKILL_MAJOR = frozenset("456789")
# Kinds of status never suggested as the way to the right to work: a protection claim is
# not a job route, and a visit does not authorise work.
NOT_A_ROUTE = frozenset({"national", "irregular", "refugee", "asylum", "visitor"})


def speaks(level: str | None) -> bool:
    """Whether a language level is enough to work in it (intermediate or better)."""
    return LANGUAGE_LEVELS.get(level or "", 0.0) >= LANGUAGE_LEVELS["intermediate"]


@dataclass(frozen=True)
class Person:
    """What eligibility needs to know of a person (nothing else)."""

    nationalities: tuple[str, ...] = ()
    current_country: str | None = None
    status: str | None = None               # a status code of the current country
    education_level: str | None = None      # an ISCED level code (see LEVELS)
    education_country: str | None = None    # where the degree was issued
    recognised_in: tuple[str, ...] = ()     # countries where it is already recognised
    languages: Mapping[str, str] = field(default_factory=dict)  # code -> level


@dataclass(frozen=True)
class Job:
    """What eligibility needs to know of a vacancy."""

    country: str
    occupation_isco: str | None = None
    education_level: str | None = None      # required ISCED level code
    languages: tuple[str, ...] = ()         # required languages
    regulated: bool = False                 # ESCO marks the occupation as regulated
    remote: bool = False                    # done from where the person lives


@dataclass(frozen=True)
class Step:
    """One concrete step: a reference into the knowledge base, not a text."""

    kind: str                  # permit | recognition | licence | language
    country: str
    # "status:<code>", "check_status:<code>", "recognition", "recognition:other",
    # "regulated:<group>:<its first ISCO code>", "language:<code>"
    rule: str
    authority: str | None = None
    url: str | None = None
    months: float | None = None

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        return cls(**{k: data.get(k) for k in ("kind", "country", "rule", "authority", "url", "months")})


@dataclass(frozen=True)
class Verdict:
    verdict: str
    steps: tuple[Step, ...] = ()
    reasons: tuple[dict, ...] = ()
    overqualified: bool = False
    routes: tuple[Step, ...] = ()   # steps that would open skilled work (over-qualified people)

    @property
    def barriers(self) -> frozenset[str]:
        """The kinds of step this match needs (empty when the person can start now)."""
        return frozenset(s.kind for s in self.steps)

    def to_dict(self) -> dict:
        out = {"verdict": self.verdict, "steps": [s.to_dict() for s in self.steps],
               "reasons": list(self.reasons)}
        if self.overqualified:
            out["overqualified"] = True
            out["routes"] = [s.to_dict() for s in self.routes]
        return out


def _level(code: str | None) -> int | None:
    return LEVELS.index(code) if code in LEVELS else None


def _open_to(status, nationalities: Sequence[str]) -> bool:
    """Whether people of these nationalities can obtain the status."""
    return "*" in status.holders or bool(set(status.holders) & set(nationalities))


def routes(kb, country: str, nationalities: Sequence[str], *, inside: bool) -> list:
    """The statuses that authorise work in `country` that a person of these nationalities
    can still obtain, best first: those obtainable from where the person is (in the
    country when `inside`, else from abroad), then those made for their nationality, then
    those that need no job offer, then the quickest known."""
    c = kb.country(country) if kb is not None else None
    if c is None:
        return []
    found = []
    for s in c.statuses:
        if not (s.authorises_work and s.route) or s.obtain == "closed" or s.kind in NOT_A_ROUTE:
            continue
        if not _open_to(s, nationalities):
            continue
        where = {"in_country": 0 if inside else 1, "both": 0, "abroad": 1 if inside else 0}[s.obtain]
        specific = 0 if "*" not in s.holders else 1
        found.append(((where, specific, s.needs_offer, s.months if s.months is not None else 99), s))
    return [s for _, s in sorted(found, key=lambda x: x[0])]


def _permit_step(c, status, *, check: bool = False) -> Step:
    return Step("permit", c.code, f"{'check_status' if check else 'status'}:{status.code}",
                status.authority, status.url, status.months)


def _recognition_step(country: str, rec, level: str | None) -> Step:
    """The recognition step: the country's procedure when it covers the person's level."""
    if rec is None:
        return Step("recognition", country, "recognition:other")
    covers = level is None or level in rec.levels
    return Step("recognition", country, "recognition" if covers else "recognition:other", rec.authority, rec.url,
                rec.months if covers else None)


def _holds(status, nationalities: Sequence[str]) -> bool:
    """Whether the person can hold the status they gave: holding it is the evidence,
    unless the nationalities they gave rule it out."""
    return not nationalities or _open_to(status, nationalities)


def assess(kb, person: Person, job: Job) -> Verdict:
    """Decide whether `person` can take `job`, and what it would take.

    Args:
        kb: a `config.mobility.KnowledgeBase` (None: no knowledge base, generic rules only).
        person: nationalities, where they live and with what status, their education.
        job: the job's country, its ISCO-08 occupation, required level and languages.

    Returns:
        A `Verdict` with ordered steps (permit, recognition, licence, language) and reasons.
    """
    def covered(code):
        c = kb.country(code) if kb is not None else None
        return c if c is not None and "host" in c.roles else None   # Venezuela is covered as a country of origin only

    target = covered(job.country)
    nationalities = tuple(person.nationalities)
    moving = bool(person.current_country) and person.current_country != job.country and not job.remote
    # Remote work is done from where the person lives: the permit that counts is that country's.
    where = person.current_country if job.remote and person.current_country else job.country
    host = covered(where)
    national = where in nationalities or (person.status == "national" and not moving)
    national_of_target = job.country in nationalities or (person.status == "national" and not moving)
    reasons: list[dict] = []
    steps: list[Step] = []
    blocked = False

    if host is None:
        reasons.append({"code": "country_not_covered", "country": where})

    # 1. The right to work there.
    if national:
        reasons.append({"code": "national", "country": where})
    elif host is None:
        if moving:
            steps.append(Step("permit", where, "work_permit"))
            reasons.append({"code": "moving", "from": person.current_country, "to": job.country})
        elif person.status == "irregular":
            steps.append(Step("permit", where, "work_permit"))
    elif moving:
        reasons.append({"code": "moving", "from": person.current_country, "to": job.country})
        found = routes(kb, job.country, nationalities, inside=False)
        if found:
            steps.append(_permit_step(target, found[0]))
        else:
            blocked = True
            reasons.append({"code": "no_route", "country": job.country})
    else:
        status = host.status(person.status)
        if status is None:
            # The person did not say (or gave a code this country does not have): not guessed.
            reasons.append({"code": "status_not_given", "country": where})
            found = routes(kb, where, nationalities, inside=True)
            if found:
                steps.append(_permit_step(host, found[0], check=True))
        elif status.authorises_work and _holds(status, nationalities):
            reasons.append({"code": "status_authorises_work", "status": status.code, "country": where})
        else:
            reasons.append({"code": "status_does_not_authorise_work", "status": status.code,
                            "country": where})
            found = routes(kb, where, nationalities, inside=True)
            if found:
                steps.append(_permit_step(host, found[0]))
            else:
                blocked = True
                reasons.append({"code": "no_route", "country": where})

    if target is not None and not national_of_target:
        reserved = target.reserved_for(job.occupation_isco)
        if reserved is not None:
            blocked = True
            reasons.append({"code": "reserved_for_nationals", "country": job.country, "isco": job.occupation_isco})

    # 2. The degree, and the licence of a regulated profession.
    have = _level(person.education_level)
    need = _level(job.education_level)
    rule = target.regulated_for(job.occupation_isco) if target is not None else None
    min_level = rule.min_level if rule is not None else ("bachelor" if job.regulated else None)
    if min_level is not None:
        # The knowledge base's rule, else ESCO's note for a profession it does not list.
        reasons.append({"code": "regulated", "group": rule.group if rule is not None else "esco",
                        "country": job.country})
        need = max(need or 0, LEVELS.index(min_level))
    abroad_degree = bool(person.education_country) and person.education_country != job.country
    rec = target.recognition if target is not None else None
    foreign = abroad_degree and job.country not in person.recognised_in \
        and not (rec is not None and person.education_country in rec.exempt_from)
    if min_level is not None and have is not None and have < LEVELS.index(min_level):
        blocked = True
        reasons.append({"code": "below_required_level", "required": min_level, "country": job.country})
    elif min_level is not None or (need is not None and need >= SKILLED_FROM and (have is None or have >= SKILLED_FROM)):
        if foreign:
            steps.append(_recognition_step(job.country, rec, person.education_level))
            reasons.append({"code": "foreign_degree", "issued_in": person.education_country, "country": job.country})
        elif min_level is not None and have is not None and not person.education_country:
            reasons.append({"code": "education_country_not_given"})
        # A degree from abroad, even once recognised, still needs the professional registration.
        if rule is not None and abroad_degree:
            steps.append(Step("licence", job.country, f"regulated:{rule.group}:{rule.isco[0]}", rule.authority, rule.url, rule.months))

    # 3. Languages: the job's, else the country's official ones when the person said what they speak.
    wanted = list(job.languages)
    if not wanted and person.languages and target is not None \
            and not any(speaks(person.languages.get(code)) for code in target.languages):
        wanted = [target.languages[0]]
    for code in wanted:
        if not speaks(person.languages.get(code)):
            steps.append(Step("language", job.country, f"language:{code}"))

    # 4. Over-qualification: a degree holder in a job that asks for no tertiary education.
    overqualified = False
    route_steps: tuple[Step, ...] = ()
    major = (job.occupation_isco or "")[:1]
    if have is not None and have >= LEVELS.index("bachelor") and (need is None or need < SKILLED_FROM) \
            and (major in LOW_SKILL_MAJOR if major else need is not None):
        overqualified = True
        reasons.append({"code": "overqualified", "level": person.education_level})
        if foreign:
            route_steps = (_recognition_step(job.country, rec, person.education_level),)

    order = {k: i for i, k in enumerate(STEP_KINDS)}
    steps.sort(key=lambda s: order[s.kind])
    verdict = "not_eligible" if blocked else ("after_steps" if steps else "eligible_now")
    return Verdict(verdict, tuple(steps), tuple(reasons), overqualified, route_steps)


# --- Text ------------------------------------------------------------------------------

_STEP_TEXT = {
    "status": {"es": "Obtener un permiso para trabajar en {country}: {label}. {how}",
               "pt": "Obter uma autorização para trabalhar em {country}: {label}. {how}",
               "en": "Get a permit to work in {country}: {label}. {how}"},
    "check_status": {"es": "Confirme que tiene un permiso para trabajar en {country}. Si no lo tiene: {label}. {how}",
                     "pt": "Confirme que você tem autorização para trabalhar em {country}. Se não tiver: {label}. {how}",
                     "en": "Make sure you hold a permit to work in {country}. If you do not: {label}. {how}"},
    "generic_permit": {"es": "Obtener un permiso de trabajo en {country}.",
                       "pt": "Obter uma autorização de trabalho em {country}.",
                       "en": "Get a work permit in {country}."},
    "generic_recognition": {"es": "Hacer reconocer su título en {country}: pregunte a la autoridad qué trámite corresponde a su nivel de estudios.",
                            "pt": "Reconhecer o seu diploma em {country}: pergunte à autoridade qual trâmite corresponde ao seu nível de estudos.",
                            "en": "Have your degree recognised in {country}: ask the authority which procedure fits your level of education."},
    "generic_licence": {"es": "Obtener la habilitación profesional en {country}.",
                        "pt": "Obter o registro profissional em {country}.",
                        "en": "Obtain the professional licence in {country}."},
    "generic_language": {"es": "Aprender el idioma del empleo.", "pt": "Aprender o idioma da vaga.",
                         "en": "Learn the language of the job."},
    "recognition": {"es": "Hacer reconocer su título en {country}. {procedure}",
                    "pt": "Reconhecer o seu diploma em {country}. {procedure}",
                    "en": "Have your degree recognised in {country}. {procedure}"},
    "regulated": {"es": "Habilitación profesional ({label}): {licence}",
                  "pt": "Habilitação profissional ({label}): {licence}",
                  "en": "Professional licence ({label}): {licence}"},
    "language": {"es": "Aprender {language} (nivel intermedio o más).",
                 "pt": "Aprender {language} (nível intermediário ou mais).",
                 "en": "Learn {language} (intermediate level or better)."},
}

_REASON_TEXT = {
    "national": {"es": "Tiene la nacionalidad de {country}.", "pt": "Tem a nacionalidade de {country}.",
                 "en": "You are a national of {country}."},
    "status_authorises_work": {"es": "Su situación («{status}») le permite trabajar en {country}.",
                               "pt": "A sua situação («{status}») permite trabalhar em {country}.",
                               "en": "Your status (“{status}”) lets you work in {country}."},
    "status_does_not_authorise_work": {"es": "Con su situación actual («{status}») no puede trabajar formalmente en {country}.",
                                       "pt": "Com a sua situação atual («{status}») você não pode trabalhar formalmente em {country}.",
                                       "en": "With your current status (“{status}”) you cannot work formally in {country}."},
    "status_not_given": {"es": "No indicó su situación migratoria en {country}.",
                         "pt": "Você não informou sua situação migratória em {country}.",
                         "en": "You did not give your residence status in {country}."},
    "moving": {"es": "El empleo está en otro país ({to}): su permiso actual no vale allí.",
               "pt": "A vaga é em outro país ({to}): sua autorização atual não vale lá.",
               "en": "The job is in another country ({to}): your current permit does not apply there."},
    "no_route": {"es": "Puente no conoce una vía abierta para que pueda trabajar en {country}; consulte a ACNUR, OIM o una organización de apoyo.",
                 "pt": "O Puente não conhece uma via aberta para você trabalhar em {country}; consulte o ACNUR, a OIM ou uma organização de apoio.",
                 "en": "Puente knows no open route for you to work in {country}; ask UNHCR, IOM or a support organisation."},
    "reserved_for_nationals": {"es": "En {country} esta ocupación está reservada a nacionales.",
                               "pt": "Em {country} esta ocupação é reservada a nacionais.",
                               "en": "In {country} this occupation is reserved for nationals."},
    "regulated": {"es": "En {country} es una profesión regulada: exige título reconocido y habilitación.",
                  "pt": "Em {country} é uma profissão regulamentada: exige diploma reconhecido e registro.",
                  "en": "In {country} this is a regulated profession: it needs a recognised degree and a licence."},
    "below_required_level": {"es": "Esta profesión exige un título de nivel {required}.",
                             "pt": "Esta profissão exige um diploma de nível {required}.",
                             "en": "This profession needs a degree at level {required}."},
    "foreign_degree": {"es": "Su título es de {issued_in} y aún no está reconocido en {country}.",
                       "pt": "Seu diploma é de {issued_in} e ainda não está reconhecido em {country}.",
                       "en": "Your degree is from {issued_in} and not yet recognised in {country}."},
    "education_country_not_given": {"es": "No indicó en qué país obtuvo su título.",
                                    "pt": "Você não informou em que país obteve seu diploma.",
                                    "en": "You did not say which country issued your degree."},
    "overqualified": {"es": "Su formación supera lo que pide este empleo: con su título reconocido puede optar a empleos calificados.",
                      "pt": "Sua formação supera o que esta vaga pede: com o diploma reconhecido você pode buscar vagas qualificadas.",
                      "en": "Your education exceeds what this job asks: with your degree recognised, skilled jobs open to you."},
    "country_not_covered": {"es": "Puente aún no tiene las normas de {country}.",
                            "pt": "O Puente ainda não tem as regras de {country}.",
                            "en": "Puente does not have the rules of {country} yet."},
}

_LEVEL_TEXT = {
    "short_cycle": {"es": "técnico superior", "pt": "técnico superior", "en": "short-cycle tertiary"},
    "bachelor": {"es": "grado universitario", "pt": "graduação", "en": "bachelor's"},
    "master": {"es": "posgrado", "pt": "pós-graduação", "en": "master's"},
    "doctorate": {"es": "doctorado", "pt": "doutorado", "en": "doctorate"},
}


def _loc(locale: str) -> str:
    return locale if locale in ("es", "pt", "en") else "es"


def _country_name(kb, code: str | None, locale: str) -> str:
    c = kb.country(code) if kb is not None and code else None
    if c is not None:
        return c.names.get(locale)
    from .explain import country_name

    return country_name(code or "", locale)


def describe_step(kb, step: Step | Mapping, locale: str = "es") -> dict:
    """Return {"kind", "text", "authority", "url", "months"?, "uncertain"?} for a step, in `locale`."""
    from .explain import language_name

    step = step if isinstance(step, Step) else Step.from_dict(step)
    loc = _loc(locale)
    c = kb.country(step.country) if kb is not None else None
    country = _country_name(kb, step.country, loc)
    head, _, code = step.rule.partition(":")
    rule = _rule(c, head, code)
    if head in ("status", "check_status") and rule is not None:
        text = _STEP_TEXT[head][loc].format(country=country, label=rule.label.get(loc),
                                            how=rule.how.get(loc) if rule.how else "").strip()
    elif head == "recognition" and rule is not None and code != "other":
        text = _STEP_TEXT["recognition"][loc].format(country=country, procedure=rule.procedure.get(loc)).strip()
    elif head == "regulated" and rule is not None:
        text = _STEP_TEXT["regulated"][loc].format(label=rule.label.get(loc), licence=rule.licence.get(loc))
    elif head == "language":
        text = _STEP_TEXT["language"][loc].format(language=language_name(code, loc))
    else:  # a generic rule, or one the knowledge base no longer has: say what kind of step it is
        text = _STEP_TEXT[f"generic_{step.kind}"][loc].format(country=country)
    out = {"kind": step.kind, "text": text}
    if rule is not None and getattr(rule, "uncertain", None):
        out["uncertain"] = True   # the knowledge base says part of this rule is not certain
    if step.authority:
        out["authority"] = step.authority
    if step.url:
        out["url"] = step.url
    if step.months is not None:
        out["months"] = step.months
    return out


def _rule(c, head: str, code: str):
    if c is None:
        return None
    if head in ("status", "check_status"):
        return c.status(code)
    if head == "recognition":
        return c.recognition
    if head == "regulated":
        group, _, first = code.partition(":")
        return next((r for r in c.regulated if r.group == group and (not first or r.isco[0] == first)), None)
    return None


def describe_steps(kb, steps: Sequence[Step | Mapping], locale: str = "es") -> list[dict]:
    """Describe every step (steps stored by an older version, without a rule, are skipped)."""
    return [describe_step(kb, s, locale) for s in steps
            if isinstance(s, Step) or (isinstance(s, Mapping) and s.get("rule") and s.get("kind"))]


def describe_reason(kb, reason: Mapping, locale: str = "es") -> dict:
    """Return {"code", "text"} for a reason, in `locale`."""
    loc = _loc(locale)
    template = _REASON_TEXT.get(reason.get("code", ""), {}).get(loc)
    if template is None:
        return {"code": reason.get("code"), "text": reason.get("code", "")}
    values = dict(reason)
    for key in ("country", "to", "from", "issued_in"):
        if values.get(key):
            values[key] = _country_name(kb, values[key], loc)
    if values.get("status"):
        c = kb.country(reason.get("country")) if kb is not None else None
        s = c.status(values["status"]) if c is not None else None
        values["status"] = s.label.get(loc) if s is not None else values["status"]
    if values.get("required") in _LEVEL_TEXT:
        values["required"] = _LEVEL_TEXT[values["required"]][loc]
    try:
        text = template.format(**values)
    except KeyError:
        text = template
    return {"code": reason["code"], "text": text}


# --- Barrier analytics --------------------------------------------------------------------

BARRIERS = ("permit", "recognition", "language")
# A licence is part of having a degree count; older stored steps used these codes.
_FAMILY = {"permit": "permit", "recognition": "recognition", "licence": "recognition", "language": "language",
           "work_permit": "permit", "regularise": "permit", "recognise_degree": "recognition",
           "learn_language": "language"}
# Every non-empty combination, in a fixed order: permit, recognition, language, then pairs,
# then all; and, apart, matches whose only step is to confirm a status the person did not give.
BARRIER_GROUPS = ("permit", "recognition", "language", "permit+recognition", "permit+language",
                  "recognition+language", "permit+recognition+language", "status_not_given")


def barrier_group(steps: Sequence[Mapping]) -> str | None:
    """The barriers a stored match's steps add up to: None (can start now), "permit",
    "permit+recognition", ... or "status_not_given" (see BARRIER_GROUPS). A status to
    confirm is not counted as a permit barrier: the person did not say."""
    unknown = any(str(s.get("rule", "")).startswith("check_status") for s in steps)
    found = {_FAMILY.get(s.get("kind") or s.get("code") or "") for s in steps
             if not str(s.get("rule", "")).startswith("check_status")} - {None}
    if not found:
        return "status_not_given" if unknown else None
    return "+".join(b for b in BARRIERS if b in found)


def count_barriers(rows, min_score: float) -> tuple[list[dict], dict]:
    """Count strong matches per country by the barriers that block them.

    Args:
        rows: (country, score, steps) of stored matches, one per profile-vacancy pair.
        min_score: a match at least this good is strong.

    Returns:
        One dict per country (sorted by code) — country, strong_matches, eligible_now, and
        `blocked` {group: count} over BARRIER_GROUPS — and the same for all countries.
    """
    def empty(country: str) -> dict:
        return {"country": country, "strong_matches": 0, "eligible_now": 0,
                "blocked": dict.fromkeys(BARRIER_GROUPS, 0)}

    table: dict[str, dict] = {}
    total = empty("all")
    for country, score, steps in rows:
        if score < min_score:
            continue
        group = barrier_group(steps or [])
        for row in (table.setdefault(country, empty(country)), total):
            row["strong_matches"] += 1
            if group is None:
                row["eligible_now"] += 1
            else:
                row["blocked"][group] += 1
    return [table[c] for c in sorted(table)], total
