"""Import an ESCO CSV download: `python -m scripts.import_esco DIR`.

Adds the labels of every language found in DIR (occupations_<lang>.csv,
skills_<lang>.csv, ISCOGroups_<lang>.csv) and the occupation-skill relations to the
taxonomy Puente ships (or to the one imported before), and saves the result under
PUENTE_DATA_DIR/esco; then encodes the occupation labels that the shipped vectors lack,
once, for the configured encoder. Workers pick it up when they start. Delete
PUENTE_DATA_DIR/esco to go back to the shipped taxonomy.
"""
from __future__ import annotations

import argparse
import sys
import time


def import_esco(folder: str, settings=None, encode: bool = True):
    """Merge the ESCO download in `folder` into the stored taxonomy; return the index."""
    from config import load_settings
    from matching import load_encoder
    from matching.esco import COMPLETE, base_taxonomy, current_taxonomy, merge_taxonomies, read_esco_dir, save_taxonomy
    from matching.index import build_index

    settings = settings or load_settings()
    new = read_esco_dir(folder)
    merged = merge_taxonomies(base_taxonomy(settings.esco_dir), new)
    merged.version = new.version + COMPLETE
    save_taxonomy(merged, settings.esco_dir)
    encoder = load_encoder(settings.encoder, settings.encoder_model) if encode else None
    return build_index(current_taxonomy(settings.esco_dir), encoder, settings.esco_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.import_esco", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="folder of an ESCO CSV download")
    parser.add_argument("--no-encode", action="store_true", help="skip encoding the labels now (done on first use)")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    try:
        index = import_esco(args.folder, encode=not args.no_encode)
    except FileNotFoundError as exc:
        print(f"import_esco: {exc}", file=sys.stderr)
        return 2
    tax = index.taxonomy
    relations = sum(len(v) for v in tax.essential.values()) + sum(len(v) for v in tax.optional.values())
    print(f"ESCO imported: {len(tax.occupations)} occupations, {len(tax.skills)} skills, "
          f"{relations} occupation-skill relations, languages {', '.join(tax.languages)} "
          f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
