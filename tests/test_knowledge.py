"""The knowledge base's model lives in the core (`matching.knowledge`); `config.mobility`
only reads the files. A small base built in code, with no file, works the same."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import ValidationError

from config.mobility import load_knowledge_base
from matching.eligibility import Job, Person, assess
from matching.knowledge import Country, Degree, KnowledgeBase, Localised, OccupationHint, Source, Status

ROOT = Path(__file__).resolve().parents[1]
SOURCE = Source(institution="Test", url="https://example.org/", checked=dt.date(2026, 11, 29))


def _text(es: str) -> Localised:
    return Localised(es=es, pt=es, en=es)


def _tiny() -> KnowledgeBase:
    statuses = [
        Status(code="national", kind="national", label=_text("nacional"), authorises_work=True, obtain="closed",
               source=SOURCE),
        Status(code="permiso", kind="residence", label=_text("permiso"), authorises_work=True, obtain="in_country",
               how=_text("pedirlo"), source=SOURCE, uncertain="el plazo"),
        Status(code="irregular", kind="irregular", label=_text("irregular"), authorises_work=False,
               obtain="closed", source=SOURCE),
    ]
    country = Country(code="CO", names=_text("Colombia"), languages=["es"], quito_process=True, roles=["origin"],
                      statuses=statuses)
    degree = Degree(country="CO", code="tecnologo", names=["Tecnólogo"], level="short_cycle",
                    source=SOURCE.model_copy(update={"checked": dt.date(2025, 1, 2)}))
    return KnowledgeBase({"CO": country}, [degree], [OccupationHint(isco="5120", words=["cocinero"])])


def test_a_base_built_in_code_answers_like_the_files():
    kb = _tiny()
    assert kb.country("co").status("permiso").authorises_work
    assert kb.level_of("Tecnólogo", "CO") == "short_cycle" and kb.level_of(6) == "bachelor"
    assert kb.isco_from_title("Cocinero de línea") == "5120"
    assert kb.oldest_check() == dt.date(2025, 1, 2)
    assert kb.uncertain() == [("CO status permiso", "el plazo")]
    assert [where for where, _ in kb.rules()] == ["CO status national", "CO status permiso", "CO status irregular",
                                                  "degree CO tecnologo"]
    # A country of origin only: the rules treat it as not covered, as with Venezuela.
    assert assess(kb, Person(("VE",), "CO", "irregular"), Job("CO")).reasons[0]["code"] == "country_not_covered"


def test_the_model_validates_without_a_file():
    with pytest.raises(ValidationError, match="ISO 3166"):
        Country(code="co", names=_text("x"), languages=["es"], quito_process=False, roles=["origin"],
                statuses=_tiny().country("CO").statuses)
    with pytest.raises(ValidationError, match="no 'how'"):
        Status(code="permiso", kind="residence", label=_text("x"), authorises_work=True, obtain="both", source=SOURCE)


def test_localised_text_falls_back_to_spanish():
    text = Localised(es="hola", pt="olá", en="hello")
    assert [text.get(x) for x in ("es", "pt", "en", "fr", "")] == ["hola", "olá", "hello", "hola", "hola"]


def test_the_files_load_into_the_cores_model():
    assert isinstance(load_knowledge_base(), KnowledgeBase)
