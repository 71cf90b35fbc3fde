"""The jobs of a bulk re-match: every profile and every open vacancy ranked again, in
chunks that workers take in parallel. `worker.queueing.start_rematch` queues them, and
`worker.queueing.rematch_progress` reads the progress (the command line, the admin page).

A re-match runs in two steps:

1. `rematch_floors`: each row's reach floor (the cosine of the farthest of its
   `PUENTE_CANDIDATES` nearest within reach, -1 when fewer are within reach) is computed
   afresh for every row of both sides, a chunk at a time, with one matrix product per block
   of rows and partition, and written in bulk. After this step the floors say, for every
   pair, whether either row is among the other's nearest now, whatever order the rows came
   in.
2. `rematch_chunk` (queued behind every floors job): a chunk of targets of one side ranked
   in one pass. One index sync, the nearest and the reaching rows of every target with one
   matrix product per block and partition, the candidates' documents read once for the
   chunk, every target's pairs scored with one shared memo (the rules' verdicts, the
   documents' phrases), and the chunk's rankings written in one transaction of a few bulk
   statements. Nothing is merged into the other side's rankings: in a full re-match every
   row of the other side is a target too, and its own chunk scores the same pairs (a pair
   is a candidate of one row exactly when it is of the other, by the floors of step 1).

A chunk writes no ranking that changed under it. Under the locks of its targets it compares
what it read with what is there: a target whose stored ranking changed since the chunk
read it (a job merged a new row in), or one of whose candidates changed (a vacancy closed,
a profile edited), is not written; its own matching job is queued instead, which scores it
with the full protocol of `worker.jobs`. A target edited since it was read is left to the
job its edit queued. So a re-match can run while people keep submitting.
"""
from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial as partial_fn

import numpy as np
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.orm import Session, undefer

from matching import embed_profile, embed_vacancy, for_employer, profile_key, rank, vacancy_key
from matching.eligibility import group_left_out
from models import PROFILE, VACANCY, Match, Profile, Vacancy, utcnow
from models.queries import insert_matches, lock_rankings, match_entry

from .candidates import in_reach, reach_partitions, reaches
from .jobs import (
    LIGHT_REACH_AT,
    MatchingFailed,
    _annotate_profiles,
    _annotate_vacancies,
    _documents,
    _embeddings,
    _keep_caches,
    _light,
    _light_rows,
    _read_candidates,
    _usable,
    match_profile,
    match_vacancy,
    profile_doc,
    vacancy_doc,
)
from .matcher import Matcher, running_matcher
from .parts import part, recording
from .queueing import REMATCH_KEY, REMATCH_TTL, connect, enqueue_matches

log = logging.getLogger(__name__)

__all__ = ["rematch_chunk", "rematch_floors", "rematch_staged"]


@dataclass(frozen=True)
class _Kind:
    """What a chunk of one side needs to know of it and of the other side."""

    kind: str
    model: type
    other: type
    annotate: object
    key_fn: object
    embed_fn: object
    other_annotate: object
    other_key_fn: object
    other_embed_fn: object


_KINDS = {
    PROFILE: _Kind(PROFILE, Profile, Vacancy, _annotate_profiles, profile_key, embed_profile,
                   _annotate_vacancies, vacancy_key, embed_vacancy),
    VACANCY: _Kind(VACANCY, Vacancy, Profile, _annotate_vacancies, vacancy_key, embed_vacancy,
                   _annotate_profiles, profile_key, embed_profile),
}


def _reach_columns(model):
    if model is Vacancy:
        return (Vacancy.country, Vacancy.remote, Vacancy.accepts_relocation, Vacancy.status)
    return (Profile.country, Profile.target_countries, Profile.relocate)


# --- Step 1: the floors ---------------------------------------------------------------

