"""Reports of a company: the list with a form to make one (last month, a quarter, a custom range),
and a report's page — the report as the client sees it, the draft's commentary and highlighted
goals, mark ready or reopen, send by e-mail, download the PDF (or why it cannot be), the
sendings with their status and errors. The same service as ``/api/v1/companies/{id}/reports``."""
from __future__ import annotations

import datetime as dt
import re

from flask import Response, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from ..api.reports.schemas import ReportCreateSchema, ReportUpdateSchema
from ..extensions import db
from ..models import Goal, Report, ReportSchedule
from ..reporting import render_report_html
from ..services import reports as svc
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, text

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
STATUS_TONES = {"draft": "secondary", "ready": "primary", "sent": "success", "queued": "secondary",
                "failed": "danger"}


def _quarters(today: dt.date, count: int = 8) -> list[tuple[str, str]]:
    """('2026-Q3', 'Q3 2026') for the last whole quarters, newest first."""
    out = []
    start = svc.previous_period("quarter", today)[0]
    for _ in range(count):
        quarter = (start.month - 1) // 3 + 1
        out.append((f"{start.year}-Q{quarter}", f"Q{quarter} {start.year}"))
        start = svc.previous_period("quarter", start)[0]
    return out


def create_form(form) -> tuple[dict, dict]:
    """The API's create body from the form, and the form's own values (to show it again)."""
    kind = text(form, "period_kind")
    shown = {"period_kind": kind, "month": text(form, "month"), "quarter": text(form, "quarter"),
             "period_start": text(form, "period_start"), "period_end": text(form, "period_end")}
    data: dict = {"period_kind": kind}
    if kind == "month" and shown["month"]:
        m = MONTH_RE.match(shown["month"])
        data["anchor"] = f"{m.group(1)}-{m.group(2)}-01" if m else shown["month"]
    elif kind == "quarter" and shown["quarter"]:
        q = QUARTER_RE.match(shown["quarter"])
        data["anchor"] = f"{q.group(1)}-{3 * int(q.group(2)) - 2:02d}-01" if q else shown["quarter"]
    elif kind == "custom":
        data |= {"period_start": shown["period_start"], "period_end": shown["period_end"]}
    return data, shown


def _render_list(form=None, errors=None, status=200):
    company = g.path_objects["company_id"]
    today = svc.company_today(company)
    last_month = svc.previous_period("month", today)[0]
    form = form or {"period_kind": "month", "month": f"{last_month:%Y-%m}", "quarter": _quarters(today)[0][0]}
    return render_template("admin/reports.html", company=company, reports=svc.list_reports(company.id), form=form,
                           errors=errors or FormErrors(), quarters=_quarters(today), tones=STATUS_TONES,
                           label=svc.period_label, section="companies", tab="reports"), status


@bp.get("/companies/<uuid:company_id>/reports")
def reports(company_id):
    """The company's reports, latest period first, and the form to make one."""
    return _render_list()


@bp.post("/companies/<uuid:company_id>/reports")
def create_report(company_id):
    data, shown = create_form(request.form)
    try:
        report, made = svc.create_report(company_id, **api_load(ReportCreateSchema(), data))
    except (FormInvalid, ServiceError) as err:
        bad = err if isinstance(err, FormInvalid) else from_service_error(err)
        errors = bad.errors
        if "anchor" in errors:  # the day stands for the month or quarter chosen
            errors[shown["period_kind"] if shown["period_kind"] in ("month", "quarter") else "form"] = \
                errors.pop("anchor")
        return _render_list(shown, errors, bad.status)
    flash(f"Made the {svc.period_label(report)} report (a draft)." if made else
          f"The {svc.period_label(report)} report exists already; here it is.")
    return redirect(url_for("admin.report", company_id=company_id, report_id=report.id))


