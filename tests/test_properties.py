"""Property-based tests (issue 7): the validators and `matching/` take any text — every
script, control and zero-width characters, emoji, empty and 1 MB texts, thousands of skills,
odd JSON — and answer without crashing, within their documented limits, in bounded time.

Reproducible: examples are derived from the test's name (`derandomize`), nothing is kept
between runs (`database=None`). Time is only bounded through Hypothesis deadlines, generous
because the test machine is shared: they catch work that grows with the input (a 1 MB text
took the encoder over ten minutes), not a slow second.
"""
from __future__ import annotations

import json
import math
import re
from datetime import timedelta

import numpy as np
import pycountry
import pytest
from hypothesis import HealthCheck, Phase, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from config import load_weights
from config.mobility import load_knowledge_base
from matching import (
    DIMENSIONS,
    EDUCATION_LEVELS,
    LANGUAGE_LEVELS,
    Calibration,
    Embedding,
    Job,
    ProfileDoc,
    VacancyDoc,
    combine,
    describe_reason,
    describe_step,
    embed_profile,
    embed_vacancy,
    for_employer,
    normalise_phrase,
    rank,
    score_many,
    score_pair,
    top_k,
)
from matching import eligibility as elig
from matching.annotate import OCCUPATION_THRESHOLD, RANKED_THRESHOLD, SKILL_THRESHOLD, SKILLS_COVERED, annotate
from matching.documents import MAX_PHRASE_CHARS, MAX_PHRASES, MAX_PHRASES_CHARS, MAX_TEXT_CHARS
from matching.linking import MAX_QUERY_CHARS, normalise_title
from matching.retrieval import VectorIndex
from matching.scoring import PRIVATE_EXPLANATION, _location, eligibility_of, top_k_rows
from web.schemas import LOCALES, EligibilityIn, ProfileIn, VacancyIn, ValidationError, field_errors

KB = load_knowledge_base()
WEIGHTS = load_weights()
MAX_CONTENT_LENGTH = 512 * 1024   # config.Settings.max_content_length: no accepted body is larger

