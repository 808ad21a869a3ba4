"""Webhooks: an agency's endpoints (optionally limited to one company) and the events they
subscribe to, signed per the Standard Webhooks scheme (https://www.standardwebhooks.com/).

- The secret is ``whsec_`` + base64 of 32 bytes, shown once: in the answer that creates the
  endpoint and in the one that rotates its secret. Signing needs it, yet it is never stored: the
  endpoint keeps a random seed (``WebhookEndpoint.secret``, 256 bits) and the secret is
  HMAC-SHA256(SECRET_KEY, seed), computed when signing. So a copy of the database, the SQL log
  or an idempotency record holds nothing a receiver would accept; changing SECRET_KEY changes
  every endpoint's secret (rotate them all and hand the new ones over). A retried create with
  the same Idempotency-Key derives the endpoint's id from SECRET_KEY, the credential and the key,
  and computes the secret again from the endpoint's seed.
- A rotation keeps the previous secret signing too (two signatures in ``webhook-signature``) for
  an overlap period (``WEBHOOKS_ROTATION_OVERLAP_HOURS``, 24 h by default, or per rotation).
- Addresses: http(s) only; https when ``WEBHOOKS_REQUIRE_HTTPS`` (production); a host that is or
  resolves to a loopback, private, link-local (cloud metadata), shared or reserved address is
  refused at save, and again at every delivery after resolving (backend/jobs/webhooks.py), unless
  ``WEBHOOKS_ALLOW_LOOPBACK`` allows loopback (development and tests).
- Owners, admins and agency-wide admin keys manage and read the endpoints and their deliveries.

:func:`publish` is what the sources call after their commit.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import ipaddress
import logging
import secrets
import socket
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Company, WebhookDelivery, WebhookEndpoint
from ..models import utcnow as _utcnow
from ..tenancy import Forbidden, Principal, current_principal
from . import audit, privileges
from .companies import get_company
from .errors import Conflict, NotFound, ValidationFailed

log = logging.getLogger("reachboard.webhooks")

EVENTS = ("alert.created", "goal.status_changed", "report.sent", "metrics.pushed")
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
URL_MAX = 2000
DESCRIPTION_MAX = 200
OVERLAP_MAX_HOURS = 24 * 7
MANAGERS_ONLY = "Only agency owners and admins (or agency-wide admin keys) manage and read webhooks."

_clock: dict[str, Callable[[], dt.datetime]] = {"now": _utcnow}
_send_job: list[Callable[[uuid.UUID, uuid.UUID], Any]] = []


def now() -> dt.datetime:
    """The webhooks' clock (UTC, naive); the tests replace it to freeze time."""
    return _clock["now"]()


def register_send_job(job: Callable[[uuid.UUID, uuid.UUID], Any]) -> None:
    """backend/jobs/webhooks.py registers the job that sends one delivery (services import no jobs)."""
    _send_job[:] = [job]


def enqueue_send(agency_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
    """Enqueue one delivery's attempt (after the commit). A queue that is down loses nothing: the
    periodic sweep sends every pending delivery whose time has come."""
    if not _send_job:
        raise RuntimeError("the webhook sending job is not registered: import backend.jobs (create_app does)")
    try:
        _send_job[0](agency_id, delivery_id)
    except Exception:  # noqa: BLE001 - the sweep picks it up; a source's commit must not fail over it
        log.exception("could not enqueue webhook delivery %s; the sweep will send it", delivery_id)


# --- who may ----------------------------------------------------------------------------------
def _manager() -> Principal:
    p = current_principal()
    privileges.require_agency_wide(p, MANAGERS_ONLY)
    if not p.can("admin"):
        raise Forbidden(MANAGERS_ONLY)
    return p


# --- secrets ----------------------------------------------------------------------------------
def new_seed() -> str:
    """A new endpoint secret's seed (what is stored)."""
    return "seed_" + secrets.token_urlsafe(SECRET_BYTES)


def secret_of(seed: str) -> str:
    """The signing secret a seed stands for: ``whsec_`` + base64(HMAC-SHA256(SECRET_KEY, seed))."""
    return SECRET_PREFIX + base64.b64encode(_derived(f"webhook-secret:{seed}", SECRET_BYTES)).decode()


def _derived(purpose: str, size: int) -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), purpose.encode(), hashlib.sha256).digest()[:size]


