"""A client report as data: every section of a company's report for its period, from the same
services and read models as the dashboard (backend/read_models/company.py), so that the report,
the dashboard and the API show the same numbers. The KPI cards are ``metrics.summary`` for the
report's exact period — what ``GET /api/v1/companies/{id}/metrics/summary?from=…&to=…`` answers.

Goals are judged as of the period's end (or today, for a period still running). Laid out by
backend/reporting/ (HTML on screen, on a share page, and as PDF); the sentences of the executive
summary come from :mod:`backend.read_models.report_text`.
"""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from dashboard import goal_text

from ..services import catalog, metrics
from ..services.branding import get_branding, logo
from ..services.campaigns import all_campaigns
from ..services.companies import get_company
from ..services.goal_terms import CATEGORY_TERMS
from ..services.progress import company_today
from ..services.strategy import all_revisions, get_strategy
from . import controls as ctl
from . import report_text
from .company import Channel, GoalPath, channels_of, company_view, goal_path, goals_with_progress, readers_for
from .report_listening import ListeningSection, listening_section

# The KPI cards, in order (a card is left out when the period has no value for it).
KPI_CARDS = ("followers", "follower_growth", "reach", "impressions", "engagement_rate", "mentions",
             "sentiment_score", "spend", "cost_per_1k_reach", "roi")
CAMPAIGN_METRICS = ["spend", "reach", "revenue", "cost_per_1k_reach", "roi"]
MENTION_METRICS = ["mentions_positive", "mentions_neutral", "mentions_negative", "sentiment_score"]
PATH_STATUSES = ("at_risk", "off_track")  # goals whose actual-vs-needed path the report draws
STRATEGY_FIELDS = {
    "objective": "objective", "business_alignment": "business alignment", "audiences": "audiences",
    "engagement_approach": "engagement approach", "personality": "personality", "channel_plan": "channel plan",
    "launch_plan": "launch plan", "review_cadence": "review cadence", "status": "status",
}
Point = tuple[dt.date, float]


@dataclass(frozen=True)
class Cover:
    agency_name: str
    primary_color: str  # "#rrggbb" or "" (the app's default)
    light_color: bool  # dark text on the primary colour
    logo_data_uri: str  # the agency's logo inline ("" without one): no request, no session needed
    footer: str
    company_name: str
    industry: str
    period_kind: str
    period_label: str  # "October 2026", "Q3 2026", "3 Aug – 14 Sep 2026"
    period_start: dt.date
    period_end: dt.date
    status: str
    as_of: dt.date  # the day the goals are judged on


@dataclass(frozen=True)
class Kpi:
    metric: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    change_percent: float | None
    year_ago: float | None
    year_change_percent: float | None

    @property
    def text(self) -> str:
        return report_text.value_text(self.value, self.unit)


@dataclass(frozen=True)
class Charts:
    granularity: str
    follower_lines: list[dict[str, Any]]  # per channel {label, platform, points}
    followers: list[Point] | None  # all channels combined
    target: dict[str, Any] | None  # the critical-mass line
    campaigns: list[dict[str, Any]]  # {name, start, end, channels}, clipped to the period
    reach: list[Point]
    impressions: list[Point]
    engagement_rate: list[Point]
    mentions: dict[str, list[Point]]  # positive / neutral / negative / sentiment_score


@dataclass(frozen=True)
class GoalRow:
    id: str
    title: str
    category: str
    channel_label: str
    status: str | None
    status_label: str
    tone: str
    percent: float | None
    reading: str  # "4.9k now · target ≥ 6k followers · on track"
    deadline: dt.date
    forecast_date: dt.date | None
    highlighted: bool
    goal: dict[str, Any]  # the goal as goals_with_progress returns it (for the figure builders)
    path: GoalPath | None = None  # drawn for goals at risk or off track


@dataclass(frozen=True)
class CampaignRow:
    name: str
    start: dt.date
    end: dt.date
    channels: str
    budget: float | None
    spend: float | None
    reach: float | None
    revenue: float | None
    cost_per_1k_reach: float | None
    roi: float | None


@dataclass(frozen=True)
class StrategyChange:
    revision: int
    on: dt.date
    by: str
    fields: list[str]  # in words: "objective", "channel plan"


@dataclass(frozen=True)
class StrategyBrief:
    revision: int
    status: str
    objective: str
    audiences: list[dict[str, Any]]
    channel_plan: list[dict[str, str]]  # {channel (its name), purpose}
    launch_target: dict[str, Any] | None
    changes: list[StrategyChange]  # revisions saved during the period, oldest first


@dataclass(frozen=True)
class Freshness:
    channel: str
    label: str
    days_reported: int
    days_expected: int
    gaps: list[tuple[dt.date, dt.date]]  # stretches without any figure