def rematch_floors(run: str, kind: str, ids: list[int], matcher: Matcher | None = None) -> dict:
    """Compute afresh the reach floor of each of `ids` (rows of `kind`) against the other
    side as it is now, and write them in bulk (`run`: the re-match, for the log).

    `matcher`: default, the one of the worker running the job.
    """
    m = matcher if matcher is not None else running_matcher()
    spec = _KINDS[kind]
    model = spec.model
    limit = m.settings.candidates
    with m.db.reading() as s:
        stmt = select(model.id, model.embedding, *_reach_columns(model)).where(
            model.id.in_(list(ids)), model.embedding.is_not(None))
        rows = [r for r in s.execute(stmt) if model is not Vacancy or r.status == "open"]
        side = m.side_index(spec.other)
        side.sync(s)
    if not rows or limit <= 0:
        return {"floors": 0}
    vectors = np.stack([np.frombuffer(r.embedding, dtype=np.float32, count=m.encoder.dim) for r in rows])
    found = side.nearest_many(vectors, limit, [reach_partitions(kind, r) for r in rows])
    params = sorted(({"pk": r.id, "floor": floor if len(near) >= limit else -1.0}
                     for r, (near, floor) in zip(rows, found, strict=True)), key=lambda p: p["pk"])   # lock order
    table = model.__table__
    stmt = update(table).where(table.c.id == bindparam("pk")).values(reach_floor=bindparam("floor"))
    m.db.transact(lambda s: s.execute(stmt, params), what=f"floors of {len(params)} {table.name}")
    log.info("rematch %s: floors of %d %s", run, len(params), table.name)
    return {"floors": len(params)}


# --- Step 2: a chunk ranked in one pass ---------------------------------------------------

@dataclass
class _Target:
    """One target of a chunk, as read and scored."""

    row: object
    doc: object
    candidates: list = field(default_factory=list)   # light rows of the other side
    floor: float | None = -1.0    # None: not known (a vacancy not embedded when the floors were made)
    emb: object = None
    results: list = field(default_factory=list)
    left_out: list | None = None
    ranked: list = field(default_factory=list)        # its ranking as written (best first, cut to top_k)


@dataclass
class _Chunk:
    """A chunk as read: its targets, the other side's rows read, what the rankings were."""

    targets: list
    read_as: dict                 # other side id -> updated_at as read
    before: dict                  # target id -> its stored ranking when the chunk began
    missing: set                  # other side ids that could not be read (unreadable, moved)
    unreadable: list              # target ids that could not be read
    again: set = field(default_factory=set)   # targets to hand to their own jobs whatever is found


def _rankings(s: Session, kind: str, ids) -> dict[int, frozenset]:
    """The stored rankings of `ids`: id -> {(other id, score)}."""
    own, other = (Match.profile_id, Match.vacancy_id) if kind == PROFILE else (Match.vacancy_id, Match.profile_id)
    out: dict[int, set] = {}
    ids = sorted(ids)
    for start in range(0, len(ids), 1000):
        for row in s.execute(select(own, other, Match.score).where(Match.owner == kind,
                                                                   own.in_(ids[start:start + 1000]))):
            out.setdefault(row[0], set()).add((row[1], row[2]))
    return {i: frozenset(out.get(i, ())) for i in ids}


def _read_targets(m: Matcher, s: Session, spec: _Kind, ids: list[int]) -> tuple[list, list, list[int]]:
    """The targets (whole rows; closed vacancies left out), their documents, and the ids
    that could not be read. Linked and embedded where their text changed, caches kept."""
    model = spec.model
    rows = list(s.scalars(select(model).options(undefer(model.embedding)).where(model.id.in_(ids))
                          .order_by(model.id)))
    if model is Vacancy:
        rows = [r for r in rows if r.status == "open"]
    doc_fn = partial_fn(profile_doc, knowledge=m.knowledge) if model is Profile else vacancy_doc
    usable, _ = _usable(rows, doc_fn, others=True)
    unreadable = sorted({r.id for r in rows} - {r.id for r in usable})
    changed = spec.annotate(m.taxonomy, usable)
    docs = [doc_fn(r) for r in usable]
    embs, embedded = _embeddings(m.encoder, usable, docs, spec.key_fn, spec.embed_fn)
    _keep_caches(m, model, changed + embedded)
    return list(zip(usable, docs, embs, strict=True)), embs, unreadable


def _candidates(m: Matcher, s: Session, spec: _Kind, targets: list, embs: list) -> tuple[list[_Target], list]:
    """Each target's candidates (light rows of the other side), as `worker.jobs._near_rows`
    chooses them for one target, for the whole chunk at once; and every row read."""
    other, limit = spec.other, m.settings.candidates
    side = m.side_index(other)
    with part("sync"):
        side.sync(s)
    with part("retrieve"):
        vectors = np.stack([e.vector for e in embs])
        near = side.nearest_many(vectors, limit, [reach_partitions(spec.kind, row) for row, _, _ in targets])
        reaching = side.reaching_many(vectors)
        fresh_stmt = _light(other).where(other.embedding_key.is_(None))
        fresh = list(s.execute(fresh_stmt.where(Vacancy.status == "open") if other is Vacancy else fresh_stmt))
        light = {row.id: row for row in fresh}
        light.update(_light_rows(s, other, {i for ids, _ in near for i in ids} | {i for a, b in reaching
                                                                                   for i in (*a, *b)}))
        keys = {i: _reach_key(row) for i, row in light.items()}
        out = [_chosen(spec.kind, target, found, reached, light, keys, fresh, limit)
               for target, found, reached in zip(targets, near, reaching, strict=True)]
    return out, sorted({c.id: c for t in out for c in t.candidates}.values(), key=lambda r: r.id)


