"""Plural and preposition slips (issue 15): every number and every country name Puente writes
into a sentence, in every language, reads as a person would write it ("no Peru", not "em
Peru"; "alrededor de 1 mes", not "unos 1 mes").

The expected phrases are written by hand below, not derived from the code's own tables.
"""
from __future__ import annotations

import pytest
from flask import render_template_string

from config.mobility import load_knowledge_base
from matching.eligibility import Step, describe_reason, describe_step
from matching.eligibility.texts import _REASON_TEXT, _STEP_TEXT
from matching.explain import country_phrase
from matching.i18n import LOCALES

KB = load_knowledge_base()

# "in <country>", as people write it, for every country of the knowledge base.
IN = {
    "AR": ("en Argentina", "na Argentina", "in Argentina"),
    "BR": ("en Brasil", "no Brasil", "in Brazil"),
    "CL": ("en Chile", "no Chile", "in Chile"),
    "CO": ("en Colombia", "na Colômbia", "in Colombia"),
    "CR": ("en Costa Rica", "na Costa Rica", "in Costa Rica"),
    "DO": ("en República Dominicana", "na República Dominicana", "in the Dominican Republic"),
    "EC": ("en Ecuador", "no Equador", "in Ecuador"),
    "GY": ("en Guyana", "na Guiana", "in Guyana"),
    "MX": ("en México", "no México", "in Mexico"),
    "PA": ("en Panamá", "no Panamá", "in Panama"),
    "PE": ("en Perú", "no Peru", "in Peru"),
    "PY": ("en Paraguay", "no Paraguai", "in Paraguay"),
    "UY": ("en Uruguay", "no Uruguai", "in Uruguay"),
    "VE": ("en Venezuela", "na Venezuela", "in Venezuela"),
}
# "of/from <country>" in Portuguese.
PT_OF = {"PE": "do Peru", "CO": "da Colômbia", "VE": "da Venezuela", "DO": "da República Dominicana",
         "BR": "do Brasil", "CR": "da Costa Rica", "GY": "da Guiana", "UY": "do Uruguai"}
ORDER = ("es", "pt", "en")


# Countries a degree can come from, beyond the knowledge base's ("Seu diploma é da China").
OTHERS_PT_FROM = {"CN": "da China", "AO": "de Angola", "KR": "da Coreia do Sul", "IE": "da Irlanda",
                  "US": "dos Estados Unidos", "PT": "de Portugal", "CU": "de Cuba", "ES": "da Espanha",
                  "HT": "do Haiti", "FR": "da França"}
OTHERS_EN_IN = {"CZ": "in Czechia", "US": "in the United States", "DO": "in the Dominican Republic",
                "GB": "in the United Kingdom", "ES": "in Spain"}


def test_countries_a_degree_comes_from_read_as_written():
    for code, phrase in OTHERS_PT_FROM.items():
        assert country_phrase(code, "pt", "from") == phrase
    for code, phrase in OTHERS_EN_IN.items():
        assert country_phrase(code, "en", "in") == phrase


def test_every_country_of_the_knowledge_base_is_in_the_table():
    assert set(IN) == set(KB.countries)


@pytest.mark.parametrize("code", sorted(IN))
def test_in_of_and_from_each_country_read_as_written(code):
    for locale, expected in zip(ORDER, IN[code], strict=True):
        name = KB.country(code).names.get(locale)
        assert country_phrase(code, locale, "in", name) == expected
    if code in PT_OF:
        name = KB.country(code).names.pt
        assert country_phrase(code, "pt", "of", name) == country_phrase(code, "pt", "from", name) == PT_OF[code]


def _texts(code: str, locale: str) -> list[str]:
    """Every step and reason the core writes about a country, in one language."""
    texts = [describe_reason(KB, {"code": key, "country": code, "status": "x", "required": "bachelor",
                                  "issued_in": "VE", "to": code, "from": "VE"}, locale)["text"]
             for key in _REASON_TEXT]
    steps = [Step("permit", code, "work_permit"), Step("permit", code, "protection"),
             Step("permit", code, "check_protection"), Step("recognition", code, "recognition:other"),
             Step("licence", code, "regulated:none:0")]
    steps += [Step("permit", code, f"status:{s.code}") for s in KB.country(code).statuses if s.how]
    if KB.country(code).recognition:
        steps.append(Step("recognition", code, "recognition"))
    return texts + [describe_step(KB, s, locale)["text"] for s in steps]


@pytest.mark.parametrize("code", sorted(IN))
def test_every_step_and_reason_names_the_country_with_the_right_preposition(code):
    uses = [t for t in _STEP_TEXT.values()] + [t for t in _REASON_TEXT.values()]
    assert not any(" en {country}" in t or "de {country}" in t for t in uses)   # phrases, not bare names
    for locale, phrase in zip(ORDER, IN[code], strict=True):
        name = KB.country(code).names.get(locale)
        texts = _texts(code, locale)
        assert any(phrase in t for t in texts), (locale, phrase)
        wrong = {"es": [f"en en {name}"], "pt": [f"em {name}", f"de {name}"] if phrase != f"em {name}" else [],
                 "en": [f"in {name}"] if phrase.startswith("in the ") else []}[locale]
        slips = [t for t in texts for w in wrong if w in t]
        assert slips == [], slips[:2]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_number_of_months_and_of_jobs_reads_as_written(app, locale):
    expected = {
        "es": ("menos de un mes", "alrededor de 1 mes", "alrededor de {n} meses", "{n} empleo {w}", "{n} empleos {w}"),
        "pt": ("menos de um mês", "cerca de 1 mês", "cerca de {n} meses", "{n} vaga {w}", "{n} vagas {w}"),
        "en": ("less than a month", "about 1 month", "about {n} months", "{n} job {w}", "{n} jobs {w}"),
    }[locale]
    with app.test_request_context(f"/?lang={locale}"):
        for months in (0.25, 0.5, 0.7):
            assert render_template_string("{{ months(m) }}", m=months) == expected[0]
        assert render_template_string("{{ months(m) }}", m=1) == render_template_string("{{ months(m) }}", m=1.4) \
            == expected[1]
        for n in range(2, 37):
            assert render_template_string("{{ months(m) }}", m=n) == expected[2].format(n=n)
        for code in IN:
            where = render_template_string("{{ country_in(c) }}", c=code)
            assert where == IN[code][ORDER.index(locale)]
            for n in range(1, 31):
                text = render_template_string(
                    "{{ ngettext('%(num)d empleo %(where)s', '%(num)d empleos %(where)s', n, where=country_in(c)) }}",
                    n=n, c=code)
                assert text == expected[3 if n == 1 else 4].format(n=n, w=where)
