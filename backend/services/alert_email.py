"""Who gets alerts by e-mail, and how: a person's choice per rule kind — ``off``, ``immediate``
(one message per alert) or ``digest`` (one message a day, at the person's digest hour in their time
zone, listing the alerts of the 24 hours before it). backend/jobs/alert_mail.py sends them.

Without a row (the person never chose) the default applies: agency staff get a daily digest at
07:00 in the time zone of the agency's first company (UTC without one); client viewers get
nothing until they choose. A person has one digest hour and zone: saving the choices writes them on
every kind's row, so every person gets at most one digest a day.

Who an alert concerns: the agency's active staff (they reach every company of the agency); a
client viewer only when the alert is ``visible_to_clients`` and the company is theirs.

Unsubscribe links are signed (itsdangerous, ``SECRET_KEY`` with a salt of their own) per person
and kind(s); opening one needs no login (backend/auth/alert_emails.py).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import available_timezones

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select

from ..extensions import db
from ..models import AgencyMembership, Alert, AlertEmailChoice, ClientAccess, Company, User
from ..tenancy import Forbidden, current_principal
from .errors import NotFound
from .validation import Problems

KINDS = ("goal_status", "stale_data", "threshold", "spike")  # = alert_rules.KINDS (a test keeps them equal)
KIND_LABELS = {"goal_status": "Goal status", "stale_data": "Stale data", "threshold": "Threshold", "spike": "Spike"}
MODES = ("off", "immediate", "digest")
MODE_LABELS = {"off": "Off", "immediate": "Immediately", "digest": "In the daily digest"}
DEFAULT_HOUR = 7
STAFF_DEFAULT_MODE = "digest"
VIEWER_DEFAULT_MODE = "off"
UNSUBSCRIBE_SALT = "reachboard.alert-email.unsubscribe"
TOKEN_LIMIT = 600


@dataclass(frozen=True)
class Choice:
    """A person's e-mail about one kind; ``default``: no row, the default applies."""

    kind: str
    mode: str
    digest_hour: int
    timezone: str
    default: bool = False


@dataclass(frozen=True)
class Person:
    """Someone alerts may be e-mailed to: staff reach every company (``company_ids`` None)."""

    id: uuid.UUID
    email: str
    name: str
    role: str
    company_ids: frozenset[uuid.UUID] | None
    choices: dict[str, Choice]

    @property
    def is_staff(self) -> bool:
        return self.company_ids is None

    def concerned_by(self, alert: Alert) -> bool:
        if self.company_ids is None:
            return True
        return alert.visible_to_clients and alert.company_id in self.company_ids

    def digest(self) -> tuple[list[str], int, str]:
        """The kinds in the digest, and its hour and zone (the first such kind's: they are equal)."""
        kinds = [k for k in KINDS if self.choices[k].mode == "digest"]
        first = self.choices[kinds[0]] if kinds else self.choices[KINDS[0]]
        return kinds, first.digest_hour, first.timezone


def default_zone() -> str:
    """The time zone of the agency's first company (the oldest not archived), else UTC."""
    zone = db.session.scalars(select(Company.timezone).where(Company.archived.is_(False))
                              .order_by(Company.created_at, Company.id).limit(1)).first()
    return zone or "UTC"


def default_choice(kind: str, staff: bool, zone: str) -> Choice:
    return Choice(kind, STAFF_DEFAULT_MODE if staff else VIEWER_DEFAULT_MODE, DEFAULT_HOUR, zone, default=True)


def _choices(user_ids: Iterable[uuid.UUID], staff: Mapping[uuid.UUID, bool]) -> dict[uuid.UUID, dict[str, Choice]]:
    ids = list(user_ids)
    rows = db.session.scalars(select(AlertEmailChoice).where(AlertEmailChoice.user_id.in_(ids))).all() if ids else []
    zone = default_zone()
    out = {uid: {k: default_choice(k, staff[uid], zone) for k in KINDS} for uid in ids}
    for row in rows:
        if row.kind in KINDS:
            out[row.user_id][row.kind] = Choice(row.kind, row.mode, row.digest_hour, row.timezone)
    return out


def people() -> list[Person]:
    """Every active person of the principal's agency, with their role, companies and choices."""
    staff_rows = db.session.execute(select(User.id, User.email, User.name, AgencyMembership.role)
                                    .join(AgencyMembership, AgencyMembership.user_id == User.id)
                                    .where(User.active.is_(True))).all()
    access: dict[uuid.UUID, set[uuid.UUID]] = {}
    viewers: dict[uuid.UUID, tuple[str, str]] = {}
    staff_ids = {row.id for row in staff_rows}
    for uid, email, name, company_id in db.session.execute(
            select(User.id, User.email, User.name, ClientAccess.company_id)
            .join(ClientAccess, ClientAccess.user_id == User.id).where(User.active.is_(True))):
        if uid not in staff_ids:
            viewers[uid] = (email, name)
            access.setdefault(uid, set()).add(company_id)
    staff = {**{uid: True for uid in staff_ids}, **{uid: False for uid in viewers}}
    choices = _choices(staff, staff)
    out = [Person(r.id, r.email, r.name, r.role, None, choices[r.id]) for r in staff_rows]
    out += [Person(uid, email, name, "viewer", frozenset(access[uid]), choices[uid])
            for uid, (email, name) in viewers.items()]
    return sorted(out, key=lambda p: p.email)


