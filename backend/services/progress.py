"""Goal progress: how far a sub-goal's KPI has come, when it will reach its target, and a status.

:func:`compute_progress` is the one pure function behind every progress figure in the API and
the dashboard; :func:`goal_progress` and :func:`company_goals_progress` load the daily series
through the metrics service and call it. The method is explained for clients in README.md
(section "goal-progress").
"""
from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from . import goal_terms

if TYPE_CHECKING:  # imported where used: compute_progress stays free of the database
    from ..models import Company, Goal
    from .metrics import CompanyReader

Daily = list[tuple[dt.date, float]]  # (date, value), one per day at most
Readers = dict[uuid.UUID, "CompanyReader"]  # company id -> its reader, shared between calls

FORECAST_WINDOW_DAYS = 28
AT_RISK_SLACK = 0.10  # a forecast up to 10% of the goal's duration after the deadline is "at risk"
MAX_FORECAST_DAYS = 36_500  # beyond 100 years there is no meaningful forecast
STATUSES = goal_terms.STATUSES  # the order of the rules below; labels and tones in goal_terms


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
    :returns: ``{current, baseline, target, direction, percent, status, forecast_date, as_of}``;
        ``direction`` is ``up`` when the target is reached from below (at least the target),
        ``down`` from above (at most the target).
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
        "direction": "up" if direction > 0 else "down",
        "percent": percent,
        "status": status,
        "forecast_date": forecast,
        "as_of": as_of,
    }


# --- loading the data -------------------------------------------------------------------------

def kpi_of(goal: Goal) -> dict[str, Any]:
    """The KPI of a Goal row as the dict :func:`compute_progress` takes."""
    from . import catalog
    from .goals import kpi_dict

    definition = catalog.get(goal.kpi_metric)
    return {**kpi_dict(goal), "better": definition.better if definition else "higher"}


def company_today(company: Company) -> dt.date:
    """Today's date in the company's time zone."""
    from zoneinfo import ZoneInfo

    zone: dt.tzinfo
    try:
        zone = ZoneInfo(company.timezone or "UTC")
    except Exception:  # noqa: BLE001 - an unknown zone falls back to UTC
        zone = dt.UTC
    return dt.datetime.now(zone).date()


def _read_plan(kpi: dict[str, Any], as_of: dt.date, rng: tuple[dt.date, dt.date], whole_period: bool
               ) -> tuple[dt.date, dt.date]:
    """The stretch of daily values to read for a goal (clamped to the stored data; may be empty).

    ``compute_progress`` looks at: for ``total``, every day from the start (and the forecast
    window of the last 28 days); for ``latest``, the forecast window, the last value on or before
    the start (baseline) and the last value on or before the day judged on (current). So a
    ``latest`` goal reads its window only and finds the other two with indexed lookups (see
    :func:`_complete_latest`); ``whole_period`` (a goal's path) reads from the start."""
    judged_on = min(as_of, kpi["deadline"])
    window_start = judged_on - dt.timedelta(days=FORECAST_WINDOW_DAYS - 1)
    if kpi["aggregation"] == "latest" and not whole_period:
        date_from = window_start
    else:
        date_from = min(window_start, kpi["start_date"])
    return max(date_from, rng[0]), min(judged_on, rng[1])


def _complete_latest(reader: CompanyReader, kpi: dict[str, Any], as_of: dt.date, rng: tuple[dt.date, dt.date],
                     daily: Daily) -> Daily:
    """Add to a ``latest`` goal's read what ``compute_progress`` takes from outside it, so that the
    result equals a read of the whole history: the last value on or before the start (or, when
    there is none, every value after the start) and the last value on or before the day judged on."""
    judged_on = min(as_of, kpi["deadline"])
    metric, channel = kpi["metric"], kpi["channel"]
    out = list(daily)
    if kpi.get("baseline") is None:
        upto = min(kpi["start_date"], judged_on)
        if not any(d <= upto for d, _ in out):
            before = reader.last_on_or_before(metric, channel, upto) if upto >= rng[0] else None
            if before is not None:
                out.append(before)
            elif kpi["start_date"] < judged_on:
                # No value up to the start: the baseline is the first one after it.
                date_from = max(kpi["start_date"], rng[0])
                seen = {d for d, _ in out}
                out += [p for p in reader.daily([metric], channel, date_from, min(judged_on, rng[1]))[metric]
                        if p[0] not in seen]
    if not daily and judged_on >= rng[0] and not any(kpi["start_date"] < d <= judged_on for d, _ in out):
        # Nothing read up to the day judged on: the current value is the last one before it.
        current = reader.last_on_or_before(metric, channel, judged_on)
        if current is not None and current not in out:
            out.append(current)
    return sorted(out)


