"""Sending webhooks (backend/services/webhooks.py records them): the ``send_webhook`` agency job,
one attempt of one delivery, and ``webhooks_due`` (periodic, every minute) that enqueues every
agency's pending deliveries whose next attempt has come.

An attempt is a POST of the delivery's JSON ``{type, timestamp, data}`` with the Standard Webhooks
headers: ``webhook-id`` (the delivery's message id, the same on every attempt), ``webhook-timestamp``
(the attempt's, Unix seconds) and ``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` per signing
secret, space-separated, made by the ``standardwebhooks`` package). It goes through
requests-hardened: the host is resolved when connecting and a loopback (unless allowed), private,
link-local or reserved address is refused then (DNS rebinding), redirects are never followed
(a 3xx is a failure), the answer gets ``WEBHOOKS_TIMEOUT`` seconds (10), and only its first
1 KB is read and kept.

A 2xx is delivered. Otherwise the next attempt waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and
10 h (the spec's schedule, about a day); after the last the delivery has failed. The sweep sends
what is due (within a minute of its time); a wait shorter than that is scheduled on the queue. An endpoint
failing without a success for ``WEBHOOKS_DISABLE_AFTER_HOURS`` (24) is disabled, with the reason
on it, and the agency's owners and admins get an e-mail. Two consumers never send one attempt
twice: an attempt claims the delivery first (compare-and-set on its attempts and due time).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app, render_template
from huey import crontab
from requests_hardened import Config as HardenedConfig
from requests_hardened import HTTPSession
from sqlalchemy import select, update
from standardwebhooks.webhooks import Webhook

from ..extensions import db
from ..models import AgencyMembership, User, WebhookDelivery, WebhookEndpoint
from ..services import branding as branding_svc
from ..services import webhooks as svc
from ..services.mail import compose
from ..tenancy import cross_tenant
from .mail import queue_email
from .queue import agency_job, huey, periodic_job

log = logging.getLogger("reachboard.webhooks")

RETRY_DELAYS = (dt.timedelta(seconds=5), dt.timedelta(minutes=5), dt.timedelta(minutes=30), dt.timedelta(hours=2),
                dt.timedelta(hours=5), dt.timedelta(hours=10), dt.timedelta(hours=10))
ANSWER_LIMIT = 1024
ERROR_LIMIT = 500
USER_AGENT = "Reachboard-Webhooks/1"
SWEEP_BATCH = 500
SWEEP_EVERY = dt.timedelta(minutes=1)
# Ahead of every other waiting job (Huey's default priority is none, taken as 0): an integrator
# waits on a delivery, nobody waits on a PDF's first second.
WEBHOOK_PRIORITY = 10


@dataclass
class Outcome:
    status_code: int | None
    latency_ms: float
    answer: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def timeout() -> float:
    return float(current_app.config.get("WEBHOOKS_TIMEOUT", 10))


def body_of(delivery: WebhookDelivery) -> str:
    return json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False, default=str)


def headers_for(endpoint: WebhookEndpoint, delivery: WebhookDelivery, body: str, at: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers, signed by every secret that signs at ``at``."""
    signatures = [Webhook(secret).sign(delivery.message_id, at, body) for secret in svc.signing_secrets(endpoint, at)]
    return {"webhook-id": delivery.message_id, "webhook-timestamp": str(int(at.replace(tzinfo=dt.UTC).timestamp())),
            "webhook-signature": " ".join(signatures), "Content-Type": "application/json",
            "Accept-Encoding": "identity"}


