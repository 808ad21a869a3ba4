"""Alerts (issue 14): rules per company, the alerts they raise, who has read which, people's
e-mail choices, and the agency's webhook endpoints with their deliveries."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import CompanyOwned, TenantOwned, new_id, utcnow


class AlertRule(CompanyOwned, Model):
    """What to watch on one company. ``kind``: goal_status (a goal enters one of ``statuses``),
    stale_data (a channel has no new point for ``stale_days``), threshold (``metric`` on ``channel``
    is above/below ``value`` per day or week), spike (a flow metric's day ≥ ``factor`` × its 28-day
    median and ≥ ``minimum``). ``params`` holds the kind's settings; the service checks them."""

    __tablename__ = "alert_rule"
    __table_args__ = (
        Index("ix_alert_rule_agency_company", "agency_id", "company_id"),
        CheckConstraint("kind IN ('goal_status', 'stale_data', 'threshold', 'spike')", name="kind"),
        CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    visible_to_clients: Mapped[bool] = mapped_column(Boolean, default=False)  # the company's viewers see its alerts
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Alert(CompanyOwned, Model):
    """One firing of a rule. ``event_key`` names the event (e.g. "goal:<id>:off_track:<date it
    became so>", "stale:<channel>:<last date>", "threshold:<channel>:<metric>:<day>"): the unique
    constraint makes a twin evaluation (two consumers, a retry) insert nothing."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("agency_id", "rule_id", "event_key", name="uq_alert_rule_event"),
        Index("ix_alert_agency_company_created", "agency_id", "company_id", "created_at"),
        CheckConstraint("severity IN ('info', 'warning', 'critical')", name="severity"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    rule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert_rule.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # the rule's kind when it fired
    event_key: Mapped[str] = mapped_column(String(300))
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    title: Mapped[str] = mapped_column(String(300))  # one line, in words
    object_type: Mapped[str] = mapped_column(String(20))  # goal | channel | metric
    object_id: Mapped[str] = mapped_column(String(100), default="")  # goal id, channel key, metric name
    seen: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # values and dates that fired it
    link: Mapped[str] = mapped_column(String(500), default="")  # the page that shows it (a path)
    visible_to_clients: Mapped[bool] = mapped_column(Boolean, default=False)
    day: Mapped[dt.date] = mapped_column(Date)  # the company's day it is about
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class GoalStatusMark(CompanyOwned, Model):
    """The status a goal was last judged in by the alert evaluation, and since when: a change is a
    transition (``goal.status_changed``, and the goal-status rules' alerts)."""

    __tablename__ = "goal_status_mark"
    __table_args__ = (UniqueConstraint("agency_id", "goal_id", name="uq_goal_status_mark_goal"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    goal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("goal.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    since: Mapped[dt.date] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AlertRead(TenantOwned, Model):
    """A person has read an alert (absent: unread)."""

    __tablename__ = "alert_read"
    __table_args__ = (UniqueConstraint("agency_id", "user_id", "alert_id", name="uq_alert_read_user_alert"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    alert_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("alert.id", ondelete="CASCADE"))
    read_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AlertEmailChoice(TenantOwned, Model):
    """A person's e-mail about one rule kind: ``off``, ``immediate``, or ``digest`` (one message a
    day at ``digest_hour`` in ``timezone``). Without a row the service's default applies."""

    __tablename__ = "alert_email_choice"
    __table_args__ = (
        UniqueConstraint("agency_id", "user_id", "kind", name="uq_alert_email_choice_user_kind"),
        CheckConstraint("mode IN ('off', 'immediate', 'digest')", name="mode"),
        CheckConstraint("digest_hour >= 0 AND digest_hour <= 23", name="digest_hour"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(10), default="immediate")
    digest_hour: Mapped[int] = mapped_column(Integer, default=7)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class AlertEmail(TenantOwned, Model):
    """One e-mail about alerts to one person: an alert sent at once (``alert_id``), or the digest of
    one day (``digest_day``). Unique per person and key, so a twin job sends nothing."""

    __tablename__ = "alert_email"
    __table_args__ = (UniqueConstraint("agency_id", "user_id", "key", name="uq_alert_email_user_key"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(120))  # "alert:<id>" or "digest:<yyyy-mm-dd>"
    alert_count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class WebhookEndpoint(TenantOwned, Model):
    """An agency's receiver (optionally for one company) of the events it subscribes to, signed
    per the Standard Webhooks scheme. ``secret`` holds a random seed, not the secret: the signing
    secret is HMAC(SECRET_KEY, seed), shown once (backend/services/webhooks.py); after a rotation
    ``previous_secret``'s also signs until ``previous_secret_until``. Disabled after failing too long."""

    __tablename__ = "webhook_endpoint"
    __table_args__ = (Index("ix_webhook_endpoint_agency", "agency_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    company_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"), nullable=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    secret: Mapped[str] = mapped_column(String(200))  # the secret's seed "seed_…" (the secret is never stored)
    previous_secret: Mapped[str] = mapped_column(String(200), default="")
    previous_secret_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str] = mapped_column(String(500), default="")
    failing_since: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class WebhookDelivery(TenantOwned, Model):
    """One event for one endpoint (``message_id`` is the ``webhook-id`` header, the same on every
    attempt) and its latest attempt: pending → delivered, or failed after the retries."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("agency_id", "endpoint_id", "message_id", name="uq_webhook_delivery_endpoint_message"),
        Index("ix_webhook_delivery_agency_endpoint_created", "agency_id", "endpoint_id", "created_at"),
        CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_response: Mapped[str] = mapped_column(Text, default="")  # the first 1 KB of the answer
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
