"""The queries the web, the worker and the reconciler share."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from .base import _JSON_SERIALIZER, utcnow
from .match import DONE, FAILED, PROFILE, QUEUED, RUNNING, VACANCY, Match, MatchRun
from .profile import PUBLIC_ID, Profile
from .vacancy import Vacancy

__all__ = [
    "claim_ranking",
    "erase",
    "holders",
    "latest_run",
    "lock_rankings",
    "mark_finished",
    "mark_running",
    "merge_into_rankings",
    "open_run",
    "ranked_since",
    "ranking",
    "replace_ranking",
    "stale_ids",
    "strong_matches",
    "waiting_runs",
]

_TARGETS = {PROFILE: Profile, VACANCY: Vacancy}
# A ranking's owner column and the column of the rows it ranks.
_COLUMNS = {PROFILE: (Match.profile_id, Match.vacancy_id), VACANCY: (Match.vacancy_id, Match.profile_id)}


def stale_ids(session: Session, kind: str, limit: int | None = None) -> list[int]:
    """Return the ids whose ranking is missing or older than their last edit.

    Closed vacancies count once they were ranked: closing one is an edit, and its job takes
    it out of every ranking (a close whose job was lost must still leave them).
    """
    model = _TARGETS[kind]
    stmt = select(model.id).where(or_(model.ranked_at.is_(None), model.ranked_at < model.updated_at))
    if kind == VACANCY:
        stmt = stmt.where(or_(Vacancy.status == "open", Vacancy.ranked_at.is_not(None)))
    return list(session.scalars(stmt.order_by(model.id).limit(limit)))


def waiting_runs(session: Session, kind: str, before: datetime) -> list[tuple[int, str]]:
    """(target id, job id) of the runs still "queued" or "running" that were asked for
    before `before`: each should have a job in the queue; the reconciler checks."""
    return [(target, jid) for target, jid in session.execute(select(MatchRun.target_id, MatchRun.job_id).where(
        MatchRun.kind == kind, MatchRun.status.in_((QUEUED, RUNNING)), MatchRun.enqueued_at < before))]


def strong_matches(session: Session, min_score: float) -> Iterable[tuple[str, float, list]]:
    """(vacancy country, score, steps) of every stored match at least `min_score` good, once
    per pair (from the people's rankings), for the barrier analytics."""
    stmt = (select(Vacancy.country, Match.score, Match.explanation)
            .join(Vacancy, Vacancy.id == Match.vacancy_id)
            .where(Match.owner == PROFILE, Match.score >= min_score)
            .execution_options(yield_per=2000))
    for country, score, explanation in session.execute(stmt):
        yield country, score, (explanation or {}).get("steps", [])


def profile_by_public_id(session: Session, public_id: str) -> Profile | None:
    """The profile with this private id, or None (also for anything that cannot be one)."""
    if not PUBLIC_ID.fullmatch(public_id):
        return None
    return session.scalars(select(Profile).where(Profile.public_id == public_id)).first()


def failed_since(session: Session, kind: str, since: datetime) -> set[int]:
    """The targets whose newest run failed after `since` (one query, whatever their number)."""
    newest = select(func.max(MatchRun.id)).where(MatchRun.kind == kind).group_by(MatchRun.target_id)
    return set(session.scalars(select(MatchRun.target_id).where(
        MatchRun.id.in_(newest), MatchRun.status == FAILED, MatchRun.finished_at > since)))


def latest_run(session: Session, kind: str, target_id: int) -> MatchRun | None:
    """Return the newest run for a profile or a vacancy."""
    return session.scalars(
        select(MatchRun).where(MatchRun.kind == kind, MatchRun.target_id == target_id)
        .order_by(MatchRun.id.desc()).limit(1)).first()


def ranking(session: Session, kind: str, target_id: int) -> list[Match]:
    """Return the stored ranking of a profile (its vacancies) or of a vacancy (its candidates)."""
    col = Match.profile_id if kind == PROFILE else Match.vacancy_id
    return list(session.scalars(select(Match).where(Match.owner == kind, col == target_id).order_by(Match.rank)))


def match_entry(owner: str, result, rank: int, encoder: str, when: datetime, ranker: str | None = None) -> dict:
    """A ranking entry's columns (`MATCH_COLUMNS`) for a scored pair (`matching.PairScore`)."""
    return {"owner": owner, "profile_id": result.profile_id, "vacancy_id": result.vacancy_id, "rank": rank,
            "score": result.score, "scores": result.scores, "explanation": result.explanation,
            "encoder": encoder, "ranker": ranker, "computed_at": when}


def _match_row(owner: str, result, rank: int, encoder: str, when: datetime, ranker: str | None = None) -> Match:
    return Match(**match_entry(owner, result, rank, encoder, when, ranker))


LOCK_SLICE = 10_000


def lock_rankings(session: Session, owner: str, target_ids: Iterable[int],
                  share: bool = False) -> dict[int, datetime | None]:
    """Take the row locks of the targets whose rankings this transaction rewrites, in id
    order, and return, for those that exist (a row deleted meanwhile is not there), the
    version their stored ranking comes from (`ranked_version`, None: not ranked yet), as
    committed when the lock was granted.

    The one lock order of every transaction that writes rankings or deletes what they rank:
    profiles by id, then vacancies by id, all taken before the first write (see
    docs/reliability.md, "No deadlock by design"). The lock is PostgreSQL's
    `FOR NO KEY UPDATE`: it serialises the writers of one ranking, and it does not conflict
    with the key-share lock an `INSERT INTO matches` takes on the rows it references, so
    writing a ranking never waits on the rows it merely points to. SQLite has one writer at
    a time anyway: there, the rows are only read.

    `share`: `FOR SHARE` instead, for rows a transaction reads and must not see change before
    it commits (a re-match chunk's candidates) but whose rankings it does not write: it waits
    for, and holds off, every writer of those rows, and not the other holders of `FOR SHARE`
    (two re-match chunks with candidates in common run side by side).
    """
    ids = sorted({int(t) for t in target_ids})
    if not ids:
        return {}
    model = _TARGETS[owner]
    found: dict[int, datetime | None] = {}
    # In ascending slices (still one order), each within the drivers' bind-parameter limits
    # (PostgreSQL's 65,535; SQLite's 32,766): a re-match chunk may lock tens of thousands.
    for start in range(0, len(ids), LOCK_SLICE):
        stmt = select(model.id, model.ranked_version).where(
            model.id.in_(ids[start:start + LOCK_SLICE])).order_by(model.id)
        if session.get_bind().dialect.name != "sqlite":
            stmt = stmt.with_for_update(read=True) if share else stmt.with_for_update(key_share=True)
        found.update(session.execute(stmt).all())
    return found


def replace_ranking(session: Session, kind: str, target_id: int, results: Sequence, encoder: str,
                    when: datetime | None = None, ranker: str | None = None) -> None:
    """Replace a ranking with `results` (best first), inside the caller's transaction;
    `ranker` names the ranking model that combined the scores."""
    when = when or utcnow()
    col = Match.profile_id if kind == PROFILE else Match.vacancy_id
    session.execute(delete(Match).where(Match.owner == kind, col == target_id))
    session.flush()
    session.add_all(_match_row(kind, r, i, encoder, when, ranker) for i, r in enumerate(results, start=1))


def claim_ranking(session: Session, kind: str, target_id: int, version: datetime, when: datetime,
                  floor: float | None = None, **kept) -> bool:
    """Mark the target ranked from `version` of its row, unless its stored ranking comes
    from a newer one: then return False, and the caller writes nothing.

    `version` is the row's `updated_at` as the job read it. One conditional UPDATE: it waits
    for any other transaction writing the row (PostgreSQL's row lock, SQLite's single
    writer), then compares with what that one committed; so of two jobs of the same row,
    the one that read the newer version wins, whichever commits last. Equal versions
    (a retried job, a re-match) replace each other as before. `floor`: the job's reach
    floor (see `Rankable.reach_floor`), kept with the ranking, as are `kept` (columns of the
    target, such as a profile's `left_out`).
    """
    model = _TARGETS[kind]
    claimed = session.execute(
        update(model)
        .where(model.id == target_id, or_(model.ranked_version.is_(None), model.ranked_version <= version))
        .values(ranked_version=version, ranked_at=when, reach_floor=floor, **kept)
        .execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def _concerned(session: Session, owner: str, changed_id: int, scored: Iterable[int], ranked_ids: Iterable[int],
               scored_only: Iterable[int] | None, read_versions: dict[int, datetime] | None) -> set[int]:
    """The targets whose rankings a merge may change (see `merge_into_rankings`)."""
    own_col, other_col = _COLUMNS[owner]
    holders = set(session.scalars(select(own_col).where(Match.owner == owner, other_col == changed_id)))
    if scored_only is not None:
        holders &= set(scored_only)
    concerned = (set(scored) & set(ranked_ids)) | holders
    if read_versions and concerned:
        concerned -= ranked_since(session, owner, {t: v for t, v in read_versions.items() if t in concerned})
    return concerned


def ranked_since(session: Session, kind: str, read_versions: dict[int, datetime]) -> set[int]:
    """The rows ranked from a newer version than the one given for each (as a job read it):
    what that job scored of them is out of date."""
    if not read_versions:
        return set()
    model = _TARGETS[kind]
    stored = session.execute(select(model.id, model.ranked_version).where(
        model.id.in_(read_versions), model.ranked_version.is_not(None)))
    return {t for t, version in stored if version > read_versions[t]}


def merge_into_rankings(session: Session, owner: str, changed_id: int, results: Iterable, k: int,
                        encoder: str, ranked_ids: Iterable[int], scored_only: Iterable[int] | None = None,
                        read_versions: dict[int, datetime] | None = None, short: set[int] | None = None,
                        ranker: str | None = None) -> int:
    """Bring a changed profile or vacancy into (or out of) the rankings of the other side.

    A new vacancy enters the rankings of the profiles it now belongs to (`owner` =
    "profile"); a new profile enters the candidate lists of the vacancies it now belongs
    to (`owner` = "vacancy").

    Args:
        session: the open transaction.
        owner: whose rankings to update: "profile" or "vacancy".
        changed_id: the vacancy (owner "profile") or profile (owner "vacancy") that changed.
        results: its scored pairs with every target within reach.
        k: the length of a ranking.
        encoder: the encoder version the scores come from.
        ranked_ids: targets whose ranking already exists; others get theirs from their
            own job. Targets that hold the changed row now are always updated.
        scored_only: when the job scored only some targets (its nearest candidates), the
            targets it did not score keep their rankings as they are.
        read_versions: the version (`updated_at`) of each target as the job read it; a
            target whose ranking was computed from a newer version is left as it is (its
            own job scored this pair from the newer version).
        short: if given, receives the targets whose ranking was full (`k` entries) and lost
            the changed row's entry with nothing to take its place: the pair ranked next,
            which a ranking of its own would hold, was never stored, so their own jobs must
            run again to refill them.
        ranker: the name of the ranking model that combined the scores.

    Returns:
        The number of rankings that changed.
    """
    own_col, other_col = _COLUMNS[owner]
    by_target = {getattr(r, own_col.key): r for r in results}
    concerned = _concerned(session, owner, changed_id, by_target, ranked_ids, scored_only, read_versions)
    if not concerned:
        return 0
    # Only (target, row, score) of the rankings: what decides; their texts stay in the database.
    current: dict[int, list[tuple[int, float]]] = {t: [] for t in concerned}
    for target, other, score in session.execute(
            select(own_col, other_col, Match.score).where(Match.owner == owner, own_col.in_(concerned))):
        current[target].append((other, score))
    leave, enter = [], []
    for target in sorted(concerned):
        had, fits, kept = _merge_one(current[target], by_target.get(target), changed_id, k)
        if had:
            leave.append(target)
        if fits:
            enter.append(target)
        if short is not None and (had or fits) and len(current[target]) >= k > kept:
            short.add(target)
    _apply_merge(session, owner, changed_id, leave, [by_target[t] for t in enter], k, encoder, ranker)
    return len(set(leave) | set(enter))


def _merge_one(rows: list[tuple[int, float]], new, changed_id: int, k: int) -> tuple[bool, bool, int]:
    """For one ranking ((row, score) entries): whether it holds the changed row, whether the
    changed row's new pair enters it, and how many entries it keeps then (at most `k`)."""
    others = [score for other, score in rows if other != changed_id]
    had = len(others) != len(rows)
    fits = new is not None and (len(others) < k or new.score > min(others))
    return had, fits, min(k, len(others) + fits)


# The columns a ranking entry is written with (`insert_matches`), in order.
MATCH_COLUMNS = ("owner", "profile_id", "vacancy_id", "rank", "score", "scores", "explanation", "encoder", "ranker",
                 "computed_at")
_JSON_COLUMNS = frozenset({"scores", "explanation"})


def insert_matches(session: Session, rows: Sequence[dict]) -> None:
    """Insert ranking entries (dicts of `MATCH_COLUMNS`) in the session's transaction. On
    PostgreSQL by COPY: a re-match writes two million, a chunk thousands, and COPY skips an
    INSERT's round of executing per row (8,000 entries of the bench into its full table: a
    median of 0.42 s against 0.56 s in 6 runs each); elsewhere one INSERT executed for many rows."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(Match), list(rows))
        return
    raw = session.connection().connection.driver_connection   # psycopg's, in this transaction
    with raw.cursor() as cursor, cursor.copy(f"COPY matches ({', '.join(MATCH_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_JSON_SERIALIZER(row[c]) if c in _JSON_COLUMNS
                            else row[c].astimezone(UTC) if c == "computed_at" else row[c]
                            for c in MATCH_COLUMNS])


def _apply_merge(session: Session, owner: str, changed_id: int, leave: list[int], enter: list, k: int,
                 encoder: str, ranker: str | None) -> None:
    """Write a merge in four statements, whatever the number of rankings: the changed row's
    old entries out (`leave`: their targets), its new pairs in (`enter`), each changed
    ranking cut to `k` entries and numbered again (best first; ties to the lower id), in
    the database. The entries that stay are not rewritten."""
    own_col, other_col = _COLUMNS[owner]
    touched = sorted(set(leave) | {getattr(r, own_col.key) for r in enter})
    if not touched:
        return
    if leave:
        session.execute(delete(Match).where(Match.owner == owner, other_col == changed_id, own_col.in_(leave))
                        .execution_options(synchronize_session=False))
    if enter:
        when = utcnow()
        insert_matches(session, [match_entry(owner, r, 0, encoder, when, ranker) for r in enter])
    position = (select(Match.id, func.row_number().over(partition_by=own_col, order_by=(Match.score.desc(), other_col))
                       .label("position"))
                .where(Match.owner == owner, own_col.in_(touched)).subquery())
    session.execute(delete(Match).where(Match.id.in_(select(position.c.id).where(position.c.position > k)))
                    .execution_options(synchronize_session=False))
    session.execute(update(Match).where(Match.id == position.c.id, Match.rank != position.c.position)
                    .values(rank=position.c.position).execution_options(synchronize_session=False))


def holders(session: Session, kind: str, target_id: int) -> set[int]:
    """The rows of the other side whose rankings hold this profile or vacancy."""
    own_col, other_col = _COLUMNS[kind]
    return set(session.scalars(select(other_col).where(Match.owner != kind, own_col == target_id)))


def erase(session: Session, kind: str, target_id: int, k: int | None = None) -> set[int] | None:
    """Delete a profile or a vacancy with its place in every ranking and its runs; return
    None when it is not there (any more), else the rows of the other side whose rankings it
    leaves short: full ones (`k` entries, when `k` is given), whose own jobs must run again
    to refill them (see `merge_into_rankings`).

    The locks are taken in the one order of the ranking writers (profiles, then vacancies,
    each by id): the row itself and every row whose ranking holds it. A matching job of the
    same row therefore either finished before (its ranking goes with the row) or waits, and
    then finds the row gone and ends quietly; the two never deadlock, and the deletion never
    waits longer than one ranking transaction (milliseconds), not a whole job.
    """
    model = _TARGETS[kind]
    if kind == PROFILE:
        if not lock_rankings(session, PROFILE, [target_id]):
            return None
        held_by = set(lock_rankings(session, VACANCY, holders(session, PROFILE, target_id)))
    else:
        held_by = set(lock_rankings(session, PROFILE, holders(session, VACANCY, target_id)))
        if not lock_rankings(session, VACANCY, [target_id]):
            return None
    full = _full_rankings(session, VACANCY if kind == PROFILE else PROFILE, held_by, k) if k else set()
    session.execute(delete(MatchRun).where(MatchRun.kind == kind, MatchRun.target_id == target_id))
    # Its matches (both sides) and interests go with it: ON DELETE CASCADE.
    session.execute(delete(model).where(model.id == target_id))
    return full


def _full_rankings(session: Session, owner: str, targets: set[int], k: int) -> set[int]:
    """Those of `targets` whose ranking holds `k` entries or more."""
    if not targets:
        return set()
    own_col, _ = _COLUMNS[owner]
    return set(session.scalars(select(own_col).where(Match.owner == owner, own_col.in_(targets))
                               .group_by(own_col).having(func.count() >= k)))


def open_run(session: Session, kind: str, target_id: int, job_id: str, reason: str) -> MatchRun:
    """Record that a matching job was asked for."""
    run = MatchRun(kind=kind, target_id=target_id, job_id=job_id, status=QUEUED, reason=reason,
                   enqueued_at=utcnow())
    session.add(run)
    return run


def mark_running(session: Session, kind: str, target_id: int, job_id: str) -> MatchRun:
    """Mark the newest waiting run of a target as running (or record one if none waits)."""
    run = session.scalars(
        select(MatchRun).where(MatchRun.kind == kind, MatchRun.target_id == target_id,
                               MatchRun.status.in_((QUEUED, RUNNING)))
        .order_by(MatchRun.id.desc()).limit(1)).first()
    if run is None:
        run = open_run(session, kind, target_id, job_id, "worker")
    run.status = RUNNING
    run.job_id = job_id
    run.started_at = utcnow()
    run.attempts = (run.attempts or 0) + 1
    run.error = None
    session.flush()  # the caller needs run.id
    return run


def mark_finished(session: Session, run_id: int, ok: bool, candidates: int | None = None,
                  error: str | None = None, retrying: bool = False) -> None:
    """Record the end of a run; also closes older runs of the same target still waiting.

    A failed run that RQ will retry goes back to "queued" (its error kept): people see
    that matching is still coming, and the retry takes up the same run.
    """
    run = session.get(MatchRun, run_id)
    if run is None:
        return
    run.status = DONE if ok else QUEUED if retrying else FAILED
    run.finished_at = utcnow()
    run.candidates = candidates
    run.error = error
    if ok:
        for older in session.scalars(select(MatchRun).where(
                MatchRun.kind == run.kind, MatchRun.target_id == run.target_id, MatchRun.id < run.id,
                MatchRun.status.in_((QUEUED, RUNNING)))):
            older.status = DONE
            older.finished_at = run.finished_at
