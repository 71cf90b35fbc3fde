"""Read a job title as people and job boards write it: without the noise, in the singular.

Job-board titles carry words that say nothing of the occupation ("Hiring Part Time Art &
Craft Teacher", "Se busca mesero con experiencia - urgente", "Vaga: Auxiliar de limpeza
(PCD)"), and national classifications name occupations in the plural and in capitals
("MÉDICOS ESPECIALISTAS EN NEFROLOGÍA"). Both pull a character view towards surface
look-alikes. `clean_title` drops the noise (the words are data: `data/title_noise.toml`);
`singular` puts Spanish, Portuguese and English words in the singular, the way ESCO names
occupations.
"""
from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

__all__ = ["NOISE_FILE", "Noise", "clean_title", "fold", "load_noise", "singular"]

NOISE_FILE = Path(__file__).resolve().parent / "data" / "title_noise.toml"
LANGUAGES = ("en", "es", "pt")

# Segments of a title ("Cook - part time", "VACANCY: Chief Officer", "Cook, weekends"):
# those that are only noise go, the others stay. (Keeping only the first segment loses the
# trade in "Executive - Internal Audit", and did worse on the development titles.)
_STRONG = re.compile(r"\s+[-–—|·•]+\s+|\s*[|•·]\s*")
_WEAK = re.compile(r"\s*[,;:]\s+|\s*[:;]\s*")
_BRACKETED = re.compile(r"[(\[{]([^)\]}]*)[)\]}]")
_EDGE = re.compile(r"^\W+|\W+$")


def fold(text: str) -> str:
    """Case and accents folded: 'Técnico' -> 'tecnico'.

    Args:
        text: any text.

    Returns:
        The folded text.
    """
    text = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in text if not unicodedata.combining(c))


@dataclass(frozen=True)
class Noise:
    """The noise of job titles, in every language (a title's language is not known)."""

    phrases: tuple[tuple[str, ...], ...]   # folded words, longest first
    words: frozenset[str]
    examples: tuple[tuple[str, str], ...]
    abbreviations: dict[str, str] = field(default_factory=dict)   # folded word -> written out


@cache
def load_noise(path: Path = NOISE_FILE) -> Noise:
    """Read the noise words and phrases of the data file.

    Args:
        path: the TOML file (cached per path).

    Returns:
        The `Noise` of all its languages.

    Raises:
        ValueError: an unknown language or key, or an entry not written folded.
    """
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    phrases, words, examples = set(), set(), []
    abbreviations = dict(data.pop("abbreviations", {}))
    for short in abbreviations:
        if short != fold(short):
            raise ValueError(f"{path.name}: [abbreviations] {short!r} must be written {fold(short)!r}")
    for lang, section in data.items():
        unknown = set(section) - {"phrases", "words", "examples"}
        if lang not in LANGUAGES or unknown:
            raise ValueError(f"{path.name}: unknown section [{lang}] or keys {sorted(unknown)}")
        for entry in [*section.get("phrases", []), *section.get("words", [])]:
            if entry != fold(entry):
                raise ValueError(f"{path.name}: [{lang}] {entry!r} must be written {fold(entry)!r}")
        phrases |= {tuple(p.split()) for p in section.get("phrases", [])}
        words |= set(section.get("words", []))
        examples += [(str(a), str(b)) for a, b in section.get("examples", [])]
    ordered = tuple(sorted(phrases, key=lambda p: (-len(p), p)))
    return Noise(ordered, frozenset(words), tuple(examples), abbreviations)


def _key(token: str) -> str:
    """A token as noise is compared: folded, without punctuation at its edges."""
    return _EDGE.sub("", fold(token))


def _drop_phrases(tokens: list[str], keys: list[str], noise: Noise) -> tuple[list[str], list[str]]:
    keep = [True] * len(tokens)
    for phrase in noise.phrases:
        n = len(phrase)
        for i in range(len(keys) - n + 1):
            if all(keep[i:i + n]) and tuple(keys[i:i + n]) == phrase:
                keep[i:i + n] = [False] * n
    return [t for t, k in zip(tokens, keep, strict=True) if k], [x for x, k in zip(keys, keep, strict=True) if k]


