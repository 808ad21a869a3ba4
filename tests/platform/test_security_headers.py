"""Security headers on every kind of response (the browser side is tests/browser/test_security_browser.py)."""
from __future__ import annotations

import re

from conftest import make_app


def _csp(resp) -> dict[str, list[str]]:
    policy = resp.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def _common(resp, what):
    assert resp.headers["X-Frame-Options"] == "DENY", what
    assert resp.headers["X-Content-Type-Options"] == "nosniff", what
    csp = _csp(resp)
    assert csp["frame-ancestors"] == ["'none'"], what
    assert csp["default-src"] == ["'self'"] and csp["object-src"] == ["'none'"], what
    assert "'unsafe-inline'" not in csp["script-src"], what
    assert not any(src.startswith("http") or src == "*" for src in csp["script-src"]), what
    return csp


def test_every_kind_of_response_carries_the_headers(app, tenant, login_as, api, client):
    owner = login_as(tenant, "owner")
    cases = {
        "login page": client.get("/login"),
        "redirect": client.get("/"),
        "health": client.get("/healthz"),
        "404 page": client.get("/nope"),
        "static file": client.get("/static/reachboard.css"),
        "vendor asset": client.get("/vendor/bootstrap.min.css"),
        "api json": api(tenant.keys["read"]).get("/api/v1/companies"),
        "api problem": client.get("/api/v1/companies"),
        "openapi": client.get("/api/v1/openapi.json"),
        "api docs": client.get("/api/v1/docs"),
        "admin page": owner.get("/manage/companies"),
        "account page": owner.get("/account"),
        "dashboard": owner.get("/dashboard/"),
        "dash json": owner.get("/dashboard/_dash-layout"),
    }
    for what, resp in cases.items():
        assert resp.status_code < 500, what
        csp = _common(resp, what)
        assert resp.headers["Referrer-Policy"] == "same-origin", what
        assert "Strict-Transport-Security" not in resp.headers, what  # not outside production
        if what.startswith("dash"):
            assert "'unsafe-eval'" in csp["script-src"], what
        else:
            assert "'unsafe-eval'" not in csp["script-src"], what


def test_dash_inline_script_is_allowed_by_its_hash_and_nothing_else_is_inline(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    page = owner.get("/dashboard/")
    csp = _csp(page)
    hashes = [s for s in csp["script-src"] if s.startswith("'sha256-")]
    assert hashes == list(app.extensions["reachboard_dashboard"].csp_hashes())
    html = re.sub(r"<!--.*?-->", "", page.get_data(as_text=True), flags=re.S)  # IE's conditional comment
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html)
    assert len(inline) == len(hashes)
    for path in ("/login", "/account", "/manage/companies", "/api/v1/docs"):
        text = owner.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\son[a-z]+=\"", text), path  # no inline event handlers either


def test_set_password_pages_send_no_referrer(client):
    resp = client.get("/set-password/not-a-real-token")
    assert resp.status_code == 404
    assert resp.headers["Referrer-Policy"] == "no-referrer"


def test_hsts_under_production(database_url, monkeypatch):
    from config import ProductionConfig

    monkeypatch.setenv("SECRET_KEY", "production-secret-for-the-test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    settings = ProductionConfig().as_dict()
    prod = make_app(database_url, **{k: v for k, v in settings.items() if k != "SQLALCHEMY_DATABASE_URI"})
    resp = prod.test_client().get("/login")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31536000")