def post(url: str, body: str, headers: dict[str, str], *, seconds: float, allow_loopback: bool) -> Outcome:
    """One POST through requests-hardened; never raises for the receiver's failure."""
    config = HardenedConfig(ip_filter_enable=True, ip_filter_allow_loopback_ips=allow_loopback, never_redirect=True,
                            default_timeout=(seconds, seconds), user_agent_override=USER_AGENT)
    started = time.monotonic()
    try:
        with HTTPSession(config) as session:
            session.trust_env = False  # no proxy from the environment: it would resolve the host instead
            with session.post(url, data=body.encode(), headers=headers, stream=True, allow_redirects=False,
                              timeout=(seconds, seconds)) as answer:
                latency = (time.monotonic() - started) * 1000
                raw = _first_bytes(answer.raw, started + seconds)
                text = raw.decode("utf-8", errors="replace")
                error = ""
                if 300 <= answer.status_code < 400:
                    error = f"Answered {answer.status_code} (redirects are not followed)"
                elif not 200 <= answer.status_code < 300:
                    error = f"Answered {answer.status_code}"
                return Outcome(answer.status_code, latency, text, error)
    except requests.exceptions.Timeout:
        reason = f"No answer within {seconds:g} s"
    except requests.RequestException as exc:
        reason = _describe(exc)
    return Outcome(None, (time.monotonic() - started) * 1000, "", reason[:ERROR_LIMIT])


def _first_bytes(raw: Any, deadline: float) -> bytes:
    """At most ANSWER_LIMIT bytes of the answer, read a piece at a time until the deadline (a
    receiver dripping bytes does not hold the worker); the rest is never read."""
    out = b""
    try:
        while len(out) < ANSWER_LIMIT and time.monotonic() < deadline:
            piece = raw.read1(ANSWER_LIMIT - len(out), decode_content=False)
            if not piece:
                break
            out += piece
    except Exception as exc:  # noqa: BLE001 - a read timeout or a reset (urllib3's own errors): keep what came
        log.info("webhook answer cut after %d bytes: %s", len(out), type(exc).__name__)
    return out


def _describe(exc: BaseException) -> str:
    if type(exc).__name__ == "InvalidIPAddress":
        return f"Refused: the address resolves to {exc} (not a public address)"
    return f"{type(exc).__name__}: {exc}"


def _claim(delivery: WebhookDelivery, at: dt.datetime) -> bool:
    """Take this attempt (no other consumer takes it): bump attempts and hold it for a lease."""
    lease = at + dt.timedelta(seconds=timeout() + 60)
    result = db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery.id, WebhookDelivery.status == "pending",
               WebhookDelivery.attempts == delivery.attempts, WebhookDelivery.next_attempt_at <= at)
        .values(attempts=WebhookDelivery.attempts + 1, next_attempt_at=lease)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return bool(getattr(result, "rowcount", 0))


