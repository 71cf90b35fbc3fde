"""What a job seeker can do through their private link: edit, export, renew the link, delete."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Profile
from tests import factories


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _created(client) -> str:
    return factories.post(client, "profiles", factories.profile())


def test_edit_form_shows_what_was_saved_and_saves_changes(client, db):
    pid = _created(client)
    html = client.get(f"/profiles/{pid}/edit").get_data(as_text=True)
    assert "Editar mi perfil" in html and 'value="Enfermera de cuidados intensivos"' in html
    assert '<option value="CO:ppt" selected>' in html and 'value="VE" selected' in html
    form = {"csrf_token": _token(html), "country": "PE", "city": "Lima", "summary": "Enfermera en Lima",
            "job-0-title": "Enfermera", "job-0-years": "7", "status": "PE:cpp", "consent": "on"}
    resp = client.post(f"/profiles/{pid}/edit", data=form)
    assert resp.status_code == 302 and "saved=1" in resp.headers["Location"]
    with db.session() as s:
        p = s.scalars(select(Profile).where(Profile.public_id == pid)).one()
        assert (p.country, p.city, p.legal_status, p.jobs[0]["years"]) == ("PE", "Lima", "cpp", 7.0)
        assert p.updated_at > p.created_at
    bad = client.post(f"/profiles/{pid}/edit", data={**form, "country": ""})
    assert bad.status_code == 422 and "Este campo es obligatorio." in bad.get_data(as_text=True)


def test_an_edit_keeps_the_consent_given_for_the_same_text(client, db, settings):
    """Issue 15: every edit failed until consent was ticked again."""
    pid = _created(client)
    html = client.get(f"/profiles/{pid}/edit").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="consent"[^>]*checked', html)
    # Submitting the form as it comes (only the city changed) saves.
    form = {"csrf_token": _token(html), "country": "CO", "city": "Bogotá", "summary": "Enfermera",
            "consent": "on", "status": "CO:ppt"}
    assert client.post(f"/profiles/{pid}/edit", data=form).status_code == 302
    # A new consent text must be accepted anew: the box is not ticked for them.
    with db.session() as s:
        s.execute(Profile.__table__.update().where(Profile.public_id == pid).values(consent_version="2020-old"))
    html = client.get(f"/profiles/{pid}/edit").get_data(as_text=True)
    assert not re.search(r'<input[^>]*name="consent"[^>]*checked', html)


def test_api_put_replaces_the_profile(client):
    pid = _created(client)
    resp = client.put(f"/api/v1/profiles/{pid}", json=factories.profile(city="Bogotá", skills=["triaje"]))
    assert resp.status_code == 202
    got = client.get(f"/api/v1/profiles/{pid}").get_json()
    assert got["city"] == "Bogotá" and got["skills"] == ["triaje"]
    assert client.put(f"/api/v1/profiles/{pid}", json={"country": "CO"}).status_code == 422
    assert client.put("/api/v1/profiles/nope", json=factories.profile()).status_code == 404


def test_export_has_everything_kept_about_the_person(client):
    pid = _created(client)
    resp = client.get(f"/profiles/{pid}/export")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    body = resp.get_json()
    assert body["id"] == pid and body["nationalities"] == ["VE"] and body["status"] == "ppt"
    assert body["consent"]["version"] and body["matches"] == [] and body["matching"]["status"] == "queued"


def test_a_new_private_link_retires_the_old_one(client):
    pid = _created(client)
    html = client.get(f"/profiles/{pid}").get_data(as_text=True)
    resp = client.post(f"/profiles/{pid}/link", data={"csrf_token": _token(html)})
    new = re.search(r"/profiles/([^?]+)\?newlink=1", resp.headers["Location"]).group(1)
    assert new != pid
    assert client.get(f"/profiles/{pid}").status_code == 404
    assert client.get(f"/api/v1/profiles/{pid}").status_code == 404
    assert "nuevo enlace privado" in client.get(f"/profiles/{new}?newlink=1").get_data(as_text=True)


def test_delete_removes_everything(client, db):
    pid = _created(client)
    html = client.get(f"/profiles/{pid}").get_data(as_text=True)
    assert client.post(f"/profiles/{pid}/delete", data={"csrf_token": _token(html)}).status_code == 302
    assert client.get(f"/profiles/{pid}").status_code == 200   # not confirmed: nothing deleted
    client.post(f"/profiles/{pid}/delete", data={"csrf_token": _token(html), "confirm": "on"})
    assert client.get(f"/profiles/{pid}").status_code == 404
    assert client.get(f"/profiles/{pid}/export").status_code == 404
    with db.session() as s:
        assert s.scalars(select(Profile)).first() is None


def test_editing_keeps_what_the_form_cannot_show(client, db):
    many = factories.profile(
        jobs=[{"title": f"Empleo {i}", "years": i} for i in range(1, 6)],
        languages=[{"code": c, "level": "basic"} for c in ("es", "en", "pt", "fr")],
        nationalities=["VE", "CO", "ES"],
        education={"level": "TSU", "country": "VE", "recognised_in": ["PE", "CL"]})
    pid = factories.post(client, "profiles", many)
    html = client.get(f"/profiles/{pid}/edit").get_data(as_text=True)
    assert 'name="job-4-title"' in html and 'name="lang-3-code"' in html
    from werkzeug.datastructures import MultiDict

    from web.pages.forms import profile_to_form
    with db.session() as s, client.application.app_context():
        form = profile_to_form(s.scalars(select(Profile).where(Profile.public_id == pid)).one())
    form = MultiDict([*form.items(multi=True), ("csrf_token", _token(html))])   # consent kept (issue 15)
    assert client.post(f"/profiles/{pid}/edit", data=form).status_code == 302
    got = client.get(f"/api/v1/profiles/{pid}").get_json()
    assert len(got["jobs"]) == 5 and len(got["languages"]) == 4
    assert got["nationalities"] == ["VE", "CO", "ES"]
    assert set(got["education"]["recognised_in"]) == {"PE", "CL"} and got["education"]["degree"] == "TSU"


def test_english_page_errors_are_sentences_not_api_messages(client):
    html = client.get("/profiles/new?lang=en").get_data(as_text=True)
    resp = client.post("/profiles/new?lang=en", data={"csrf_token": _token(html), "country": "CO", "summary": "Cook",
                                                       "consent": "on", "job-0-title": "Cook", "job-0-years": "many",
                                                       "status": "CO:martian"})
    text = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Give a valid number." in text
    assert "Input should be" not in text and "Valid values for CO" not in text
    assert "Choose your status in the country where you live (Colombia)" in text


@pytest.fixture
def smtp_server():
    """A real SMTP server on localhost (aiosmtpd) that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    handler = Keep()
    import socket

    with socket.socket() as probe:   # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield f"smtp://127.0.0.1:{port}", handler
    controller.stop()


