"""/manage/companies/<id>/share-links: the list with views, a form whose errors sit under their
fields (the API's rules), the new link shown once and working, and revoking."""
from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
from admin_world import TODAY, seed


@pytest.fixture
def world(app, tenant):
    return tenant, seed(app, tenant)


def field_error(html: str, field: str) -> str | None:
    m = re.search(rf'<div class="invalid-feedback d-block" data-field="{re.escape(field)}">([^<]*)</div>', html)
    return html_lib.unescape(m.group(1).strip()) if m else None


def page_url(ids) -> str:
    return f"/manage/companies/{ids['company_id']}/share-links"


def links(app):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import ShareLink
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test"):
        return db.session.scalars(select(ShareLink)).all()


@pytest.mark.parametrize(("form", "field", "words"), [
    ({"kind": "board", "board_from": "2026-05-10", "board_to": "2026-05-01"}, "board_to", "ends before it starts"),
    ({"kind": "board", "board_from": "2026-05-01", "board_to": "2026-05-10", "expires_in_days": "120"},
     "expires_in_days", "1 to 90 days"),
    ({"kind": "board", "board_from": "2026-05-01", "board_to": "2026-05-10", "expires_in_days": "soon"},
     "expires_in_days", "whole number"),
    ({"kind": "report", "report_id": ""}, "report_id", "Choose the report"),
    ({"kind": "board", "board_from": "2026-05-01", "board_to": "2026-05-10", "pin": "12"}, "pin", "4 to 32"),
])
def test_errors_sit_under_their_field_and_nothing_is_made(app, world, login_as, form, field, words):
    tenant, ids = world
    before = len(links(app))
    resp = login_as(tenant, "owner").post(page_url(ids), data={"expires_in_days": "30", **form})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert words in (field_error(html, field) or ""), (field, html[:3000])
    assert 'data-testid="new-share-link"' not in html
    assert 'value="12"' not in html  # a PIN is never echoed back
    assert len(links(app)) == before


def test_the_new_link_is_shown_once_and_opens_the_board(app, world, login_as):
    tenant, ids = world
    owner = login_as(tenant, "owner")
    resp = owner.post(page_url(ids), data={"kind": "board", "board_from": (TODAY - dt.timedelta(days=7)).isoformat(),
                                           "board_to": TODAY.isoformat(), "expires_in_days": "10",
                                           "label": "For the board meeting"})
    assert resp.status_code == 201
    html = resp.get_data(as_text=True)
    shown = re.search(r'value="http://localhost/s/([A-Za-z0-9_-]{43})" data-testid="new-share-link-value"', html)
    assert shown, html[:3000]
    token = shown.group(1)
    # Shown once: the list page afterwards carries the link's note and views, not its token.
    listed = owner.get(page_url(ids)).get_data(as_text=True)
    assert "For the board meeting" in listed and token not in listed
    assert app.test_client().get(f"/s/{token}").status_code == 200
    row = next(r for r in re.findall(r'<tr data-link="[^"]+">.*?</tr>', owner.get(page_url(ids)).get_data(as_text=True),
                                     re.S) if "For the board meeting" in r)
    assert re.search(r'data-testid="views">1<', row)


def test_revoking_from_the_page_ends_the_link(app, world, login_as):
    from backend.services.share_links import create_share_link
    from backend.tenancy import Principal, acting_as

    tenant, ids = world
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        link, token = create_share_link(ids["company_id"], kind="board", board_from=TODAY - dt.timedelta(days=3),
                                        board_to=TODAY)
        link_id = link.id
    owner = login_as(tenant, "owner")
    assert app.test_client().get(f"/s/{token}").status_code == 200
    resp = owner.post(f"{page_url(ids)}/{link_id}/revoke")
    assert resp.status_code == 302
    assert app.test_client().get(f"/s/{token}").status_code == 404
    page = owner.get(page_url(ids)).get_data(as_text=True)
    assert "revoked" in page
    # A member may make and revoke links too; the page shows them the form.
    assert 'action="' + page_url(ids) + '"' in login_as(tenant, "member").get(page_url(ids)).get_data(as_text=True)
