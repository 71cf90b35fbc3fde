"""One matching job broken into its parts, at 1,000, 10,000 and 100,000 vacancies.

    python -m scripts.bench_job [--sizes 1000 10000 100000] [--runs 15] [--database URL]

Fills a PostgreSQL database (default: the `bench` database on 127.0.0.1, created if
missing; its tables are dropped first) with M open vacancies in the steady state a busy
service is in: linked to the shipped multilingual ESCO taxonomy, embedded, each with a full
candidate list of `top_k` profiles. Then it submits fresh profiles (the demo's, each with
text no job has seen, so every one is linked and encoded) and runs their matching jobs
with a worker's warm matcher, reading each part's time from the job (`worker.parts`).

The vacancies are made from 400 occupations drawn from the taxonomy (titles and essential
skills in Spanish, Portuguese or English, as their labels read), linked and encoded for
real; the M rows copy them with the vectors jittered (σ = 0.02, renormalised) so that no
two are equal. Their candidate lists are written by SQL (scores 0.75 down to 0.35, with a
real explanation's size), as a re-match would leave them.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
COUNTRIES = ("CO", "CO", "CO", "PE", "PE", "EC", "CL", "BR", "AR", "PA")   # where the vacancies are
TEMPLATES = 400
# Profiles: two per vacancy (the national scale has five: 100,000 people, 20,000
# vacancies), at least 2,000, at most 100,000 (the fill stays within minutes). A vacancy's
# reach floor, and so how many vacancies a new profile is scored for besides its own
# nearest, depends on it.
def pool_size(vacancies: int) -> int:
    return min(max(2_000, 2 * vacancies), 100_000)


def ensure_database(url: str) -> None:
    """Create the database of `url` if it does not exist (PostgreSQL)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        if not c.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}):
            c.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def reset_schema(url: str) -> None:
    """Drop every table and migrate from nothing."""
    from sqlalchemy import create_engine, text

    from models import upgrade

    engine = create_engine(url)
    with engine.begin() as c:
        c.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)


def _templates(m, rng: random.Random) -> list[dict]:
    """Vacancies made from occupations of the taxonomy, linked and encoded for real."""
    import json

    from matching import embed_vacancy, vacancy_key
    from models import Vacancy
    from worker.jobs import _annotate_vacancies, vacancy_doc

    demo = json.loads((ROOT / "scripts" / "demo" / "vacancies.json").read_text())
    tax = m.taxonomy.taxonomy
    with_skills = [i for i in range(len(tax.occupations)) if tax.essential.get(i)]
    chosen = rng.sample(with_skills, TEMPLATES - len(demo))
    rows = [Vacancy(id=n + 1, locale="es", title=d["title"], description=d.get("description", ""),
                    essential_skills=d.get("essential_skills", []), optional_skills=d.get("optional_skills", []),
                    country="CO", city="", remote=False, languages=d.get("languages", ["es"]),
                    education_level=d.get("education_level"), experience_years=float(d.get("experience_years", 0)),
                    accepts_relocation=True, status="open", openings=1) for n, d in enumerate(demo)]
    for n, o in enumerate(chosen, start=len(rows)):
        lang = rng.choice(("es", "es", "es", "pt", "en"))
        skills = [tax.skills[s].label(lang) for s in rng.sample(tax.essential[o], min(4, len(tax.essential[o])))]
        rows.append(Vacancy(id=n + 1, locale=lang, title=tax.occupations[o].label(lang)[:200],
                            description="", essential_skills=skills, optional_skills=[], country="CO", city="",
                            remote=False, languages=[lang], education_level=None, experience_years=float(n % 5),
                            accepts_relocation=True, status="open", openings=1))
    _annotate_vacancies(m.taxonomy, rows)
    out = []
    for v in rows:
        doc = vacancy_doc(v)
        emb = embed_vacancy(m.encoder, doc)
        out.append({"row": v, "embedding": emb, "key": vacancy_key(m.encoder, doc)})
    return out


