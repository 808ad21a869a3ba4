"""The demo's alerts (issue 14 part 5): every demo company gets one open alert of each kind the
demo data shows — a sub-goal that slipped to at risk, a channel gone stale (its integration
stopped pushing four days ago: ``ChannelSpec.lag_days``), and the crisis week's spike of negative
mentions ("Crisis watch", judged on the crisis's days until one is a spike) — and the agency a webhook endpoint on
a loopback port nothing listens on, whose delivery log shows the attempts that failed.

The alerts come from the real rules and evaluation (backend/services/alert_evaluation.py), not
from inserted rows: the spike by evaluating the company as of its crisis day, the goal by
recording that it was on track a month ago (the first judgement of a goal is only recorded, never
alerted), then evaluating today. Idempotent: a company that has alerts is left alone, and the
endpoint is made once.
"""
from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select

from ..extensions import db
from ..models import Alert, Company, GoalStatusMark, WebhookDelivery, WebhookEndpoint
from ..services.alert_evaluation import evaluate_company
from ..services.alert_rules import CRISIS_WATCH, create_rule, list_rules
from ..services.errors import ValidationFailed
from ..services.progress import company_goals_progress, company_today
from ..services.webhooks import EVENTS, create_endpoint

WEBHOOK_URL = "http://127.0.0.1:9/reachboard-demo"  # the discard port: nothing listens there
WEBHOOK_DESCRIPTION = "Demo receiver (not running: its deliveries fail)"


def _slipped_goal(company: Company) -> Any:
    """A goal at risk today (the demo designs one per company), else any goal needing attention."""
    ranked = sorted(company_goals_progress(company.id),
                    key=lambda gp: ("at_risk", "off_track", "missed").index(gp[1]["status"])
                    if gp[1]["status"] in ("at_risk", "off_track", "missed") else 9)
    return ranked[0][0] if ranked and ranked[0][1]["status"] in ("at_risk", "off_track", "missed") else None


def seed_company_alerts(company: Company, crisis: tuple[dt.date, dt.date]) -> int:
    """The company's three alerts (nothing when it has alerts already); how many were made."""
    if db.session.scalar(select(func.count()).select_from(Alert).where(Alert.company_id == company.id)):
        return 0
    if not any(r.kind == "spike" for r in list_rules(company.id)):
        create_rule(company.id, dict(CRISIS_WATCH))
    made = 0
    day, end = crisis
    while day <= end and not made:  # the crisis's first day that Crisis watch calls a spike
        made = len(evaluate_company(company.id, as_of=day))
        # That evaluation judged every goal for the first time, as of that day (marks, no
        # alerts): forget the marks, so that the next day and today judge afresh.
        db.session.execute(delete(GoalStatusMark).where(GoalStatusMark.company_id == company.id))
        db.session.commit()
        day += dt.timedelta(days=1)
    # Record that the slipping goal was on track a month ago: today's evaluation sees it slip.
    goal = _slipped_goal(company)
    if goal is not None:
        db.session.add(GoalStatusMark(company_id=company.id, goal_id=goal.id, status="on_track",
                                      since=company_today(company) - dt.timedelta(days=30)))
    db.session.commit()
    return made + len(evaluate_company(company.id))


def seed_webhook(progress: Callable[[str], None]) -> WebhookEndpoint | None:
    """The agency's demo endpoint, made once."""
    endpoint = db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.url == WEBHOOK_URL)).first()
    if endpoint is None:
        try:
            endpoint, _secret = create_endpoint({"url": WEBHOOK_URL, "events": list(EVENTS),
                                                 "description": WEBHOOK_DESCRIPTION})
        except ValidationFailed as err:  # production settings refuse loopback: no demo endpoint then
            progress(f"No demo webhook endpoint: {err}")
            return None
        progress(f"Added a webhook endpoint at {WEBHOOK_URL} (nothing listens: its deliveries fail)")
    return endpoint


def try_pending(endpoint: WebhookEndpoint) -> int:
    """Try the endpoint's deliveries that were never tried, now, so that its log shows them failed
    (the job consumer retries them on the usual schedule)."""
    from ..jobs.webhooks import attempt

    ids = list(db.session.scalars(select(WebhookDelivery.id).where(WebhookDelivery.endpoint_id == endpoint.id,
                                                                   WebhookDelivery.attempts == 0)))
    log = logging.getLogger("reachboard.webhooks")
    level = log.level
    log.setLevel(logging.ERROR)  # each refused attempt would print a warning into seed-demo's output
    try:
        for delivery_id in ids:
            attempt(delivery_id)
    finally:
        log.setLevel(level)
    return len(ids)


def seed_alerts(companies: list[tuple[Company, tuple[dt.date, dt.date]]], progress: Callable[[str], None]) -> int:
    """The webhook endpoint, then each company's alerts (``(company, its crisis week)``), then one
    try of the endpoint's new deliveries. Returns how many alerts were made."""
    endpoint = seed_webhook(progress)
    made = 0
    for company, crisis in companies:
        count = seed_company_alerts(company, crisis)
        if count:
            progress(f"Raised {count} alerts for {company.name}")
        made += count
    if endpoint is not None:
        tried = try_pending(endpoint)
        if tried:
            progress(f"Tried {tried} webhook deliveries (they fail: nothing listens at {WEBHOOK_URL})")
    return made
