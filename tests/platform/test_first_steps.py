"""What a new person meets first (issue 12, items 14 and 16): a set-password link logs them in,
an error page lets them move on or log out, every page has an icon, a channel's address is a link."""
from __future__ import annotations

import re

from conftest import login


def test_setting_a_password_logs_the_person_in(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    body = owner.post("/api/v1/users", json={"email": "new.viewer@acme.test", "role": "viewer",
                                              "company_ids": [str(tenant.company_a.id)]}).json
    visitor = app.test_client()
    resp = visitor.post(f"/set-password/{body['set_password_token']}",
                        data={"password": "my-own-secret-1", "confirm": "my-own-secret-1"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/dashboard/"
    assert visitor.get("/api/v1/me").json["email"] == "new.viewer@acme.test"  # no second login needed


def test_the_403_page_has_a_way_on_and_a_way_out(app, tenant):
    viewer = login(app.test_client(), tenant.emails["viewer"])
    resp = viewer.get("/manage/companies")
    assert resp.status_code == 403
    html = resp.get_data(as_text=True)
    assert 'href="/dashboard/"' in html and 'href="/account"' in html
    assert re.search(r'<form method="post" action="/logout"', html)


def test_every_page_has_an_icon(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.data[:4] == b"\x00\x00\x01\x00"  # an ICO
    html = client.get("/login").get_data(as_text=True)
    for href in re.findall(r'<link rel="icon" href="([^"]+)"', html):
        assert client.get(href).status_code == 200, href


def test_a_channels_web_address_is_a_link(app, tenant, login_as):
    owner = login_as(tenant, "owner")
    cid = tenant.company_a.id
    owner.post(f"/api/v1/companies/{cid}/channels", json={"key": "blog", "platform": "blog",
                                                          "url": "https://blog.example/acme"})
    html = owner.get(f"/manage/companies/{cid}/channels").get_data(as_text=True)
    assert ('<a href="https://blog.example/acme" target="_blank" rel="noopener noreferrer" '
            'data-testid="channel-url">') in html
