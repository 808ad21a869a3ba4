"""The audit trail: one entry per state-changing action."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry, Company
from ..tenancy import current_principal
from .errors import NotFound


def record(action: str, obj: Any = None, *, object_type: str | None = None, object_id: object = None,
           company_id: uuid.UUID | None = None, summary: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction (committed with the change it describes)."""
    p = current_principal()
    if obj is not None:
        object_type = object_type or type(obj).__name__.lower()
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        if company_id is None:
            company_id = getattr(obj, "company_id", None)
            if company_id is None and object_type == "company":
                company_id = obj.id
    entry = AuditEntry(
        agency_id=p.agency_id,
        company_id=company_id,
        actor_user_id=p.user_id,
        actor=p.label,
        action=action,
        object_type=object_type or "",
        object_id=str(object_id) if object_id is not None else None,
        summary=summary[:500],
    )
    db.session.add(entry)
    return entry


def audit_entries(*, company_id: uuid.UUID | None = None, actor_user_id: uuid.UUID | None = None,
                  before: dt.datetime | None = None,
                  limit: int = 100) -> list[AuditEntry]:
    """The audit trail, newest first: owners and admins only; the scoping layer keeps it to the
    principal's agency (and a company filter to a company in reach)."""
    current_principal().require("admin", "Only agency owners and admins see the activity log.")
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    if company_id is not None:
        # A company in reach (the select is scoped; audit cannot import the companies service,
        # which records its changes here).
        if db.session.scalar(select(Company.id).where(Company.id == company_id)) is None:
            raise NotFound("No company with this id.")
        stmt = stmt.where(AuditEntry.company_id == company_id)
    if actor_user_id is not None:
        stmt = stmt.where(AuditEntry.actor_user_id == actor_user_id)
    if before is not None:
        stmt = stmt.where(AuditEntry.created_at < before)
    return list(db.session.scalars(stmt))
