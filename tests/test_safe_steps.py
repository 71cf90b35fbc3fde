"""No step is shown that the person cannot take, and a person without papers is first shown
what protects them (issue 15, part 2).

The sweep runs over the real knowledge base (config/): every status of every host country,
held by a person living there, against a job in every country the base covers. Each permit
step the rules give is checked against the data directly (not through the rules' own
helpers): the status is open on the day, open to the person's nationality, a job route, and
its prerequisites (an earlier status, a regular stay, being abroad) hold for that person.
`python -m tests.test_safe_steps` prints the counts quoted in the closing note.
"""
from __future__ import annotations

import datetime as dt
import sys
from collections import Counter

import pytest

from config.mobility import load_knowledge_base
from matching.eligibility import Job, Person, assess, describe_protection, describe_step, protection, routes
from matching.knowledge import Country, Help, KnowledgeBase, Localised, Source, Status

KB = load_knowledge_base()
HOSTS = sorted(c for c, country in KB.countries.items() if "host" in country.roles)
TARGETS = sorted(KB.countries)
TODAY = dt.date.today()
NOT_JOB_ROUTES = {"national", "irregular", "refugee", "asylum", "visitor"}
# A job of each kind the rules treat differently: any work, a regulated profession, a
# tertiary job, an occupation some hosts keep for nationals.
JOBS = [Job(""), Job("", "2221", "bachelor"), Job("", "2411", "short_cycle"), Job("", "5414")]


def _holder(status: Status, country: str) -> str:
    """A foreign nationality that can hold the status (Venezuelan when anyone can)."""
    return "VE" if "*" in status.holders or "VE" in status.holders else status.holders[0]


def _people():
    """Every status of every host, held by a person living there (a national for 'national')."""
    for country in HOSTS:
        for s in KB.countries[country].statuses:
            nationality = country if s.kind == "national" else _holder(s, country)
            yield country, s, Person((nationality,), country, s.code, "bachelor", "VE")
        # And a Venezuelan who did not say.
        yield country, None, Person(("VE",), country, None, "bachelor", "VE")


def _window_problems(step_status: Status) -> list[str]:
    wrong = []
    if step_status.obtain == "closed":
        wrong.append("closed")
    if step_status.opens and TODAY < step_status.opens:
        wrong.append("not open yet")
    if step_status.closes and TODAY > step_status.closes:
        wrong.append("window over")
    return wrong


def _mover_problems(step_status: Status, held: Status | None, inside: bool) -> list[str]:
    """A person without papers where they live cannot count on a consulate there nor on a regular stay."""
    if inside or held is None or held.kind != "irregular":
        return []
    if step_status.obtain == "abroad" or "regular" in step_status.requires:
        return ["asks a person without papers where they live for a consulate or a regular stay"]
    return []


def _prerequisite_problems(step_status: Status, held: Status | None, inside: bool) -> list[str]:
    """`held`: the status the person holds where they live (in the job's country when inside)."""
    wrong = []
    without_papers = held is None or held.kind == "irregular"
    if inside and (without_papers or held.kind == "asylum") and step_status.obtain == "abroad":
        wrong.append("sends a person without papers, or with a pending asylum claim, abroad")
    needs = set(step_status.requires)
    wrong += _mover_problems(step_status, held, inside)
    if not needs:
        return wrong
    if not inside:
        met = "regular" in needs
    else:
        met = held is not None and (held.code in needs or ("regular" in needs and held.kind != "irregular"))
    return wrong if met else [*wrong, f"needs {sorted(needs)}"]


def _can_take(step_status: Status, held: Status | None, inside: bool, nationalities) -> list[str]:
    """What stops this person from taking this permit step, read from the data (empty: nothing)."""
    wrong = _window_problems(step_status)
    if not ("*" in step_status.holders or set(step_status.holders) & set(nationalities)):
        wrong.append("not for their nationality")
    if not step_status.authorises_work or not step_status.route or step_status.kind in NOT_JOB_ROUTES:
        wrong.append("not a job route")
    return wrong + _prerequisite_problems(step_status, held, inside)


def _check_steps(country: str, held: Status | None, person: Person, job: Job, verdict, counts: Counter) -> list[str]:
    """The problems of one verdict's permit steps (see the module's docstring)."""
    problems = []
    inside = job.country == country
    for step in (s for s in verdict.steps if s.kind == "permit"):
        counts["permit steps"] += 1
        head, _, code = step.rule.partition(":")
        if head in ("protection", "check_protection"):
            counts[f"{head} steps"] += 1
            if head == "protection" and not (inside and held is not None and held.kind == "irregular"):
                problems.append(f"{country} {held and held.code} -> {job.country}: protection step for a person "
                                "who has papers")
        elif head not in ("status", "check_status"):
            counts["generic permit steps"] += 1   # a country the base does not cover
        else:
            counts["status steps checked"] += 1
            wrong = _can_take(KB.country(step.country).status(code), held, inside, person.nationalities)
            if wrong:
                problems.append(f"{country} {held and held.code} -> {job.country} {job.occupation_isco}: "
                                f"{step.rule} ({', '.join(wrong)})")
    return problems