def _goals_daily(goals: Sequence[Goal], as_of: dt.date | None, whole_period: bool = False,
                 readers: Readers | None = None) -> list[tuple[Goal, dt.date, Daily]]:
    """(goal, as_of, daily values) for each goal: per company one reader; goals judged on the same
    stretch of the same channel share one read of all their metrics. Pass the same ``readers``
    dict to several calls (e.g. the goal bars, then one goal's path) to share the company's
    resolution, data range and the stretches already read."""
    from . import metrics

    readers = {} if readers is None else readers
    by_company: dict[uuid.UUID, list[Goal]] = {}
    for goal in goals:
        by_company.setdefault(goal.company_id, []).append(goal)
    loaded: dict[int, tuple[dt.date, Daily]] = {}
    for cid, company_goals in by_company.items():
        reader = readers.get(cid)
        if reader is None:
            reader = readers[cid] = metrics.CompanyReader(cid)
        day = as_of or company_today(reader.company)
        rng = reader.data_range()
        plans: list[tuple[Goal, dict[str, Any], tuple[dt.date, dt.date] | None]] = []
        # Levels (per-channel rows, carried forward) are read per stretch; amounts come summed per
        # day, so one read per channel spans every stretch they need. Each goal then takes its
        # stretch from what its reader holds.
        levels: dict[tuple[str, tuple[dt.date, dt.date]], set[str]] = {}
        amounts: dict[str, tuple[set[str], dt.date, dt.date]] = {}
        for goal in company_goals:
            kpi = kpi_of(goal)
            stretch = _read_plan(kpi, day, rng, whole_period) if rng is not None else None
            plans.append((goal, kpi, stretch))
            if stretch is None or stretch[0] > stretch[1]:
                continue
            if metrics.reads_levels(kpi["metric"], reader.defs):
                levels.setdefault((kpi["channel"], stretch), set()).add(kpi["metric"])
            else:
                keys, start, end = amounts.get(kpi["channel"], (set(), stretch[0], stretch[1]))
                amounts[kpi["channel"]] = (keys | {kpi["metric"]}, min(start, stretch[0]), max(end, stretch[1]))
        for (channel, (date_from, date_to)), metric_keys in levels.items():
            reader.daily(sorted(metric_keys), channel, date_from, date_to)
        for channel, (metric_keys, date_from, date_to) in amounts.items():
            reader.daily(sorted(metric_keys), channel, date_from, date_to)
        for goal, kpi, stretch in plans:
            daily: Daily = []
            if stretch is not None:
                assert rng is not None  # a stretch is planned inside the data range only
                daily = reader.daily([kpi["metric"]], kpi["channel"], *stretch)[kpi["metric"]]
                if kpi["aggregation"] == "latest":
                    daily = _complete_latest(reader, kpi, day, rng, daily)
                elif stretch[0] > rng[0] and (not daily or daily[0][0] > stretch[0]):
                    # The total's forecast averages since the data began when that is inside the
                    # window: one value from before the stretch says it began earlier.
                    earlier = reader.last_on_or_before(kpi["metric"], kpi["channel"], stretch[0] - dt.timedelta(days=1))
                    if earlier is not None:
                        daily = [earlier, *daily]
            loaded[id(goal)] = (day, daily)
    return [(goal, *loaded[id(goal)]) for goal in goals]


def goals_progress(goals: Sequence[Goal], as_of: dt.date | None = None, readers: Readers | None = None
                   ) -> list[tuple[Goal, dict[str, Any]]]:
    """Progress for several goals (of one or more companies), reading only what each needs."""
    return [(goal, compute_progress(kpi_of(goal), daily, day))
            for goal, day, daily in _goals_daily(goals, as_of, readers=readers)]


def goal_progress_and_daily(goal: Goal, as_of: dt.date | None = None, readers: Readers | None = None
                            ) -> tuple[dict[str, Any], Daily]:
    """A goal's progress and its daily values from its start (or the forecast window, when that
    begins earlier) up to the day judged on — one read for a goal's path chart; the progress is the
    same as :func:`goal_progress`'s."""
    _, day, daily = _goals_daily([goal], as_of, whole_period=True, readers=readers)[0]
    return compute_progress(kpi_of(goal), daily, day), daily


def goal_progress(goal: Goal, as_of: dt.date | None = None) -> dict[str, Any]:
    """Progress of one goal as of a date (default: today in the company's time zone)."""
    return goals_progress([goal], as_of)[0][1]


def company_goals_progress(company_id: uuid.UUID | str, as_of: dt.date | None = None,
                           readers: Readers | None = None) -> list[tuple[Goal, dict[str, Any]]]:
    """Every goal of a company with its progress, in the order of :func:`goals.list_goals`."""
    from ..extensions import db
    from .goals import list_goals

    goals = db.session.scalars(list_goals(company_id)).all()
    return goals_progress(goals, as_of, readers)
