"""A company's board for a share link's fixed range, server-rendered: the KPI cards and charts of
the dashboard's company page for that range, from the same read model (backend/read_models/company.py
``company_page``), so the numbers are the dashboard's; the charts are the dashboard's figure builders,
drawn by the app's own Plotly build (backend/reporting/charts.py). Runs as the link's principal."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dashboard import figures

from ..read_models import controls as ctl
from ..read_models.company import company, company_page
from ..read_models.report_text import change_text, date_range, value_text
from ..reporting.charts import Chart

# The dashboard's KPI cards: metric, title, unit (dashboard/pages/company.py KPI_SPECS).
KPI_CARDS = (("followers", "Followers", "number"), ("reach", "Reach", "number"),
             ("engagement_rate", "Engagement rate", "ratio"), ("mentions", "Mentions", "number"),
             ("cost_per_1k_reach", "Cost per 1k reach", "currency"))
LOWER_IS_BETTER = {"cost_per_1k_reach"}


@dataclass(frozen=True)
class Card:
    metric: str
    label: str
    text: str
    change: str  # '+12.3 %' against the previous period, or '–'
    tone: str  # rb-up, rb-down or rb-flat


@dataclass(frozen=True)
class Board:
    company_name: str
    period: str  # '1 – 30 Sep 2026'
    previous: str
    messages: tuple[str, ...]  # what the range was corrected for (no data, the future)
    has_data: bool
    cards: list[Card]
    charts: list[Chart]


def granularity_for(start: dt.date, end: dt.date) -> str:
    days = (end - start).days + 1
    return "day" if days <= 184 else "week" if days <= 731 else "month"


def _card(metric: str, label: str, unit: str, kpi: dict[str, Any]) -> Card:
    pct = kpi.get("change_percent")
    tone = "rb-flat"
    if pct is not None and abs(pct) >= 0.05:
        tone = "rb-up" if (pct > 0) != (metric in LOWER_IS_BETTER) else "rb-down"
    return Card(metric, label, value_text(kpi.get("value"), unit), change_text(pct), tone)


def board(company_id, start: dt.date, end: dt.date) -> Board:
    """The board of the company in reach for ``start``–``end`` (NotFound out of reach)."""
    row = company(company_id)
    controls = ctl.Controls(preset="custom", date_from=start, date_to=end, granularity=granularity_for(start, end))
    page = company_page(row, controls)
    view = page.view
    if view is None:
        return Board(page.name, date_range(start, end), "", ("No data has been reported for this company yet.",),
                     False, [], [])
    cards = [_card(metric, label, unit, view.kpis.get(metric) or {}) for metric, label, unit in KPI_CARDS]
    gran = view.granularity
    charts = [
        Chart("followers", figures.followers_figure(view.follower_lines, view.followers, target=view.target,
                                                    campaigns=view.campaigns, granularity=gran)),
        Chart("reach", figures.reach_figure(view.reach, view.impressions, granularity=gran, campaigns=view.campaigns)),
        Chart("engagement", figures.engagement_figure(view.engagement_rate, granularity=gran)),
    ]
    if page.goals is not None and page.goals.goals:
        charts.append(Chart("goals", figures.goals_figure(page.goals.goals)))
    return Board(page.name, date_range(view.date_from, view.date_to), date_range(view.previous_from, view.previous_to),
                 tuple(view.messages), True, cards, charts)
