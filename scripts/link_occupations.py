"""Link job titles to ESCO occupations: one title per line on stdin, one JSON line out.

    python -m scripts.link_occupations [--esco-dir DIR] [--top-k K] < titles.txt

Each output line is {"text": ..., "occupations": [{"uri", "label", "isco", "score"}, ...]},
best first, in input order. Progress goes to stderr.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def _index(esco_dir: str | None, settings):
    from matching import load_encoder
    from matching.esco import current_taxonomy, load_taxonomy
    from matching.index import build_index

    if esco_dir:
        current = load_taxonomy(settings.esco_dir)
        if current is None or Path(current.source).resolve() != Path(esco_dir).resolve():
            from scripts.import_esco import import_esco

            print(f"importing ESCO from {esco_dir} ...", file=sys.stderr)
            return import_esco(esco_dir, settings)
    encoder = load_encoder(settings.encoder, settings.encoder_model)
    return build_index(current_taxonomy(settings.esco_dir), encoder, settings.esco_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.link_occupations",
                                     description="Link job titles (stdin, one per line) to ESCO occupations.")
    parser.add_argument("--esco-dir", help="import this ESCO CSV folder first (or use it if already imported)")
    parser.add_argument("--top-k", type=int, default=5, help="occupations per title (default 5)")
    parser.add_argument("--lang", default="es", help="language of the labels written out, when present")
    parser.add_argument("--batch", type=int, default=256)
    args = parser.parse_args(argv)
    if args.top_k < 1:
        parser.error("--top-k must be at least 1")

    from config import load_settings

    settings = load_settings()
    t0 = time.perf_counter()
    index = _index(args.esco_dir, settings)
    print(f"ready in {time.perf_counter() - t0:.1f} s; reading titles from stdin", file=sys.stderr)

    done, t1 = 0, time.perf_counter()
    out = sys.stdout

    def flush(lines: list[str]) -> None:
        nonlocal done
        for text, links in zip(lines, index.link_occupations(lines, args.top_k), strict=True):
            occs = [{"uri": (c := index.occupation(link.index)).uri, "label": c.label(args.lang), "isco": c.isco,
                     "score": link.score} for link in links]
            out.write(json.dumps({"text": text, "occupations": occs}, ensure_ascii=False) + "\n")
        out.flush()
        done += len(lines)
        rate = done / max(time.perf_counter() - t1, 1e-9) * 60
        print(f"\r{done} titles, {rate:,.0f} a minute", end="", file=sys.stderr, flush=True)

    batch: list[str] = []
    for line in sys.stdin:
        batch.append(line.rstrip("\r\n"))
        if len(batch) >= args.batch:
            flush(batch)
            batch = []
    if batch:
        flush(batch)
    print(file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
