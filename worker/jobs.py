"""RQ jobs. Module-level functions taking ids; they turn ids into work.

A matching job has two parts. First it reads and scores, holding no lock: it loads the
rows, links and embeds what changed, writes those caches (its own row's and the other
side's) in short transactions of their own, and scores. Then one short transaction takes
the locks of every ranking it rewrites, in the one global order (profiles by id, then
vacancies by id; `models.queries.lock_rankings`), and replaces them; a retried or
duplicated job is harmless. No transaction writes a profile or vacancy row it has not
locked in that order, so two jobs (or a job and a deletion) cannot wait for each other in a
circle; a conflict the database still breaks is tried again at once (`Database.transact`).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial as partial_fn

from rq import get_current_job
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, undefer

from matching import (
    Embedding,
    Job,
    ProfileDoc,
    VacancyDoc,
    embed_profile,
    embed_vacancy,
    for_employer,
    profile_key,
    rank,
    vacancy_key,
)
from matching.annotate import annotate_many, annotation_key
from matching.eligibility import group_left_out
from models import PROFILE, VACANCY, Profile, Vacancy, utcnow
from models.queries import (
    claim_ranking,
    failed_since,
    holders,
    lock_rankings,
    mark_finished,
    mark_running,
    merge_into_rankings,
    replace_ranking,
    stale_ids,
    waiting_runs,
)

from .candidates import beyond_reach, reach_partitions, reaches
from .matcher import Matcher, running_matcher
from .parts import part, recording
from .queueing import connect, enqueue_matches, job_id, jobs_gone

log = logging.getLogger(__name__)

__all__ = ["MatchingFailed", "match_profile", "match_vacancy", "profile_doc", "reconcile", "vacancy_doc"]


class MatchingFailed(RuntimeError):
    """A matching job failed; the message names the class of the cause, nothing more."""


class UnreadableRows(RuntimeError):
    """Every row within reach of a job was unreadable: a bug or a bad migration, not one bad row."""


class _ReadAgain(Exception):
    """Rows the job scored were ranked from newer versions while it ran: read them again."""


def profile_doc(p: Profile, knowledge) -> ProfileDoc:
    """Return what matching needs of a profile row (`knowledge`: the mobility knowledge
    base, for the languages of someone who gave none)."""
    return ProfileDoc(
        id=p.id, country=p.country, city=p.city or "", summary=p.summary or "",
        jobs=tuple(Job(title=j.get("title", ""), years=float(j.get("years") or 0), country=j.get("country"),
                       description=j.get("description", "")) for j in p.jobs or []),
        skills=tuple(p.skills or ()), languages=_languages(p, knowledge),
        education_level=p.education_level, education_country=p.education_country,
        education_recognised_in=tuple(p.education_recognised_in or ()),
        target_countries=tuple(p.target_countries or ()), relocate=bool(p.relocate),
        nationalities=tuple(p.nationalities or ()), legal_status=p.legal_status, locale=p.locale or "es",
        esco=p.esco or {}, declined_skills=tuple(p.declined_skills or ()))


def _languages(p: Profile, kb) -> dict[str, str]:
    """The languages given; none given means the official languages of the person's
    nationalities (else of where they live), not the language of the pages they used."""
    given = {lang["code"]: lang["level"] for lang in p.languages or []}
    if given:
        return given
    for code in (*(p.nationalities or []), p.country):
        country = kb.country(code)
        if country is not None:
            return {country.languages[0]: "native"}
    return {p.locale or "es": "native"}


def vacancy_doc(v: Vacancy) -> VacancyDoc:
    """Return what matching needs of a vacancy row.

    A vacancy that lists no essential skills takes those of its ESCO occupation.
    """
    esco = v.esco or {}
    given = bool(v.essential_skills)
    essential = v.essential_skills if given else esco.get("inherited_skills", [])
    return VacancyDoc(
        id=v.id, title=v.title, country=v.country, description=v.description or "",
        essential_skills=tuple(essential or ()), optional_skills=tuple(v.optional_skills or ()),
        city=v.city or "", remote=bool(v.remote), languages=tuple(v.languages or ()),
        education_level=v.education_level, experience_years=float(v.experience_years or 0),
        accepts_relocation=bool(v.accepts_relocation), esco=esco, essential_skills_given=given)


def _usable(rows: list, doc_fn, others: bool = False) -> tuple[list, bool]:
    """The rows that can be read as documents, and whether any was left out.

    A corrupt row (a hand edit, a bad import) is left out of this job, logged by id, so it
    cannot fail every job of the other side; the job then counts as partial, so the rankings
    that hold that row are left as they are. If no row can be read, the fault is not in
    one row: the job fails, visibly, instead of storing empty rankings (`others`: rows
    read from elsewhere, the worker's cache, are there).
    """
    usable = []
    for row in rows:
        try:
            doc_fn(row)
        except Exception as exc:  # noqa: BLE001 - one unreadable row must not stop the sync
            log.warning("%s %s skipped: unreadable (%s)", row.__tablename__, row.id, type(exc).__name__)
            continue
        usable.append(row)
    if rows and not usable and not others:
        raise UnreadableRows(f"none of {len(rows)} {rows[0].__tablename__} could be read")
    return usable, len(usable) < len(rows)


def _annotate(index, rows: list, items: list[tuple[list[str], list[str], str | None]]) -> list:
    """Link rows to ESCO, in one batch for those whose text or taxonomy changed; return those."""
    todo = []
    for row, (titles, skills, inherit) in zip(rows, items, strict=True):
        key = annotation_key(index, [*titles, "\x01", *skills, "\x01", inherit or ""])
        if row.esco_key != key:
            todo.append((row, key, (titles, skills, inherit)))
    with part("link"):
        linked = annotate_many(index, [item for _, _, item in todo]) if todo else []
    for (row, key, _), esco in zip(todo, linked, strict=True):
        row.esco, row.esco_key = esco, key
    return [row for row, _, _ in todo]


def _annotate_profiles(index, rows: list[Profile]) -> list[Profile]:
    """Link each profile's job titles and skills to ESCO, unless done for the same text."""
    return _annotate(index, rows, [([j.get("title", "") for j in p.jobs or []], list(p.skills or []), None) for p in rows])


def _annotate_vacancies(index, rows: list[Vacancy]) -> list[Vacancy]:
    """Link each vacancy's title and skills to ESCO; fill in skills it does not list."""
    return _annotate(index, rows, [([v.title], [*(v.essential_skills or []), *(v.optional_skills or [])],
                      None if v.essential_skills else (v.locale or "es")) for v in rows])


def _embeddings(enc, rows, docs, key_fn, embed_fn) -> tuple[list[Embedding], list]:
    """Return each row's embedding, computing only those whose content changed, and those rows."""
    out, changed = [], []
    for row, doc in zip(rows, docs, strict=True):
        key = key_fn(enc, doc)
        if row.embedding is not None and row.embedding_key == key:
            out.append(Embedding.from_bytes(row.embedding, enc.dim))
            continue
        with part("encode"):
            emb = embed_fn(enc, doc)
        row.embedding, row.embedding_key = emb.to_bytes(), key
        out.append(emb)
        changed.append(row)
    return out, changed


def _keep_caches(m: Matcher, model, rows: list) -> None:
    """Write the embeddings and ESCO links computed for `rows`, in a short transaction of
    their own, now: a job killed later keeps them, and no ranking transaction holds their
    row locks. A row edited since it was read (another `updated_at`) is left alone: its
    text changed, so these caches would not be used anyway."""
    if not rows:
        return
    table = model.__table__
    stmt = (update(table)
            .where(table.c.id == bindparam("pk"), table.c.updated_at == bindparam("version", type_=table.c.updated_at.type))
            .values(embedding=bindparam("emb", type_=table.c.embedding.type), embedding_key=bindparam("emb_key"),
                    esco=bindparam("links", type_=table.c.esco.type), esco_key=bindparam("links_key")))
    params = [{"pk": r.id, "version": r.updated_at, "emb": r.embedding, "emb_key": r.embedding_key,
               "links": r.esco, "links_key": r.esco_key} for r in sorted(set(rows), key=lambda r: r.id)]
    with part("keep"):
        m.db.transact(lambda s: s.execute(stmt, params), what=f"caches of {len(params)} {table.name}")


class _HoldersMoved(Exception):
    """A ranking came to hold the job's row between reading who holds it and locking: the
    transaction starts again (at once) and locks that one too."""


@dataclass
class _Scored:
    """What the reading part of a job hands to its ranking transaction."""

    target: Profile | Vacancy | None   # None: the row is gone
    results: list
    others: list
    partial: bool = False
    floor: float | None = None         # the job's reach floor (see `_nearest`)
    refresh: list = ()                 # rows of the other side whose own jobs to queue (see `_nearest`)
    vector: object = None              # the target's embedding (see `_may_change`)
    skipped: bool = False              # rows within reach left out as unreadable
    left_out: list | None = None       # a profile's jobs the mobility rules left out, grouped


def _lock(s: Session, kind: str, target_id: int, others: list) -> tuple[bool, dict[int, object]]:
    """Lock every ranking the job may rewrite, before writing anything, in the one order:
    profiles before vacancies, each by id.

    Returns:
        Whether the target still exists, and the rows of the other side that do (those the
        job scored and those whose rankings hold the target), locked, each with the version
        its ranking comes from (`lock_rankings`).
    """
    scored = {o.id for o in others}
    if kind == PROFILE:
        # The target is the only profile: locked first, it keeps its holders from changing.
        if not lock_rankings(s, PROFILE, [target_id]):
            return False, {}
        return True, lock_rankings(s, VACANCY, scored | holders(s, kind, target_id))
    held_by = holders(s, kind, target_id)
    locked = lock_rankings(s, PROFILE, scored | held_by)
    if not lock_rankings(s, VACANCY, [target_id]):
        return False, {}
    if not holders(s, kind, target_id) <= held_by:
        raise _HoldersMoved
    return True, locked


def _store(m: Matcher, s: Session, kind: str, scored: _Scored, started, final: bool = True) -> dict:
    """Replace the target's ranking, and update the rankings of the other side it now enters.

    Nothing is written when the target was deleted meanwhile, or when its stored ranking was
    computed from a newer version of its row than this job read (an edit's follow-up job
    committed first). Rows of the other side deleted meanwhile are left out. Unless `final`,
    rows of the other side ranked from newer versions than this job read make it read them
    again (`_ReadAgain`) rather than store pairs scored from older versions.

    Rows of the other side whose own job for the version this job read has not stored yet
    (not ranked, or ranked from an older version) are returned as `follow_up`: that job may
    have read before this target existed (or changed) and would store a ranking without it,
    so theirs is queued again (a waiting job is not duplicated; a running one gets one
    behind it). Rows ranked from that version get this target merged in here.
    """
    other_kind = VACANCY if kind == PROFILE else PROFILE
    target = scored.target
    with part("lock"):
        exists, present = _lock(s, kind, target.id, scored.others)
    if not exists:
        log.info("match %s %s: deleted meanwhile, nothing stored", kind, target.id)
        return {"candidates": len(scored.others), "ranked": 0, "missing": True}
    others = [o for o in scored.others if o.id in present]
    extra = {"left_out": scored.left_out} if kind == PROFILE else {}
    if not claim_ranking(s, kind, target.id, target.updated_at, started, scored.floor, **extra):
        log.info("match %s %s: superseded by the ranking of a newer version, not stored", kind, target.id)
        return {"candidates": len(others), "ranked": 0, "superseded": True}
    newer, ranked, behind = _as_ranked(others, present)
    if newer and not final:
        raise _ReadAgain
    results = [r for r in scored.results if getattr(r, f"{other_kind}_id") in present]
    with part("merge"):
        may_change = _may_change(m, s, other_kind, scored, present)
    result = _write(m, s, kind, target.id, results, others, ranked, started, may_change)
    # Their own jobs run again: those that may not have seen this target, and full rankings
    # this target left with nothing to take its place (the next pair was never stored).
    result["follow_up"] = sorted(behind | set(result.pop("short")))
    return result


def _as_ranked(others: list, present: dict) -> tuple[bool, list[int], set[int]]:
    """The scored rows as their rankings stand under the locks (`present`: id -> the version
    ranked): whether any is ranked from a newer version than the job read, those ranked at
    all, and those whose own job for the version read has not stored yet."""
    newer, ranked, behind = False, [], set()
    for o in others:
        version = present[o.id]
        if version is None or version < o.updated_at:
            behind.add(o.id)
        newer = newer or (version is not None and version > o.updated_at)
        if version is not None:
            ranked.append(o.id)
    return newer, ranked, behind


def _may_change(m: Matcher, s: Session, other_kind: str, scored: _Scored, present: dict) -> list[int] | None:
    """The rankings of the other side this job may change (None: every one concerned).

    A job that scored every row within reach may change them all: one that holds the target
    and was not scored leaves it (the pair is out of reach now). A job that scored only the
    nearest may change those it scored, and, of the rankings that hold its target without
    having been scored, those whose own nearest (their reach floor, read under the locks) do
    not hold it either: that pair is in neither row's nearest any more, and a ranking made
    now would not hold it, so it leaves. So a re-match gives the same rankings whatever order
    the rows came in. If rows within reach were unreadable, only the scored ones change.
    """
    if not scored.partial:
        return None
    scored_ids = [o.id for o in scored.others if o.id in present]
    if scored.skipped or scored.vector is None:
        return scored_ids
    unscored = set(present) - set(scored_ids) - set(scored.refresh)
    model = Vacancy if other_kind == VACANCY else Profile
    return scored_ids + beyond_reach(s, model, unscored, scored.vector, m.encoder.dim)


def _write(m: Matcher, s: Session, kind: str, target_id: int, results: list, others: list, ranked: list[int],
           started, may_change: list[int] | None) -> dict:
    """Write the target's ranking and merge it into the other side's (locked, claimed; `ranked`:
    the rows of `others` whose rankings exist; `may_change`: see `_may_change`)."""
    other_kind = VACANCY if kind == PROFILE else PROFILE
    # A vacancy's ranking is what its employer sees: it is stored without what only the
    # person may see (see matching.scoring.for_employer).
    employer = [for_employer(r, m.weights) for r in results]
    own, theirs = (results, employer) if kind == PROFILE else (employer, results)
    top = rank(own, m.settings.top_k, by=f"{other_kind}_id")
    with part("write"):
        replace_ranking(s, kind, target_id, top, m.encoder.version, started, m.ranker)
    short: set[int] = set()
    with part("merge"):
        changed = merge_into_rankings(s, other_kind, target_id, theirs, m.settings.top_k, m.encoder.version,
                                  ranked,
                                  scored_only=may_change,
                                  read_versions={o.id: o.updated_at for o in others}, short=short,
                                  ranker=m.ranker)
        s.flush()
    return {"candidates": len(others), "ranked": len(top), "updated_rankings": changed, "short": sorted(short)}


def _load(s: Session, model, target_id: int):
    return s.scalars(select(model).options(undefer(model.embedding)).where(model.id == target_id)).first()


def _job_id(default: str) -> str:
    job = get_current_job()
    return job.id if job is not None else default


def _attempt(m: Matcher, kind: str, run_id: int, score, final: bool, cascade: bool = True) -> dict:
    """Score (no lock held), then store in one short transaction, tried again at once on a
    conflict; the run is closed in the ranking's own transaction: a worker killed right after
    the commit cannot leave the run "running" over a ranking that is done."""
    started = utcnow()
    scored = score()

    def store(s: Session) -> dict:
        if scored.target is None:
            result = {"candidates": 0, "ranked": 0, "missing": True}
        else:
            result = _store(m, s, kind, scored, started, final)
        mark_finished(s, run_id, ok=True, candidates=result.get("candidates"))
        return result

    result = m.db.transact(store, what=f"match {kind}", again=(_HoldersMoved,))
    follow_up = result.pop("follow_up", [])
    other_kind = VACANCY if kind == PROFILE else PROFILE
    for ids, reason, counted in ((scored.refresh if cascade else (), "reach", "queued_to_refresh"),
                                 (follow_up, "follow-up", "queued_to_follow_up")):
        if ids and not result.get("missing"):
            with part("queue"), m.db.session() as s:
                enqueue_matches(s, m.queue_conn, m.settings, other_kind, list(ids), reason=reason)
            result[counted] = len(ids)
    return result


def _run(m: Matcher, kind: str, target_id: int, score) -> dict:
    """Run a job (`score()` reads and scores, `_store` writes) with its run status kept in
    the database; once more, reading every row again, if the store asks to (`_ReadAgain`)."""
    with m.db.session() as s:
        run = mark_running(s, kind, target_id, _job_id(job_id(kind, target_id)))
        m.use_live_model(s)   # the learnt weights, when a model went live (else config/scoring.toml's)
        # A job queued to give a row a real reach floor ("reach") queues no such jobs in turn:
        # two rows of small reach would otherwise queue each other for ever. Its row scored
        # every row within its reach, the one that queued it included.
        run_id, cascade = run.id, run.reason != "reach"
    t0 = time.perf_counter()
    try:
        with recording() as parts:
            try:
                result = _attempt(m, kind, run_id, score, final=False, cascade=cascade)
            except _ReadAgain:
                log.info("match %s %s: rows it scored were ranked anew meanwhile, read again", kind, target_id)
                result = _attempt(m, kind, run_id, score, final=True, cascade=cascade)
    except Exception as exc:  # noqa: BLE001 - any failure: recorded as the run's state, then re-raised
        # Only the exception class: its text may quote row data (SQL parameters, user
        # text), and RQ keeps what is raised in Redis. The job fails with our own words.
        job = get_current_job()
        retrying = bool(job is not None and (job.retries_left or 0) > 0)
        try:
            with m.db.session() as s:
                mark_finished(s, run_id, ok=False, error=type(exc).__name__, retrying=retrying)
        except Exception as db_exc:  # noqa: BLE001 - the database itself is away: RQ still records the failure
            log.error("match %s %s: run status not saved: %s", kind, target_id, type(db_exc).__name__)
        log.error("match %s %s failed: %s%s", kind, target_id, type(exc).__name__,
                  " (will retry)" if retrying else "")
        raise MatchingFailed(f"match {kind} {target_id} failed: {type(exc).__name__}") from None
    result["seconds"] = round(time.perf_counter() - t0, 3)
    result["parts_ms"] = parts.milliseconds()
    log.info("match %s %s: %s", kind, target_id, result)
    return result


@dataclass
class _Candidates:
    """The rows a job scores, and what it learnt on the way."""

    rows: list
    partial: bool = False      # only some of the rows within reach
    floor: float = -1.0        # the job's reach floor (-1: it scored every row in reach)
    refresh: list = ()         # rows whose reach floor is out of date: their own jobs are queued


def _nearest(m: Matcher, s: Session, model, vector, partitions: list[str] | None, within_reach,
             reaches) -> _Candidates:
    """The rows to score in full: the `PUENTE_CANDIDATES` nearest within reach (from the
    warm index), those not embedded yet, and those whose own job would have scored this row
    (`SideIndex.reaching`, kept if `reaches(row)`: this row is within theirs); every row
    within reach if they are fewer.

    Rows whose last job scored every row in their reach (reach floor -1, their reach was
    small) would be scored by every later job while they keep that floor: at most
    `PUENTE_CANDIDATES` of them, the nearest, are scored here; the others' own jobs are
    queued (`refresh`), which score this row if it is among their nearest now, and give
    them a real floor.
    """
    limit = m.settings.candidates
    if limit <= 0:
        return _Candidates(list(s.execute(within_reach(_light(model)).order_by(model.id))))
    side = m.side_index(model)
    with part("sync"):
        side.sync(s)
    with part("retrieve"):
        return _near_rows(m, s, model, side, vector, partitions, within_reach, reaches)


def _near_rows(m: Matcher, s: Session, model, side, vector, partitions, within_reach, reaches) -> _Candidates:
    """The rows `_nearest` returns, from the synced index `side`."""
    limit = m.settings.candidates
    ids, floor = side.nearest(vector, limit, partitions)
    partial = len(ids) >= limit
    fresh = within_reach(select(model.id).where(model.embedding_key.is_(None)))
    ids += list(s.scalars(fresh))
    rows = list(s.execute(within_reach(_light(model)).where(model.id.in_(ids)))) if ids else []
    near, unbounded = side.reaching(vector)
    taken = set(ids)
    more = [i for i in near if i not in taken]
    unbounded = [i for i in unbounded if i not in taken]
    more += unbounded[:limit]
    rows += [row for row in _light_rows(s, model, more).values() if reaches(row)]
    rows.sort(key=lambda row: row.id)
    return _Candidates(rows, partial, floor if partial else -1.0, unbounded[limit:])


_LIGHT_VERSIONS = ("id", "updated_at", "changed_at", "esco_key", "embedding_key")
LIGHT_REACH_AT = len(_LIGHT_VERSIONS)   # where a light row's reach columns begin


def _light(model):
    """The columns of candidate rows read for every candidate: their versions (to find their
    documents in the worker's cache, `DocCache`) and, from `LIGHT_REACH_AT` on, what
    `in_reach` and `reaches` read."""
    if model is Vacancy:
        reach = (Vacancy.status, Vacancy.remote, Vacancy.accepts_relocation, Vacancy.country)
    else:
        reach = (Profile.country, Profile.target_countries, Profile.relocate)
    return select(*(getattr(model, name) for name in _LIGHT_VERSIONS), *reach)


def _light_rows(s: Session, model, ids) -> dict:
    """The light rows (`_light`) of `ids`, by id, read 1,000 at a time."""
    ids, out = sorted(ids), {}
    for start in range(0, len(ids), 1000):
        out.update((row.id, row) for row in s.execute(_light(model).where(model.id.in_(ids[start:start + 1000]))))
    return out


def _version(row) -> tuple:
    """What a row's cached document is made from: its content (`updated_at` moves with every
    edit through the app, `changed_at` with every UPDATE, hand edits too) and its caches' keys."""
    return row.updated_at, row.changed_at, row.esco_key, row.embedding_key


@dataclass
class _Read:
    """Candidate rows as read: documents found in the worker's cache, the rest whole."""

    rows: list        # every candidate (light rows: id, versions)
    cached: dict      # id -> (document, embedding)
    whole: list       # the rows not in the cache, read whole
    moved: bool = False   # some changed between the two reads: left out of this job


def _read_candidates(m: Matcher, s: Session, model, rows: list) -> _Read:
    """Look the candidates up in the worker's document cache; read the others whole."""
    cache = m.doc_cache(model)
    cached, missing = {}, []
    for row in rows:
        hit = cache.get(row.id, _version(row))
        if hit is None:
            missing.append(row.id)
        else:
            cached[row.id] = hit
    whole = []
    for start in range(0, len(missing), 1000):
        whole += s.scalars(select(model).options(undefer(model.embedding)).where(model.id.in_(missing[start:start + 1000])))
    # A row edited between the two reads (closed, moved) is not scored in this job: it was
    # chosen by what it was, and its own job, queued by the edit, scores it as it is now.
    read_as = {row.id: row.updated_at for row in rows}
    moved = [row for row in whole if row.updated_at != read_as[row.id]]
    return _Read(rows, cached, [row for row in whole if row.updated_at == read_as[row.id]], bool(moved))


def _documents(m: Matcher, model, read: _Read, doc_fn, annotate_fn, key_fn, embed_fn) -> tuple[list, list, list, bool]:
    """The candidates' rows, documents and embeddings, in id order, and whether any was
    unreadable. Those read whole are linked and embedded where their text changed (the
    caches written back), then kept in the worker's cache."""
    with part("load"):
        usable, skipped = _usable(read.whole, doc_fn, others=bool(read.cached))
    changed = annotate_fn(m.taxonomy, usable)
    with part("load"):
        docs = [doc_fn(row) for row in usable]
    embs, embedded = _embeddings(m.encoder, usable, docs, key_fn, embed_fn)
    _keep_caches(m, model, changed + embedded)
    cache = m.doc_cache(model)
    found = dict(read.cached)
    for row, doc, emb in zip(usable, docs, embs, strict=True):
        cache.put(row.id, _version(row), (doc, emb))
        found[row.id] = (doc, emb)
    by_id = {row.id: row for row in read.rows}
    by_id.update((row.id, row) for row in usable)
    ids = sorted(found)
    return [by_id[i] for i in ids], [found[i][0] for i in ids], [found[i][1] for i in ids], skipped or read.moved


def match_profile(profile_id: int, matcher: Matcher | None = None) -> dict:
    """Rank the open vacancies within reach of a profile, and bring it into their candidate lists.

    `matcher`: default, the one of the worker running the job.
    """
    m = matcher if matcher is not None else running_matcher()

    def score() -> _Scored:
        with m.db.reading() as s:
            with part("load"):
                profile = _load(s, Profile, profile_id)
            if profile is None:
                return _Scored(None, [], [])
            changed = _annotate_profiles(m.taxonomy, [profile])
            pdoc = profile_doc(profile, m.knowledge)
            (pe,), embedded = _embeddings(m.encoder, [profile], [pdoc], profile_key, embed_profile)
            _keep_caches(m, Profile, changed + embedded)   # visible to the other workers' indexes
            reach = reach_partitions(PROFILE, pdoc)

            def within_reach(stmt):
                stmt = stmt.where(Vacancy.status == "open")
                if not pdoc.anywhere:
                    stmt = stmt.where(or_(Vacancy.country.in_(reach[:-1]), Vacancy.remote.is_(True)))
                return stmt

            found = _nearest(m, s, Vacancy, pe.vector, reach, within_reach, partial_fn(reaches, PROFILE, pdoc))
            with part("load"):
                read = _read_candidates(m, s, Vacancy, found.rows)
        vacancies, vdocs, vembs, skipped = _documents(m, Vacancy, read, vacancy_doc, _annotate_vacancies,
                                                      vacancy_key, embed_vacancy)
        hidden: list = []
        with part("score"):
            results = m.score(((pdoc, pe, vd, ve) for vd, ve in zip(vdocs, vembs, strict=True)), hidden)
        return _Scored(profile, results, vacancies, found.partial or skipped, found.floor, found.refresh,
                       pe.vector, skipped, group_left_out(hidden))

    return _run(m, PROFILE, profile_id, score)


def match_vacancy(vacancy_id: int, matcher: Matcher | None = None) -> dict:
    """Rank the candidates for a vacancy, and bring it into their own rankings.

    `matcher`: default, the one of the worker running the job.
    """
    m = matcher if matcher is not None else running_matcher()

    def score() -> _Scored:
        with m.db.reading() as s:
            with part("load"):
                vacancy = _load(s, Vacancy, vacancy_id)
            if vacancy is None or vacancy.status != "open":   # a closed vacancy leaves every ranking
                return _Scored(vacancy, [], [])
            changed = _annotate_vacancies(m.taxonomy, [vacancy])
            vdoc = vacancy_doc(vacancy)
            (ve,), embedded = _embeddings(m.encoder, [vacancy], [vdoc], vacancy_key, embed_vacancy)
            _keep_caches(m, Vacancy, changed + embedded)
            everyone = vacancy.remote or vacancy.accepts_relocation

            def within_reach(stmt):
                return stmt if everyone else stmt.where(Profile.country == vacancy.country)

            found = _nearest(m, s, Profile, ve.vector, reach_partitions(VACANCY, vacancy), within_reach,
                             partial_fn(reaches, VACANCY, vacancy))
            with part("load"):
                read = _read_candidates(m, s, Profile, found.rows)
        as_doc = partial_fn(profile_doc, knowledge=m.knowledge)
        profiles, pdocs, pembs, skipped = _documents(m, Profile, read, as_doc, _annotate_profiles, profile_key,
                                                     embed_profile)
        with part("score"):
            results = m.score((pd, pe, vdoc, ve) for pd, pe in zip(pdocs, pembs, strict=True))
        return _Scored(vacancy, results, profiles, found.partial or skipped, found.floor, found.refresh,
                       ve.vector, skipped)

    return _run(m, VACANCY, vacancy_id, score)


ORPHAN_GRACE = timedelta(seconds=10)   # a run just recorded may not be in the queue yet


def _to_redo(s: Session, conn, kind: str) -> set[int]:
    """Targets with a run still "queued" or "running" whose job is in no queue: lost with
    Redis (a restart, a flush) or with a killed worker. Their rankings may well be fresh
    (a retry of a re-match was waiting), so staleness alone would never find them."""
    waiting = waiting_runs(s, kind, utcnow() - ORPHAN_GRACE)
    gone = jobs_gone(conn, sorted({jid for _, jid in waiting}))
    return {target for target, jid in waiting if jid in gone}


def reconcile(matcher: Matcher | None = None) -> dict:
    """Queue matching for every profile and vacancy whose ranking is missing or stale, or
    whose run waits for a job that is no longer in the queue.

    `matcher`: default, the one of the worker running the job.
    """
    m = matcher if matcher is not None else running_matcher()
    conn = connect(m.settings.redis_url)
    counts = {}
    # A target whose last run failed for good waits as long as RQ keeps that failure (a
    # case worker sees it in /admin/rq/), not one pass: it would fail again every pass.
    since = utcnow() - timedelta(seconds=m.settings.failed_job_ttl)
    try:
        with m.db.session() as s:
            for kind in (PROFILE, VACANCY):
                orphans = _to_redo(s, conn, kind)
                ids = sorted(set(stale_ids(s, kind)) | orphans)
                failed = failed_since(s, kind, since)
                enqueue_matches(s, conn, m.settings, kind, [t for t in ids if t not in failed], reason="reconcile")
                held = sum(1 for target_id in ids if target_id in failed)
                counts[kind] = len(ids) - held
                if orphans:
                    counts[f"{kind}_runs_without_job"] = len(orphans)
                if held:
                    counts[f"{kind}_failed_held"] = held
    finally:
        conn.close()
    log.info("reconcile: %s", counts)
    return counts
