"""Each eligibility rule on its own, over the real knowledge base (config/) and, where the
real data has no example, a small base built in code. `tests/test_eligibility_golden.py`
checks that together they give the verdicts `assess` always gave."""
from __future__ import annotations

import pytest

from config.mobility import load_knowledge_base
from matching.eligibility import Job, Person, Step
from matching.eligibility.rules import (
    RULES,
    Finding,
    assess,
    case_of,
    country_covered,
    degree,
    languages,
    overqualification,
    regulated_profession,
    reserved_occupation,
    right_to_work,
    routes,
)
from matching.knowledge import KnowledgeBase

KB = load_knowledge_base()
VE = ("VE",)


def _closed(country: str) -> KnowledgeBase:
    """The real base with nothing left to apply for in one country."""
    c = KB.countries[country]
    statuses = [s.model_copy(update={"obtain": "closed"}) for s in c.statuses]
    return KnowledgeBase({**KB.countries, country: c.model_copy(update={"statuses": statuses})}, KB.degrees)


def _rule(rule, person: Person, job: Job, kb=KB) -> Finding:
    return rule(case_of(kb, person, job))


# --- The facts the rules read ---------------------------------------------------------------

def test_the_case_works_out_where_the_permit_counts():
    moving = case_of(KB, Person(VE, "CO", "ppt"), Job("PE"))
    assert (moving.where, moving.moving, moving.host.code, moving.target.code) == ("PE", True, "PE", "PE")
    remote = case_of(KB, Person(VE, "CO", "ppt"), Job("PE", remote=True))
    assert (remote.where, remote.moving, remote.host.code) == ("CO", False, "CO")
    # Venezuela is covered as a country of origin only; a country the base lacks, not at all.
    assert case_of(KB, Person(VE, "VE"), Job("VE")).host is None
    assert case_of(KB, Person(VE, "CO"), Job("US")).target is None
    assert case_of(None, Person(VE, "CO"), Job("CO")).host is None


def test_the_case_raises_the_level_a_regulation_asks_for():
    nurse = case_of(KB, Person(VE, "PE", None, "bachelor", "VE"), Job("PE", "2221", "upper_secondary"))
    assert (nurse.regulation.group, nurse.min_level, nurse.need) == ("health", "bachelor", 6)
    assert nurse.abroad_degree and nurse.foreign
    esco = case_of(KB, Person(VE, "PE"), Job("PE", "9999", regulated=True))
    assert (esco.regulation, esco.min_level) == (None, "bachelor")
    # Chile recognises Peruvian degrees by agreement; a degree recognised already needs nothing.
    assert not case_of(KB, Person(VE, "CL", None, "bachelor", "PE"), Job("CL")).foreign
    assert not case_of(KB, Person(VE, "PE", None, "bachelor", "VE", ("PE",)), Job("PE")).foreign


# --- One rule at a time ------------------------------------------------------------------------

def test_country_covered():
    assert _rule(country_covered, Person(VE, "CO"), Job("CO")) == Finding()
    assert _rule(country_covered, Person(VE, "CO"), Job("US")).reasons == ({"code": "country_not_covered",
                                                                             "country": "US"},)


def test_right_to_work_of_a_national_and_of_a_holder():
    assert _rule(right_to_work, Person(("CO",), "CO"), Job("CO")).reasons == ({"code": "national", "country": "CO"},)
    assert _rule(right_to_work, Person((), "CO", "national"), Job("CO")).reasons[0]["code"] == "national"
    ppt = _rule(right_to_work, Person(VE, "CO", "ppt"), Job("CO"))
    assert ppt == Finding(reasons=({"code": "status_authorises_work", "status": "ppt", "country": "CO"},))


def test_right_to_work_without_papers_points_to_a_route_they_can_take_or_to_protection():
    # Brazil's residence for Venezuelans is open whatever the stay: it is the step.
    found = _rule(right_to_work, Person(VE, "BR", "irregular"), Job("BR"))
    assert [r["code"] for r in found.reasons] == ["status_does_not_authorise_work"]
    assert found.steps[0].rule == f"status:{routes(KB, 'BR', VE, inside=True, held='irregular')[0].code}"
    assert not found.blocked
    # In Colombia no route is open to an adult without papers: protection first, not a dead end.
    assert routes(KB, "CO", VE, inside=True, held="irregular") == []
    colombia = _rule(right_to_work, Person(VE, "CO", "irregular"), Job("CO"))
    assert [s.rule for s in colombia.steps] == ["protection"] and not colombia.blocked
    unsaid = _rule(right_to_work, Person(VE, "BR"), Job("BR"))
    assert unsaid.steps[0].rule.startswith("check_status:") and unsaid.reasons[0]["code"] == "status_not_given"
    unsaid = _rule(right_to_work, Person(VE, "CO"), Job("CO"))
    assert unsaid.steps[0].rule == "check_protection" and unsaid.reasons[0]["code"] == "status_not_given"


def test_right_to_work_when_moving_or_with_no_route():
    moving = _rule(right_to_work, Person(VE, "CO", "ppt"), Job("PE"))
    assert moving.reasons[0] == {"code": "moving", "from": "CO", "to": "PE"} and moving.steps[0].kind == "permit"
    closed = _closed("CO")
    stuck = _rule(right_to_work, Person(VE, "CO", "visitor"), Job("CO"), closed)
    assert stuck.blocked and stuck.reasons[-1] == {"code": "no_route", "country": "CO"} and not stuck.steps
    nowhere = _rule(right_to_work, Person(VE, "PE", "cpp"), Job("CO"), closed)
    assert nowhere.blocked and [r["code"] for r in nowhere.reasons] == ["moving", "no_route"]