def _reach_key(row) -> tuple:
    """A light row's reach columns (`_light`), hashable: rows with equal keys are in and
    out of the same targets' reach."""
    return tuple(x if x is None or isinstance(x, str | int | float) else ("json", json.dumps(x, sort_keys=True, default=str))
                 for x in row[LIGHT_REACH_AT:])


def _chosen(kind: str, target: tuple, near: tuple, reaching: tuple, light: dict, keys: dict, fresh: list,
            limit: int) -> _Target:
    """One target's candidates: its nearest and the fresh rows within its reach, and every
    row whose own nearest hold it and whose reach does (each test made once per distinct
    reach of the candidates, `keys`: by id)."""
    (row, doc, emb), (ids, floor), (more, unbounded) = target, near, reaching
    within = _per_reach(keys, light, partial_fn(in_reach, kind, row))
    holds = _per_reach(keys, light, partial_fn(reaches, kind, row))
    chosen = {i: light[i] for i in ids if i in light and within(i)}
    chosen.update((f.id, f) for f in fresh if in_reach(kind, row, f))
    # Unlike a single job, a re-match takes every row whose own nearest hold the target
    # (those with floor -1 are few: fewer than `limit` rows are within their reach).
    chosen.update((i, light[i]) for i in (*more, *unbounded) if i not in chosen and i in light and holds(i))
    return _Target(row, doc, sorted(chosen.values(), key=lambda r: r.id), floor if len(ids) >= limit else -1.0, emb)


def _per_reach(keys: dict, light: dict, test) -> Callable[[int], bool]:
    """`test(light[i])` for a row id `i`, made once per distinct reach key (`keys`: by id)."""
    known: dict[tuple, bool] = {}

    def ask(i: int) -> bool:
        key = keys[i]
        if key not in known:
            known[key] = test(light[i])
        return known[key]

    return ask


def _read_chunk(m: Matcher, spec: _Kind, ids: list[int]) -> tuple[_Chunk, dict]:
    """Read a chunk's targets and every candidate's document (the worker's cache first)."""
    with m.db.reading() as s:
        before = _rankings(s, spec.kind, ids)
        with part("load"):
            found, embs, unreadable = _read_targets(m, s, spec, ids)
        targets, rows = _candidates(m, s, spec, found, embs) if found else ([], [])
        with part("load"):
            read = _read_candidates(m, s, spec.other, rows)
    return _with_documents(m, spec, targets, rows, read, before, unreadable)


def _with_documents(m: Matcher, spec: _Kind, targets: list, rows: list, read, before: dict,
                    unreadable: list) -> tuple[_Chunk, dict]:
    """The chunk, and the documents of its candidates (read whole, linked and embedded
    where their text changed, or from the worker's cache)."""
    doc_fn = partial_fn(profile_doc, knowledge=m.knowledge) if spec.other is Profile else vacancy_doc
    kept, docs, vecs, _ = _documents(m, spec.other, read, doc_fn, spec.other_annotate, spec.other_key_fn,
                                     spec.other_embed_fn)
    documents = {row.id: (doc, emb) for row, doc, emb in zip(kept, docs, vecs, strict=True)}
    chunk = _Chunk(targets, {r.id: r.updated_at for r in rows}, before,
                   {r.id for r in rows} - set(documents), unreadable)
    return chunk, documents


# An edit committed this long after the time it carries (a web request's transaction) still
# counts as made during the re-match.
EDIT_MARGIN = timedelta(seconds=5)
PAIRS_KEY = "puente:rematch:{}:pairs:{}"   # a vacancy's best profiles so far, staged by the profile chunks