BASE = settings(derandomize=True, database=None, deadline=timedelta(seconds=2), max_examples=100,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
HUGE = settings(BASE, deadline=timedelta(seconds=5), max_examples=25)
# One 512-token window of the real encoder costs up to ~2 s on the loaded 2-core machine.
ENCODER = settings(BASE, deadline=timedelta(seconds=15), max_examples=25)

# A marker put in user text: no error message may repeat what the person wrote.
SECRET = "Zq7 secreto Xw"

# --- Strategies ----------------------------------------------------------------------------

ODD = [
    "", " ", "\t \n", "\u00a0", "\u200b", "\u200c\u200d", "\ufeff", "\u202eolleh\u202c", "\u2028\u2029",
    "e\u0301", "\u0301\u0301", "ß", "İstanbul", "ﬁ", "㎒", "Ⅻ", "ǅ", "ŉ", "\u212ao", "ſv", "ıd",
    "😀", "👩🏽‍⚕️", "🇻🇪🇨🇴", "中文技能", "日本語", "한국어", "العربية", "עברית", "ελληνικά", "русский", "हिन्दी",
    "\x00", "\x1b[31m", "\x7f", "\x85", "\ufffd", "\U0010fffd", "\U000e0001", "<script>", "=cmd|' /C calc'!A0",
    "a,b;c\nd|e:f", '"quoted, cell"', SECRET,
]
WORDS = ["enfermera", "Enfermería", "enfermero/a", "TSU en administración", "Lic. en Contaduría", "cozinheiro",
         "técnico em enfermagem", "mesero", "chofer", "soldadura", "Excel", "nurse", "cocina venezolana",
         "atención al cliente", "UCI", "T.S.U.", "dr.", "contador público"]
CODES = sorted(KB.countries)
COUNTRY_LIKE = CODES + ["co", " pe ", "ZZ", "XX", "US", "ES", "Colombia", "C", "ß", "ſv"]
STATUSES = sorted({s.code for c in KB.countries.values() for s in c.statuses} | {"unknown", "protection_permit"})
LANGS = ["es", "pt", "en", "fr", "ht", "qu", "gn", "nl", "zz", "ES", "xx "]
ISCO = sorted({p for c in KB.countries.values() for r in (*c.regulated, *c.reserved) for p in r.isco}
              | {"2221", "3221", "5120", "9411", "8332", "2512", "7212", "0110"})


def _repeat(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


odd_text = st.sampled_from(ODD)
words = st.lists(st.sampled_from(ODD + WORDS), min_size=1, max_size=6).map(" ".join)
any_text = st.one_of(odd_text, words, st.text(max_size=40))
# Texts of 100 kB to 1 MB (built by repetition: cheap to make, as costly to read as any).
huge_text = st.builds(_repeat, st.one_of(st.sampled_from(WORDS + ODD[1:]), st.text(min_size=1, max_size=8)),
                      st.integers(100_000, 1_000_000))
text_or_huge = st.one_of(any_text, any_text, any_text, huge_text)
# What a JSON body can hold, lone surrogates included ("\ud800" is valid JSON).
json_text = st.one_of(any_text, st.text(st.characters(exclude_categories=()), max_size=10))
numbers = st.one_of(st.floats(), st.integers(), st.integers(min_value=10**20), st.sampled_from(
    [0, 2.5, 60, 61, -1, "2,5", "3", "1e400", "nan", "inf", "", " ", True]))
json_values = st.recursive(st.none() | st.booleans() | numbers | json_text,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(json_text, inner, max_size=4),
                           max_leaves=10)


def junk_or(good):
    """Mostly plausible values, sometimes anything JSON can carry."""
    return st.one_of(good, good, good, json_values)


def many_skills():
    return st.integers(101, 5000).map(lambda n: [f"skill {i}" for i in range(n)])


country_value = junk_or(st.sampled_from(COUNTRY_LIKE))
countries_value = junk_or(st.one_of(st.lists(st.sampled_from(COUNTRY_LIKE), max_size=4),
                                    st.lists(st.sampled_from(COUNTRY_LIKE), max_size=4).map(", ".join),
                                    st.integers(31, 300).map(lambda n: [CODES[i % len(CODES)] for i in range(n)])))
phrases_value = junk_or(st.one_of(st.lists(any_text, max_size=6), any_text, many_skills(),
                                  st.lists(text_or_huge, max_size=2)))
level_value = junk_or(st.sampled_from([*EDUCATION_LEVELS, "TSU", "licenciatura", "bachiller", "Bacharelado", "3",
                                       "9", 4, 12, -1, "٣", "", None, "9" * 5000]))
languages_value = junk_or(st.lists(st.fixed_dictionaries({}, optional={
    "code": junk_or(st.sampled_from(LANGS)), "level": junk_or(st.sampled_from([*LANGUAGE_LEVELS, "C1"]))}), max_size=4))
locale_value = st.sampled_from(["es", "pt", "en", "fr", "", None])


def _dicts(fields: dict, extra: bool = True):
    """Dictionaries with any subset of `fields`, and sometimes unknown keys."""
    base = st.fixed_dictionaries({}, optional=fields)
    if not extra:
        return base
    return st.one_of(base, st.builds(lambda d, e: {**e, **d}, base, st.dictionaries(json_text, json_values,
                                                                                     max_size=2)))


jobs_value = junk_or(st.lists(_dicts({
    "title": junk_or(text_or_huge), "years": numbers, "country": country_value,
    "description": junk_or(text_or_huge)}, extra=False), max_size=3))
profile_dicts = _dicts({
    "summary": junk_or(text_or_huge), "nationalities": countries_value, "jobs": jobs_value, "skills": phrases_value,
    "languages": languages_value, "country": country_value, "city": junk_or(any_text),
    "target_countries": countries_value, "relocate": junk_or(st.booleans()), "consent": st.sampled_from(
        [True, True, False, None, "on", 1, "true"]),
    "status": junk_or(st.sampled_from(STATUSES)), "locale": locale_value,
    "education": junk_or(_dicts({"level": level_value, "country": country_value, "field": junk_or(any_text),
                                 "degree": junk_or(any_text), "recognised_in": countries_value}, extra=False)),
})
vacancy_dicts = _dicts({
    "title": junk_or(text_or_huge), "description": junk_or(text_or_huge), "essential_skills": phrases_value,
    "optional_skills": phrases_value, "country": country_value, "city": junk_or(any_text),
    "remote": junk_or(st.booleans()), "languages": junk_or(st.lists(st.sampled_from(LANGS), max_size=3)),
    "education_level": level_value, "experience_years": numbers, "openings": numbers,
    "accepts_relocation": junk_or(st.booleans()), "employer": junk_or(any_text), "locale": locale_value,
})
eligibility_dicts = _dicts({
    "nationalities": countries_value, "current_country": country_value, "target_country": country_value,
    "status": junk_or(st.sampled_from(STATUSES)), "occupation_isco": junk_or(st.sampled_from([*ISCO, "22a1", "12345"])),
    "education": junk_or(_dicts({"level": level_value, "country": country_value, "recognised_in": countries_value},
                                extra=False)),
    "languages": languages_value, "required_languages": junk_or(st.lists(st.sampled_from(LANGS), max_size=3)),
    "required_education": level_value, "remote": junk_or(st.booleans()), "locale": locale_value,
})

# Bodies a client means to be valid — every choice within what the schema documents, odd
# Unicode included — with sometimes one field swapped for anything JSON can carry.
HOSTS = [c for c in CODES if "host" in KB.countries[c].roles]
PRINTABLE_ODD = [x for x in ODD if not any(ord(c) < 32 for c in x)]
good_text = st.one_of(st.lists(st.sampled_from(PRINTABLE_ODD + WORDS), max_size=6).map(" ".join),
                      st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=40))
good_phrase = st.one_of(st.sampled_from(WORDS), good_text.filter(lambda x: any(c.isalnum() for c in x)))
good_phrases = st.one_of(st.lists(good_phrase, max_size=8), st.lists(good_phrase, max_size=8).map(", ".join))
good_languages = st.lists(st.sampled_from(["es", "pt", "en", "fr", "qu", "ht"]), unique=True, max_size=4).flatmap(
    lambda codes: st.tuples(*[st.fixed_dictionaries({"code": st.sampled_from([c, c.upper(), f" {c}"]),
                                                     "level": st.sampled_from(list(LANGUAGE_LEVELS))})
                              for c in codes]).map(list))
good_level = st.sampled_from([*EDUCATION_LEVELS, "3", 6, "TSU", "licenciatura", "bacharelado", "", None])


@st.composite
def _valid_ish(draw, fields: dict):
    body = {k: draw(v) for k, v in fields.items()}
    if draw(st.integers(0, 3)) == 0:   # one field swapped for anything, or left out
        key = draw(st.sampled_from(sorted(fields)))
        value = draw(st.one_of(json_values, text_or_huge, st.none()))
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


@st.composite
def good_profiles(draw):
    country = draw(st.sampled_from(HOSTS))
    fields = {
        "country": st.sampled_from([country, country.lower(), f" {country} "]), "consent": st.just(True),
        "summary": good_text, "skills": good_phrases,
        "jobs": st.lists(st.fixed_dictionaries({"title": good_phrase}, optional={
            "years": st.one_of(st.floats(0, 60), st.integers(0, 60), st.just("3")),
            "country": st.sampled_from([*CODES, ""]), "description": good_text}), max_size=3),
        "languages": good_languages, "nationalities": st.lists(st.sampled_from(CODES), max_size=3),
        "target_countries": st.lists(st.sampled_from(HOSTS), max_size=4), "city": good_text,
        "relocate": st.booleans(), "status": st.sampled_from([*KB.statuses(country), None, "", "unknown"]),
        "locale": st.sampled_from(LOCALES), "education": st.one_of(st.none(), st.fixed_dictionaries(
            {"level": good_level}, optional={"country": st.sampled_from(["VE", "CO", "PE", ""]), "field": good_text,
                                             "recognised_in": st.lists(st.sampled_from(HOSTS), max_size=2)})),
    }
    return draw(_valid_ish(fields))


@st.composite
def good_vacancies(draw):
    fields = {
        "title": good_phrase, "country": st.sampled_from([*HOSTS, "US", "es"]), "description": good_text,
        "essential_skills": good_phrases, "optional_skills": good_phrases, "city": good_text,
        "remote": st.booleans(), "languages": st.lists(st.sampled_from(["es", "pt", "en"]), max_size=3),
        "education_level": good_level, "experience_years": st.one_of(st.floats(0, 60), st.integers(0, 60)),
        "openings": st.integers(1, 10000), "accepts_relocation": st.booleans(), "employer": good_text,
        "locale": st.sampled_from(LOCALES)}
    return draw(_valid_ish(fields))


@st.composite
def good_eligibility(draw):
    here = draw(st.sampled_from(CODES))
    fields = {
        "current_country": st.just(here), "target_country": st.sampled_from(CODES),
        "nationalities": st.lists(st.sampled_from([*CODES, "US"]), max_size=2),
        "status": st.sampled_from([*KB.statuses(here), None, ""]),
        "occupation_isco": st.one_of(st.none(), st.sampled_from(ISCO)),
        "education": st.one_of(st.none(), st.fixed_dictionaries({"level": good_level}, optional={
            "country": st.sampled_from(["VE", "CO", ""]),
            "recognised_in": st.lists(st.sampled_from(HOSTS), max_size=2)})),
        "languages": good_languages, "required_languages": st.lists(st.sampled_from(["es", "pt", "en"]), max_size=2),
        "required_education": st.sampled_from([*EDUCATION_LEVELS, None]), "remote": st.booleans(),
        "locale": st.sampled_from([*LOCALES, None])}
    return draw(_valid_ish(fields))


profile_bodies = st.one_of(good_profiles(), good_profiles(), profile_dicts)
vacancy_bodies = st.one_of(good_vacancies(), good_vacancies(), vacancy_dicts)
eligibility_bodies = st.one_of(good_eligibility(), good_eligibility(), eligibility_dicts)

# --- 1. Validators -------------------------------------------------------------------------


def _strings(value):
    """Every string in a dumped model, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _check_errors(exc: ValidationError, model, data) -> None:
    """Field errors name fields, in every language, and never repeat the person's words."""
    event("refused")
    given = {str(k) for k in data} if isinstance(data, dict) else set()
    for locale in (*LOCALES, "fr"):
        for api in (False, True):
            out = field_errors(exc, locale, model, api=api)
            assert isinstance(out, dict) and out
            for name, message in out.items():
                assert isinstance(name, str) and name and isinstance(message, str) and message.strip()
                top = name.split(".")[0]
                assert name == "_" or top in model.model_fields or top in given or name in given, name
                assert SECRET not in message
                assert not any(p in message for p in ("{max}", "{min}", "{country}", "{valid}")), message


def _is_country(code) -> bool:
    return isinstance(code, str) and len(code) == 2 and code.isascii() and code.isupper() \
        and pycountry.countries.get(alpha_2=code) is not None


def _check_common(model) -> None:
    """What every accepted body promises: printable text, and a size the server accepts."""
    event("accepted")
    dumped = model.model_dump(mode="json")
    for s in _strings(dumped):
        assert not any(ord(c) < 32 and c not in "\t\n\r" for c in s)
    assert len(json.dumps(dumped).encode()) < MAX_CONTENT_LENGTH
    assert getattr(model, "locale", "es") in (*LOCALES, None)


def _check_phrases(items, limit=100) -> None:
    assert len(items) <= limit and len(set(items)) == len(items)
    for s in items:
        assert 1 <= len(s) <= 120 and s == s.strip() and any(c.isalnum() for c in s)


def _check_countries(items, limit=30) -> None:
    assert len(items) <= limit and len(set(items)) == len(items) and all(map(_is_country, items))


def _check_languages(languages) -> None:
    codes = [x.code for x in languages]
    assert len(codes) <= 10 and len(set(codes)) == len(codes)
    for x in languages:
        assert len(x.code) == 2 and x.code.isascii() and x.code.islower() and x.level in LANGUAGE_LEVELS


def _roundtrip(model_cls, model) -> None:
    ctx = {"kb": KB}
    assert model_cls.model_validate(model.model_dump(), context=ctx) == model
    assert model_cls.model_validate_json(model.model_dump_json(), context=ctx) == model


def _deep(n: int) -> list:
    out: list = []
    for _ in range(n):
        out = [out]
    return out


@BASE
@given(data=profile_bodies)
@example(data={"country": "CO", "consent": True, "skills": _deep(5000)})        # was RecursionError
@example(data={"country": "ß", "consent": True, "summary": "enfermera"})         # was South Sudan
@example(data={"country": "ſv", "consent": True, "summary": "enfermera", "nationalities": ["ıd"]})
@example(data={"country": "CO", "consent": True, "summary": "\ud800 enfermera"})  # a lone surrogate (valid JSON)
def test_profile_validation_accepts_within_limits_or_names_the_fields(data):
    try:
        p = ProfileIn.model_validate(data, context={"kb": KB})
    except ValidationError as exc:
        _check_errors(exc, ProfileIn, data)
        return
    _check_common(p)
    assert len(p.summary) <= 5000 and len(p.city) <= 100 and _is_country(p.country) and p.consent is True
    assert any(c.isalnum() for c in p.summary) or p.jobs or p.skills
    _check_phrases(p.skills)
    _check_countries(p.nationalities)
    _check_countries(p.target_countries)
    _check_languages(p.languages)
    assert len(p.jobs) <= 20
    for job in p.jobs:
        assert 1 <= len(job.title) <= 200 and any(c.isalnum() for c in job.title)
        assert math.isfinite(job.years) and 0 <= job.years <= 60 and len(job.description) <= 2000
        assert job.country is None or _is_country(job.country)
    if p.education is not None:
        assert p.education.level in EDUCATION_LEVELS and len(p.education.degree or "") <= 80
        assert len(p.education.field) <= 200 and (p.education.country is None or _is_country(p.education.country))
        _check_countries(p.education.recognised_in)
    known = KB.statuses(p.country)
    assert p.status is None or p.status in known or (not known and p.status == "national")
    _roundtrip(ProfileIn, p)


@BASE
@given(data=vacancy_bodies)
@example(data={"title": "Cocinero", "country": "CO", "essential_skills": [f"skill {i}" for i in range(5000)]})
@example(data={"title": "Cocinero", "country": "CO", "description": _repeat("é", 1_000_000)})
def test_vacancy_validation_accepts_within_limits_or_names_the_fields(data):
    try:
        v = VacancyIn.model_validate(data, context={"kb": KB})
    except ValidationError as exc:
        _check_errors(exc, VacancyIn, data)
        return
    _check_common(v)
    assert 1 <= len(v.title) <= 200 and any(c.isalnum() for c in v.title) and _is_country(v.country)
    assert len(v.description) <= 10000 and len(v.city) <= 100 and len(v.employer) <= 200
    _check_phrases(v.essential_skills)
    _check_phrases(v.optional_skills)
    assert len(v.languages) <= 10 and len(set(v.languages)) == len(v.languages)
    assert v.education_level is None or v.education_level in EDUCATION_LEVELS
    assert math.isfinite(v.experience_years) and 0 <= v.experience_years <= 60 and 1 <= v.openings <= 10000
    _roundtrip(VacancyIn, v)


@BASE
@given(data=eligibility_bodies)
def test_eligibility_validation_then_assessment_never_crashes(data):
    try:
        q = EligibilityIn.model_validate(data, context={"kb": KB})
    except ValidationError as exc:
        _check_errors(exc, EligibilityIn, data)
        return
    _check_common(q)
    assert KB.country(q.current_country) is not None and KB.country(q.target_country) is not None
    _check_countries(q.nationalities)
    _check_languages(q.languages)
    assert q.occupation_isco is None or (q.occupation_isco.isdigit() and 1 <= len(q.occupation_isco) <= 4)
    _roundtrip(EligibilityIn, q)
    edu = q.education   # as web/api/mobility.py builds the person and the job
    person = elig.Person(tuple(q.nationalities), q.current_country, q.status, edu.level if edu else None,
                         edu.country if edu else None, tuple(edu.recognised_in) if edu else (),
                         {x.code: x.level for x in q.languages})
    job = elig.Job(q.target_country, q.occupation_isco, q.required_education, tuple(q.required_languages),
                   remote=q.remote)
    _check_verdict(person, job, elig.assess(KB, person, job))


@BASE
@given(n=st.integers(101, 5000), field=st.sampled_from(["skills", "nationalities", "target_countries"]))
def test_lists_beyond_their_limit_are_refused_by_name(n, field):
    items = [f"habilidad {i}" for i in range(n)] if field == "skills" else [CODES[i % len(CODES)] for i in range(n)]
    data = {"country": "CO", "consent": True, "summary": "Enfermera", field: items}
    with pytest.raises(ValidationError) as caught:
        ProfileIn.model_validate(data, context={"kb": KB})
    errors = field_errors(caught.value, "es", ProfileIn)
    assert field in errors and "máximo" in errors[field]


@HUGE
@given(text=huge_text, field=st.sampled_from(["summary", "city", "skills"]))
def test_huge_texts_are_refused_by_name(text, field):
    data = {"country": "CO", "consent": True, "summary": "Enfermera", field: [text] if field == "skills" else text}
    try:
        ProfileIn.model_validate(data, context={"kb": KB})
    except ValidationError as exc:
        assert any(k.split(".")[0] == field for k in field_errors(exc, "pt", ProfileIn))
        return
    assert not any(c.isalnum() for c in text)   # only blanks or punctuation, dropped or stripped


# --- Forms and CSV import ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def i18n_app():
    """A Flask app with the real i18n set-up only: form parsing needs a request and its
    language, not the database or Redis that the full `app` fixture brings."""
    from flask import Flask

    from web.i18n import init_i18n

    app = Flask("web")
    init_i18n(app)
    return app


form_text = st.one_of(any_text, st.sampled_from(["CO", "VE", "es", "native", "on", "CO:ppt", "PE:cpp", "2,5", "3"]))
form_keys = st.sampled_from(
    ["country", "city", "summary", "skills", "target_countries", "education-level", "education-field",
     "education-country", "education-recognised", "nationality-0", "nationality-1", "status", "consent", "relocate",
     "job-0-title", "job-0-years", "job-0-country", "job-0-description", "job-19-title", "job-19-years",
     "lang-0-code", "lang-0-level", "lang-9-code", "lang-9-level", "title", "description", "employer",
     "essential_skills", "optional_skills", "remote", "languages", "education_level", "experience_years",
     "openings", "accepts_relocation", "unknown"])
forms = st.lists(st.tuples(form_keys, st.one_of(form_text, form_text, huge_text)), max_size=14)


@BASE
@given(items=forms, lang=st.sampled_from(LOCALES))
@example(items=[("country", "CO"), ("consent", "on"), ("summary", "x"), ("education-level", "bachelor"),
                ("education-recognised", "on"), ("country", "ZZ")], lang="es")
@example(items=[("job-0-title", "\x1b")], lang="es")   # was an error on "jobs", a field no form draws
@example(items=[("education-level", "\x00")], lang="es")   # and on "education.degree"
def test_any_form_post_gives_a_profile_or_errors_on_drawn_fields(i18n_app, items, lang):
    from werkzeug.datastructures import MultiDict

    from web.pages.forms import form_errors, profile_from_form, profile_labels

    with i18n_app.test_request_context(headers={"Accept-Language": lang}):
        data, names = profile_from_form(MultiDict(items))
        names["_"] = "summary"   # as web/pages/profiles.py does
        try:
            ProfileIn.model_validate(data, context={"kb": KB})
        except ValidationError as exc:
            errors = form_errors(field_errors(exc, lang, ProfileIn), names)
            drawn = profile_labels()
            assert errors and all(k in drawn and isinstance(v, str) and v for k, v in errors.items()), errors


@BASE
@given(items=forms, lang=st.sampled_from(LOCALES))
def test_any_vacancy_form_post_gives_a_vacancy_or_errors_on_drawn_fields(i18n_app, items, lang):
    from werkzeug.datastructures import MultiDict

    from web.pages.forms import form_errors, vacancy_from_form, vacancy_labels

    with i18n_app.test_request_context(headers={"Accept-Language": lang}):
        try:
            VacancyIn.model_validate(vacancy_from_form(MultiDict(items)))
        except ValidationError as exc:
            errors = form_errors(field_errors(exc, lang, VacancyIn))
            drawn = vacancy_labels()
            assert errors and all(k in drawn and isinstance(v, str) and v for k, v in errors.items()), errors


csv_cells = st.one_of(any_text, st.sampled_from(["CO", "1", "sí", "Enfermera:3;Cocinera:2,5", "es:native|pt", "VE"]))


@BASE
@given(kind=st.sampled_from(["profiles", "vacancies"]), header=st.lists(st.sampled_from(
    ["summary", "country", "consent", "title", "skills", "jobs", "languages", "openings", "education_level",
     "status", "unknown", ""]), min_size=1, max_size=6),
       rows=st.lists(st.lists(st.one_of(csv_cells, csv_cells, huge_text), max_size=7), max_size=5),
       sep=st.sampled_from([",", ";"]))
@example(kind="profiles", header=["country", "consent", "summary"], rows=[["CO", "1", "x"]] * 5001, sep=",")
def test_any_csv_import_reports_rows_and_never_crashes(i18n_app, kind, header, rows, sep):
    import csv
    import io

    from web.pages.admin import MAX_IMPORT_ROWS, read_rows

    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(header)
    writer.writerows(rows)
    with i18n_app.test_request_context():
        good, errors = read_rows(out.getvalue(), kind, KB)
    assert len(good) <= min(len(rows), MAX_IMPORT_ROWS)
    assert len(rows) <= MAX_IMPORT_ROWS or errors   # a longer file is refused, not cut silently
    model = ProfileIn if kind == "profiles" else VacancyIn
    assert all(isinstance(m, model) for m in good)
    for err in errors:
        assert isinstance(err["row"], int) and err["row"] >= 1 and err["fields"]
        assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in err["fields"].items())


