"""Admin pages (/manage): who may do what, and what a refused request leaves behind (nothing).

Every state-changing form of the admin UI is listed in ``ACTIONS`` and checked:
- a client viewer gets 403 on their own company, and a foreign agency's owner 404 — neither
  changes a single row (the whole database is fingerprinted before and after);
- members get 403 on the owner/admin-only forms;
- with CSRF protection on (as in production), a POST without the token answers 400 and
  changes nothing;
- each action done by an owner leaves exactly one audit entry naming it (sending a report also
  records the share link its e-mail carries).
"""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from admin_world import TODAY, audit_actions, csv_file, fingerprint, goal_form, seed
from conftest import PASSWORD, make_app

# --------------------------------------------------------------------------------------------
# Data: each tenant's company A gets a channel, a goal and a campaign; a spare member to edit.
# --------------------------------------------------------------------------------------------


@pytest.fixture
def world(app, tenants):
    acme, globex = tenants
    return acme, globex, seed(app, acme), seed(app, globex)






# name, URL template, form data (a function: some hold files), grant, audit action
ACTIONS = [
    ("create company", "/manage/companies", lambda ids: {"name": "Brand New Co"}, "admin", "company.create"),
    ("rename company", "/manage/companies/{company_id}", lambda ids: {"name": "Renamed Co", "timezone": "UTC"},
     "admin", "company.update"),
    ("archive company", "/manage/companies/{company_id}", lambda ids: {"action": "archive"}, "admin",
     "company.archive"),
    ("add person", "/manage/people", lambda ids: {"email": "new.person@example.test", "role": "member"},
     "admin", "user.create"),
    ("change person", "/manage/people/{user_id}", lambda ids: {"name": "Sam", "role": "admin", "active": "on"},
     "admin", "user.update"),
    ("password link", "/manage/people/{user_id}/link", lambda ids: {}, "admin", "user.password_link"),
    ("remove person", "/manage/people/{user_id}/remove", lambda ids: {}, "admin", "user.delete"),
    ("create key", "/manage/companies/{company_id}/data/keys", lambda ids: {"name": "Buffer"}, "admin",
     "api_key.create"),
    ("revoke key", "/manage/companies/{company_id}/data/keys/{key_id}/revoke", lambda ids: {}, "admin",
     "api_key.revoke"),
    ("upload csv", "/manage/companies/{company_id}/data/csv", lambda ids: {"file": csv_file()}, "metrics:write",
     "metrics.import"),
    ("delete stored points", "/manage/companies/{company_id}/points/delete",  # the day the CSV above stored
     lambda ids: {"channel": "facebook", "metric": "followers", "from": TODAY.isoformat(), "to": TODAY.isoformat(),
                  "confirm": "yes", "expected": "1"}, "write", "metrics.delete"),
    ("save strategy", "/manage/companies/{company_id}/strategy",
     lambda ids: {"objective": "Be the tea shop people ask", "review_cadence": "monthly", "action": "draft"},
     "write", "strategy.update"),
    ("add goal", "/manage/companies/{company_id}/goals", lambda ids: goal_form(), "write", "goal.create"),
    ("edit goal", "/manage/companies/{company_id}/goals/{goal_id}",
     lambda ids: goal_form(**{"kpi.metric": "followers", "kpi.aggregation": "latest", "kpi.target": "2500"}),
     "write", "goal.update"),
    ("delete goal", "/manage/companies/{company_id}/goals/{goal_id}/delete", lambda ids: {}, "write", "goal.delete"),
    ("add channel", "/manage/companies/{company_id}/channels", lambda ids: {"key": "linkedin", "platform": "linkedin"},
     "write", "channel.create"),
    ("edit channel", "/manage/companies/{company_id}/channels/{channel_key}",
     lambda ids: {"platform": "blog", "name": "Our blog", "active": "on"}, "write", "channel.update"),
    ("delete channel", "/manage/companies/{company_id}/channels/{channel_key}/delete", lambda ids: {}, "write",
     "channel.delete"),
    ("add campaign", "/manage/companies/{company_id}/campaigns",
     lambda ids: {"name": "Summer", "start_date": TODAY.isoformat(), "end_date": TODAY.isoformat()},
     "write", "campaign.create"),
    ("edit campaign", "/manage/companies/{company_id}/campaigns/{campaign_id}",
     lambda ids: {"name": "Spring sale", "start_date": TODAY.isoformat(), "end_date": TODAY.isoformat(),
                  "channels": "facebook"}, "write", "campaign.update"),
    ("delete campaign", "/manage/companies/{company_id}/campaigns/{campaign_id}/delete", lambda ids: {}, "write",
     "campaign.delete"),
    ("save branding", "/manage/branding", lambda ids: {"display_name": "Acme Social", "primary_color": "#112233"},
     "admin", "agency.branding"),
    ("save agency settings", "/manage/agency", lambda ids: {"name": "Acme Agency", "mention_retention_months": "12"},
     "admin", "agency.update"),
    ("upload logo", "/manage/branding/logo", lambda ids: {"logo": (io.BytesIO(_png()), "logo.png")}, "admin",
     "agency.logo"),
    ("make share link", "/manage/companies/{company_id}/share-links",
     lambda ids: {"kind": "board", "board_from": (TODAY - dt.timedelta(days=7)).isoformat(),
                  "board_to": TODAY.isoformat(), "expires_in_days": "14", "pin": "2468"}, "write",
     "share_link.create"),
    ("revoke share link", "/manage/companies/{company_id}/share-links/{link_id}/revoke", lambda ids: {}, "write",
     "share_link.revoke"),
    ("add report schedule", "/manage/companies/{company_id}/report-schedules",
     lambda ids: {"cadence": "monthly", "day_of_month": "1", "hour": "8", "period": "previous_month",
                  "recipients": "client@example.com\nboss@example.org", "require_review": "on"}, "write",
     "report_schedule.create"),
    ("edit report schedule", "/manage/companies/{company_id}/report-schedules/{schedule_id}",
     lambda ids: {"cadence": "weekly", "weekday": "4", "hour": "16", "period": "previous_week",
                  "recipients": "client@example.com", "active": "on"}, "write", "report_schedule.update"),
    ("delete report schedule", "/manage/companies/{company_id}/report-schedules/{schedule_id}/delete",
     lambda ids: {}, "write", "report_schedule.delete"),
    ("add alert rule", "/manage/companies/{company_id}/alert-rules",
     lambda ids: {"kind": "threshold", "name": "Reach low", "params.metric": "reach", "params.channel": "all",
                  "params.direction": "below", "params.value": "100", "params.period": "week", "active": "on"},
     "write", "alert_rule.create"),
    ("add crisis watch", "/manage/companies/{company_id}/alert-rules", lambda ids: {"preset": "crisis"}, "write",
     "alert_rule.create"),
    ("edit alert rule", "/manage/companies/{company_id}/alert-rules/{rule_id}",
     lambda ids: {"kind": "stale_data", "params.days": "5", "active": "on"}, "write", "alert_rule.update"),
    ("pause alert rule", "/manage/companies/{company_id}/alert-rules/{rule_id}/pause", lambda ids: {}, "write",
     "alert_rule.update"),
    ("delete alert rule", "/manage/companies/{company_id}/alert-rules/{rule_id}/delete", lambda ids: {}, "write",
     "alert_rule.delete"),
    ("make report", "/manage/companies/{company_id}/reports",
     lambda ids: {"period_kind": "custom", "period_start": (TODAY - dt.timedelta(days=13)).isoformat(),
                  "period_end": TODAY.isoformat()}, "write", "report.create"),
    ("edit report", "/manage/companies/{company_id}/reports/{report_id}",
     lambda ids: {"commentary": "Reach grew; the campaign paid off."},
     "write", "report.update"),
    ("mark report ready", "/manage/companies/{company_id}/reports/{report_id}/ready", lambda ids: {}, "write",
     "report.ready"),
    ("reopen report", "/manage/companies/{company_id}/reports/{report_id}/reopen", lambda ids: {}, "write",
     "report.reopen"),
    ("mark report ready again", "/manage/companies/{company_id}/reports/{report_id}/ready", lambda ids: {}, "write",
     "report.ready"),
    ("send report", "/manage/companies/{company_id}/reports/{report_id}/send",
     lambda ids: {"recipients": "client@example.com"}, "write",
     ("report.send", "share_link.create")),  # the e-mail's link to the report is made by the delivery
    ("delete report", "/manage/companies/{company_id}/reports/{report_id}/delete", lambda ids: {}, "write",
     "report.delete"),
    ("add webhook", "/manage/webhooks", lambda ids: {"url": "http://127.0.0.1:9/new", "events": "report.sent"},
     "admin", "webhook.create"),
    ("edit webhook", "/manage/webhooks/{webhook_id}",
     lambda ids: {"url": "http://127.0.0.1:9/other", "events": "metrics.pushed", "description": "CRM"}, "admin",
     "webhook.update"),
    ("rotate webhook secret", "/manage/webhooks/{webhook_id}/rotate", lambda ids: {}, "admin", "webhook.rotate_secret"),
    ("resend webhook delivery", "/manage/webhooks/{webhook_id}/deliveries/{delivery_id}/resend", lambda ids: {},
     "admin", "webhook.resend"),
    ("disable webhook", "/manage/webhooks/{webhook_id}/disable", lambda ids: {}, "admin", "webhook.update"),
    ("enable webhook", "/manage/webhooks/{webhook_id}/enable", lambda ids: {}, "admin", "webhook.update"),
    ("delete webhook", "/manage/webhooks/{webhook_id}/delete", lambda ids: {}, "admin", "webhook.delete"),
]


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (26, 115, 232)).save(buf, "PNG")
    return buf.getvalue()






