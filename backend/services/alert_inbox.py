"""Alerts as people read them: which alerts a principal sees, and a person's read marks.

Who sees an alert (on top of the scoping layer, which keeps every principal to its agency and the
companies it reaches): agency staff and API keys see every alert of those companies; a client
viewer only the alerts whose rule lets the company's viewers see them (``visible_to_clients``).
Read state is per person (:class:`AlertRead`): an API key has none, so it lists alerts but neither
filters them by read state nor marks them read.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Alert, AlertRead
from ..tenancy import Forbidden, Principal, current_principal
from .errors import NotFound, ValidationFailed

KINDS = ("goal_status", "stale_data", "threshold", "spike")
PEOPLE_ONLY = "Read state is per person: an API key lists alerts but does not mark them read."


def sees_every_alert(principal: Principal) -> bool:
    """Staff and keys see every alert in reach; a client viewer only those meant for clients."""
    return not (principal.kind == "user" and not principal.is_staff)


def read_clause(principal: Principal) -> ColumnElement[bool] | None:
    """SQL truth of 'this person has read the alert' (False for a principal that is no person)."""
    if principal.user_id is None:
        return None
    return exists().where(AlertRead.alert_id == Alert.id, AlertRead.user_id == principal.user_id)


def visible_alerts(*, company_id: uuid.UUID | None = None, kind: str | None = None,
                   read: bool | None = None) -> Select[Alert]:
    """The alerts the current principal sees, newest first, optionally of one company, one kind,
    read or unread (read state needs a person: :class:`ValidationFailed` for a key)."""
    principal = current_principal()
    stmt = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc())
    if not sees_every_alert(principal):
        stmt = stmt.where(Alert.visible_to_clients.is_(True))
    if company_id is not None:
        stmt = stmt.where(Alert.company_id == company_id)
    if kind is not None:
        if kind not in KINDS:
            raise ValidationFailed.field("kind", f"Must be one of: {', '.join(KINDS)}.")
        stmt = stmt.where(Alert.kind == kind)
    if read is not None:
        clause = read_clause(principal)
        if clause is None:
            raise ValidationFailed.field("read", PEOPLE_ONLY)
        stmt = stmt.where(clause if read else ~clause)
    return stmt


def read_ids(alert_ids: Iterable[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these alerts the current person has read (none for a key)."""
    principal = current_principal()
    ids = list(alert_ids)
    if principal.user_id is None or not ids:
        return set()
    return set(db.session.scalars(select(AlertRead.alert_id).where(
        AlertRead.user_id == principal.user_id, AlertRead.alert_id.in_(ids))))


def get_alert(alert_id: Any) -> Alert:
    """One alert the current principal sees; :class:`NotFound` otherwise (other agency's, a
    company out of reach, or not meant for a client viewer)."""
    try:
        aid = alert_id if isinstance(alert_id, uuid.UUID) else uuid.UUID(str(alert_id))
    except (ValueError, TypeError):
        raise NotFound("No alert with this id.") from None
    alert: Alert | None = db.session.scalars(visible_alerts().where(Alert.id == aid)).first()
    if alert is None:
        raise NotFound("No alert with this id.")
    return alert


def _person() -> Principal:
    principal = current_principal()
    if principal.user_id is None:
        raise Forbidden(PEOPLE_ONLY)
    return principal


def mark_read(alert_id: Any) -> Alert:
    """Mark one alert read for the current person (again: nothing changes)."""
    alert = get_alert(alert_id)
    principal = _person()
    _insert_reads(principal, [alert.id])
    return alert


def mark_all_read(*, company_id: uuid.UUID | None = None, kind: str | None = None) -> int:
    """Mark every unread alert the person sees (of one company, one kind) read; how many."""
    principal = _person()
    ids = list(db.session.scalars(
        visible_alerts(company_id=company_id, kind=kind, read=False).with_only_columns(Alert.id).order_by(None)))
    return _insert_reads(principal, ids)


def _insert_reads(principal: Principal, ids: list[uuid.UUID]) -> int:
    """Read marks for ``ids`` not yet marked. When the same person marked some of them in another
    request meanwhile (the unique constraint), the rest are marked on a second try."""
    for attempt in range(2):
        done = read_ids(ids) if ids else set()
        new = [i for i in ids if i not in done]
        for alert_id in new:
            db.session.add(AlertRead(user_id=principal.user_id, alert_id=alert_id))
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            if attempt:
                raise
            continue
        return len(new)
    return 0  # not reached: the second try returns or raises
