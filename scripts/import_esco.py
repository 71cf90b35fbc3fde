"""Import an ESCO CSV download: `python -m scripts.import_esco DIR`.

Adds the labels of every language found in DIR (occupations_<lang>.csv,
skills_<lang>.csv, ISCOGroups_<lang>.csv) and the occupation-skill relations to the
taxonomy Puente uses, then encodes the labels once for the configured encoder (minutes;
cached under PUENTE_DATA_DIR/esco). Workers pick it up when they start.
"""
from __future__ import annotations

import argparse
import sys
import time


def import_esco(folder: str, settings=None, encode: bool = True):
    """Merge the ESCO download in `folder` into the stored taxonomy; return the index."""
    from config import load_settings
    from matching import load_encoder
    from matching.esco import load_taxonomy, merge_taxonomies, read_esco_dir, save_taxonomy
    from matching.index import build_index

    settings = settings or load_settings()
    new = read_esco_dir(folder)
    current = load_taxonomy(settings.esco_dir)
    if current is None or current.version == "bundled-en":
        # The bundled English data is a stand-in; a real download replaces it.
        taxonomy = new
    else:
        taxonomy = merge_taxonomies(current, new)
    save_taxonomy(taxonomy, settings.esco_dir)
    encoder = load_encoder(settings.encoder, settings.encoder_model) if encode else None
    return build_index(taxonomy, encoder, settings.esco_dir)


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
