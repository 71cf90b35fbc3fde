"""RQ workers: the only place that turns ids into work (see `worker.jobs`)."""
import os

# OpenBLAS's idle threads spin for about 0.1 s after each matrix product (numpy's, in linking
# and retrieval) and take the cores the encoder's OpenMP threads need right after: a job's
# encoding took twice as long as alone, and the median job 214 ms instead of 101 ms
# (docs/benchmarks.md). Told before numpy loads OpenBLAS, they sleep at once; the products
# keep their speed. Set here, the first module of `python -m worker` and of the scripts.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
