"""Errors under /api are RFC 9457 problem+json (never a traceback); pages get HTML error pages."""
from __future__ import annotations

import io

import pytest
from conftest import make_app


def _is_problem(resp, status):
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:300])
    assert resp.mimetype == "application/problem+json"
    body = resp.json
    assert body["status"] == status
    assert body["title"] and body["type"]
    return body


def test_unknown_api_route_and_wrong_method(api, tenant):
    admin = api(tenant.keys["admin"])
    _is_problem(admin.get("/api/v1/no-such-thing"), 404)
    body = _is_problem(admin.put("/api/v1/companies", json={}), 405)
    assert "method" in body["detail"].lower()
    # Without credentials an unknown API route is still a problem+json 404, not a login redirect.
    resp = admin.client.get("/api/v1/no-such-thing")
    _is_problem(resp, 404)


def test_body_over_5_mib_is_413_with_the_limit(api, tenant):
    admin = api(tenant.keys["admin"])
    big = b'{"name": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    body = _is_problem(admin.post("/api/v1/companies", data=big, content_type="application/json"), 413)
    assert "5242880" in body["detail"] and "5 MiB" in body["detail"]
    # The same without a Content-Length (chunked transfer).
    resp = admin.post("/api/v1/companies", input_stream=io.BytesIO(big), content_type="application/json",
                      headers={"Transfer-Encoding": "chunked"}, environ_base={"wsgi.input_terminated": True})
    _is_problem(resp, 413)
    assert len(admin.get("/api/v1/companies").json) == 2  # nothing was created


def test_wrong_content_type_is_415(api, tenant):
    admin = api(tenant.keys["admin"])
    body = _is_problem(admin.post("/api/v1/companies", data="name=Foo",
                                  content_type="application/x-www-form-urlencoded"), 415)
    assert "application/json" in body["detail"]
    _is_problem(admin.patch(f"/api/v1/companies/{tenant.company_a.id}", data='{"name": "Foo"}',
                            content_type="text/plain"), 415)


@pytest.mark.parametrize(("payload", "field"), [
    ({"name": "X", "agency_id": "00000000-0000-0000-0000-000000000001"}, "agency_id"),
    ({"name": "X", "id": "00000000-0000-0000-0000-000000000001"}, "id"),
    ({"name": "X", "colour": "red"}, "colour"),
    ({"name": 5}, "name"),
    ({"name": "X", "archived": "maybe"}, "archived"),
    ({"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
    ({}, "name"),
])
def test_validation_errors_are_422_naming_the_field(api, tenant, payload, field):
    admin = api(tenant.keys["admin"])
    body = _is_problem(admin.post("/api/v1/companies", json=payload), 422)
    assert {"field": field, "message": body["errors"][0]["message"]} in body["errors"]
    assert all(set(e) == {"field", "message"} for e in body["errors"])
    assert field in body["detail"]


@pytest.mark.parametrize("raw", ['{"name": ', "not json at all", "[1, 2", "{'name': 'x'}"])
def test_malformed_json_is_a_clear_4xx(api, tenant, raw):
    admin = api(tenant.keys["admin"])
    resp = admin.post("/api/v1/companies", data=raw, content_type="application/json")
    assert resp.status_code in (400, 422)
    body = _is_problem(resp, resp.status_code)
    assert "JSON" in body["detail"]


def test_json_that_is_not_an_object_is_422(api, tenant):
    admin = api(tenant.keys["admin"])
    body = _is_problem(admin.post("/api/v1/companies", data="[1, 2]", content_type="application/json"), 422)
    assert body["errors"]


def test_bad_query_parameters_are_422(api, tenant):
    admin = api(tenant.keys["admin"])
    body = _is_problem(admin.get("/api/v1/companies?page=abc"), 422)
    assert body["errors"][0]["field"] == "page"
    body = _is_problem(admin.get("/api/v1/companies?page_size=100000"), 422)
    assert body["errors"][0]["field"] == "page_size"


def test_rate_limit_is_a_429_problem(database_url, app, tenant):
    limited = make_app(database_url, API_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    headers = {"Authorization": f"Bearer {tenant.keys['read']}"}
    statuses = [client.get("/api/v1/companies", headers=headers).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    resp = client.get("/api/v1/me", headers=headers)
    body = _is_problem(resp, 429)
    assert "3 per 1 minute" in body["detail"]
    assert resp.headers.get("Retry-After")
    # Another key has its own budget; the session app keeps its own limits and storage.
    other = {"Authorization": f"Bearer {tenant.keys['write']}"}
    assert client.get("/api/v1/me", headers=other).status_code == 200
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 200


def test_login_rate_limit_survives_another_app_in_the_process(database_url, app, client):
    """Flask-Limiter state is per app: building an app with limits off changes nothing here."""
    strict = make_app(database_url, LOGIN_RATE_LIMIT="2 per minute")
    make_app(database_url, RATELIMIT_ENABLED=False)
    c = strict.test_client()
    statuses = [c.post("/login", data={"email": "nobody@x.test", "password": "wrong-password"}).status_code
                for _ in range(3)]
    assert statuses == [401, 401, 429]
    # The session app (a generous login limit) is unaffected by the strict app's counters.
    assert client.post("/login", data={"email": "nobody@x.test", "password": "wrong-password"}).status_code == 401


@pytest.fixture
def failing_app(database_url, app):
    """A separate app with a test-only route that raises."""
    other = make_app(database_url)

    @other.get("/api/v1/_test_boom")
    def _api_boom():
        raise RuntimeError("secret internal detail /srv/app.py line 42")

    @other.get("/_test_boom_page")
    def _page_boom():
        raise RuntimeError("secret internal detail /srv/app.py line 42")

    from backend.auth.principal import PUBLIC_ENDPOINTS

    PUBLIC_ENDPOINTS.update({"_api_boom", "_page_boom"})
    yield other
    PUBLIC_ENDPOINTS.difference_update({"_api_boom", "_page_boom"})


def test_500_is_problem_json_without_traceback(failing_app, caplog):
    client = failing_app.test_client()
    resp = client.get("/api/v1/_test_boom")
    body = _is_problem(resp, 500)
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and "secret internal detail" not in text and "RuntimeError" not in text
    assert body["detail"] == "An unexpected error occurred. It has been logged."
    assert any("unhandled error" in r.getMessage() for r in caplog.records)  # logged for operators


def test_pages_get_html_error_pages(failing_app, client):
    resp = client.get("/no-such-page")
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    assert "404 — Not found" in resp.get_data(as_text=True)  # the title in the reader's language (en here)
    resp = failing_app.test_client().get("/_test_boom_page")
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    text = resp.get_data(as_text=True)
    assert "Traceback" not in text and "secret internal detail" not in text


def test_a_row_deleted_meanwhile_is_a_404_not_a_500(database_url, tenant):
    """A request that finds its row gone halfway (another request deleted it) answers 404."""
    from conftest import make_app
    from sqlalchemy.exc import NoResultFound
    from sqlalchemy.orm.exc import StaleDataError

    app = make_app(database_url)
    for name, error in (("gone", NoResultFound), ("stale", StaleDataError)):
        def view(error=error):
            raise error("the row is not there any more")

        app.add_url_rule(f"/api/v1/_test_{name}", f"test_{name}", view)
    client = app.test_client()
    key = {"Authorization": f"Bearer {tenant.keys['admin']}"}
    for name in ("gone", "stale"):
        body = _is_problem(client.get(f"/api/v1/_test_{name}", headers=key), 404)
        assert "deleted meanwhile" in body["detail"]
