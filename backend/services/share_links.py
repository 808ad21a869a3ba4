"""Share links: a read-only link to one report, or to the company's live board for a fixed range,
until it expires (at most 90 days) or is revoked.

- The token has 256 random bits (``secrets.token_urlsafe(32)``). It is shown once, in the answer
  that creates the link; only its SHA-256 is stored (``ShareLink.token_hash``), and the public page
  (backend/share/) finds the link by that digest with :func:`resolve`.
- A link made for an e-mail (:func:`share_link_for_delivery`) or by a request with an
  ``Idempotency-Key`` gets a token derived with HMAC-SHA256 from ``SECRET_KEY`` and what names it
  (the delivery; the agency, credential and key), so a retried job or request finds the one link it
  made and can show its token again without the token ever being stored.
- An optional PIN is stored as an argon2id hash, like a password.
- Agency staff and agency-wide keys list the links (``read``) and create or revoke them (``write``);
  a client viewer or a key restricted to one company does neither: a link opens the company's data
  to anyone who holds it, which is the agency's decision.

The public page acts as :func:`share_principal`: a read-only principal of the link's agency that
reaches the link's company only.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from typing import Any

from flask import current_app
from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..bounds import DATE_RANGE_TEXT, READ_MAX_DAYS, date_in_bounds
from ..database import write_transaction
from ..extensions import db
from ..models import Report, ReportDelivery, ShareLink, utcnow
from ..security import hash_password, hash_token, same_hash, verify_password
from ..tenancy import SCOPE_GRANTS, Principal, cross_tenant, current_principal
from . import audit, privileges
from .companies import get_company
from .errors import NotFound, ValidationFailed

KINDS = ("report", "board")
MAX_EXPIRY_DAYS = 90
DEFAULT_EXPIRY_DAYS = 30
DELIVERY_EXPIRY_DAYS = 30
PIN_MIN, PIN_MAX = 4, 32
LABEL_MAX = 100
TOKEN_BYTES = 32  # 256 bits; the issue asks for at least 128
PATH_PREFIX = "/s/"
READERS_ONLY = ("Share links are the agency's: only agency staff and agency-wide keys with the read scope "
                "see them.")
MANAGERS_ONLY = ("Only agency staff and agency-wide keys with the write scope create or revoke share links.")


# --- tokens ------------------------------------------------------------------------------------
def new_token() -> str:
    """A fresh random token (43 URL-safe characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def derived_token(purpose: str) -> str:
    """A token derived from SECRET_KEY and ``purpose``: the same purpose always gives the same token,
    and without SECRET_KEY nobody can compute it. Same shape as :func:`new_token`."""
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), purpose.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def looks_like_token(token: str) -> bool:
    return 20 <= len(token) <= 100 and all(c.isascii() and (c.isalnum() or c in "-_") for c in token)


def share_path(token: str) -> str:
    return PATH_PREFIX + token


# --- who may ----------------------------------------------------------------------------------
def _reader() -> Principal:
    p = current_principal()
    privileges.require_agency_wide(p, READERS_ONLY)
    p.require("read", READERS_ONLY)
    return p


def _manager() -> Principal:
    p = current_principal()
    privileges.require_agency_wide(p, MANAGERS_ONLY)
    p.require("write", MANAGERS_ONLY)
    return p


