"""Admin forms as a user meets them: errors next to the field in the API's words, nothing
half-saved, stale forms refused, one-time links, keys shown once, CSV import, goal preview,
strategy history and the activity log."""
from __future__ import annotations

import datetime as dt
import html as html_lib
import io
import re

import pytest
from admin_world import TODAY, audit_actions, fingerprint, goal_form, seed
from conftest import login
from sqlalchemy import func, select


@pytest.fixture
def world(app, tenant):
    return tenant, seed(app, tenant)


def field_error(html: str, field: str) -> str | None:
    """The message shown right under the input named ``field`` (None when there is none)."""
    m = re.search(rf'<div class="invalid-feedback d-block" data-field="{re.escape(field)}">([^<]*)</div>', html)
    return html_lib.unescape(m.group(1).strip()) if m else None


def marks_invalid(html: str, field: str) -> bool:
    return bool(re.search(rf'class="[^"]*is-invalid[^"]*"[^>]*name="{re.escape(field)}"', html)
                or re.search(rf'name="{re.escape(field)}"[^>]*class="[^"]*is-invalid', html))


def count(app, model, **where) -> int:
    from backend.extensions import db
    from backend.tenancy import cross_tenant

    with app.app_context(), cross_tenant("test counts rows"):
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return db.session.scalar(stmt)


def acting(app, tenant):
    from contextlib import ExitStack

    from backend.tenancy import Principal, acting_as

    stack = ExitStack()
    stack.enter_context(app.app_context())
    stack.enter_context(acting_as(Principal.system(tenant.agency_id, "colleague@elsewhere.test")))
    return stack


