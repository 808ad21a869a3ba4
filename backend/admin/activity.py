"""Activity: the audit trail, for owners and admins, filterable by company and person."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import render_template, request
from sqlalchemy import select

from ..extensions import db
from ..models import AuditEntry
from ..services import accounts as accounts_svc
from ..services import companies as companies_svc
from ..services.errors import NotFound
from .blueprint import bp, needs

PAGE_SIZE = 100


def _uuid_arg(name: str) -> uuid.UUID | None:
    raw = request.args.get(name) or ""
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise NotFound(f"No {name.replace('_id', '')} with this id.") from None


def audit_entries(*, company_id=None, actor_user_id=None, before: dt.datetime | None = None,
                  limit: int = PAGE_SIZE) -> list[AuditEntry]:
    """Newest entries first; the scoping layer keeps them to the principal's agency."""
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc()).limit(limit)
    if company_id is not None:
        stmt = stmt.where(AuditEntry.company_id == companies_svc.get_company(company_id).id)
    if actor_user_id is not None:
        stmt = stmt.where(AuditEntry.actor_user_id == actor_user_id)
    if before is not None:
        stmt = stmt.where(AuditEntry.created_at < before)
    return list(db.session.scalars(stmt))


@bp.get("/activity")
@needs("admin", "Only agency owners and admins see the activity log.")
def activity():
    """Who changed what, newest first."""
    company_id = _uuid_arg("company_id")
    user_id = _uuid_arg("user_id")
    before = None
    if request.args.get("before"):
        try:
            before = dt.datetime.fromisoformat(request.args["before"])
        except ValueError:
            before = None
    entries = audit_entries(company_id=company_id, actor_user_id=user_id, before=before, limit=PAGE_SIZE + 1)
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    companies = db.session.scalars(companies_svc.list_companies()).all()
    users = db.session.scalars(accounts_svc.list_users()).all()
    return render_template(
        "admin/activity.html", entries=entries, more=more, companies=companies, users=users,
        company_names={c.id: c.name for c in companies},
        company_id=str(company_id) if company_id else "", user_id=str(user_id) if user_id else "",
        section="activity",
    )