def sweep() -> tuple[Counter, list[str]]:
    """Assess every person against every job in every country; return counts and problems."""
    counts: Counter = Counter()
    problems = []
    for country, held, person in _people():
        for target in TARGETS:
            for template in JOBS:
                job = Job(target, template.occupation_isco, template.education_level)
                verdict = assess(KB, person, job, TODAY)
                counts["assessments"] += 1
                counts[verdict.verdict] += 1
                problems += _check_steps(country, held, person, job, verdict, counts)
    return counts, problems


def test_every_status_of_every_country_against_every_country_gets_only_steps_it_can_take():
    counts, problems = sweep()
    assert counts["status steps checked"] > 500 and counts["protection steps"] > 0
    assert problems == []


@pytest.mark.parametrize("country", HOSTS)
def test_a_person_without_papers_is_shown_protection_first(country):
    person = Person(("VE",), country, "irregular", "bachelor", "VE")
    found = protection(KB, person, TODAY)
    assert found is not None and found.help, country
    assert any(h.kind in ("unhcr", "legal_aid") for h in found.help)
    # Where the country has an asylum procedure open to Venezuelans, it is named.
    has_asylum = any(s.kind == "asylum" and s.how is not None and s.obtain != "closed"
                     for s in KB.country(country).statuses)
    assert (found.asylum is not None) == has_asylum
    # Each regularisation route named is one they can take now.
    for route in found.routes:
        assert _can_take(route.model_copy(update={"authorises_work": True, "route": True}),
                         KB.country(country).status("irregular"), True, ("VE",)) == [], route.code
    # Every job in that country starts with a route they can take, or with "protect yourself first".
    verdict = assess(KB, person, Job(country), TODAY)
    assert verdict.steps and verdict.steps[0].kind == "permit"
    assert verdict.steps[0].rule == "protection" or verdict.steps[0].rule.split(":")[1] in \
        {s.code for s in routes(KB, country, ("VE",), inside=True, held="irregular", today=TODAY)}
    words = describe_protection(KB, found, "pt")
    assert words["help"][0]["what"] and all(h["url"].startswith("http") for h in words["help"])
    if KB.country(country).status("irregular").caution is not None:
        assert words["cautions"][0] == KB.country(country).status("irregular").caution.pt


def test_peru_irregular_accountant_is_not_sent_to_a_status_that_needs_a_permit_she_lacks():
    """The case the issue found: an undocumented Venezuelan accountant in Lima."""
    person = Person(("VE",), "PE", "irregular", "bachelor", "VE")
    verdict = assess(KB, person, Job("PE", "2411", "bachelor"), TODAY)
    rules = [s.rule for s in verdict.steps]
    assert "status:especial_residente" not in rules and rules[0] == "protection"
    found = protection(KB, person, TODAY)
    assert found.asylum.code == "asylum_seeker" and "UNHCR" in found.help[0].what.en + found.help[0].name + "UNHCR"
    assert "ACNUR" in found.help[0].name
    assert "ACNUR" in found.cautions[0].es   # the caution says to get advice before going to Migraciones
    # A CPP holder still gets Especial Residente as a route (it is hers to take).
    assert "especial_residente" in {s.code for s in routes(KB, "PE", ("VE",), inside=True, held="cpp", today=TODAY)}
    assert describe_step(KB, verdict.steps[0], "es")["text"].startswith("Antes de buscar empleo en Perú")


def test_colombia_undocumented_adult_is_not_told_to_register_for_the_ppt():
    person = Person(("VE",), "CO", "irregular", "secondary", None)
    verdict = assess(KB, person, Job("CO"), TODAY)
    assert not any(s.rule.endswith(":ppt") for s in verdict.steps)
    assert verdict.steps[0].rule == "protection" or not KB.country("CO").status(
        verdict.steps[0].rule.split(":")[1]).requires
    assert protection(KB, person, TODAY) is not None


# --- Windows and prerequisites, on a small base built in code ------------------------------

_SRC = Source(institution="test", url="https://example.org", checked=dt.date(2026, 1, 1))
_L = Localised(es="x", pt="x", en="x")


def _status(code, kind="residence", **kw) -> Status:
    return Status(code=code, kind=kind, label=Localised(es=code, pt=code, en=code), authorises_work=kind not in
                  ("irregular", "visitor"), obtain=kw.pop("obtain", "closed" if kind in ("national", "irregular")
                                                     else "in_country"),
                  how=None if kind in ("national", "irregular") else _L, source=_SRC, **kw)


