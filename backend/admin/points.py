"""Stored data: the points of one channel and metric as they were pushed, and deleting a wrong day,
a range or the whole series — each after a page that says exactly what will go."""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from ..bounds import PAGE_MAX
from ..services import catalog, channels
from ..services import metrics as svc
from ..services.errors import Conflict, ServiceError
from .blueprint import bp
from .forms import FormErrors, from_service_error, int_or_none, text

FILTERS = ("channel", "metric", "from", "to")
CONFIRM_LIST_MAX = 10  # a confirmation lists the points themselves up to this many


def _filters(source) -> dict[str, str]:
    return {name: text(source, name) for name in FILTERS}


def _render(form: dict[str, str], *, page: int = 1, errors: FormErrors | None = None,
            confirm: dict[str, Any] | None = None, status: int = 200):
    """The page: the filter, then the confirmation of a deletion or the stored points."""
    company = g.path_objects["company_id"]
    chans = channels.all_channels(company.id)
    metrics = catalog.storable()
    form = dict(form)
    if not form["channel"] and chans:
        form["channel"] = chans[0].key
    if not form["metric"]:
        form["metric"] = "followers"
    errors = errors or FormErrors()
    found = None
    if chans and not errors and confirm is None:
        args = (company.id, form["channel"], form["metric"], form["from"] or None, form["to"] or None)
        try:
            found = svc.stored_points(*args, page=min(max(1, page), PAGE_MAX))
            if found.page > found.pages > 0:  # past the end (a link from before a deletion): the last page
                found = svc.stored_points(*args, page=found.pages)
        except ServiceError as err:
            bad = from_service_error(err)
            errors, status = bad.errors, bad.status
    definition = metrics.get(form["metric"])
    return render_template("admin/points.html", company=company, channels=chans, metrics=metrics, form=form,
                           errors=errors, found=found, confirm=confirm, unit=definition.unit if definition else "",
                           metric_label=definition.label if definition else form["metric"],
                           section="companies", tab="points"), status


@bp.get("/companies/<uuid:company_id>/points")
def points(company_id):
    """The stored points of one channel and metric, newest first, with ways to delete them."""
    return _render(_filters(request.args), page=int_or_none(request.args, "page") or 1)


@bp.post("/companies/<uuid:company_id>/points/delete")
def delete_points(company_id):
    """First post: what would be deleted, to confirm. With ``confirm``: delete, and say how many."""
    company = g.path_objects["company_id"]
    target = _filters(request.form)  # what to delete
    shown = {**target, "from": text(request.form, "shown_from"), "to": text(request.form, "shown_to")}
    dates = (target["from"] or None, target["to"] or None)
    conflict = None
    if request.form.get("confirm") == "yes":
        try:
            deleted = svc.delete_points(company.id, target["channel"], target["metric"], *dates,
                                        expected=int_or_none(request.form, "expected"))
        except Conflict as err:
            from_service_error(err)  # rolls back
            conflict = err.detail
        except ServiceError as err:
            bad = from_service_error(err)
            return _render(target, errors=bad.errors, status=bad.status)
        else:
            definition = catalog.definitions().get(target["metric"])
            start, end = (dt.date.fromisoformat(d) if d else None for d in dates)  # the service took them
            what = (f"{definition.label if definition else target['metric']} on {target['channel']} "
                    f"{svc.range_words(start, end)}")
            flash(f"Deleted {deleted:,} stored point{'' if deleted == 1 else 's'} of {what}." if deleted else
                  f"Nothing was stored of {what}: nothing was deleted.")
            back: dict[str, Any] = {name: value for name, value in shown.items() if value}
            return redirect(url_for("admin.points", company_id=company.id, **back))
    try:
        found = svc.stored_points(company.id, target["channel"], target["metric"], *dates,
                                  page_size=CONFIRM_LIST_MAX)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(target, errors=bad.errors, status=bad.status)
    confirm = {"found": found, "days": found.selection.days(), "target": target, "shown": shown,
               "conflict": conflict}
    return _render(shown, confirm=confirm, status=409 if conflict else 200)
