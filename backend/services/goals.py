"""Sub-goals of a company's strategy, each judged by one KPI.

The API and the admin forms use the same shape: goal fields plus a nested ``kpi`` dict
(``metric, channel, aggregation, baseline, target, start_date, deadline``), stored flat in the
``Goal.kpi_*`` columns. Validation errors carry the API's field names (``kpi.target``).
"""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from ..models import Goal
from ..tenancy import current_principal
from . import audit, catalog, goal_terms
from .channels import channel_keys
from .companies import get_company
from .errors import NotFound
from .validation import Problems, check_version

CATEGORIES = goal_terms.CATEGORIES
AGGREGATIONS = ("latest", "total")
KPI_FIELDS = ("metric", "channel", "aggregation", "baseline", "target", "start_date", "deadline")


def list_goals(company_id: uuid.UUID | str, *, category: str | None = None) -> Select[Goal]:
    """A select of the company's goals, soonest deadline first."""
    current_principal().require("read")
    company = get_company(company_id)
    stmt = select(Goal).where(Goal.company_id == company.id).order_by(Goal.kpi_deadline, Goal.title, Goal.id)
    if category:
        stmt = stmt.where(Goal.category == category)
    return stmt


def get_goal(company_id: uuid.UUID | str, goal_id: uuid.UUID | str) -> Goal:
    """A goal of this company (a goal of another company answers NotFound)."""
    current_principal().require("read")
    company = get_company(company_id)
    try:
        gid = goal_id if isinstance(goal_id, uuid.UUID) else uuid.UUID(str(goal_id))
    except ValueError:
        raise NotFound("No goal with this id.") from None
    goal = db.session.scalars(select(Goal).where(Goal.company_id == company.id, Goal.id == gid)).first()
    if goal is None:
        raise NotFound("No goal with this id.")
    return goal


def kpi_dict(goal: Goal) -> dict[str, Any]:
    """The goal's KPI in the API's nested shape."""
    return {
        "metric": goal.kpi_metric,
        "channel": goal.kpi_channel,
        "aggregation": goal.kpi_aggregation,
        "baseline": goal.kpi_baseline,
        "target": goal.kpi_target,
        "start_date": goal.kpi_start_date,
        "deadline": goal.kpi_deadline,
    }


def goal_fields(goal: Goal) -> dict[str, Any]:
    return {"title": goal.title, "description": goal.description, "category": goal.category,
            "owner": goal.owner, "kpi": kpi_dict(goal)}