@dataclass(frozen=True)
class ReportView:
    report_id: str
    company_id: str
    version: int
    cover: Cover
    commentary: str
    sentences: list[str]
    has_data: bool  # any figure stored in the period
    kpis: list[Kpi]
    previous: tuple[dt.date, dt.date]
    year_earlier: tuple[dt.date, dt.date] | None  # None for periods longer than a year
    charts: Charts | None  # None without data
    goals: list[GoalRow]
    campaigns: list[CampaignRow]
    strategy: StrategyBrief
    freshness: list[Freshness]
    channels: list[Channel] = field(default_factory=list)
    listening: ListeningSection | None = None  # "What people said" (backend/read_models/report_listening.py)

    @property
    def goals_with_paths(self) -> list[GoalRow]:
        return [g for g in self.goals if g.path is not None]

    @property
    def gaps(self) -> list[Freshness]:
        return [f for f in self.freshness if f.gaps]


def report_view(report) -> ReportView:
    """Every section of ``report`` as data (reads through the services, scoped to the principal)."""
    company = get_company(report.company_id)
    start, end = report.period_start, report.period_end
    today = company_today(company)
    as_of = min(end, today)
    channels = channels_of(company.id)
    reported = metrics.reported_days(company.id, start, end)
    has_data = bool(reported)

    kpis, previous, year_earlier = _kpis(company.id, start, end)
    charts = _charts(company, start, end, channels, today) if has_data else None
    goals = _goals(company.id, channels, as_of, [str(g) for g in report.highlighted_goal_ids or []])
    campaigns = _campaigns(company.id, start, end, channels)
    strategy = _strategy(company.id, start, end, channels)
    freshness = _freshness(channels, reported, start, min(end, today))
    cover = _cover(company, report, as_of)
    listening = listening_section(company.id, start, end, previous)
    sentences = report_text.summary_sentences(has_data=has_data, kpis={k.metric: k for k in kpis}, goals=goals,
                                              strategy_changes=strategy.changes, gaps=[f for f in freshness if f.gaps])
    return ReportView(
        report_id=str(report.id), company_id=str(company.id), version=report.version, cover=cover,
        commentary=report.commentary or "", sentences=sentences, has_data=has_data, kpis=kpis, previous=previous,
        year_earlier=year_earlier, charts=charts, goals=goals, campaigns=campaigns, strategy=strategy,
        freshness=freshness, channels=channels, listening=listening)


def period_label(kind: str, start: dt.date, end: dt.date) -> str:
    """'October 2026', 'Q3 2026', or '3 Aug – 14 Sep 2026' for a custom range."""
    if kind == "month":
        return f"{start:%B %Y}"
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return report_text.date_range(start, end)


def _cover(company, report, as_of: dt.date) -> Cover:
    branding = get_branding()
    data_uri = ""
    if branding.logo_sha256:
        import base64

        content, content_type, _ = logo()
        data_uri = f"data:{content_type};base64,{base64.b64encode(content).decode()}"
    return Cover(
        agency_name=branding.display_name, primary_color=branding.primary_color, light_color=branding.light_color,
        logo_data_uri=data_uri, footer=branding.footer, company_name=company.name, industry=company.industry or "",
        period_kind=report.period_kind, period_label=period_label(report.period_kind, report.period_start,
                                                                   report.period_end),
        period_start=report.period_start, period_end=report.period_end, status=report.status, as_of=as_of)


def _kpis(company_id: uuid.UUID, start: dt.date, end: dt.date
          ) -> tuple[list[Kpi], tuple[dt.date, dt.date], tuple[dt.date, dt.date] | None]:
    """The cards: the period against the previous one and, for periods up to a year, against the
    same days a year earlier — the API's /metrics/summary for the same dates."""
    now = metrics.summary(company_id, start, end, metrics=list(KPI_CARDS), compare="previous")
    rows = {m["metric"]: m for m in now["metrics"]}
    year_rows: dict[str, dict[str, Any]] = {}
    year_earlier = None
    if metrics.year_earlier(end) < start:
        year = metrics.summary(company_id, start, end, metrics=list(KPI_CARDS), compare="year")
        year_rows = {m["metric"]: m for m in year["metrics"]}
        year_earlier = (year["previous_from"], year["previous_to"])
    cards = []
    for key in KPI_CARDS:
        row, yr = rows.get(key, {}), year_rows.get(key, {})
        if row.get("value") is None:
            continue
        definition = catalog.get(key)
        cards.append(Kpi(key, definition.label if definition else key, definition.unit if definition else "",
                         row.get("value"), row.get("previous"), row.get("change_percent"), yr.get("previous"),
                         yr.get("change_percent")))
    return cards, (now["previous_from"], now["previous_to"]), year_earlier


def granularity_for(start: dt.date, end: dt.date) -> str:
    """Days for up to two months, weeks up to a year, months beyond."""
    days = (end - start).days + 1
    return "day" if days <= 62 else "week" if days <= 366 else "month"


