"""Compressed answers and cache headers (backend/compression.py, backend/headers.py, backend/vendor.py):
brotli or gzip on the dashboard's HTML, a Dash bundle and the API; identity without Accept-Encoding;
immutable static files by fingerprint; private, no-store tenant pages and data; Range requests
on the identity body; no compression of answers that carry a CSRF token or a one-time secret."""
from __future__ import annotations

import gzip
import re

import brotli
import pytest
from conftest import PASSWORD

IMMUTABLE = "public, max-age=31536000, immutable"
ALL = {"Accept-Encoding": "gzip, deflate, br, zstd"}  # what Chromium sends
DECODE = {"br": brotli.decompress, "gzip": gzip.decompress}


def _assets(client) -> list[str]:
    html = client.get("/dashboard/").get_data(as_text=True)
    return re.findall(r"""<(?:script|link)[^>]+(?:src|href)="([^"]+)\"""", html)


def _renderer(client) -> str:
    return next(a for a in _assets(client) if "dash_renderer" in a)


def _router_call(client, headers=None):
    from dashboard.callback_bodies import callback_body

    specs = client.get("/dashboard/_dash-dependencies").json
    body = callback_body(specs, "rb-page.children", {"rb-url.pathname": "/dashboard/"}, {"rb-url.search": ""},
                         changed="rb-url.pathname")
    return client.post("/dashboard/_dash-update-component", json=body, headers=headers or {})


def _decoded(resp) -> bytes:
    encoding = resp.headers.get("Content-Encoding")
    return DECODE[encoding](resp.data) if encoding else resp.data


def _same(body: bytes) -> bytes:
    """Without what is new on every answer: Dash's end_id (a signed random salt) and the CSRF
    token of the navbar's logout form (signed with the time, to the second)."""
    body = re.sub(rb'"end_id":"[^"]+"', b'"end_id":""', body)
    return re.sub(rb'"value":"[\w-]+\.[\w-]+\.[\w-]+"', b'"value":""', body)


def _assert_encoded(resp, encoding: str, identity: bytes, what: str):
    assert resp.status_code == 200, what
    assert resp.headers.get("Content-Encoding") == encoding, what
    assert "Accept-Encoding" in resp.headers["Vary"], what
    assert int(resp.headers["Content-Length"]) == len(resp.data) < len(identity), what
    assert _same(DECODE[encoding](resp.data)) == _same(identity), what


def test_html_bundle_and_api_are_compressed_br_or_gzip_and_identity_without_accept_encoding(tenant, login_as, api):
    owner = login_as(tenant, "owner")
    key = api(tenant.keys["admin"])
    renderer = _renderer(owner)
    cases = {
        "dashboard html": lambda h: owner.get("/dashboard/", headers=h),
        "dash bundle": lambda h: owner.get(renderer, headers=h),
        "api json": lambda h: key.get("/api/v1/api-keys", headers=h),
        "dash callback": lambda h: _router_call(owner, h),
    }
    for what, fetch in cases.items():
        plain = fetch({})
        assert plain.status_code == 200 and "Content-Encoding" not in plain.headers, what
        identity = plain.data
        assert len(identity) > 500, what
        _assert_encoded(fetch(ALL), "br", identity, what)
        _assert_encoded(fetch({"Accept-Encoding": "gzip, deflate"}), "gzip", identity, what)
        _assert_encoded(fetch({"Accept-Encoding": "gzip;q=1, br;q=0.5"}), "gzip", identity, what)
        for refused in ("identity", "br;q=0, gzip;q=0", "compress"):
            resp = fetch({"Accept-Encoding": refused})
            assert "Content-Encoding" not in resp.headers and _same(resp.data) == _same(identity), (what, refused)


def test_small_answers_are_sent_as_they_are(client):
    resp = client.get("/healthz", headers=ALL)
    assert resp.status_code == 200 and len(resp.data) < 500
    assert "Content-Encoding" not in resp.headers


