"""The company page as data: what the dashboard draws, without Dash, so that a report or a share
page can draw the same numbers. Built from the services (tenant scoping happens below them).

- :func:`company_view` — for one set of controls: the KPI values against the previous period,
  the series of the three charts, the campaigns, the follower target and the resolved range;
- :func:`goals_view` — every goal with its progress (label and tone from the goal vocabulary),
  the goal most in need of attention and its path;
- :func:`goal_path` — one goal's actual path against the straight one to its target;
- :func:`company_page` — the first view of the page: the company, its channels and data range,
  and the two views above, each piece of data read once.

A company id that comes from a browser is resolved with :func:`company` first, so an id out of
the principal's reach raises :class:`NotFound` before anything is read.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from ..services import catalog, metrics
from ..services.campaigns import all_campaigns
from ..services.channels import all_channels
from ..services.companies import get_company
from ..services.errors import NotFound
from ..services.goal_terms import attention_rank, status_term
from ..services.goals import get_goal
from ..services.progress import company_goals_progress, company_today, goal_progress_and_daily
from ..services.strategy import get_strategy, launch_target_date
from . import controls as ctl

KPI_METRICS = ("followers", "reach", "engagement_rate", "mentions", "mentions_positive",
               "mentions_neutral", "mentions_negative", "sentiment_score", "cost_per_1k_reach")
SERIES_METRICS = ("followers", "reach", "impressions", "engagement_rate")
Point = tuple[dt.date, float]


@dataclass(frozen=True)
class Channel:
    key: str
    platform: str
    name: str
    followers_target: float | None


@dataclass(frozen=True)
class CompanyView:
    """The KPI cards and charts for one set of controls."""

    preset: str
    date_from: dt.date
    date_to: dt.date
    granularity: str
    channel: str  # a channel key, or "all"
    messages: tuple[str, ...]  # what was corrected in the asked range
    previous_from: dt.date
    previous_to: dt.date
    data_start: dt.date | None
    kpis: dict[str, dict[str, Any]]  # metric -> {value, previous, change, change_percent}
    follower_lines: list[dict[str, Any]]  # per channel: {label, platform, points}
    followers: list[Point] | None  # the channels combined (or the one channel)
    reach: list[Point]
    impressions: list[Point]
    engagement_rate: list[Point]
    campaigns: list[dict[str, Any]]  # {name, start, end, channels}, clipped to the range
    target: dict[str, Any] | None  # the follower line to reach: {value, label, date?}
    compare: str = "previous"  # what the cards compare with: "previous" or "year"
    followers_year_earlier: list[Point] | None = None  # with compare "year": last year's line, a year on


@dataclass(frozen=True)
class GoalPath:
    goal_id: str
    title: str
    actual: list[Point]  # levels, or the running total for 'total' KPIs
    required: list[Point]  # baseline on the start date, target on the deadline
    target: float
    unit: str
    progress: dict[str, Any]


@dataclass(frozen=True)
class GoalsView:
    goals: list[dict[str, Any]]  # with progress, status_label and tone
    chosen: str | None  # the goal most in need of attention
    path: GoalPath | None


@dataclass(frozen=True)
class CompanyPage:
    company_id: uuid.UUID
    name: str
    industry: str
    today: dt.date
    data_range: tuple[dt.date, dt.date] | None
    channels: list[Channel] = field(default_factory=list)
    view: CompanyView | None = None  # None when the company has no data yet
    goals: GoalsView | None = None


def company(company_id):
    """The company if the principal reaches it; ``NotFound`` otherwise (also for junk ids)."""
    try:
        cid = company_id if isinstance(company_id, uuid.UUID) else uuid.UUID(str(company_id))
    except (ValueError, TypeError, AttributeError):
        raise NotFound("No company with this id.") from None
    return get_company(cid)


def channels_of(company_id) -> list[Channel]:
    return [Channel(c.key, c.platform, c.name or c.key, c.followers_target) for c in all_channels(company_id)]


def company_page(company_row, controls: ctl.Controls, goal: str | None = None) -> CompanyPage:
    """The page's first view (one request): KPI cards, charts, goal bars and the chosen goal's
    path (``goal``'s when it is one of the company's, as an alert's link asks), with the data
    range and channels read once for all of them."""
    rng = metrics.data_range(company_row.id)
    today = company_today(company_row)
    base = dict(company_id=company_row.id, name=company_row.name, industry=company_row.industry or "",
                today=today, data_range=rng)
    if rng is None:
        return CompanyPage(**base)
    channels = channels_of(company_row.id)
    return CompanyPage(**base, channels=channels,
                       view=company_view(company_row, controls, channels=channels, rng=rng, today=today),
                       goals=goals_view(company_row, rng=rng, channels=channels, prefer=goal))


_NOT_READ: Any = object()


def company_view(company_row, controls: ctl.Controls, *, channels: list[Channel] | None = None,
                 rng=_NOT_READ, today: dt.date | None = None) -> CompanyView:
    """The KPI values and the charts' series for one set of controls — each piece read once.
    ``channels``, ``rng`` (the data range) and ``today`` may be passed when already read."""
    today = today or company_today(company_row)
    if rng is _NOT_READ:
        rng = metrics.data_range(company_row.id)
    resolved = ctl.resolve_range(controls, today, rng)
    date_from, date_to, gran = resolved.date_from, resolved.date_to, resolved.granularity
    known = {c.key: c for c in (channels if channels is not None else channels_of(company_row.id))}
    chan = controls.channel if controls.channel in known else "all"

    compare = controls.comparison
    messages = resolved.messages
    if compare == "year" and metrics.year_earlier(date_to) >= date_from:
        compare = "previous"
        messages += ("A range longer than a year is compared with the previous period, not with itself a year "
                     "earlier.",)
    summary = metrics.summary(company_row.id, date_from, date_to, channel=None if chan == "all" else chan,
                              metrics=list(KPI_METRICS), compare=compare)
    kpis = {m["metric"]: m for m in summary["metrics"]}
    lines: list[dict[str, Any]]
    if chan == "all" and len(known) > 1:
        # The channels' follower lines and their total from one read.
        series = metrics.series_points(company_row.id, list(SERIES_METRICS), None, date_from, date_to, gran,
                                       with_channels=True)
        lines = [{"label": known[k].name, "platform": known[k].platform, "points": series.get((k, "followers"), [])}
                 for k in sorted(known)]
    else:
        series = metrics.series_points(company_row.id, list(SERIES_METRICS), chan, date_from, date_to, gran)
        only = known.get(chan) or (next(iter(known.values())) if known else None)
        lines = [{"label": only.name if only else "All channels", "platform": only.platform if only else None,
                  "points": series.get((chan, "followers"), [])}]
    campaigns: list[dict[str, Any]] = [
        {"name": c.name, "start": max(c.start_date, date_from), "end": min(c.end_date, date_to),
         "channels": list(c.channels or [])}
        for c in sorted(all_campaigns(company_row.id, date_from=date_from, date_to=date_to),
                        key=lambda c: c.start_date)]
    if chan != "all":
        campaigns = [c for c in campaigns if not c["channels"] or chan in c["channels"]]
    year_line = None
    if compare == "year":
        # The followers of the same days a year earlier, moved a year on to sit under this year's.
        earlier = metrics.series_points(company_row.id, ["followers"], chan, metrics.year_earlier(date_from),
                                        metrics.year_earlier(date_to), gran)
        year_line = [(_year_later(d), v) for d, v in earlier.get((chan, "followers"), [])]
    if chan == "all":
        target = launch_target(company_row.id)
    else:
        target = ({"value": known[chan].followers_target, "label": f"{known[chan].name} target"}
                  if known[chan].followers_target else None)
    return CompanyView(
        preset=controls.preset, date_from=date_from, date_to=date_to, granularity=gran, channel=chan,
        messages=messages, previous_from=summary["previous_from"], previous_to=summary["previous_to"],
        data_start=rng[0] if rng else None, kpis=kpis, follower_lines=lines,
        followers=series.get((chan, "followers")), reach=series.get((chan, "reach"), []),
        impressions=series.get((chan, "impressions"), []), engagement_rate=series.get((chan, "engagement_rate"), []),
        campaigns=campaigns, target=target, compare=compare, followers_year_earlier=year_line)


def _year_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def launch_target(company_id) -> dict[str, Any] | None:
    """The strategy's first critical mass of followers, as a line to reach."""
    strategy = get_strategy(company_id)
    plan = strategy.launch_plan or {}
    if not plan.get("followers_target"):
        return None
    when = launch_target_date(strategy)
    return {"value": float(plan["followers_target"]), "date": f"{when.day} {when:%b %Y}" if when else None,
            "label": "Critical mass"}


def readers_for(company_id, data_range) -> dict:
    """A readers dict for the goal reads, seeded with the company's data range when it was read."""
    reader = metrics.CompanyReader(company_id, data_range=data_range)
    return {reader.company.id: reader}


def goals_with_progress(company_id, readers: dict | None = None,
                        channels: list[Channel] | None = None, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """Every goal of the company with its progress, in words and tone of the goal vocabulary, and
    its channel by name. Pass a ``readers`` dict and then the same one to :func:`goal_path` to
    share what is read; ``channels`` when they have been read already; ``as_of`` to judge the
    goals on another day than today (a report: the end of its period)."""
    names = {c.key: c.name for c in (channels if channels is not None else channels_of(company_id))}
    out = []
    for goal, progress in company_goals_progress(company_id, as_of, readers=readers):
        definition = catalog.get(goal.kpi_metric)
        term = status_term(progress.get("status"))
        out.append({
            "id": str(goal.id), "title": goal.title, "category": goal.category,
            "metric": goal.kpi_metric, "channel": goal.kpi_channel, "aggregation": goal.kpi_aggregation,
            "unit": definition.unit if definition else "",
            "metric_label": definition.label if definition else goal.kpi_metric,
            "deadline": goal.kpi_deadline, "start_date": goal.kpi_start_date,
            **{k: progress.get(k) for k in ("current", "baseline", "target", "direction", "percent", "status",
                                            "forecast_date")},
            "status_label": term.label, "tone": term.tone,
            "channel_label": "All channels" if goal.kpi_channel == "all" else names.get(goal.kpi_channel,
                                                                                         goal.kpi_channel),
        })
    return out


def goals_view(company_row, rng=_NOT_READ, channels: list[Channel] | None = None,
               prefer: str | None = None) -> GoalsView:
    """The goal bars, the chosen goal (``prefer`` when it is one of them, else the one most in
    need of attention) and its path, from one set of readers (seeded with the data range ``rng``
    when it was read)."""
    readers: dict = {} if rng is _NOT_READ else readers_for(company_row.id, rng)
    goals = goals_with_progress(company_row.id, readers, channels)
    chosen = min(goals, key=lambda g: attention_rank(g["status"]))["id"] if goals else None
    if prefer is not None and any(g["id"] == prefer for g in goals):
        chosen = prefer
    return GoalsView(goals=goals, chosen=chosen, path=goal_path(company_row.id, chosen, readers) if chosen else None)


def goal_path(company_id, goal_id, readers: dict | None = None, as_of: dt.date | None = None) -> GoalPath:
    """A goal's actual path (levels, or the running total for 'total' KPIs) and the straight path
    from its baseline to its target by the deadline: one read of the goal's daily values (none
    when ``readers``, shared with :func:`goals_with_progress`, has read that stretch)."""
    goal = get_goal(company_id, goal_id)
    # The same progress as the goal bars, from the one read of the path.
    progress, daily = goal_progress_and_daily(goal, as_of, readers=readers)
    baseline = progress["baseline"]
    if goal.kpi_aggregation == "total":
        running, actual = 0.0, []
        for d, v in sorted(daily):
            if d >= goal.kpi_start_date and v is not None:
                running += v
                actual.append((d, running))
    else:
        actual = [(d, v) for d, v in sorted(daily) if d >= goal.kpi_start_date and v is not None]
    required = [(goal.kpi_start_date, baseline), (goal.kpi_deadline, goal.kpi_target)] if baseline is not None else []
    definition = catalog.get(goal.kpi_metric)
    return GoalPath(goal_id=str(goal.id), title=goal.title, actual=actual, required=required, target=goal.kpi_target,
                    unit=definition.unit if definition else "", progress=progress)