# --- 2. Text normalisation and documents ------------------------------------------------------


@BASE
@given(text=st.one_of(any_text, st.text()))
@example(text="㎒")      # NFKD makes upper case of it: was 'MHz', and 'mhz' when normalised again
def test_normalise_phrase_is_folded_trimmed_and_idempotent(text):
    out = normalise_phrase(text)
    assert out == normalise_phrase(out)
    assert out == out.strip() and "  " not in out and not any(c.isspace() and c != " " for c in out)
    assert out == out.casefold()
    assert normalise_phrase(text.upper()) == normalise_phrase(text.lower()) or not text.isascii()


@HUGE
@given(text=st.one_of(any_text, huge_text))
def test_titles_normalise_to_words_in_bounded_time(text):
    from matching.linking import label_variants, portuguese_variant, regional_variant

    out = normalise_title(text)
    for variant in (out, regional_variant(out), portuguese_variant(out)):
        assert re.fullmatch(r"(\w+( \w+)*)?", variant)   # words, one space apart
    assert all(isinstance(v, str) and v for v in label_variants(text)) or not text


jobs_doc = st.lists(st.builds(Job, title=text_or_huge, years=st.floats(0, 60), country=st.sampled_from([*CODES, None]),
                              description=any_text), max_size=3)
skills_doc = st.one_of(st.lists(any_text, max_size=12).map(tuple), st.lists(text_or_huge, max_size=2).map(tuple),
                       st.integers(0, 5000).map(lambda n: tuple(f"habilidad {i}" for i in range(n))))