def _base(*statuses) -> KnowledgeBase:
    rec = KB.country("PE").recognition
    c = Country(code="PE", names=Localised(es="Perú", pt="Peru", en="Peru"), languages=["es"], quito_process=True,
                roles=["host"], recognition=rec,
                statuses=[_status("national", "national", holders=["PE"]), _status("irregular", "irregular"),
                          _status("visitor", "visitor"), *statuses],
                help=[Help(name="ACNUR", kind="unhcr", what=_L, url="https://example.org", source=_SRC)])
    return KnowledgeBase({"PE": c}, [])


def test_a_regularisation_window_is_a_route_only_while_it_is_open():
    kb = _base(_status("amnesty", opens=dt.date(2026, 3, 1), closes=dt.date(2026, 6, 30)))
    person = Person(("VE",), "PE", "irregular")
    before, during, after = dt.date(2026, 2, 28), dt.date(2026, 6, 30), dt.date(2026, 7, 1)
    assert [s.rule for s in assess(kb, person, Job("PE"), before).steps] == ["protection"]
    assert [s.rule for s in assess(kb, person, Job("PE"), during).steps] == ["status:amnesty"]
    assert [s.rule for s in assess(kb, person, Job("PE"), after).steps] == ["protection"]
    assert [s.code for s in protection(kb, person, during).routes] == ["amnesty"]
    assert protection(kb, person, after).routes == ()


def test_a_status_that_needs_an_earlier_one_or_a_regular_stay_is_offered_only_to_who_has_it():
    kb = _base(_status("permit_a", obtain="closed"), _status("special", requires=["permit_a"]),
               _status("worker", obtain="both", requires=["regular"], needs_offer=True))
    day = dt.date(2026, 1, 1)

    def first(status, country="PE"):
        steps = assess(kb, Person(("VE",), country, status), Job("PE"), day).steps
        return steps[0].rule if steps else None

    assert first("irregular") == "protection"
    assert first("visitor") == "status:worker"          # a regular stay: the change of status is open
    assert first("permit_a") is None                     # permit_a authorises work already
    assert {s.code for s in routes(kb, "PE", ("VE",), inside=True, held="permit_a", today=day)} == {"special",
                                                                                                   "worker"}
    # From abroad a regular stay is met, an earlier Peruvian status is not.
    assert {s.code for s in routes(kb, "PE", ("VE",), inside=False, today=day)} == {"worker"}
    # Not given: read as no papers; the step asks to confirm and names no route they cannot take.
    assert first(None) == "check_protection"


def test_a_person_without_papers_is_never_sent_abroad_to_apply():
    kb = _base(_status("consular_visa", obtain="abroad"))
    day = dt.date(2026, 1, 1)
    assert routes(kb, "PE", ("VE",), inside=True, held="irregular", today=day) == []
    assert [s.code for s in routes(kb, "PE", ("VE",), inside=True, held="visitor", today=day)] == ["consular_visa"]
    assert [s.code for s in routes(kb, "PE", ("VE",), inside=False, today=day)] == ["consular_visa"]


def test_the_data_refuses_a_prerequisite_that_does_not_exist_or_a_window_that_closes_before_it_opens():
    with pytest.raises(ValueError, match="requires unknown statuses: ptp"):
        _base(_status("special", requires=["ptp"]))
    with pytest.raises(ValueError, match="closes before it opens"):
        _status("amnesty", opens=dt.date(2026, 3, 1), closes=dt.date(2026, 2, 1))


def main() -> int:
    counts, problems = sweep()
    people = sum(1 for _ in _people())
    print(f"{people} people (every status of {len(HOSTS)} hosts, and status not given) x {len(TARGETS)} countries "
          f"x {len(JOBS)} jobs")
    for key, n in sorted(counts.items()):
        print(f"  {key}: {n}")
    print(f"  problems: {len(problems)}")
    for p in problems:
        print("   ", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())


def test_a_step_stored_before_its_window_closed_is_not_shown_as_open():
    """Steps are stored with a ranking; a route that closed since (Colombia's PPT for adults,
    a regularisation window) must not read as one to take."""
    stored = {"kind": "permit", "country": "CO", "rule": "status:ppt"}
    for locale, words in (("es", "ya no recibe solicitudes"), ("pt", "não recebe mais pedidos"),
                          ("en", "no longer takes applications")):
        text = describe_step(KB, stored, locale)["text"]
        assert words in text and ("ACNUR" in text or "UNHCR" in text), text
        assert KB.country("CO").status("ppt").how.get(locale) not in text