def _url(template: str, ids: dict) -> str:
    return template.format(**ids)


def _post(client, template, data, ids):
    return client.post(_url(template, ids), data=data(ids), content_type="multipart/form-data")


# The refusal checks loop over every action in one test each (one world to build, not twenty);
# a failure names the action.
def test_viewer_is_refused_with_403_and_nothing_changes(app, world, login_as):
    acme, _, ids, _ = world
    viewer = login_as(acme, "viewer")  # a client viewer of company A: the URLs name company A
    before = fingerprint(app)
    for name, template, data, _grant, _action in ACTIONS:
        resp = _post(viewer, template, data, ids)
        assert resp.status_code == 403, (name, resp.status_code)
        assert fingerprint(app) == before, name


def test_other_agency_gets_404_and_nothing_changes(app, world, login_as):
    acme, globex, acme_ids, _ = world
    intruder = login_as(globex, "owner")
    before = fingerprint(app)
    for name, template, data, _grant, _action in ACTIONS:
        if "{" not in template:
            continue  # no object in the URL: the action acts on the caller's own agency
        resp = _post(intruder, template, data, acme_ids)
        assert resp.status_code == 404, (name, resp.status_code)
        assert acme.company_a.name not in resp.get_data(as_text=True), name
        assert fingerprint(app) == before, name


