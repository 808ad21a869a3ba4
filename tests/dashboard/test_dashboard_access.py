"""Who may open the dashboard, over HTTP: sessions only, CSRF on callbacks, no CDN assets."""
from __future__ import annotations

import re

import pytest

DASH_JSON = ["/dashboard/_dash-layout", "/dashboard/_dash-dependencies"]
PAGES = ["/dashboard/", "/dashboard/company/00000000-0000-0000-0000-000000000000",
         "/dashboard/company/x/strategy", "/dashboard/anything"]


@pytest.mark.parametrize("path", PAGES)
def test_logged_out_pages_redirect_to_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=" + path[:10])


@pytest.mark.parametrize(
    "path", DASH_JSON + ["/dashboard/_dash-component-suites/dash/dash-renderer/build/dash_renderer.min.js"])
def test_logged_out_dash_routes_answer_401(client, path):
    resp = client.get(path)
    assert resp.status_code == 401
    assert b"props" not in resp.data and b"callback" not in resp.data


def test_logged_out_callback_post_answers_401(client):
    resp = client.post("/dashboard/_dash-update-component", json={"output": "rb-page.children", "inputs": []})
    assert resp.status_code == 401


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/_dash-layout", "/dashboard/_dash-dependencies"])
def test_api_keys_do_not_open_the_dashboard(api, tenant, path):
    resp = api(tenant.keys["admin"]).get(path)
    assert resp.status_code == 401
    assert "log in" in resp.get_data(as_text=True)


def test_api_key_cannot_call_a_callback(api, tenant):
    resp = api(tenant.keys["admin"]).post("/dashboard/_dash-update-component", json={
        "output": "rb-page.children", "outputs": {"id": "rb-page", "property": "children"},
        "inputs": [{"id": "rb-url", "property": "pathname", "value": f"/dashboard/company/{tenant.company_a.id}"}],
        "changedPropIds": ["rb-url.pathname"], "state": [{"id": "rb-url", "property": "search", "value": ""}]})
    assert resp.status_code == 401
    assert tenant.company_a.name not in resp.get_data(as_text=True)


def test_viewer_with_one_company_lands_on_it(login_as, tenant):
    resp = login_as(tenant, "viewer").get("/dashboard/")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/dashboard/company/{tenant.company_a.id}")


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)
ANY_URL = re.compile(r"https?://[^\s\"'<>\\]+", re.I)


def test_dashboard_assets_are_all_served_locally(login_as, tenant):
    client = login_as(tenant, "owner")
    html = client.get("/dashboard/").get_data(as_text=True)
    assert not EXTERNAL.search(html), EXTERNAL.search(html)
    for path in ("/dashboard/_dash-layout", "/dashboard/_dash-dependencies"):
        body = client.get(path).get_data(as_text=True)
        assert not ANY_URL.search(body), (path, ANY_URL.search(body))
    assets = re.findall(r"""<(?:script|link)[^>]+(?:src|href)="([^"]+)\"""", html)
    from backend.vendor import BOOTSTRAP_CSS_URL

    assert BOOTSTRAP_CSS_URL in assets and BOOTSTRAP_CSS_URL.startswith("/vendor/bootstrap.min.css?v=")
    assert any("dash-renderer" in a for a in assets) and any("dash_ag_grid" in a for a in assets)
    for url in assets:
        assert url.startswith("/"), url
        assert client.get(url).status_code == 200, url


def test_ag_grid_javascript_is_served_locally(login_as, tenant):
    from importlib.metadata import version

    client = login_as(tenant, "owner")
    deps = client.get("/dashboard/_dash-layout")
    assert deps.status_code == 200
    resp = client.get(f"/dashboard/_dash-component-suites/dash_ag_grid/dash_ag_grid.min.js?v={version('dash_ag_grid')}")
    assert resp.status_code == 200 and len(resp.data) > 100_000


# --- CSRF (production behaviour: Flask-WTF on) -----------------------------------------------
@pytest.fixture
def csrf_app(app, database_url):
    from conftest import make_app

    return make_app(database_url, WTF_CSRF_ENABLED=True)


def _login_with_csrf(client, email):
    from conftest import PASSWORD

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302


ROUTER_CALL = {
    "output": "rb-page.children", "outputs": {"id": "rb-page", "property": "children"},
    "inputs": [{"id": "rb-url", "property": "pathname", "value": "/dashboard/nowhere"}],
    "changedPropIds": ["rb-url.pathname"], "state": [{"id": "rb-url", "property": "search", "value": ""}],
}


def test_callbacks_need_the_csrf_token_dash_renderer_sends(csrf_app, tenant):
    client = csrf_app.test_client()
    _login_with_csrf(client, tenant.emails["owner"])
    resp = client.get("/dashboard/")
    assert resp.status_code == 200
    cookie_header = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("_csrf_token="))
    assert "HttpOnly" not in cookie_header and "SameSite=Lax" in cookie_header
    token = client.get_cookie("_csrf_token", path="/dashboard/").value

    assert client.post("/dashboard/_dash-update-component", json=ROUTER_CALL).status_code == 400
    assert client.post("/dashboard/_dash-update-component", json=ROUTER_CALL,
                       headers={"X-CSRFToken": "forged"}).status_code == 400
    ok = client.post("/dashboard/_dash-update-component", json=ROUTER_CALL, headers={"X-CSRFToken": token})
    assert ok.status_code == 200
    assert "Not found" in ok.get_data(as_text=True)


def test_no_csrf_cookie_for_logged_out_visitors(csrf_app):
    resp = csrf_app.test_client().get("/dashboard/")
    assert not any(h.startswith("_csrf_token=") for h in resp.headers.getlist("Set-Cookie"))
