"""Alert rules of a company: what the evaluation (backend/services/alert_evaluation.py) watches.

Four kinds, each with its own ``params`` (checked here, 422 naming the field):

- ``goal_status``: ``statuses`` (goal statuses, default at_risk, off_track, missed, achieved) and
  optionally ``goal_id`` (one goal of the company; absent or null: every goal);
- ``stale_data``: ``days`` (1–90, default 3 — the portfolio's stale flag uses the same number): a
  channel with no new point of any metric for more than that many days;
- ``threshold``: ``metric`` (the agency's catalog), ``channel`` (a key of the company, or "all"),
  ``direction`` (above | below), ``value`` (finite), ``period`` (day | week);
- ``spike``: a flow ``metric`` on ``channel`` (or "all") whose day is ≥ ``factor`` (> 1) × its
  median over the previous 28 days and ≥ ``minimum`` (≥ 1). The "Crisis watch" preset:
  mentions_negative, 3×, 20. With ``topic_id`` (a topic of the company, backend/services/listening/
  topics.py) the series is counted from the mention records tagged with that topic, and the metric
  is one of the mention counts (``mentions``: all, ``mentions_negative``: negative ones ...):
  "negative mentions on topic *recall*".

Staff and agency-wide keys manage and read them (like report schedules); client viewers and keys
restricted to one company never (403) — a rule decides what the agency is told.
"""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select

from ..extensions import db
from ..models import AlertRule, Company, Goal, Topic
from ..tenancy import current_principal, get_principal
from . import audit, catalog, goal_terms
from .channels import channel_keys
from .companies import CREATE_LISTENERS, get_company
from .errors import NotFound
from .listening.topics import SENTIMENT_OF_METRIC
from .privileges import require_agency_wide
from .validation import Problems, check_version

KINDS = ("goal_status", "stale_data", "threshold", "spike")
SEVERITIES = ("info", "warning", "critical")
DIRECTIONS = ("above", "below")
PERIODS = ("day", "week")
DEFAULT_STATUSES = ("at_risk", "off_track", "missed", "achieved")
DEFAULT_STALE_DAYS = 3  # = backend/read_models/portfolio.py STALE_AFTER_DAYS (a test keeps them equal)
STALE_DAYS_RANGE = (1, 90)
SPIKE_WINDOW_DAYS = 28
FIELDS = ("kind", "name", "params", "severity", "active", "visible_to_clients")
PARAMS = {
    "goal_status": ("statuses", "goal_id"),
    "stale_data": ("days",),
    "threshold": ("metric", "channel", "direction", "value", "period"),
    "spike": ("metric", "channel", "factor", "minimum", "topic_id"),
}
KIND_LABELS = {"goal_status": "Goal status", "stale_data": "Stale data", "threshold": "Threshold",
               "spike": "Spike"}
CRISIS_WATCH: dict[str, Any] = {
    "kind": "spike", "name": "Crisis watch", "severity": "critical",
    "params": {"metric": "mentions_negative", "channel": "all", "factor": 3.0, "minimum": 20},
}
AGENCY_WIDE_ONLY = ("Alert rules decide what the agency is told about a company: the agency's staff and agency-wide "
                    "keys manage and read them, not a client login or a key restricted to one company.")


def default_rules() -> list[dict[str, Any]]:
    """The rules every company starts with: goal status and stale data."""
    return [
        {"kind": "goal_status", "name": "Goal status changed", "severity": "warning",
         "params": {"statuses": [s for s in goal_terms.STATUSES if s in DEFAULT_STATUSES], "goal_id": None}},
        {"kind": "stale_data", "name": "Channel gone quiet", "severity": "warning",
         "params": {"days": DEFAULT_STALE_DAYS}},
    ]


def _require(grant: str) -> None:
    p = current_principal()
    require_agency_wide(p, AGENCY_WIDE_ONLY)
    p.require(grant)


# --- reading ------------------------------------------------------------------------------------