def attempt(delivery_id: uuid.UUID) -> str:
    """One attempt of one delivery, if it is due; returns what happened (for the log and tests)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    at = svc.now()
    if delivery is None or delivery.status != "pending":
        return "done"
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > at:
        return "not due"
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        delivery.status, delivery.next_attempt_at = "failed", None
        delivery.last_error = "Not sent: the webhook is disabled."
        db.session.commit()
        return "disabled"
    if not _claim(delivery, at):
        return "taken"
    db.session.refresh(delivery)
    body = body_of(delivery)
    url, headers = endpoint.url, headers_for(endpoint, delivery, body, at)
    db.session.rollback()  # no transaction (SQLite: no write lock) while the receiver answers, up to the timeout
    outcome = post(url, body, headers, seconds=timeout(), allow_loopback=svc.allow_loopback())
    return _record(delivery, endpoint, outcome, at)


def _record(delivery: WebhookDelivery, endpoint: WebhookEndpoint, outcome: Outcome, at: dt.datetime) -> str:
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = round(outcome.latency_ms, 1)
    delivery.last_response = outcome.answer
    delivery.last_error = outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", at, None
        endpoint.failing_since = None
        db.session.commit()
        log.info("webhook %s (%s) delivered to endpoint %s: %s", delivery.message_id, delivery.event, endpoint.id,
                 outcome.status_code)
        return "delivered"
    wait = RETRY_DELAYS[delivery.attempts - 1] if delivery.attempts <= len(RETRY_DELAYS) else None
    if wait is not None:
        delivery.next_attempt_at = at + wait
    else:
        delivery.status, delivery.next_attempt_at = "failed", None
    endpoint.failing_since = endpoint.failing_since or at
    disabled = _disable_if_failing(endpoint, at)
    agency_id, delivery_id = delivery.agency_id, delivery.id
    db.session.commit()
    if wait is not None and wait < SWEEP_EVERY and not disabled and not huey.immediate:
        # Sooner than the sweep's next pass (the 5 s retry): the queue's own schedule.
        send_webhook.schedule(args=(agency_id, delivery_id), delay=wait.total_seconds())
    log.warning("webhook %s (%s) to endpoint %s, attempt %d failed: %s", delivery.message_id, delivery.event,
                endpoint.id, delivery.attempts, outcome.error)
    if disabled:
        _tell_agency(endpoint)
    return "failed" if delivery.status == "failed" else "retry"


def _disable_if_failing(endpoint: WebhookEndpoint, at: dt.datetime) -> bool:
    hours = float(current_app.config.get("WEBHOOKS_DISABLE_AFTER_HOURS", 24))
    if not endpoint.active or endpoint.failing_since is None or at - endpoint.failing_since < dt.timedelta(hours=hours):
        return False
    endpoint.active = False
    endpoint.disabled_reason = (f"Disabled automatically on {at:%Y-%m-%d %H:%M} UTC: every delivery failed since "
                                f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC. Fix the receiver, then enable it "
                                "and resend what it missed.")
    endpoint.version += 1
    return True


def _tell_agency(endpoint: WebhookEndpoint) -> None:
    """E-mail the agency's owners and admins that the endpoint was disabled (best effort)."""
    try:
        to = list(db.session.scalars(
            select(User.email).join(AgencyMembership, AgencyMembership.user_id == User.id)
            .where(User.active.is_(True), AgencyMembership.role.in_(("owner", "admin")))))
        if not to:
            return
        brand = branding_svc.get_branding()
        context = {"brand": brand, "endpoint": endpoint, "color": brand.primary_color or "#212529",
                   "text_color": "#212529" if brand.light_color else "#ffffff",
                   "page": str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") + "/manage/webhooks"}
        email = compose(to=to[:50], subject=f"Webhook disabled: {endpoint.url}"[:200],
                        html=render_template("email/webhook_disabled.html", **context),
                        text=render_template("email/webhook_disabled.txt", **context),
                        sender_name=brand.email_sender_name or brand.display_name, agency_id=endpoint.agency_id,
                        message_id=f"webhook-disabled-{endpoint.id.hex}-{endpoint.version}")
        queue_email(email)
    except Exception:  # noqa: BLE001 - the reason is on the endpoint and its page either way
        log.exception("could not e-mail the agency that webhook %s was disabled", endpoint.id)


@agency_job("send_webhook", retries=0, priority=WEBHOOK_PRIORITY)
def send_webhook(agency_id: uuid.UUID, delivery_id: Any) -> None:
    """One attempt of one delivery (its retries are scheduled on the delivery, not by the queue)."""
    did = delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
    attempt(did)


svc.register_send_job(send_webhook)


def due_deliveries(at: dt.datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(agency, delivery) of every agency's pending delivery whose next attempt has come."""
    with cross_tenant("the sweep finds every agency's due webhook deliveries"):
        rows = db.session.execute(
            select(WebhookDelivery.agency_id, WebhookDelivery.id)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= at)
            .order_by(WebhookDelivery.next_attempt_at).limit(SWEEP_BATCH)).all()
    db.session.rollback()
    return [(agency_id, did) for agency_id, did in rows]


def send_due() -> int:
    """Enqueue an attempt of every due delivery; how many."""
    rows = due_deliveries(svc.now())
    for agency_id, did in rows:
        send_webhook(agency_id, did)
    return len(rows)


@periodic_job(crontab(minute="*"), "webhooks_due", retries=1, retry_delay=30)
def webhooks_due(task: Any = None) -> None:
    """Every minute: enqueue the deliveries whose next attempt has come (see the module docstring)."""
    enqueued = send_due()
    if enqueued:
        log.info("webhooks: %d attempt(s) enqueued", enqueued)
