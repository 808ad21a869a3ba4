"""The privilege table of the README, tried cell by cell.

The expectations are read from the README itself (between ``<!-- privilege-table -->`` markers):
for every principal (owner, admin, member, client viewer sessions; admin, write, read and
metrics:write keys, agency-wide and restricted to one company) and every action on agency-level
objects, the action is tried through the API and through ``/manage`` where it exists there:

- ✓: it succeeds;
- ✗: it answers 403 (422 for a password field) and the database is exactly as before (every row of
  every table is fingerprinted before and after);
- keys act through the API only: every ``/manage`` attempt with a key is refused.
"""
from __future__ import annotations

import datetime as dt
import io
import itertools
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from admin_world import fingerprint
from conftest import PASSWORD, ROOT, build_tenant, login

SESSION_COLUMNS = ("owner", "admin", "member", "client viewer")
KEY_COLUMNS = ("admin key", "write key", "read key", "metrics:write key", "company key")
SCOPES = ("admin", "write", "read", "metrics:write")
NEW_PASSWORD = "a-new-password-42"


def read_table() -> tuple[list[str], dict[str, dict[str, str]]]:
    text = (ROOT / "README.md").read_text()
    block = text.split("<!-- privilege-table -->")[1].split("<!-- /privilege-table -->")[0]
    rows = [[c.strip() for c in line.strip().strip("|").split("|")] for line in block.strip().splitlines()]
    header, body = rows[0], [r for r in rows[2:] if r and r[0]]
    columns = header[1:]
    table = {}
    for row in body:
        assert len(row) == len(header), row
        table[row[0].strip("`")] = dict(zip(columns, row[1:], strict=True))
    return columns, table


COLUMNS, TABLE = read_table()


# ---------------------------------------------------------------------------------------------
# The world each principal acts in
# ---------------------------------------------------------------------------------------------
@dataclass
class World:
    app: object
    tenant: object
    company_keys: dict[str, tuple[uuid.UUID, str]] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=itertools.count)
    acting_key_id: uuid.UUID | None = None

    def unique(self, what: str) -> str:
        return f"{what}{next(self.counter)}-{uuid.uuid4().hex[:6]}"

    def person(self, role: str) -> uuid.UUID:
        """A new person of that role (viewers see company A), created by the operator."""
        from backend.services.accounts import create_user
        from backend.tenancy import Principal, acting_as

        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            user, _ = create_user({"email": self.unique(role) + "@acme.test", "password": PASSWORD, "role": role,
                                   "company_ids": [self.tenant.company_a.id] if role == "viewer" else []})
            return user.id

    def key(self, scopes=("read",), company=True) -> tuple[uuid.UUID, str]:
        from backend.services.api_keys import create_key
        from backend.tenancy import Principal, acting_as

        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            key, plaintext = create_key({"name": self.unique("key"), "scopes": list(scopes),
                                         "company_id": self.tenant.company_a.id if company else None})
            return key.id, plaintext

    def share_link(self) -> uuid.UUID:
        """A board link of company A, made by the operator."""
        from backend.services.share_links import create_share_link
        from backend.tenancy import Principal, acting_as

        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            link, _token = create_share_link(self.tenant.company_a.id, kind="board",
                                             board_from=dt.date(2026, 1, 1), board_to=dt.date(2026, 1, 31))
            return link.id

    def alert_rule(self) -> uuid.UUID:
        """A stale-data rule of company A, made by the operator."""
        from backend.services.alert_rules import create_rule
        from backend.tenancy import Principal, acting_as

        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            return create_rule(self.tenant.company_a.id, {"kind": "stale_data", "params": {"days": 5}}).id

    def alert(self) -> uuid.UUID:
        """An alert of company A that its client viewers see, put in by the operator."""
        from alert_world import add_alert

        return add_alert(self.app, self.tenant.agency_id, self.tenant.company_a.id, visible_to_clients=True)

    def webhook(self) -> tuple[uuid.UUID, uuid.UUID]:
        """A webhook endpoint of the agency with one failed delivery in its log, made by the operator."""
        from backend.extensions import db
        from backend.models import WebhookDelivery
        from backend.services.webhooks import create_endpoint, new_message_id
        from backend.tenancy import Principal, acting_as

        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            endpoint, _secret = create_endpoint({"url": "http://127.0.0.1:9/hook", "events": ["report.sent"]})
            delivery = WebhookDelivery(endpoint_id=endpoint.id, event="report.sent", message_id=new_message_id(),
                                       payload={"type": "report.sent", "data": {}}, status="failed")
            db.session.add(delivery)
            db.session.commit()
            return endpoint.id, delivery.id

    def report_schedule(self) -> uuid.UUID:
        """A report schedule of company A, made by the operator."""
        from backend.services.report_schedules import create_schedule
        from backend.tenancy import Principal, acting_as

        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            return create_schedule(self.company, {"cadence": "weekly", "weekday": 0,
                                                  "recipients": ["client@example.com"]}).id

    def report(self, status: str = "draft") -> uuid.UUID:
        """A report of company A for a period of its own (written directly: no PDF is rendered); a sent
        one has a stored PDF of its version."""
        from backend.extensions import db
        from backend.models import Report
        from backend.tenancy import Principal, acting_as

        day = dt.date(2025, 1, 1) + dt.timedelta(days=next(self.counter))
        with self.app.app_context(), acting_as(Principal.system(self.tenant.agency_id, "test")):
            report = Report(company_id=self.company, period_kind="custom", period_start=day, period_end=day,
                            status=status, commentary="Operator's words")
            if status == "sent":
                report.pdf, report.pdf_version, report.pdf_sha256 = b"%PDF-1.7 test", 1, "ef" * 32
            db.session.add(report)
            db.session.commit()
            return report.id

    @property
    def company(self):
        return self.tenant.company_a.id


