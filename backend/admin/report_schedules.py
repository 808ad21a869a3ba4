"""Report schedules of a company: make its report every week or month and send it, with or without
review (backend/services/report_schedules.py; the worker runs them)."""
from __future__ import annotations

import datetime as dt
import re

from flask import flash, g, redirect, render_template, request, url_for

from ..api.report_schedules.schemas import ReportScheduleCreateSchema, ReportScheduleUpdateSchema
from ..services.errors import ServiceError
from .blueprint import bp
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, text

PERIOD_WORDS = {"previous_week": "The week before (Monday–Sunday)", "previous_month": "The month before",
                "previous_quarter": "The quarter before"}


def _svc():
    from ..services import report_schedules

    return report_schedules


def schedule_form(form) -> dict:
    """The form as the API's JSON: the day of the other cadence is left out; recipients one per
    line (or separated by commas)."""
    cadence = text(form, "cadence")
    out = {"cadence": cadence, "hour": text(form, "hour"), "period": text(form, "period"),
           "recipients": [a for a in re.split(r"[\s,;]+", text(form, "recipients")) if a],
           "starts_on": text(form, "starts_on") or None,
           "require_review": form.get("require_review") == "on", "active": form.get("active") == "on"}
    if cadence == "weekly":
        out["weekday"] = text(form, "weekday")
    elif cadence == "monthly":
        out["day_of_month"] = text(form, "day_of_month")
    return out


def _shown(form: dict) -> dict:
    """What the form's inputs show again after an error (recipients back as lines)."""
    return {**form, "recipients": "\n".join(form.get("recipients") or [])}


def _render(schedule=None, form=None, errors=None, status=200):
    svc = _svc()
    company = g.path_objects["company_id"]
    schedules = svc.list_schedules(company.id)
    tz = svc.zone(company.timezone)
    if form is None:
        if schedule is not None:
            form = _shown(svc.schedule_fields(schedule))
        else:
            form = {"cadence": "monthly", "day_of_month": 1, "weekday": 0, "hour": 8, "period": "previous_month",
                    "recipients": "", "require_review": True, "active": True}
    local = {s.id: s.next_run_at.replace(tzinfo=dt.UTC).astimezone(tz) for s in schedules if s.next_run_at}
    return render_template("admin/report_schedules.html", company=company, schedules=schedules, schedule=schedule,
                           form=form, errors=errors or FormErrors(), local=local, describe=svc.describe,
                           weekday_options=list(enumerate(svc.WEEKDAYS)),
                           hours=[(h, f"{h:02d}:00") for h in range(24)], periods=PERIOD_WORDS,
                           section="companies", tab="schedules"), status


@bp.get("/companies/<uuid:company_id>/report-schedules")
def report_schedules(company_id):
    """The company's report schedules, and a form to add one."""
    return _render()


@bp.post("/companies/<uuid:company_id>/report-schedules")
def create_report_schedule(company_id):
    form = schedule_form(request.form)
    form["active"] = True
    try:
        schedule = _svc().create_schedule(company_id, api_load(ReportScheduleCreateSchema(), form))
    except FormInvalid as err:
        return _render(None, _shown(form), err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(None, _shown(form), bad.errors, bad.status)
    flash(f"Added the report schedule '{_svc().describe(schedule)}'.")
    return redirect(url_for("admin.report_schedules", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/report-schedules/<uuid:schedule_id>")
def edit_report_schedule(company_id, schedule_id):
    """Edit one report schedule."""
    return _render(g.path_objects["schedule_id"])


@bp.post("/companies/<uuid:company_id>/report-schedules/<uuid:schedule_id>")
def update_report_schedule(company_id, schedule_id):
    schedule = g.path_objects["schedule_id"]
    form = schedule_form(request.form)
    try:
        _svc().update_schedule(company_id, schedule_id, api_load(ReportScheduleUpdateSchema(), form),
                               expected_version=int_or_none(request.form, "version"))
    except FormInvalid as err:
        return _render(schedule, _shown(form), err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(schedule, None if bad.errors.stale else _shown(form), bad.errors, bad.status)
    flash(f"Saved the report schedule '{_svc().describe(schedule)}'.")
    return redirect(url_for("admin.report_schedules", company_id=company_id))


@bp.post("/companies/<uuid:company_id>/report-schedules/<uuid:schedule_id>/delete")
def delete_report_schedule(company_id, schedule_id):
    schedule = g.path_objects["schedule_id"]
    described = _svc().describe(schedule)
    try:
        _svc().delete_schedule(company_id, schedule_id, expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(schedule, None, bad.errors, bad.status)
    flash(f"Deleted the report schedule '{described}'.")
    return redirect(url_for("admin.report_schedules", company_id=company_id))