def fill(m, url: str, vacancies: int, seed: int = 7, profiles: int | None = None) -> dict:
    """M vacancies (copies of the templates, jittered), `profiles` profiles (default
    `pool_size(M)`), full candidate lists."""
    from sqlalchemy import create_engine, insert, text

    from matching import Embedding
    from models import Profile, Vacancy, utcnow

    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    reset_schema(url)
    templates = _templates(m, rng)
    engine = create_engine(url)
    now = utcnow()
    t0 = time.perf_counter()
    people = _profile_templates(m)
    size = profiles or pool_size(vacancies)
    pool = np.stack([_jitter(people[i % len(people)]["embedding"].vector, nprng) for i in range(size)])
    # Each vacancy's reach floor as its own job would leave it: the cosine of its
    # `candidates`-th nearest profile of the pool.
    floors = [float(np.sort(pool @ t["embedding"].vector)[-min(m.settings.candidates, size)]) for t in templates]
    with engine.begin() as c:
        profiles = []
        for i in range(1, size + 1):
            t = people[(i - 1) % len(people)]
            p = t["row"]
            profiles.append({
                "id": i, "public_id": f"bench{i:08d}", "locale": "es", "summary": p.summary, "jobs": p.jobs,
                "skills": p.skills, "languages": p.languages, "education_level": p.education_level,
                "education_country": p.education_country, "education_recognised_in": [], "country": "CO",
                "city": p.city, "target_countries": p.target_countries, "relocate": p.relocate,
                "nationalities": p.nationalities, "legal_status": p.legal_status, "declined_skills": [],
                "consent_scope": "matching", "consent_version": "bench", "consent_at": now, "created_at": now,
                "updated_at": now, "esco": p.esco, "esco_key": p.esco_key,
                "embedding": Embedding(pool[i - 1], t["embedding"].phrase_vectors).to_bytes(),
                "embedding_key": t["key"]})
            if len(profiles) == 5000 or i == size:
                c.execute(insert(Profile.__table__), profiles)
                profiles = []
        for start in range(0, vacancies, 5000):
            batch = []
            for i in range(start + 1, min(vacancies, start + 5000) + 1):
                t = templates[(i - 1) % len(templates)]
                v = t["row"]
                emb = t["embedding"]
                vec = _jitter(emb.vector, nprng)
                batch.append({"id": i, "locale": v.locale, "title": v.title, "description": v.description,
                              "essential_skills": v.essential_skills, "optional_skills": v.optional_skills,
                              "country": COUNTRIES[i % len(COUNTRIES)], "city": "", "remote": False,
                              "languages": v.languages, "education_level": None,
                              "experience_years": v.experience_years, "openings": 1, "accepts_relocation": True,
                              "status": "open", "embedding": Embedding(vec, emb.phrase_vectors).to_bytes(), "embedding_key": t["key"],
                              "esco": v.esco, "esco_key": v.esco_key, "created_at": now, "updated_at": now,
                              "ranked_version": now, "ranked_at": now,
                              "reach_floor": floors[(i - 1) % len(templates)]})
            c.execute(insert(Vacancy.__table__), batch)
        for table in ("profiles", "vacancies"):
            c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    explanation = _real_explanation(m, templates)
    with engine.begin() as c:
        c.execute(text(
            "INSERT INTO matches (owner, profile_id, vacancy_id, rank, score, scores, explanation, encoder, ranker,"
            " computed_at) SELECT 'vacancy', ((v.id::bigint * :k + r) * 7919) % :pool + 1, v.id, r, 0.75 - r * (0.4 / :k),"
            " CAST(:scores AS json), CAST(:explanation AS json), :encoder, :ranker, :now"
            " FROM vacancies v CROSS JOIN generate_series(1, :k) AS r"),
            {"k": m.settings.top_k, "pool": size, "scores": explanation[0], "explanation": explanation[1],
             "encoder": m.encoder.version, "ranker": m.ranker, "now": now})
        # Posted and ranked an hour ago (a steady state), not just now: a worker's index syncs
        # only the rows changed since its last sync, less a minute (worker.candidates).
        for table in ("profiles", "vacancies"):
            c.execute(text(f"UPDATE {table} SET changed_at = :then"), {"then": now - timedelta(hours=1)})
        c.execute(text("ANALYZE"))
    engine.dispose()
    return {"vacancies": vacancies, "profiles": size, "fill_s": time.perf_counter() - t0,
            "explanation_bytes": len(explanation[1])}


def _jitter(vector: np.ndarray, rng) -> np.ndarray:
    out = vector + rng.normal(0, 0.02, vector.shape).astype(np.float32)
    return (out / np.linalg.norm(out)).astype(np.float32)


def _profile_templates(m) -> list[dict]:
    """The demo profiles, linked and encoded for real."""
    from matching import embed_profile, profile_key
    from worker.jobs import _annotate_profiles, profile_doc

    rows = _demo_profiles(25)
    _annotate_profiles(m.taxonomy, rows)
    out = []
    for p in rows:
        doc = profile_doc(p, m.knowledge)
        out.append({"row": p, "embedding": embed_profile(m.encoder, doc), "key": profile_key(m.encoder, doc)})
    return out