@dataclass
class Outcome:
    """One request's result: ``ok`` when it did what was asked, ``refused`` when it was turned down."""

    what: str
    status: int
    ok: bool
    refused: bool


REFUSED = (403,)


def outcome(what: str, resp, ok=(200, 201, 204, 302), refused=REFUSED) -> Outcome:
    body = resp.get_data(as_text=True) if resp.mimetype == "text/html" else ""  # a logo is bytes
    # A form page that comes back with a field error did not do what was asked.
    form_error = resp.mimetype == "text/html" and ("is-invalid" in body or 'data-testid="form-error"' in body)
    return Outcome(what, resp.status_code, resp.status_code in ok and not form_error,
                   resp.status_code in refused)


@dataclass
class Action:
    api: Callable | None = None  # (world, client, ctx) -> [Outcome]
    manage: Callable | None = None
    prepare: Callable = lambda w: {}
    refused: tuple = REFUSED


def _people(w, c, ctx):
    return [outcome("list", c.get("/api/v1/users")), outcome("read", c.get(f"/api/v1/users/{ctx['m']}"))]


def _people_manage(w, c, ctx):
    return [outcome("list", c.get("/manage/people")), outcome("read", c.get(f"/manage/people/{ctx['m']}"))]


def _form_person(name: str, role: str, active: bool = True, **extra) -> dict:
    form = {"name": name, "role": role, **extra}
    if active:
        form["active"] = "on"
    return form


def _keys_page(w, c, ctx):
    resp = c.get(f"/manage/companies/{w.company}/data")
    shown = resp.status_code == 200 and ctx["prefix"] in resp.get_data(as_text=True)
    return [Outcome("data page", resp.status_code, shown, resp.status_code == 403 or not shown)]


_SHARE_BOARD = {"kind": "board", "board_from": "2026-01-01", "board_to": "2026-01-31", "expires_in_days": 7}


def _share_links_page(w, c, ctx):
    """The page lists the link (a refused principal gets 403, or a page without it)."""
    resp = c.get(f"/manage/companies/{w.company}/share-links")
    shown = resp.status_code == 200 and f'data-link="{ctx["link"]}"' in resp.get_data(as_text=True)
    return [Outcome("page", resp.status_code, shown, resp.status_code == 403)]


def _png() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (uuid.uuid4().int % 256, 80, 160)).save(buf, "PNG")
    return buf.getvalue()


def _with_logo(w) -> dict:
    """The agency has a logo to read (set by the operator)."""
    from backend.services.branding import set_logo
    from backend.tenancy import Principal, acting_as

    with w.app.app_context(), acting_as(Principal.system(w.tenant.agency_id, "test")):
        set_logo(_png())
    return {}


_RULE = {"kind": "stale_data", "params": {"days": 7}}
_RULE_FORM = {"kind": "stale_data", "params.days": "7", "active": "on"}
_SCHEDULE = {"cadence": "monthly", "day_of_month": 1, "hour": 8, "recipients": ["client@example.com"]}
_SCHEDULE_FORM = {"cadence": "monthly", "day_of_month": "1", "hour": "8", "period": "previous_month",
                  "recipients": "client@example.com"}