@HUGE
@given(summary=text_or_huge, jobs=jobs_doc, skills=skills_doc, title=text_or_huge, description=text_or_huge)
def test_documents_clip_text_and_phrases(summary, jobs, skills, title, description):
    p = ProfileDoc(id=1, country="CO", summary=summary, jobs=tuple(jobs), skills=skills)
    v = VacancyDoc(id=2, title=title, country="CO", description=description, essential_skills=skills)
    for doc in (p, v):
        assert len(doc.text()) <= MAX_TEXT_CHARS
        phrases = doc.phrases()
        keys = [normalise_phrase(x) for x in phrases]
        assert len(phrases) <= MAX_PHRASES and all(keys) and len(set(keys)) == len(keys)
        assert all(len(x) <= MAX_PHRASE_CHARS for x in phrases) and sum(map(len, phrases)) <= MAX_PHRASES_CHARS


# --- Mobility rules --------------------------------------------------------------------------

BLOCKING = {"no_route", "reserved_for_nationals", "below_required_level"}
maybe_code = st.sampled_from([*CODES, *CODES, "ZZ", "US", "", None])
people = st.builds(
    elig.Person, nationalities=st.lists(st.sampled_from([*CODES, "ZZ", "US"]), max_size=3).map(tuple),
    current_country=maybe_code, status=st.sampled_from([*STATUSES, None, "?"]),
    education_level=st.sampled_from([*EDUCATION_LEVELS, None, "phd"]), education_country=maybe_code,
    recognised_in=st.lists(st.sampled_from(CODES), max_size=3).map(tuple),
    languages=st.dictionaries(st.sampled_from(LANGS), st.sampled_from([*LANGUAGE_LEVELS, "?"]), max_size=3))