def validate_goal(company_id: uuid.UUID | str, data: dict[str, Any]) -> dict[str, Any]:
    """Check a complete goal (fields + nested kpi) without writing; returns the flat column values.

    Public so the admin UI's live preview applies exactly the API's rules."""
    problems = Problems()
    out: dict[str, Any] = {}
    out["title"] = problems.text("title", data.get("title"), limit=300, required=True)
    out["description"] = problems.text("description", data.get("description"))
    out["owner"] = problems.text("owner", data.get("owner"), limit=200)
    out["category"] = problems.choice("category", data.get("category") or "other", CATEGORIES)

    kpi = data.get("kpi")
    if not isinstance(kpi, dict):
        problems.add("kpi", "Missing data for required field." if kpi is None else "Must be an object.")
        problems.raise_if_any()
    assert isinstance(kpi, dict)  # otherwise raised just above
    unknown = sorted(set(kpi) - set(KPI_FIELDS))
    for name in unknown:
        problems.add(f"kpi.{name}", "Unknown field.")

    definition = None
    metric = kpi.get("metric")
    if not isinstance(metric, str) or not metric:
        problems.add("kpi.metric", "Missing data for required field.")
    else:
        definition = catalog.get(metric)
        if definition is None:
            problems.add("kpi.metric", f"Unknown metric '{metric}'; see GET /api/v1/metric-definitions.")
    out["kpi_metric"] = metric

    channel = kpi.get("channel") or "all"
    if not isinstance(channel, str):
        problems.add("kpi.channel", "Must be a channel key or 'all'.")
    elif channel != "all" and channel not in channel_keys(company_id):
        problems.add("kpi.channel", f"The company has no channel '{channel}'.")
    out["kpi_channel"] = channel

    aggregation = kpi.get("aggregation")
    if aggregation is None and definition is not None:
        aggregation = catalog.aggregations(definition)[0]
    if problems.choice("kpi.aggregation", aggregation, AGGREGATIONS) and definition is not None:
        allowed = catalog.aggregations(definition)
        if aggregation not in allowed:
            if aggregation == "total":
                why = (f"'{metric}' is a level ({definition.kind}); adding its daily values up means nothing. "
                       "Use 'latest'.")
            else:
                why = f"'{metric}' is an amount per day; use 'total' to add it up over the goal's period."
            problems.add("kpi.aggregation", why)
    out["kpi_aggregation"] = aggregation

    floor = 0 if definition is not None and definition.nonnegative else None
    out["kpi_baseline"] = problems.number("kpi.baseline", kpi.get("baseline"), required=False, minimum=floor)
    out["kpi_target"] = problems.number("kpi.target", kpi.get("target"), minimum=floor)
    out["kpi_start_date"] = problems.date("kpi.start_date", kpi.get("start_date"))
    out["kpi_deadline"] = problems.date("kpi.deadline", kpi.get("deadline"))
    if out["kpi_start_date"] and out["kpi_deadline"] and out["kpi_deadline"] < out["kpi_start_date"]:
        problems.add("kpi.deadline", "The deadline is before the start date.")
    if out["kpi_target"] is not None and out["kpi_baseline"] is not None and out["kpi_target"] == out["kpi_baseline"]:
        problems.add("kpi.target", "The target equals the baseline; there is nothing to achieve.")
    if (aggregation == "total" and out["kpi_baseline"] is None and out["kpi_target"] == 0
            and not problems.has("kpi.target")):
        problems.add("kpi.target", "A total starts at 0; a target of 0 is reached before anything happens.")
    problems.raise_if_any()
    return out


def create_goal(company_id: uuid.UUID | str, data: dict[str, Any]) -> Goal:
    """Add a sub-goal with its KPI. 422 naming the field on bad input; nothing written then."""
    current_principal().require("write")
    company = get_company(company_id)
    clean = validate_goal(company.id, data)
    goal = Goal(company_id=company.id, agency_id=company.agency_id, **clean)
    db.session.add(goal)
    db.session.flush()
    audit.record("goal.create", goal, summary=f"Added goal '{goal.title}'")
    db.session.commit()
    return goal


def update_goal(company_id: uuid.UUID | str, goal_id: uuid.UUID | str, data: dict[str, Any], *,
                expected_version: int | None = None) -> Goal:
    """Change some fields of a goal; ``kpi`` is merged field by field into the current KPI."""
    current_principal().require("write")
    goal = get_goal(company_id, goal_id)
    check_version(goal, expected_version, "goal")
    merged = goal_fields(goal)
    for name, value in data.items():
        if name == "kpi" and isinstance(value, dict):
            merged["kpi"] = {**merged["kpi"], **value}
        else:
            merged[name] = value
    unknown = sorted(set(merged) - {"title", "description", "category", "owner", "kpi"})
    if unknown:
        problems = Problems()
        for name in unknown:
            problems.add(name, "Unknown field.")
        problems.raise_if_any()
    clean = validate_goal(goal.company_id, merged)
    changed = [k for k, v in clean.items() if getattr(goal, k) != v]
    for k in changed:
        setattr(goal, k, clean[k])
    if changed:
        goal.version += 1
        names = sorted({k.replace("kpi_", "kpi.") for k in changed})
        audit.record("goal.update", goal, summary=f"Changed {', '.join(names)} of goal '{goal.title}'")
    db.session.commit()
    return goal


def delete_goal(company_id: uuid.UUID | str, goal_id: uuid.UUID | str, *, expected_version: int | None = None) -> None:
    current_principal().require("write")
    goal = get_goal(company_id, goal_id)
    check_version(goal, expected_version, "goal")
    audit.record("goal.delete", goal, summary=f"Deleted goal '{goal.title}'")
    db.session.delete(goal)
    db.session.commit()
