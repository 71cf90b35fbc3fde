"""Real job titles linked to ESCO by someone other than us: the data of the real-title tasks.

The files are in `tests/data/real_titles/` (each with a `.source.md` saying where it comes
from and under which licence). Each row is a title and the ESCO concepts its publisher
linked it to: `relation:uri` tokens, where the uri is an ESCO occupation or an ISCO-08
group (then every ESCO occupation of that group counts).

Every file is cut in two by a hash of the row's id: the development half is the only one
anything was tuned on; `scripts.evaluate` reports on the held-out half.
"""
from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "real_titles"
# file stem -> (language, what it is)
SETS = {
    "es_sepe": ("es", "Spain, SEPE national titles"),
    "pt_cpp": ("pt", "Portugal, CPP national titles"),
    "en_onet": ("en", "English reported job titles (O*NET)"),
    "en_jobboard": ("en", "English job-board vacancy titles (Malaysia)"),
    "br_cbo": ("pt", "Brazil, CBO titles (ISCO level)"),
    "co_cuoc": ("es", "Colombia, CUOC titles (ISCO level)"),
}
SPLITS = ("dev", "held-out")
ISCO_PREFIX = "http://data.europa.eu/esco/isco/C"
# Residual categories ('not elsewhere classified') are a classification's bookkeeping, not
# a title anybody writes: left out.
RESIDUAL = re.compile(r"\bn\.\s?e\.|no clasificad|not elsewhere|nao classificad|^(outros|outras|otros|otras)\b",
                      re.IGNORECASE)


@dataclass
class TitleSet:
    """One file's rows of one split, resolved against a taxonomy."""

    name: str
    lang: str
    ids: list[str]
    titles: list[str]
    gold: list[set[int]]            # positions of the occupations that count as right
    close: list[set[int]]           # the occupations linked as an exact or close match
    isco_only: bool                 # every row is linked to ISCO groups only

    def __len__(self) -> int:
        return len(self.titles)


def split_of(name: str, row_id: str) -> str:
    """The split a row belongs to: a stable hash of the file and the row's id."""
    digest = hashlib.sha256(f"{name}|{row_id}".encode()).digest()
    return SPLITS[digest[0] & 1]


def _by_isco(taxonomy) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, c in enumerate(taxonomy.occupations):
        for n in range(1, len(c.isco or "") + 1):
            out.setdefault(c.isco[:n], []).append(i)
    return out


def load_set(name: str, taxonomy, split: str, folder: Path = DATA) -> TitleSet | None:
    """Read one file's rows of one split; None if the file is not there.

    Args:
        name: the file's stem (a key of `SETS`).
        taxonomy: the taxonomy to resolve URIs against (URIs it lacks are skipped; a row
            with no occupation left is dropped).
        split: "dev" or "held-out".
        folder: where the files are.

    Returns:
        The `TitleSet`.
    """
    path = folder / f"{name}.tsv"
    if not path.exists():
        return None
    pos = {c.uri: i for i, c in enumerate(taxonomy.occupations)}
    by_isco = _by_isco(taxonomy)
    ids, titles, gold, close, isco_rows = [], [], [], [], 0
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            if split_of(name, row["id"]) != split or _not_a_title(name, row):
                continue
            right, exact, only_isco = set(), [], True
            for token in row["matches"].split():
                relation, _, uri = token.partition(":")
                if uri.startswith(ISCO_PREFIX):
                    right.update(by_isco.get(uri[len(ISCO_PREFIX):], []))
                elif uri in pos:
                    only_isco = False
                    right.add(pos[uri])
                    if relation in ("exact", "close"):
                        exact.append(pos[uri])
            if right and row["title"].strip():
                ids.append(row["id"])
                titles.append(row["title"].strip())
                gold.append(right)
                close.append(set(exact))
                isco_rows += only_isco
    lang = SETS.get(name, ("", ""))[0]
    return TitleSet(name, lang, ids, titles, gold, close, bool(titles) and isco_rows == len(titles))


def _not_a_title(name: str, row: dict) -> bool:
    """A residual category, or (Spain) a row for a whole ISCO group: ESCO's own mapping of
    what no national title took, named by the ISCO label, not a SEPE title."""
    return bool(RESIDUAL.search(row["title"].strip())) or (name == "es_sepe" and len(row["id"]) == 4)


def ranks_any(scores: np.ndarray, gold: list[set[int]]) -> np.ndarray:
    """The 1-based rank of each query's best-ranked right item (ties count against it).

    Args:
        scores: (n_queries, n_items) scores, higher is better.
        gold: per query, the items that are right.

    Returns:
        (n_queries,) ranks.
    """
    out = np.zeros(len(gold), dtype=np.int64)
    for q, right in enumerate(gold):
        row = scores[q]
        mask = np.zeros(row.shape[0], dtype=bool)
        mask[list(right)] = True
        best = row[mask].max()
        out[q] = int((row > best).sum() + ((row == best) & ~mask).sum() + 1)
    return out


def pairs_task(seekers: list[TitleSet], vacancies: TitleSet) -> tuple[list[str], list[str], list[set[int]], list[int]]:
    """The cross-lingual ranking task: seekers with one national title, vacancies with one
    English title linked to exactly one occupation; a vacancy is relevant to a seeker when
    its occupation is one the seeker's title was linked to as an exact or close match.
    Seekers with no relevant vacancy are left out; every vacancy stays.

    Returns:
        (seeker titles, vacancy titles, per seeker the relevant vacancies, per seeker the
        index of its set in `seekers`).
    """
    v_rows = [(t, next(iter(o))) for t, o in zip(vacancies.titles, vacancies.close, strict=True) if len(o) == 1]
    v_occ: dict[int, set[int]] = {}
    for j, (_, o) in enumerate(v_rows):
        v_occ.setdefault(o, set()).add(j)
    s_titles, relevant, origin = [], [], []
    for k, ts in enumerate(seekers):
        for t, occs in zip(ts.titles, ts.close, strict=True):
            right = set().union(*(v_occ.get(o, set()) for o in occs)) if occs else set()
            if right:
                s_titles.append(t)
                relevant.append(right)
                origin.append(k)
    return s_titles, [t for t, _ in v_rows], relevant, origin