jobs_facts = st.builds(
    elig.Job, country=st.sampled_from([*CODES, "ZZ", "US", ""]),
    occupation_isco=st.one_of(st.none(), st.sampled_from(ISCO), st.from_regex(r"[0-9]{1,4}", fullmatch=True)),
    education_level=st.sampled_from([*EDUCATION_LEVELS, None]),
    languages=st.lists(st.sampled_from(LANGS), max_size=2).map(tuple), regulated=st.booleans(), remote=st.booleans())


def _check_verdict(person, job, verdict) -> None:
    codes = {r["code"] for r in verdict.reasons}
    _check_verdict_follows_the_rules(person, job, verdict, codes)
    stored = json.loads(json.dumps(verdict.to_dict()))
    _check_stored_steps(verdict, stored)
    _check_texts_are_readable(verdict, stored)


def _check_verdict_follows_the_rules(person, job, verdict, codes: set[str]) -> None:
    assert verdict.verdict in elig.VERDICTS
    order = [elig.STEP_KINDS.index(s.kind) for s in verdict.steps]
    assert order == sorted(order)
    assert (verdict.verdict == "not_eligible") == bool(codes & BLOCKING)
    assert (verdict.verdict == "eligible_now") == (not verdict.steps and not codes & BLOCKING)
    if job.country in person.nationalities and not job.remote:
        assert "permit" not in verdict.barriers and "reserved_for_nationals" not in codes
    for code in job.languages:
        if elig.speaks(person.languages.get(code)):
            assert f"language:{code}" not in {s.rule for s in verdict.steps}


def _check_stored_steps(verdict, stored: dict) -> None:
    assert [elig.Step.from_dict(s) for s in stored["steps"]] == list(verdict.steps)
    assert elig.barrier_group(stored["steps"]) in (*elig.BARRIER_GROUPS, None)
    assert (elig.barrier_group(stored["steps"]) is None) == (not verdict.steps)


def _check_texts_are_readable(verdict, stored: dict) -> None:
    for locale in (*LOCALES, "fr"):
        for step in (*verdict.steps, *verdict.routes, *stored["steps"]):
            text = describe_step(KB, step, locale)["text"]
            assert text.strip() and "{" not in text and "None" not in text, text
        for reason in stored["reasons"]:
            text = describe_reason(KB, reason, locale)["text"]
            assert text.strip() and "{" not in text and "None" not in text, text


@BASE
@given(person=people, job=jobs_facts)
def test_assess_gives_ordered_steps_and_readable_reasons(person, job):
    verdict = elig.assess(KB, person, job)
    _check_verdict(person, job, verdict)
    assert elig.assess(KB, person, job) == verdict
    assert elig.assess(None, person, job).verdict in elig.VERDICTS


old_steps = st.lists(st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from([*elig.STEP_KINDS, "work_permit", "regularise", "learn_language", "?", ""]),
    "code": st.sampled_from(["work_permit", "recognise_degree", "learn_language", "?"]),
    "rule": st.sampled_from(["status:ppt", "check_status:ppt", "recognition", "language:pt", ""])}), max_size=4)


@BASE
@given(rows=st.lists(st.tuples(st.sampled_from([*CODES, "ZZ"]), st.floats(0, 1), st.one_of(
    st.none(), old_steps, st.builds(lambda p, j: elig.assess(KB, p, j).to_dict()["steps"], people, jobs_facts))),
    max_size=30), min_score=st.floats(0, 1))
