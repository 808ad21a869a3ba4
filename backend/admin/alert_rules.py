"""Alert rules of a company: what the agency is alerted about (backend/services/alert_rules.py; the
worker evaluates them)."""
from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from ..extensions import db
from ..services.catalog import FLOW, definitions
from ..services.channels import channel_keys
from ..services.errors import ServiceError
from ..services.goal_terms import STATUS_TERMS
from ..services.goals import list_goals
from .blueprint import bp
from .forms import FormErrors, from_service_error, int_or_none, text

KIND_WORDS = {"goal_status": "A goal's status changes", "stale_data": "A channel goes quiet",
              "threshold": "A metric crosses a value", "spike": "A metric spikes"}
PARAM_FIELDS = {"goal_status": ("goal_id",), "stale_data": ("days",),
                "threshold": ("metric", "channel", "direction", "value", "period"),
                "spike": ("metric", "channel", "factor", "minimum")}


def _svc():
    from ..services import alert_rules

    return alert_rules


def rule_form(form) -> dict[str, Any]:
    """The form as the service's input: the chosen kind's params only (statuses as checkboxes)."""
    kind = text(form, "kind")
    params: dict[str, Any] = {name: text(form, f"params.{name}") or None for name in PARAM_FIELDS.get(kind, ())}
    if kind == "goal_status":
        params["statuses"] = form.getlist("params.statuses")
    return {"kind": kind, "name": text(form, "name"), "severity": text(form, "severity") or "warning",
            "active": form.get("active") == "on", "visible_to_clients": form.get("visible_to_clients") == "on",
            "params": params}


def _shown(data: dict[str, Any]) -> dict[str, Any]:
    """The form's inputs: the fields, and the params as ``params.<name>``."""
    params = data.get("params") or {}
    return {**{k: v for k, v in data.items() if k != "params"},
            **{f"params.{k}": ("" if v is None else v) for k, v in params.items()}}


def _render(rule=None, form=None, errors=None, status=200):
    svc = _svc()
    company = g.path_objects["company_id"]
    rules = svc.list_rules(company.id)
    if form is None:
        if rule is not None:
            form = _shown(svc.rule_fields(rule))
        else:
            kind = request.args.get("kind") if request.args.get("kind") in svc.KINDS else "goal_status"
            form = _shown({"kind": kind, "severity": "warning", "active": True, "visible_to_clients": False,
                           "params": {"statuses": list(svc.DEFAULT_STATUSES), "days": svc.DEFAULT_STALE_DAYS,
                                      "channel": "all", "direction": "above", "period": "day", "factor": 3,
                                      "minimum": 20}})
    defs = definitions()
    goals = db.session.scalars(list_goals(company.id)).all()
    return render_template(
        "admin/alert_rules.html", company=company, rules=rules, rule=rule, form=form, errors=errors or FormErrors(),
        describe=svc.describe, kinds=KIND_WORDS, statuses=[(k, t.label) for k, t in STATUS_TERMS.items()],
        metrics=[(k, d.label) for k, d in defs.items()],
        flows=[(k, d.label) for k, d in defs.items() if d.kind == FLOW],
        channels=[("all", "All channels")] + [(k, k) for k in sorted(channel_keys(company.id))],
        goals=[("", "Every goal")] + [(str(goal.id), goal.title) for goal in goals],
        severities=[(s, s.capitalize()) for s in svc.SEVERITIES], crisis=svc.CRISIS_WATCH,
        section="companies", tab="alerts"), status


@bp.get("/companies/<uuid:company_id>/alert-rules")
def alert_rules(company_id):
    """The company's alert rules, and a form to add one (?kind= picks the kind's form)."""
    return _render()


@bp.post("/companies/<uuid:company_id>/alert-rules")
def create_alert_rule(company_id):
    data = _svc().CRISIS_WATCH if request.form.get("preset") == "crisis" else rule_form(request.form)
    try:
        rule = _svc().create_rule(company_id, dict(data))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(None, _shown(data), bad.errors, bad.status)
    flash(f"Added the alert rule '{rule.name}'.")
    return redirect(url_for("admin.alert_rules", company_id=company_id))


@bp.get("/companies/<uuid:company_id>/alert-rules/<uuid:rule_id>")
def edit_alert_rule(company_id, rule_id):
    """Edit one alert rule."""
    return _render(g.path_objects["rule_id"])


@bp.post("/companies/<uuid:company_id>/alert-rules/<uuid:rule_id>")
def update_alert_rule(company_id, rule_id):
    rule = g.path_objects["rule_id"]
    data = rule_form(request.form)
    try:
        _svc().update_rule(company_id, rule_id, data, expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(rule, None if bad.errors.stale else _shown(data), bad.errors, bad.status)
    flash(f"Saved the alert rule '{rule.name}'.")
    return redirect(url_for("admin.alert_rules", company_id=company_id))


@bp.post("/companies/<uuid:company_id>/alert-rules/<uuid:rule_id>/pause")
def pause_alert_rule(company_id, rule_id):
    rule = g.path_objects["rule_id"]
    try:
        _svc().update_rule(company_id, rule_id, {"active": not rule.active},
                           expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(rule, None, bad.errors, bad.status)
    flash(f"{'Resumed' if rule.active else 'Paused'} the alert rule '{rule.name}'.")
    return redirect(url_for("admin.alert_rules", company_id=company_id))


@bp.post("/companies/<uuid:company_id>/alert-rules/<uuid:rule_id>/delete")
def delete_alert_rule(company_id, rule_id):
    rule = g.path_objects["rule_id"]
    name = rule.name
    try:
        _svc().delete_rule(company_id, rule_id, expected_version=int_or_none(request.form, "version"))
    except ServiceError as err:
        bad = from_service_error(err)
        return _render(rule, None, bad.errors, bad.status)
    flash(f"Deleted the alert rule '{name}'.")
    return redirect(url_for("admin.alert_rules", company_id=company_id))
