"""What a job seeker can do through their private link: edit, export, renew the link, delete."""
from __future__ import annotations

import re

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
