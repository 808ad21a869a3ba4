"""The reports a company's people read: ``/companies/<id>/reports`` lists its sent reports and
shows one on screen, with its PDF. Meant for client viewers (who reach only their companies and,
of those, only the sent reports: drafts and reports awaiting sending are the agency's work); staff
see the same pages as their client does and manage reports under /manage. Logged-in people only:
an API key reads reports through /api/v1 instead."""
from __future__ import annotations

from flask import Blueprint, Response, render_template
from markupsafe import Markup

from .reporting import render_report_html
from .services import reports as svc
from .services.branding import get_branding
from .services.companies import get_company
from .services.errors import NotFound
from .tenancy import Forbidden, current_principal

bp = Blueprint("client_reports", __name__, url_prefix="/companies/<uuid:company_id>/reports")


@bp.before_request
def _people_only():
    current_principal().require("read")
    if current_principal().kind != "user":
        raise Forbidden("These pages are for people; an API key reads reports at /api/v1/companies/{id}/reports.")


def _sent(company_id, report_id):
    report = svc.get_report(company_id, report_id)
    if report.status != "sent":  # staff read drafts under /manage; this page shows what the client got
        raise NotFound("No sent report with this id.")
    return report


@bp.get("")
def reports(company_id):
    """The company's sent reports, latest period first."""
    company = get_company(company_id)
    return render_template("client_reports/list.html", company=company, branding=get_branding(),
                           reports=svc.list_reports(company.id, status="sent"), label=svc.period_label,
                           staff=current_principal().is_staff)


@bp.get("/<uuid:report_id>")
def report(company_id, report_id):
    """One sent report on screen."""
    company = get_company(company_id)
    shown = _sent(company.id, report_id)
    body = Markup(render_report_html(shown, mode="screen"))  # noqa: S704 - our own template, escaped inside
    return render_template("client_reports/report.html", company=company, branding=get_branding(), report=shown,
                           label=svc.period_label(shown), body=body, pdf=svc.pdf_state(shown),
                           staff=current_principal().is_staff)


@bp.get("/<uuid:report_id>/pdf")
def report_pdf(company_id, report_id):
    """The sent report's PDF (an error page saying why when there is none of this version)."""
    company = get_company(company_id)
    _sent(company.id, report_id)
    shown, pdf = svc.report_pdf(company.id, report_id)
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="{svc.pdf_filename(company.name, shown)}"'
    return resp
