"""The mobility knowledge base and the eligibility rules, table-driven over the real data
files in config/ (every status of every country, every national degree name)."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from config.mobility import CONFIG_DIR, REQUIRED_COUNTRIES, KnowledgeBaseError, load_knowledge_base
from matching.eligibility import (
    BARRIER_GROUPS,
    Job,
    Person,
    assess,
    barrier_group,
    count_barriers,
    describe_reason,
    describe_step,
    prerequisites_met,
    protection,
    routes,
)
from matching.knowledge import ISCED_LEVELS

KB = load_knowledge_base()
HOSTS = sorted(c for c, country in KB.countries.items() if "host" in country.roles)
STATUSES = [(c, s.code) for c in HOSTS for s in KB.countries[c].statuses]
DEGREES = [(d.country, d.code) for d in KB.degrees]


def _holder(status, country: str) -> str:
    """A foreign nationality that can hold the status (Venezuelan when anyone can)."""
    foreign = "VE" if country != "VE" else "CO"
    return foreign if "*" in status.holders or foreign in status.holders else status.holders[0]


# --- The data ---------------------------------------------------------------------------

def test_every_required_country_is_covered_with_sources():
    assert set(REQUIRED_COUNTRIES) <= set(KB.countries)
    assert KB.country("VE").roles == ["origin"] and not KB.country("VE").quito_process
    for code in REQUIRED_COUNTRIES:
        if code == "VE":
            continue
        c = KB.country(code)
        assert c.quito_process and "host" in c.roles, code
        assert c.recognition is not None, code
        assert {"health", "law", "engineering", "teaching"} <= {r.group for r in c.regulated}, code
        assert any(s.kind == "irregular" for s in c.statuses), code


def test_every_rule_was_checked_on_a_real_date():
    """The loader checks the shape of each source; the dates must also be plausible."""
    dates = [d.source.checked for d in KB.degrees]
    for c in KB.countries.values():
        dates += [s.source.checked for s in c.statuses] + [r.source.checked for r in (*c.regulated, *c.reserved)]
        if c.recognition:
            dates.append(c.recognition.source.checked)
    assert all(dt.date(2020, 1, 1) <= d <= dt.date.today() for d in dates)
    assert KB.oldest_check() == min(dates)


@pytest.mark.parametrize("country,code", STATUSES)
def test_every_status_gives_the_verdict_its_data_implies(country, code):
    """A holder living there: the status decides; a status that does not authorise work
    points to a route that does, which the person can still obtain, or to none."""
    s = KB.country(country).status(code)
    person = Person((country,) if s.kind == "national" else (_holder(s, country),), country, code)
    verdict = assess(KB, person, Job(country))
    if s.authorises_work:
        assert verdict.verdict == "eligible_now", verdict
        assert verdict.steps == ()
        # Holding it is the evidence: a person who gave no nationality is not refused.
        assert assess(KB, Person((), country, code), Job(country)).verdict == "eligible_now"
        return
    permits = [x for x in verdict.steps if x.kind == "permit"]
    if verdict.verdict == "not_eligible":
        assert {"code": "no_route", "country": country} in verdict.reasons
        assert routes(KB, country, person.nationalities, inside=True) == []
        return
    assert verdict.verdict == "after_steps" and len(permits) == 1
    _assert_a_step_they_can_take(country, s, person, permits[0])


def _assert_a_step_they_can_take(country: str, s, person: Person, permit) -> None:
    if permit.rule == "protection":
        # No route they can take: a person without papers is shown what protects them first.
        assert s.kind == "irregular" and protection(KB, person) is not None
        assert routes(KB, country, person.nationalities, inside=True, held=s.code) == []
        return
    route = KB.country(country).status(permit.rule.split(":", 1)[1])
    _assert_an_open_job_route(route, person)
    assert prerequisites_met(route, s, inside=True)
    assert route.label.es in describe_step(KB, permit, "es")["text"]


def _assert_an_open_job_route(route, person: Person) -> None:
    assert route.authorises_work and route.obtain != "closed" and route.route
    assert route.kind not in ("refugee", "asylum", "visitor")  # a protection claim is not a job route
    assert "*" in route.holders or set(route.holders) & set(person.nationalities)


def test_most_hosts_have_a_way_in_for_a_venezuelan_living_elsewhere():
    closed = [c for c in HOSTS if assess(KB, Person(("VE",), "CO" if c != "CO" else "PE", None), Job(c)).verdict
              == "not_eligible"]
    assert len(closed) <= 2, closed   # the data says where no route is known (see docs/mobility.md)


@pytest.mark.parametrize("country", HOSTS)
def test_a_venezuelan_living_elsewhere_has_a_route_or_a_reason(country):
    elsewhere = "CO" if country != "CO" else "PE"
    verdict = assess(KB, Person(("VE",), elsewhere, None), Job(country))
    assert {"code": "moving", "from": elsewhere, "to": country} in verdict.reasons
    if verdict.verdict == "not_eligible":
        assert any(r["code"] == "no_route" for r in verdict.reasons)
    else:
        assert verdict.steps[0].kind == "permit" and verdict.steps[0].country == country


@pytest.mark.parametrize("country", HOSTS)
def test_a_national_at_home_can_start_now(country):
    verdict = assess(KB, Person((country,), country, None, "upper_secondary", country), Job(country, "5223"))
    assert verdict.verdict == "eligible_now"
    assert {"code": "national", "country": country} in verdict.reasons


# --- Education ------------------------------------------------------------------------

@pytest.mark.parametrize("country,code", DEGREES)
def test_every_degree_name_maps_to_its_isced_level(country, code):
    degree = next(d for d in KB.degrees if (d.country, d.code) == (country, code))
    for name in (degree.code, *degree.names):
        assert KB.level_of(name, country) == degree.level, name
        assert KB.level_of(name.upper(), country) == degree.level  # spelling and accents do not matter


@pytest.mark.parametrize("given,country,level", [
    ("TSU", "VE", "short_cycle"),
    ("Técnico Superior Universitario", "VE", "short_cycle"),
    ("tecnologo", "CO", "short_cycle"),          # a Venezuelan TSU and a Colombian tecnólogo: the same level
    ("Bachiller", "VE", "upper_secondary"),      # a school diploma in Venezuela...
    ("Bachiller", "PE", "bachelor"),             # ...and a university degree in Peru
    ("Licenciatura", "VE", "bachelor"),
    ("Ingeniero", "VE", "bachelor"),
    ("Especialización", "VE", "master"),
    ("Bacharelado", "BR", "bachelor"),
    ("Pós-graduação", "BR", "master"),
    ("Mestrado", "BR", "master"),
    ("maestría", None, "master"),
    ("5", None, "short_cycle"),
    (6, None, "bachelor"),
    ("bachelor", None, "bachelor"),
    ("Diploma en astrología", "VE", None),
    ("9", None, None),
])
def test_education_names_and_levels(given, country, level):
    assert KB.level_of(given, country) == level


def test_isced_levels_agree_with_matching():
    from matching.vocab import EDUCATION_LEVELS

    assert list(EDUCATION_LEVELS) == list(ISCED_LEVELS)
    assert [EDUCATION_LEVELS[x] for x in ISCED_LEVELS] == list(range(9))


# --- Cross-border cases ------------------------------------------------------------------

def test_ppt_holder_in_colombia_applying_in_peru():
    verdict = assess(KB, Person(("VE",), "CO", "ppt", "upper_secondary", "VE", (), {"es": "native"}),
                     Job("PE", "5120"))
    assert verdict.verdict == "after_steps"
    assert [s.kind for s in verdict.steps] == ["permit"]
    step = verdict.steps[0]
    assert step.country == "PE"
    route = KB.country("PE").status(step.rule.split(":", 1)[1])
    assert route.obtain in ("abroad", "both") and route.authorises_work
    assert {"code": "moving", "from": "CO", "to": "PE"} in verdict.reasons
    text = describe_reason(KB, {"code": "moving", "from": "CO", "to": "PE"}, "es")["text"]
    assert "Perú" in text


def test_venezuelan_nurse_with_a_venezuelan_degree_in_peru():
    cpp = "cpp"
    verdict = assess(KB, Person(("VE",), "PE", cpp, "bachelor", "VE", (), {"es": "native"}), Job("PE", "2221"))
    assert verdict.verdict == "after_steps"
    assert [s.kind for s in verdict.steps] == ["recognition", "licence"]
    rec, licence = (describe_step(KB, s, "es") for s in verdict.steps)
    assert rec["authority"] == KB.country("PE").recognition.authority and rec["url"].startswith("http")
    assert licence["text"].startswith("Habilitación profesional")
    assert {"code": "regulated", "group": "health", "country": "PE"} in verdict.reasons
    # Once recognised in Peru, only the licence is left.
    done = assess(KB, Person(("VE",), "PE", cpp, "bachelor", "VE", ("PE",), {"es": "native"}), Job("PE", "2221"))
    assert [s.kind for s in done.steps] == ["licence"]


def test_nursing_technicians_have_their_own_licence_and_level():
    person = Person(("VE",), "BR", "residencia_venezuelanos", "post_secondary", "VE", (), {"pt": "fluent"})
    verdict = assess(KB, person, Job("BR", "3221"))
    assert verdict.verdict == "after_steps"
    licence = next(s for s in verdict.steps if s.kind == "licence")
    assert "COREN" in describe_step(KB, licence, "pt")["text"]
    assert assess(KB, person, Job("BR", "2221")).verdict == "not_eligible"   # a nurse needs a degree


def test_nurse_without_a_degree_cannot_take_a_regulated_nursing_post():
    verdict = assess(KB, Person(("VE",), "PE", "cpp", "upper_secondary", "VE"), Job("PE", "2221"))
    assert verdict.verdict == "not_eligible"
    assert any(r["code"] == "below_required_level" for r in verdict.reasons)


def test_brazilian_national_in_brazil():
    verdict = assess(KB, Person(("BR",), "BR", None, "bachelor", "BR", (), {"pt": "native"}), Job("BR", "2142"))
    assert verdict.verdict == "eligible_now"
    assert {"code": "national", "country": "BR"} in verdict.reasons
    abroad = assess(KB, Person(("BR",), "BR", None, "bachelor", "BR", (), {"pt": "native"}), Job("CO", "2142"))
    assert abroad.verdict == "after_steps"
    assert [s.kind for s in abroad.steps][:2] == ["permit", "recognition"]
    assert [s.kind for s in abroad.steps][-1] == "language"  # a Portuguese speaker in Colombia


def test_host_community_national_is_not_asked_for_papers():
    verdict = assess(KB, Person(("CO",), "CO", "national", "short_cycle", "CO"), Job("CO", "3221"))
    assert verdict.verdict == "eligible_now"
    # The status "national" counts as the nationality, for reserved occupations too.
    reserved_isco = KB.country("PA").reserved[0].isco[0]
    assert assess(KB, Person((), "PA", "national"), Job("PA", reserved_isco)).verdict == "eligible_now"
    assert assess(KB, Person(("VE",), "PA", "ppsh"), Job("PA", reserved_isco)).verdict == "not_eligible"


def test_venezuela_is_covered_as_a_country_of_origin_only():
    verdict = assess(KB, Person(("CO",), "CO", None), Job("VE"))
    assert verdict.verdict == "after_steps" and verdict.steps[0].rule == "work_permit"
    assert {"code": "country_not_covered", "country": "VE"} in verdict.reasons


def test_a_level_the_procedure_does_not_cover_gets_a_general_recognition_step():
    peru = KB.country("PE").recognition
    assert "short_cycle" not in peru.levels
    verdict = assess(KB, Person(("VE",), "PE", "cpp", "short_cycle", "VE"), Job("PE", education_level="short_cycle"))
    rec = next(s for s in verdict.steps if s.kind == "recognition")
    assert rec.rule == "recognition:other" and rec.authority == peru.authority
    assert "nivel de estudios" in describe_step(KB, rec, "es")["text"]


def test_remote_work_uses_the_permit_of_where_the_person_lives():
    person = Person(("VE",), "CO", "ppt", "upper_secondary", "VE", (), {"es": "native"})
    assert assess(KB, person, Job("PE", "4222", remote=True)).verdict == "eligible_now"
    assert assess(KB, person, Job("PE", "4222")).verdict == "after_steps"


def test_overqualified_licenciada_is_shown_the_skilled_route():
    verdict = assess(KB, Person(("VE",), "CO", "ppt", "bachelor", "VE", (), {"es": "native"}), Job("CO", "9412"))
    assert verdict.verdict == "eligible_now" and verdict.overqualified
    assert [s.kind for s in verdict.routes] == ["recognition"]
    assert verdict.routes[0].authority == KB.country("CO").recognition.authority
    assert not assess(KB, Person(("VE",), "CO", "ppt", "upper_secondary", "VE"), Job("CO", "9412")).overqualified
    assert not assess(KB, Person(("VE",), "CO", "ppt", "bachelor", "VE"), Job("CO", "2221")).overqualified


def test_escos_regulated_note_asks_for_recognition_where_the_knowledge_base_is_silent():
    person = Person(("VE",), "CO", "ppt", "bachelor", "VE", (), {"es": "native"})
    assert KB.country("CO").regulated_for("2250") is None   # veterinarians: not in Colombia's file
    plain = assess(KB, person, Job("CO", "2250"))
    flagged = assess(KB, person, Job("CO", "2250", regulated=True))
    assert plain.steps == () and [s.kind for s in flagged.steps] == ["recognition"]
    assert {"code": "regulated", "group": "esco", "country": "CO"} in flagged.reasons
    below = assess(KB, Person(("VE",), "CO", "ppt", "upper_secondary", "VE"), Job("CO", "2250", regulated=True))
    assert below.verdict == "not_eligible"


def test_language_steps_for_the_job_or_the_country():
    person = Person(("VE",), "BR", None, None, None, (), {"es": "native"})
    verdict = assess(KB, person, Job("BR"))
    assert [s.rule for s in verdict.steps if s.kind == "language"] == ["language:pt"]
    assert describe_step(KB, verdict.steps[-1], "pt")["text"] == "Aprender português (nível intermediário ou mais)."
    silent = assess(KB, Person(("VE",), "BR", None), Job("BR"))  # languages not given: not guessed
    assert not [s for s in silent.steps if s.kind == "language"]


def test_every_step_and_reason_reads_in_three_languages():
    cases = [assess(KB, Person(("VE",), c, None, "bachelor", "VE", (), {"es": "native"}), Job(t, "2221"))
             for c in ("CO", "PE") for t in HOSTS]
    for verdict in cases:
        for step in verdict.steps:
            texts = {loc: describe_step(KB, step, loc)["text"] for loc in ("es", "pt", "en")}
            assert len(set(texts.values())) == 3 and all("{" not in t for t in texts.values()), texts
        for reason in verdict.reasons:
            texts = {loc: describe_reason(KB, reason, loc)["text"] for loc in ("es", "pt", "en")}
            assert all("{" not in t and t != reason["code"] for t in texts.values()), texts


# --- Rules only a small knowledge base shows ----------------------------------------------

@pytest.fixture
def tiny_kb(tmp_path) -> Path:
    """A copy of the data with Colombia changed: a reserved occupation, no open route."""
    root = tmp_path / "kb"
    shutil.copytree(CONFIG_DIR / "countries", root / "countries")
    shutil.copy(CONFIG_DIR / "education.toml", root / "education.toml")
    co = (root / "countries" / "co.toml").read_text(encoding="utf-8")
    co = co.replace('obtain = "in_country"', 'obtain = "closed"').replace('obtain = "both"', 'obtain = "closed"')
    co += '''
[[reserved]]
isco = ["0110"]
label = { es = "Oficiales de las fuerzas armadas", pt = "Oficiais das forças armadas", en = "Armed forces officers" }
source = { institution = "Test", url = "https://example.org/", checked = 2026-11-29 }
'''
    (root / "countries" / "co.toml").write_text(co, encoding="utf-8")
    return root


def test_no_open_route_or_a_reserved_occupation_is_not_eligible(tiny_kb):
    kb = load_knowledge_base(tiny_kb)
    visitor = assess(kb, Person(("VE",), "CO", "visitor"), Job("CO"))
    assert visitor.verdict == "not_eligible"
    assert {"code": "no_route", "country": "CO"} in visitor.reasons
    # A person without papers is not left at a dead end: protection comes first.
    irregular = assess(kb, Person(("VE",), "CO", "irregular"), Job("CO"))
    assert irregular.verdict == "after_steps" and irregular.steps[0].rule == "protection"
    reserved = assess(kb, Person(("VE",), "CO", "ppt"), Job("CO", "0110"))
    assert reserved.verdict == "not_eligible"
    assert any(r["code"] == "reserved_for_nationals" for r in reserved.reasons)
    assert assess(kb, Person(("CO",), "CO", "national"), Job("CO", "0110")).verdict == "eligible_now"


def test_a_broken_file_stops_start_up_naming_file_and_field(tiny_kb):
    path = tiny_kb / "countries" / "pe.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("authorises_work = true", "authorises_work = 'maybe'", 1),
                    encoding="utf-8")
    (tiny_kb / "countries" / "gy.toml").unlink()
    with pytest.raises(KnowledgeBaseError) as err:
        load_knowledge_base(tiny_kb)
    message = str(err.value)
    assert "pe.toml" in message and "authorises_work" in message
    assert "no file for GY" in message


def test_the_validator_command_reports_the_data(capsys):
    from config.mobility import main

    assert main([]) == 0
    out = capsys.readouterr().out
    assert "CO Colombia" in out and "rules marked uncertain" in out


# --- Barrier analytics --------------------------------------------------------------------

@pytest.mark.parametrize("kinds,group", [
    ([], None),
    (["permit"], "permit"),
    (["recognition"], "recognition"),
    (["recognition", "licence"], "recognition"),
    (["language"], "language"),
    (["permit", "recognition", "licence"], "permit+recognition"),
    (["permit", "language"], "permit+language"),
    (["recognition", "language"], "recognition+language"),
    (["permit", "recognition", "language"], "permit+recognition+language"),
])
def test_barrier_groups(kinds, group):
    assert barrier_group([{"kind": k} for k in kinds]) == group


def test_a_status_to_confirm_is_not_counted_as_a_permit_barrier():
    assert barrier_group([{"kind": "permit", "rule": "check_status:ppt"}]) == "status_not_given"
    assert barrier_group([{"kind": "permit", "rule": "check_status:ppt"}, {"kind": "language"}]) == "language"


def test_count_barriers_per_country():
    rows = [("CO", 0.9, []), ("CO", 0.8, [{"kind": "permit"}]), ("CO", 0.3, [{"kind": "permit"}]),
            ("PE", 0.7, [{"kind": "recognition"}, {"kind": "language"}]),
            ("PE", 0.6, [{"code": "work_permit"}])]  # a step stored by the version before the knowledge base
    table, total = count_barriers(rows, 0.5)
    assert [r["country"] for r in table] == ["CO", "PE"]
    co, pe = table
    assert (co["strong_matches"], co["eligible_now"], co["blocked"]["permit"]) == (2, 1, 1)
    assert pe["blocked"]["recognition+language"] == 1 and pe["blocked"]["permit"] == 1
    assert set(co["blocked"]) == set(BARRIER_GROUPS)
    assert (total["strong_matches"], total["eligible_now"], total["blocked"]["permit"]) == (4, 1, 2)


def test_the_docs_list_what_the_data_says_is_uncertain():
    from config.mobility import protection_markdown, uncertain_markdown

    docs = (CONFIG_DIR.parent / "docs" / "mobility.md").read_text(encoding="utf-8")
    assert uncertain_markdown(KB) in docs, "run: python -m config.mobility --docs"
    assert protection_markdown(KB) in docs, "run: python -m config.mobility --docs"
    assert protection_markdown(KB).count("\n| ") == len(HOSTS) + 1   # every host, and the header's rule


@pytest.mark.parametrize("isco,word", [(isco, w) for isco, words in KB.hints for w in words])
def test_every_title_hint_gives_its_group(isco, word):
    assert KB.isco_from_title(word) == isco
    assert KB.isco_from_title(f"Se busca {word.upper()} con experiencia") == isco


@pytest.mark.parametrize("title,isco", [
    ("Enfermero/a de UCI", "2221"), ("Técnica de enfermería", "3221"), ("Técnico de enfermagem", "3221"),
    ("Médico/a general", "2211"), ("Abogada laboralista", "2611"), ("Contador/a", "2411"),
    ("Auxiliar contable", None), ("Ingeniero de software", None), ("Cocinero/a de línea", None),
])
def test_title_hints_for_unlinked_vacancies(title, isco):
    assert KB.isco_from_title(title) == isco


def test_a_regulated_title_counts_even_when_esco_did_not_link_it():
    from matching import ProfileDoc, VacancyDoc
    from matching.scoring import eligibility_of

    nurse = ProfileDoc(id=1, country="CO", nationalities=("VE",), legal_status="ppt", education_level="short_cycle",
                       education_country="VE", languages={"es": "native"})
    post = VacancyDoc(id=2, title="Enfermero/a de UCI", country="CO")   # no ESCO annotation at all
    verdict = eligibility_of(nurse, post, KB)
    assert [s.kind for s in verdict.steps] == ["recognition", "licence"]
