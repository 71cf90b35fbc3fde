"""Migrations and the shared queries, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select

from matching import PairScore
from models import PROFILE, VACANCY, Match, Profile, Vacancy, utcnow
from models.migrate import downgrade
from models.queries import MATCH_COLUMNS, insert_matches, merge_into_rankings, ranking, replace_ranking, stale_ids


def _profile(s, **kw) -> Profile:
    now = utcnow()
    p = Profile(country="CO", consent_scope="matching", consent_version="t", consent_at=now,
                created_at=now, updated_at=now, **kw)
    s.add(p)
    s.flush()
    return p


def _vacancy(s, **kw) -> Vacancy:
    now = utcnow()
    v = Vacancy(title=kw.pop("title", "Cocinero"), country="CO", created_at=now, updated_at=now, **kw)
    s.add(v)
    s.flush()
    return v


def _pair(pid, vid, score):
    return PairScore(pid, vid, score, {"semantic": score}, {"steps": []})


def test_migrations_build_every_table_and_go_back_down(database_url, db):
    tables = set(inspect(db.engine).get_table_names())
    assert {"profiles", "vacancies", "employers", "matches", "match_runs", "alembic_version"} <= tables
    downgrade(database_url, "base")
    db.engine.dispose()
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    from models import upgrade
    upgrade(database_url)
    db.engine.dispose()
    assert "matches" in inspect(db.engine).get_table_names()


def test_timestamps_come_back_aware_in_utc(db):
    with db.session() as s:
        pid = _profile(s).id
    with db.session() as s:
        p = s.get(Profile, pid)
        assert p.created_at.tzinfo is not None and p.created_at.utcoffset() == timedelta(0)


def test_ranking_entries_written_in_bulk_come_back_as_given_and_only_if_committed(db):
    """`insert_matches` (COPY on PostgreSQL, an INSERT elsewhere): every column as given, JSON
    with letters beyond ASCII and quotes, a missing ranker; in the caller's transaction."""
    with db.session() as s:
        p = _profile(s)
        vs = [_vacancy(s) for _ in range(3)]
        pid, vids = p.id, [v.id for v in vs]
    when = utcnow()
    rows = [{"owner": PROFILE, "profile_id": pid, "vacancy_id": vid, "rank": n, "score": 0.5 + n / 10,
             "scores": {"semantic": 0.25 * n}, "encoder": "enc", "ranker": None if n == 2 else "weights-1",
             "explanation": {"matched_skills": [{"skill": 'cocina "criolla" y panadería', "by": "São Paulo\\n"}],
                             "steps": [], "n": n}, "computed_at": when}
            for n, vid in enumerate(vids, start=1)]

    class Undone(Exception):
        pass

    try:
        with db.session() as s:
            insert_matches(s, rows[:1])
            raise Undone
    except Undone:
        pass
    with db.session() as s:
        assert ranking(s, PROFILE, pid) == []
        insert_matches(s, rows)
    with db.session() as s:
        got = [{c: getattr(m, c) for c in MATCH_COLUMNS} for m in ranking(s, PROFILE, pid)]
    assert got == rows


def test_replace_ranking_replaces_in_one_go(db):
    with db.session() as s:
        p = _profile(s)
        vs = [_vacancy(s) for _ in range(3)]
        replace_ranking(s, PROFILE, p.id, [_pair(p.id, vs[0].id, 0.9), _pair(p.id, vs[1].id, 0.5)], "enc")
    with db.session() as s:
        replace_ranking(s, PROFILE, p.id, [_pair(p.id, vs[2].id, 0.7)], "enc")
    with db.session() as s:
        rows = ranking(s, PROFILE, p.id)
        assert [(m.vacancy_id, m.rank) for m in rows] == [(vs[2].id, 1)]


def test_stale_ids_find_missing_and_outdated_rankings(db):
    with db.session() as s:
        fresh, old, never = _profile(s), _profile(s), _profile(s)
        fresh.ranked_at = fresh.updated_at
        old.ranked_at = old.updated_at - timedelta(seconds=5)
        closed = _vacancy(s, status="closed")
        open_ = _vacancy(s)
    with db.session() as s:
        assert stale_ids(s, PROFILE) == [old.id, never.id]
        assert stale_ids(s, VACANCY) == [open_.id]
        assert closed.id not in stale_ids(s, VACANCY)