def _stage(m: Matcher, conn, run: str, chunk: _Chunk) -> int:
    """Stage, for each vacancy, the best pairs this chunk of profiles scored, as the
    vacancy's ranking would order them (the employer's score, then the lower profile id):
    a Redis sorted set per vacancy, cut to `top_k` (a vacancy's best are among the best of
    each chunk). The vacancies' chunks rank from them without scoring every pair again."""
    k = m.settings.top_k
    best: dict[int, list[tuple[float, int, str]]] = {}
    for t in chunk.targets:
        version = t.row.updated_at.isoformat()   # the profile as scored: an edit since shows
        for r in t.results:
            best.setdefault(r.vacancy_id, []).append((-for_employer(r, m.weights).score, r.profile_id, version))
    pipe = conn.pipeline(transaction=False)
    for vid, pairs in best.items():
        key = PAIRS_KEY.format(run, vid)
        # Members "<id, 12 digits> <version>": equal scores sort by the lower id, as rankings do.
        pipe.zadd(key, {f"{pid:012d} {version}": score for score, pid, version in sorted(pairs)[:k]})
        pipe.zremrangebyrank(key, k, -1)
        pipe.expire(key, REMATCH_TTL)
    pipe.execute()
    return sum(min(len(p), k) for p in best.values())


def _read_staged(m: Matcher, spec: _Kind, ids: list[int], conn, run: str) -> tuple[_Chunk, dict]:
    """Read a chunk of vacancies and, as their candidates, the profiles staged for them."""
    with m.db.reading() as s:
        before = _rankings(s, spec.kind, ids)
        with part("load"):
            found, _, unreadable = _read_targets(m, s, spec, ids)
        pipe = conn.pipeline(transaction=False)
        for row, _, _ in found:
            pipe.zrange(PAIRS_KEY.format(run, row.id), 0, -1)
        staged = [dict(member.decode().split(" ", 1) for member in members) for members in pipe.execute()] if found else []
        staged = [{int(pid): version for pid, version in pairs.items()} for pairs in staged]
        light = _light_rows(s, Profile, {pid for pids in staged for pid in pids})
        targets = [_Target(row, doc, [light[i] for i in sorted(pids) if i in light], row.reach_floor, emb)
                   for (row, doc, emb), pids in zip(found, staged, strict=True)]
        rows = sorted({c.id: c for t in targets for c in t.candidates}.values(), key=lambda r: r.id)
        with part("load"):
            read = _read_candidates(m, s, Profile, rows)
    chunk, documents = _with_documents(m, spec, targets, rows, read, before, unreadable)
    # The pairs were staged from the rows as the profiles' chunks read them. A vacancy edited
    # since the run began, or one of whose staged profiles was edited or is gone (the pair cut
    # from its set, the next best, was not kept), is ranked by its own job instead.
    chunk.again = _edited_meanwhile(targets, staged, _run_began(conn, run))
    return chunk, documents


def _edited_meanwhile(targets: list[_Target], staged: list[dict], since: datetime | None) -> set[int]:
    """The vacancies edited since `since`, or whose staged profiles changed since they were
    scored (`staged`: id -> the version scored), or are gone."""
    return {t.row.id for t, pids in zip(targets, staged, strict=True)
            if since is None or t.row.updated_at >= since or len(t.candidates) < len(pids)
            or any(c.updated_at.isoformat() != pids[c.id] for c in t.candidates)}


def _score(m: Matcher, spec: _Kind, chunk: _Chunk, documents: dict) -> None:
    """Score every target's pairs (with the worker's memo: each document prepared once), and
    rank them as they are written."""
    for t in chunk.targets:
        pairs = [documents[c.id] for c in t.candidates if c.id in documents]
        if spec.kind == PROFILE:
            hidden: list = []
            t.results = m.score(((t.doc, t.emb, d, e) for d, e in pairs), hidden)
            t.left_out = group_left_out(hidden)
            t.ranked = rank(t.results, m.settings.top_k, by="vacancy_id")
        else:
            t.results = m.score((d, e, t.doc, t.emb) for d, e in pairs)
            t.ranked = rank([for_employer(r, m.weights) for r in t.results], m.settings.top_k, by="profile_id")


def _entered(spec: _Kind, t: _Target) -> set[int]:
    """The rows of the other side that enter `t`'s ranking as the chunk writes it."""
    return {r.vacancy_id if spec.kind == PROFILE else r.profile_id for r in t.ranked}


