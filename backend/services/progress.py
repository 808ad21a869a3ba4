"""Goal progress: how far a sub-goal's KPI has come, when it will reach its target, and a status.

:func:`compute_progress` is the one pure function behind every progress figure in the API and
the dashboard; :func:`goal_progress` and :func:`company_goals_progress` load the daily series
through the metrics service and call it. The method is explained for clients in README.md
(section "goal-progress").
"""
from __future__ import annotations

import datetime as dt
import math
from typing import Any, Iterable

FORECAST_WINDOW_DAYS = 28
AT_RISK_SLACK = 0.10  # a forecast up to 10% of the goal's duration after the deadline is "at risk"
MAX_FORECAST_DAYS = 36_500  # beyond 100 years there is no meaningful forecast
STATUSES = ("achieved", "missed", "not_started", "on_track", "at_risk", "off_track")


def _direction(target: float, baseline: float | None, better: str) -> int:
    if baseline is None or target == baseline:
        return 1 if better != "lower" else -1
    return 1 if target > baseline else -1


def _reached(value: float, target: float, direction: int) -> bool:
    tolerance = 1e-9 * max(1.0, abs(target))
    return (value - target) * direction >= -tolerance


def _days_until(amount: float) -> int | None:
    """Whole days (at least 1: it is not reached today) to cover ``amount`` days, or None."""
    if amount > MAX_FORECAST_DAYS:
        return None
    return max(1, math.ceil(amount - 1e-9))


def _latest_forecast(points: list[tuple[dt.date, float]], as_of: dt.date, target: float,
                     direction: int) -> dt.date | None:
    """Least-squares line through the last 28 days up to ``as_of``, solved for the target."""
    first_day = as_of - dt.timedelta(days=FORECAST_WINDOW_DAYS - 1)
    window = [((d - as_of).days, v) for d, v in points if first_day <= d <= as_of]
    if len({x for x, _ in window}) < 2:
        return None
    n = len(window)
    mean_x = sum(x for x, _ in window) / n
    mean_y = sum(y for _, y in window) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in window)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in window)
    slope = sxy / sxx
    scale = max(1.0, abs(mean_y), abs(target))
    if slope * direction <= 1e-12 * scale:
        return None  # flat, or moving away from the target
    intercept = mean_y - slope * mean_x  # the line's value at as_of (x = 0)
    days = _days_until((target - intercept) / slope)
    return None if days is None else as_of + dt.timedelta(days=days)


def _total_forecast(points: list[tuple[dt.date, float]], as_of: dt.date, current: float, target: float,
                    direction: int) -> dt.date | None:
    """as_of + what is left / the mean daily value of the last 28 days (or since data began)."""
    if not points:
        return None
    first_day = max(as_of - dt.timedelta(days=FORECAST_WINDOW_DAYS - 1), points[0][0])
    days = (as_of - first_day).days + 1
    if days < 1:
        return None
    rate = sum(v for d, v in points if first_day <= d <= as_of) / days
    if rate * direction <= 0:
        return None
    needed = _days_until((target - current) / rate)
    return None if needed is None else as_of + dt.timedelta(days=needed)


def compute_progress(kpi: dict[str, Any], daily: Iterable[tuple[dt.date, float]], as_of: dt.date) -> dict[str, Any]:
    """Progress of one KPI as of a date. Pure: no database, no clock.

    :param kpi: ``aggregation`` (latest|total), ``target``, ``start_date``, ``deadline``, optional
        ``baseline`` (None: derived from the data) and ``better`` (higher|lower, only used when the
        target equals the baseline).
    :param daily: (date, value) pairs, one per day at most, in any order; gaps allowed. For
        ``latest`` these are the KPI's daily levels, for ``total`` the daily amounts.
    :param as_of: the day to judge on. Data after it is ignored; after the deadline the goal is
        judged on its deadline (what came later does not count).
    :returns: ``{current, baseline, target, percent, status, forecast_date, as_of}``.
    """
    aggregation = kpi["aggregation"]
    target = float(kpi["target"])
    start: dt.date = kpi["start_date"]
    deadline: dt.date = kpi["deadline"]
    judged_on = min(as_of, deadline)
    points = sorted(
        (d, float(v)) for d, v in daily
        if v is not None and math.isfinite(float(v)) and d <= judged_on
    )

    baseline = kpi.get("baseline")
    baseline = None if baseline is None else float(baseline)
    if aggregation == "latest":
        current = points[-1][1] if points else None
        if baseline is None and points:
            before = [v for d, v in points if d <= start]
            baseline = before[-1] if before else next(v for d, v in points if d > start)
    elif aggregation == "total":
        in_period = [v for d, v in points if d >= start]
        current = math.fsum(in_period) if in_period else None
        if baseline is None:
            baseline = 0.0
    else:
        raise ValueError(f"unknown aggregation {aggregation!r}")

    direction = _direction(target, baseline, kpi.get("better", "higher"))
    achieved = current is not None and _reached(current, target, direction)

    percent = None
    if current is not None and baseline is not None:
        if target == baseline:
            percent = 100.0 if achieved else 0.0
        else:
            percent = round((current - baseline) / (target - baseline) * 100, 1)

    forecast = None
    if achieved:
        status = "achieved"
    elif as_of > deadline:
        status = "missed"
    elif as_of < start or current is None:
        status = "not_started"
    else:
        if aggregation == "latest":
            forecast = _latest_forecast(points, as_of, target, direction)
        else:
            forecast = _total_forecast(points, as_of, current, target, direction)
        slack_days = (deadline - start).days * AT_RISK_SLACK
        if forecast is not None and forecast <= deadline:
            status = "on_track"
        elif forecast is not None and (forecast - deadline).days <= slack_days:
            status = "at_risk"
        else:
            status = "off_track"

    return {
        "current": current,
        "baseline": baseline,
        "target": target,
        "percent": percent,
        "status": status,
        "forecast_date": forecast,
        "as_of": as_of,
    }


