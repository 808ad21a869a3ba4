"""The portfolio as data: one row per active company in reach, with its followers, reach,
engagement, goals by status, the freshness of its data, its open alerts, its unanswered mentions
and whether it needs attention (an open alert, a goal off track, missed or at risk, or stale data)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import Goal, Mention
from ..services import metrics
from ..services.companies import all_companies
from ..services.goal_terms import STATUSES
from ..services.progress import company_today, goals_progress
from . import controls as ctl
from .alerts import open_counts

STALE_AFTER_DAYS = 3
ATTENTION_STATUSES = ("off_track", "missed", "at_risk")


@dataclass(frozen=True)
class PortfolioPage:
    preset: str
    date_from: dt.date  # the period of most companies (each ends on its company's own today)
    date_to: dt.date
    rows: list[dict[str, Any]]  # company_id, name, figures, a count per goal status, last data date, spark
    periods: int = 1  # how many different periods there are (companies in time zones a day apart)


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


def unanswered_counts(company_ids) -> dict:
    """{company_id: mentions not yet answered} for several companies, in one grouped query
    (companies without one are left out). All of them, whatever the period: the inbox's size."""
    if not company_ids:
        return {}
    rows = db.session.execute(
        select(Mention.company_id, func.count()).where(Mention.company_id.in_(list(company_ids)),
                                                        Mention.answered_at.is_(None))
        .group_by(Mention.company_id))
    return {cid: int(n) for cid, n in rows}


def portfolio_page(preset: str, today: dt.date | None = None) -> PortfolioPage:
    """Every active company in reach. "Today" is each company's own, in its time zone, as on its
    page (``today`` overrides it for all): the period ends there and staleness counts from there.
    Companies sharing a today are read together (usually one or two reads)."""
    companies = {c.id: c for c in all_companies(include_archived=False)}
    todays = {cid: today or company_today(c) for cid, c in companies.items()}
    groups: dict[dt.date, list] = {}
    for cid, day in todays.items():
        groups.setdefault(day, []).append(cid)
    statuses = goal_statuses(list(companies))
    alerts = open_counts(list(companies))
    unanswered = unanswered_counts(list(companies))
    read: dict = {}
    for day, ids in groups.items():
        start, end = ctl.preset_range(preset, day)
        read.update({r["company_id"]: r for r in metrics.portfolio(start, end, among=ids)})
    rows = []
    for company in sorted(companies.values(), key=lambda c: c.name):
        r = read.get(company.id)
        if r is None:
            continue
        counts = dict.fromkeys(STATUSES, 0)
        for status in statuses.get(company.id, []):
            if status in counts:
                counts[status] += 1
        last = r.get("last_data_date")
        stale = last is None or (todays[company.id] - last).days > STALE_AFTER_DAYS
        open_alerts = alerts.get(company.id, 0)
        rows.append({
            "company_id": company.id, "name": company.name,
            "followers": r.get("followers"), "followers_change": r.get("followers_change"),
            "reach": r.get("reach"), "engagement_rate": r.get("engagement_rate"),
            **counts,
            "last_data_date": last,
            "stale": stale,
            "open_alerts": open_alerts,
            "unanswered": unanswered.get(company.id, 0),
            "needs_attention": bool(open_alerts or stale or any(counts[status] for status in ATTENTION_STATUSES)),
            "spark": [v for _, v in (r.get("followers_spark") or []) if v is not None],
        })
    usual = max(groups, key=lambda d: len(groups[d])) if groups else (today or dt.date.today())
    date_from, date_to = ctl.preset_range(preset, usual)
    return PortfolioPage(preset=preset, date_from=date_from, date_to=date_to, rows=rows,
                         periods=max(1, len(groups)))