def _decide(s: Session, spec: _Kind, chunk: _Chunk) -> tuple[list[_Target], list[int]]:
    """Under the locks of the targets and of the rows their new rankings hold (taken as every
    job takes them: profiles by id, then vacancies by id), the targets to write, and those
    whose own job to queue. With those rows locked, none can be closed, edited or deleted
    before the chunk commits: a job that changes one waits, then finds this chunk's rankings
    holding it. Their locks are shared (`FOR SHARE`): chunks side by side have rows in common,
    and they write none of those rows' rankings.

    The candidates left out of the rankings are neither locked nor checked (a chunk has
    thousands at 20,000 vacancies, and locking a row writes its page): one edited since it was
    read is ranked by its edit's own job, which merges it into these rankings under the
    targets' locks, after this chunk commits, or, if before, changed a ranking under it, which
    the check below finds. A candidate that could not be read at all still hands the target
    to its own job."""
    entered = {t.row.id: _entered(spec, t) for t in chunk.targets}
    candidates = set().union(*entered.values()) if entered else set()
    targets = [t.row.id for t in chunk.targets]
    if spec.kind == PROFILE:
        locked = lock_rankings(s, PROFILE, targets)
        lock_rankings(s, VACANCY, candidates, share=True)
    else:
        lock_rankings(s, PROFILE, candidates, share=True)
        locked = lock_rankings(s, VACANCY, targets)
    now = _rankings(s, spec.kind, locked)
    versions = _versions(s, spec.other, candidates)
    write, again = [], []
    for t in chunk.targets:
        tid = t.row.id
        if tid not in locked or (locked[tid] is not None and locked[tid] > t.row.updated_at):
            continue   # deleted meanwhile, or ranked from a newer version by its edit's own job
        moved = any(c.id in chunk.missing for c in t.candidates) or any(
            versions.get(i) != chunk.read_as[i] for i in entered[tid])
        if moved or tid in chunk.again or now[tid] != chunk.before.get(tid, frozenset()):
            again.append(tid)
        else:
            write.append(t)
    return write, again


def _versions(s: Session, model, ids) -> dict:
    """id -> updated_at of the rows `ids` of `model` (those that exist)."""
    seen, out = sorted(ids), {}
    for start in range(0, len(seen), 1000):
        out.update(s.execute(select(model.id, model.updated_at).where(model.id.in_(seen[start:start + 1000]))).all())
    return out


def _write(m: Matcher, s: Session, spec: _Kind, targets: list[_Target], started) -> None:
    """Write the targets' rankings and claims, a few bulk statements for the chunk."""
    if not targets:
        return
    model, kind = spec.model, spec.kind
    table = model.__table__
    values = {"ranked_version": bindparam("version", type_=table.c.ranked_version.type),
              "ranked_at": bindparam("when", type_=table.c.ranked_at.type), "reach_floor": bindparam("floor")}
    if kind == PROFILE:
        values["left_out"] = bindparam("left", type_=table.c.left_out.type)
    s.execute(update(table).where(table.c.id == bindparam("pk")).values(**values),
              [{"pk": t.row.id, "version": t.row.updated_at, "when": started, "floor": t.floor,
                "left": t.left_out} for t in targets])
    own = Match.profile_id if kind == PROFILE else Match.vacancy_id
    ids = [t.row.id for t in targets]
    for start in range(0, len(ids), 1000):
        s.execute(delete(Match).where(Match.owner == kind, own.in_(ids[start:start + 1000])))
    insert_matches(s, [match_entry(kind, r, n, m.encoder.version, started, m.ranker)
                       for t in targets for n, r in enumerate(t.ranked, start=1)])


def _one_by_one(m: Matcher, kind: str, ids: list[int], conn, key: str) -> dict:
    """Each target's own matching job, one after the other (with PUENTE_CANDIDATES=0 every
    job scores every row within reach, and there are no floors to batch by)."""
    match = match_profile if kind == PROFILE else match_vacancy
    done = failed = 0
    for target in ids:
        try:
            match(int(target), m)
            done += 1
        except MatchingFailed:
            failed += 1
    conn.hincrby(key, "done", done)
    if failed:
        conn.hincrby(key, "failed", failed)
    return {"done": done, "failed": failed}


