"""Re-match everything: chunked jobs that every running worker takes in parallel.

    python -m scripts.rematch [--chunk 200] [--no-wait]

Prints a progress bar until the last chunk is done (Ctrl-C stops watching, not the work).
Uses DATABASE_URL and REDIS_URL like the app; start workers (`python -m worker`) anywhere.
"""
from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunk", type=int, default=200, help="targets per job")
    parser.add_argument("--no-wait", action="store_true", help="queue the jobs and exit")
    args = parser.parse_args(argv)

    from config import load_settings
    from models import Database
    from worker.queueing import connect, rematch_progress, start_rematch

    settings = load_settings()
    conn = connect(settings.redis_url)
    db = Database(settings.database_url)
    run = start_rematch(conn, settings, db, chunk=max(1, args.chunk))
    state = rematch_progress(conn, run)
    print(f"rematch {run}: {state['total']} targets queued", file=sys.stderr)
    if args.no_wait:
        return 0
    try:
        while True:
            state = rematch_progress(conn, run)
            width = 30
            share = (state["done"] + state["failed"]) / state["total"] if state["total"] else 1.0
            bar = "#" * int(share * width) + "-" * (width - int(share * width))
            print(f"\r[{bar}] {state['done'] + state['failed']}/{state['total']} ({state['failed']} failed) "
                  f"{state['seconds']:.0f} s", end="", file=sys.stderr)
            if state["finished"]:
                print(file=sys.stderr)
                return 0 if state["failed"] == 0 else 1
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopped watching; the workers go on", file=sys.stderr)
        return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
