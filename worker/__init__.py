"""RQ workers: the only place that turns ids into work (see `worker.jobs`)."""