def rematch_staged(run: str, chunk_ids: list[str]) -> dict:
    """Mark the pairs of the re-match `run` as staged when every profile chunk (`chunk_ids`,
    whose jobs this one waits for) ended well: the vacancies' chunks then rank from them;
    otherwise they retrieve and score their candidates themselves."""
    from redis import Redis

    m = running_matcher()
    conn: Redis = connect(m.settings.redis_url)
    try:
        ok = int(conn.hget(REMATCH_KEY.format(run), "staged_chunks") or 0) == len(chunk_ids)
        conn.hset(REMATCH_KEY.format(run), "staged", int(ok))
    finally:
        conn.close()
    log.info("rematch %s: pairs staged %s", run, "in full" if ok else "in part: vacancies are scored again")
    return {"staged": ok}


def _run_began(conn, run: str) -> datetime | None:
    """When the re-match `run` began, less `EDIT_MARGIN` (None: not known)."""
    began = conn.hget(REMATCH_KEY.format(run), "started")
    return None if began is None else datetime.fromtimestamp(float(began), tz=UTC) - EDIT_MARGIN


def _changed_since(m: Matcher, conn, run: str) -> list[int]:
    """Profiles edited since the re-match `run` began: their own jobs bring them into the
    vacancies' rankings this chunk wrote (their staged pairs may be from before the edit)."""
    since = _run_began(conn, run)
    if since is None:
        return []
    with m.db.session() as s:
        return list(s.scalars(select(Profile.id).where(Profile.updated_at >= since).order_by(Profile.id)))


def rematch_chunk(run: str, kind: str, ids: list[int], matcher: Matcher | None = None,
                  one_by_one: bool = False) -> dict:
    """Rank a chunk of profiles or vacancies again in one pass (see the module's doc),
    counting progress in Redis.

    `matcher`: default, the one of the worker running the job. `one_by_one`: run each
    target's own matching job instead (the re-match as it was before it was batched).
    """
    m = matcher if matcher is not None else running_matcher()
    conn = connect(m.settings.redis_url)
    key = REMATCH_KEY.format(run)
    try:
        if one_by_one or m.settings.candidates <= 0:
            return _one_by_one(m, kind, ids, conn, key)
        try:
            return _batched(m, conn, run, kind, ids)
        except Exception as exc:
            conn.hincrby(key, "failed", len(ids))
            log.error("rematch %s %s: chunk of %d failed: %s", run, kind, len(ids), type(exc).__name__)
            raise
    finally:
        conn.close()


def _batched(m: Matcher, conn, run: str, kind: str, ids: list[int]) -> dict:
    """`rematch_chunk` in one pass."""
    key = REMATCH_KEY.format(run)
    spec = _KINDS[kind]
    flags = dict(zip(("stage", "staged"), conn.hmget(key, "stage", "staged"), strict=True))
    staged = kind == VACANCY and flags["staged"] == b"1"
    t0 = time.perf_counter()
    with recording() as parts:
        with m.db.session() as s:
            m.use_live_model(s)
        started = utcnow()
        ids = sorted(int(i) for i in ids)
        chunk, documents = _read_staged(m, spec, ids, conn, run) if staged else _read_chunk(m, spec, ids)
        with part("score"):
            _score(m, spec, chunk, documents)
        if kind == PROFILE and flags["stage"] == b"1":
            with part("stage"):
                _stage(m, conn, run, chunk)

        def store(s: Session):
            with part("lock"):
                write, again = _decide(s, spec, chunk)
            with part("write"):
                _write(m, s, spec, write, started)
            return write, again

        write, again = m.db.transact(store, what=f"rematch {kind} x{len(ids)}") if chunk.targets else ([], [])
        with part("queue"), m.db.session() as s:
            if again:
                enqueue_matches(s, m.queue_conn, m.settings, kind, again, reason="follow-up")
            if staged:
                edited = _changed_since(m, conn, run)
                if edited:
                    enqueue_matches(s, m.queue_conn, m.settings, PROFILE, edited, reason="follow-up")
                conn.delete(*[PAIRS_KEY.format(run, i) for i in ids])
    if kind == PROFILE and flags["stage"] == b"1":
        conn.hincrby(key, "staged_chunks", 1)   # `rematch_staged` counts them
    failed = len(chunk.unreadable)
    result = {"done": len(ids) - failed, "failed": failed, "written": len(write), "queued_again": len(again),
              "pairs": sum(len(t.candidates) for t in chunk.targets), "staged": staged,
              "seconds": round(time.perf_counter() - t0, 3), "parts_ms": parts.milliseconds()}
    conn.hincrby(key, "done", result["done"])
    if failed:
        conn.hincrby(key, "failed", failed)
    log.info("rematch %s %s: %s", run, kind, result)
    return result
