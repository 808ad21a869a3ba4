"""/manage's Stored data page (issue 12, item 16): the stored points of one channel and metric,
and deleting a wrong day, the shown range or the whole series — each after a confirmation that
says how many points of which channel, metric and days go, then a flash saying how many went.
Errors sit next to their field; client viewers get 403 and other agencies 404, and neither
changes a row."""
from __future__ import annotations

import html as html_lib
import re

import pytest
from admin_world import audit_actions, fingerprint
from metrics_util import add_channels, pt, push, stored

BLOG = [pt("blog", "followers", f"2024-05-0{d}", v) for d, v in ((1, 8200), (2, 8210), (3, 1200), (4, 8228),
                                                                 (5, 8235))]
OTHERS = [pt("blog", "reach", "2024-05-03", 900), pt("fb", "followers", "2024-05-03", 500)]


@pytest.fixture
def world(app, client, tenants):
    for tenant in tenants:
        add_channels(app, tenant, ("blog", "fb"))
        resp = push(client, tenant.company_a, BLOG + OTHERS, Authorization=f"Bearer {tenant.keys['write']}")
        assert resp.status_code == 200, resp.json
    return tenants


def url(tenant, tail="") -> str:
    return f"/manage/companies/{tenant.company_a.id}/points{tail}"