def select_rules(company_id: uuid.UUID | str) -> Select[AlertRule]:
    """A select of the company's rules, by kind and name."""
    _require("read")
    company = get_company(company_id)
    return (select(AlertRule).where(AlertRule.company_id == company.id)
            .order_by(AlertRule.kind, AlertRule.name, AlertRule.created_at, AlertRule.id))


def list_rules(company_id: uuid.UUID | str) -> list[AlertRule]:
    return list(db.session.scalars(select_rules(company_id)))


def get_rule(company_id: uuid.UUID | str, rule_id: uuid.UUID | str) -> AlertRule:
    """A rule of this company (another company's answers NotFound)."""
    _require("read")
    company = get_company(company_id)
    try:
        rid = rule_id if isinstance(rule_id, uuid.UUID) else uuid.UUID(str(rule_id))
    except ValueError:
        raise NotFound("No alert rule with this id.") from None
    rule = db.session.scalars(select(AlertRule).where(AlertRule.company_id == company.id,
                                                      AlertRule.id == rid)).first()
    if rule is None:
        raise NotFound("No alert rule with this id.")
    return rule


def rule_fields(rule: AlertRule) -> dict[str, Any]:
    return {name: getattr(rule, name) for name in FIELDS}


def describe(rule: AlertRule | dict[str, Any]) -> str:
    """The rule in words: 'mentions_negative on all channels ≥ 3× its 28-day median and ≥ 20'."""
    kind = rule["kind"] if isinstance(rule, dict) else rule.kind
    p = (rule["params"] if isinstance(rule, dict) else rule.params) or {}
    if kind == "goal_status":
        which = "the goal" if p.get("goal_id") else "a goal"
        statuses = ", ".join(goal_terms.status_term(s).label.lower() for s in p.get("statuses", []))
        return f"When {which} becomes {statuses}"
    if kind == "stale_data":
        return f"When a channel has no new point for more than {p.get('days')} days"
    where = "all channels" if p.get("channel") == "all" else f"channel {p.get('channel')}"
    if p.get("topic_id"):
        where = f"topic '{_topic_name(p['topic_id'])}' on {where}"
    if kind == "threshold":
        return f"When {p.get('metric')} on {where} is {p.get('direction')} {p.get('value'):g} per {p.get('period')}"
    return (f"When {p.get('metric')} on {where} is ≥ {p.get('factor'):g}× its {SPIKE_WINDOW_DAYS}-day median "
            f"and ≥ {p.get('minimum'):g}")


def _topic_name(topic_id: Any) -> str:
    """The topic's name, for the rule in words ("a deleted topic" when it is gone)."""
    if get_principal() is None:
        return "a topic"
    try:
        tid = uuid.UUID(str(topic_id))
    except ValueError:
        return "a deleted topic"
    name = db.session.scalar(select(Topic.name).where(Topic.id == tid))
    return name if name is not None else "a deleted topic"


# --- validating ---------------------------------------------------------------------------------

def _integer(problems: Problems, field: str, value: Any, low: int, high: int | None = None) -> int | None:
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 10:
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**31:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(field, "Must be a whole number.")
        return None
    if value < low or (high is not None and value > high):
        problems.add(field, f"Must be from {low} to {high}." if high is not None else f"Must be {low} or more.")
        return None
    return value


def _metric(problems: Problems, value: Any, *, flow_only: bool) -> str | None:
    if not isinstance(value, str) or not value:
        problems.add("params.metric", "Missing data for required field.")
        return None
    definition = catalog.get(value)
    if definition is None:
        problems.add("params.metric", f"Unknown metric '{value}'; see GET /api/v1/metric-definitions.")
        return None
    if flow_only and definition.kind != catalog.FLOW:
        problems.add("params.metric", f"'{value}' is not an amount per day (a flow); a spike needs one.")
        return None
    return value


def _channel(problems: Problems, company: Company, value: Any) -> str | None:
    channel = "all" if value in (None, "") else value
    if not isinstance(channel, str):
        problems.add("params.channel", "Must be a channel key or 'all'.")
        return None
    if channel != "all" and channel not in channel_keys(company.id):
        problems.add("params.channel", f"The company has no channel '{channel}'.")
        return None
    return channel


