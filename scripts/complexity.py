"""Fail on any function over the complexity limit: `python -m scripts.complexity [--max 15] PATH...`.

radon's letter grades cannot say "over 15" (grade C spans 11 to 20), so this reads radon's
numbers: every function, method and nested function, with its file and line.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from radon.complexity import cc_visit

LIMIT = 15


def _blocks(blocks):
    # radon lists methods beside their class already; nested functions only inside theirs.
    for block in blocks:
        yield block
        yield from _blocks(getattr(block, "closures", []))


def over(paths: list[Path], limit: int = LIMIT) -> list[str]:
    """Return "file:line name (complexity)" for each function over `limit` under `paths`."""
    found = []
    for path in sorted(p for root in paths for p in ([root] if root.is_file() else root.rglob("*.py"))):
        if "migrations" in path.parts or ".venv" in path.parts:
            continue
        for block in _blocks(cc_visit(path.read_text(encoding="utf-8"))):
            if block.complexity > limit and not hasattr(block, "methods"):   # a class's own number is its methods'
                found.append(f"{path}:{block.lineno} {block.name} ({block.complexity})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.complexity", description=__doc__.split("\n")[0])
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--max", type=int, default=LIMIT, help=f"the highest complexity allowed (default {LIMIT})")
    args = parser.parse_args(argv)
    found = over(args.paths, args.max)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} functions over complexity {args.max}: split them into named steps", file=sys.stderr)
        return 1
    print(f"no function over complexity {args.max} in {' '.join(map(str, args.paths))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
