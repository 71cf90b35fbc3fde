"""Fill translations from a table into the catalogues (a maintenance helper):

    python -m scripts.translate_fill TABLE.json
    # {"pt": {"msgid": "msgstr", "singular msgid": ["singular", "plural"]}, "en": {...}}

Only empty entries are filled; the catalogues are then compiled with pybabel.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

DIR = Path(__file__).resolve().parent.parent / "web" / "translations"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.translate_fill", description=__doc__.split("\n")[0])
    parser.add_argument("table", type=Path, help='JSON: {"pt": {"msgid": "msgstr", ...}, "en": {...}}')
    table = json.loads(parser.parse_args(argv).table.read_text(encoding="utf-8"))
    for locale, entries in table.items():
        path = DIR / locale / "LC_MESSAGES" / "messages.po"
        with open(path, "rb") as fh:
            catalog = read_po(fh, locale=locale)
        for message in catalog:
            key = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
            empty = not any(message.string) if isinstance(message.string, (list, tuple)) else not message.string
            if key in entries and empty:
                value = entries[key]
                message.string = tuple(value) if isinstance(value, list) else value
        with open(path, "wb") as fh:
            write_po(fh, catalog, width=100)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
