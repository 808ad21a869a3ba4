"""Sub-goals: add, edit, delete, with a live preview of progress while the target is typed."""
from __future__ import annotations

from flask import flash, g, jsonify, redirect, render_template, request, url_for

from ..extensions import db
from ..models import Goal
from ..services import catalog
from ..services import goals as svc
from ..services.errors import ServiceError, ValidationFailed
from . import bp
from ..api.goals.schemas import GoalCreateSchema, GoalUpdateSchema
from .forms import FormErrors, FormInvalid, api_load, from_service_error, int_or_none, text

# One sentence per category of the product brief (seeds/001: "delmål").
CATEGORY_HELP = {
    "position_in_field": "Strengthen the company's position in its field, so it is seen as a leading voice.",
    "customer_relations": "Build customer relations: be easy to reach and answer questions quickly.",
    "media_relations": "Build relations with the media, so journalists find, follow and quote the company.",
    "internal_collaboration": "Communicate and collaborate internally: staff share news and knowledge.",
    "knowledge_base": "Build a knowledge base of useful content that customers and staff come back to.",
    "test_ideas": "Test ideas and products with followers before investing in them.",
    "search_visibility": "Rank higher in search engines through content and links that people share.",
    "crisis_dialogue": "Handle crises through open dialogue: answer openly and quickly when something goes wrong.",
    "other": "Anything else the strategy needs to measure.",
}
CATEGORY_LABELS = {
    "position_in_field": "Position in the field", "customer_relations": "Customer relations",
    "media_relations": "Media relations", "internal_collaboration": "Internal collaboration",
    "knowledge_base": "Knowledge base", "test_ideas": "Test ideas and products",
    "search_visibility": "Search visibility", "crisis_dialogue": "Crisis dialogue", "other": "Other",
}
STATUS_LABELS = {"achieved": ("Achieved", "success"), "on_track": ("On track", "success"),
                 "at_risk": ("At risk", "warning"), "off_track": ("Off track", "danger"),
                 "missed": ("Missed", "danger"), "not_started": ("Not started", "secondary")}


def goal_form(form) -> dict:
    """The API's goal shape from a submitted form (inputs are named ``title``, ``kpi.target`` ...)."""
    kpi = {name: text(form, f"kpi.{name}") for name in svc.KPI_FIELDS}
    kpi["baseline"] = kpi["baseline"] or None
    for name in ("target", "baseline"):
        if kpi[name]:
            kpi[name] = kpi[name].replace(",", ".").replace(" ", "")
    return {"title": text(form, "title"), "description": text(form, "description"),
            "category": text(form, "category") or "other", "owner": text(form, "owner"), "kpi": kpi}


def _choices(company):
    from ..services.channels import list_channels

    metrics = sorted(catalog.definitions().values(), key=lambda d: (d.kind, d.label))
    channels = db.session.scalars(list_channels(company.id)).all()
    return metrics, channels


@bp.get("/companies/<uuid:company_id>/goals")
def goals(company_id):
    """The company's sub-goals with their progress."""
    from ..services.progress import company_goals_progress

    company = g.path_objects["company_id"]
    rows = company_goals_progress(company.id)
    return render_template("admin/goals.html", company=company, rows=rows, labels=CATEGORY_LABELS,
                           statuses=STATUS_LABELS, section="companies", tab="goals")


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
        goal = svc.create_goal(company_id, api_load(GoalCreateSchema(), form))
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
        svc.update_goal(company_id, goal_id, api_load(GoalUpdateSchema(), form),
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
    try:
        clean = svc.validate_goal(company.id, api_load(GoalCreateSchema(), data))
    except FormInvalid as err:
        return jsonify({"ok": False, "errors": [{"field": k, "message": v} for k, v in err.errors.items()]})
    except ValidationFailed as err:
        db.session.rollback()
        return jsonify({"ok": False, "errors": err.errors or []})
    transient = Goal(company_id=company.id, agency_id=company.agency_id, **clean)
    progress = goal_progress(transient)
    return jsonify({"ok": True, "progress": {
        k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in progress.items()
    }, "status_label": STATUS_LABELS.get(progress["status"], (progress["status"], ""))[0]})