def _clean_segment(segment: str, noise: Noise, phrases: Collection[str]) -> str:
    """One segment without its noise phrases and words; a noise word stays where it and a
    neighbour make a phrase of `phrases` ('remote sensing')."""
    tokens = segment.split()
    keys = [_key(t) for t in tokens]
    tokens, keys = _drop_phrases(tokens, keys, noise)
    out = []
    for i, (token, key) in enumerate(zip(tokens, keys, strict=True)):
        if not key:
            continue
        if key in noise.words:
            before = f"{keys[i - 1]} {key}" if i > 0 else ""
            after = f"{key} {keys[i + 1]}" if i + 1 < len(keys) else ""
            if before not in phrases and after not in phrases:
                continue
        out.append(noise.abbreviations.get(key, token))
    return " ".join(out)


def _says_something(text: str) -> bool:
    return any(c.isalpha() for c in text)


def _unbracket(text: str, clean: Callable[[str], str]) -> str:
    """Brackets whose words are all noise go ('(PCD)', '(m/f/d)'); others lose only the
    brackets ('Enfermero (UCI)' -> 'Enfermero UCI')."""
    def inside(m: re.Match) -> str:
        words = clean(m.group(1))
        return f" {words} " if _says_something(words) else " "
    return _BRACKETED.sub(inside, text)


def clean_title(text: str, phrases: Collection[str] = frozenset(), noise: Noise | None = None) -> str:
    """Return a job title without the words that say nothing of the occupation.

    'Hiring Part Time Art & Craft Teacher' -> 'Art & Craft Teacher';
    'Se busca mesero con experiencia - urgente' -> 'mesero';
    'Registered Nurse - Night Shift (Full-time)' -> 'Registered Nurse'.
    The words kept are as written (case, accents): the encoder reads them.

    Args:
        text: a job title.
        phrases: two-word phrases (folded, e.g. from the taxonomy's labels) in which a
            noise word is part of the name ('remote sensing', 'senior lecturer').
        noise: the noise (default: the data file's).

    Returns:
        The title without its noise; the title itself if nothing would be left.
    """
    noise = noise or load_noise()

    def clean(segment: str) -> str:
        return _clean_segment(segment, noise, phrases)

    body = _unbracket(text or "", clean)
    kept = []
    for strong in _STRONG.split(body):
        weak = [w for w in (clean(s) for s in _WEAK.split(strong)) if _says_something(w)]
        if weak:
            kept.append(", ".join(weak))
    result = " ".join(" ".join(kept).split())
    return result if _says_something(result) else " ".join((text or "").split())


# Singular forms, by ending, for folded words of at least MIN_PLURAL letters (Spanish,
# Portuguese and English: 'directores' -> 'director', 'profissionais' -> 'profissional',
# 'operacoes' -> 'operacao', 'nurses' -> 'nurse'). Applied to the labels as well as to the
# titles, so that a rule that errs ('sales' -> 'sale') errs on both sides alike.
MIN_PLURAL = 5
_SINGULAR = (("oes", "ao"), ("aes", "ao"), ("ais", "al"), ("eis", "el"), ("ores", "or"), ("ones", "on"),
             ("ales", "al"), ("ares", "ar"), ("iles", "il"), ("eres", "er"), ("ies", "y"), ("eses", "es"),
             ("ns", "n"))
_NOT_PLURAL = ("ss", "is", "us", "ys")


def _singular_word(word: str) -> str:
    if len(word) < MIN_PLURAL or not word.endswith("s"):
        return word
    for ending, repl in _SINGULAR:
        if word.endswith(ending):
            return word[: -len(ending)] + repl
    return word if word.endswith(_NOT_PLURAL) else word[:-1]


def singular(folded: str) -> str:
    """Put each word of a folded text in the singular ('medicos especialistas' ->
    'medico especialista').

    Args:
        folded: words folded and separated by spaces (`matching.linking.normalise_title`).

    Returns:
        The same words in the singular.
    """
    return " ".join(_singular_word(w) for w in folded.split())