def test_the_private_link_is_mailed_and_the_address_is_not_kept(settings, make_app, db, smtp_server):
    from dataclasses import replace

    url, handler = smtp_server
    client = make_app(replace(settings, smtp_url=url)).test_client()
    html = client.get("/profiles/new").get_data(as_text=True)
    form = {"csrf_token": _token(html), "country": "CO", "summary": "Cocinera", "consent": "on",
            "email": "ana@example.org"}
    resp = client.post("/profiles/new", data=form)
    assert resp.status_code == 302 and "mailed=1" in resp.headers["Location"]
    pid = re.search(r"/profiles/([^?]+)", resp.headers["Location"]).group(1)
    (rcpt, body), = handler.messages
    assert rcpt == ["ana@example.org"] and f"/profiles/{pid}" in body.replace("=\n", "")
    with db.session() as s:
        row = s.scalars(select(Profile).where(Profile.public_id == pid)).one()
        assert "ana@example.org" not in repr([getattr(row, c.key) for c in Profile.__table__.columns])
    bad = client.post("/profiles/new", data={**form, "email": "no es correo"})
    assert bad.status_code == 422 and 'id="email-error"' in bad.get_data(as_text=True)


def test_without_a_mail_server_the_page_says_so(client):
    html = client.get("/profiles/new").get_data(as_text=True)
    resp = client.post("/profiles/new", data={"csrf_token": _token(html), "country": "CO", "summary": "Cocinera",
                                              "consent": "on", "email": "ana@example.org"})
    assert "mailed=0" in resp.headers["Location"]
    assert "No pudimos enviar el correo" in client.get(resp.headers["Location"]).get_data(as_text=True)
