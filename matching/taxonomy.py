"""The ESCO taxonomy: occupations (with their ISCO-08 group), skills, and which skills
each occupation needs. Plain data; reading and caching the files is in `matching.esco`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Concept", "Taxonomy", "fallback_languages", "isco_closeness"]


def fallback_languages(lang: str) -> tuple[str, ...]:
    """The languages to show a label in, best first, for a reader of `lang`.

    Portuguese falls back to Spanish before English: the shipped taxonomy has no
    Portuguese skill labels, and a Brazilian reads Spanish more easily than English.

    Args:
        lang: the reader's language code.

    Returns:
        Language codes, `lang` first and English last.
    """
    return tuple(dict.fromkeys((lang, *(("es",) if lang == "pt" else ()), "en")))


@dataclass
class Concept:
    """An ESCO occupation or skill.

    Attributes:
        uri: the ESCO concept URI.
        labels: language code -> labels, the preferred label first.
        isco: the ISCO-08 unit group (4 digits) of an occupation, if known.
        regulated: ESCO's regulated-profession note says the occupation is regulated.
        terms: the labels that `matching.regional` added (a region's word for it); the
            linker holds them as firmly as a preferred label. Not saved.
    """

    uri: str
    labels: dict[str, list[str]]
    isco: str | None = None
    regulated: bool = False
    terms: frozenset[str] = frozenset()

    def label(self, lang: str = "en") -> str:
        """Return the preferred label in `lang`, else in its `fallback_languages`, else any.

        Args:
            lang: the reader's language code.

        Returns:
            The label, or the last part of the URI for a concept without labels.
        """
        for code in (*fallback_languages(lang), *self.labels):
            if self.labels.get(code):
                return self.labels[code][0]
        return self.uri.rsplit("/", 1)[-1]


@dataclass
class Taxonomy:
    """Occupations, skills and the essential/optional skills of each occupation."""

    occupations: list[Concept]
    skills: list[Concept]
    essential: dict[int, list[int]] = field(default_factory=dict)   # occupation index -> skill indexes
    optional: dict[int, list[int]] = field(default_factory=dict)
    isco_groups: dict[str, dict[str, str]] = field(default_factory=dict)  # code -> lang -> label
    source: str = ""
    version: str = ""

    @property
    def languages(self) -> list[str]:
        """The label languages of the occupations.

        Returns:
            Language codes, English first, then in alphabetical order.
        """
        langs = {lang for c in self.occupations for lang in c.labels}
        return sorted(langs, key=lambda x: (x != "en", x))

    def subset(self, keep) -> Taxonomy:
        """Return the occupations for which `keep(concept)` is true, with their skills.

        Args:
            keep: called with each occupation `Concept`.

        Returns:
            A new `Taxonomy` holding those occupations, the skills they need and their
            relations (renumbered), every ISCO group, and `-subset` added to the version.
        """
        occ_idx = [i for i, c in enumerate(self.occupations) if keep(c)]
        skill_idx = sorted({s for i in occ_idx for s in (*self.essential.get(i, []), *self.optional.get(i, []))})
        o_new = {old: new for new, old in enumerate(occ_idx)}
        s_new = {old: new for new, old in enumerate(skill_idx)}
        remap = lambda rel: {o_new[o]: [s_new[s] for s in ss] for o, ss in rel.items() if o in o_new}
        return Taxonomy([self.occupations[i] for i in occ_idx], [self.skills[i] for i in skill_idx],
                        remap(self.essential), remap(self.optional), dict(self.isco_groups),
                        source=self.source, version=self.version + "-subset")

    def to_dict(self) -> dict:
        """Return the taxonomy as plain JSON data (without `Concept.terms`).

        Returns:
            The data `from_dict` reads.
        """
        return {
            "source": self.source, "version": self.version,
            "occupations": [[c.uri, c.isco, c.labels, *([True] if c.regulated else [])] for c in self.occupations],
            "skills": [[c.uri, c.labels] for c in self.skills],
            "essential": {str(k): v for k, v in self.essential.items()},
            "optional": {str(k): v for k, v in self.optional.items()},
            "isco_groups": self.isco_groups,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Taxonomy:
        """Build a taxonomy from the data `to_dict` gives.

        Args:
            data: the JSON data.

        Returns:
            The `Taxonomy`.
        """
        return cls(
            occupations=[Concept(row[0], row[2], row[1], bool(row[3:] and row[3])) for row in data["occupations"]],
            skills=[Concept(uri, labels) for uri, labels in data["skills"]],
            essential={int(k): v for k, v in data.get("essential", {}).items()},
            optional={int(k): v for k, v in data.get("optional", {}).items()},
            isco_groups=data.get("isco_groups", {}), source=data.get("source", ""),
            version=data.get("version", ""))


def isco_closeness(a: str | None, b: str | None) -> float:
    """Return how close two ISCO-08 unit groups are, in [0, 1].

    Same unit group (4 digits) 1.0, same minor group (3) 0.75, same sub-major group (2)
    0.5, same major group (1) 0.25, else 0.

    Args:
        a: an ISCO-08 code, or None.
        b: another, or None.

    Returns:
        The closeness (0 when either is unknown).
    """
    if not a or not b:
        return 0.0
    for digits, value in ((4, 1.0), (3, 0.75), (2, 0.5), (1, 0.25)):
        if a[:digits] == b[:digits] and len(a) >= digits and len(b) >= digits:
            return value
    return 0.0