def _goal(problems: Problems, company: Company, value: Any, current: Any = None) -> str | None:
    """A goal of this company; another company's of the agency is a 422, another agency's a 404
    (``current``: the rule's goal so far, which may have been deleted since: a 422 then)."""
    if value in (None, ""):
        return None
    try:
        gid = uuid.UUID(str(value))
    except ValueError:
        problems.add("params.goal_id", "Must be a goal id (a UUID).")
        return None
    goal = db.session.scalars(select(Goal).where(Goal.id == gid)).first()  # scoped to the agency
    if goal is None and current is not None and str(current) == str(gid):
        problems.add("params.goal_id", "This goal was deleted; choose another goal, or every goal.")
        return None
    if goal is None:
        raise NotFound("No goal with this id.")
    if goal.company_id != company.id:
        problems.add("params.goal_id", "This goal belongs to another company.")
        return None
    return str(gid)


def _params(problems: Problems, company: Company, kind: str, params: Any, current_goal: Any = None
            ) -> dict[str, Any]:
    if not isinstance(params, dict):
        problems.add("params", "Must be an object.")
        return {}
    for name in sorted(set(params) - set(PARAMS[kind])):
        problems.add(f"params.{name}", f"Unknown field for a {kind} rule.")
    out: dict[str, Any] = {}
    if kind == "goal_status":
        statuses = params.get("statuses")
        if statuses is None:
            statuses = list(DEFAULT_STATUSES)
        if not isinstance(statuses, list) or not statuses:
            problems.add("params.statuses", f"Must be a non-empty list of: {', '.join(goal_terms.STATUSES)}.")
        else:
            for i, status in enumerate(statuses):
                problems.choice(f"params.statuses.{i}", status, goal_terms.STATUSES)
            out["statuses"] = [s for s in goal_terms.STATUSES if s in statuses]
        out["goal_id"] = _goal(problems, company, params.get("goal_id"), current_goal)
    elif kind == "stale_data":
        days = params.get("days")
        out["days"] = DEFAULT_STALE_DAYS if days is None else _integer(problems, "params.days", days,
                                                                        *STALE_DAYS_RANGE)
    elif kind == "threshold":
        out["metric"] = _metric(problems, params.get("metric"), flow_only=False)
        out["channel"] = _channel(problems, company, params.get("channel"))
        out["direction"] = problems.choice("params.direction", params.get("direction"), DIRECTIONS)
        out["value"] = problems.number("params.value", params.get("value"))
        out["period"] = problems.choice("params.period", params.get("period") or "day", PERIODS)
    else:
        out["metric"] = _metric(problems, params.get("metric"), flow_only=True)
        out["channel"] = _channel(problems, company, params.get("channel"))
        out["factor"] = problems.number("params.factor", params.get("factor"), exclusive_minimum=1)
        minimum = params.get("minimum")
        out["minimum"] = problems.number("params.minimum", 1 if minimum is None else minimum, minimum=1)
        topic_id = _topic(problems, company, params.get("topic_id"))
        if topic_id is not None:
            out["topic_id"] = topic_id
            if out["metric"] is not None and out["metric"] not in SENTIMENT_OF_METRIC:
                problems.add("params.metric", "A spike on a topic counts mentions: the metric must be one of "
                                              f"{', '.join(SENTIMENT_OF_METRIC)}.")
    return out


def _topic(problems: Problems, company: Company, value: Any) -> str | None:
    """A topic of this company (absent or null: none). Anything else is a 422: a deleted topic
    must be replaced or removed, and another agency's looks the same as a missing one."""
    if value in (None, ""):
        return None
    try:
        tid = uuid.UUID(str(value))
    except ValueError:
        problems.add("params.topic_id", "Must be a topic id (a UUID).")
        return None
    found = db.session.scalar(select(Topic.id).where(Topic.company_id == company.id, Topic.id == tid))
    if found is None:
        problems.add("params.topic_id", "The company has no topic with this id (deleted, or another company's).")
        return None
    return str(tid)


