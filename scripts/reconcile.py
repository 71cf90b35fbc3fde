"""Queue matching for every profile and vacancy whose ranking is missing or stale.

`python -m scripts.reconcile` runs one pass now (the worker's scheduler runs one every
PUENTE_RECONCILE_INTERVAL seconds).
"""
from __future__ import annotations

import argparse
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(prog="python -m scripts.reconcile", description=__doc__.split("\n")[0]).parse_args(argv)
    logging.basicConfig(level="INFO", format="%(message)s")
    from config import load_settings
    from worker.jobs import reconcile
    from worker.matcher import Matcher

    counts = reconcile(Matcher(load_settings()))
    print(f"queued: {counts['profile']} profiles, {counts['vacancy']} vacancies")
    return 0


if __name__ == "__main__":
    sys.exit(main())