# --- validation -------------------------------------------------------------------------------
def _as_uuid(value: Any, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationFailed.field(field, "Not a valid id.") from None


def _as_date(value: Any, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        try:
            value = dt.date.fromisoformat(str(value))
        except ValueError:
            raise ValidationFailed.field(field, "Give a date as YYYY-MM-DD.") from None
    if not date_in_bounds(value):
        raise ValidationFailed.field(field, f"Must be a date from {DATE_RANGE_TEXT}.")
    day: dt.date = value
    return day


def clean_fields(company_id: uuid.UUID, *, kind: Any, report_id: Any = None, board_from: Any = None,
                 board_to: Any = None, expires_in_days: Any = DEFAULT_EXPIRY_DAYS, pin: Any = None,
                 label: Any = "") -> dict[str, Any]:
    """The link's fields, checked; 422 naming the first field that is wrong."""
    if kind not in KINDS:
        raise ValidationFailed.field("kind", "Choose 'report' (one report) or 'board' (the live board for a range).")
    out: dict[str, Any] = {"kind": kind, "report_id": None, "board_from": None, "board_to": None}
    if kind == "report":
        if board_from not in (None, "") or board_to not in (None, ""):
            raise ValidationFailed.field("board_from", "A report link shows the report's own period; "
                                                       "board_from and board_to are for board links only.")
        if report_id in (None, ""):
            raise ValidationFailed.field("report_id", "Choose the report to share.")
        rid = _as_uuid(report_id, "report_id")
        found = db.session.scalar(select(Report.id).where(Report.company_id == company_id, Report.id == rid))
        if found is None:
            raise ValidationFailed.field("report_id", "This company has no report with this id.")
        out["report_id"] = rid
    else:
        if report_id not in (None, ""):
            raise ValidationFailed.field("report_id", "A board link shows no report; leave report_id out.")
        start, end = _as_date(board_from, "board_from"), _as_date(board_to, "board_to")
        if start is None:
            raise ValidationFailed.field("board_from", "Give the first day the board shows.")
        if end is None:
            raise ValidationFailed.field("board_to", "Give the last day the board shows.")
        if end < start:
            raise ValidationFailed.field("board_to", f"The range ends before it starts ({end} is before {start}).")
        if (end - start).days >= READ_MAX_DAYS:
            raise ValidationFailed.field("board_to", "A board shows at most ten years.")
        out["board_from"], out["board_to"] = start, end
    if isinstance(expires_in_days, bool) or not isinstance(expires_in_days, int):
        try:
            expires_in_days = int(str(expires_in_days).strip())
        except ValueError:
            raise ValidationFailed.field("expires_in_days", "Give a whole number of days, 1 to 90.") from None
    if expires_in_days < 1 or expires_in_days > MAX_EXPIRY_DAYS:
        raise ValidationFailed.field("expires_in_days",
                                     f"A link lives 1 to {MAX_EXPIRY_DAYS} days (asked: {expires_in_days}).")
    out["expires_in_days"] = expires_in_days
    pin = "" if pin is None else str(pin)
    if pin and (len(pin) < PIN_MIN or len(pin) > PIN_MAX or pin != pin.strip() or not pin.isprintable()):
        raise ValidationFailed.field("pin", f"Use {PIN_MIN} to {PIN_MAX} characters without spaces at either end, "
                                            "or no PIN.")
    out["pin"] = pin
    label = ("" if label is None else str(label)).strip()
    if len(label) > LABEL_MAX:
        raise ValidationFailed.field("label", f"Use at most {LABEL_MAX} characters.")
    out["label"] = label
    return out


# --- create, list, revoke ---------------------------------------------------------------------
def _describe(link: ShareLink) -> str:
    what = "a report" if link.kind == "report" else f"the board {link.board_from} – {link.board_to}"
    return f"{what}, until {link.expires_at:%Y-%m-%d %H:%M} UTC{', with a PIN' if link.pin_hash else ''}"


def _new_link(company_id: uuid.UUID, fields: dict[str, Any], token: str) -> ShareLink:
    p = current_principal()
    link = ShareLink(company_id=company_id, kind=fields["kind"], report_id=fields["report_id"],
                     board_from=fields["board_from"], board_to=fields["board_to"], label=fields["label"],
                     token_hash=hash_token(token), pin_hash=hash_password(fields["pin"]) if fields["pin"] else "",
                     expires_at=utcnow() + dt.timedelta(days=fields["expires_in_days"]), created_by=p.label)
    db.session.add(link)
    db.session.flush()
    audit.record("share_link.create", link, summary="Made a share link to " + _describe(link))
    return link


def create_share_link(company_id: uuid.UUID | str, *, kind: str, report_id: Any = None, board_from: Any = None,
                      board_to: Any = None,
                      expires_in_days: int = DEFAULT_EXPIRY_DAYS, pin: str | None = None,
                      label: str = "") -> tuple[ShareLink, str]:
    """Make a link; returns it with its token, which is never stored (only its SHA-256)."""
    _manager()
    company = get_company(company_id)
    fields = clean_fields(company.id, kind=kind, report_id=report_id, board_from=board_from, board_to=board_to,
                          expires_in_days=expires_in_days, pin=pin, label=label)
    token = new_token()
    link = _new_link(company.id, fields, token)
    db.session.commit()
    return link, token


def create_share_link_once(company_id: uuid.UUID | str, idempotency_key: str,
                           **data: Any) -> tuple[ShareLink, str, bool]:
    """Like :func:`create_share_link` for a request with an ``Idempotency-Key``: the token is derived
    from the agency, the credential and the key, so the same request again finds the link it made
    (``created`` False) and answers its token once more. The same key with other fields is a 422."""
    p = _manager()
    company = get_company(company_id)
    fields = clean_fields(company.id, **data)
    credential = str(p.api_key_id or p.user_id or p.label)
    token = derived_token(f"share-link:idempotency:{p.agency_id}:{credential}:{idempotency_key}")
    existing = _by_digest(hash_token(token))
    if existing is None:
        try:
            link = _new_link(company.id, fields, token)
            db.session.commit()
            return link, token, True
        except IntegrityError:  # a twin request made it meanwhile
            db.session.rollback()
            existing = _by_digest(hash_token(token))
            if existing is None:
                raise
    if not _same_request(existing, company.id, fields):
        raise ValidationFailed.field("Idempotency-Key", "This Idempotency-Key was already used to make another "
                                                        "share link; use a new key for a new link.")
    return existing, token, False


def _by_digest(digest: str) -> ShareLink | None:
    return db.session.scalars(select(ShareLink).where(ShareLink.token_hash == digest)).first()


def _same_request(link: ShareLink, company_id: uuid.UUID, fields: dict[str, Any]) -> bool:
    days = round((link.expires_at - link.created_at).total_seconds() / 86400)
    same_pin = verify_password(link.pin_hash, fields["pin"]) if link.pin_hash else not fields["pin"]
    return (link.company_id == company_id and link.kind == fields["kind"] and link.report_id == fields["report_id"]
            and link.board_from == fields["board_from"] and link.board_to == fields["board_to"]
            and link.label == fields["label"] and days == fields["expires_in_days"] and same_pin)


def share_links_select(company_id: uuid.UUID | str) -> Select[ShareLink]:
    """A select of the company's links, newest first (expired and revoked ones too)."""
    _reader()
    company = get_company(company_id)
    return (select(ShareLink).where(ShareLink.company_id == company.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id))


def list_share_links(company_id: uuid.UUID | str) -> list[ShareLink]:
    """The company's links, newest first, with their views."""
    return list(db.session.scalars(share_links_select(company_id)))


def shareable_reports(company_id: uuid.UUID | str) -> list[Report]:
    """The company's reports a link may show, latest period first (for the /manage form)."""
    _reader()
    company = get_company(company_id)
    return list(db.session.scalars(select(Report).where(Report.company_id == company.id)
                                   .order_by(Report.period_start.desc(), Report.id)))


def get_share_link(company_id: uuid.UUID | str, link_id: uuid.UUID | str) -> ShareLink:
    _reader()
    company = get_company(company_id)
    try:
        lid = link_id if isinstance(link_id, uuid.UUID) else uuid.UUID(str(link_id))
    except ValueError:
        raise NotFound("No share link with this id.") from None
    link = db.session.scalars(select(ShareLink).where(ShareLink.company_id == company.id,
                                                      ShareLink.id == lid)).first()
    if link is None:
        raise NotFound("No share link with this id.")
    return link


def revoke_share_link(company_id: uuid.UUID | str, link_id: uuid.UUID | str) -> ShareLink:
    """End the link now (a revoked link answers 404 like an unknown one); revoking twice is harmless."""
    _manager()
    link = get_share_link(company_id, link_id)
    if link.revoked_at is None:
        link.revoked_at = utcnow()
        audit.record("share_link.revoke", link, summary="Revoked the share link to " + _describe(link))
        db.session.commit()
    return link


def share_link_for_delivery(delivery: ReportDelivery) -> str:
    """The URL path ``/s/<token>`` of the report's share link for this e-mail. The token is
    HMAC(SECRET_KEY, "share-link:" + delivery id), so a retried delivery job finds the link the first
    try made (made once, its digest stored; commits), valid for 30 days from then."""
    current_principal()
    token = derived_token(f"share-link:{delivery.id}")
    digest = hash_token(token)
    if _by_digest(digest) is None:
        fields = {"kind": "report", "report_id": delivery.report_id, "board_from": None, "board_to": None,
                  "label": "E-mail of " + utcnow().strftime("%Y-%m-%d"), "pin": "",
                  "expires_in_days": DELIVERY_EXPIRY_DAYS}
        try:
            _new_link(delivery.company_id, fields, token)
            db.session.commit()
        except IntegrityError:  # a twin job made it meanwhile
            db.session.rollback()
    return share_path(token)


# --- the public page --------------------------------------------------------------------------
def resolve(token: str) -> ShareLink | None:
    """The active link this token opens, or None (unknown, expired or revoked: no difference).
    Looked up across agencies by the token's digest: the token is the only credential."""
    if not isinstance(token, str) or not looks_like_token(token):
        return None
    digest = hash_token(token)
    with cross_tenant("open a share link by its token's digest"):
        link = db.session.scalars(select(ShareLink).where(ShareLink.token_hash == digest)).first()
        if link is None or not same_hash(link.token_hash, digest) or link.state(utcnow()) != "active":
            return None
        db.session.expunge(link)  # plain data from here on: nothing reloads it under another principal
        return link


def share_principal(link: ShareLink) -> Principal:
    """Who the public page acts as: read-only, the link's agency, the link's company only."""
    return Principal(kind="share_link", agency_id=link.agency_id, label=f"share-link:{link.id}",
                     grants=frozenset(SCOPE_GRANTS["read"]), company_ids=frozenset({link.company_id}))


def pin_matches(link: ShareLink, pin: str) -> bool:
    return bool(link.pin_hash) and verify_password(link.pin_hash, pin or "")


def record_view(link: ShareLink) -> None:
    """Count one view (best effort: a busy database never fails the page over a counter)."""
    _bump(link, view_count=ShareLink.view_count + 1, last_viewed_at=utcnow())


def record_wrong_pin(link: ShareLink) -> None:
    """Count one wrong PIN (shown to staff beside the link)."""
    _bump(link, pin_failures=ShareLink.pin_failures + 1)


def _bump(link: ShareLink, **values: Any) -> None:
    db.session.rollback()
    try:
        with write_transaction(), cross_tenant("count a share link's views"):
            db.session.execute(update(ShareLink).where(ShareLink.id == link.id).values(**values))
            db.session.commit()
    except OperationalError:
        db.session.rollback()
