"""A person's alerts: ``/alerts`` lists the alerts they see (staff: their agency's companies; a
client viewer: their companies' alerts meant for clients), filtered by company, kind and read
state, with marking read one by one or all at once (POST forms with the CSRF token). Each alert
links to the page that shows it. The bell (its unread count) is drawn by the Dash navbar and the
/manage layout from the same read model. Logged-in people only: API keys use /api/v1/alerts."""
from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for

from .read_models import alerts as rm
from .services import alert_inbox as svc
from .services.alert_inbox import KINDS
from .services.companies import all_companies
from .tenancy import Forbidden, current_principal, get_principal

bp = Blueprint("alert_pages", __name__, url_prefix="/alerts")
PAGE_SIZE = 100
READ_CHOICES = {"": "All", "unread": "Unread", "read": "Read"}


@bp.before_request
def _people_only():
    current_principal().require("read")
    if current_principal().kind != "user":
        raise Forbidden("These pages are for people; an API key reads alerts at /api/v1/alerts.")


@bp.app_context_processor
def _bell():
    def alert_unread_count() -> int:
        principal = get_principal()
        return rm.unread_count() if principal is not None and principal.kind == "user" else 0

    return {"alert_unread_count": alert_unread_count}


def _filters(source) -> dict:
    """The list's filters from a query string or a form; junk values are ignored (all alerts)."""
    companies = {str(c.id): c for c in all_companies(include_archived=True)}
    company = companies.get((source.get("company") or "").strip())
    kind = source.get("kind") if source.get("kind") in KINDS else None
    read = {"unread": False, "read": True}.get(source.get("read") or "")
    return {"company": company, "kind": kind, "read": read, "companies": list(companies.values())}


def _query(filters: dict) -> dict:
    out = {}
    if filters["company"] is not None:
        out["company"] = str(filters["company"].id)
    if filters["kind"]:
        out["kind"] = filters["kind"]
    if filters["read"] is not None:
        out["read"] = "read" if filters["read"] else "unread"
    return out


@bp.get("")
def alert_list():
    """The alerts the person sees, newest first."""
    f = _filters(request.args)
    company_id = f["company"].id if f["company"] is not None else None
    items = rm.alert_list(company_id=company_id, kind=f["kind"], read=f["read"], limit=PAGE_SIZE)
    total = rm.alert_total(company_id=company_id, kind=f["kind"], read=f["read"])
    return render_template("alerts/list.html", items=items, total=total, filters=f, query=_query(f),
                           kinds=rm.KIND_LABELS, read_choices=READ_CHOICES, unread=rm.unread_count(),
                           staff=current_principal().is_staff)


def _back(filters: dict):
    return redirect(url_for("alert_pages.alert_list", **_query(filters)), code=303)


@bp.post("/<uuid:alert_id>/read")
def mark_read(alert_id: uuid.UUID):
    """Mark one alert read, then back to the list as it was filtered."""
    svc.mark_read(alert_id)
    return _back(_filters(request.form))


@bp.post("/read")
def mark_all_read():
    """Mark every unread alert of the list's filter (company, kind) read."""
    f = _filters(request.form)
    svc.mark_all_read(company_id=f["company"].id if f["company"] is not None else None, kind=f["kind"])
    return _back(f)