def page_text(resp) -> str:
    """The page's visible words, tags dropped and white space folded."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", resp.get_data(as_text=True), flags=re.S)
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", body)).split())
    return re.sub(r" ([,.:;?!])", r"\1", text)  # "<strong>blog</strong>," reads "blog,"


def rows(resp) -> list[tuple[str, str, str]]:
    """(date, value shown, exact value on hover) of each row of the points table."""
    found = re.findall(r'<tr data-date="([\d-]+)">\s*<td[^>]*>[\d-]+</td>\s*<td[^>]*><span title="([^"]*)"[^>]*>'
                       r'([^<]*)</span>', resp.get_data(as_text=True))
    return [(day, shown, exact) for day, exact, shown in found]


def field_error(resp, field: str) -> str | None:
    m = re.search(rf'<div class="invalid-feedback d-block" data-field="{re.escape(field)}">([^<]*)</div>',
                  resp.get_data(as_text=True))
    return html_lib.unescape(m.group(1).strip()) if m else None


def blog_days(app, tenant) -> list[str]:
    return sorted(d for (c, m, d) in stored(app, tenant) if (c, m) == ("blog", "followers"))


def form(**over) -> dict:
    return {"channel": "blog", "metric": "followers", "from": "", "to": "", **over}


# --- the page ---------------------------------------------------------------------------------
def test_the_page_lists_the_stored_points_newest_first(app, world, login_as):
    acme = world[0]
    owner = login_as(acme, "owner")
    resp = owner.get(url(acme), query_string={"channel": "blog", "metric": "followers"})
    assert resp.status_code == 200
    assert rows(resp) == [("2024-05-05", "8.2k", "8,235"), ("2024-05-04", "8.2k", "8,228"),
                          ("2024-05-03", "1.2k", "1,200"), ("2024-05-02", "8.2k", "8,210"),
                          ("2024-05-01", "8.2k", "8,200")]
    text = page_text(resp)
    assert "5 stored points of Followers on blog: 2024-05-01 to 2024-05-05." in text
    body = resp.get_data(as_text=True)
    assert '<div class="rb-scroll-x"><table' in body
    assert body.count('data-testid="delete-day"') == 5
    assert 'data-testid="delete-series"' in body and 'data-testid="delete-range"' not in body  # no range asked
    # Its tab sits with the company's other tabs, and opens on the first channel's followers.
    assert re.search(r'<a class="nav-link active" href="/manage/companies/[^"]+/points">Stored data</a>', body)
    default = owner.get(url(acme))
    assert rows(default) == rows(resp)
    assert 'option value="blog" selected' in default.get_data(as_text=True)


def test_a_range_is_shown_and_can_be_deleted_as_shown(app, world, login_as):
    acme = world[0]
    owner = login_as(acme, "owner")
    resp = owner.get(url(acme), query_string=form(**{"from": "2024-05-02", "to": "2024-05-03"}))
    assert [r[0] for r in rows(resp)] == ["2024-05-03", "2024-05-02"]
    assert "2 stored points of Followers on blog from 2024-05-02 to 2024-05-03" in page_text(resp)
    assert "Delete these 2 points" in page_text(resp)
    confirm = owner.post(url(acme, "/delete"), data=form(**{"from": "2024-05-02", "to": "2024-05-03",
                                                          "shown_from": "2024-05-02", "shown_to": "2024-05-03"}))
    assert "Delete 2 stored points?" in page_text(confirm)
    assert "Followers on the channel blog, from 2024-05-02 to 2024-05-03: 2 points" in page_text(confirm)
    done = owner.post(url(acme, "/delete"), data=form(**{"from": "2024-05-02", "to": "2024-05-03",
                                                       "shown_from": "2024-05-02", "shown_to": "2024-05-03",
                                                       "confirm": "yes", "expected": "2"}))
    assert done.status_code == 302
    assert done.headers["Location"].endswith("/points?channel=blog&metric=followers&from=2024-05-02&to=2024-05-03")
    back = owner.get(done.headers["Location"])
    assert "Deleted 2 stored points of Followers on blog from 2024-05-02 to 2024-05-03." in page_text(back)
    assert "Nothing stored for Followers on blog from 2024-05-02 to 2024-05-03." in page_text(back)
    assert blog_days(app, acme) == ["2024-05-01", "2024-05-04", "2024-05-05"]


def test_deleting_a_wrong_day_asks_first_then_says_how_many_went(app, world, login_as):
    acme, globex = world
    owner = login_as(acme, "owner")
    before = fingerprint(app)
    day = form(**{"from": "2024-05-03", "to": "2024-05-03"})
    confirm = owner.post(url(acme, "/delete"), data=day)
    assert confirm.status_code == 200
    text = page_text(confirm)
    assert "Delete 1 stored point?" in text
    assert "Followers on the channel blog, on 2024-05-03: 1 point." in text
    assert "2024-05-03: 1.2k" in text and "This cannot be undone" in text
    assert 'data-testid="points"' not in confirm.get_data(as_text=True)  # the confirmation, not the list
    assert re.search(r'name="expected" value="1"', confirm.get_data(as_text=True))
    assert fingerprint(app) == before  # asking deletes nothing
    done = owner.post(url(acme, "/delete"), data={**day, "confirm": "yes", "expected": "1"})
    assert done.status_code == 302
    back = owner.get(done.headers["Location"])
    assert "Deleted 1 stored point of Followers on blog on 2024-05-03." in page_text(back)
    assert [r[0] for r in rows(back)] == ["2024-05-05", "2024-05-04", "2024-05-02", "2024-05-01"]
    # The blog's reach that day, fb's followers and the other agency are untouched.
    assert stored(app, acme)[("blog", "reach", "2024-05-03")] == 900
    assert stored(app, acme)[("fb", "followers", "2024-05-03")] == 500
    assert len(stored(app, globex)) == len(BLOG + OTHERS)
    assert audit_actions(app, acme.agency_id)[-1] == "metrics.delete"


def test_the_whole_series(app, world, login_as):
    acme = world[0]
    owner = login_as(acme, "owner")
    confirm = owner.post(url(acme, "/delete"), data=form())
    text = page_text(confirm)
    assert "Delete 5 stored points?" in text
    assert "Followers on the channel blog, in the whole series: 5 points, stored from 2024-05-01 to 2024-05-05." in text
    assert 'data-testid="confirm-points"' in confirm.get_data(as_text=True)  # few enough to list
    done = owner.post(url(acme, "/delete"), data={**form(), "confirm": "yes", "expected": "5"})
    back = owner.get(done.headers["Location"])
    assert "Deleted 5 stored points of Followers on blog in the whole series." in page_text(back)
    assert blog_days(app, acme) == []
    # Nothing left: the confirmation says so and offers no button.
    again = owner.post(url(acme, "/delete"), data=form())
    assert "there is nothing to delete" in page_text(again)
    assert 'data-testid="confirm-form"' not in again.get_data(as_text=True)


def test_data_that_changed_meanwhile_is_not_deleted(app, world, login_as, client):
    acme = world[0]
    owner = login_as(acme, "owner")
    owner.post(url(acme, "/delete"), data=form())  # shown: 5 points
    push(client, acme.company_a, [pt("blog", "followers", "2024-05-06", 8240)],
         Authorization=f"Bearer {acme.keys['write']}")
    resp = owner.post(url(acme, "/delete"), data={**form(), "confirm": "yes", "expected": "5"})
    assert resp.status_code == 409
    text = page_text(resp)
    assert "The stored data changed meanwhile" in text and "now holds 6 points, not 5" in text
    assert "Delete 6 stored points?" in text
    assert len(blog_days(app, acme)) == 6


def test_a_long_series_is_paged(app, client, tenant, login_as):
    import datetime as dt

    add_channels(app, tenant, ("blog",))
    start = dt.date(2023, 1, 1)
    points = [pt("blog", "followers", (start + dt.timedelta(days=i)).isoformat(), 1000 + i) for i in range(150)]
    push(client, tenant.company_a, points, Authorization=f"Bearer {tenant.keys['write']}")
    owner = login_as(tenant, "owner")
    first = owner.get(url(tenant))
    assert len(rows(first)) == 100 and "Page 1 of 2" in page_text(first)
    older = re.search(r'href="([^"]+page=2[^"]*)">Older</a>', first.get_data(as_text=True))
    second = owner.get(html_lib.unescape(older.group(1)))
    assert len(rows(second)) == 50 and rows(second)[-1][0] == "2023-01-01"
    # A page past the end (say, an old link after a deletion) shows the last one.
    for page in ("3", "1000000000"):
        late = owner.get(url(tenant), query_string={"page": page})
        assert late.status_code == 200 and rows(late) == rows(second) and "Page 2 of 2" in page_text(late)


# --- errors next to their field -----------------------------------------------------------------
@pytest.mark.parametrize(("params", "field", "words"), [
    ({"from": "2024-13-01"}, "from", "YYYY-MM-DD"),
    ({"from": "1999-12-31"}, "from", "2000-01-01 to 2100-12-31"),
    ({"from": "2024-05-31", "to": "2024-05-01"}, "from", "on or before the last day"),
    ({"metric": "engagement_rate"}, "metric", "computed from engagements, reach"),
    ({"channel": "instagram"}, "channel", "No channel 'instagram'"),
])
def test_errors_sit_next_to_their_field(app, world, login_as, params, field, words):
    acme = world[0]
    owner = login_as(acme, "owner")
    before = fingerprint(app)
    for resp in (owner.get(url(acme), query_string=form(**params)),
                 owner.post(url(acme, "/delete"), data=form(**params)),
                 owner.post(url(acme, "/delete"), data={**form(**params), "confirm": "yes", "expected": "1"})):
        assert resp.status_code == 422
        assert words in (field_error(resp, field) or ""), page_text(resp)[:600]
        assert 'data-testid="confirm-form"' not in resp.get_data(as_text=True)
    assert fingerprint(app) == before


# --- who may ----------------------------------------------------------------------------------
def test_a_client_viewer_gets_403_and_nothing_changes(app, world, login_as):
    acme = world[0]
    viewer = login_as(acme, "viewer")  # a client viewer of company A
    before = fingerprint(app)
    assert viewer.get(url(acme)).status_code == 403
    assert viewer.post(url(acme, "/delete"), data=form()).status_code == 403
    assert viewer.post(url(acme, "/delete"), data={**form(), "confirm": "yes", "expected": "5"}).status_code == 403
    assert fingerprint(app) == before


def test_every_route_as_another_agency_is_404_and_changes_nothing(app, world, login_as):
    from backend.admin import bp

    acme, globex = world
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith(f"{bp.name}.")
              and r.endpoint.split(".")[1] in ("points", "delete_points")]
    assert {r.endpoint for r in routes} == {"admin.points", "admin.delete_points"}
    intruders = {role: login_as(globex, role) for role in ("owner", "member")}
    viewer = login_as(acme, "viewer")
    before = fingerprint(app)  # after the logins, which record their time
    for role, intruder in intruders.items():
        for rule in routes:
            path = rule.rule.replace("<uuid:company_id>", str(acme.company_a.id))
            for data in (form(), {**form(), "confirm": "yes", "expected": "5"}):
                resp = intruder.open(path, method="POST" if "POST" in rule.methods else "GET", data=data)
                assert resp.status_code == 404, (role, path)
                assert acme.company_a.name not in resp.get_data(as_text=True)
    # A client viewer on the sibling company of their own agency: 404 too.
    assert viewer.get(f"/manage/companies/{acme.company_b.id}/points").status_code == 404
    assert fingerprint(app) == before


def test_a_member_deletes_with_the_staffs_write_right(app, world, login_as):
    acme = world[0]
    member = login_as(acme, "member")
    page = member.get(url(acme)).get_data(as_text=True)
    assert 'data-testid="delete-day"' in page
    done = member.post(url(acme, "/delete"), data={**form(**{"from": "2024-05-03", "to": "2024-05-03"}),
                                                   "confirm": "yes", "expected": "1"})
    assert done.status_code == 302 and "2024-05-03" not in blog_days(app, acme)


def test_without_the_write_right_there_are_no_delete_buttons(app, world, login_as, monkeypatch):
    """Every staff role has the write grant today; should one come without it, the page lists the
    points and offers no deletion, and a deletion is refused."""
    from backend.tenancy import SCOPE_GRANTS

    acme = world[0]
    member = login_as(acme, "member")
    monkeypatch.setitem(SCOPE_GRANTS, "write", {"read", "channels:list"})
    resp = member.get(url(acme))
    assert resp.status_code == 200 and len(rows(resp)) == 5
    assert "delete" not in page_text(resp).lower()
    before = fingerprint(app)
    assert member.post(url(acme, "/delete"), data={**form(), "confirm": "yes", "expected": "5"}).status_code == 403
    assert fingerprint(app) == before


def test_data_connections_point_to_the_stored_data(world, login_as):
    tenant = world[0]
    cid = tenant.company_a.id
    html = login_as(tenant, "owner").get(f"/manage/companies/{cid}/data").get_data(as_text=True)
    assert f'<a href="/manage/companies/{cid}/points">Stored data</a>.' in html