def test_right_to_work_where_puente_has_no_rules():
    assert _rule(right_to_work, Person(VE, "CO"), Job("US")).steps == (Step("permit", "US", "work_permit"),)
    assert _rule(right_to_work, Person(VE, "US", "irregular"), Job("US")).steps[0].rule == "work_permit"
    assert _rule(right_to_work, Person(VE, "US", "visa"), Job("US")) == Finding()


def test_routes_put_what_can_be_done_from_where_the_person_is_first():
    inside = routes(KB, "CO", VE, inside=True, held="visitor")
    assert inside and all(s.authorises_work and s.obtain != "closed" for s in inside)
    assert inside[0].obtain in ("in_country", "both")
    assert routes(KB, "US", VE, inside=True) == [] and routes(None, "CO", VE, inside=True) == []


def test_reserved_occupation():
    reserved = _rule(reserved_occupation, Person(VE, "MX", "temporary_resident"), Job("MX", "0110"))
    assert reserved.blocked and reserved.reasons[0]["code"] == "reserved_for_nationals"
    assert _rule(reserved_occupation, Person(("MX",), "MX"), Job("MX", "0110")) == Finding()
    assert _rule(reserved_occupation, Person(VE, "MX"), Job("MX", "5120")) == Finding()


def test_regulated_profession():
    assert _rule(regulated_profession, Person(VE, "PE"), Job("PE", "2221")).reasons == (
        {"code": "regulated", "group": "health", "country": "PE"},)
    assert _rule(regulated_profession, Person(VE, "PE"), Job("PE", "9999", regulated=True)).reasons[0]["group"] == "esco"
    assert _rule(regulated_profession, Person(VE, "PE"), Job("PE", "5120")) == Finding()


def test_degree_below_the_regulated_level_is_a_dead_end():
    found = _rule(degree, Person(VE, "PE", None, "upper_secondary", "VE"), Job("PE", "2221"))
    assert found.blocked and found.reasons[0] == {"code": "below_required_level", "required": "bachelor",
                                                  "country": "PE"}


def test_degree_from_abroad_needs_recognition_and_the_licence():
    found = _rule(degree, Person(VE, "PE", None, "bachelor", "VE"), Job("PE", "2221"))
    assert [s.kind for s in found.steps] == ["recognition", "licence"] and not found.blocked
    assert found.reasons[0]["code"] == "foreign_degree"
    # Recognised already: only the licence is left.
    done = _rule(degree, Person(VE, "PE", None, "bachelor", "VE", ("PE",)), Job("PE", "2221"))
    assert [s.kind for s in done.steps] == ["licence"] and not done.reasons


def test_degree_where_it_does_not_count_or_its_country_is_not_given():
    assert _rule(degree, Person(VE, "PE", None, "bachelor", "VE"), Job("PE", "5120")) == Finding()
    assert _rule(degree, Person(VE, "PE", None, "bachelor"), Job("PE", "2221")).reasons == (
        {"code": "education_country_not_given"},)
    skilled = _rule(degree, Person(VE, "PE", None, "bachelor", "VE"), Job("PE", "2512", "bachelor"))
    assert [s.kind for s in skilled.steps] == ["recognition"]


def test_languages_of_the_job_or_of_the_country():
    assert _rule(languages, Person(VE, "BR", languages={"es": "native"}), Job("BR", languages=("pt",))).steps == (
        Step("language", "BR", "language:pt"),)
    assert _rule(languages, Person(VE, "BR", languages={"es": "native"}), Job("BR")).steps[0].rule == "language:pt"
    assert _rule(languages, Person(VE, "BR"), Job("BR")) == Finding()   # nothing said, nothing asked
    assert _rule(languages, Person(VE, "BR", languages={"pt": "intermediate"}), Job("BR")) == Finding()


def test_overqualification():
    finding, route = overqualification(case_of(KB, Person(VE, "PE", None, "bachelor", "VE"), Job("PE", "5120")))
    assert finding.reasons == ({"code": "overqualified", "level": "bachelor"},)
    assert [s.kind for s in route] == ["recognition"]
    assert overqualification(case_of(KB, Person(VE, "PE", None, "bachelor", "PE"), Job("PE", "5120")))[1] == ()
    assert overqualification(case_of(KB, Person(VE, "PE", None, "short_cycle", "VE"), Job("PE", "5120"))) is None
    assert overqualification(case_of(KB, Person(VE, "PE", None, "bachelor", "VE"), Job("PE", "2512"))) is None


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_answers_a_finding_for_any_case(rule):
    for kb in (KB, None):
        assert isinstance(rule(case_of(kb, Person(), Job(""))), Finding)


def test_assess_adds_the_findings_up_in_order():
    verdict = assess(KB, Person(VE, "CO", "ppt", "bachelor", "VE", (), {"es": "native"}), Job("BR", "2221"))
    assert verdict.verdict == "after_steps"
    assert [s.kind for s in verdict.steps] == ["permit", "recognition", "licence", "language"]
    assert [r["code"] for r in verdict.reasons] == ["moving", "regulated", "foreign_degree"]
