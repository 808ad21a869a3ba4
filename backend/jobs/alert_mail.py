"""Alerts by e-mail (the choices: backend/services/alert_email.py).

- ``notify_alerts(agency_id, alert_ids)`` (an agency job; the evaluation enqueues it after its
  commit): one message per person per alert to everyone the alert concerns whose choice for its
  kind is ``immediate``;
- ``alert_digests_due`` (periodic, hourly, UTC) enqueues ``send_alert_digests`` for every agency
  with alerts in the last two days; that job sends each person whose digest hour has come today
  (in their zone) and who has not had today's digest the alerts of the 24 hours before that hour,
  of the kinds they chose ``digest`` for. No alerts, no message.

Once only, even with two consumers, a retry or an overlap: every message has a key per person
(``alert:<id>``, ``digest:<yyyy-mm-dd>``) and is recorded as an ``AlertEmail`` row (unique per
person and key) after sending. A run claims the key in the queue's storage first (a retry keeps
its task id and its claim; a claim older than CLAIM_LEASE is taken over, so a run lost with its
consumer is sent by a later one), checks the record again, and sends through
backend/jobs/mail.py ``deliver``, whose message id derives from the key (a retry after the
server accepted the message sends nothing).
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import current_app, render_template
from huey import crontab
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Agency, Alert, AlertEmail, Company
from ..services import alert_email as svc
from ..services import branding as branding_svc
from ..services import goal_terms
from ..services.errors import NotFound
from ..services.mail import Attachment, Email, compose
from ..services.report_schedules import local_today, to_utc, zone
from ..tenancy import cross_tenant
from .mail import deliver
from .queue import agency_job, huey, periodic_job

log = logging.getLogger("reachboard.jobs.alert_mail")

HOURLY = crontab(minute="0")
CLAIM_LEASE = dt.timedelta(minutes=15)
RECENT = dt.timedelta(days=2)
LOGO_CID = "agency-logo"
SEVERITY_LABELS = {"critical": "Critical", "warning": "Warning", "info": "Info"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


_clock: dict[str, Callable[[], dt.datetime]] = {"now": utcnow}  # the tests freeze it


def now() -> dt.datetime:
    return _clock["now"]()


# --- once per person and key ----------------------------------------------------------------

def _claim_key(user_id: uuid.UUID, key: str) -> str:
    return f"{huey.name}.alert_mail.{user_id}.{key}"


def _claim(user_id: uuid.UUID, key: str, owner: str) -> bool:
    """True when this run (or an earlier attempt of its task) holds the key, or took over a claim
    older than CLAIM_LEASE; False while another run holds it."""
    name, mine = _claim_key(user_id, key), f"{owner}|{now().isoformat()}"
    if huey.put_if_empty(name, mine):
        return True
    holder, _, since = str(huey.get(name, peek=True) or "").partition("|")
    if holder == owner:
        return True
    try:
        stale = now() - dt.datetime.fromisoformat(since) >= CLAIM_LEASE
    except ValueError:
        stale = True
    if stale:
        huey.put(name, mine)
    return stale


def _recorded(user_id: uuid.UUID, key: str) -> bool:
    return db.session.scalars(select(AlertEmail.id).where(AlertEmail.user_id == user_id,
                                                          AlertEmail.key == key)).first() is not None


def send_once(person: svc.Person, key: str, count: int, build: Callable[[], Email], owner: str) -> bool:
    """Send ``build()`` to the person unless the key was sent (or is being sent) already."""
    if _recorded(person.id, key) or not _claim(person.id, key, owner):
        return False
    db.session.rollback()  # read again after the claim: a twin may have recorded it meanwhile
    if _recorded(person.id, key):
        huey.delete(_claim_key(person.id, key))
        return False
    email = build()
    db.session.rollback()  # no transaction (SQLite: no write lock) while the mail server answers
    deliver(email)  # raises for the retry; the claim stays with this task
    db.session.add(AlertEmail(user_id=person.id, key=key, alert_count=count, created_at=now()))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # recorded by a run that took over a lapsed claim
    huey.delete(_claim_key(person.id, key))
    return True


class Sending:
    """One run's sends: a failure for one person does not hold back the others; the run raises
    the first failure at its end, so it is retried (the people sent meanwhile are skipped)."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.failure: Exception | None = None

    def send(self, person: svc.Person, key: str, count: int, build: Callable[[], Email]) -> bool:
        try:
            return send_once(person, key, count, build, self.owner)
        except Exception as exc:  # noqa: BLE001 - raised at the end of the run
            db.session.rollback()
            log.warning("alert e-mail %s to person %s failed: %s", key, person.id, exc)
            self.failure = self.failure or exc
            return False

    def raise_first(self) -> None:
        if self.failure is not None:
            raise self.failure