# --- errors next to the field: the API's rules, in plain words ---------------------------------
def test_company_errors_are_the_apis_and_sit_next_to_the_field(app, world, login_as, api):
    from backend.admin.forms import plain_words

    tenant, _ = world
    owner = login_as(tenant, "owner")
    api_errors = api(tenant.keys["admin"]).post("/api/v1/companies", json={"name": "", "timezone": "Mars/Base"}).json
    expected = {e["field"]: plain_words(e["message"]) for e in api_errors["errors"]}
    resp = owner.post("/manage/companies", data={"name": "", "timezone": "Mars/Base"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert field_error(html, "name") == expected["name"]
    assert field_error(html, "timezone") == expected["timezone"]
    assert marks_invalid(html, "name")
    assert 'value="Mars/Base"' in html  # what was typed is kept

    resp = owner.post("/manage/companies", data={"name": tenant.company_a.name})
    assert resp.status_code == 409
    assert field_error(resp.get_data(as_text=True), "name") == "A company with this name already exists."


def test_goal_errors_match_the_api_and_nothing_is_saved(app, world, login_as, api):
    from backend.models import Goal

    tenant, ids = world
    owner = login_as(tenant, "owner")
    bad = goal_form(**{"kpi.target": "lots", "kpi.deadline": (TODAY - dt.timedelta(days=400)).isoformat(),
                        "kpi.channel": "myspace"})
    resp = owner.post(f"/manage/companies/{ids['company_id']}/goals", data=bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    api_resp = api(tenant.keys["write"]).post(f"/api/v1/companies/{ids['company_id']}/goals", json={
        "title": "More reach", "category": "search_visibility",
        "kpi": {"metric": "reach", "channel": "all", "aggregation": "total", "target": "lots",
                "start_date": TODAY.isoformat(), "deadline": bad["kpi.deadline"]}})
    api_messages = {e["field"]: e["message"] for e in api_resp.json["errors"]}
    assert api_messages["kpi.target"] == "Not a valid number."  # the API keeps its wording ...
    assert field_error(html, "kpi.target") == "Enter a number, such as 1200 or 12.5."  # ... a person reads this
    assert count(app, Goal, company_id=ids["company_id"]) == 1  # only the seeded goal

    # Type errors fixed, the rule errors come from the service, each under its own field.
    bad["kpi.target"] = "50000"
    html = owner.post(f"/manage/companies/{ids['company_id']}/goals", data=bad).get_data(as_text=True)
    assert field_error(html, "kpi.deadline") == "The deadline is before the start date."
    assert field_error(html, "kpi.channel") == "The company has no channel 'myspace'."
    assert field_error(html, "kpi.target") is None
    assert count(app, Goal, company_id=ids["company_id"]) == 1
    assert 'value="More reach"' in html


def test_strategy_errors_point_at_the_row_and_nothing_is_saved(app, world, login_as):
    tenant, ids = world
    owner = login_as(tenant, "owner")
    before = fingerprint(app)
    resp = owner.post(f"/manage/companies/{ids['company_id']}/strategy", data={
        "objective": "Be known", "audiences.0.name": "Tea lovers", "audiences.0.channels": "facebook",
        "audiences.1.name": "Cafés", "audiences.1.channels": "facebook",
        "launch_plan.followers_target": "-5", "launch_plan.target_date": "2026-13-01", "action": "activate"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert field_error(html, "launch_plan.target_date") == "Enter a date as year-month-day, such as 2026-03-31."
    assert 'value="Cafés"' in html and 'value="Tea lovers"' in html
    assert fingerprint(app) == before


def test_people_errors_next_to_fields(app, world, login_as):
    tenant, _ = world
    owner = login_as(tenant, "owner")
    resp = owner.post("/manage/people", data={"email": "not-an-address", "role": "viewer"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert field_error(html, "email") == "Enter an e-mail address, such as name@example.com."
    resp = owner.post("/manage/people", data={"email": "client@example.test", "role": "viewer"})
    html = resp.get_data(as_text=True)
    assert field_error(html, "company_ids") == "A client viewer needs at least one company."
    resp = owner.post("/manage/people", data={"email": tenant.emails["member"], "role": "member"})
    assert field_error(resp.get_data(as_text=True), "email") == "This e-mail address is already registered."


# --- stale forms ------------------------------------------------------------------------------
def test_stale_company_form_is_refused_and_says_so(app, world, login_as):
    from backend.services.companies import get_company, update_company

    tenant, ids = world
    owner = login_as(tenant, "owner")
    page = owner.get(f"/manage/companies/{ids['company_id']}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    with acting(app, tenant):
        update_company(ids["company_id"], {"name": "Renamed by a colleague"})
    resp = owner.post(f"/manage/companies/{ids['company_id']}", data={"name": "My rename", "version": version})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 409
    assert "changed by someone else meanwhile" in html and "NOT saved" in html
    assert 'value="Renamed by a colleague"' in html  # the form now shows the current values
    with acting(app, tenant):
        assert get_company(ids["company_id"]).name == "Renamed by a colleague"


def test_stale_strategy_form_is_refused(app, world, login_as):
    from backend.services import strategy

    tenant, ids = world
    owner = login_as(tenant, "owner")
    page = owner.get(f"/manage/companies/{ids['company_id']}/strategy").get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    with acting(app, tenant):
        strategy.update_strategy(ids["company_id"], {"objective": "The colleague's objective"})
    resp = owner.post(f"/manage/companies/{ids['company_id']}/strategy",
                      data={"objective": "Mine", "revision": revision, "action": "draft"})
    assert resp.status_code == 409
    assert "saved by someone else meanwhile" in resp.get_data(as_text=True)
    with acting(app, tenant):
        assert strategy.get_strategy(ids["company_id"]).objective == "The colleague's objective"


def test_stale_goal_form_is_refused(app, world, login_as):
    from backend.services import goals

    tenant, ids = world
    owner = login_as(tenant, "owner")
    with acting(app, tenant):
        goals.update_goal(ids["company_id"], ids["goal_id"], {"title": "Colleague's title"})
    form = goal_form(**{"kpi.metric": "followers", "kpi.aggregation": "latest", "kpi.target": "9000",
                         "title": "My title", "version": "1"})
    resp = owner.post(f"/manage/companies/{ids['company_id']}/goals/{ids['goal_id']}", data=form)
    assert resp.status_code == 409
    assert "changed by someone else meanwhile" in resp.get_data(as_text=True)
    with acting(app, tenant):
        assert goals.get_goal(ids["company_id"], ids["goal_id"]).title == "Colleague's title"


# --- people: one-time link --------------------------------------------------------------------
def test_adding_a_client_without_password_gives_a_one_time_link(app, world, login_as):
    tenant, ids = world
    owner = login_as(tenant, "owner")
    resp = owner.post("/manage/people", data={"email": "Client@Example.test", "role": "viewer",
                                               "company_ids": str(ids["company_id"])})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 201
    link = re.search(r'id="password-link" type="text" readonly value="([^"]+)"', html).group(1)
    assert "valid for 7 days" in html
    path = link.split("://", 1)[1].split("/", 1)[1]
    visitor = app.test_client()
    assert visitor.get("/" + path).status_code == 200
    resp = visitor.post("/" + path, data={"password": "a-long-secret-1", "confirm": "a-long-secret-1"})
    assert resp.status_code == 302
    login(visitor, "client@example.test", "a-long-secret-1")
    assert visitor.get("/" + path).status_code == 404  # used once
    # The new viewer reaches only that company, and none of the admin pages.
    assert visitor.get(f"/api/v1/companies/{tenant.company_b.id}").status_code == 404
    assert visitor.get("/manage/companies").status_code == 403


def test_role_change_and_removal(app, world, login_as):
    from backend.models import User

    tenant, ids = world
    owner = login_as(tenant, "owner")
    uid = ids["user_id"]
    resp = owner.post(f"/manage/people/{uid}", data={"role": "viewer", "name": "", "active": "on", "version": "1"})
    assert resp.status_code == 422
    assert field_error(resp.get_data(as_text=True), "company_ids") == "A client viewer needs at least one company."
    resp = owner.post(f"/manage/people/{uid}", data={"role": "viewer", "company_ids": str(ids["company_id"]),
                                                      "active": "on", "version": "1"})
    assert resp.status_code == 302
    page = owner.get("/manage/people").get_data(as_text=True)
    assert re.search(rf"spare@acme\.test.*?client viewer.*?{re.escape(tenant.company_a.name)}", page, re.S)
    resp = owner.post(f"/manage/people/{tenant.users['owner'].id}/remove")
    assert resp.status_code == 422 and "You cannot remove yourself." in resp.get_data(as_text=True)
    assert owner.post(f"/manage/people/{uid}/remove").status_code == 302
    assert count(app, User, id=uid) == 0


# --- data connections --------------------------------------------------------------------------
def test_key_is_shown_once_with_a_curl_example_that_works(app, world, login_as, api):
    tenant, ids = world
    owner = login_as(tenant, "owner")
    resp = owner.post(f"/manage/companies/{ids['company_id']}/data/keys", data={"name": "Buffer export"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 201
    key = re.search(r'data-testid="new-key-value" value="([^"]+)"', html) or \
        re.search(r'id="new-key-value" type="text" readonly value="([^"]+)"', html)
    key = key.group(1)
    assert key.startswith("rb_")
    example = html_lib.unescape(re.search(r'data-testid="curl-example">([^<]*)</pre>', html).group(1))
    # The key goes into an environment variable that the shell expands in the header.
    assert example.startswith(f"export REACHBOARD_API_KEY={key}\n")
    assert f"/api/v1/companies/{ids['company_id']}/metrics" in example
    assert '-H "Authorization: Bearer $REACHBOARD_API_KEY"' in example and "'Authorization" not in example
    # The default scope is metrics:write, bound to this company: it pushes here, reads nothing.
    r = api(key).post(f"/api/v1/companies/{ids['company_id']}/metrics",
                      json={"points": [{"channel": "facebook", "metric": "followers", "date": TODAY.isoformat(),
                                        "value": 5}]})
    assert r.status_code == 200, r.json
    assert api(key).get(f"/api/v1/companies/{ids['company_id']}/goals").status_code == 403
    assert api(key).post(f"/api/v1/companies/{tenant.company_b.id}/metrics", json={"points": []}).status_code == 404
    listing = owner.get(f"/manage/companies/{ids['company_id']}/data").get_data(as_text=True)
    assert key not in listing and key[:11] in listing and "Buffer export" in listing
    # Revoked: refused from then on, listed as revoked.
    key_id = re.search(r"/data/keys/([0-9a-f-]{36})/revoke", listing).group(1)
    assert owner.post(f"/manage/companies/{ids['company_id']}/data/keys/{key_id}/revoke").status_code == 302
    assert api(key).post(f"/api/v1/companies/{ids['company_id']}/metrics", json={"points": []}).status_code == 401
    assert "revoked" in owner.get(f"/manage/companies/{ids['company_id']}/data").get_data(as_text=True)


def test_key_of_another_company_cannot_be_revoked_through_this_one(app, world, login_as):
    from backend.services.api_keys import create_key

    tenant, ids = world
    with acting(app, tenant):
        other, _ = create_key({"name": "B key", "company_id": tenant.company_b.id})
        other_id = other.id
    owner = login_as(tenant, "owner")
    resp = owner.post(f"/manage/companies/{ids['company_id']}/data/keys/{other_id}/revoke")
    assert resp.status_code == 404


def _upload(client, company_id, text, name="metrics.csv"):
    return client.post(f"/manage/companies/{company_id}/data/csv",
                       data={"file": (io.BytesIO(text.encode()), name)}, content_type="multipart/form-data")


def test_csv_upload_previews_lists_errors_by_row_and_imports_all_or_nothing(app, world, login_as):
    from backend.models import MetricPoint

    tenant, ids = world
    member = login_as(tenant, "member")
    d = [(TODAY - dt.timedelta(days=i)).isoformat() for i in range(3)]
    bad = (f"date,channel,followers,reach\n{d[2]},facebook,100,50\n{d[1]},nowhere,110,60\n"
           f"{d[0]},facebook,-3,70\n")
    resp = _upload(member, ids["company_id"], bad)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert "Nothing was imported" in html
    assert re.search(r"Row 3, channel: [^<]*nowhere", html), html[html.find("csv-errors"):][:800]
    assert "Row 4, value" in html or "Row 4, followers" in html
    assert "nowhere" in html[html.find('data-testid="csv-preview"'):]  # the preview shows the rows
    assert count(app, MetricPoint, company_id=ids["company_id"]) == 0

    good = f"date,channel,followers,reach\n{d[2]},facebook,100,50\n{d[1]},facebook,110,60\n{d[0]},facebook,130,70\n"
    resp = _upload(member, ids["company_id"], good)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "6 values received" in html and "6 new" in html
    assert count(app, MetricPoint, company_id=ids["company_id"]) == 6
    html = _upload(member, ids["company_id"], good).get_data(as_text=True)
    assert "0 new, 0 updated, 6 unchanged" in html
    assert field_error(_upload(member, ids["company_id"], "", name="").get_data(as_text=True), "file")


# --- goals: preview ----------------------------------------------------------------------------
def test_goal_preview_shows_current_value_status_and_forecast(app, world, login_as):
    from backend.services import metrics

    tenant, ids = world
    with acting(app, tenant):
        metrics.push_points(ids["company_id"], [
            {"channel": "facebook", "metric": "followers", "date": (TODAY - dt.timedelta(days=i)).isoformat(),
             "value": 1000 - 10 * i} for i in range(40)])
    owner = login_as(tenant, "owner")
    url = f"/manage/companies/{ids['company_id']}/goals/preview"
    form = goal_form(**{"kpi.metric": "followers", "kpi.channel": "facebook", "kpi.aggregation": "latest",
                         "kpi.start_date": (TODAY - dt.timedelta(days=30)).isoformat(),
                         "kpi.deadline": (TODAY + dt.timedelta(days=60)).isoformat()})
    near = owner.get(url, query_string={**form, "kpi.target": "1200"}).json  # 10/day: 20 days away
    assert near["ok"] and near["progress"]["current"] == 1000
    assert near["progress"]["status"] == "on_track"
    assert near["progress"]["forecast_date"] == (TODAY + dt.timedelta(days=20)).isoformat()
    far = owner.get(url, query_string={**form, "kpi.target": "5000"}).json  # 400 days away
    assert far["progress"]["status"] == "off_track"
    done = owner.get(url, query_string={**form, "kpi.target": "900"}).json
    assert done["progress"]["status"] == "achieved"
    wrong = owner.get(url, query_string={**form, "kpi.target": "abc"}).json
    assert wrong["ok"] is False and wrong["errors"][0]["field"] == "kpi.target"


def test_goal_page_explains_every_category(app, world, login_as):
    from backend.services.goals import CATEGORIES

    tenant, ids = world
    html = login_as(tenant, "member").get(f"/manage/companies/{ids['company_id']}/goals/new").get_data(as_text=True)
    for category in CATEGORIES:
        assert f'value="{category}"' in html
    assert "Handle crises through open dialogue" in html and "Rank higher in search engines" in html


# --- strategy editor and history ---------------------------------------------------------------
def test_strategy_walkthrough_saves_one_revision_and_history_compares_versions(app, world, login_as):
    from backend.models import StrategyRevision

    tenant, ids = world
    owner = login_as(tenant, "owner")
    url = f"/manage/companies/{ids['company_id']}/strategy"
    page = owner.get(url).get_data(as_text=True)
    questions = ["What should the company achieve", "Whom should the company reach", "How does the company bring",
                 "Which personality", "Which social media", "critical mass", "How often"]
    positions = [page.find(q) for q in questions]
    assert -1 not in positions and positions == sorted(positions)  # the brief's order
    form = {"objective": "Be the tea shop people ask", "business_alignment": "Grow online sales by 20%",
            "audiences.0.name": "Tea lovers", "audiences.0.description": "25-45, city",
            "audiences.0.channels": "facebook", "audiences.1.name": "", "audiences.1.description": "",
            "engagement_approach": "Answer within the hour", "personality": "Warm and knowledgeable",
            "channel_plan.0.channel": "facebook", "channel_plan.0.purpose": "Community",
            "channel_plan.1.channel": "", "channel_plan.1.purpose": "",
            "launch_plan.followers_target": "2 000", "launch_plan.target_date": "2027-06-30",
            "review_cadence": "monthly", "revision": "0", "action": "draft"}
    assert owner.post(url, data=form).status_code == 302
    assert count(app, StrategyRevision, company_id=ids["company_id"]) == 1
    form.update({"personality": "Warm, knowledgeable, a little playful", "revision": "1", "action": "activate"})
    assert owner.post(url, data=form).status_code == 302
    page = owner.get(url).get_data(as_text=True)
    assert 'data-testid="strategy-status">active<' in page
    history = owner.get(url + "/revisions").get_data(as_text=True)
    assert "Personality" in history and "Status" in history
    compare = owner.get(url + "/compare", query_string={"a": 1, "b": 2}).get_data(as_text=True)
    assert 'data-changed="personality"' in compare and 'data-changed="status"' in compare
    assert 'data-changed="objective"' not in compare
    assert "Warm and knowledgeable" in compare and "a little playful" in compare
    compare0 = owner.get(url + "/compare", query_string={"a": 0, "b": 2}).get_data(as_text=True)
    assert 'data-changed="audiences"' in compare0 and "Tea lovers" in compare0
    assert owner.get(url + "/compare", query_string={"a": 1, "b": 9}).status_code == 404


# --- companies, activity ----------------------------------------------------------------------
def test_archive_and_restore_and_links_to_the_dashboard(app, world, login_as):
    tenant, ids = world
    owner = login_as(tenant, "owner")
    cid = ids["company_id"]
    assert owner.post(f"/manage/companies/{cid}", data={"action": "archive", "version": "1"}).status_code == 302
    listing = owner.get("/manage/companies").get_data(as_text=True)
    assert "Archived " + tenant.company_a.name in listing  # the flash message
    assert f'href="/manage/companies/{cid}"' not in listing
    archived = owner.get("/manage/companies?show=archived").get_data(as_text=True)
    assert tenant.company_a.name in archived and f"/dashboard/company/{cid}" in archived
    assert owner.post(f"/manage/companies/{cid}", data={"action": "restore", "version": "2"}).status_code == 302
    assert tenant.company_a.name in owner.get("/manage/companies").get_data(as_text=True)
    assert audit_actions(app, tenant.agency_id)[-2:] == ["company.archive", "company.restore"]


def test_activity_lists_the_trail_filtered_by_company_and_person(app, tenants, login_as):
    acme, globex = tenants
    owner = login_as(acme, "owner")
    admin = login_as(acme, "admin")
    owner.post("/manage/companies", data={"name": "Owner's company"})
    admin.post(f"/manage/companies/{acme.company_b.id}", data={"name": "Admin renamed B"})
    login_as(globex, "owner").post("/manage/companies", data={"name": "Globex secret"})
    html = owner.get("/manage/activity").get_data(as_text=True)
    assert "Created company Owner&#39;s company" in html and "Admin renamed B" in html
    assert "Globex secret" not in html
    by_admin = owner.get("/manage/activity",
                         query_string={"user_id": str(acme.users["admin"].id)}).get_data(as_text=True)
    assert "Admin renamed B" in by_admin and "Created company Owner&#39;s company" not in by_admin
    by_company = owner.get("/manage/activity",
                           query_string={"company_id": str(acme.company_b.id)}).get_data(as_text=True)
    assert "Admin renamed B" in by_company and "Created company Owner&#39;s company" not in by_company
    other = owner.get("/manage/activity", query_string={"company_id": str(globex.company_a.id)})
    assert other.status_code == 404


def test_goal_numbers_read_as_numbers_not_scientific_notation(app, world, login_as):
    """The goals table shows 10k and 49.6k (exact value on hover), never 1e+04 or 4.96e+04."""
    from backend.services import goals
    from backend.tenancy import Principal, acting_as

    acme, ids = world
    with app.app_context(), acting_as(Principal.system(acme.agency_id, "test")):
        for title, target in (("Ten thousand", 10_000), ("Big reach", 49_600), ("Odd", 18_540)):
            goals.create_goal(ids["company_id"], {"title": title, "category": "other", "kpi": {
                "metric": "reach", "aggregation": "total", "target": target, "start_date": TODAY,
                "deadline": TODAY}})
    html = login_as(acme, "owner").get(f"/manage/companies/{ids['company_id']}/goals").get_data(as_text=True)
    assert "e+" not in html
    for shown, exact in (("10k", "10,000"), ("49.6k", "49,600"), ("18.5k", "18,540")):
        assert f'title="{exact}" data-value="{float(exact.replace(",", ""))}">{shown}<' in html, shown


def test_a_goal_without_a_category_is_asked_for_one_not_filed_under_other(app, world, login_as):
    """Issue 12, item 13: an empty category was silently saved as "Other"."""
    from backend.models import Goal

    tenant, ids = world
    owner = login_as(tenant, "owner")
    form = goal_form(category="")
    resp = owner.post(f"/manage/companies/{ids['company_id']}/goals", data=form)
    assert resp.status_code == 422
    assert field_error(resp.get_data(as_text=True), "category").startswith("Choose what this sub-goal is for")
    assert count(app, Goal, company_id=ids["company_id"]) == 1
    form["category"] = "other"  # chosen on purpose: saved
    assert owner.post(f"/manage/companies/{ids['company_id']}/goals", data=form).status_code == 302


def test_form_messages_are_plain_words():
    from backend.admin.forms import plain_words

    assert plain_words("Missing data for required field.") == "Fill this in."
    assert plain_words("start_date: Must be on or before end_date.") == "Must be on or before the end date."
    assert plain_words("start_date: Not a valid date.; end_date: Missing data for required field.",
                       under_field=False) == ("Start date: Enter a date as year-month-day, such as 2026-03-31. "
                                              "End date: Fill this in.")
    assert plain_words("Must be one of: day, week, month.") == "Choose one of: day, week, month."
    assert plain_words("Longer than maximum length 200.") == "Use at most 200 characters."
    assert plain_words("'follower_growth' is derived (computed from followers).") == \
        "'follower_growth' is derived (computed from followers)."  # a key someone types stays as typed


def test_the_time_zone_is_chosen_from_a_list(world, login_as):
    tenant, ids = world
    owner = login_as(tenant, "owner")
    html = owner.get("/manage/companies").get_data(as_text=True)
    assert '<select class="form-select" id="f-timezone" name="timezone"' in html
    assert re.search(r'<option value="Europe/Stockholm">Europe/Stockholm \(UTC\+0[12]:00\)</option>', html)
    assert '<option value="UTC" selected>UTC</option>' in html


def test_the_csv_check_shows_what_an_import_would_replace_before_it_happens(app, world, login_as):
    """Issue 12, items 2 and 13: a file that would overwrite a stored number says so, with the
    old and new values, and stores nothing until Import."""
    from backend.models import MetricPoint

    tenant, ids = world
    member = login_as(tenant, "member")
    day = TODAY.isoformat()
    assert _upload(member, ids["company_id"], f"date,channel,followers\n{day},facebook,8235\n").status_code == 200
    url = f"/manage/companies/{ids['company_id']}/data/csv/check"
    text = f"date,channel,followers,reach\n{day},facebook,1200,50\n"
    resp = member.post(url, data={"file": (io.BytesIO(text.encode()), "m.csv")}, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and 'data-ok="1"' in html
    assert f"Ready to import 2 values</strong> for facebook, {day}:" in html
    assert "1 new, 1 replacing a stored value, 0 unchanged" in html
    assert re.search(rf"facebook · followers · {day}: <span[^>]*>8.2k</span> → <strong[^>]*>1.2k</strong>", html)
    assert "Nothing is stored until you press" in html
    assert count(app, MetricPoint, company_id=ids["company_id"]) == 1
    bad = member.post(url, data={"file": (io.BytesIO(b"date,channel,followers\n2026-02-30,facebook,x\n"), "b.csv")},
                      content_type="multipart/form-data")
    bad_html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'data-ok="0"' in bad_html and "This file cannot be imported" in bad_html
    assert "Not a valid" not in bad_html and "Missing data" not in bad_html  # plain words
    empty = member.post(url, data={}, content_type="multipart/form-data")
    assert empty.status_code == 422 and "Choose a CSV file to upload." in empty.get_data(as_text=True)


def test_onboarding_goes_channels_first_and_the_strategy_keeps_its_answers(app, world, login_as):
    """Issue 12, item 8: a new company lands on its channels (the strategy names them); from the
    strategy, going to add channels saves the answers as a draft first."""
    tenant, ids = world
    owner = login_as(tenant, "owner")
    resp = owner.post("/manage/companies", data={"name": "Nordic Tea House", "timezone": "Europe/Oslo"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/channels?onboarding=1")
    company_url = resp.headers["Location"].split("/channels")[0]
    html = owner.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Add the company's channels first" in html and "Next: the strategy" not in html
    strategy_html = owner.get(f"{company_url}/strategy").get_data(as_text=True)
    assert 'value="draft_then_channels"' in strategy_html and "data-warn-unsaved" in strategy_html
    revision = re.search(r'name="revision" value="(\d+)"', strategy_html).group(1)
    saved = owner.post(f"{company_url}/strategy", data={"objective": "Be the tea shop people ask",
                                                       "review_cadence": "monthly", "revision": revision,
                                                       "action": "draft_then_channels"})
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/channels?onboarding=1")
    assert "Be the tea shop people ask" in owner.get(f"{company_url}/strategy").get_data(as_text=True)
    owner.post(f"{company_url}/channels", data={"key": "blog", "platform": "blog"})
    assert "Next: the strategy" in owner.get(f"{company_url}/channels").get_data(as_text=True)
