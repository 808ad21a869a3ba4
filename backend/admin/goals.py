"""Sub-goals: add, edit, delete, with a live preview of progress while the target is typed."""
from __future__ import annotations

from typing import Any

from flask import flash, g, jsonify, redirect, render_template, request, url_for

from dashboard.theme import tone_colour

from ..api.goals.schemas import GoalCreateSchema, GoalUpdateSchema
from ..extensions import db
from ..models import Goal
from ..services import catalog
from ..services import goals as svc
from ..services.errors import ServiceError, ValidationFailed
from ..services.goal_terms import CATEGORY_TERMS, STATUS_TERMS, status_term
from .blueprint import bp
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, plain_words, text

# The goal vocabulary (services/goal_terms.py) as the templates use it.
CATEGORY_HELP = {key: term.sentence for key, term in CATEGORY_TERMS.items()}
CATEGORY_LABELS = {key: term.label for key, term in CATEGORY_TERMS.items()}
# status -> (label, colour of its tone: the dashboard's colours)
STATUS_LABELS = {key: (term.label, tone_colour(term.tone)) for key, term in STATUS_TERMS.items()}


def goal_form(form) -> dict:
    """The API's goal shape from a submitted form (inputs are named ``title``, ``kpi.target`` ...)."""
    kpi: dict[str, Any] = {name: text(form, f"kpi.{name}") for name in svc.KPI_FIELDS}
    kpi["baseline"] = kpi["baseline"] or None
    for name in ("target", "baseline"):
        if kpi[name]:
            kpi[name] = kpi[name].replace(",", ".").replace(" ", "")
    return {"title": text(form, "title"), "description": text(form, "description"),
            "category": text(form, "category"), "owner": text(form, "owner"), "kpi": kpi}


NO_CATEGORY = "Choose what this sub-goal is for; choose Other if none of these fits."


def _load_goal(schema, form: dict) -> dict:
    """The form through the API's schema, and a category that was chosen (never "Other" by
    default): every problem at once, each under its field."""
    errors = FormErrors()
    data: dict = {}
    try:
        data = api_load(schema, form)
    except FormInvalid as err:
        errors = err.errors
    if not form.get("category"):
        errors.pop("category", None)
        errors.add("category", NO_CATEGORY)
    if errors:
        raise FormInvalid(errors)
    return data


def _choices(company):
    from ..services.channels import all_channels

    metrics = sorted(catalog.definitions().values(), key=lambda d: (d.kind, d.label))
    channels = all_channels(company.id)
    return metrics, channels


@bp.get("/companies/<uuid:company_id>/goals")
def goals(company_id):
    """The company's sub-goals with their progress."""
    from ..services.channels import all_channels
    from ..services.progress import company_goals_progress

    company = g.path_objects["company_id"]
    rows = company_goals_progress(company.id)
    definitions = catalog.definitions()
    units = {key: d.unit for key, d in definitions.items()}
    # The KPI in words: the metric's label and the channel's name (the keys on hover).
    metric_labels = {key: d.label for key, d in definitions.items()}
    channel_names = {c.key: c.name or c.key for c in all_channels(company.id)}
    return render_template("admin/goals.html", company=company, rows=rows, labels=CATEGORY_LABELS,
                           statuses=STATUS_LABELS, units=units, metric_labels=metric_labels,
                           channel_names=channel_names, section="companies", tab="goals")


def _render_form(goal: Goal | None, form: dict | None = None, errors=None, status=200):
    company = g.path_objects["company_id"]
    metrics, channels = _choices(company)
    if form is None:
        if goal is not None:
            form = svc.goal_fields(goal)
        else:
            form = {"category": request.args.get("category", ""), "kpi": {"channel": "all"}}
    return render_template("admin/goal_form.html", company=company, goal=goal, form=form, errors=errors or FormErrors(),
                           metrics=metrics, channels=channels, categories=CATEGORY_HELP, labels=CATEGORY_LABELS,
                           aggregations={d.key: catalog.aggregations(d) for d in metrics},
                           section="companies", tab="goals"), status


@bp.get("/companies/<uuid:company_id>/goals/new")
def new_goal(company_id):
    """An empty goal form."""
    return _render_form(None)


@bp.post("/companies/<uuid:company_id>/goals")
def create_goal(company_id):
    form = goal_form(request.form)
    try:
        goal = svc.create_goal(company_id, _load_goal(GoalCreateSchema(), form))
    except FormInvalid as err:
        return _render_form(None, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_form(None, form, bad.errors, bad.status)
    flash(f"Added the goal '{goal.title}'.")
    return redirect(url_for("admin.goals", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/goals/<uuid:goal_id>")
def edit_goal(company_id, goal_id):
    """Edit one goal."""
    return _render_form(g.path_objects["goal_id"])


@bp.post("/companies/<uuid:company_id>/goals/<uuid:goal_id>")
def update_goal(company_id, goal_id):
    goal = g.path_objects["goal_id"]
    form = goal_form(request.form)
    try:
        svc.update_goal(company_id, goal_id, _load_goal(GoalUpdateSchema(), form),
                        expected_version=int_or_none(request.form, "version"))
    except FormInvalid as err:
        return _render_form(goal, form, err.errors, err.status)
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_form(goal, None if bad.errors.stale else form, bad.errors, bad.status)
    flash(f"Saved the goal '{goal.title}'.")
    return redirect(url_for("admin.goals", company_id=company_id))


@bp.post("/companies/<uuid:company_id>/goals/<uuid:goal_id>/delete")
def delete_goal(company_id, goal_id):
    goal = g.path_objects["goal_id"]
    title = goal.title
    try:
        svc.delete_goal(company_id, goal_id, expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render_form(goal, None, bad.errors, bad.status)
    flash(f"Deleted the goal '{title}'.")
    return redirect(url_for("admin.goals", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/goals/preview")
def goal_preview(company_id):
    """JSON: the progress a goal with these KPI values would have today (nothing is saved).

    Uses the goals service's validation and the progress engine, so the preview and the saved
    goal can never disagree.
    """
    from ..services.progress import goal_progress

    company = g.path_objects["company_id"]
    data = goal_form(request.args)
    data["title"] = data["title"] or "preview"
    data["category"] = data["category"] or "other"  # the preview is about the KPI
    try:
        clean = svc.validate_goal(company.id, api_load(GoalCreateSchema(), data))
    except FormInvalid as err:
        return jsonify({"ok": False, "errors": [{"field": k, "message": v} for k, v in err.errors.items()]})
    except ValidationFailed as err:
        db.session.rollback()
        return jsonify({"ok": False, "errors": [{"field": e.get("field"), "message": plain_words(e.get("message", ""))}
                                                for e in err.errors or []]})
    transient = Goal(company_id=company.id, agency_id=company.agency_id, **clean)
    progress = goal_progress(transient)
    return jsonify({"ok": True, "progress": {
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in progress.items()
    }, "status_label": status_term(progress["status"]).label})
