"""Alerts by e-mail (backend/jobs/alert_mail.py, backend/services/alert_email.py) at a real SMTP
server in-process (aiosmtpd), with a frozen clock and alerts put straight into the database:

- the daily digest: one message per person per day at their digest hour in their zone, listing
  that day's alerts of the kinds they chose — the same after a second scan, two consumers at once
  and a retry after an SMTP failure;
- immediate e-mails per choice; client viewers only for visible alerts of their company; another
  agency's people never;
- the signed unsubscribe link works without a login and fails (friendly 404) when tampered;
- the choices page and its validation.
"""
from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import uuid
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

BASE = "https://reach.example"
DAY = dt.date(2026, 12, 2)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute)


class Inbox:
    """Keeps what arrives; while ``fail_next`` > 0 it refuses a recipient (and counts down)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.fail_next = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            if self.fail_next:
                self.fail_next -= 1
                return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def smtp_server():
    inbox = Inbox()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def smtp(app, smtp_server, monkeypatch):
    """The app sends through the in-process server; job retries happen at once; a frozen clock."""
    from backend.jobs import init_jobs
    from backend.jobs.alert_mail import notify_alerts, send_alert_digests
    from backend.services.mail import init_mail

    inbox, port = smtp_server
    inbox.messages.clear()
    inbox.fail_next = 0
    keys = ("MAIL_BACKEND", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "PUBLIC_BASE_URL")
    saved = {k: app.config.get(k) for k in keys}
    init_jobs(app)  # a fresh queue: no claim or sent message id of another test
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      PUBLIC_BASE_URL=BASE)
    init_mail(app)
    for job in (notify_alerts, send_alert_digests):
        monkeypatch.setattr(job.task_class, "default_retry_delay", 0)
    yield inbox
    app.config.update(saved)
    init_mail(app)
    init_jobs(app)


@pytest.fixture
def clock(monkeypatch):
    from backend.jobs import alert_mail

    class Clock:
        now = at(DAY, 0)

    c = Clock()
    monkeypatch.setitem(alert_mail._clock, "now", lambda: c.now)
    return c


def _system(tenant):
    from backend.tenancy import Principal, acting_as

    return acting_as(Principal.system(tenant.agency_id, "test"))


def add_alert(app, tenant, company, kind, created_at, *, visible=False, title=None, seen=None):
    from backend.extensions import db
    from backend.models import Alert, AlertRule

    with app.app_context(), _system(tenant):
        rule = AlertRule(company_id=company.id, kind=kind, name=f"{kind} rule", params={}, visible_to_clients=visible)
        db.session.add(rule)
        db.session.flush()
        alert = Alert(company_id=company.id, rule_id=rule.id, kind=kind, event_key=f"test:{uuid.uuid4()}",
                      severity="warning", title=title or f"{company.name}: {kind} at {created_at:%d %H:%M}",
                      object_type="channel", object_id="facebook", seen=seen or {"days_without_data": 4},
                      link=f"/dashboard/company/{company.id}?channel=facebook", visible_to_clients=visible,
                      day=created_at.date(), created_at=created_at)
        db.session.add(alert)
        db.session.commit()
        return alert.id, alert.title


def choose(app, tenant, role, modes, hour=7, timezone="UTC"):
    """``role`` of the tenant saves their choices (as the page does, through the service)."""
    from backend.extensions import db
    from backend.models import User
    from backend.services.alert_email import set_my_choices
    from backend.tenancy import Principal, acting_as

    with app.app_context():
        with _system(tenant):
            user = db.session.get(User, tenant.users[role].id)
            company_ids = [tenant.company_a.id] if role == "viewer" else None
            principal = Principal.for_user(user, role, company_ids)
        with acting_as(principal):
            return set_my_choices({"modes": modes, "digest_hour": hour, "timezone": timezone})


def parse(raw: bytes):
    return BytesParser(policy=policy.default).parsebytes(raw)


def received(inbox) -> dict[str, list]:
    """Recipient -> their messages, parsed."""
    out: dict[str, list] = {}
    for raw in inbox.messages:
        message = parse(raw)
        out.setdefault(str(message["To"]), []).append(message)
    return out


def parts(message) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content())


def emails(app, tenant) -> list[tuple[str, str, int]]:
    from backend.extensions import db
    from backend.models import AlertEmail, User

    with app.app_context(), _system(tenant):
        rows = db.session.execute(select(User.email, AlertEmail.key, AlertEmail.alert_count)
                                  .join(User, User.id == AlertEmail.user_id)).all()
        return sorted((e, k, n) for e, k, n in rows)


def scan(app):
    from backend.jobs.alert_mail import alert_digests_due

    with app.app_context():
        alert_digests_due()


@pytest.fixture
def world(app, tenants):
    """Acme (branded; company A in Oslo, so staff's default digest is at 07:00 Oslo = 06:00 UTC)
    and Globex (UTC); alerts around the digests of 2 December."""
    from backend.services import branding
    from backend.services.companies import update_company

    acme, globex = tenants
    with app.app_context(), _system(acme):
        update_company(acme.company_a.id, {"timezone": "Europe/Oslo"})
        branding.update_branding({"display_name": "Acme Social", "primary_color": "#C81E5A",
                                  "email_sender_name": "Acme Social alerts", "footer": "Acme Social · Storgatan 1"})
    a, b = acme.company_a, acme.company_b
    alerts = {
        "a1": add_alert(app, acme, a, "goal_status", at(DAY - dt.timedelta(days=1), 9), visible=True),
        "a2": add_alert(app, acme, b, "spike", at(DAY - dt.timedelta(days=1), 20)),
        "a3": add_alert(app, acme, a, "stale_data", at(DAY, 5, 30)),
        "old": add_alert(app, acme, a, "goal_status", at(DAY - dt.timedelta(days=2), 12), visible=True),
        "a5": add_alert(app, acme, a, "threshold", at(DAY, 6, 30), visible=True),
        "g1": add_alert(app, globex, globex.company_a, "goal_status", at(DAY - dt.timedelta(days=1), 10),
                        visible=True),
    }
    choose(app, acme, "member", {"stale_data": "off"}, hour=7, timezone="Europe/Oslo")
    choose(app, acme, "viewer", {k: "digest" for k in ("goal_status", "stale_data", "threshold", "spike")})
    return acme, globex, alerts


def titles(message, alerts) -> set[str]:
    text, html = parts(message)
    found = {name for name, (_id, title) in alerts.items() if title in text}
    assert found == {name for name, (_id, title) in alerts.items() if title in html}
    return found


def test_the_digest_is_one_message_per_person_per_day_listing_that_days_alerts(app, smtp, clock, world):
    acme, globex, alerts = world
    clock.now = at(DAY, 5, 59)  # 06:59 in Oslo: nobody's hour yet
    scan(app)
    assert smtp.messages == []

    clock.now = at(DAY, 6, 5)  # 07:05 in Oslo: Acme's staff
    scan(app)
    got = received(smtp)
    assert sorted(got) == sorted(acme.emails[r] for r in ("owner", "admin", "member"))
    assert all(len(m) == 1 for m in got.values())
    assert titles(got[acme.emails["owner"]][0], alerts) == {"a1", "a2", "a3"}  # not the older one, not a5 yet
    assert titles(got[acme.emails["admin"]][0], alerts) == {"a1", "a2", "a3"}
    assert titles(got[acme.emails["member"]][0], alerts) == {"a1", "a2"}  # stale data is off for them

    message = got[acme.emails["owner"]][0]
    assert message["Subject"] == "Acme Social: 3 alerts on 2 December 2026"
    assert message["From"].addresses[0].display_name == "Acme Social alerts"
    text, html = parts(message)
    a1_id = alerts["a1"][0]
    link = f"{BASE}/dashboard/company/{acme.company_a.id}?channel=facebook"
    assert link in text and link.replace("?", "?") in html and "Days without data: 4" in text
    assert "#C81E5A" in html and "Acme Social · Storgatan 1" in text and "Acme Social · Storgatan 1" in html
    assert message["List-Unsubscribe"].startswith(f"<{BASE}/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert str(a1_id) not in message["List-Unsubscribe"]

    # The same hour again: a second consumer's scan, and a twin of the agency's job.
    from backend.jobs.alert_mail import send_alert_digests

    clock.now = at(DAY, 6, 40)
    scan(app)
    with app.app_context():
        send_alert_digests(acme.agency_id, at(DAY, 6, 5).isoformat())
    assert len(smtp.messages) == 3

    clock.now = at(DAY, 7, 10)  # 07:10 UTC: the viewer's hour, and Globex's staff (UTC by default)
    scan(app)
    got = received(smtp)
    viewer = got[acme.emails["viewer"]]
    assert len(viewer) == 1 and titles(viewer[0], alerts) == {"a1", "a5"}  # visible ones of company A only
    for role in ("owner", "admin", "member"):
        assert len(got[globex.emails[role]]) == 1 and titles(got[globex.emails[role]][0], alerts) == {"g1"}
        assert len(got[acme.emails[role]]) == 1
    assert globex.emails["viewer"] not in got  # a viewer's default is off
    assert len(smtp.messages) == 7

    clock.now = at(DAY + dt.timedelta(days=1), 6, 30)  # the next day: a5 for Acme's staff, nothing new for the viewer
    scan(app)
    got = received(smtp)
    assert len(smtp.messages) == 10
    assert [titles(m, alerts) for m in got[acme.emails["owner"]]] == [{"a1", "a2", "a3"}, {"a5"}]
    assert len(got[acme.emails["viewer"]]) == 1
    assert emails(app, acme) == sorted(
        [(acme.emails[r], "digest:2026-12-02", 3) for r in ("owner", "admin")]
        + [(acme.emails["member"], "digest:2026-12-02", 2), (acme.emails["viewer"], "digest:2026-12-02", 2)]
        + [(acme.emails[r], "digest:2026-12-03", 1) for r in ("owner", "admin", "member")])


def test_two_consumers_at_once_and_a_retry_send_one_digest_per_person(app, smtp, clock, world):
    from backend.jobs.alert_mail import send_alert_digests

    acme, _globex, _alerts = world
    clock.now = at(DAY, 6, 5)
    smtp.fail_next = 1  # the first message is refused: that job fails, and is retried
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def consumer():
        with app.app_context():
            start.wait()
            try:
                send_alert_digests(acme.agency_id, clock.now.isoformat())
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

    threads = [threading.Thread(target=consumer) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    got = received(smtp)
    assert sorted(got) == sorted(acme.emails[r] for r in ("owner", "admin", "member"))
    assert all(len(m) == 1 for m in got.values()), {k: len(v) for k, v in got.items()}
    assert [k for _e, k, _n in emails(app, acme)] == ["digest:2026-12-02"] * 3


def test_a_failed_digest_is_sent_by_a_later_scan_once_its_claim_lapses(app, smtp, clock, world, monkeypatch):
    """A run that failed (or a consumer lost while sending) holds its claim on the person's digest:
    another run leaves that person alone until CLAIM_LEASE has passed, then sends it once."""
    from backend.jobs.alert_mail import CLAIM_LEASE, send_alert_digests

    acme, _globex, _alerts = world
    staff = sorted(acme.emails[r] for r in ("owner", "admin", "member"))
    monkeypatch.setattr(send_alert_digests.task_class, "default_retries", 0)
    clock.now = at(DAY, 6, 5)
    smtp.fail_next = 1
    with app.app_context():
        send_alert_digests(acme.agency_id, clock.now.isoformat())  # the first person's message refused; no retry
    first = received(smtp)
    assert len(first) == 2 and all(len(m) == 1 for m in first.values())
    (missing,) = set(staff) - set(first)
    clock.now = at(DAY, 6, 5) + CLAIM_LEASE - dt.timedelta(minutes=1)
    scan(app)  # another consumer's run: the failed run's claim still holds
    assert len(smtp.messages) == 2
    clock.now = at(DAY, 6, 5) + CLAIM_LEASE + dt.timedelta(minutes=1)
    scan(app)
    got = received(smtp)
    assert sorted(got) == staff and all(len(m) == 1 for m in got.values()) and missing in got
    assert [k for _e, k, _n in emails(app, acme)] == ["digest:2026-12-02"] * 3


def test_immediate_emails_go_per_choice_to_the_people_each_alert_concerns(app, smtp, clock, world):
    from backend.jobs.alert_mail import notify_alerts

    acme, globex, _alerts = world
    every = ("goal_status", "stale_data", "threshold", "spike")
    choose(app, acme, "owner", {"goal_status": "immediate", "spike": "off"})
    choose(app, acme, "viewer", {k: "immediate" for k in every})
    choose(app, globex, "owner", {k: "immediate" for k in every})
    now = at(DAY, 12)
    fresh = {
        "goal_a": add_alert(app, acme, acme.company_a, "goal_status", now, visible=True,
                            title="Grow the audience\r\nBcc: x@example.com is at risk"),
        "goal_b": add_alert(app, acme, acme.company_b, "goal_status", now, visible=True),
        "spike_a": add_alert(app, acme, acme.company_a, "spike", now),
        "stale_a": add_alert(app, acme, acme.company_a, "stale_data", now),
    }
    ids = [alert_id for alert_id, _title in fresh.values()]
    with app.app_context():
        notify_alerts(acme.agency_id, ids)
        notify_alerts(acme.agency_id, ids)  # a retry, or a twin: nothing twice
    got = received(smtp)
    assert sorted(got) == sorted([acme.emails["owner"], acme.emails["viewer"]])  # the rest get digests; Globex none
    owner = got[acme.emails["owner"]]
    pairs = ((acme.company_a, "goal_a"), (acme.company_b, "goal_b"))
    assert sorted(m["Subject"] for m in owner) == sorted(  # a line break in a title is a space in the subject
        f"{c.name}: {' '.join(fresh[n][1].split())}" for c, n in pairs)
    assert all(m["Bcc"] is None for m in owner)
    assert [titles(m, fresh) for m in got[acme.emails["viewer"]]] == [{"goal_a"}]  # visible, and their company
    text, _html = parts(got[acme.emails["viewer"]][0])
    assert f"{BASE}/dashboard/company/{acme.company_a.id}?channel=facebook" in text
    assert sorted(k for e, k, _n in emails(app, acme) if e == acme.emails["owner"]) == sorted(
        f"alert:{fresh[n][0]}" for n in ("goal_a", "goal_b"))
    # Globex's job with Acme's alert ids finds nothing of theirs.
    with app.app_context():
        notify_alerts(globex.agency_id, ids)
    assert len(smtp.messages) == 3


def _unsubscribe_path(message) -> str:
    url = re.search(r"<([^>]+)>", message["List-Unsubscribe"]).group(1)
    assert url.startswith(BASE)
    return url[len(BASE):]


def test_the_signed_unsubscribe_link_turns_the_kind_off_without_a_login(app, smtp, clock, world, client):
    from backend.jobs.alert_mail import notify_alerts

    acme, _globex, _alerts = world
    choose(app, acme, "owner", {"goal_status": "immediate"})
    first, _ = add_alert(app, acme, acme.company_a, "goal_status", at(DAY, 12))
    with app.app_context():
        notify_alerts(acme.agency_id, [first])
    (message,) = received(smtp)[acme.emails["owner"]]
    path = _unsubscribe_path(message)
    text, html = parts(message)
    assert f"{BASE}{path}" in text and f"{BASE}{path}" in html  # the kind's own link in the body too

    ask = client.get(path)
    assert ask.status_code == 200 and "Set-Cookie" not in ask.headers
    assert "goal status" in ask.get_data(as_text=True) and acme.emails["owner"] in ask.get_data(as_text=True)
    done = client.post(path)  # the button, or a mail client's one-click POST
    assert done.status_code == 200 and "You are unsubscribed" in done.get_data(as_text=True)
    assert "Set-Cookie" not in done.headers

    second, _ = add_alert(app, acme, acme.company_a, "goal_status", at(DAY, 13))
    with app.app_context():
        notify_alerts(acme.agency_id, [second])
    assert len(smtp.messages) == 1  # goal status is off for the owner now

    token = path.rsplit("/", 1)[1]
    flipped = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    from backend.services.alert_email import unsubscribe_token

    with app.app_context():
        foreign = unsubscribe_token(acme.agency_id, uuid.uuid4(), ["goal_status"])  # nobody of Acme
        other_agency = unsubscribe_token(_globex.agency_id, acme.users["admin"].id, ["spike"])
    assert client.get("/unsubscribe/%00").status_code == 404  # the input guard's page
    for bad in (flipped, token[:20], "x" * 40, "a" * 700, foreign, other_agency):
        for method in ("get", "post"):
            resp = getattr(client, method)(f"/unsubscribe/{bad}")
            assert resp.status_code == 404, (bad, method, resp.status_code)
            assert "This link does not work" in resp.get_data(as_text=True)
    with app.app_context(), _system(acme):
        from backend.extensions import db
        from backend.models import AlertEmailChoice

        modes = {(r.user_id, r.kind): r.mode for r in db.session.scalars(select(AlertEmailChoice))}
    assert modes[(acme.users["owner"].id, "goal_status")] == "off"
    assert (acme.users["admin"].id, "spike") not in modes


def test_the_choices_page_shows_the_defaults_and_names_a_wrong_field(app, tenants, login_as):
    acme, _ = tenants
    member = login_as(acme, "member")
    page = member.get("/account").get_data(as_text=True)
    assert "/account/alert-emails" in page
    html = member.get("/account/alert-emails").get_data(as_text=True)
    assert re.search(r'name="modes.spike"[^>]*>.*?<option value="digest" selected>', html, re.S)
    assert '<option value="7" selected>07:00</option>' in html
    good = {"modes.goal_status": "immediate", "modes.stale_data": "off", "modes.threshold": "digest",
            "modes.spike": "digest", "digest_hour": "18", "timezone": "Europe/Stockholm"}
    for field, value, message in (("modes.spike", "sometimes", "Must be one of: off, immediate, digest."),
                                  ("digest_hour", "24", "Must be a whole hour from 0 to 23."),
                                  ("digest_hour", "9" * 12, "Must be a whole hour from 0 to 23."),
                                  ("timezone", "Mars/Olympus", "Must be a time zone name")):
        resp = member.post("/account/alert-emails", data={**good, field: value})
        assert resp.status_code == 422, (field, value)
        body = resp.get_data(as_text=True)
        assert f'<p class="rb-field-error">{message}' in body
        assert body.count("rb-field-error") == 1
    resp = member.post("/account/alert-emails", data=good)
    assert resp.status_code == 302
    html = member.get("/account/alert-emails").get_data(as_text=True)
    assert '<option value="18" selected>18:00</option>' in html and 'value="Europe/Stockholm" selected' in html
    assert re.search(r'name="modes.goal_status"[^>]*>.*?<option value="immediate" selected>', html, re.S)
    # A form without some kinds (an older page, a script) keeps their modes.
    assert member.post("/account/alert-emails", data={"digest_hour": "9", "timezone": "UTC"}).status_code == 302
    html = member.get("/account/alert-emails").get_data(as_text=True)
    assert re.search(r'name="modes.goal_status"[^>]*>.*?<option value="immediate" selected>', html, re.S)
    assert '<option value="9" selected>09:00</option>' in html

    viewer = login_as(acme, "viewer")
    html = viewer.get("/account/alert-emails").get_data(as_text=True)
    assert re.search(r'name="modes.goal_status"[^>]*>\s*<option value="off" selected>', html)
    assert "you get no alert e-mail" in html


def test_the_kinds_are_the_rules_kinds():
    from backend.models import AlertRule
    from backend.services.alert_email import KINDS

    check = next(c for c in AlertRule.__table__.constraints if str(getattr(c, "sqltext", "")).startswith("kind IN"))
    assert set(re.findall(r"'(\w+)'", str(check.sqltext))) == set(KINDS)


def test_with_csrf_on_a_mail_clients_one_click_post_unsubscribes_without_a_form_token(app, database_url, tenants):
    from conftest import make_app

    from backend.extensions import db
    from backend.models import AlertEmailChoice
    from backend.services.alert_email import unsubscribe_token

    acme, _ = tenants
    guarded = make_app(database_url, WTF_CSRF_ENABLED=True)
    with guarded.app_context():
        token = unsubscribe_token(acme.agency_id, acme.users["admin"].id, ["spike", "threshold"])
    resp = guarded.test_client().post(f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                                      content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 200 and "spike and threshold alerts" in resp.get_data(as_text=True)
    with app.app_context(), _system(acme):
        modes = {r.kind: r.mode for r in db.session.scalars(select(AlertEmailChoice))}
    assert modes == {"spike": "off", "threshold": "off"}


def test_a_message_may_add_headers_but_not_replace_its_own(app):
    from backend.services.errors import ValidationFailed
    from backend.services.mail import build_message, compose

    base = {"to": ["a@example.com"], "subject": "Hi", "html": "<p>Hi</p>", "text": "Hi"}
    with app.app_context():
        email = compose(**base, headers={"List-Unsubscribe": "<https://reach.example/unsubscribe/x>"})
        assert build_message(email).extra_headers["List-Unsubscribe"] == "<https://reach.example/unsubscribe/x>"
        for name, value in (("From", "evil@example.com"), ("Message-ID", "<x@y>"), ("X-Reachboard-Agency", "x"),
                            ("Bad Name", "x"), ("List-Unsubscribe", "a\r\nBcc: evil@example.com")):
            with pytest.raises(ValidationFailed) as caught:
                compose(**base, headers={name: value})
            assert caught.value.errors[0]["field"].startswith("headers"), name


def test_what_was_seen_reads_as_lines_without_ids():
    from backend.jobs.alert_mail import _seen

    seen = {"goal_id": str(uuid.uuid4()), "goal": "Grow the audience", "from": "on_track", "to": "at_risk",
            "median_28_days": 12.3456789, "days": [1, 2], "range": {"low": 1}}
    assert _seen(seen) == [("Goal", "Grow the audience"), ("From", "On track"), ("To", "At risk"),
                           ("Median 28 days", "12.3457"), ("Days", "1, 2"), ("Range", "low: 1")]
