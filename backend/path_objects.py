"""The objects named in a URL (``company_id``, ``channel_key``, ``goal_id`` ...), looked up
through the scoping layer, children through their parent company: the API (backend/api/access.py)
and the admin pages (backend/admin/blueprint.py) resolve them the same way, before any grant or
body is checked, so another agency's ids answer 404 whatever else is wrong."""
from __future__ import annotations

import uuid
from collections.abc import Callable

from flask import g
from sqlalchemy import select

from .extensions import db
from .models import (
    AlertRule,
    ApiKey,
    Campaign,
    Channel,
    Goal,
    Mention,
    Report,
    ReportSchedule,
    ShareLink,
    StrategyRevision,
    Topic,
    User,
    WebhookDelivery,
    WebhookEndpoint,
)
from .services.alert_inbox import get_alert
from .services.companies import get_company
from .services.errors import NotFound


def _one(stmt, what: str):
    obj = db.session.scalars(stmt).first()
    if obj is None:
        raise NotFound(f"No {what} with this id.")
    return obj


def _company(value, objs):
    return get_company(value)


def _channel(value, objs):
    company = objs["company_id"]
    return _one(select(Channel).where(Channel.company_id == company.id, Channel.key == value), "channel")


def _goal(value, objs):
    company = objs["company_id"]
    return _one(select(Goal).where(Goal.company_id == company.id, Goal.id == value), "goal")


def _campaign(value, objs):
    company = objs["company_id"]
    return _one(select(Campaign).where(Campaign.company_id == company.id, Campaign.id == value), "campaign")


REVISION_MAX = 2**31 - 1  # strategy_revision.revision is a 32-bit integer


def _mention(value, objs):
    company = objs["company_id"]
    return _one(select(Mention).where(Mention.company_id == company.id, Mention.id == value), "mention")


def _revision(value, objs):
    company = objs["company_id"]
    if value == 0:
        return None  # revision 0 is the empty draft every company starts with
    if value > REVISION_MAX:  # PostgreSQL would refuse the lookup ("integer out of range")
        raise NotFound("No revision with this number.")
    return _one(
        select(StrategyRevision).where(StrategyRevision.company_id == company.id, StrategyRevision.revision == value),
        "revision",
    )


def _share_link(value, objs):
    company = objs["company_id"]
    return _one(select(ShareLink).where(ShareLink.company_id == company.id, ShareLink.id == value), "share link")


def _report_schedule(value, objs):
    company = objs["company_id"]
    return _one(select(ReportSchedule).where(ReportSchedule.company_id == company.id, ReportSchedule.id == value),
                "report schedule")


def _report(value, objs):
    # Any report of the company: which ones a client viewer may read (the sent ones) the reports
    # service decides; here a viewer's request for a draft goes on to its 403 (a change) or 404 (a read).
    company = objs["company_id"]
    return _one(select(Report).where(Report.company_id == company.id, Report.id == value), "report")


def _alert(value, objs):
    # An alert the principal sees: a client viewer's request for one not meant for clients is a 404.
    return get_alert(value)


def _alert_rule(value, objs):
    company = objs["company_id"]
    return _one(select(AlertRule).where(AlertRule.company_id == company.id, AlertRule.id == value), "alert rule")


def _topic(value, objs):
    company = objs["company_id"]
    return _one(select(Topic).where(Topic.company_id == company.id, Topic.id == value), "topic")


def _user(value, objs):
    return _one(select(User).where(User.id == value), "user")


def _webhook(value, objs):
    return _one(select(WebhookEndpoint).where(WebhookEndpoint.id == value), "webhook")


def _webhook_delivery(value, objs):
    endpoint = objs["webhook_id"]
    return _one(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id,
                                              WebhookDelivery.id == value), "delivery")


def _key(value, objs):
    return _one(select(ApiKey).where(ApiKey.id == value), "API key")


# URL parameter name -> resolver(value, resolved so far). Order matters: parents first.
PATH_RESOLVERS: dict[str, Callable] = {
    "company_id": _company,
    "channel_key": _channel,
    "goal_id": _goal,
    "campaign_id": _campaign,
    "mention_id": _mention,
    "revision": _revision,
    "report_id": _report,
    "schedule_id": _report_schedule,
    "link_id": _share_link,
    "rule_id": _alert_rule,
    "topic_id": _topic,
    "user_id": _user,
    "key_id": _key,
    "alert_id": _alert,
    "webhook_id": _webhook,
    "delivery_id": _webhook_delivery,
}


def resolve_path_objects(args: dict) -> dict:
    """Every object named in the URL, looked up through the scoping layer in the order of
    :data:`PATH_RESOLVERS` (a child through its parent company); a junk or unreachable id raises
    :class:`NotFound`. Also stored as ``g.path_objects``. Used by the API and the admin pages."""
    resolved: dict = {}
    for name, resolver in PATH_RESOLVERS.items():
        if name in args:
            value = args[name]
            if isinstance(value, str) and name.endswith("_id"):
                try:
                    value = uuid.UUID(value)
                except ValueError:
                    raise NotFound("No object with this id.") from None
            resolved[name] = resolver(value, resolved)
    g.path_objects = resolved
    return resolved
