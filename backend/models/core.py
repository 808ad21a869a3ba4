"""The core models: agencies, people, companies, their strategy, goals, channels, campaigns and
metrics, and the platform's own records (idempotency, audit, jobs, branding)."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

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
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..bounds import MENTION_RETENTION_DEFAULT_MONTHS
from ..extensions import Model
from .base import CompanyOwned, TenantOwned, new_id, utcnow


class Agency(Model):
    """The tenant: one customer of the SaaS."""

    __tablename__ = "agency"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # How long mention texts and authors are kept (listening, issue 18); the daily counts stay.
    mention_retention_months: Mapped[int] = mapped_column(Integer, default=MENTION_RETENTION_DEFAULT_MONTHS,
                                                          server_default=str(MENTION_RETENTION_DEFAULT_MONTHS))
    # The language of its people who chose none and whose browser asks for none of ours (backend/i18n.py).
    default_locale: Mapped[str] = mapped_column(String(8), default="en", server_default="en")


class User(TenantOwned, Model):
    """A person who logs in: agency staff (via membership) or a client viewer (via access)."""

    __tablename__ = "user"
    __table_args__ = (Index("ix_user_agency_email", "agency_id", "email"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Sessions carry the epoch they were made in; logout, a password change, deactivation, a role
    # change and "sign out everywhere" raise it, and every older session stops working.
    auth_epoch: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The language chosen in the navigation bar's menu (backend/i18n.py); None: the browser's.
    locale: Mapped[str | None] = mapped_column(String(8), nullable=True)

    membership: Mapped[AgencyMembership | None] = relationship(
        back_populates="user", uselist=False, cascade="all, delete-orphan"
    )
    client_access: Mapped[list[ClientAccess]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    if TYPE_CHECKING:
        # Not stored: set on the new person for the API's create response only (backend/api/users/).
        set_password_token: str | None
        set_password_url: str | None

    # Flask-Login
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        """What the session stores: the id and the auth epoch (see ``auth_epoch``)."""
        return f"{self.id}:{self.auth_epoch}"

    @property
    def role(self) -> str:
        return self.membership.role if self.membership else "viewer"


class AgencyMembership(TenantOwned, Model):
    """Agency staff: owner, admin or member."""

    __tablename__ = "agency_membership"
    __table_args__ = (
        UniqueConstraint("agency_id", "user_id"),
        CheckConstraint("role IN ('owner','admin','member')", name="role"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="membership")


class Company(TenantOwned, Model):
    """A client account of one agency."""

    __tablename__ = "company"
    __table_args__ = (
        UniqueConstraint("agency_id", "name"),
        UniqueConstraint("agency_id", "id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ClientAccess(CompanyOwned, Model):
    """A client viewer's access to one company."""

    __tablename__ = "client_access"
    __table_args__ = (
        UniqueConstraint("agency_id", "user_id", "company_id"),
        CheckConstraint("role IN ('viewer')", name="role"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("company.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="viewer")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="client_access")


class ApiKey(TenantOwned, Model):
    """A credential for third parties. Only a hash of the key is stored."""

    __tablename__ = "api_key"
    __table_args__ = (Index("ix_api_key_agency_created", "agency_id", "created_at"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("company.id", ondelete="CASCADE"), nullable=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    if TYPE_CHECKING:
        # Not stored: the key itself, set on the new key for the API's create response only
        # (backend/api/api_keys/).
        key: str


class Channel(CompanyOwned, Model):
    """One presence of a company on one platform, keyed inside the company (``facebook``)."""

    __tablename__ = "channel"
    __table_args__ = (
        UniqueConstraint("agency_id", "company_id", "key"),
        UniqueConstraint("agency_id", "id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200), default="")
    handle: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    purpose: Mapped[str] = mapped_column(Text, default="")
    followers_target: Mapped[float | None] = mapped_column(Float, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MetricDefinition(TenantOwned, Model):
    """An agency's custom gauge or flow. Built-in metrics live in code (services/catalog)."""

    __tablename__ = "metric_definition"
    __table_args__ = (
        UniqueConstraint("agency_id", "key"),
        CheckConstraint("kind IN ('gauge','flow')", name="kind"),
        CheckConstraint("better IN ('higher','lower')", name="better"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32), default="")
    kind: Mapped[str] = mapped_column(String(10))
    better: Mapped[str] = mapped_column(String(10), default="higher")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Strategy(CompanyOwned, Model):
    """A company's social-media strategy: the current version. History in StrategyRevision."""

    __tablename__ = "strategy"
    __table_args__ = (UniqueConstraint("agency_id", "company_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    objective: Mapped[str] = mapped_column(Text, default="")
    business_alignment: Mapped[str] = mapped_column(Text, default="")
    audiences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    engagement_approach: Mapped[str] = mapped_column(Text, default="")
    personality: Mapped[str] = mapped_column(Text, default="")
    channel_plan: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    launch_plan: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    review_cadence: Mapped[str] = mapped_column(String(20), default="monthly")
    status: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


class StrategyRevision(CompanyOwned, Model):
    """One saved version of a strategy, with the fields that changed (old and new values)."""

    __tablename__ = "strategy_revision"
    __table_args__ = (UniqueConstraint("agency_id", "company_id", "revision"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    revision: Mapped[int] = mapped_column(Integer)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(254), nullable=True)


class Goal(CompanyOwned, Model):
    """A sub-goal of a strategy with one measurable KPI."""

    __tablename__ = "goal"
    __table_args__ = (Index("ix_goal_agency_company", "agency_id", "company_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(200), default="")
    kpi_metric: Mapped[str] = mapped_column(String(64))
    kpi_channel: Mapped[str] = mapped_column(String(64), default="all")
    kpi_aggregation: Mapped[str] = mapped_column(String(10))
    kpi_baseline: Mapped[float | None] = mapped_column(Float, nullable=True)
    kpi_target: Mapped[float] = mapped_column(Float)
    kpi_start_date: Mapped[dt.date] = mapped_column(Date)
    kpi_deadline: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Campaign(CompanyOwned, Model):
    """A time-boxed push on some channels, drawn on the dashboard; budget feeds ROI."""

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_agency_company_start", "agency_id", "company_id", "start_date"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    channels: Mapped[list[str]] = mapped_column(JSON, default=list)
    budget: Mapped[float | None] = mapped_column(Float, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MetricPoint(CompanyOwned, Model):
    """One daily value of one metric on one channel. Natural key: (company, channel, metric, date)."""

    __tablename__ = "metric_point"
    __table_args__ = (
        UniqueConstraint("agency_id", "company_id", "channel_id", "metric", "date",
                         name="uq_metric_point_natural"),
        # Reads go by (tenant, metric, date range); channel and value ride along in the key so that
        # sums and series are answered from the index alone (SQLite has no INCLUDE; on PostgreSQL
        # an index-only scan once the visibility map is set).
        Index("ix_metric_point_metric_date_covering", "agency_id", "company_id", "metric", "date", "channel_id",
              "value"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("channel.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(64))
    date: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class IdempotencyRecord(TenantOwned, Model):
    """The first response to a request sent with an ``Idempotency-Key`` header (kept 24 h)."""

    __tablename__ = "idempotency_record"
    __table_args__ = (
        UniqueConstraint("agency_id", "credential", "key"),
        # Each request deletes its credential's records older than 24 h: without this index that
        # reads every record of the credential inside the write (36 ms at a day of 2 pushes/s).
        Index("ix_idempotency_record_agency_credential_created", "agency_id", "credential", "created_at"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    credential: Mapped[str] = mapped_column(String(64))  # api key id or user id
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(12), default="running")  # running | done
    response_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_body: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    # While running: which process holds the key ("host:pid") and until when (a short lease).
    holder: Mapped[str | None] = mapped_column(String(128), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEntry(TenantOwned, Model):
    """Who did what to which object, when: one row per state-changing action."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_agency_created", "agency_id", "created_at"),
        Index("ix_audit_entry_agency_company", "agency_id", "company_id"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, nullable=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    summary: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class PasswordToken(TenantOwned, Model):
    """A one-time link to set a password (no mail server is assumed). Only a hash is stored."""

    __tablename__ = "password_token"
    __table_args__ = (Index("ix_password_token_agency_user", "agency_id", "user_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class JobFailure(TenantOwned, Model):
    """A job that failed after its last retry (backend/jobs/). An agency's job carries its
    ``agency_id`` and shows on its /manage/jobs page; a system job (database upkeep) has none and
    shows on /healthz and in the consumer's log, never to an agency."""

    __tablename__ = "job_failure"
    __table_args__ = (Index("ix_job_failure_agency_failed", "agency_id", "failed_at"),)
    # System jobs write rows without an agency, inside cross_tenant() (backend/scoping.py).
    __system_rows__ = True
    agency_id: Mapped[uuid.UUID | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("agency.id", ondelete="CASCADE"), nullable=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    job: Mapped[str] = mapped_column(String(100))
    task_id: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    error: Mapped[str] = mapped_column(String(1000))  # exception type and message, shown to staff
    traceback: Mapped[str] = mapped_column(Text, default="")  # for operators (CLI), never on a page
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class AgencyBranding(TenantOwned, Model):
    """The agency's branding (one row per agency, made on first change): what its clients see on
    their dashboards, and what reports and e-mails will carry (backend/services/branding.py)."""

    __tablename__ = "agency_branding"
    __table_args__ = (UniqueConstraint("agency_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    primary_color: Mapped[str] = mapped_column(String(7), default="")  # "#RRGGBB", or "" for the default
    email_sender_name: Mapped[str] = mapped_column(String(100), default="")
    footer: Mapped[str] = mapped_column(String(200), default="")
    # The logo (≤ 1 MB, checked and sanitised on upload); deferred: the navbar reads only its hash.
    logo: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    logo_type: Mapped[str] = mapped_column(String(40), default="")
    logo_sha256: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