def test_barrier_counts_add_up_per_country_and_overall(rows, min_score):
    """Stored steps of any version: each strong match is ready now or in exactly one group."""
    table, total = elig.count_barriers(rows, min_score)
    strong = [r for r in rows if r[1] >= min_score]
    assert total["strong_matches"] == len(strong) == sum(row["strong_matches"] for row in table)
    for row in (*table, total):
        assert set(row["blocked"]) == set(elig.BARRIER_GROUPS)
        assert row["strong_matches"] == row["eligible_now"] + sum(row["blocked"].values())
    assert [row["country"] for row in table] == sorted({r[0] for r in strong})


# --- Scoring and ranking -----------------------------------------------------------------------

DIM = 16
CALIBRATION = Calibration(floor=0.0, ceiling=0.9, phrase_match=0.6)


def _unit_rows(seed: int, n: int) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _embedding(doc, seed: int) -> Embedding:
    rows = _unit_rows(seed, 1 + len(doc.phrases()))
    return Embedding(rows[0], rows[1:])


def _esco(phrases, seed: int):
    """An annotation shaped like matching.annotate's, over a few made-up concepts."""
    rng = np.random.default_rng(seed)
    if rng.random() < 0.3:
        return {}
    occ = [{"phrase": "", "uri": f"occ/{rng.integers(4)}", "isco": str(rng.choice(ISCO)),
            "score": float(rng.uniform(0.5, 1)), "regulated": bool(rng.random() < 0.2),
            "near": [{"uri": f"occ/{rng.integers(4)}", "isco": str(rng.choice(ISCO)), "score": 0.5}]}
           for _ in range(rng.integers(0, 3))]
    skills = {normalise_phrase(p): {"uri": f"skill/{rng.integers(3)}", "score": 0.9} for p in phrases
              if rng.random() < 0.5}
    return {"occupations": occ, "skills": skills}


@st.composite
def pairs(draw):
    skills = draw(skills_doc)
    p = ProfileDoc(
        id=draw(st.integers(1, 10**9)), country=draw(st.sampled_from([*CODES, "ZZ"])), city=draw(any_text),
        summary=draw(any_text), jobs=tuple(draw(jobs_doc)), skills=skills,
        languages=draw(st.dictionaries(st.sampled_from(LANGS), st.sampled_from([*LANGUAGE_LEVELS, "?"]), max_size=3)),
        education_level=draw(st.sampled_from([*EDUCATION_LEVELS, None])), education_country=draw(maybe_code),
        target_countries=tuple(draw(st.lists(st.sampled_from(CODES), max_size=3))), relocate=draw(st.booleans()),
        nationalities=tuple(draw(st.lists(st.sampled_from(CODES), max_size=2))),
        legal_status=draw(st.sampled_from([*STATUSES, None])))
    essential = draw(st.one_of(skills_doc, st.lists(st.sampled_from([*skills, "cocina", "x" * 300]) if skills
                                                    else any_text, max_size=6).map(tuple)))
    v = VacancyDoc(
        id=draw(st.integers(1, 10**9)), title=draw(st.one_of(any_text, st.sampled_from(WORDS))),
        country=draw(st.sampled_from([*CODES, "ZZ"])), description=draw(any_text), essential_skills=essential,
        optional_skills=draw(st.lists(any_text, max_size=4).map(tuple)), city=draw(any_text),
        remote=draw(st.booleans()), languages=tuple(draw(st.lists(st.sampled_from(LANGS), max_size=2))),
        education_level=draw(st.sampled_from([*EDUCATION_LEVELS, None])),
        experience_years=draw(st.floats(0, 60)), accepts_relocation=draw(st.booleans()),
        essential_skills_given=draw(st.booleans()))
    seed = draw(st.integers(0, 2**32 - 1))
    p = ProfileDoc(**{**p.__dict__, "esco": _esco(p.phrases(), seed)})
    v = VacancyDoc(**{**v.__dict__, "esco": _esco(v.phrases(), seed + 1)})
    return p, _embedding(p, seed), v, _embedding(v, seed + 2)


def _embedded(p, v):
    return p, _embedding(p, 1), v, _embedding(v, 2)


@BASE
@given(pair=pairs())
@example(pair=_embedded(
    ProfileDoc(id=1, country="CO", skills=("x" * 300,)),
    VacancyDoc(id=2, title="Cocinero", country="CO", essential_skills=("x" * 300,))))   # was ignored: > 200 chars
@example(pair=_embedded(
    ProfileDoc(id=1, country="CO", skills=("Excel",)),
    VacancyDoc(id=2, title="Cocinero", country="CO", optional_skills=("Excel", "excel"))))   # was counted twice
def test_score_pair_scores_in_unit_interval_and_explains_only_real_skills(pair):
    p, pe, v, ve = pair
    result = score_pair(p, pe, v, ve, CALIBRATION, WEIGHTS, KB)
    verdict = eligibility_of(p, v, KB)
    assert (result is None) == (_location(p, v)[0] <= 0 or verdict.verdict == "not_eligible")
    event("out of reach" if result is None else "scored")
    if result is None:
        return
    assert (result.profile_id, result.vacancy_id) == (p.id, v.id)
    assert set(result.scores) <= set(DIMENSIONS) and all(0.0 <= s <= 1.0 for s in result.scores.values())
    assert 0.0 <= result.score <= 1.0 and result.score == round(combine(result.scores, WEIGHTS), 4)
    ex = result.explanation
    assert ex["verdict"] == verdict.verdict != "not_eligible"
    _check_explained_skills(p, v, ex)
    assert json.loads(json.dumps(ex)) == ex   # stored as JSON
    employer = for_employer(result, WEIGHTS)
    assert "eligibility" not in employer.scores and not set(PRIVATE_EXPLANATION) & set(employer.explanation)
    assert 0.0 <= employer.score <= 1.0 and employer.explanation["ready_now"] == (ex["verdict"] == "eligible_now")


def _check_explained_skills(p, v, ex: dict) -> None:
    """Every skill the vacancy lists is matched (by a phrase of the person's) or missing, once."""
    p_phrases, v_phrases = set(p.phrases()), v.phrases()
    matched = [m["skill"] for m in ex["matched_skills"]]
    for m in ex["matched_skills"]:
        assert m["by"] in p_phrases and m["similarity"] >= CALIBRATION.phrase_match
    accounted = matched + ex["missing_skills"] + ex["missing_optional_skills"]
    assert len(accounted) == len(set(accounted)) and set(accounted) <= set(v_phrases)
    keys = {normalise_phrase(x) for x in v_phrases}
    given = (*v.essential_skills, *v.optional_skills)
    wanted = {normalise_phrase(s.strip()[:MAX_PHRASE_CHARS]) for s in given} & keys
    assert {normalise_phrase(x) for x in accounted} == wanted


