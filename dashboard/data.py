"""What the dashboard reads, through the service layer only (tenant scoping happens below).

Each function returns plain Python data for the figure builders and layouts. A company id that
comes from the browser (URL, store) is always resolved through ``get_company`` first, so an id
out of the principal's reach raises ``NotFound`` before anything is read.
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from backend.extensions import db
from backend.services.errors import NotFound

KPI_METRICS = ("followers", "reach", "engagement_rate", "mentions", "mentions_positive",
               "mentions_neutral", "mentions_negative", "sentiment_score", "cost_per_1k_reach")


def company(company_id):
    """The company if the principal reaches it; ``NotFound`` otherwise (also for junk ids)."""
    from backend.services.companies import get_company

    try:
        cid = company_id if isinstance(company_id, uuid.UUID) else uuid.UUID(str(company_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("No company with this id.") from None
    return get_company(cid)


def reachable_companies() -> list:
    from backend.services.companies import list_companies

    return db.session.scalars(list_companies(include_archived=False)).all()


def today_for(company_row) -> dt.date:
    from backend.services.progress import company_today

    return company_today(company_row)


def data_range(company_id) -> tuple[dt.date, dt.date] | None:
    from backend.services import metrics

    return metrics.data_range(company_id)


def channels(company_id) -> list[dict[str, Any]]:
    from backend.services.channels import list_channels

    return [{"key": c.key, "platform": c.platform, "name": c.name or c.key, "followers_target": c.followers_target}
            for c in db.session.scalars(list_channels(company_id))]


def summary(company_id, date_from, date_to, channel: str | None) -> dict[str, dict]:
    """KPI values by metric key (the same numbers as GET /metrics/summary)."""
    from backend.services import metrics

    result = metrics.summary(company_id, date_from, date_to, channel=channel, metrics=list(KPI_METRICS))
    return {m["metric"]: m for m in result["metrics"]}, result


def series(company_id, metric_keys, channel, date_from, date_to, granularity) -> dict:
    """``{(channel, metric): [(date, value)]}`` from one read (the values of GET /metrics)."""
    from backend.services import metrics

    return metrics.series_points(company_id, list(metric_keys), channel, date_from, date_to, granularity)


def series_with_channels(company_id, metric_keys, date_from, date_to, granularity) -> dict:
    """Like :func:`series` for all channels combined, plus ``(channel key, metric)`` series of the
    gauges (followers) per channel — one read for the follower chart's lines and its total."""
    from backend.services import metrics

    return metrics.series_points(company_id, list(metric_keys), None, date_from, date_to, granularity,
                                 with_channels=True)


def campaigns(company_id, date_from, date_to) -> list[dict]:
    from backend.services.campaigns import list_campaigns

    rows = db.session.scalars(list_campaigns(company_id, date_from=date_from, date_to=date_to)).all()
    return [{"name": c.name, "start": max(c.start_date, date_from), "end": min(c.end_date, date_to),
             "channels": list(c.channels or [])} for c in sorted(rows, key=lambda c: c.start_date)]


def launch_target(company_id) -> dict | None:
    from backend.services.strategy import get_strategy, launch_target_date

    strategy = get_strategy(company_id)
    plan = strategy.launch_plan or {}
    if not plan.get("followers_target"):
        return None
    when = launch_target_date(strategy)
    return {"value": float(plan["followers_target"]), "date": f"{when.day} {when:%b %Y}" if when else None,
            "label": "Critical mass"}


def readers_for(company_id, data_range) -> dict:
    """A readers dict for :func:`goals_with_progress` / :func:`goal_path` seeded with the
    company's data range, when the page has read it already."""
    from backend.services.metrics import CompanyReader

    reader = CompanyReader(company_id, data_range=data_range)
    return {reader.company.id: reader}


def goals_with_progress(company_id, readers: dict | None = None) -> list[dict]:
    """Every goal of the company with its progress. Pass a ``readers`` dict and then the same one to
    :func:`goal_path` so that the path reuses what the bars have read."""
    from backend.services import catalog
    from backend.services.progress import company_goals_progress

    out = []
    for goal, progress in company_goals_progress(company_id, readers=readers):
        definition = catalog.get(goal.kpi_metric)
        out.append({
            "id": str(goal.id), "title": goal.title, "category": goal.category,
            "metric": goal.kpi_metric, "channel": goal.kpi_channel, "aggregation": goal.kpi_aggregation,
            "unit": definition.unit if definition else "", "metric_label": definition.label if definition else goal.kpi_metric,
            "deadline": goal.kpi_deadline, "start_date": goal.kpi_start_date,
            **{k: progress.get(k) for k in ("current", "baseline", "target", "percent", "status", "forecast_date")},
        })
    return out


def goal_statuses(company_ids) -> dict:
    """{company_id: [status of each goal]} for several companies: their goals in one query, their
    progress in one load (goals_progress reads per company only what each goal needs)."""
    from sqlalchemy import select

    from backend.models import Goal
    from backend.services.progress import goals_progress

    if not company_ids:
        return {}
    goals = db.session.scalars(select(Goal).where(Goal.company_id.in_(list(company_ids)))).all()
    out: dict = {}
    for goal, progress in goals_progress(goals):
        out.setdefault(goal.company_id, []).append(progress.get("status"))
    return out


def goal_path(company_id, goal_id, readers: dict | None = None) -> dict:
    """A goal's actual path (levels, or the running total for 'total' KPIs) and the straight
    path from its baseline to its target by the deadline. One read of the goal's daily values
    (none when ``readers``, shared with :func:`goals_with_progress`, has read that stretch)."""
    from backend.services import catalog
    from backend.services.goals import get_goal
    from backend.services.progress import goal_progress_and_daily

    goal = get_goal(company_id, goal_id)
    # The same progress as the goal bars (progress.goals_progress), from the one read of the path.
    progress, daily = goal_progress_and_daily(goal, readers=readers)
    baseline = progress["baseline"]
    if goal.kpi_aggregation == "total":
        running, actual = 0.0, []
        for d, v in sorted(daily):
            if d >= goal.kpi_start_date and v is not None:
                running += v
                actual.append((d, running))
    else:
        actual = [(d, v) for d, v in sorted(daily) if d >= goal.kpi_start_date and v is not None]
    required = []
    if baseline is not None:
        required = [(goal.kpi_start_date, baseline), (goal.kpi_deadline, goal.kpi_target)]
    definition = catalog.get(goal.kpi_metric)
    return {"title": goal.title, "actual": actual, "required": required, "target": goal.kpi_target,
            "unit": definition.unit if definition else "", "progress": progress}