def test_fingerprinted_assets_are_immutable_and_the_same_for_everyone(app, tenant, login_as):
    from backend.vendor import BOOTSTRAP_CSS_URL

    owner = login_as(tenant, "owner")
    assets = _assets(owner)
    suite = next(a for a in assets if re.search(r"/_dash-component-suites/.+\.v[\w-]+m[0-9a-f]+\.", a))
    dash_asset = next(a for a in assets if a.startswith("/dashboard/assets/dashboard.css?m="))
    manage = owner.get("/manage/companies").get_data(as_text=True)
    static = re.search(r'href="(/static/reachboard\.css\?v=[0-9a-f]{12})"', manage).group(1)
    assert BOOTSTRAP_CSS_URL in manage and BOOTSTRAP_CSS_URL in assets
    for url in (suite, dash_asset, BOOTSTRAP_CSS_URL, static):
        for headers in ({}, ALL):
            resp = owner.get(url, headers=headers)
            assert resp.status_code == 200, url
            assert resp.headers["Cache-Control"] == IMMUTABLE, url
            assert "Cookie" not in resp.headers.get("Vary", ""), url  # one copy for every visitor
            assert "Set-Cookie" not in resp.headers, url
    # Every file the dashboard's pages name by a fingerprint is immutable; the others are revalidated.
    fingerprinted = re.compile(r"[?&][mv]=[\w.]+$|/_dash-component-suites/.+\.v[\w-]+m[0-9a-f]+\.")
    for page in ("/dashboard/", f"/dashboard/company/{tenant.company_a.id}"):
        html = owner.get(page).get_data(as_text=True)
        for url in re.findall(r"""<(?:script|link)[^>]+(?:src|href)="(/[^"]+)\"""", html):
            resp = owner.get(url)
            if resp.headers.get("Cache-Control") == "private, no-store":
                continue  # a preloaded answer with data (_dash-layout, _dash-dependencies)
            expected = IMMUTABLE if fingerprinted.search(url) else "no-cache"
            assert resp.status_code == 200 and resp.headers["Cache-Control"] == expected, url
    # The same files by an old or missing fingerprint: served, but revalidated.
    for url in ("/vendor/bootstrap.min.css", "/vendor/bootstrap.min.css?v=0123456789ab",
                "/static/reachboard.css", dash_asset.split("?")[0] + "?m=1.5", "/api/v1/docs/assets/swagger-ui.css"):
        resp = owner.get(url)
        assert resp.status_code == 200 and resp.headers["Cache-Control"] == "no-cache", url
        assert resp.headers.get("ETag"), url


@pytest.mark.no_db
def test_a_fingerprint_changes_when_the_file_does(tmp_path):
    from backend.vendor import fingerprint

    path = tmp_path / "bootstrap.min.css"
    path.write_text("body { color: red }")
    first = fingerprint(path)
    assert fingerprint(path) == first and re.fullmatch(r"[0-9a-f]{12}", first)
    path.write_text("body { color: blue; }")
    assert fingerprint(path) != first


def test_tenant_pages_and_data_are_private_no_store(tenant, login_as, api):
    owner = login_as(tenant, "owner")
    key = api(tenant.keys["admin"])
    company = tenant.company_a.id
    export = key.get(f"/api/v1/companies/{company}/metrics/export?metric=followers&channel=all", headers=ALL)
    assert export.status_code == 200 and export.is_streamed
    assert "Content-Encoding" not in export.headers  # streamed: sent as it is
    assert export.get_data(as_text=True).startswith("date,")
    cases = {
        "dashboard html": (owner.get("/dashboard/", headers=ALL), "Cookie"),
        "company page": (owner.get(f"/dashboard/company/{company}", headers=ALL), "Cookie"),
        "dash layout": (owner.get("/dashboard/_dash-layout", headers=ALL), "Cookie"),
        "dash callback": (_router_call(owner, ALL), "Cookie"),
        "manage page": (owner.get("/manage/companies", headers=ALL), "Cookie"),
        "api json": (key.get("/api/v1/companies", headers=ALL), "Authorization"),
        "api json, by session": (owner.get("/api/v1/companies", headers=ALL), "Cookie"),
        "csv export": (export, "Authorization"),
        "login redirect": (login_as(tenant, "owner").application.test_client().get("/manage/companies"), "Cookie"),
    }
    for what, (resp, credential) in cases.items():
        assert resp.status_code in (200, 302), what
        assert resp.headers["Cache-Control"] == "private, no-store", what
        vary = {v.strip() for v in resp.headers["Vary"].split(",")}
        assert {"Cookie", "Authorization"} <= vary and credential in vary, what
        if resp.headers.get("Content-Encoding"):
            assert "Accept-Encoding" in vary, what