def _render_report(report: Report, form=None, errors=None, status=200, send_form=None):
    company = g.path_objects["company_id"]
    goals = list(db.session.scalars(select(Goal).where(Goal.company_id == company.id).order_by(Goal.title)))
    if form is None:
        form = {"commentary": report.commentary, "highlighted_goal_ids": list(report.highlighted_goal_ids or [])}
    schedule = (db.session.scalars(select(ReportSchedule).where(ReportSchedule.id == report.schedule_id)).first()
                if report.schedule_id else None)
    if send_form is None:
        send_form = {"recipients": "\n".join(schedule.recipients) if schedule else ""}
    body = Markup(render_report_html(report, mode="screen"))  # noqa: S704 - our own template, escaped inside
    return render_template("admin/report.html", company=company, report=report, label=svc.period_label(report),
                           body=body, goals=goals, form=form, send_form=send_form, errors=errors or FormErrors(),
                           pdf=svc.pdf_state(report), deliveries=svc.list_deliveries(report), schedule=schedule,
                           tones=STATUS_TONES, section="companies", tab="reports"), status


@bp.get("/companies/<uuid:company_id>/reports/<uuid:report_id>")
def report(company_id, report_id):
    """The report as the client will see it, with what staff do to it."""
    return _render_report(g.path_objects["report_id"])


@bp.post("/companies/<uuid:company_id>/reports/<uuid:report_id>")
def update_report(company_id, report_id):
    report = g.path_objects["report_id"]
    form = {"commentary": request.form.get("commentary", ""),
            "highlighted_goal_ids": request.form.getlist("highlighted_goal_ids")}
    try:
        svc.update_report(company_id, report_id, api_load(ReportUpdateSchema(), form),
                          expected_version=int_or_none(request.form, "version"))
    except FormInvalid as err:
        return _render_report(report, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_report(svc.get_report(company_id, report_id), None if bad.errors.stale else form,
                              bad.errors, bad.status)
    flash("Saved the commentary and the highlighted goals.")
    return redirect(url_for("admin.report", company_id=company_id, report_id=report_id))


def _act(company_id, report_id, action, done: str):
    try:
        action()
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_report(svc.get_report(company_id, report_id), None, bad.errors, bad.status)
    flash(done)
    return redirect(url_for("admin.report", company_id=company_id, report_id=report_id))


@bp.post("/companies/<uuid:company_id>/reports/<uuid:report_id>/ready")
def mark_report_ready(company_id, report_id):
    report = g.path_objects["report_id"]
    scheduled = bool(report.schedule_id)
    return _act(company_id, report_id, lambda: svc.mark_ready(company_id, report_id),
                "Marked the report ready." + (" Its schedule sends it to the schedule's recipients." if scheduled
                                              else " It can be sent now."))


@bp.post("/companies/<uuid:company_id>/reports/<uuid:report_id>/reopen")
def reopen_report(company_id, report_id):
    return _act(company_id, report_id, lambda: svc.update_report(company_id, report_id, {"status": "draft"}),
                "Reopened the report as a draft.")


def recipients_list(raw: str) -> list[str]:
    """Addresses typed one a line or separated by commas or semicolons."""
    return [part.strip() for part in re.split(r"[\n,;]+", raw or "") if part.strip()]


@bp.post("/companies/<uuid:company_id>/reports/<uuid:report_id>/send")
def send_report(company_id, report_id):
    raw = request.form.get("recipients", "")
    try:
        delivery = svc.send_report(company_id, report_id, recipients_list(raw))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_report(svc.get_report(company_id, report_id), None, bad.errors, bad.status,
                              send_form={"recipients": raw})
    flash(f"Sending the report to {len(delivery.recipients)} recipient(s); the sendings below show how it went.")
    return redirect(url_for("admin.report", company_id=company_id, report_id=report_id))


@bp.post("/companies/<uuid:company_id>/reports/<uuid:report_id>/delete")
def delete_report(company_id, report_id):
    report = g.path_objects["report_id"]
    name = svc.period_label(report)
    try:
        svc.delete_report(company_id, report_id, expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_report(svc.get_report(company_id, report_id), None, bad.errors, bad.status)
    flash(f"Deleted the {name} report.")
    return redirect(url_for("admin.reports", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/reports/<uuid:report_id>/pdf")
def report_pdf(company_id, report_id):
    """The stored PDF (503 with the reason when there is none of this version)."""
    report, pdf = svc.report_pdf(company_id, report_id)
    return pdf_response(g.path_objects["company_id"].name, report, pdf)


def pdf_response(company_name: str, report: Report, pdf: bytes) -> Response:
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'attachment; filename="{svc.pdf_filename(company_name, report)}"'
    return resp