def validate_rule(company: Company, data: dict[str, Any], *, current: AlertRule | None = None) -> dict[str, Any]:
    """Check a complete rule (for an update: the stored one merged with the changes) without
    writing; the clean column values. 422 naming each bad field (``params.factor``)."""
    problems = Problems()
    for unknown in sorted(set(data) - set(FIELDS)):
        problems.add(unknown, "Unknown field.")
    out: dict[str, Any] = {}
    kind = problems.choice("kind", data.get("kind"), KINDS)
    out["kind"] = kind or ""
    given = data.get("name")
    out["name"] = problems.text("name", given if given not in (None, "") else KIND_LABELS.get(kind or "", ""),
                                limit=200, required=True)
    out["severity"] = problems.choice("severity", data.get("severity") or "warning", SEVERITIES)
    for flag, default in (("active", True), ("visible_to_clients", False)):
        value = data.get(flag, default)
        out[flag] = default if value is None else problems.boolean(flag, value)
    current_goal = (current.params or {}).get("goal_id") if current is not None else None
    out["params"] = _params(problems, company, kind, data.get("params") or {}, current_goal) if kind else {}
    problems.raise_if_any()
    return out


# --- writing ------------------------------------------------------------------------------------

def create_rule(company_id: uuid.UUID | str, data: dict[str, Any]) -> AlertRule:
    """Add a rule. 422 naming the field on bad input; nothing written then."""
    _require("write")
    company = get_company(company_id)
    clean = validate_rule(company, data)
    rule = AlertRule(company_id=company.id, agency_id=company.agency_id,
                     created_by=current_principal().label[:254], **clean)
    db.session.add(rule)
    db.session.flush()
    audit.record("alert_rule.create", rule, summary=f"Added the alert rule '{rule.name}' ({rule.kind})")
    db.session.commit()
    return rule


def add_default_rules(company: Company, *, created_by: str = "") -> list[AlertRule]:
    """Add the default rules to a new company, in the caller's transaction (no rights check: the
    company's creation was checked)."""
    rules = [AlertRule(company_id=company.id, agency_id=company.agency_id, created_by=created_by[:254], **r)
             for r in default_rules()]
    db.session.add_all(rules)
    return rules


def _defaults_for_new_company(company: Company) -> None:
    add_default_rules(company, created_by=current_principal().label)


if _defaults_for_new_company not in CREATE_LISTENERS:
    CREATE_LISTENERS.append(_defaults_for_new_company)


def update_rule(company_id: uuid.UUID | str, rule_id: uuid.UUID | str, data: dict[str, Any], *,
                expected_version: int | None = None) -> AlertRule:
    """Change some fields; ``params`` replaces the rule's params as a whole when the kind changes,
    else is merged field by field."""
    _require("write")
    rule = get_rule(company_id, rule_id)
    check_version(rule, expected_version, "alert rule")
    company = get_company(rule.company_id)
    merged = rule_fields(rule)
    for name, value in data.items():
        if name == "params" and isinstance(value, dict) and data.get("kind", rule.kind) == rule.kind:
            merged["params"] = {**(rule.params or {}), **value}
        else:
            merged[name] = value
    if "kind" in data and data["kind"] != rule.kind and "params" not in data:
        merged["params"] = {}
    clean = validate_rule(company, merged, current=rule)
    changed = [k for k, v in clean.items() if getattr(rule, k) != v]
    for k in changed:
        setattr(rule, k, clean[k])
    if changed:
        rule.version += 1
        audit.record("alert_rule.update", rule,
                     summary=f"Changed {', '.join(sorted(changed))} of the alert rule '{rule.name}'")
    db.session.commit()
    return rule


def delete_rule(company_id: uuid.UUID | str, rule_id: uuid.UUID | str, *,
                expected_version: int | None = None) -> None:
    """Delete a rule and the alerts it raised."""
    _require("write")
    rule = get_rule(company_id, rule_id)
    check_version(rule, expected_version, "alert rule")
    audit.record("alert_rule.delete", rule, summary=f"Deleted the alert rule '{rule.name}'")
    db.session.delete(rule)
    db.session.commit()