def _real_explanation(m, templates) -> tuple[str, str]:
    """The scores and explanation (JSON) of a real employer-side pair: a demo profile and a template."""
    import json

    from matching import embed_profile, for_employer
    from worker.jobs import _annotate_profiles, profile_doc

    profile = _demo_profiles(1)[0]
    _annotate_profiles(m.taxonomy, [profile])
    pdoc = profile_doc(profile, m.knowledge)
    pe = embed_profile(m.encoder, pdoc)
    from worker.jobs import vacancy_doc

    t = templates[0]
    results = m.score([(pdoc, pe, vacancy_doc(t["row"]), t["embedding"])], [])
    if not results:
        return "{}", "{}"
    r = for_employer(results[0], m.weights)
    return json.dumps(r.scores), json.dumps(r.explanation)


def _demo_profiles(n: int, salt: str = "") -> list:
    """`n` profile rows made from the demo profiles, each with text of its own (`salt`)."""
    import json

    from models import Profile, utcnow

    demo = json.loads((ROOT / "scripts" / "demo" / "profiles.json").read_text())
    out = []
    for i in range(n):
        d = demo[i % len(demo)]
        jobs = [{**j, "title": j["title"], "description": f"{j.get('description', '')} {salt}{i}".strip()}
                for j in d.get("jobs", [])]
        out.append(Profile(locale="es", summary=f"{d.get('summary', '')} ({salt}{i})", jobs=jobs,
                           skills=list(d.get("skills", [])),
                           languages=d.get("languages", []), education_level=(d.get("education") or {}).get("level"),
                           education_country=(d.get("education") or {}).get("country"),
                           education_recognised_in=[], country="CO", city=d.get("city", ""),
                           target_countries=d.get("target_countries", []), relocate=bool(d.get("relocate")),
                           nationalities=d.get("nationalities", []), legal_status=d.get("status"),
                           consent_scope="matching", consent_version="bench", consent_at=utcnow(),
                           declined_skills=[]))
    return out


@dataclass
class JobParts:
    size: int
    runs: list[dict]
    largest: list[dict] | None = None
    rss_mb: float = 0.0          # the worker process's memory after the jobs
    cache_hits: float = 0.0      # share of candidates found in the document cache

    def medians(self) -> dict[str, float]:
        names = list(dict.fromkeys(p for r in self.runs for p in r["parts_ms"]))
        out = {p: statistics.median(r["parts_ms"].get(p, 0.0) for r in self.runs) for p in names}
        out["total"] = statistics.median(r["seconds"] * 1000 for r in self.runs)
        return out