# --- loading the data -------------------------------------------------------------------------

def kpi_of(goal) -> dict[str, Any]:
    """The KPI of a Goal row as the dict :func:`compute_progress` takes."""
    from . import catalog

    definition = catalog.get(goal.kpi_metric)
    return {
        "metric": goal.kpi_metric,
        "channel": goal.kpi_channel,
        "aggregation": goal.kpi_aggregation,
        "baseline": goal.kpi_baseline,
        "target": goal.kpi_target,
        "start_date": goal.kpi_start_date,
        "deadline": goal.kpi_deadline,
        "better": definition.better if definition else "higher",
    }


def company_today(company) -> dt.date:
    """Today's date in the company's time zone."""
    from zoneinfo import ZoneInfo

    try:
        zone = ZoneInfo(company.timezone or "UTC")
    except Exception:  # noqa: BLE001 - an unknown zone falls back to UTC
        zone = dt.timezone.utc
    return dt.datetime.now(zone).date()


def _series_range(kpi: dict[str, Any], as_of: dt.date, first_data: dt.date) -> tuple[dt.date, dt.date]:
    judged_on = min(as_of, kpi["deadline"])
    window_start = judged_on - dt.timedelta(days=FORECAST_WINDOW_DAYS - 1)
    if kpi["aggregation"] == "latest":
        # The baseline may be the last value before the start, however old.
        return min(first_data, window_start, kpi["start_date"]), judged_on
    return min(window_start, kpi["start_date"]), judged_on


def goals_progress(goals: list, as_of: dt.date | None = None) -> list[tuple[Any, dict[str, Any]]]:
    """Progress for several goals (of one or more companies), loading each series once."""
    from . import metrics
    from .companies import get_company

    companies: dict = {}
    ranges: dict = {}
    series: dict = {}
    out = []
    for goal in goals:
        cid = goal.company_id
        if cid not in companies:
            companies[cid] = get_company(cid)
            ranges[cid] = metrics.data_range(cid)
        day = as_of or company_today(companies[cid])
        kpi = kpi_of(goal)
        data_range = ranges[cid]
        daily: list = []
        if data_range is not None:
            date_from, date_to = _series_range(kpi, day, data_range[0])
            date_from = max(date_from, data_range[0])
            date_to = min(date_to, data_range[1])
            if date_from <= date_to:
                key = (cid, kpi["metric"], kpi["channel"], date_from, date_to)
                if key not in series:
                    series[key] = metrics.daily_values(cid, kpi["metric"], kpi["channel"], date_from, date_to)
                daily = series[key]
        out.append((goal, compute_progress(kpi, daily, day)))
    return out


def goal_progress(goal, as_of: dt.date | None = None) -> dict[str, Any]:
    """Progress of one goal as of a date (default: today in the company's time zone)."""
    return goals_progress([goal], as_of)[0][1]


def company_goals_progress(company_id, as_of: dt.date | None = None) -> list[tuple[Any, dict[str, Any]]]:
    """Every goal of a company with its progress, in the order of :func:`goals.list_goals`."""
    from ..extensions import db
    from .goals import list_goals

    goals = db.session.scalars(list_goals(company_id)).all()
    return goals_progress(goals, as_of)
