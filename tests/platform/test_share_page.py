"""The public share page /s/<token>: exactly the linked report or board and nothing else of the
app; the same 404 for unknown, expired and revoked links; PINs asked for, refused alike, then
rate limited; no cookie, noindex, no referrer; views counted."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import update

TODAY = dt.datetime.now(dt.UTC).date()
LAST_MONTH_END = TODAY.replace(day=1) - dt.timedelta(days=1)
LAST_MONTH = (LAST_MONTH_END.replace(day=1), LAST_MONTH_END)
ASSET_PREFIXES = ("/static/", "/vendor/", "data:")


@pytest.fixture
def world(app, tenants):
    """Acme's company A with 90 days of data and two reports; the names of everything else."""
    from dashboard_seed import seed_company

    from backend.extensions import db
    from backend.models import Report
    from backend.services.branding import update_branding
    from backend.tenancy import Principal, acting_as

    acme, globex = tenants
    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        seed_company(acme.company_a.id, days=90)
        update_branding({"display_name": "Acme Social", "primary_color": "#1A73E8"})
        reports = {}
        earlier = (LAST_MONTH[0] - dt.timedelta(days=30), LAST_MONTH[0] - dt.timedelta(days=1))
        for name, (start, end) in (("last", LAST_MONTH), ("earlier", earlier)):
            report = Report(company_id=acme.company_a.id, period_kind="custom", period_start=start, period_end=end,
                            status="ready", commentary=f"Commentary of the {name} report.")
            db.session.add(report)
            db.session.commit()
            reports[name] = report.id
    return {"acme": acme, "globex": globex, "reports": reports,
            "elsewhere": [acme.company_b.name, *(c.name for c in globex.companies), "Globex"]}


def make_link(app, tenant, **fields):
    from backend.services.share_links import create_share_link
    from backend.tenancy import Principal, acting_as

    with app.app_context(), acting_as(Principal.system(tenant.agency_id, "test")):
        link, token = create_share_link(tenant.company_a.id, **fields)
        return link.id, token


def report_link(app, world, **extra):
    return make_link(app, world["acme"], kind="report", report_id=world["reports"]["last"], **extra)


def board_link(app, world, **extra):
    return make_link(app, world["acme"], kind="board", board_from=TODAY - dt.timedelta(days=60),
                     board_to=TODAY - dt.timedelta(days=1), **extra)


def references(html: str) -> list[str]:
    return re.findall(r'(?:src|href|action)\s*=\s*"([^"]*)"', html)


def assert_reaches_nothing_else(html: str, world) -> None:
    for name in world["elsewhere"]:
        assert name not in html, name
    assert "/api/" not in html and "_dash-" not in html and "/dashboard" not in html and "/manage" not in html
    for ref in references(html):
        assert ref.startswith(ASSET_PREFIXES), ref
    assert '<meta name="robots" content="noindex' in html


def assert_share_headers(resp) -> None:
    assert "Set-Cookie" not in resp.headers, resp.headers.get("Set-Cookie")
    assert "noindex" in resp.headers["X-Robots-Tag"]
    assert resp.headers["Referrer-Policy"] == "no-referrer"
    assert resp.headers["Cache-Control"] == "private, no-store"
    assert "connect-src 'none'" in resp.headers["Content-Security-Policy"]


