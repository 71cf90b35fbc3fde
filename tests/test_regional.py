"""Latin American and Brazilian words (matching/data/regional_terms.toml): one test per family.

Each family's examples are linked with the whole shipped taxonomy and the real encoder,
as a worker links them, and must land on the ESCO concept the family names.
"""
from __future__ import annotations

import pytest

from matching.regional import apply_regional_terms, load_regional_terms, word_rewrites
from matching.shipped import read_shipped

FAMILIES = load_regional_terms()


@pytest.fixture(scope="module")
def shipped():
    return read_shipped()


@pytest.fixture(scope="module")
def full_index(shipped, encoder, tmp_path_factory):
    """The whole shipped taxonomy with the regional terms, as a fresh install's worker builds it."""
    from matching.index import build_index

    return build_index(apply_regional_terms(shipped), encoder, tmp_path_factory.mktemp("esco"))


def _by_english(concepts):
    out = {}
    for c in concepts:
        if c.labels.get("en"):
            out.setdefault(c.labels["en"][0].casefold(), []).append(c)
    return out


def test_every_family_is_complete():
    assert len(FAMILIES) >= 8
    assert {f.language for f in FAMILIES} == {"es", "pt", "en"}
    for family in FAMILIES:
        assert family.examples, family.name
        assert family.occupations or family.skills or family.words, family.name


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_every_target_is_one_esco_concept(family, shipped):
    occupations, skills = _by_english(shipped.occupations), _by_english(shipped.skills)
    for term, target in family.occupations.items():
        assert len(occupations.get(target.casefold(), [])) == 1, f"{term!r}: no single ESCO occupation {target!r}"
    for term, target in family.skills.items():
        assert len(skills.get(target.casefold(), [])) == 1, f"{term!r}: no single ESCO skill {target!r}"
    for target in family.shown:
        assert len(occupations.get(target.casefold(), [])) == 1, f"shown: no single ESCO occupation {target!r}"
    for text, target in family.examples:
        assert target.casefold() in occupations or target.casefold() in skills, f"{text!r}: unknown {target!r}"


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_every_example_links_to_its_concept(family, full_index):
    occupations = _by_english(full_index.taxonomy.occupations)
    wrong = []
    for text, target in family.examples:
        if target.casefold() in occupations:
            (links,) = full_index.link_occupations([text], top_k=1)
            got = full_index.occupation(links[0].index).label("en")
        else:
            (links,) = full_index.link_skills([text], top_k=1)
            got = full_index.skill(links[0].index).label("en") if links else None
        if got != target:
            wrong.append(f"{text!r} -> {got!r}, expected {target!r}")
    assert not wrong, "; ".join(wrong)


def test_terms_are_labels_after_escos_own(shipped):
    tax = apply_regional_terms(shipped)
    driver = next(c for c in tax.occupations if c.label("en") == "motorcycle delivery person")
    assert driver.labels["pt"][0].startswith("Condutor de motociclos")   # ESCO's stays the one shown
    assert "motoboy" in driver.labels["pt"] and "domiciliario" in driver.labels["es"]
    # ... unless the family names the one people here use.
    waiter = next(c for c in tax.occupations if c.label("en") == "waiter/waitress")
    assert waiter.label("pt") == "Garçom/Garçonete" and waiter.label("es") == "mesero/mesera"
    assert "Empregado de mesa/Empregada de mesa" in waiter.labels["pt"] and "garçom" in waiter.labels["pt"]
    assert waiter.label("en") == "waiter/waitress"
    reading = next(c for c in tax.skills if c.label("en") == "read standard blueprints")
    assert "lectura de planos" in reading.labels["es"] and reading.labels["pt"] == ["leitura de plantas",
                                                                                    "leitura de projetos"]
    # The shipped taxonomy itself is not changed.
    assert "garçom" not in next(c for c in shipped.occupations if c.label("en") == "waiter/waitress").labels["pt"]


def test_terms_whose_concept_is_missing_are_left_out(shipped):
    cooks = shipped.subset(lambda c: c.isco == "5120")
    tax = apply_regional_terms(cooks)
    assert len(tax.occupations) == len(cooks.occupations)
    assert not any("garçom" in label for c in tax.occupations for labels in c.labels.values() for label in labels)


@pytest.mark.parametrize("title, expected", [
    ("contador publico", "contable"), ("contadora", "contable"),
    ("bodeguero", "mozo de almacen"),            # a replacement is not rewritten again ('mozo' -> 'camarero')
    ("mecanico de carros", "mecanico de vehiculos"), ("motorista de caminhao", "motorista de camiao"),
    ("operador de montacargas", "operador de carretilla elevadora"), ("soldador", "soldador"),
    ("carrocero", "carrocero"),                  # whole words only
])
def test_words_are_rewritten_once_longest_first(title, expected):
    assert word_rewrites(title) == expected


def test_a_broken_family_is_refused(tmp_path):
    path = tmp_path / "terms.toml"
    path.write_text('[[family]]\nname = "x"\nlanguage = "es"\noccupations = { "a" = "cook" }\n', encoding="utf-8")
    with pytest.raises(ValueError, match="examples"):
        load_regional_terms(path)
    path.write_text('[[family]]\nname = "x"\nlanguage = "es"\nexamples = [["a", "cook"]]\nterms = {}\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="unknown keys"):
        load_regional_terms(path)
    path.write_text('[[family]]\nname = "x"\nlanguage = "es"\nexamples = [["a", "cook"]]\nwords = { "camión" = "x" }\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="must be written 'camion'"):
        load_regional_terms(path)
    path.write_text('[[family]]\nname = "x"\nlanguage = "es"\nexamples = [["a", "cook"]]\nwords = { "mozo" = "a" }\n'
                    '[[family]]\nname = "y"\nlanguage = "es"\nexamples = [["a", "cook"]]\nwords = { "mozo" = "b" }\n',
                    encoding="utf-8")
    with pytest.raises(ValueError, match="rewrite 'mozo' differently"):
        load_regional_terms(path)


def test_suggestions_offer_the_regions_words(shipped):
    from web.suggest import LabelIndex

    index = LabelIndex(apply_regional_terms(shipped))
    assert "garçom" in index.search("garç", "occupation", "pt")
    assert "mesonero" in index.search("meson", "occupation", "es")
    assert "lectura de planos" in index.search("lectura de pla", "skill", "es")
