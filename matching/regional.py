"""Latin American and Brazilian words for work, read from `data/regional_terms.toml`.

ESCO's Spanish is Spain's and its Portuguese is Portugal's. The data file ties the words
people here write ("mesonero", "garçom", "gasfiter", "lectura de planos") to the ESCO
concept they mean, so that the linkers read them as labels of that concept, and lists
words to rewrite inside longer titles ("carro" -> "vehículo"). Its header says how to
extend it; `tests/test_regional.py` checks every family.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .taxonomy import Concept, Taxonomy

__all__ = ["TERMS_FILE", "RegionalFamily", "apply_regional_terms", "load_regional_terms", "word_rewrites"]

TERMS_FILE = Path(__file__).resolve().parent / "data" / "regional_terms.toml"
LANGUAGES = ("es", "pt", "en")


@dataclass(frozen=True)
class RegionalFamily:
    """One family of terms (see the data file's header)."""

    name: str
    language: str
    occupations: dict[str, str] = field(default_factory=dict)
    skills: dict[str, str] = field(default_factory=dict)
    words: dict[str, str] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    examples: tuple[tuple[str, str], ...] = ()


@cache
def load_regional_terms(path: Path = TERMS_FILE) -> tuple[RegionalFamily, ...]:
    """Read and check the families of the data file.

    Args:
        path: the TOML file (cached per path).

    Returns:
        The families, in the file's order.

    Raises:
        ValueError: a family without a name, examples, or a known language; an unknown key.
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    families = []
    for i, raw in enumerate(data.get("family", [])):
        unknown = set(raw) - {"name", "language", "occupations", "skills", "words", "shown", "examples"}
        if unknown:
            raise ValueError(f"{path.name}: family {i + 1} has unknown keys {sorted(unknown)}")
        if not raw.get("name") or raw.get("language") not in LANGUAGES or not raw.get("examples"):
            raise ValueError(f"{path.name}: family {i + 1} needs a name, a language ({'/'.join(LANGUAGES)}) "
                             "and examples")
        _check_words(path, raw, families)
        families.append(RegionalFamily(
            name=raw["name"], language=raw["language"], occupations=dict(raw.get("occupations", {})),
            skills=dict(raw.get("skills", {})), words=dict(raw.get("words", {})), shown=dict(raw.get("shown", {})),
            examples=tuple((str(a), str(b)) for a, b in raw["examples"])))
    return tuple(families)


def _check_words(path: Path, raw: dict, earlier: list[RegionalFamily]) -> None:
    """Refuse a family's word that is not written folded, or that an earlier family
    rewrites differently."""
    for word, rewrite in raw.get("words", {}).items():
        folded = "".join(c for c in unicodedata.normalize("NFKD", word.casefold()) if not unicodedata.combining(c))
        if word != folded:
            raise ValueError(f"{path.name}: {raw['name']}: the word {word!r} must be written {folded!r} "
                             "(titles are compared folded)")
        for other in earlier:
            if other.words.get(word, rewrite) != rewrite:
                raise ValueError(f"{path.name}: {raw['name']} and {other.name} rewrite {word!r} differently")


def _by_english_label(concepts: list[Concept]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i, c in enumerate(concepts):
        if c.labels.get("en"):
            out.setdefault(c.labels["en"][0].casefold(), i)
    return out


def apply_regional_terms(taxonomy: Taxonomy, families=None) -> Taxonomy:
    """Return a copy of `taxonomy` whose concepts also carry the regional terms as labels.

    A term is added after ESCO's own labels in its language, and is linked as firmly as a
    preferred label (`Concept.terms`): Brazil's "vigilante" is a security guard, whatever
    ESCO's Portuguese says. ESCO's preferred label stays the one shown, unless the family
    names another in `shown` ("Garçom/Garçonete", not Portugal's "Empregado de mesa"). Terms whose target is not in the taxonomy (a subset, an older
    ESCO) are left out.

    Args:
        taxonomy: the taxonomy to copy (it is not changed).
        families: the families of terms; None: those of the data file.

    Returns:
        The new `Taxonomy`, sharing the relations and ISCO groups of `taxonomy`.
    """
    families = load_regional_terms() if families is None else families
    occupations = [Concept(c.uri, {k: list(v) for k, v in c.labels.items()}, c.isco, c.regulated)
                   for c in taxonomy.occupations]
    skills = [Concept(c.uri, {k: list(v) for k, v in c.labels.items()}) for c in taxonomy.skills]
    occupation_position = _by_english_label(occupations)
    _add_terms(occupations, occupation_position, families, "occupations")
    _show_labels(occupations, occupation_position, families)
    _add_terms(skills, _by_english_label(skills), families, "skills")
    return Taxonomy(occupations, skills, taxonomy.essential, taxonomy.optional, taxonomy.isco_groups,
                    source=taxonomy.source, version=taxonomy.version)


def _add_terms(concepts: list[Concept], position: dict[str, int], families, kind: str) -> None:
    """Add each family's terms of `kind` ('occupations' or 'skills') after the labels of
    their target concept in the family's language, unless already there in any case."""
    for family in families:
        for term, target in getattr(family, kind).items():
            i = position.get(target.casefold())
            if i is None:
                continue
            labels = concepts[i].labels.setdefault(family.language, [])
            if term.casefold() not in {x.casefold() for x in labels}:
                labels.append(term)
            concepts[i].terms = concepts[i].terms | {term}


def _show_labels(occupations: list[Concept], position: dict[str, int], families) -> None:
    """Put each family's `shown` label first in its language (the label a reader sees)."""
    for family in families:
        for target, label in family.shown.items():
            i = position.get(target.casefold())
            if i is None:
                continue
            labels = occupations[i].labels.setdefault(family.language, [])
            labels[:] = [label, *(x for x in labels if x.casefold() != label.casefold())]
            occupations[i].terms = occupations[i].terms | {label}


@cache
def _rewrite_table() -> tuple[re.Pattern | None, dict[str, str]]:
    pairs: dict[str, str] = {}
    for family in load_regional_terms():
        pairs.update(family.words)
    if not pairs:
        return None, {}
    # One pass, longest first: "contador publico" before "contador", and a replacement
    # is never rewritten again ("bodeguero" -> "mozo de almacen" keeps its "mozo").
    alternatives = "|".join(re.escape(a) for a in sorted(pairs, key=lambda a: (-len(a), a)))
    return re.compile(rf"\b(?:{alternatives})\b"), pairs


def word_rewrites(normalised: str) -> str:
    """Rewrite the regional words of a normalised title into ESCO's ("contador" -> "contable").

    Args:
        normalised: a title as `matching.linking.normalise_title` leaves it (folded).

    Returns:
        The title with every regional word rewritten once, longest first.
    """
    pattern, pairs = _rewrite_table()
    return pattern.sub(lambda m: pairs[m.group(0)], normalised) if pattern else normalised