def message_id(user_id: uuid.UUID, key: str) -> str:
    kind, _, rest = key.partition(":")
    return f"alert-{kind}-{user_id.hex}-{rest.replace('-', '')}"


# --- composing ------------------------------------------------------------------------------

def _absolute(path: str, company_id: uuid.UUID) -> str:
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        path = f"/dashboard/company/{company_id}"  # the alert names no page of its own
    return str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") + path


def _seen(seen: dict[str, Any]) -> list[tuple[str, str]]:
    """What was seen, as (label, value) lines; ids are for machines (the link opens the object)."""
    out = []
    for name, value in (seen or {}).items():
        if name == "id" or str(name).endswith("_id"):
            continue
        if isinstance(value, float):
            value = f"{value:,.6g}"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, str) and value in goal_terms.STATUS_TERMS:
            value = goal_terms.STATUS_TERMS[value].label  # one vocabulary of goal statuses
        out.append((str(name).replace("_", " ").capitalize(), str(value)))
    return out


def _logo(brand: branding_svc.Branding) -> Attachment | None:
    if not brand.logo_sha256:
        return None
    try:
        content, mime, _digest = branding_svc.logo()
    except NotFound:
        return None
    names = {"image/png": "logo.png", "image/jpeg": "logo.jpg", "image/svg+xml": "logo.svg"}
    return Attachment(names.get(mime, "logo"), mime, content, content_id=LOGO_CID)


class Composer:
    """Builds an agency's alert messages (branding and company names read once per job)."""

    def __init__(self, agency_id: uuid.UUID) -> None:
        self.agency_id = agency_id
        self.brand = branding_svc.get_branding()
        self.logo = _logo(self.brand)
        rows = db.session.execute(select(Company.id, Company.name))
        self.companies: dict[uuid.UUID, str] = {cid: name for cid, name in rows}

    def item(self, alert: Alert) -> dict[str, Any]:
        return {"title": alert.title, "company": self.companies.get(alert.company_id, ""),
                "kind": svc.KIND_LABELS.get(alert.kind, alert.kind),
                "severity": SEVERITY_LABELS.get(alert.severity, alert.severity), "day": alert.day.isoformat(),
                "seen": _seen(alert.seen), "link": _absolute(alert.link or "", alert.company_id)}

    def build(self, person: svc.Person, key: str, subject: str, intro: str, alerts: list[Alert]) -> Email:
        kinds = sorted({a.kind for a in alerts}, key=svc.KINDS.index)
        unsubscribe = [(svc.KIND_LABELS[k], svc.unsubscribe_url(self.agency_id, person.id, [k])) for k in kinds]
        every = svc.unsubscribe_url(self.agency_id, person.id, kinds)
        choices = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") + "/account/alert-emails"
        brand = self.brand
        subject = " ".join(subject.split())[:250]  # one line, whatever a goal's or company's name holds
        context = {"brand": brand, "subject": subject, "intro": intro, "items": [self.item(a) for a in alerts],
                   "unsubscribe": unsubscribe, "choices_url": choices,
                   "logo_cid": LOGO_CID if self.logo is not None else None,
                   "color": brand.primary_color or "#212529",
                   "link_color": "#212529" if brand.light_color or not brand.primary_color else brand.primary_color,
                   "text_color": "#212529" if brand.light_color else "#ffffff"}
        return compose(to=[person.email], subject=subject, html=render_template("email/alerts.html", **context),
                       text=render_template("email/alerts.txt", **context),
                       sender_name=brand.email_sender_name or brand.display_name,
                       attachments=[self.logo] if self.logo is not None else [], agency_id=self.agency_id,
                       message_id=message_id(person.id, key),
                       headers={"List-Unsubscribe": f"<{every}>",
                                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})


