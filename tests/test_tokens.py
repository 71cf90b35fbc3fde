"""API tokens with scopes: the checks on the API, their storage, the page and the CLI."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from models import ApiToken, User, Vacancy, utcnow
from scripts.create_user import create_user
from tests import factories
from tests.conftest import ROOT
from tests.test_accounts import _login, _register
from tests.test_accounts import _token as _csrf
from web.api.auth import require_scope
from web.tokens import issue_token, revoke_token

BODIES = {"profiles": factories.profile, "vacancies": factories.vacancy}


def _issue(db, email: str, scopes: str, days: int | None = None) -> str:
    """A token for the existing account `email`; its text."""
    with db.session() as s:
        user = s.scalars(select(User).where(User.email == email)).one()
        return issue_token(s, user, scopes, "integración", days)[1]


def _account(settings, email: str, organisation: str = "", admin: bool = False) -> str:
    create_user(settings.database_url, email, "clave-de-prueba-1", admin=admin, organisation=organisation)
    return email


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _refused(resp, status: int, field: str, reason: str | None = None) -> dict:
    assert resp.status_code == status and resp.is_json, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["error"] == ("unauthorized" if status == 401 else "forbidden") and field in body["fields"], body
    if reason is not None:
        assert body["fields"][field] == reason, body
    if status == 401:
        assert resp.headers["WWW-Authenticate"] == "Bearer"
    return body


@pytest.mark.parametrize("kind, scope", [("profiles", "profiles:write"), ("vacancies", "vacancies:write")])
def test_posting_needs_a_live_token_with_the_scope(client, db, settings, kind, scope):
    url, body = f"/api/v1/{kind}", BODIES[kind]()
    _account(settings, "orienta@ong.org", admin=True)
    _refused(client.post(url, json=body), 401, "authorization", "missing")
    _refused(client.post(url, json=body, headers={"Authorization": "Basic dXNlcjpwYXNz"}), 401, "authorization",
             "missing")
    for garbage in ("pt_" + "x" * 43, "not-a-token", "pt_"):
        _refused(client.post(url, json=body, headers=_bearer(garbage)), 401, "authorization")
    other = "vacancies:write" if scope == "profiles:write" else "profiles:write"
    _refused(client.post(url, json=body, headers=_bearer(_issue(db, "orienta@ong.org", f"{other} candidates:read"))),
             403, "scope", f"needs {scope}")

    token = _issue(db, "orienta@ong.org", scope)
    assert client.post(url, json=body, headers=_bearer(token)).status_code == 202
    with db.session() as s:
        revoke_token(s, s.scalars(select(ApiToken).where(ApiToken.scopes == scope)).one())
    _refused(client.post(url, json=body, headers=_bearer(token)), 401, "authorization", "revoked")   # at once

    expiring = _issue(db, "orienta@ong.org", scope, days=1)
    assert client.post(url, json=body, headers=_bearer(expiring)).status_code == 202
    with db.session() as s:
        row = s.scalars(select(ApiToken).where(ApiToken.revoked_at.is_(None), ApiToken.scopes == scope)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    _refused(client.post(url, json=body, headers=_bearer(expiring)), 401, "authorization", "expired")


def test_the_token_is_kept_only_as_its_hash_and_its_use_is_noted_cheaply(client, db, settings):
    _account(settings, "orienta@ong.org", admin=True)
    token = _issue(db, "orienta@ong.org", "profiles:write")
    assert re.fullmatch(r"pt_[A-Za-z0-9_-]{43}", token)
    with db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM api_tokens")).mappings().one()
    stored = " ".join(str(v) for v in row.values())
    assert token not in stored and token[10:] not in stored and token[-20:] not in stored
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and row["prefix"] == token[:10]
    assert row["last_used_at"] is None

    assert client.post("/api/v1/profiles", json=factories.profile(), headers=_bearer(token)).status_code == 202
    with db.session() as s:
        first = s.scalars(select(ApiToken.last_used_at)).one()
    assert first is not None and utcnow() - first < timedelta(minutes=1)
    assert client.post("/api/v1/profiles", json=factories.profile(), headers=_bearer(token)).status_code == 202
    with db.session() as s:
        assert s.scalars(select(ApiToken.last_used_at)).one() == first   # not written again within the minute


def test_a_token_follows_its_account(client, db, settings):
    _account(settings, "orienta@ong.org", admin=True)
    token = _issue(db, "orienta@ong.org", "profiles:write")
    with db.session() as s:
        s.scalars(select(User)).one().role = "employer"   # no longer a case worker: no longer submits profiles
    _refused(client.post("/api/v1/profiles", json=factories.profile(), headers=_bearer(token)), 403, "scope")
    with db.session() as s:
        s.scalars(select(User)).one().active = False
    _refused(client.post("/api/v1/profiles", json=factories.profile(), headers=_bearer(token)), 401, "authorization")
    with db.session() as s:
        s.delete(s.scalars(select(User)).one())
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0   # deleted with the account


def test_issuing_refuses_unknown_scopes_and_employers_get_no_profiles_write(db, settings):
    _account(settings, "rrhh@clinica.co", organisation="Clínica Santa Ana")
    with db.session() as s:
        user = s.scalars(select(User)).one()
        with pytest.raises(ValueError, match="profiles:read"):
            issue_token(s, user, "profiles:read", "x")
        with pytest.raises(ValueError):
            issue_token(s, user, "", "x")
        with pytest.raises(PermissionError):
            issue_token(s, user, ["vacancies:write", "profiles:write"], "x")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0
    with pytest.raises(ValueError):
        require_scope("everything")


def test_candidates_need_the_key_or_a_token_of_the_organisation_that_posted(app, client, db, settings, worker_state):
    from worker import jobs

    _account(settings, "rrhh@clinica.co", organisation="Clínica Santa Ana")
    _account(settings, "rrhh@otra.co", organisation="Otra Clínica")
    _account(settings, "orienta@ong.org", admin=True)
    mine = _issue(db, "rrhh@clinica.co", "vacancies:write candidates:read")
    posted = client.post("/api/v1/vacancies", json=factories.vacancy(employer="Hospital San José"),
                         headers=_bearer(mine)).get_json()
    with db.session() as s:
        vacancy = s.get(Vacancy, posted["id"])
        assert vacancy.employer.name == "Clínica Santa Ana"   # the token's organisation, not the name given
    factories.post(app.test_client(), "profiles", factories.profile())
    jobs.match_vacancy(posted["id"])

    url = f"/api/v1/vacancies/{posted['id']}/matches"
    ok = client.get(url, headers=_bearer(mine))
    assert ok.status_code == 200 and len(ok.get_json()["matches"]) == 1
    assert ok.get_json()["matches"][0]["candidate"]["city"] == "Cúcuta"
    for headers, query in (({"X-Vacancy-Key": posted["key"]}, ""), ({}, f"?key={posted['key']}"),
                           (_bearer(posted["key"]), "")):   # the key still opens it, however it comes
        assert client.get(url + query, headers=headers).get_json()["matches"] == ok.get_json()["matches"]

    theirs = _issue(db, "rrhh@otra.co", "candidates:read")
    _refused(client.get(url, headers=_bearer(theirs)), 403, "vacancy")   # the scope, but not their vacancy
    _refused(client.get(url, headers=_bearer(_issue(db, "orienta@ong.org", "candidates:read"))), 403, "vacancy")
    _refused(client.get(url, headers=_bearer(_issue(db, "rrhh@clinica.co", "vacancies:write"))), 403, "scope",
             "needs candidates:read")
    _refused(client.get(url), 401, "key")
    _refused(client.get(url, headers={"X-Vacancy-Key": "wrong"}), 401, "key")
    _refused(client.get(url, headers=_bearer("pt_" + "x" * 43)), 401, "authorization", "unknown token")


def test_what_stays_open_needs_no_token(client):
    public_id = factories.post(client, "profiles", factories.profile())
    vacancy_id = factories.post(client, "vacancies", factories.vacancy())
    for url in ("/api/v1/countries", f"/api/v1/vacancies/{vacancy_id}", f"/api/v1/profiles/{public_id}",
                f"/api/v1/profiles/{public_id}/matches", "/healthz"):
        assert client.get(url).status_code == 200, url
    assert client.put(f"/api/v1/profiles/{public_id}", json=factories.profile(city="Bogotá")).status_code == 202
    assert client.delete(f"/api/v1/profiles/{public_id}").status_code == 204   # the public id is the capability


def _make_on_page(client, **form):
    data = {"csrf_token": _csrf(client, "/cuenta/tokens"), "name": "ATS", "days": "", "password": "una-clave-larga"}
    data.update(form)
    return client.post("/cuenta/tokens", data=data)


def _no_token_for_a_wrong_form(client, db) -> None:
    page = client.get("/cuenta/tokens").get_data(as_text=True)
    assert 'value="vacancies:write"' in page and 'value="candidates:read"' in page
    assert 'value="profiles:write"' not in page
    assert _make_on_page(client, scopes=["vacancies:write", "profiles:write"]).status_code == 403
    assert _make_on_page(client, name="", scopes=[], days="0").status_code == 422
    assert _make_on_page(client, days="366", scopes=["candidates:read"]).status_code == 422   # a year at most
    # A copied session cookie alone does not make a token: the password is asked again.
    wrong = _make_on_page(client, scopes=["candidates:read"], password="no-es-la-clave")
    assert wrong.status_code == 422 and 'id="password-error"' in wrong.get_data(as_text=True)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0


def _a_token_shown_once(client, db) -> tuple[str, int]:
    resp = _make_on_page(client, scopes=["vacancies:write", "candidates:read"], days="30")
    assert resp.status_code == 200
    token = re.search(r'<code id="new-token">(pt_[\w-]+)</code>', resp.get_data(as_text=True)).group(1)
    posted = client.post("/api/v1/vacancies", json=factories.vacancy(), headers=_bearer(token))
    assert posted.status_code == 202
    assert "ICU nurse" in client.get("/cuenta/").get_data(as_text=True)   # filed under the account's organisation
    again = client.get("/cuenta/tokens").get_data(as_text=True)
    assert token not in again and f"{token[:10]}…" in again   # shown once; then only its prefix
    with db.session() as s:
        row = s.scalars(select(ApiToken)).one()
        assert row.expires_at - row.created_at == timedelta(days=30) and row.last_used_at is not None
        return token, row.id


def test_an_employer_makes_a_token_sees_it_once_and_revokes_it(app, client, db):
    _register(client)
    _no_token_for_a_wrong_form(client, db)
    token, row_id = _a_token_shown_once(client, db)

    other = app.test_client()
    _register(other, email="otra@empresa.co", organisation="Otra")
    assert other.post(f"/cuenta/tokens/{row_id}/revoke", data={"csrf_token": _csrf(other, "/cuenta/tokens")}
                      ).status_code == 404   # not theirs
    assert client.post("/api/v1/vacancies", json=factories.vacancy(), headers=_bearer(token)).status_code == 202
    assert client.post(f"/cuenta/tokens/{row_id}/revoke").status_code == 400   # no CSRF token
    resp = client.post(f"/cuenta/tokens/{row_id}/revoke", data={"csrf_token": _csrf(client, "/cuenta/tokens")})
    assert resp.status_code == 302
    _refused(client.post("/api/v1/vacancies", json=factories.vacancy(), headers=_bearer(token)), 401,
             "authorization", "revoked")
    assert "Revocado" in client.get("/cuenta/tokens").get_data(as_text=True)
    assert app.test_client().get("/cuenta/tokens").status_code == 302   # the page needs a login


def test_a_case_worker_may_make_a_profiles_write_token(client, db, settings):
    _account(settings, "orienta@ong.org", admin=True)
    _login(client, "orienta@ong.org", "clave-de-prueba-1")
    assert 'value="profiles:write"' in client.get("/cuenta/tokens").get_data(as_text=True)
    resp = _make_on_page(client, scopes=["profiles:write"], password="clave-de-prueba-1")
    token = re.search(r'<code id="new-token">(pt_[\w-]+)</code>', resp.get_data(as_text=True)).group(1)
    assert client.post("/api/v1/profiles", json=factories.profile(), headers=_bearer(token)).status_code == 202
    with db.session() as s:   # no expiry asked for: 90 days
        row = s.scalars(select(ApiToken)).one()
        assert row.expires_at - row.created_at == timedelta(days=90)


def test_the_command_line_makes_a_working_token(client, settings):
    _account(settings, "rrhh@clinica.co", organisation="Clínica Santa Ana")
    env = {**os.environ, "PUENTE_ENV": "test", "DATABASE_URL": settings.database_url, "REDIS_URL": settings.redis_url}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "scripts.create_token", "--email", "RRHH@clinica.co", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    made = run("--scopes", "vacancies:write candidates:read", "--name", "ATS", "--days", "7")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert re.fullmatch(r"pt_[\w-]{43}", token) and token not in made.stderr
    assert client.post("/api/v1/vacancies", json=factories.vacancy(), headers=_bearer(token)).status_code == 202
    refused = run("--scopes", "profiles:write", "--name", "CRM")
    assert refused.returncode == 2 and "profiles:write" in refused.stderr and "pt_" not in refused.stdout