@BASE
@given(batch=st.lists(pairs(), max_size=6), k=st.integers(0, 8))
def test_score_many_keeps_reachable_pairs_and_rank_sorts_them(batch, k):
    results = score_many(batch, CALIBRATION, WEIGHTS, KB)
    singles = [score_pair(p, pe, v, ve, CALIBRATION, WEIGHTS, KB) for p, pe, v, ve in batch]
    assert results == [r for r in singles if r is not None]
    ranked = rank(results, k)
    assert len(ranked) == min(k, len(results))
    assert ranked == sorted(results, key=lambda r: (-r.score, r.vacancy_id))[:len(ranked)]
    assert all(r.explanation["verdict"] != "not_eligible" for r in ranked)


scores_1d = st.lists(st.one_of(st.floats(-1, 1, allow_nan=False), st.sampled_from([0.5, 0.5, -np.inf, 1.0])),
                     max_size=60)


@BASE
@given(scores=scores_1d, k=st.integers(-2, 70), data=st.data())
def test_top_k_is_the_exact_best_with_ties_to_the_lower_id(scores, k, data):
    ids = np.asarray(data.draw(st.lists(st.integers(0, 20), min_size=len(scores), max_size=len(scores))),
                     dtype=np.int64)
    s = np.asarray(scores, dtype=np.float64)
    pos = top_k(s, ids, k)
    want = np.lexsort((ids, -s))[:max(k, 0)]
    assert len(pos) == max(0, min(k, len(s)))
    assert list(zip(s[pos], ids[pos])) == list(zip(s[want], ids[want]))


@BASE
@given(n=st.integers(0, 4), m=st.one_of(st.integers(0, 80), st.integers(0, 24).map(lambda x: 8 * x)),
       k=st.integers(-2, 12), block=st.sampled_from([1, 2, 3, 4, 8]),
       seed=st.integers(0, 2**32 - 1), ties=st.booleans())
@example(n=2, m=3, k=-1, block=64, seed=0, ties=False)   # a negative k gave (2, 2) positions
def test_top_k_rows_selects_each_rows_best_scores_sorted(n, m, k, block, seed, ties):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, (n, m)).astype(np.float32) if ties else rng.standard_normal((n, m)).astype(np.float32)
    cols = top_k_rows(scores, k, block)
    keep = max(0, min(k, m))
    assert cols.shape == (n, keep)
    for row, c in zip(scores, cols):
        assert len(set(c.tolist())) == keep and all(0 <= x < m for x in c)
        got = row[c]
        assert np.all(got[:-1] >= got[1:])
        assert sorted(got.tolist()) == sorted(np.sort(row)[::-1][:keep].tolist())


@BASE
@given(scores=st.dictionaries(st.sampled_from(DIMENSIONS), st.floats(0, 1)),
       weights=st.dictionaries(st.sampled_from(DIMENSIONS), st.floats(0, 1e6)))
def test_combine_stays_in_unit_interval(scores, weights):
    assert 0.0 <= combine(scores, weights) <= 1.0 + 1e-9


# --- Vector index --------------------------------------------------------------------------------

VDIM = 8


class IndexMachine(RuleBasedStateMachine):
    """Random upserts, removals and searches against a brute-force model of the live rows."""

    ann_threshold = 0   # exact search

    def __init__(self):
        super().__init__()
        self.index = VectorIndex(VDIM, ann_threshold=self.ann_threshold, ef_search=256)
        self.model: dict[int, tuple[str, np.ndarray]] = {}

    @rule(ids=st.lists(st.integers(0, 40), max_size=12), parts=st.data(), seed=st.integers(0, 2**32 - 1))
    def upsert(self, ids, parts, seed):
        where = parts.draw(st.lists(st.sampled_from(["CO", "PE", "CL"]), min_size=len(ids), max_size=len(ids)))
        vectors = _unit_rows(seed, len(ids))[:, :VDIM]
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        self.index.upsert(ids, where, vectors)
        for i, p, v in zip(ids, where, vectors):
            self.model[i] = (p, v)   # the last one given wins

    @rule(ids=st.lists(st.integers(0, 45), max_size=10))
    def remove(self, ids):
        self.index.remove(ids)
        for i in ids:
            self.model.pop(i, None)

    @precondition(lambda self: self.model)
    @rule()
    def churn(self):
        """Remove every row and put it back: dead rows pile up until a partition is compacted."""
        ids = list(self.model)
        self.index.remove(ids)
        self.index.upsert(ids, [self.model[i][0] for i in ids], np.stack([self.model[i][1] for i in ids]))

    @rule(seed=st.integers(0, 2**32 - 1), k=st.integers(0, 50),
          parts=st.one_of(st.none(), st.lists(st.sampled_from(["CO", "PE", "CL", "AR"]), max_size=3)))
    def search(self, seed, k, parts):
        q = _unit_rows(seed, 1)[0, :VDIM]
        q /= np.linalg.norm(q)
        ids, scores = self.index.search(q, k, parts)
        live = [i for i, (p, _) in self.model.items() if parts is None or p in parts]
        assert len(ids) == len(set(ids.tolist())) == min(k, len(live))
        assert set(ids.tolist()) <= set(live)
        assert np.all(scores[:-1] >= scores[1:])
        exact = np.array([self.model[i][1] @ q for i in ids.tolist()], dtype=np.float32)
        assert np.allclose(scores, exact, atol=1e-5)
        if live:   # the exact answer (HNSW on a few dozen rows visits them all)
            live_ids = np.asarray(live, dtype=np.int64)
            live_scores = np.array([self.model[i][1] @ q for i in live], dtype=np.float32)
            want = live_ids[np.lexsort((live_ids, -live_scores))][:k]
            assert np.allclose(np.sort(scores), np.sort(live_scores[np.isin(live_ids, want)]), atol=1e-5)

    @invariant()
    def sizes_agree(self):
        assert len(self.index) == len(self.model)
        assert sum(p.size for p in self.index.partitions.values()) == len(self.model)


@BASE
@given(rows=st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["CO", "PE"])), max_size=8),
       search_in=st.one_of(st.none(), st.lists(st.sampled_from(["CO", "PE", "CL"]), max_size=4)))
