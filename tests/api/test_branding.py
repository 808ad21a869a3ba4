"""Agency branding: the API, logo checks by content, /manage, tenant isolation and the viewer's navbar."""
from __future__ import annotations

import io

import pytest

SVG_OK = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10">'
          b'<defs><linearGradient id="g"><stop offset="0" stop-color="#fff"/></linearGradient></defs>'
          b'<rect width="10" height="10" fill="url(#g)"/></svg>')
SVG_BAD = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
    "external href": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                     b'<use xlink:href="https://evil.test/x.svg#a"/></svg>',
    "external url()": b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.test/p)"/></svg>',
    "foreignObject": b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p>hi</p></foreignObject></svg>',
    "entity": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]><svg>&x;</svg>',
}


def image(fmt: str, size=(40, 20)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (26, 115, 232)).save(buf, fmt)
    return buf.getvalue()


def upload(client, content: bytes, name: str = "logo.png"):
    return client.put("/api/v1/agency/branding/logo", data={"logo": (io.BytesIO(content), name)},
                      content_type="multipart/form-data")


def field_error(resp, field: str) -> str:
    assert resp.status_code == 422, (resp.status_code, resp.get_data(as_text=True)[:500])
    assert resp.mimetype == "application/problem+json"
    messages = [e["message"] for e in resp.json["errors"] if e["field"] == field]
    assert messages, resp.json
    return " ".join(messages)


def test_get_defaults_and_put_replaces(tenant, login_as):
    owner = login_as(tenant, "owner")
    got = owner.get("/api/v1/agency/branding")
    assert got.status_code == 200
    assert got.json == {"display_name": "Acme Agency", "primary_color": "", "email_sender_name": "", "footer": "",
                        "logo_type": "", "logo_url": None}
    put = owner.put("/api/v1/agency/branding", json={"display_name": "Acme Social", "primary_color": "#1a73e8",
                                                      "email_sender_name": "Acme reports", "footer": "Acme · Umeå"})
    assert put.status_code == 200
    assert put.json["primary_color"] == "#1A73E8" and put.json["display_name"] == "Acme Social"
    # PUT replaces: a field left out returns to its default.
    assert owner.put("/api/v1/agency/branding", json={"footer": "Only this"}).json == {
        "display_name": "Acme Agency", "primary_color": "", "email_sender_name": "", "footer": "Only this",
        "logo_type": "", "logo_url": None}


@pytest.mark.parametrize(("body", "field"), [
    ({"primary_color": "blue"}, "primary_color"), ({"primary_color": "#12345"}, "primary_color"),
    ({"primary_color": "#GGGGGG"}, "primary_color"), ({"display_name": "x" * 101}, "display_name"),
    ({"footer": "x" * 201}, "footer"), ({"email_sender_name": "x" * 101}, "email_sender_name"),
    ({"logo": "x"}, "logo"),
])
def test_bad_fields_answer_422_naming_the_field(tenant, api, body, field):
    field_error(api(tenant.keys["admin"]).put("/api/v1/agency/branding", json=body), field)


@pytest.mark.parametrize(("fmt", "mime"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("SVG", "image/svg+xml")])
def test_logo_upload_and_fingerprinted_download(tenant, login_as, fmt, mime):
    owner = login_as(tenant, "owner")
    content = SVG_OK if fmt == "SVG" else image(fmt)
    resp = upload(owner, content, "whatever.bin")  # the name says nothing; the content decides
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.json["logo_type"] == mime
    url = resp.json["logo_url"]
    assert url.startswith("/api/v1/agency/branding/logo?v=")
    viewer = login_as(tenant, "viewer")
    got = viewer.get(url)
    assert got.status_code == 200 and got.data == content and got.mimetype == mime
    assert got.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert "default-src 'none'" in got.headers["Content-Security-Policy"]
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert viewer.get("/api/v1/agency/branding/logo").headers["Cache-Control"] == "private, no-store"
    assert viewer.get("/api/v1/agency/branding/logo?v=0000000000000000").status_code == 404


