"""The audit trail: one entry per state-changing action."""
from __future__ import annotations

import uuid

from ..extensions import db
from ..models import AuditEntry
from ..tenancy import current_principal


def record(action: str, obj=None, *, object_type: str | None = None, object_id=None,
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
