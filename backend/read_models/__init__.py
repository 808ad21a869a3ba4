"""Read models: one per page, plain data built from the services, without Dash or Flask.

The dashboard's pages and callbacks only lay out what these return (they import neither the
services nor the database); a report or a share page can draw the same numbers from them.
``company`` (the company page), ``strategy`` and ``portfolio``; ``controls`` turns a page's
period, granularity and channel into a date range.
"""
from ..services.companies import all_companies
from ..services.errors import NotFound
from ..services.goal_terms import ATTENTION_ORDER, STATUS_TERMS
from . import controls
from .company import (
    CompanyPage,
    CompanyView,
    GoalPath,
    GoalsView,
    company,
    company_page,
    company_view,
    goal_path,
    goals_view,
)
from .examples import PushExample, push_example
from .portfolio import STALE_AFTER_DAYS, PortfolioPage, portfolio_page
from .strategy import StrategyPage, strategy_page


def reachable_companies() -> list:
    """The active companies in the principal's reach, by name."""
    return all_companies(include_archived=False)


__all__ = [
    "ATTENTION_ORDER", "STATUS_TERMS", "STALE_AFTER_DAYS", "CompanyPage", "CompanyView", "GoalPath", "GoalsView",
    "NotFound", "PortfolioPage",
    "PushExample", "StrategyPage", "company", "company_page", "company_view", "controls", "goal_path", "goals_view",
    "portfolio_page", "push_example", "reachable_companies", "strategy_page",
]
