"""The alert list page (/alerts) and the bell on the /manage pages: what staff and a client viewer
see, the filters, marking read one by one and all at once (CSRF like every form), bad input."""
from __future__ import annotations

import re

import pytest
from alert_world import add_alert
from conftest import PASSWORD, make_app


@pytest.fixture
def world(app, tenants):
    a, b = tenants
    a.alerts = {
        "hidden": add_alert(app, a.agency_id, a.company_a.id, title="Goal slipped", severity="critical"),
        "shown": add_alert(app, a.agency_id, a.company_a.id, kind="stale_data", visible_to_clients=True,
                           title="Channel went quiet"),
        "sibling": add_alert(app, a.agency_id, a.company_b.id, kind="spike", visible_to_clients=True,
                             title="Crisis watch fired"),
    }
    add_alert(app, b.agency_id, b.company_a.id, visible_to_clients=True, title="Globex alert")
    return a, b


def _listed(html: str) -> list[str]:
    return re.findall(r'data-testid="alert-link">([^<]+)</a>', html)


def _unread(html: str) -> int:
    return int(re.search(r'data-testid="alert-bell" data-unread="(\d+)"', html).group(1))


def test_staff_list_their_agencys_alerts_with_the_bell(world, login_as):
    a, _ = world
    owner = login_as(a, "owner")
    page = owner.get("/alerts").get_data(as_text=True)
    assert sorted(_listed(page)) == ["Channel went quiet", "Crisis watch fired", "Goal slipped"]
    assert "Globex" not in page and _unread(page) == 3
    assert f'href="/dashboard/company/{a.company_a.id}?channel=facebook"' in page
    # The /manage pages carry the same bell.
    assert _unread(owner.get("/manage/companies").get_data(as_text=True)) == 3


def test_a_client_viewer_lists_only_alerts_meant_for_their_company(world, login_as):
    a, _ = world
    viewer = login_as(a, "viewer")
    page = viewer.get("/alerts").get_data(as_text=True)
    assert _listed(page) == ["Channel went quiet"] and _unread(page) == 1
    assert a.company_b.name not in page
    # The company's report pages ring the same bell.
    assert _unread(viewer.get(f"/companies/{a.company_a.id}/reports").get_data(as_text=True)) == 1
    # Filtering by the sibling company's id shows nothing of it (an id out of reach is ignored).
    assert _listed(viewer.get(f"/alerts?company={a.company_b.id}").get_data(as_text=True)) == ["Channel went quiet"]
    assert viewer.post(f"/alerts/{a.alerts['hidden']}/read").status_code == 404
    assert viewer.post(f"/alerts/{a.alerts['sibling']}/read").status_code == 404
    assert viewer.post(f"/alerts/{a.alerts['shown']}/read").status_code == 303
    assert _unread(viewer.get("/alerts").get_data(as_text=True)) == 0


def test_filters_and_junk_filters(world, login_as):
    a, _ = world
    member = login_as(a, "member")
    assert _listed(member.get(f"/alerts?company={a.company_b.id}").get_data(as_text=True)) == ["Crisis watch fired"]
    assert _listed(member.get("/alerts?kind=goal_status").get_data(as_text=True)) == ["Goal slipped"]
    for junk in ("?company=nope", "?kind=%00", "?read=maybe", "?company=" + "9" * 400):
        resp = member.get("/alerts" + junk)
        assert resp.status_code in (200, 422), junk
        if resp.status_code == 200:
            assert len(_listed(resp.get_data(as_text=True))) == 3, junk


def test_mark_one_read_then_all_read(world, login_as):
    a, _ = world
    member = login_as(a, "member")
    resp = member.post(f"/alerts/{a.alerts['hidden']}/read", data={"kind": "goal_status"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/alerts?kind=goal_status")
    assert _listed(member.get("/alerts?read=read").get_data(as_text=True)) == ["Goal slipped"]
    assert sorted(_listed(member.get("/alerts?read=unread").get_data(as_text=True))) == [
        "Channel went quiet", "Crisis watch fired"]
    # All read of one company only, then all.
    member.post("/alerts/read", data={"company": str(a.company_b.id)})
    assert _listed(member.get("/alerts?read=unread").get_data(as_text=True)) == ["Channel went quiet"]
    member.post("/alerts/read", data={})
    page = member.get("/alerts").get_data(as_text=True)
    assert _unread(page) == 0 and 'data-read="false"' not in page
    # Another person's marks are their own.
    assert _unread(login_as(a, "owner").get("/alerts").get_data(as_text=True)) == 3
    assert member.post("/alerts/00000000-0000-0000-0000-000000000000/read").status_code == 404


def test_api_keys_do_not_open_the_alert_pages(world, api):
    a, _ = world
    assert api(a.keys["admin"]).get("/alerts").status_code == 403
    assert api(a.keys["admin"]).post("/alerts/read").status_code in (400, 403)


def test_marking_read_needs_the_pages_csrf_token(database_url, world):
    a, _ = world
    csrf_app = make_app(database_url, WTF_CSRF_ENABLED=True)
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"email": a.emails["owner"], "password": PASSWORD, "csrf_token": token})
    assert client.post(f"/alerts/{a.alerts['hidden']}/read").status_code == 400
    assert client.post("/alerts/read").status_code == 400
    page = client.get("/alerts").get_data(as_text=True)
    assert _unread(page) == 3
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/alerts/{a.alerts['hidden']}/read", data={"csrf_token": token}).status_code == 303
    assert _unread(client.get("/alerts").get_data(as_text=True)) == 2
    from backend.extensions import db

    with csrf_app.app_context():
        db.session.remove()