def test_member_is_refused_admin_actions(app, world, login_as):
    acme, _, ids, _ = world
    member = login_as(acme, "member")
    before = fingerprint(app)
    for name, template, data, grant, _action in ACTIONS:
        if grant != "admin":
            continue
        resp = _post(member, template, data, ids)
        assert resp.status_code == 403, (name, resp.status_code)
        assert fingerprint(app) == before, name


def test_each_action_leaves_exactly_one_audit_entry(app, world, login_as):
    acme, _, ids, _ = world
    owner = login_as(acme, "owner")
    for name, template, data, _grant, action in ACTIONS:  # in an order where each one still applies
        before = audit_actions(app, acme.agency_id)
        resp = _post(owner, template, data, ids)
        assert resp.status_code in (200, 201, 302), (name, resp.get_data(as_text=True)[:2000])
        assert "is-invalid" not in resp.get_data(as_text=True), name
        after = audit_actions(app, acme.agency_id)
        assert after[:len(before)] == before, name
        assert after[len(before):] == (list(action) if isinstance(action, tuple) else [action]), name


def test_viewer_and_keys_cannot_even_open_the_admin_pages(app, world, login_as, api):
    acme, _, ids, _ = world
    viewer = login_as(acme, "viewer")
    for url in ("/manage/companies", f"/manage/companies/{ids['company_id']}/strategy",
                f"/manage/companies/{ids['company_id']}/goals/new", "/manage/people", "/manage/activity",
                "/manage/jobs"):
        assert viewer.get(url).status_code == 403, url
    # Another company of their own agency is out of reach: 404, not 403.
    assert viewer.get(f"/manage/companies/{acme.company_b.id}").status_code == 404
    # API keys, even admin ones, do not drive the browser pages.
    assert api(acme.keys["admin"]).get("/manage/companies").status_code == 403


