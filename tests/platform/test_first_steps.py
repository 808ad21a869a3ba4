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


def test_the_portfolio_counts_each_companys_today_in_its_time_zone(app, tenant):
    """Issue 12, item 11: a company in UTC+14 and one in UTC−11 are a day or two apart; each
    row's period ends on that company's own today (as on its page) and staleness counts from it."""
    import datetime as dt

    from metrics_util import add_channels
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import Channel, Company, MetricPoint
    from backend.read_models import portfolio_page
    from backend.services.progress import company_today
    from backend.tenancy import Principal, acting_as

    a, b = tenant.company_a, tenant.company_b
    add_channels(app, tenant, ("fb",), company=a)
    add_channels(app, tenant, ("fb",), company=b)
    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        rows = {}
        for company, zone in ((a, "Pacific/Kiritimati"), (b, "Pacific/Pago_Pago")):
            row = db.session.get(Company, company.id)
            row.timezone = zone
            today = company_today(row)
            channel = db.session.scalars(select(Channel).where(Channel.company_id == row.id)).one()
            # Reach on the company's own today; its last data 4 days before (b) or on today (a).
            db.session.add(MetricPoint(company_id=row.id, channel_id=channel.id, metric="reach", date=today,
                                       value=100))
            rows[company.id] = today
        db.session.commit()
        view = {r["company_id"]: r for r in portfolio_page("7d").rows}
        for cid, today in rows.items():
            assert view[cid]["reach"] == 100, (cid, today)  # today counts, whatever the server's date
            assert view[cid]["last_data_date"] == today and view[cid]["stale"] is False
        stale_day = rows[b.id] - dt.timedelta(days=4)
        db.session.execute(db.delete(MetricPoint).where(MetricPoint.company_id == b.id))
        channel = db.session.scalars(select(Channel).where(Channel.company_id == b.id)).one()
        db.session.add(MetricPoint(company_id=b.id, channel_id=channel.id, metric="reach", date=stale_day, value=5))
        db.session.commit()
        assert {r["company_id"]: r for r in portfolio_page("7d").rows}[b.id]["stale"] is True


def test_a_narrowed_portfolio_never_widens_a_viewers_reach(app, tenant):
    import datetime as dt

    from backend.extensions import db
    from backend.models import User
    from backend.services import metrics
    from backend.tenancy import Principal, acting_as

    days = dt.date(2024, 1, 1), dt.date(2024, 1, 31)
    a, b = tenant.company_a.id, tenant.company_b.id
    with app.app_context():
        with acting_as(Principal.system(tenant.agency_id, "test")):
            user = db.session.get(User, tenant.users["viewer"].id)
        with acting_as(Principal.for_user(user, "viewer", [a])):
            assert metrics.portfolio(*days, among=[b]) == []
            assert [r["company_id"] for r in metrics.portfolio(*days, among=[a, b])] == [a]
            assert [r["company_id"] for r in metrics.portfolio(*days)] == [a]