def _alert_listed(what: str, resp, alert_id) -> Outcome:
    shown = resp.status_code == 200 and str(alert_id) in resp.get_data(as_text=True)
    return Outcome(what, resp.status_code, shown, resp.status_code == 403)


def _report_period(w) -> dict:
    day = (dt.date(2024, 1, 1) + dt.timedelta(days=next(w.counter))).isoformat()
    return {"period_kind": "custom", "period_start": day, "period_end": day}


def _listed(what: str, resp, report_id) -> Outcome:
    """A list answered, and with the report in it (a viewer's list leaves drafts out: refused)."""
    shown = resp.status_code == 200 and str(report_id) in resp.get_data(as_text=True)
    return Outcome(what, resp.status_code, shown, resp.status_code == 403 or (resp.status_code == 200 and not shown))


def _sent_reports(w, c, ctx, api: bool):
    base = f"/api/v1/companies/{w.company}/reports" if api else f"/companies/{w.company}/reports"
    return [_listed("list", c.get(base), ctx["r"]), outcome("read", c.get(f"{base}/{ctx['r']}")),
            outcome("pdf", c.get(f"{base}/{ctx['r']}/pdf"))]


def _draft_reports(w, c, ctx, api: bool):
    base = f"/api/v1/companies/{w.company}/reports" if api else f"/manage/companies/{w.company}/reports"
    # A client viewer's request for a draft answers 404 (it does not exist for them) or 403.
    return [_listed("list", c.get(base), ctx["r"]), outcome("read", c.get(f"{base}/{ctx['r']}"), refused=(403, 404))]


def _change_reports_api(w, c, ctx):
    base = f"/api/v1/companies/{w.company}/reports"
    return [outcome("make", c.post(base, json=_report_period(w))),
            outcome("edit", c.patch(f"{base}/{ctx['draft']}", json={"commentary": "Reviewed"})),
            outcome("ready", c.patch(f"{base}/{ctx['other']}", json={"status": "ready"})),
            outcome("send", c.post(f"{base}/{ctx['ready']}/send", json={"recipients": ["client@example.com"]}),
                    ok=(202,)),
            outcome("delete", c.delete(f"{base}/{ctx['gone']}"))]


def _change_reports_manage(w, c, ctx):
    base = f"/manage/companies/{w.company}/reports"
    return [outcome("make", c.post(base, data=_report_period(w))),
            outcome("edit", c.post(f"{base}/{ctx['draft']}", data={"commentary": "Reviewed"})),
            outcome("ready", c.post(f"{base}/{ctx['other']}/ready")),
            outcome("send", c.post(f"{base}/{ctx['ready']}/send", data={"recipients": "client@example.com"})),
            outcome("delete", c.post(f"{base}/{ctx['gone']}/delete"))]


