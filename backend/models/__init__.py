"""Database models (SQLAlchemy 2 typed). Schemas for the API live apart, in backend/api/.

Every tenant-owned table carries ``agency_id`` (the ``TenantOwned`` mixin; ``CompanyOwned`` adds
``company_id``); its unique constraints and main indexes lead with it. Reads and writes are
scoped by backend/scoping.py.

- base.py: the mixins; core.py: agencies, people, companies, strategy, goals, channels,
  campaigns, metrics and the platform's records; reports.py: reports, their deliveries,
  schedules and share links; alerts.py: alert rules, alerts, e-mail choices and webhooks;
  listening.py: mentions, topics and their tags.
"""
from ..extensions import Model
from .alerts import (
    Alert,
    AlertEmail,
    AlertEmailChoice,
    AlertRead,
    AlertRule,
    GoalStatusMark,
    WebhookDelivery,
    WebhookEndpoint,
)
from .base import CompanyOwned, TenantOwned, new_id, utcnow
from .core import (
    Agency,
    AgencyBranding,
    AgencyMembership,
    ApiKey,
    AuditEntry,
    Campaign,
    Channel,
    ClientAccess,
    Company,
    Goal,
    IdempotencyRecord,
    JobFailure,
    MetricDefinition,
    MetricPoint,
    PasswordToken,
    Strategy,
    StrategyRevision,
    User,
)
from .listening import Mention, MentionTopic, Topic
from .reports import Report, ReportDelivery, ReportSchedule, ShareLink

TENANT_MODELS = [m.class_ for m in Model.registry.mappers if getattr(m.class_, "__tenant_owned__", False)]

__all__ = [
    "CompanyOwned", "TenantOwned", "new_id", "utcnow", "Model", "TENANT_MODELS",
    "Agency",
    "User",
    "AgencyMembership",
    "Company",
    "ClientAccess",
    "ApiKey",
    "Channel",
    "MetricDefinition",
    "Strategy",
    "StrategyRevision",
    "Goal",
    "Campaign",
    "MetricPoint",
    "IdempotencyRecord",
    "AuditEntry",
    "PasswordToken",
    "JobFailure",
    "AgencyBranding",
    "Report", "ReportDelivery", "ReportSchedule", "ShareLink",
    "Alert", "AlertEmail", "AlertEmailChoice", "AlertRead", "AlertRule", "GoalStatusMark", "WebhookDelivery",
    "WebhookEndpoint",
    "Mention", "MentionTopic", "Topic",
]