def test_a_range_request_is_answered_on_the_identity_body(tenant, login_as):
    from backend.vendor import BOOTSTRAP_CSS_URL

    owner = login_as(tenant, "owner")
    for url in (_renderer(owner), BOOTSTRAP_CSS_URL):
        whole = owner.get(url).data
        part = owner.get(url, headers={**ALL, "Range": "bytes=100-199"})
        assert part.status_code == 206, url
        assert "Content-Encoding" not in part.headers, url
        assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole)}", url
        assert part.data == whole[100:200], url
        tail = owner.get(url, headers={"Range": "bytes=-50"})
        assert tail.status_code == 206 and tail.data == whole[-50:], url
        for bad in (f"bytes={len(whole) + 10}-", "bytes=0-1,5-6", "lines=1-2"):
            resp = owner.get(url, headers={**ALL, "Range": bad})
            assert resp.status_code in (200, 416), (url, bad)  # ignored or refused, never a 500
            if resp.status_code == 416:
                assert resp.headers["Content-Range"] == f"bytes */{len(whole)}", (url, bad)
            else:
                assert _decoded(resp) == whole, (url, bad)
        # A compressed answer says it takes no ranges; resuming it by its ETag gets the whole body.
        compressed = owner.get(url, headers=ALL)
        assert compressed.headers["Accept-Ranges"] == "none"
        etag = compressed.headers.get("ETag")
        if etag:
            assert etag.endswith(':br"')
            again = owner.get(url, headers={**ALL, "If-None-Match": etag})
            assert again.status_code == 304, url
            resumed = owner.get(url, headers={**ALL, "Range": "bytes=100-", "If-Range": etag})
            assert resumed.status_code == 200 and _decoded(resumed) == whole, url


def _csrf_app(database_url):
    """CSRF on, and every answer of 100 bytes or more worth compressing: only the rule spares them."""
    from conftest import make_app

    return make_app(database_url, WTF_CSRF_ENABLED=True, COMPRESS_MIN_SIZE=100)


def test_pages_with_a_csrf_token_or_a_secret_are_not_compressed(app, database_url, tenant):
    """BREACH: a secret beside text an attacker can influence is never compressed (docs/security.md)."""
    csrf_app = _csrf_app(database_url)
    visitor = csrf_app.test_client()
    login_page = visitor.get("/login", headers=ALL)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login_page.get_data(as_text=True)).group(1)
    assert "Content-Encoding" not in login_page.headers
    assert visitor.post("/login", data={"email": tenant.emails["owner"], "password": PASSWORD,
                                        "csrf_token": token}).status_code == 302
    uid = tenant.users["member"].id
    pages = {
        "manage page": visitor.get("/manage/companies", headers=ALL),
        "account page": visitor.get("/account", headers=ALL),
        "person page": visitor.get(f"/manage/people/{uid}", headers=ALL),
    }
    token = re.search(r'name="csrf_token" value="([^"]+)"', pages["manage page"].get_data(as_text=True)).group(1)
    link_page = visitor.post(f"/manage/people/{uid}/link", data={"csrf_token": token}, headers=ALL)
    pages["new set-password link"] = link_page
    link = re.search(r"/set-password/[A-Za-z0-9_\-]+", link_page.get_data(as_text=True)).group(0)
    pages["set-password page"] = csrf_app.test_client().get(link, headers=ALL)
    for what, resp in pages.items():
        assert resp.status_code in (200, 201), what
        assert 'name="csrf_token"' in resp.get_data(as_text=True), what
        assert "Content-Encoding" not in resp.headers, what
    # The dashboard's HTML holds no token (dash-renderer reads it from the _csrf_token cookie): compressed.
    shell = visitor.get("/dashboard/", headers=ALL)
    cookie = visitor.get_cookie("_csrf_token", path="/dashboard/").value
    assert shell.headers["Content-Encoding"] == "br" and cookie.encode() not in brotli.decompress(shell.data)
    # A callback's answer holds the navbar's logout form with the token, but only the app's own
    # pages can ask for it (the X-CSRFToken header): compressed.
    answer = _router_call(visitor, {**ALL, "X-CSRFToken": cookie})
    assert answer.headers["Content-Encoding"] == "br" and b'"csrf_token"' in brotli.decompress(answer.data)
    # A new API key is shown once, beside the name its creator chose.
    created = csrf_app.test_client().post("/api/v1/api-keys", json={"name": "x" * 200, "scopes": ["read"]},
                                          headers={**ALL, "Authorization": f"Bearer {tenant.keys['admin']}"})
    assert created.status_code == 201 and tenant.keys["admin"] not in created.get_data(as_text=True)
    assert "Content-Encoding" not in created.headers