ACTIONS: dict[str, Action] = {
    "list and read people": Action(
        prepare=lambda w: {"m": w.person("member")}, api=_people, manage=_people_manage),
    "add a member or client viewer": Action(
        api=lambda w, c, ctx: [
            outcome("member", c.post("/api/v1/users", json={"email": w.unique("m") + "@acme.test", "role": "member"})),
            outcome("viewer", c.post("/api/v1/users", json={"email": w.unique("v") + "@acme.test", "role": "viewer",
                                                            "company_ids": [str(w.company)]}))],
        manage=lambda w, c, ctx: [
            outcome("member", c.post("/manage/people", data={"email": w.unique("m") + "@acme.test", "role": "member"})),
            outcome("viewer", c.post("/manage/people", data={"email": w.unique("v") + "@acme.test", "role": "viewer",
                                                             "company_ids": str(w.company)}))]),
    "change a member or client viewer (name, companies, active, role up to member)": Action(
        prepare=lambda w: {"m": w.person("member"), "v": w.person("viewer")},
        api=lambda w, c, ctx: [
            outcome("member", c.patch(f"/api/v1/users/{ctx['m']}", json={"name": "Changed", "active": False})),
            outcome("viewer", c.patch(f"/api/v1/users/{ctx['v']}", json={"company_ids": [str(w.tenant.company_b.id)]})),
            outcome("viewer role", c.patch(f"/api/v1/users/{ctx['v']}", json={"role": "member"}))],
        manage=lambda w, c, ctx: [
            outcome("member", c.post(f"/manage/people/{ctx['m']}", data=_form_person("Changed", "member", False))),
            outcome("viewer", c.post(f"/manage/people/{ctx['v']}", data=_form_person("Changed", "member")))]),
    "give the admin or owner role (to a new or existing person)": Action(
        prepare=lambda w: {"m": w.person("member")},
        api=lambda w, c, ctx: [
            outcome("new admin", c.post("/api/v1/users",
                                        json={"email": w.unique("a") + "@acme.test", "role": "admin"})),
            outcome("new owner", c.post("/api/v1/users",
                                        json={"email": w.unique("o") + "@acme.test", "role": "owner"})),
            outcome("make owner", c.patch(f"/api/v1/users/{ctx['m']}", json={"role": "owner"}))],
        manage=lambda w, c, ctx: [
            outcome("new admin", c.post("/manage/people",
                                        data={"email": w.unique("a") + "@acme.test", "role": "admin"})),
            outcome("make owner", c.post(f"/manage/people/{ctx['m']}", data=_form_person("Boss", "owner")))]),
    "change another admin": Action(
        prepare=lambda w: {"a": w.person("admin")},
        api=lambda w, c, ctx: [outcome("name", c.patch(f"/api/v1/users/{ctx['a']}", json={"name": "Renamed"})),
                               outcome("role", c.patch(f"/api/v1/users/{ctx['a']}", json={"role": "member"}))],
        manage=lambda w, c, ctx: [
            outcome("name", c.post(f"/manage/people/{ctx['a']}", data=_form_person("Renamed", "admin")))]),
    "change or deactivate another owner": Action(
        prepare=lambda w: {"o": w.person("owner")},
        api=lambda w, c, ctx: [outcome("name", c.patch(f"/api/v1/users/{ctx['o']}", json={"name": "Renamed"})),
                               outcome("active", c.patch(f"/api/v1/users/{ctx['o']}", json={"active": False}))],
        manage=lambda w, c, ctx: [
            outcome("deactivate", c.post(f"/manage/people/{ctx['o']}", data=_form_person("Renamed", "owner", False)))]),
    "set-password link for a member or client viewer": Action(
        prepare=lambda w: {"m": w.person("member"), "v": w.person("viewer")},
        manage=lambda w, c, ctx: [outcome("member", c.post(f"/manage/people/{ctx['m']}/link")),
                                  outcome("viewer", c.post(f"/manage/people/{ctx['v']}/link"))]),
    "set-password link for an admin or owner": Action(
        prepare=lambda w: {"a": w.person("admin"), "o": w.person("owner")},
        manage=lambda w, c, ctx: [outcome("admin", c.post(f"/manage/people/{ctx['a']}/link")),
                                  outcome("owner", c.post(f"/manage/people/{ctx['o']}/link"))]),
    "remove a member or client viewer": Action(
        prepare=lambda w: {"m": w.person("member"), "v": w.person("viewer")},
        api=lambda w, c, ctx: [outcome("member", c.delete(f"/api/v1/users/{ctx['m']}")),
                               outcome("viewer", c.delete(f"/api/v1/users/{ctx['v']}"))],
        manage=lambda w, c, ctx: [outcome("member", c.post(f"/manage/people/{ctx['m']}/remove")),
                                  outcome("viewer", c.post(f"/manage/people/{ctx['v']}/remove"))]),
    "remove an admin or another owner": Action(
        prepare=lambda w: {"a": w.person("admin"), "o": w.person("owner")},
        api=lambda w, c, ctx: [outcome("admin", c.delete(f"/api/v1/users/{ctx['a']}")),
                               outcome("owner", c.delete(f"/api/v1/users/{ctx['o']}"))],
        manage=lambda w, c, ctx: [outcome("admin", c.post(f"/manage/people/{ctx['a']}/remove")),
                                  outcome("owner", c.post(f"/manage/people/{ctx['o']}/remove"))]),
    "set another person's password": Action(
        prepare=lambda w: {"m": w.person("member")}, refused=(403, 422),
        api=lambda w, c, ctx: [
            outcome("change", c.patch(f"/api/v1/users/{ctx['m']}", json={"password": "taken-over-1234"}),
                    refused=(403, 422)),
            outcome("create", c.post("/api/v1/users", json={"email": w.unique("p") + "@acme.test", "role": "member",
                                                            "password": "chosen-for-you-1"}), refused=(403, 422))]),
    "change one's own password (with the current one)": Action(
        manage=lambda w, c, ctx: [outcome("account", c.post("/account/password", data={
            "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}))]),
    "choose one's own alert e-mails (`/account/alert-emails`)": Action(
        manage=lambda w, c, ctx: [outcome("read", c.get("/account/alert-emails")), outcome("save", c.post(
            "/account/alert-emails", data={"modes.spike": "immediate", "digest_hour": "8", "timezone": "UTC"}))]),
    "list and read API keys": Action(
        prepare=lambda w: dict(zip(("k", "plaintext"), w.key(), strict=True)) | {"prefix": ""},
        api=lambda w, c, ctx: [outcome("list", c.get("/api/v1/api-keys")),
                               outcome("read", c.get(f"/api/v1/api-keys/{ctx['k']}"))],
        manage=lambda w, c, ctx: _keys_page(w, c, {"prefix": ctx["plaintext"][:11]})),
    "create an API key (agency-wide or for a company)": Action(
        api=lambda w, c, ctx: [
            outcome("agency-wide", c.post("/api/v1/api-keys", json={"name": "new", "scopes": ["read"]})),
            outcome("company", c.post("/api/v1/api-keys", json={"name": "new", "scopes": ["metrics:write"],
                                                                "company_id": str(w.company)}))],
        manage=lambda w, c, ctx: [outcome("company", c.post(f"/manage/companies/{w.company}/data/keys",
                                                            data={"name": "Buffer"}))]),
    "revoke another API key": Action(
        prepare=lambda w: {"k": w.key()[0]},
        api=lambda w, c, ctx: [outcome("revoke", c.delete(f"/api/v1/api-keys/{ctx['k']}"))],
        manage=lambda w, c, ctx: [outcome("revoke", c.post(
            f"/manage/companies/{w.company}/data/keys/{ctx['k']}/revoke"))]),
    "read or revoke its own key": Action(
        api=lambda w, c, ctx: [outcome("read", c.get(f"/api/v1/api-keys/{w.acting_key_id}")),
                               outcome("revoke", c.delete(f"/api/v1/api-keys/{w.acting_key_id}"))]),
    "list metric definitions": Action(api=lambda w, c, ctx: [outcome("list", c.get("/api/v1/metric-definitions"))]),
    "add a metric definition": Action(api=lambda w, c, ctx: [outcome("add", c.post(
        "/api/v1/metric-definitions", json={"key": "custom_" + uuid.uuid4().hex[:8], "kind": "flow"}))]),
    "read the agency's settings": Action(api=lambda w, c, ctx: [outcome("read", c.get("/api/v1/agency"))]),
    "change the agency's settings": Action(api=lambda w, c, ctx: [outcome("rename", c.patch(
        "/api/v1/agency", json={"name": "Renamed " + uuid.uuid4().hex[:6]}))]),
    "read the agency's branding (and its logo)": Action(
        prepare=_with_logo,
        api=lambda w, c, ctx: [outcome("read", c.get("/api/v1/agency/branding")),
                               outcome("logo", c.get("/api/v1/agency/branding/logo"))]),
    "change the agency's branding and logo (`/manage/branding`)": Action(
        api=lambda w, c, ctx: [
            outcome("branding", c.put("/api/v1/agency/branding", json={"display_name": w.unique("Brand")})),
            outcome("logo", c.put("/api/v1/agency/branding/logo", data={"logo": (io.BytesIO(_png()), "l.png")},
                                  content_type="multipart/form-data"))],
        manage=lambda w, c, ctx: [
            outcome("branding", c.post("/manage/branding", data={"display_name": w.unique("Brand")})),
            outcome("logo", c.post("/manage/branding/logo", data={"logo": (io.BytesIO(_png()), "l.png")},
                                   content_type="multipart/form-data"))]),
    "GET /me": Action(api=lambda w, c, ctx: [outcome("me", c.get("/api/v1/me"))]),
    "see the agency's failed jobs (`/manage/jobs`)": Action(
        manage=lambda w, c, ctx: [outcome("jobs", c.get("/manage/jobs"))]),
    "see the agency's outbox (`/manage/outbox`, development only)": Action(
        manage=lambda w, c, ctx: [outcome("outbox", c.get("/manage/outbox"))]),
    "list a company's share links (`/manage/companies/…/share-links`)": Action(
        prepare=lambda w: {"link": w.share_link()},
        api=lambda w, c, ctx: [outcome("list", c.get(f"/api/v1/companies/{w.company}/share-links"))],
        manage=lambda w, c, ctx: _share_links_page(w, c, ctx)),
    "make or revoke a share link": Action(
        prepare=lambda w: {"link": w.share_link()},
        api=lambda w, c, ctx: [
            outcome("make", c.post(f"/api/v1/companies/{w.company}/share-links", json=_SHARE_BOARD)),
            outcome("revoke", c.delete(f"/api/v1/companies/{w.company}/share-links/{ctx['link']}"))],
        manage=lambda w, c, ctx: [
            outcome("make", c.post(f"/manage/companies/{w.company}/share-links", data=_SHARE_BOARD)),
            outcome("revoke", c.post(f"/manage/companies/{w.company}/share-links/{ctx['link']}/revoke"))]),
    "list and read a company's report schedules (`/manage/companies/…/report-schedules`)": Action(
        prepare=lambda w: {"schedule": w.report_schedule()},
        api=lambda w, c, ctx: [
            outcome("list", c.get(f"/api/v1/companies/{w.company}/report-schedules")),
            outcome("read", c.get(f"/api/v1/companies/{w.company}/report-schedules/{ctx['schedule']}"))],
        manage=lambda w, c, ctx: [
            outcome("page", c.get(f"/manage/companies/{w.company}/report-schedules")),
            outcome("form", c.get(f"/manage/companies/{w.company}/report-schedules/{ctx['schedule']}"))]),
    "add, change or delete a report schedule": Action(
        prepare=lambda w: {"schedule": w.report_schedule(), "gone": w.report_schedule()},
        api=lambda w, c, ctx: [
            outcome("add", c.post(f"/api/v1/companies/{w.company}/report-schedules", json=_SCHEDULE)),
            outcome("change", c.patch(f"/api/v1/companies/{w.company}/report-schedules/{ctx['schedule']}",
                                      json={"hour": 9})),
            outcome("delete", c.delete(f"/api/v1/companies/{w.company}/report-schedules/{ctx['gone']}"))],
        manage=lambda w, c, ctx: [
            outcome("add", c.post(f"/manage/companies/{w.company}/report-schedules", data=_SCHEDULE_FORM)),
            outcome("change", c.post(f"/manage/companies/{w.company}/report-schedules/{ctx['schedule']}",
                                     data={**_SCHEDULE_FORM, "hour": "9", "active": "on"})),
            outcome("delete", c.post(f"/manage/companies/{w.company}/report-schedules/{ctx['gone']}/delete"))]),
    "list and read a company's alert rules (`/manage/companies/…/alert-rules`)": Action(
        prepare=lambda w: {"rule": w.alert_rule()},
        api=lambda w, c, ctx: [
            outcome("list", c.get(f"/api/v1/companies/{w.company}/alert-rules")),
            outcome("read", c.get(f"/api/v1/companies/{w.company}/alert-rules/{ctx['rule']}"))],
        manage=lambda w, c, ctx: [
            outcome("page", c.get(f"/manage/companies/{w.company}/alert-rules")),
            outcome("form", c.get(f"/manage/companies/{w.company}/alert-rules/{ctx['rule']}"))]),
    "add, change, pause or delete an alert rule": Action(
        prepare=lambda w: {"rule": w.alert_rule(), "gone": w.alert_rule()},
        api=lambda w, c, ctx: [
            outcome("add", c.post(f"/api/v1/companies/{w.company}/alert-rules", json=_RULE)),
            outcome("change", c.patch(f"/api/v1/companies/{w.company}/alert-rules/{ctx['rule']}",
                                      json={"params": {"days": 9}})),
            outcome("pause", c.patch(f"/api/v1/companies/{w.company}/alert-rules/{ctx['rule']}",
                                     json={"active": False})),
            outcome("delete", c.delete(f"/api/v1/companies/{w.company}/alert-rules/{ctx['gone']}"))],
        manage=lambda w, c, ctx: [
            outcome("add", c.post(f"/manage/companies/{w.company}/alert-rules", data=_RULE_FORM)),
            outcome("change", c.post(f"/manage/companies/{w.company}/alert-rules/{ctx['rule']}",
                                     data={**_RULE_FORM, "params.days": "9"})),
            outcome("pause", c.post(f"/manage/companies/{w.company}/alert-rules/{ctx['rule']}/pause")),
            outcome("delete", c.post(f"/manage/companies/{w.company}/alert-rules/{ctx['gone']}/delete"))]),
    "read a company's sent reports and their PDFs (`/companies/…/reports`)": Action(
        prepare=lambda w: {"r": w.report("sent")},
        api=lambda w, c, ctx: _sent_reports(w, c, ctx, api=True),
        manage=lambda w, c, ctx: _sent_reports(w, c, ctx, api=False)),
    "list and read a company's draft and ready reports (`/manage/companies/…/reports`)": Action(
        prepare=lambda w: {"r": w.report("draft")}, refused=(403, 404),
        api=lambda w, c, ctx: _draft_reports(w, c, ctx, api=True),
        manage=lambda w, c, ctx: _draft_reports(w, c, ctx, api=False)),
    "make, edit, mark ready, send or delete a report": Action(
        prepare=lambda w: {"draft": w.report(), "other": w.report(), "ready": w.report("ready"), "gone": w.report()},
        api=_change_reports_api, manage=_change_reports_manage),
    "list and read webhooks and their delivery logs (`/manage/webhooks`)": Action(
        prepare=lambda w: dict(zip(("hook", "delivery"), w.webhook(), strict=True)),
        api=lambda w, c, ctx: [
            outcome("list", c.get("/api/v1/webhooks")), outcome("read", c.get(f"/api/v1/webhooks/{ctx['hook']}")),
            outcome("log", c.get(f"/api/v1/webhooks/{ctx['hook']}/deliveries"))],
        manage=lambda w, c, ctx: [outcome("page", c.get("/manage/webhooks")),
                                  outcome("log", c.get(f"/manage/webhooks/{ctx['hook']}"))]),
    "add, change, rotate the secret of, resend to or remove a webhook": Action(
        prepare=lambda w: dict(zip(("hook", "delivery"), w.webhook(), strict=True)) | {"gone": w.webhook()[0]},
        api=lambda w, c, ctx: [
            outcome("add", c.post("/api/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["report.sent"]}),
                    ok=(201,)),
            outcome("change", c.patch(f"/api/v1/webhooks/{ctx['hook']}", json={"description": "CRM"})),
            outcome("rotate", c.post(f"/api/v1/webhooks/{ctx['hook']}/rotate-secret", json={})),
            outcome("resend", c.post(f"/api/v1/webhooks/{ctx['hook']}/deliveries/{ctx['delivery']}/resend")),
            outcome("remove", c.delete(f"/api/v1/webhooks/{ctx['gone']}"), ok=(204,))],
        manage=lambda w, c, ctx: [
            outcome("add", c.post("/manage/webhooks", data={"url": "http://127.0.0.1:9/x", "events": "report.sent"})),
            outcome("change", c.post(f"/manage/webhooks/{ctx['hook']}", data={
                "url": "http://127.0.0.1:9/y", "events": "report.sent", "description": "CRM"})),
            outcome("rotate", c.post(f"/manage/webhooks/{ctx['hook']}/rotate")),
            outcome("resend", c.post(f"/manage/webhooks/{ctx['hook']}/deliveries/{ctx['delivery']}/resend")),
            outcome("remove", c.post(f"/manage/webhooks/{ctx['gone']}/delete"))]),
    "list the alerts one sees (`/alerts`; a client viewer: their company's alerts visible to clients)": Action(
        prepare=lambda w: {"alert": w.alert()},
        api=lambda w, c, ctx: [_alert_listed("list", c.get("/api/v1/alerts"), ctx["alert"])],
        manage=lambda w, c, ctx: [_alert_listed("page", c.get("/alerts"), ctx["alert"])]),
    "mark alerts read (read state is per person)": Action(
        prepare=lambda w: {"alert": w.alert()},
        api=lambda w, c, ctx: [outcome("one", c.post(f"/api/v1/alerts/{ctx['alert']}/read")),
                               outcome("all", c.post("/api/v1/alerts/read", json={}))],
        manage=lambda w, c, ctx: [outcome("one", c.post(f"/alerts/{ctx['alert']}/read"), ok=(303,)),
                                  outcome("all", c.post("/alerts/read"), ok=(303,))]),
}
# Revoking one's own key ends the principal: it goes last.
ORDER = [a for a in ACTIONS if a != "read or revoke its own key"] + ["read or revoke its own key"]


def test_the_table_and_the_actions_name_the_same_things():
    assert set(TABLE) == set(ACTIONS)
    assert COLUMNS == list(SESSION_COLUMNS + KEY_COLUMNS)
    for action, cells in TABLE.items():
        assert set(cells.values()) <= {"✓", "✗", "—"}, action


# (column, how the principal is made): the company column is tried with a key of every scope.
PRINCIPALS = ([(c, c) for c in SESSION_COLUMNS + KEY_COLUMNS[:-1]]
              + [("company key", f"company {s} key") for s in SCOPES])


@pytest.mark.parametrize(("column", "principal"), PRINCIPALS, ids=[p for _, p in PRINCIPALS])
def test_every_cell_of_the_privilege_table(app, column, principal):
    from conftest import ApiClient

    tenant = build_tenant(app, "Acme Agency")
    w = World(app, tenant)
    if principal in SESSION_COLUMNS:
        role = {"client viewer": "viewer"}.get(principal, principal)
        client = login(app.test_client(), tenant.emails[role])
        is_key = False
    else:
        scope = principal.split()[-2]
        if principal.startswith("company "):
            w.acting_key_id, plaintext = w.key((scope,), company=True)
        else:
            w.acting_key_id, plaintext = tenant.key_ids[scope], tenant.keys[scope]
        client = ApiClient(app.test_client(), plaintext)
        is_key = True
        assert client.get("/api/v1/me").status_code == 200  # records last_used_at before any fingerprint
    problems = []
    for name in ORDER:
        expected = TABLE[name][column]
        if expected == "—":
            continue
        action = ACTIONS[name]
        for channel, run in (("api", action.api), ("/manage", action.manage)):
            if run is None:
                continue
            want_allowed = expected == "✓" and not (is_key and channel == "/manage")
            ctx = action.prepare(w)
            before = fingerprint(app)
            outcomes = run(w, client, ctx)
            for o in outcomes:
                if want_allowed and not o.ok:
                    problems.append(f"{name} [{channel}, {o.what}]: expected allowed, got {o.status}")
                if not want_allowed and not o.refused:
                    problems.append(f"{name} [{channel}, {o.what}]: expected refused, got {o.status}")
            if not want_allowed and fingerprint(app) != before:
                changed = [t for t, digest in fingerprint(app).items() if before.get(t) != digest]
                problems.append(f"{name} [{channel}]: refused, yet rows changed in {changed}")
    assert not problems, "\n".join(problems)


def test_an_admin_page_for_a_higher_rank_is_read_only(app, login_as):
    tenant = build_tenant(app, "Acme Agency")
    admin = login_as(tenant, "admin")
    page = admin.get(f"/manage/people/{tenant.users['owner'].id}").get_data(as_text=True)
    assert 'data-testid="read-only"' in page
    assert "Make a set-password link" not in page and "Remove " + tenant.emails["owner"] not in page
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>Save</button>', page)
    # The role list offers only roles below one's own (plus the person's current one).
    people = admin.get("/manage/people").get_data(as_text=True)
    assert 'value="owner"' not in people and 'value="admin"' not in people and 'value="member"' in people


def test_the_agency_always_keeps_an_active_owner(app, login_as):
    tenant = build_tenant(app, "Acme Agency")
    owner = login_as(tenant, "owner")
    me = tenant.users["owner"].id
    # Alone, the owner cannot step down (nor be removed or deactivated by anyone).
    resp = owner.patch(f"/api/v1/users/{me}", json={"role": "admin"})
    assert resp.status_code == 409 and "active owner" in resp.json["detail"]
    # Ownership is transferred by making someone else owner first, then stepping down.
    admin_id = tenant.users["admin"].id
    assert owner.patch(f"/api/v1/users/{admin_id}", json={"role": "owner"}).status_code == 200
    assert owner.patch(f"/api/v1/users/{me}", json={"role": "admin"}).status_code == 200
    # The new owner cannot be deactivated while they are the only active owner.
    new_owner = login_as(tenant, "admin")  # now an owner
    assert new_owner.get("/api/v1/me").json["role"] == "owner"
    other = w_person(app, tenant, "owner")
    assert new_owner.patch(f"/api/v1/users/{other}", json={"active": False}).status_code == 200
    resp = new_owner.delete(f"/api/v1/users/{admin_id}")
    assert resp.status_code == 422  # not yourself
    assert login_as(tenant, "owner").get("/api/v1/me").json["role"] == "admin"


def w_person(app, tenant, role):
    return World(app, tenant).person(role)


def test_a_key_is_created_with_at_most_its_creators_scopes(app):
    from backend.services import privileges
    from backend.tenancy import SCOPE_GRANTS, Forbidden, Principal

    tenant = build_tenant(app, "Acme Agency")
    writer = Principal(kind="api_key", agency_id=tenant.agency_id, label="k",
                       grants=frozenset(SCOPE_GRANTS["write"]), scopes=("write",))
    privileges.require_scopes_within(writer, ["read", "metrics:write", "write"])
    with pytest.raises(Forbidden):
        privileges.require_scopes_within(writer, ["admin"])