def signing_secrets(endpoint: WebhookEndpoint, at: dt.datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its overlap."""
    out = [secret_of(endpoint.secret)]
    if endpoint.previous_secret and endpoint.previous_secret_until and at < endpoint.previous_secret_until:
        out.append(secret_of(endpoint.previous_secret))
    return out


# --- addresses --------------------------------------------------------------------------------
def address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_loopback: bool) -> str | None:
    """Why a delivery may not go to this address, or None. Only globally routable unicast
    addresses pass (loopback too when allowed)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else f"{ip} is a loopback address"
    if ip.is_link_local:
        return f"{ip} is a link-local address (such as a cloud metadata service)"
    if ip.is_private:
        return f"{ip} is a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified or not ip.is_global:
        return f"{ip} is not a public address"
    return None


def resolve_refusal(host: str, port: int, *, allow_loopback: bool) -> str | None:
    """Resolve the host; why it may not be reached (any of its addresses refused), or None."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        return f"the host {host} cannot be resolved"
    for info in infos:
        address = str(info[4][0]).split("%")[0]
        reason = address_refusal(ipaddress.ip_address(address), allow_loopback=allow_loopback)
        if reason:
            return reason if address == host.strip("[]") else f"{host} resolves to {reason}"
    return None


def allow_loopback() -> bool:
    return bool(current_app.config.get("WEBHOOKS_ALLOW_LOOPBACK"))


def check_url(value: Any, field: str = "url") -> str:
    """The endpoint's URL, checked (422 naming what is wrong): http(s), https when required, a
    host that is and resolves to public addresses only (loopback when the setting allows it)."""
    url = ("" if value is None else str(value)).strip()
    if not url:
        raise ValidationFailed.field(field, "Give the address the events are sent to.")
    if len(url) > URL_MAX or not url.isprintable() or " " in url:
        raise ValidationFailed.field(field, f"Give an address of at most {URL_MAX} characters without spaces.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed.field(field, "Not a valid address.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValidationFailed.field(field, "Use an http:// or https:// address.")
    if scheme != "https" and current_app.config.get("WEBHOOKS_REQUIRE_HTTPS"):
        raise ValidationFailed.field(field, "Use an https:// address (webhooks are sent over TLS only here).")
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.field(field, "Leave user names and passwords out of the address; the signature "
                                            "authenticates the sender.")
    host = parts.hostname or ""
    if not host:
        raise ValidationFailed.field(field, "The address has no host.")
    reason = resolve_refusal(host, port or (443 if scheme == "https" else 80), allow_loopback=allow_loopback())
    if reason:
        raise ValidationFailed.field(field, f"Refused: {reason}. Webhooks go to public addresses only.")
    return url


def check_events(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not value:
        raise ValidationFailed.field("events", "Choose at least one event: " + ", ".join(EVENTS) + ".")
    unknown = [str(e) for e in value if e not in EVENTS]
    if unknown:
        raise ValidationFailed.field("events", f"Unknown event {unknown[0]!r}; the events are " + ", ".join(EVENTS)
                                     + ".")
    return [e for e in EVENTS if e in value]


def _check_company(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        company: Company = get_company(value)
    except NotFound:
        raise ValidationFailed.field("company_id", "This agency has no company with this id.") from None
    return company.id


def _check_description(value: Any) -> str:
    text = ("" if value is None else str(value)).strip()
    if len(text) > DESCRIPTION_MAX or not text.isprintable():
        raise ValidationFailed.field("description", f"Use at most {DESCRIPTION_MAX} printable characters.")
    return text


def clean_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {"url": check_url(data.get("url")), "events": check_events(data.get("events")),
            "company_id": _check_company(data.get("company_id")),
            "description": _check_description(data.get("description"))}


# --- endpoints --------------------------------------------------------------------------------
def _new_endpoint(fields: dict[str, Any], endpoint_id: uuid.UUID | None = None) -> WebhookEndpoint:
    p = current_principal()
    endpoint = WebhookEndpoint(id=endpoint_id or uuid.uuid4(), url=fields["url"], events=fields["events"],
                               company_id=fields["company_id"], description=fields["description"], secret=new_seed(),
                               created_by=p.label)
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhook.create", endpoint, summary=f"Added the webhook {endpoint.url} for "
                                                     + ", ".join(endpoint.events))
    return endpoint


def create_endpoint(data: dict[str, Any]) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it with its secret (shown to the caller once)."""
    _manager()
    fields = clean_fields(data)
    endpoint = _new_endpoint(fields)
    db.session.commit()
    return endpoint, secret_of(endpoint.secret)


def create_endpoint_once(idempotency_key: str, data: dict[str, Any]) -> tuple[WebhookEndpoint, str, bool]:
    """:func:`create_endpoint` for a request with an ``Idempotency-Key``: the endpoint's id derives
    from the agency, the credential and the key, so the same request again finds the endpoint it
    made (``created`` False). The same key with other fields is a 422."""
    p = _manager()
    fields = clean_fields(data)
    credential = str(p.api_key_id or p.user_id or p.label)
    eid = uuid.UUID(bytes=_derived(f"webhook:idempotency:{p.agency_id}:{credential}:{idempotency_key}", 16))
    existing = db.session.get(WebhookEndpoint, eid)
    if existing is None:
        try:
            endpoint = _new_endpoint(fields, eid)
            db.session.commit()
            return endpoint, secret_of(endpoint.secret), True
        except IntegrityError:  # a twin request made it meanwhile
            db.session.rollback()
            existing = db.session.get(WebhookEndpoint, eid)
            if existing is None:
                raise
    same = (existing.url, existing.events, existing.company_id, existing.description) == (
        fields["url"], fields["events"], fields["company_id"], fields["description"])
    if not same:
        raise ValidationFailed.field("Idempotency-Key", "This Idempotency-Key was already used to add another "
                                                        "webhook; use a new key for a new endpoint.")
    return existing, secret_of(existing.secret), False


def endpoints_select() -> Select[Any]:
    _manager()
    return select(WebhookEndpoint).order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(endpoints_select()))


