"""The strategy page as data: the strategy, the company's channels, its sub-goals by category with
their progress, and the revision history."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from ..services.goal_terms import CATEGORY_TERMS
from ..services.strategy import all_revisions, get_strategy, launch_target_date
from .company import Channel, channels_of, goals_with_progress


@dataclass(frozen=True)
class Revision:
    revision: int
    created_at: dt.datetime
    created_by: str | None
    changes: dict[str, Any]


@dataclass(frozen=True)
class GoalSection:
    category: str
    label: str
    goals: list[dict[str, Any]]


@dataclass(frozen=True)
class StrategyPage:
    company_id: uuid.UUID
    name: str
    revision: int
    status: str
    review_cadence: str
    objective: str
    business_alignment: str
    engagement_approach: str
    personality: str
    audiences: list[dict[str, Any]]
    channel_plan: list[dict[str, Any]]
    launch_followers_target: float | None
    launch_target_date: dt.date | None
    channels: dict[str, Channel]
    goal_sections: list[GoalSection]  # in the vocabulary's order, categories without goals left out
    revisions: list[Revision]  # newest first


def strategy_page(company_row) -> StrategyPage:
    strategy = get_strategy(company_row.id)
    channels = channels_of(company_row.id)
    goals = goals_with_progress(company_row.id, channels=channels)
    by_category: dict[str, list] = {}
    for g in goals:
        by_category.setdefault(g["category"], []).append(g)
    launch = strategy.launch_plan or {}
    return StrategyPage(
        company_id=company_row.id, name=company_row.name, revision=strategy.revision, status=strategy.status,
        review_cadence=strategy.review_cadence, objective=strategy.objective,
        business_alignment=strategy.business_alignment, engagement_approach=strategy.engagement_approach,
        personality=strategy.personality, audiences=list(strategy.audiences or []),
        channel_plan=list(strategy.channel_plan or []),
        launch_followers_target=launch.get("followers_target") or None,
        launch_target_date=launch_target_date(strategy) if launch.get("followers_target") else None,
        channels={c.key: c for c in channels},
        goal_sections=[GoalSection(key, term.label, by_category[key]) for key, term in CATEGORY_TERMS.items()
                       if key in by_category],
        revisions=[Revision(r.revision, r.created_at, r.created_by, dict(r.changes or {}))
                   for r in all_revisions(company_row.id)],
    )