def _owner(task: Any) -> str:
    return str(task.id) if task is not None else uuid.uuid4().hex


# --- immediately ----------------------------------------------------------------------------

@agency_job("notify_alerts", context=True)
def notify_alerts(agency_id: uuid.UUID, alert_ids: list[Any], task: Any = None) -> None:
    """E-mail each alert to the people it concerns whose choice for its kind is ``immediate``."""
    ids = [a if isinstance(a, uuid.UUID) else uuid.UUID(str(a)) for a in alert_ids]
    alerts = db.session.scalars(select(Alert).where(Alert.id.in_(ids)).order_by(Alert.created_at)).all()
    if not alerts:
        return
    everyone, sending, composer, sent = svc.people(), Sending(_owner(task)), Composer(agency_id), 0
    for alert in alerts:
        for person in everyone:
            if person.choices[alert.kind].mode != "immediate" or not person.concerned_by(alert):
                continue
            company = composer.companies.get(alert.company_id, "")
            key, subject = f"alert:{alert.id}", f"{company}: {alert.title}"
            intro = f"A new {SEVERITY_LABELS.get(alert.severity, alert.severity).lower()} alert for {company}."
            sent += sending.send(person, key, 1, partial(composer.build, person, key, subject, intro, [alert]))
    sending.raise_first()
    log.info("alert e-mail: %d message(s) for %d alert(s) of agency %s", sent, len(alerts), agency_id)


# --- the daily digest -----------------------------------------------------------------------

def digest_window(at: dt.datetime, hour: int, timezone: str) -> tuple[dt.date, dt.datetime, dt.datetime] | None:
    """(the person's day, the UTC start and end of the alerts it lists) when its digest hour has
    come at ``at`` (UTC), else None. The day's digest lists the 24 hours before that hour."""
    tz = zone(timezone)
    day = local_today(tz, at)
    end = to_utc(day, hour, tz)
    if at < end:
        return None
    return day, to_utc(day - dt.timedelta(days=1), hour, tz), end


@agency_job("send_alert_digests", context=True)
def send_alert_digests(agency_id: uuid.UUID, at: str, task: Any = None) -> None:
    """Today's digest to every person of the agency whose digest hour has come by ``at`` (UTC)."""
    when = dt.datetime.fromisoformat(at)
    recent = db.session.scalars(select(Alert).where(Alert.created_at >= when - RECENT, Alert.created_at <= when)
                                .order_by(Alert.created_at)).all()
    if not recent:
        return
    sending, composer, sent = Sending(_owner(task)), None, 0
    for person in svc.people():
        kinds, hour, timezone = person.digest()
        window = digest_window(when, hour, timezone) if kinds else None
        if window is None:
            continue
        day, start, end = window
        alerts = [a for a in recent if a.kind in kinds and start <= a.created_at < end and person.concerned_by(a)]
        if not alerts:
            continue
        composer = composer or Composer(agency_id)
        subject = (f"{composer.brand.display_name}: {len(alerts)} alert{'s' if len(alerts) != 1 else ''} "
                   f"on {day.day} {day:%B %Y}")
        intro = f"The alerts of the 24 hours before {hour:02d}:00 ({timezone}) on {day.isoformat()}."
        key = f"digest:{day.isoformat()}"
        sent += sending.send(person, key, len(alerts), partial(composer.build, person, key, subject, intro, alerts))
    if sent:
        log.info("alert digests: %d sent for agency %s", sent, agency_id)
    sending.raise_first()


def agencies_with_recent_alerts(at: dt.datetime) -> list[uuid.UUID]:
    with cross_tenant("the digest scan finds the agencies with recent alerts"):
        ids = db.session.scalars(select(Agency.id).where(Agency.id.in_(
            select(Alert.agency_id).where(Alert.created_at >= at - RECENT, Alert.created_at <= at)))).all()
    db.session.rollback()  # end the read transaction before the enqueues
    return list(ids)


@periodic_job(HOURLY, "alert_digests_due", retries=1, retry_delay=60)
def alert_digests_due(task: Any = None) -> None:
    """Enqueue the digests of every agency with recent alerts (see the module docstring)."""
    at = now()
    for agency_id in agencies_with_recent_alerts(at):
        send_alert_digests(agency_id, at.isoformat())