def get_endpoint(endpoint_id: uuid.UUID | str) -> WebhookEndpoint:
    _manager()
    try:
        eid = endpoint_id if isinstance(endpoint_id, uuid.UUID) else uuid.UUID(str(endpoint_id))
    except ValueError:
        raise NotFound("No webhook with this id.") from None
    endpoint = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id == eid)).first()
    if endpoint is None:
        raise NotFound("No webhook with this id.")
    return endpoint


def update_endpoint(endpoint_id: uuid.UUID | str, data: dict[str, Any]) -> WebhookEndpoint:
    """Change the address, events, company or description, or disable (``active`` false) or
    enable it again (which forgets why it was disabled and how long it failed)."""
    endpoint = get_endpoint(endpoint_id)
    version = data.get("version")
    if version is not None and version != endpoint.version:
        raise Conflict(f"The webhook changed meanwhile (version {endpoint.version}, you sent {version}); "
                       "read it again.", version=endpoint.version)
    changes = []
    if "url" in data:
        endpoint.url = check_url(data["url"])
        changes.append("address")
    if "events" in data:
        endpoint.events = check_events(data["events"])
        changes.append("events")
    if "company_id" in data:
        endpoint.company_id = _check_company(data["company_id"])
        changes.append("company")
    if "description" in data:
        endpoint.description = _check_description(data["description"])
        changes.append("description")
    if "active" in data and bool(data["active"]) != endpoint.active:
        endpoint.active = bool(data["active"])
        changes.append("enabled" if endpoint.active else "disabled")
        endpoint.disabled_reason = "" if endpoint.active else f"Disabled by {current_principal().label}."
        endpoint.failing_since = None
    if changes:
        endpoint.version += 1
        audit.record("webhook.update", endpoint, summary=f"Changed the webhook {endpoint.url}: " + ", ".join(changes))
    db.session.commit()
    return endpoint