# --- a person's own choices -----------------------------------------------------------------

def _me() -> tuple[uuid.UUID, bool]:
    p = current_principal()
    if p.kind != "user" or p.user_id is None:
        raise Forbidden("Alert e-mail choices belong to people who log in; API keys have none.")
    return p.user_id, p.is_staff


def my_choices() -> list[Choice]:
    """The current person's choice for every kind (the default where they have not chosen)."""
    uid, staff = _me()
    return [_choices([uid], {uid: staff})[uid][k] for k in KINDS]


def _hour(problems: Problems, value: Any) -> int | None:
    text = str(value).strip() if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    if text is None or not text.isdigit() or len(text) > 2 or not 0 <= int(text) <= 23:
        problems.add("digest_hour", "Must be a whole hour from 0 to 23.")
        return None
    return int(text)


def _zone(problems: Problems, value: Any) -> str | None:
    name = value.strip() if isinstance(value, str) else None
    if not name or len(name) > 64 or (name != "UTC" and name not in available_timezones()):
        problems.add("timezone", "Must be a time zone name such as Europe/Stockholm or UTC.")
        return None
    return name


def set_my_choices(data: Mapping[str, Any]) -> list[Choice]:
    """Save the current person's choices: ``modes`` (kind -> off | immediate | digest; kinds left
    out keep their mode), ``digest_hour`` (0–23) and ``timezone`` (an IANA name), written on every
    kind's row.

    :raises ValidationFailed: naming the field (``modes.<kind>``, ``digest_hour``, ``timezone``).
    """
    uid, staff = _me()
    problems = Problems()
    modes = data.get("modes") or {}
    if not isinstance(modes, Mapping):
        problems.add("modes", "Must map rule kinds to off, immediate or digest.")
        modes = {}
    for kind in modes:
        if kind not in KINDS:
            problems.add(f"modes.{kind}", f"Not a rule kind; the kinds are {', '.join(KINDS)}.")
        else:
            problems.choice(f"modes.{kind}", modes[kind], MODES)
    hour = _hour(problems, data.get("digest_hour", DEFAULT_HOUR))
    zone = _zone(problems, data.get("timezone"))
    problems.raise_if_any()
    assert hour is not None and zone is not None  # checked above
    current = _choices([uid], {uid: staff})[uid]
    rows = {r.kind: r for r in db.session.scalars(select(AlertEmailChoice).where(AlertEmailChoice.user_id == uid))}
    for kind in KINDS:
        row = rows.get(kind) or AlertEmailChoice(user_id=uid, kind=kind)
        row.mode = str(modes.get(kind, current[kind].mode))
        row.digest_hour, row.timezone = hour, zone
        db.session.add(row)
    db.session.commit()
    return my_choices()


# --- unsubscribe links ----------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(agency_id: uuid.UUID, user_id: uuid.UUID, kinds: Iterable[str]) -> str:
    """A token that turns ``kinds`` off for this person (signed; it does not expire)."""
    return str(_serializer().dumps({"a": str(agency_id), "u": str(user_id), "k": sorted(set(kinds))}))


def read_unsubscribe_token(token: str) -> tuple[uuid.UUID, uuid.UUID, tuple[str, ...]] | None:
    """(agency, person, kinds) of a genuine token; None for a tampered, truncated or foreign one."""
    if not token or len(token) > TOKEN_LIMIT:
        return None
    try:
        data = _serializer().loads(token)
        kinds = tuple(data["k"])
        agency_id, user_id = uuid.UUID(data["a"]), uuid.UUID(data["u"])
    except (BadData, KeyError, TypeError, ValueError, AttributeError):
        return None
    if not kinds or any(k not in KINDS for k in kinds):
        return None
    return agency_id, user_id, kinds


def unsubscribe_url(agency_id: uuid.UUID, user_id: uuid.UUID, kinds: Iterable[str]) -> str:
    base = str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/unsubscribe/{unsubscribe_token(agency_id, user_id, kinds)}"


def person_email(user_id: uuid.UUID) -> str:
    """The address of a person of the principal's agency (NotFound when gone)."""
    email = db.session.scalars(select(User.email).where(User.id == user_id)).first()
    if email is None:
        raise NotFound("This person is no longer here.")
    return email


def turn_off(user_id: uuid.UUID, kinds: Iterable[str]) -> None:
    """Stop the person's e-mail about ``kinds`` (run as the token's agency: another agency's person
    is not found). Their digest hour and zone stay."""
    person_email(user_id)
    role = db.session.scalars(select(AgencyMembership.role).where(AgencyMembership.user_id == user_id)).first()
    current = _choices([user_id], {user_id: role is not None})[user_id]
    rows = {r.kind: r for r in db.session.scalars(select(AlertEmailChoice)
                                                  .where(AlertEmailChoice.user_id == user_id))}
    for kind in kinds:
        row = rows.get(kind) or AlertEmailChoice(user_id=user_id, kind=kind,
                                                 digest_hour=current[kind].digest_hour,
                                                 timezone=current[kind].timezone)
        row.mode = "off"
        db.session.add(row)
    db.session.commit()