def largest_profiles(n: int, seed: int) -> list:
    """`n` profiles at the API's limits in the shape that costs a job most (measured), none of
    it repeated: a summary of 5,000 characters, 20 jobs (titles of 80, descriptions of 2,000),
    100 skills of 8 to 18 characters (the most phrases; the skills the budget does not encode
    are still linked), capitalised made-up words (the most tokens a character, and linking
    reads them in another case than the phrases are encoded), each title with a regional word
    ("Contador ...": linking encodes it in ESCO's words too)."""
    rng = random.Random(seed)
    syllables = ["ma", "te", "ri", "so", "ldu", "ra", "pin", "tu", "ca", "rpi", "nte", "ro", "ne", "gi", "co"]

    def text(k: int) -> str:
        words = []
        while sum(len(w) + 1 for w in words) < k:
            words.append("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))).capitalize())
        return " ".join(words)[:k].strip()

    out = _demo_profiles(n, "largest")
    for p in out:
        p.summary = text(5000)
        p.jobs = [{"title": "Contador " + text(71), "years": 1, "country": "VE", "description": text(2000)}
                  for _ in range(20)]
        p.skills = [text(rng.randint(8, 18)) for _ in range(100)]
    return out


def profile_jobs(m, runs: int, salt: str, profiles: list | None = None) -> list[dict]:
    """Submit `runs` fresh profiles (or `profiles`) and run their jobs with the warm matcher `m`."""
    from worker.jobs import match_profile

    out = []
    for profile in profiles or _demo_profiles(runs, salt):
        profile.country = "CO"
        with m.db.session() as s:
            s.add(profile)
            s.flush()
            pid = profile.id
        out.append(match_profile(pid, m))
    return out


def measure(sizes: list[int], runs: int, url: str) -> list[JobParts]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from config import load_settings
    from models import Vacancy
    from worker.matcher import Matcher
    from worker.runner import settle_heap

    ensure_database(url)
    settings = load_settings(environ={**os.environ, "DATABASE_URL": url})
    out = []
    for size in sizes:
        m = Matcher(settings).warm()
        settle_heap()   # as `python -m worker` does
        info = fill(m, url, size)
        print(f"M={size:,}: filled in {info['fill_s']:.0f} s (explanation {info['explanation_bytes']} bytes)",
              file=sys.stderr)
        # The first jobs build the warm index (`SideIndex`) and fill the worker's caches, as a
        # worker that has been running for a while has them.
        profile_jobs(m, 10, "warm")
        result = JobParts(size, profile_jobs(m, runs, f"run{size}-"),
                          profile_jobs(m, 0, "", largest_profiles(max(3, runs // 3), size)))
        print(f"  {result.medians()}", file=sys.stderr)
        print(f"  last job: {result.runs[-1]}", file=sys.stderr)
        print(f"  largest: {JobParts(size, result.largest).medians()}", file=sys.stderr)
        import psutil

        docs, enc = m.doc_cache(Vacancy), m.encoder
        result.rss_mb = psutil.Process().memory_info().rss / 2**20
        result.cache_hits = docs.hits / max(1, docs.hits + docs.misses)
        print(f"  document cache: {docs.hits} hits, {docs.misses} misses; phrase vectors: {enc.hits} hits, "
              f"{enc.misses} encoded", file=sys.stderr)
        out.append(result)
        m.close()
    return out


def table(results: list[JobParts]) -> str:
    """A markdown table: parts (rows) × sizes (columns), medians in ms."""
    from worker.parts import PARTS

    names = [p for p in (*PARTS, "total") if any(p in r.medians() for r in results)]
    head = "| part (median ms) | " + " | ".join(f"M={r.size:,}" for r in results) + " |"
    lines = [head, "| --- |" + " ---: |" * len(results)]
    for p in names:
        lines.append(f"| {p} | " + " | ".join(f"{r.medians().get(p, 0.0):.1f}" for r in results) + " |")
    largest = [JobParts(r.size, r.largest).medians()["total"] for r in results]
    lines.append("| **the most expensive profile the API accepts (48 kB, see below): total** | "
                 + " | ".join(f"{x:.1f}" for x in largest) + " |")
    lines.append("| its ratio to the median profile's job | "
                 + " | ".join(f"{x / r.medians()['total']:.2f}×" for x, r in zip(largest, results, strict=True)) + " |")
    for part in ("link", "encode"):
        lines.append(f"| its {part} | " + " | ".join(f"{JobParts(r.size, r.largest).medians().get(part, 0.0):.1f}"
                                                    for r in results) + " |")
    lines.append("| candidates found in the document cache | " + " | ".join(f"{r.cache_hits:.0%}" for r in results) + " |")
    lines.append("| worker memory after the jobs (RSS) | " + " | ".join(f"{r.rss_mb:,.0f} MB" for r in results) + " |")
    return "\n".join(lines)


def job_section(results: list[JobParts], machine: dict) -> str:
    """The section of docs/benchmarks.md: how it was measured, then the table."""
    sizes = ", ".join(f"{r.size:,}" for r in results)
    runs = results[0].runs and len(results[0].runs)
    return (f"## One job, part by part\n\nMeasured by `python -m scripts.bench` (`scripts.bench_job`) on commit "
            f"`{machine['commit']}`, {machine['date']}, {machine['cores']} cores, PostgreSQL on the same machine: "
            f"one worker's matching job of a newly submitted profile against M = {sizes} open vacancies "
            f"(the shipped multilingual taxonomy; each vacancy linked, embedded, with a full candidate list; twice "
            f"as many profiles, at most 100,000), after ten jobs that warm the worker's index and caches. "
            f"Medians of {runs} profiles (the demo's, each with text no job has seen: every one is linked and "
            f"encoded; their skills and titles repeat, as people's do), in milliseconds. The parts "
            f"(`worker.parts`): load (rows and documents), link (titles and skills to ESCO), encode (the "
            f"profile's text and phrases, vacancies whose text changed), keep (writing those caches), sync "
            f"(the warm index), retrieve (nearest and reaching candidates), score, lock, write (its own "
            f"ranking), merge (into the candidate lists), queue (follow-up jobs).\n\n{table(results)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--write", action="store_true", help="replace the section in docs/benchmarks.md")
    args = parser.parse_args(argv)
    from scripts.sections import BENCHMARKS, current_commit

    machine = {"commit": current_commit(), "date": time.strftime("%Y-%m-%d"), "cores": os.cpu_count()}
    text = job_section(measure(args.sizes, args.runs, args.database), machine)
    print(text)
    if args.write:
        from scripts.sections import write_section

        write_section(BENCHMARKS, "one job", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
