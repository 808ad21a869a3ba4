"""Alerts as the pages show them: the bell's unread count, a person's alert list and a company's
open alerts (backend/services/alert_inbox.py decides who sees which). "Open" means not yet read by
this person: an alert is a message about a moment, and reading it is what closes it."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import Alert, Company
from ..services import alert_inbox
from ..tenancy import get_principal

KIND_LABELS = {"goal_status": "Goal status", "stale_data": "Stale data", "threshold": "Threshold",
               "spike": "Spike"}
SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class AlertItem:
    id: uuid.UUID
    company_id: uuid.UUID
    company_name: str
    kind: str
    kind_label: str
    severity: str
    title: str
    object_type: str
    object_id: str
    link: str  # a local path (the page that shows it), or "" when the alert names none
    day: dt.date
    created_at: dt.datetime
    read: bool | None  # None for a principal that is no person (an API key)
    seen: dict[str, Any]


def safe_link(link: str, company_id) -> str:
    """The alert's own page when it is a local path, else the company's page."""
    if link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return f"/dashboard/company/{company_id}"


def _items(alerts) -> list[AlertItem]:
    alerts = list(alerts)
    principal = get_principal()
    person = principal is not None and principal.user_id is not None
    done = alert_inbox.read_ids(a.id for a in alerts) if person else set()
    names = {cid: name for cid, name in db.session.execute(select(Company.id, Company.name).where(
        Company.id.in_({a.company_id for a in alerts})))} if alerts else {}
    return [AlertItem(id=a.id, company_id=a.company_id, company_name=names.get(a.company_id, ""), kind=a.kind,
                      kind_label=KIND_LABELS.get(a.kind, a.kind), severity=a.severity, title=a.title,
                      object_type=a.object_type, object_id=a.object_id, link=safe_link(a.link or "", a.company_id),
                      day=a.day, created_at=a.created_at, read=(a.id in done) if person else None,
                      seen=dict(a.seen or {}))
            for a in alerts]


def unread_count() -> int:
    """The current person's unread alerts (0 for no person: the bell is for people)."""
    principal = get_principal()
    if principal is None or principal.user_id is None:
        return 0
    stmt = alert_inbox.visible_alerts(read=False).order_by(None).with_only_columns(func.count(Alert.id))
    return int(db.session.scalar(stmt) or 0)


def alert_list(*, company_id=None, kind=None, read=None, limit: int = 50, offset: int = 0) -> list[AlertItem]:
    """The alerts the principal sees, newest first, filtered by company, kind and read state."""
    stmt = alert_inbox.visible_alerts(company_id=company_id, kind=kind, read=read)
    return _items(db.session.scalars(stmt.limit(limit).offset(offset)))


def alert_item(alert_id) -> AlertItem:
    """One alert the principal sees (``NotFound`` otherwise)."""
    return _items([alert_inbox.get_alert(alert_id)])[0]


def alert_total(*, company_id=None, kind=None, read=None) -> int:
    stmt = alert_inbox.visible_alerts(company_id=company_id, kind=kind, read=read)
    return int(db.session.scalar(stmt.order_by(None).with_only_columns(func.count(Alert.id))) or 0)


def company_alerts(company_id, *, open_only: bool = True, limit: int = 20) -> list[AlertItem]:
    """One company's alerts the principal sees (open: unread by this person), worst first."""
    principal = get_principal()
    read = False if open_only and principal is not None and principal.user_id is not None else None
    items = alert_list(company_id=company_id, read=read, limit=limit)
    return sorted(items, key=lambda i: (SEVERITY_ORDER.get(i.severity, 3), -i.created_at.timestamp()))


def open_counts(company_ids) -> dict[uuid.UUID, int]:
    """{company_id: open alerts} for the portfolio (unread by this person; all for no person)."""
    ids = list(company_ids)
    if not ids:
        return {}
    principal = get_principal()
    read = False if principal is not None and principal.user_id is not None else None
    stmt = (alert_inbox.visible_alerts(read=read).order_by(None).where(Alert.company_id.in_(ids))
            .with_only_columns(Alert.company_id, func.count(Alert.id)).group_by(Alert.company_id))
    return {cid: int(n) for cid, n in db.session.execute(stmt)}