def test_merge_brings_a_new_vacancy_into_rankings_that_it_beats(db):
    with db.session() as s:
        p1, p2 = _profile(s), _profile(s)
        v1, v2, new = _vacancy(s), _vacancy(s), _vacancy(s)
        replace_ranking(s, PROFILE, p1.id, [_pair(p1.id, v1.id, 0.9), _pair(p1.id, v2.id, 0.4)], "enc")
        replace_ranking(s, PROFILE, p2.id, [_pair(p2.id, v1.id, 0.9), _pair(p2.id, v2.id, 0.8)], "enc")
    with db.session() as s:
        changed = merge_into_rankings(
            s, PROFILE, new.id, [_pair(p1.id, new.id, 0.6), _pair(p2.id, new.id, 0.5)], k=2, encoder="enc",
            ranked_ids=[p1.id, p2.id])
    assert changed == 1  # p2's two entries both beat 0.5
    with db.session() as s:
        assert [(m.vacancy_id, m.rank) for m in ranking(s, PROFILE, p1.id)] == [(v1.id, 1), (new.id, 2)]
        assert [m.vacancy_id for m in ranking(s, PROFILE, p2.id)] == [v1.id, v2.id]


def test_merge_removes_a_vacancy_now_out_of_reach(db):
    with db.session() as s:
        p = _profile(s)
        v1, v2 = _vacancy(s), _vacancy(s)
        replace_ranking(s, PROFILE, p.id, [_pair(p.id, v1.id, 0.9), _pair(p.id, v2.id, 0.4)], "enc")
    with db.session() as s:
        assert merge_into_rankings(s, PROFILE, v1.id, [], k=5, encoder="enc", ranked_ids=[]) == 1
    with db.session() as s:
        assert [(m.vacancy_id, m.rank) for m in ranking(s, PROFILE, p.id)] == [(v2.id, 1)]


def test_merge_brings_a_new_profile_into_vacancy_candidate_lists(db):
    with db.session() as s:
        old, new = _profile(s), _profile(s)
        v = _vacancy(s)
        replace_ranking(s, VACANCY, v.id, [_pair(old.id, v.id, 0.5)], "enc")
    with db.session() as s:
        assert merge_into_rankings(s, VACANCY, new.id, [_pair(new.id, v.id, 0.8)], k=5, encoder="enc",
                                   ranked_ids=[v.id]) == 1
    with db.session() as s:
        assert [(m.profile_id, m.rank) for m in ranking(s, VACANCY, v.id)] == [(new.id, 1), (old.id, 2)]


def test_deleting_a_profile_deletes_its_matches(db):
    with db.session() as s:
        p = _profile(s)
        v = _vacancy(s)
        replace_ranking(s, PROFILE, p.id, [_pair(p.id, v.id, 0.9)], "enc")
        replace_ranking(s, VACANCY, v.id, [_pair(p.id, v.id, 0.9)], "enc")
    with db.session() as s:
        s.delete(s.get(Profile, p.id))
    with db.session() as s:
        assert list(s.scalars(select(Match))) == []


def test_migrations_match_the_models(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from models import Base

    with db.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_locking_many_rankings_takes_them_in_slices_in_one_order(db, monkeypatch):
    """A re-match chunk locks tens of thousands of rows: past the drivers' limits on bound
    parameters in one statement. The locks are taken in ascending slices, with the same answer."""
    from models import queries

    with db.session() as s:
        ids = [_profile(s).id for _ in range(7)]
        s.get(Profile, ids[2]).ranked_version = utcnow()
    with db.session() as s:
        whole = queries.lock_rankings(s, PROFILE, [*ids, 10_000])   # an id that is not there is left out
    monkeypatch.setattr(queries, "LOCK_SLICE", 3)
    statements = []
    from sqlalchemy import event

    def count(conn, cursor, statement, *args):
        if "FROM profiles" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s:
            sliced = queries.lock_rankings(s, PROFILE, reversed([*ids, 10_000]))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert sliced == whole and set(whole) == set(ids) and whole[ids[2]] is not None
    assert len(statements) == 3 and list(sliced) == sorted(ids)