def _charts(company, start: dt.date, end: dt.date, channels: list[Channel], today: dt.date) -> Charts:
    gran = granularity_for(start, end)
    controls = ctl.Controls(preset="custom", date_from=start, date_to=end, granularity=gran)
    # rng=None: the period is shown as it is, not moved to where data is (the dashboard's habit).
    view = company_view(company, controls, channels=channels, rng=None, today=today)
    chan = "all"
    series = metrics.series_points(company.id, MENTION_METRICS, chan, view.date_from, view.date_to, gran)
    return Charts(
        granularity=gran, follower_lines=view.follower_lines, followers=view.followers, target=view.target,
        campaigns=view.campaigns, reach=view.reach, impressions=view.impressions,
        engagement_rate=view.engagement_rate,
        mentions={m.removeprefix("mentions_"): series.get((chan, m), []) for m in MENTION_METRICS})


def _goals(company_id: uuid.UUID, channels: list[Channel], as_of: dt.date, highlighted: list[str]) -> list[GoalRow]:
    readers = readers_for(company_id, metrics.data_range(company_id))
    goals = goals_with_progress(company_id, readers, channels, as_of=as_of)
    rank = {gid: i for i, gid in enumerate(highlighted)}
    goals.sort(key=lambda g: rank.get(g["id"], len(rank)))  # highlighted first, in their order
    rows = []
    for g in goals:
        path = goal_path(company_id, g["id"], readers, as_of=as_of) if g["status"] in PATH_STATUSES else None
        rows.append(GoalRow(
            id=g["id"], title=g["title"], category=CATEGORY_TERMS[g["category"]].label
            if g["category"] in CATEGORY_TERMS else g["category"], channel_label=g["channel_label"],
            status=g["status"], status_label=g["status_label"], tone=g["tone"], percent=g["percent"],
            reading=goal_text.reading(g), deadline=g["deadline"], forecast_date=g["forecast_date"],
            highlighted=g["id"] in rank, goal=g, path=path))
    return rows


def _campaigns(company_id: uuid.UUID, start: dt.date, end: dt.date, channels: list[Channel]) -> list[CampaignRow]:
    """Campaigns running in the period, each measured over its days inside the period on its
    channel (all channels when it runs on several)."""
    names = {c.key: c.name for c in channels}
    rows = []
    for c in sorted(all_campaigns(company_id, date_from=start, date_to=end), key=lambda c: c.start_date):
        first, last = max(c.start_date, start), min(c.end_date, end)
        on = [k for k in (c.channels or []) if k in names]
        channel = on[0] if len(on) == 1 else None
        found = {m["metric"]: m["value"] for m in
                 metrics.summary(company_id, first, last, channel=channel, metrics=CAMPAIGN_METRICS)["metrics"]}
        rows.append(CampaignRow(
            name=c.name, start=c.start_date, end=c.end_date,
            channels=", ".join(names.get(k, k) for k in c.channels or []) or "All channels", budget=c.budget,
            spend=found.get("spend"), reach=found.get("reach"), revenue=found.get("revenue"),
            cost_per_1k_reach=found.get("cost_per_1k_reach"), roi=found.get("roi")))
    return rows


def _strategy(company_id: uuid.UUID, start: dt.date, end: dt.date, channels: list[Channel]) -> StrategyBrief:
    """The strategy as it stood at the end of the period (its last revision saved by then), and
    the revisions saved during the period."""
    revisions = all_revisions(company_id)  # newest first
    standing = next((r for r in revisions if r.created_at.date() <= end), None)
    if standing is not None:
        fields, revision = dict(standing.snapshot or {}), standing.revision
    else:
        strategy = get_strategy(company_id)
        fields = {"objective": "", "audiences": [], "channel_plan": [], "launch_plan": {}, "status": strategy.status}
        revision = 0
    names = {c.key: c.name for c in channels}
    launch = fields.get("launch_plan") or {}
    changes = [StrategyChange(r.revision, r.created_at.date(), r.created_by or "",
                              [STRATEGY_FIELDS.get(k, k.replace("_", " ")) for k in (r.changes or {})])
               for r in reversed(revisions) if start <= r.created_at.date() <= end]
    return StrategyBrief(
        revision=revision, status=str(fields.get("status") or ""), objective=str(fields.get("objective") or ""),
        audiences=list(fields.get("audiences") or []),
        channel_plan=[{"channel": names.get(p.get("channel", ""), p.get("channel", "")),
                       "purpose": p.get("purpose", "")} for p in fields.get("channel_plan") or []],
        launch_target={"value": launch["followers_target"], "date": launch.get("target_date")}
        if launch.get("followers_target") else None,
        changes=changes)


def _freshness(channels: list[Channel], reported: dict[str, set[dt.date]], start: dt.date,
               end: dt.date) -> list[Freshness]:
    """Per channel: the days of the period (up to today) with a figure, and the stretches without."""
    out = []
    days = [start + dt.timedelta(days=i) for i in range(max(0, (end - start).days + 1))]
    for c in channels:
        seen = reported.get(c.key, set())
        gaps: list[tuple[dt.date, dt.date]] = []
        for day in days:
            if day in seen:
                continue
            if gaps and gaps[-1][1] == day - dt.timedelta(days=1):
                gaps[-1] = (gaps[-1][0], day)
            else:
                gaps.append((day, day))
        out.append(Freshness(c.key, c.name, len(seen), len(days), gaps))
    return out