def test_members_see_no_admin_controls(app, world, login_as):
    acme, _, ids, _ = world
    member = login_as(acme, "member")
    page = member.get(f"/manage/companies/{ids['company_id']}").get_data(as_text=True)
    assert "Archive company" not in page and 'name="name"' not in page
    assert "People</a>" not in member.get("/manage/companies").get_data(as_text=True)
    assert member.get("/manage/people").status_code == 403
    assert member.get("/manage/activity").status_code == 403
    assert member.get("/manage/jobs").status_code == 403
    assert "Jobs</a>" not in member.get("/manage/companies").get_data(as_text=True)
    data_page = member.get(f"/manage/companies/{ids['company_id']}/data").get_data(as_text=True)
    assert "Create key" not in data_page and "Upload a CSV" in data_page


def test_logged_out_admin_pages_redirect_to_login(client, world):
    _, _, ids, _ = world
    for url in ("/manage/", "/manage/companies", f"/manage/companies/{ids['company_id']}/goals"):
        resp = client.get(url)
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith("/login?next=")
    resp = client.post("/manage/companies", data={"name": "X"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


# --------------------------------------------------------------------------------------------
# CSRF: an app with protection on (TestingConfig turns it off), on the same database.
# --------------------------------------------------------------------------------------------
@pytest.fixture
def csrf_app(app, database_url):
    application = make_app(database_url, WTF_CSRF_ENABLED=True)
    yield application
    from backend.extensions import db

    with application.app_context():
        db.session.remove()


def _token(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "the page has no CSRF token field"
    return m.group(1)


def _csrf_login(client, email):
    token = _token(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    return client


def test_post_without_csrf_token_is_refused(csrf_app, world):
    acme, _, ids, _ = world
    owner = _csrf_login(csrf_app.test_client(), acme.emails["owner"])
    before = fingerprint(csrf_app)
    for name, template, data, _grant, _action in ACTIONS:
        resp = _post(owner, template, data, ids)
        assert resp.status_code == 400, (name, resp.status_code)
        assert "CSRF" in resp.get_data(as_text=True), name
        assert fingerprint(csrf_app) == before, name


def test_post_with_the_pages_csrf_token_works(csrf_app, world):
    acme, _, ids, _ = world
    owner = _csrf_login(csrf_app.test_client(), acme.emails["owner"])
    token = _token(owner.get("/manage/companies").get_data(as_text=True))
    resp = owner.post("/manage/companies", data={"name": "Tokened Co", "csrf_token": token})
    assert resp.status_code == 302
    assert "Tokened Co" in owner.get("/manage/companies").get_data(as_text=True)
    resp = owner.post("/manage/companies", data={"name": "Forged Co", "csrf_token": "x" + token[1:]})
    assert resp.status_code == 400
    assert "Forged Co" not in owner.get("/manage/companies").get_data(as_text=True)


def test_goal_preview_is_a_read_and_changes_nothing(app, world, login_as):
    acme, _, ids, _ = world
    owner = login_as(acme, "owner")
    before = fingerprint(app)
    resp = owner.get(f"/manage/companies/{ids['company_id']}/goals/preview", query_string=goal_form())
    assert resp.status_code == 200 and resp.json["ok"] is True
    assert fingerprint(app) == before
    viewer = login_as(acme, "viewer")
    preview = viewer.get(f"/manage/companies/{ids['company_id']}/goals/preview", query_string=goal_form())
    assert preview.status_code == 403


def test_the_csv_check_is_a_read_and_changes_nothing(app, world, login_as):
    """Issue 12, item 13: the preview step before an import stores nothing, and it is as guarded
    as the import itself."""
    acme, globex, ids, globex_ids = world
    owner, viewer, foreign = login_as(acme, "owner"), login_as(acme, "viewer"), login_as(globex, "owner")
    before = fingerprint(app)
    url = f"/manage/companies/{ids['company_id']}/data/csv/check"
    resp = owner.post(url, data={"file": csv_file()}, content_type="multipart/form-data")
    assert resp.status_code == 200 and 'data-ok="1"' in resp.get_data(as_text=True)
    assert fingerprint(app) == before
    assert viewer.post(url, data={"file": csv_file()}, content_type="multipart/form-data").status_code == 403
    assert foreign.post(url, data={"file": csv_file()}, content_type="multipart/form-data").status_code == 404
    assert fingerprint(app) == before
