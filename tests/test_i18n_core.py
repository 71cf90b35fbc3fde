"""The core's texts come from its gettext catalogues (domain "matching"), complete and
compiled; country and language names from CLDR; no inline es/pt/en dict is left; LOCALES
is defined once."""
from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from matching import i18n
from matching.explain import country_name, language_name
from matching.i18n import LOCALES, TRANSLATIONS_DIR, supported_locale, translate, translations

ROOT = Path(__file__).resolve().parents[1]
TRANSLATED = [loc for loc in LOCALES if loc != i18n.DEFAULT_LOCALE]
POT = TRANSLATIONS_DIR / "matching.pot"


def _po(locale: str):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "matching.po", "rb") as fh:
        return read_po(fh, locale=locale)


def _ids(catalog) -> set[str]:
    return {m.id for m in catalog if m.id}


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{\w*\}", text))


def test_every_marked_text_is_in_the_template(tmp_path):
    """Extract the texts now, with the command in matching/i18n.py: a new N_() never extracted
    would otherwise pass."""
    out = tmp_path / "now.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel-matching.cfg",
                    "--no-default-keywords", "-k", "N_", "--no-location", "-o", str(out), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(out, "rb") as fh:
        now = _ids(read_po(fh))
    with open(POT, "rb") as fh:
        template = _ids(read_po(fh))
    assert now, "nothing marked with N_ in matching/"
    assert now == template, f"run the pybabel commands in matching/i18n.py: {sorted(now ^ template)[:5]}"


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_text_is_translated_and_compiled(locale):
    with open(POT, "rb") as fh:
        template = _ids(read_po(fh))
    po = _po(locale)
    assert template <= _ids(po), "run pybabel update (see matching/i18n.py)"
    for m in po:
        if m.id:
            assert m.string and not m.fuzzy, f"{locale}: {m.id!r} is not translated"
            assert _placeholders(m.string) == _placeholders(m.id), f"{locale}: {m.id!r} changes its placeholders"
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "matching.mo", "rb") as fh:
        mo = read_mo(fh)
    assert {m.id: m.string for m in mo if m.id} == {m.id: m.string for m in po if m.id}, \
        "run: pybabel compile -D matching -d matching/translations"


def test_translate_reads_the_catalogues():
    text = "Aprender el idioma del empleo."
    assert translate(text, "es") == text
    assert translate(text, "pt") == "Aprender o idioma da vaga."
    assert translate(text, "en") == "Learn the language of the job."
    assert translate(text, "fr") == text and translate(text, None) == text   # Spanish for a language Puente lacks
    assert translations("pt") is translations("pt")                           # read once
    assert supported_locale("pt") == "pt" and supported_locale("de") == "es" and supported_locale("de", "en") == "en"


def test_a_missing_catalogue_stops_rather_than_falling_back(monkeypatch, tmp_path):
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    translations.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="matching.mo"):
            translations("pt")
        assert translations("es").gettext("hola") == "hola"
    finally:
        monkeypatch.undo()
        translations.cache_clear()


def _inline_translations(path: Path) -> list[int]:
    """Lines where a dict literal is keyed by two or more of Puente's languages."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        keys: set = set()
        if isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "dict":
            keys = {k.arg for k in node.keywords}
        if len(keys & set(LOCALES)) >= 2:
            found.append(node.lineno)
    return found


def test_no_inline_translations_in_the_core_or_config():
    found = {str(p.relative_to(ROOT)): lines for folder in ("matching", "config")
             for p in sorted((ROOT / folder).rglob("*.py")) if (lines := _inline_translations(p))}
    assert not found, f"texts for people belong in the catalogues (matching/i18n.py): {found}"


def test_the_scan_finds_an_inline_dict(tmp_path):
    path = tmp_path / "x.py"
    path.write_text('A = {"es": "hola", "pt": "olá", "en": "hi"}\nB = dict(es="hola", en="hi")\nC = {"es": 1}\n')
    assert _inline_translations(path) == [1, 2]


def test_locales_are_defined_once():
    defined = []
    for path in sorted(ROOT.rglob("*.py")):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = node.targets if isinstance(node, ast.Assign) else \
                [node.target] if isinstance(node, ast.AnnAssign) else []
            if any(isinstance(t, ast.Name) and t.id == "LOCALES" for t in targets):
                defined.append(str(path.relative_to(ROOT)))
    assert defined == ["matching/i18n.py"]


# --- Names from CLDR ------------------------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_country_names_come_from_cldr(locale):
    assert country_name("VE", locale) == "Venezuela" == country_name("ve", locale)
    for code in ("BR", "CO", "DE", "HT", "US"):
        assert country_name(code, locale) == Locale.parse(locale).territories[code]
    assert country_name("ZZ", locale) == "ZZ" and country_name("419", locale) == "419" and country_name("", locale) == ""


def test_country_names_in_each_language():
    assert [country_name("BR", loc) for loc in LOCALES] == ["Brasil", "Brasil", "Brazil"]
    assert [country_name("DE", loc) for loc in LOCALES] == ["Alemania", "Alemanha", "Germany"]
    assert country_name("HK", "pt") == "Hong Kong"   # CLDR's "Hong Kong, RAE da China", shortened


def test_language_names_come_from_cldr_in_lower_case_mid_sentence():
    assert [language_name("pt", loc) for loc in LOCALES] == ["portugués", "português", "Portuguese"]
    assert [language_name("ht", loc) for loc in LOCALES] == ["criollo haitiano", "crioulo haitiano", "Haitian Creole"]
    assert language_name("QU", "pt") == "quíchua" == Locale.parse("pt").languages["qu"]
    assert language_name("fr", "de") == "francés"   # a language Puente does not speak reads as Spanish
    assert language_name("xx", "es") == "xx" and language_name("", "en") == ""
