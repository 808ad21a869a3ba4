"""Companies: create, rename, archive and restore."""
from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from ..api.companies.schemas import CompanyCreateSchema, CompanyUpdateSchema
from ..services import companies as svc
from ..services.errors import ServiceError
from .blueprint import bp, needs
from .forms import FormErrors, FormInvalid, from_service_error, int_or_none, load, text

ADMIN_ONLY = "Only agency owners and admins create, rename or archive companies."


def _render_list(errors=None, form=None, status=200):
    show = request.args.get("show", "active")
    rows = svc.all_companies(include_archived=show in ("all", "archived"),
                             archived=True if show == "archived" else None)
    return render_template("admin/companies.html", companies=rows, show=show, errors=errors or FormErrors(),
                           form=form or {}, section="companies"), status


@bp.get("/companies")
def companies():
    """The agency's companies, with a form to add one."""
    return _render_list()


@bp.post("/companies")
@needs("admin", ADMIN_ONLY)
def create_company():
    form = {"name": text(request.form, "name"), "industry": text(request.form, "industry"),
            "timezone": text(request.form, "timezone") or "UTC"}
    try:
        data = load(CompanyCreateSchema(), form)
        company = svc.create_company(data)
    except FormInvalid as err:
        return _render_list(err.errors, form, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_list(bad.errors, form, bad.status)
    # Channels first: the strategy's audiences and channel plan name them.
    flash(f"Created {company.name}. First add its channels; the strategy's audiences and channel plan refer "
          "to them.")
    return redirect(url_for("admin.channels", company_id=company.id, onboarding=1))


def _render_company(errors=None, form=None, status=200):
    company = g.path_objects["company_id"]
    return render_template("admin/company.html", company=company, errors=errors or FormErrors(), form=form or {},
                           section="companies", tab="overview"), status


@bp.get("/companies/<uuid:company_id>")
def company(company_id):
    """One company: its details and the way to every part of it."""
    return _render_company()


@bp.post("/companies/<uuid:company_id>")
@needs("admin", ADMIN_ONLY)
def update_company(company_id):
    """Rename (and re-describe), archive or restore, refusing a stale form."""
    action = request.form.get("action", "save")
    version = int_or_none(request.form, "version")
    form: dict[str, Any]
    if action in ("archive", "restore"):
        form = {"archived": action == "archive"}
    else:
        form = {"name": text(request.form, "name"), "industry": text(request.form, "industry"),
                "timezone": text(request.form, "timezone") or "UTC"}
    try:
        data = load(CompanyUpdateSchema(), form)
        company = svc.update_company(company_id, data, expected_version=version)
    except FormInvalid as err:
        return _render_company(err.errors, form, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_company(bad.errors, {} if bad.errors.stale else form, bad.status)
    if action == "archive":
        flash(f"Archived {company.name}. Its data stays; restore it at any time.")
    elif action == "restore":
        flash(f"Restored {company.name}.")
    else:
        flash(f"Saved {company.name}.")
    return redirect(url_for("admin.company", company_id=company.id))
