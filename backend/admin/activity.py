"""Activity: the audit trail, for owners and admins, filterable by company and person."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import render_template, request

from ..services import accounts as accounts_svc
from ..services import companies as companies_svc
from ..services.audit import audit_entries
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
    companies = companies_svc.all_companies()
    users = accounts_svc.all_users()
    return render_template(
        "admin/activity.html", entries=entries, more=more, companies=companies, users=users,
        company_names={c.id: c.name for c in companies},
        company_id=str(company_id) if company_id else "", user_id=str(user_id) if user_id else "",
        section="activity",
    )