@example(rows=[(0, "CO"), (0, "PE")], search_in=None)   # the id stayed in both partitions
@example(rows=[(0, "PE")], search_in=["PE", "PE"])       # a partition named twice gave the id twice
def test_each_live_id_is_found_once_where_it_was_put_last(rows, search_in):
    index = VectorIndex(VDIM, ann_threshold=0)
    index.upsert([i for i, _ in rows], [p for _, p in rows], np.ones((len(rows), VDIM), np.float32) / VDIM ** 0.5)
    last = dict(rows)
    ids, _ = index.search(np.ones(VDIM, np.float32) / VDIM ** 0.5, 100, search_in)
    assert sorted(ids.tolist()) == sorted(i for i, p in last.items() if search_in is None or p in search_in)
    assert len(index) == len(last)


class HnswIndexMachine(IndexMachine):
    ann_threshold = 4   # partitions of 4 rows and more go through the HNSW graph


TestExactIndex = IndexMachine.TestCase
TestExactIndex.settings = settings(BASE, max_examples=100, stateful_step_count=30)
TestHnswIndex = HnswIndexMachine.TestCase
TestHnswIndex.settings = settings(BASE, max_examples=60, stateful_step_count=40)


# --- The real encoder, documents and taxonomy linking ---------------------------------------------


def _check_unit_rows(out: np.ndarray, n: int, dim: int) -> None:
    assert out.dtype == np.float32 and out.shape == (n, dim) and np.isfinite(out).all()
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-4)


@ENCODER
@given(texts=st.lists(st.one_of(odd_text, words, st.text(max_size=24)), min_size=1, max_size=3),
       role=st.sampled_from(["query", "document"]))
def test_encoder_gives_finite_unit_vectors_alone_or_batched(encoder, texts, role):
    batch = encoder.encode(texts, role=role)
    _check_unit_rows(batch, len(texts), encoder.dim)
    alone = encoder.encode(texts[:1], role=role)
    assert np.allclose(alone[0], batch[0], atol=2e-3)


@settings(ENCODER, phases=[Phase.explicit])
@given(text=huge_text)
@example(text=_repeat("enfermería ", 1_000_000))   # took the encoder minutes: it read every window
@example(text=_repeat("a", 100_000))
def test_encoder_reads_a_huge_text_as_its_head(encoder, text):
    """Explicit examples only: each costs two encodings of the head; huge texts of any
    content reach the encoder in the documents property below."""
    from matching.encoders import MAX_ENCODE_CHARS

    out = encoder.encode([text], role="document")
    _check_unit_rows(out, 1, encoder.dim)
    assert np.allclose(out[0], encoder.encode([text[:MAX_ENCODE_CHARS]], role="document")[0], atol=1e-5)


@settings(ENCODER, max_examples=8)
@given(summary=any_text, jobs=st.lists(st.builds(Job, title=any_text), max_size=2),
       skills=st.lists(any_text, max_size=6).map(tuple))
@example(summary=_repeat("enfermera 😀中文 ", 1_000_000), jobs=[], skills=tuple(f"skill {i}" for i in range(5000)))
def test_embedded_documents_have_a_unit_vector_per_encoded_phrase_and_zero_past_the_budget(encoder, summary, jobs,
                                                                                           skills):
    from matching.documents import encoded_phrases

    p = ProfileDoc(id=1, country="CO", summary=summary, jobs=tuple(jobs), skills=skills)
    v = VacancyDoc(id=2, title=summary[:100], country="PE", description=summary[:300], essential_skills=skills[:50])
    for doc, embed in ((p, embed_profile), (v, embed_vacancy)):
        e = embed(encoder, doc)
        _check_unit_rows(e.vector[None, :], 1, encoder.dim)
        n = len(doc.phrases())
        encoded = encoded_phrases(encoder, doc) if embed is embed_profile else list(range(n))   # a vacancy: all
        assert e.phrase_vectors.shape == (n, encoder.dim)
        _check_unit_rows(e.phrase_vectors[encoded], len(encoded), encoder.dim)
        assert not e.phrase_vectors[[i for i in range(n) if i not in encoded]].any()
        back = Embedding.from_bytes(e.to_bytes(), encoder.dim)
        assert np.array_equal(back.vector, e.vector) and np.array_equal(back.phrase_vectors, e.phrase_vectors)


@settings(ENCODER, max_examples=15)
@given(texts=st.lists(st.one_of(any_text, st.sampled_from(WORDS)), max_size=4), top=st.integers(0, 6),
       huge=st.one_of(st.none(), huge_text))
@example(texts=[], top=3, huge=_repeat("enfermera ", 1_000_000))   # a 1 MB title was read whole
def test_linking_any_text_gives_valid_concepts_best_first(taxonomy_index, texts, top, huge):
    texts = texts + ([huge] if huge is not None else [])
    for linker, concepts in ((taxonomy_index.link_occupations, taxonomy_index.taxonomy.occupations),
                             (taxonomy_index.link_skills, taxonomy_index.taxonomy.skills)):
        out = linker(texts, top_k=top)
        assert len(out) == len(texts)
        for text, links in zip(texts, out):
            if not normalise_title(text[:MAX_QUERY_CHARS]):
                assert links == []
                continue
            assert len(links) == min(top, len(concepts))
            assert len({x.index for x in links}) == len(links) and all(0 <= x.index < len(concepts) for x in links)
            assert all(0.0 <= x.score <= 1.0 for x in links)
            assert [x.score for x in links] == sorted((x.score for x in links), reverse=True)


@settings(ENCODER, max_examples=30)
@given(titles=st.lists(st.one_of(any_text, st.sampled_from(WORDS)), max_size=3),
       skills=st.lists(st.one_of(any_text, st.sampled_from(WORDS)), max_size=5),
       inherit=st.sampled_from([None, "es", "pt", "en", "xx"]))
def test_annotations_link_only_known_concepts_above_threshold(taxonomy_index, titles, skills, inherit):
    out = annotate(taxonomy_index, titles, skills, inherit)
    tax = taxonomy_index.taxonomy
    occ_uris, skill_uris = {c.uri for c in tax.occupations}, {c.uri for c in tax.skills}
    for occ in out["occupations"]:
        assert occ["uri"] in occ_uris and all(n["uri"] in occ_uris for n in occ.get("near", []))
        if occ.get("probability"):   # the first link and its siblings' probabilities
            assert occ["confidence"] >= RANKED_THRESHOLD and 0.0 <= occ["score"] <= occ["confidence"]
        else:
            assert occ["score"] >= (SKILLS_COVERED if occ.get("from_skills") else OCCUPATION_THRESHOLD)
        assert all(0.0 <= w <= 1.0 for w in occ.get("skill_profile", {}).values())
    phrases = {normalise_phrase(s) for s in skills} | {normalise_phrase(s) for s in out.get("inherited_skills", [])}
    for key, link in out["skills"].items():
        assert key in phrases and link["uri"] in skill_uris and link["score"] >= SKILL_THRESHOLD
    assert json.loads(json.dumps(out)) == out