def test_any_body_holding_the_requests_csrf_token_stays_uncompressed(app):
    from flask import Response, g

    from backend.compression import _leave_uncompressed

    with app.test_request_context("/api/v1/companies", headers=ALL):
        g.csrf_token = "the-token"
        assert _leave_uncompressed(Response('{"a": "the-token"}' + " " * 600, mimetype="application/json"))
        assert not _leave_uncompressed(Response('{"a": "other"}' + " " * 600, mimetype="application/json"))
    with app.test_request_context("/dashboard/_dash-update-component", method="POST", headers=ALL):
        g.csrf_token = "the-token"
        assert not _leave_uncompressed(Response('{"a": "the-token"}' + " " * 600, mimetype="application/json"))
    with app.test_request_context("/api/v1/companies", headers=ALL):
        strong = Response("{}" + " " * 600, mimetype="application/json", headers={"ETag": '"3"'})
        assert _leave_uncompressed(strong)  # a revision sent back as If-Match stays as it is


def test_the_strategy_etag_stays_its_revision(tenant, api):
    key = api(tenant.keys["admin"])
    resp = key.get(f"/api/v1/companies/{tenant.company_a.id}/strategy", headers=ALL)
    assert resp.status_code == 200
    assert re.fullmatch(r'"\d+"', resp.headers["ETag"]) and "Content-Encoding" not in resp.headers


@pytest.mark.no_db
def test_static_files_are_compressed_once_then_remade_at_the_best_quality():
    from backend.compression import CompressedFiles

    files = CompressedFiles(10_000_000, fast_quality=1, best_quality=9, gzip_level=6)
    data = b"".join(b"function f%d(a){return a+%d}\n" % (i, i * 7) for i in range(5000))
    key = ("/dashboard/_dash-component-suites/x/x.v1m2.js", "x.v1m2.js", "br")
    first = files.get(key, data)
    assert brotli.decompress(first) == data
    assert files.wait(30)
    best = files.get(key, data)
    assert brotli.decompress(best) == data and len(best) < len(first)
    assert files.stats() == {"entries": 1, "bytes": len(best), "final": 1}
    # The same key with other content (a file changed under an unchanged URL): never the old bytes.
    changed = data.replace(b"return", b"yield ")
    assert brotli.decompress(files.get(key, changed)) == changed
    gz = files.get(key[:2] + ("gzip",), data)
    assert gzip.decompress(gz) == data


@pytest.mark.no_db
def test_the_cache_of_compressed_files_is_bounded():
    import os

    from backend.compression import CompressedFiles

    files = CompressedFiles(50_000, fast_quality=1, best_quality=1, gzip_level=1)
    for i in range(10):
        files.get((f"/static/{i}.js", "", "gzip"), os.urandom(20_000))  # incompressible: ~20 kB each
    stats = files.stats()
    assert stats["bytes"] <= 50_000 and stats["entries"] == 2