def test_logo_refused_by_content_and_size(tenant, login_as):
    owner = login_as(tenant, "owner")
    assert "not a PNG, JPEG or SVG" in field_error(
        upload(owner, b"<html><script>alert(1)</script></html>", "logo.png"), "logo")
    assert "damaged" in field_error(upload(owner, image("PNG")[:60], "logo.png"), "logo")
    big = image("PNG") + b"\0" * (1024 * 1024)
    assert "at most 1 MB" in field_error(upload(owner, big), "logo")
    field_error(owner.put("/api/v1/agency/branding/logo", data={}, content_type="multipart/form-data"), "logo")
    assert owner.put("/api/v1/agency/branding/logo", json={"logo": "x"}).status_code == 415
    assert owner.get("/api/v1/agency/branding").json["logo_url"] is None  # nothing was stored


@pytest.mark.parametrize("case", sorted(SVG_BAD))
def test_malicious_svg_is_refused(tenant, login_as, case):
    owner = login_as(tenant, "owner")
    assert "SVG" in field_error(upload(owner, SVG_BAD[case], "logo.svg"), "logo")
    assert owner.get("/api/v1/agency/branding/logo").status_code == 404


def test_only_owners_and_admins_change_it_and_other_agencies_see_none_of_it(tenants, login_as, api):
    acme, globex = tenants
    admin = login_as(acme, "admin")
    assert admin.put("/api/v1/agency/branding", json={"display_name": "Acme Social"}).status_code == 200
    assert upload(login_as(acme, "owner"), image("PNG")).status_code == 200
    for who in (login_as(acme, "member"), login_as(acme, "viewer"), api(acme.keys["write"]),
                api(acme.keys["company_a:write"])):
        assert who.put("/api/v1/agency/branding", json={"display_name": "Hijacked"}).status_code == 403
        assert upload(who, image("PNG")).status_code == 403
        assert who.get("/api/v1/agency/branding").json["display_name"] == "Acme Social"
    # Globex reads and changes only its own.
    globex_owner = login_as(globex, "owner")
    assert globex_owner.get("/api/v1/agency/branding").json["display_name"] == "Globex Agency"
    assert globex_owner.get("/api/v1/agency/branding/logo").status_code == 404
    assert globex_owner.put("/api/v1/agency/branding", json={"display_name": "Globex Social"}).status_code == 200
    assert login_as(acme, "viewer").get("/api/v1/agency/branding").json["display_name"] == "Acme Social"


def test_manage_page_saves_shows_errors_and_previews(tenant, login_as):
    owner = login_as(tenant, "owner")
    page = owner.get("/manage/branding")
    assert page.status_code == 200 and 'data-testid="branding-preview"' in page.get_data(as_text=True)
    bad = owner.post("/manage/branding", data={"display_name": "Acme", "primary_color": "red"})
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'data-field="primary_color"' in body and "#RRGGBB" in body
    assert owner.post("/manage/branding", data={"display_name": "Acme Social", "primary_color": "#0F9D58"}
                      ).status_code == 302
    bad = owner.post("/manage/branding/logo", data={"logo": (io.BytesIO(SVG_BAD["script"]), "logo.svg")},
                     content_type="multipart/form-data")
    assert bad.status_code == 422 and 'data-field="logo"' in bad.get_data(as_text=True)
    assert owner.post("/manage/branding/logo", data={"logo": (io.BytesIO(image("PNG")), "logo.png")},
                      content_type="multipart/form-data").status_code == 302
    body = owner.get("/manage/branding").get_data(as_text=True)
    assert "background-color: #0F9D58" in body and 'data-testid="branding-logo"' in body
    assert login_as(tenant, "member").get("/manage/branding").status_code == 403


def test_the_client_viewers_navbar_shows_the_logo_and_colour(app, tenant, login_as):
    from flask_login import login_user

    from backend.auth.principal import principal_for_user
    from backend.extensions import db
    from backend.models import User
    from backend.tenancy import acting_as, cross_tenant
    from dashboard.pages.common import navbar

    owner = login_as(tenant, "owner")
    owner.put("/api/v1/agency/branding", json={"display_name": "Acme Social", "primary_color": "#FFD700"})
    url = upload(owner, image("PNG")).json["logo_url"]
    with app.test_request_context("/dashboard/"):
        with cross_tenant("test: load the viewer"):
            user = db.session.get(User, tenant.users["viewer"].id)
        login_user(user)
        with acting_as(principal_for_user(user)):
            bar = str(navbar().to_plotly_json())
    assert url in bar and "#FFD700" in bar and "Acme Social" in bar
    assert "dark=False" in bar  # gold is light: dark text on it
