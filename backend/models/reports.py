"""Client reports (issue 13): a company's report for a period, its deliveries by e-mail, the
schedules that make and send them, and the read-only share links to a report or a board."""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .base import CompanyOwned, new_id, utcnow


class Report(CompanyOwned, Model):
    """A company's report for one period (a month, a quarter or a custom range) with the agency's
    commentary. Life: draft → ready (reviewed by staff) → sent. One report per company and period:
    generating the same report twice finds the first (the unique constraint)."""

    __tablename__ = "report"
    __table_args__ = (
        UniqueConstraint("agency_id", "company_id", "period_start", "period_end", name="uq_report_period"),
        CheckConstraint("status IN ('draft', 'ready', 'sent')", name="status"),
        CheckConstraint("period_kind IN ('month', 'quarter', 'custom')", name="period_kind"),
        CheckConstraint("period_end >= period_start", name="period_order"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    period_kind: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[dt.date] = mapped_column(Date)
    period_end: Mapped[dt.date] = mapped_column(Date)  # inclusive
    status: Mapped[str] = mapped_column(String(10), default="draft")
    commentary: Mapped[str] = mapped_column(Text, default="")
    highlighted_goal_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The schedule that made it, if any (a person may also make one by hand).
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_schedule.id", ondelete="SET NULL"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    ready_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    ready_by: Mapped[str] = mapped_column(String(254), default="")
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    # Bumped on every change of what the report shows; the PDF is current when pdf_version equals it.
    version: Mapped[int] = mapped_column(Integer, default=1)
    # The PDF, rendered by the worker and stored (deferred: lists never load it).
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)
    pdf_version: Mapped[int] = mapped_column(Integer, default=0)
    pdf_sha256: Mapped[str] = mapped_column(String(64), default="")
    pdf_rendered_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    pdf_pages: Mapped[int] = mapped_column(Integer, default=0)
    pdf_error: Mapped[str] = mapped_column(String(1000), default="")  # why the last rendering failed


class ReportDelivery(CompanyOwned, Model):
    """One sending of a report by e-mail to a list of recipients: queued → sent, or failed with the
    SMTP error or bounce that stopped it (retried by the worker first). A schedule sends a report
    at most once (the unique constraint; a person's sends have no schedule and are not limited)."""

    __tablename__ = "report_delivery"
    __table_args__ = (
        UniqueConstraint("agency_id", "schedule_id", "report_id", name="uq_report_delivery_schedule_report"),
        Index("ix_report_delivery_agency_report", "agency_id", "report_id"),
        CheckConstraint("status IN ('queued', 'sent', 'failed')", name="status"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"))
    schedule_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("report_schedule.id", ondelete="SET NULL"), nullable=True)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    message_id: Mapped[str] = mapped_column(String(200), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(String(1000), default="")  # the SMTP error or bounce, shown to staff
    requested_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)


class ReportSchedule(CompanyOwned, Model):
    """Make (and, without review, send) a company's report every week or month, on a day and at an
    hour in the company's time zone, covering the period before it."""

    __tablename__ = "report_schedule"
    __table_args__ = (
        CheckConstraint("cadence IN ('weekly', 'monthly')", name="cadence"),
        CheckConstraint("hour >= 0 AND hour <= 23", name="hour"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    cadence: Mapped[str] = mapped_column(String(10))
    weekday: Mapped[int | None] = mapped_column(Integer, nullable=True)  # weekly: 0 = Monday … 6
    day_of_month: Mapped[int | None] = mapped_column(Integer, nullable=True)  # monthly: 1 … 28
    hour: Mapped[int] = mapped_column(Integer, default=8)  # in the company's time zone
    period: Mapped[str] = mapped_column(String(20))  # what a run covers, e.g. "previous_month"
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    starts_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)  # no run before this day (local)
    require_review: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    next_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)  # UTC
    last_run_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str] = mapped_column(String(1000), default="")
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class ShareLink(CompanyOwned, Model):
    """A read-only link to one report, or to the company's board for a fixed range, until it
    expires (at most 90 days) or is revoked. Only the token's SHA-256 digest is stored; the token
    is shown once, when the link is made. An optional PIN is stored as an argon2 hash."""

    __tablename__ = "share_link"
    __table_args__ = (
        Index("ix_share_link_agency_company", "agency_id", "company_id"),
        CheckConstraint("kind IN ('report', 'board')", name="kind"),
    )
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(10))
    report_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id", ondelete="CASCADE"), nullable=True)
    board_from: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    board_to: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    label: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(200), default="")
    # Wrong PINs entered, shown to staff; the attempts are limited by the rate limiter's storage
    # (SHARE_PIN_RATE_LIMIT, per link, shared by every worker), not by a column.
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    view_count: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    def state(self, now: dt.datetime) -> str:
        """"active", "expired" or "revoked"."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"