def delete_endpoint(endpoint_id: uuid.UUID | str) -> None:
    """Remove the endpoint and its delivery log."""
    endpoint = get_endpoint(endpoint_id)
    audit.record("webhook.delete", endpoint, summary=f"Removed the webhook {endpoint.url}")
    db.session.delete(endpoint)
    db.session.commit()


def rotate_secret(endpoint_id: uuid.UUID | str, overlap_hours: Any = None) -> tuple[WebhookEndpoint, str]:
    """A new secret (returned, shown once); the old one keeps signing beside it for the overlap."""
    endpoint = get_endpoint(endpoint_id)
    hours = current_app.config.get("WEBHOOKS_ROTATION_OVERLAP_HOURS", 24) if overlap_hours is None else overlap_hours
    if isinstance(hours, bool) or not isinstance(hours, (int, float)) or not 0 <= hours <= OVERLAP_MAX_HOURS:
        raise ValidationFailed.field("overlap_hours", f"Give 0 to {OVERLAP_MAX_HOURS} hours.")
    seed = new_seed()
    endpoint.previous_secret = endpoint.secret if hours else ""
    endpoint.previous_secret_until = now() + dt.timedelta(hours=hours) if hours else None
    endpoint.secret = seed
    endpoint.version += 1
    audit.record("webhook.rotate_secret", endpoint,
                 summary=f"Rotated the secret of the webhook {endpoint.url} (the old one signs {hours} h more)")
    db.session.commit()
    return endpoint, secret_of(seed)


# --- deliveries -------------------------------------------------------------------------------
def deliveries_select(endpoint_id: uuid.UUID | str) -> Select[Any]:
    """The endpoint's deliveries, newest first."""
    endpoint = get_endpoint(endpoint_id)
    return (select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id))


def get_delivery(endpoint_id: uuid.UUID | str, delivery_id: uuid.UUID | str) -> WebhookDelivery:
    endpoint = get_endpoint(endpoint_id)
    try:
        did = delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
    except ValueError:
        raise NotFound("No delivery with this id.") from None
    delivery = db.session.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                                WebhookDelivery.id == did)).first()
    if delivery is None:
        raise NotFound("No delivery with this id.")
    return delivery


def resend(endpoint_id: uuid.UUID | str, delivery_id: uuid.UUID | str) -> WebhookDelivery:
    """Send the delivery again now, with the same ``webhook-id`` (a receiver that handled it
    already can tell), and retry it on the usual schedule if it fails."""
    delivery = get_delivery(endpoint_id, delivery_id)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        raise Conflict("The webhook is disabled; enable it before resending.")
    delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now()
    delivery.last_error = ""
    audit.record("webhook.resend", endpoint, summary=f"Resent {delivery.event} {delivery.message_id}")
    agency_id, did = delivery.agency_id, delivery.id
    db.session.commit()
    enqueue_send(agency_id, did)
    db.session.rollback()  # read what the attempt wrote
    return get_delivery(endpoint_id, did)


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


def publish(event: str, payload: dict[str, Any], *, company_id: uuid.UUID | None) -> None:
    """Record the event for every active endpoint of the current agency that subscribes to it
    (an endpoint limited to a company gets that company's events only), then enqueue their
    sending. Call it after your commit. A no-op without subscribers; never raises for a
    receiver's failure."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True))
    endpoints = [e for e in db.session.scalars(stmt)
                 if event in (e.events or []) and (e.company_id is None or e.company_id == company_id)]
    if not endpoints:
        db.session.rollback()  # end the read: a write request's transaction holds SQLite's lock
        return
    at = now()
    message_id = new_message_id()
    body = {"type": event, "timestamp": at.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z"),
            "data": payload}
    created = []
    for endpoint in endpoints:
        delivery = WebhookDelivery(endpoint_id=endpoint.id, event=event, message_id=message_id, payload=body,
                                   status="pending", attempts=0, next_attempt_at=at)
        db.session.add(delivery)
        db.session.flush()
        created.append((delivery.agency_id, delivery.id))
    db.session.commit()
    # The ids were read before the commit: touching the rows now would open a write transaction
    # that a job run inline (JOBS_IMMEDIATE) would wait for.
    for agency_id, delivery_id in created:
        enqueue_send(agency_id, delivery_id)