def test_a_report_link_shows_that_report_only(app, world, client):
    _link_id, token = report_link(app, world)
    resp = client.get(f"/s/{token}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:2000]
    html = resp.get_data(as_text=True)
    assert "Commentary of the last report." in html and "Commentary of the earlier report." not in html
    assert world["acme"].company_a.name in html and "Acme Social" in html
    assert 'data-chart="followers"' in html and "chart-data-followers" in html
    assert_reaches_nothing_else(html, world)
    assert_share_headers(resp)
    # Every asset it names is served to a stranger, without a cookie.
    for ref in references(html):
        if not ref.startswith("data:"):
            asset = app.test_client().get(ref)
            assert asset.status_code == 200 and "Set-Cookie" not in asset.headers, ref


def test_a_board_link_shows_the_dashboards_numbers_for_its_range(app, world, client, api):
    _link_id, token = board_link(app, world)
    html = client.get(f"/s/{token}").get_data(as_text=True)
    assert_reaches_nothing_else(html, world)
    for chart in ("followers", "reach", "engagement", "goals"):
        assert f'data-chart="{chart}"' in html, chart
    start, end = TODAY - dt.timedelta(days=60), TODAY - dt.timedelta(days=1)
    summary = api(world["acme"].keys["read"]).get(
        f"/api/v1/companies/{world['acme'].company_a.id}/metrics/summary?from={start}&to={end}").json
    from backend.read_models.report_text import value_text

    by_metric = {m["metric"]: m for m in summary["metrics"]}
    for metric, unit in (("followers", None), ("reach", None), ("engagement_rate", "ratio")):
        card = re.search(rf'data-metric="{metric}">.*?rb-card-value">([^<]*)<', html, re.S)
        assert card and card.group(1) == value_text(by_metric[metric]["value"], unit), metric


def test_unknown_expired_and_revoked_links_get_the_same_404(app, world, client):
    from backend.extensions import db
    from backend.models import ShareLink
    from backend.services.share_links import revoke_share_link
    from backend.tenancy import Principal, acting_as, cross_tenant

    expired_id, expired = report_link(app, world)
    revoked_id, revoked = board_link(app, world)
    with app.app_context():
        with cross_tenant("test"):
            db.session.execute(update(ShareLink).where(ShareLink.id == expired_id)
                               .values(expires_at=dt.datetime(2020, 1, 1)))
            db.session.commit()
        with acting_as(Principal.system(world["acme"].agency_id, "test")):
            revoke_share_link(world["acme"].company_a.id, revoked_id)
    answers = [client.get(f"/s/{t}") for t in (expired, revoked, "x" * 43, expired[:-1] + "A", "short", "ä" * 30)]
    assert {a.status_code for a in answers} == {404}
    assert len({a.get_data() for a in answers}) == 1
    html = answers[0].get_data(as_text=True)
    assert "This link does not work" in html and "Commentary" not in html
    for a in answers:
        assert_share_headers(a)
    # A PIN sent to a dead link is the same 404, not a PIN answer.
    assert client.post(f"/s/{revoked}", data={"pin": "1234"}).get_data() == answers[0].get_data()


def test_a_pin_is_asked_for_refused_alike_then_rate_limited(app, world, client, login_as):
    app.config["SHARE_PIN_RATE_LIMIT"] = "3 per 15 minutes"
    try:
        link_id, token = report_link(app, world, pin="2468")
        _other_id, other = board_link(app, world, pin="1357")
        form = client.get(f"/s/{token}")
        assert form.status_code == 200 and 'name="pin"' in form.get_data(as_text=True)
        assert "Commentary" not in form.get_data(as_text=True)
        wrong = [client.post(f"/s/{token}", data={"pin": pin}) for pin in ("0000", "2469", "")]
        assert {w.status_code for w in wrong} == {403}
        assert len({w.get_data() for w in wrong}) == 1 and "That PIN is not right" in wrong[0].get_data(as_text=True)
        for w in wrong:
            assert_share_headers(w)
        # The limit is reached: even the right PIN waits now (429, Retry-After), for this link only.
        limited = client.post(f"/s/{token}", data={"pin": "2468"})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
        text = limited.get_data(as_text=True)
        assert "Too many attempts" in text and "Commentary" not in text
        assert_share_headers(limited)
        assert client.post(f"/s/{other}", data={"pin": "1357"}).status_code == 200
        # Wrong PINs are shown to staff.
        listed = login_as(world["acme"], "owner").get(f"/api/v1/companies/{world['acme'].company_a.id}/share-links")
        assert {link["id"]: link["wrong_pins"] for link in listed.json}[str(link_id)] == 3
    finally:
        app.config["SHARE_PIN_RATE_LIMIT"] = "5 per 15 minutes"


def test_the_right_pin_shows_the_page(app, world, client):
    _link_id, token = report_link(app, world, pin="2468")
    resp = client.post(f"/s/{token}", data={"pin": "2468"})
    assert resp.status_code == 200 and "Commentary of the last report." in resp.get_data(as_text=True)
    assert_reaches_nothing_else(resp.get_data(as_text=True), world)
    assert_share_headers(resp)


def test_no_cookie_even_for_a_logged_in_visitor_and_views_are_counted(app, world, login_as):
    from backend.services.share_links import list_share_links
    from backend.tenancy import Principal, acting_as

    link_id, token = board_link(app, world)
    owner = login_as(world["acme"], "owner")
    for resp in (owner.get(f"/s/{token}"), owner.post(f"/s/{token}"), owner.get(f"/s/{token}x"),
                 owner.head(f"/s/{token}")):
        assert resp.status_code in (200, 404)
        assert_share_headers(resp)
        # The page shows what any recipient sees: nothing of the visitor's own login.
        assert world["acme"].emails["owner"] not in resp.get_data(as_text=True)
    with app.app_context(), acting_as(Principal.system(world["acme"].agency_id, "test")):
        (link,) = list_share_links(world["acme"].company_a.id)
        assert link.view_count == 2 and link.last_viewed_at is not None
        assert dt.datetime.now(dt.UTC).replace(tzinfo=None) - link.last_viewed_at < dt.timedelta(minutes=1)


def test_the_page_acts_as_a_read_only_principal_of_that_company(app, world):
    from backend.services.share_links import resolve, share_principal

    link_id, token = board_link(app, world)
    with app.app_context():
        link = resolve(token)
        principal = share_principal(link)
    assert principal.company_ids == frozenset({world["acme"].company_a.id})
    assert principal.agency_id == world["acme"].agency_id
    assert principal.grants == frozenset({"read", "channels:list"}) and not principal.is_staff
    assert not principal.can("write")
