"""The portfolio as data: one row per active company in reach, with its followers, reach,
engagement, goals by status and the freshness of its data."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..models import Goal
from ..services import metrics
from ..services.companies import all_companies
from ..services.goal_terms import STATUSES
from ..services.progress import goals_progress
from . import controls as ctl

STALE_AFTER_DAYS = 3


@dataclass(frozen=True)
class PortfolioPage:
    preset: str
    date_from: dt.date
    date_to: dt.date
    rows: list[dict[str, Any]]  # company_id, name, figures, a count per goal status, last data date, spark


def goal_statuses(company_ids) -> dict:
    """{company_id: [status of each goal]} for several companies: their goals in one query, their
    progress in one load (goals_progress reads per company only what each goal needs)."""
    if not company_ids:
        return {}
    goals = db.session.scalars(select(Goal).where(Goal.company_id.in_(list(company_ids)))).all()
    out: dict = {}
    for goal, progress in goals_progress(goals):
        out.setdefault(goal.company_id, []).append(progress.get("status"))
    return out


def portfolio_page(preset: str, today: dt.date | None = None) -> PortfolioPage:
    today = today or dt.date.today()
    date_from, date_to = ctl.preset_range(preset, today)
    companies = {c.id: c for c in all_companies(include_archived=False)}
    statuses = goal_statuses(list(companies))
    rows = []
    for r in metrics.portfolio(date_from, date_to):
        company = companies.get(r["company_id"])
        if company is None:  # archived
            continue
        counts = dict.fromkeys(STATUSES, 0)
        for status in statuses.get(company.id, []):
            if status in counts:
                counts[status] += 1
        last = r.get("last_data_date")
        rows.append({
            "company_id": company.id, "name": company.name,
            "followers": r.get("followers"), "followers_change": r.get("followers_change"),
            "reach": r.get("reach"), "engagement_rate": r.get("engagement_rate"),
            **counts,
            "last_data_date": last,
            "stale": last is None or (today - last).days > STALE_AFTER_DAYS,
            "spark": [v for _, v in (r.get("followers_spark") or []) if v is not None],
        })
    return PortfolioPage(preset=preset, date_from=date_from, date_to=date_to, rows=rows)
