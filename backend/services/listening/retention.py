"""How long mention texts and authors are kept: each agency's ``mention_retention_months`` (24 by
default, 1 to 120), applied by a daily job (registered in backend/jobs/listening.py).

Mention texts, authors (name, handle, followers), places and links are personal data. A mention
published more than the agency's retention period ago is deleted with its topic tags; the daily
counts it was rolled up into (``mentions*``, ``response_time_minutes`` in ``metric_point``) stay
as they are, so the dashboard's history does not change. A report whose period holds a deleted
mention's day has its stored PDF dropped and made again (its *What people said* examples were
those texts and authors), as an author's erasure does. On SQLite the full-text index is then
optimized (its segments are merged, so no deleted word lingers in them); PostgreSQL's dead rows
are vacuumed by autovacuum.
"""
from __future__ import annotations

import calendar
import datetime as dt
import logging
import uuid
from collections import defaultdict

from sqlalchemy import delete, select, text

from ...bounds import MENTION_RETENTION_DEFAULT_MONTHS, MENTION_RETENTION_MAX_MONTHS, MENTION_RETENTION_MIN_MONTHS
from ...extensions import db
from ...models import Agency, Mention, MentionTopic, Report
from ...tenancy import Principal, acting_as, cross_tenant
from .. import audit
from .mentions import drop_report_pdfs, remade_pdfs

log = logging.getLogger(__name__)

DEFAULT_MONTHS = MENTION_RETENTION_DEFAULT_MONTHS
MIN_MONTHS, MAX_MONTHS = MENTION_RETENTION_MIN_MONTHS, MENTION_RETENTION_MAX_MONTHS
BATCH = 1_000  # mentions deleted per transaction (a short write lock each)


def _utcnow() -> dt.datetime:
    """The clock (replaced in tests)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """The same time ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def cutoff(months: int, now: dt.datetime | None = None) -> dt.datetime:
    """Mentions published before this moment (UTC, naive) are past a retention of ``months``."""
    return months_before(now or _utcnow(), months)


def purge_agency(agency_id: uuid.UUID, months: int, now: dt.datetime | None = None) -> int:
    """Delete one agency's mentions older than ``months``, in batches of BATCH (each committed with
    the tags of its mentions); the daily counts stay, and the PDFs of reports over the days they
    were on are made again. Returns how many were deleted."""
    before = cutoff(months, now)
    deleted = 0
    days: dict[uuid.UUID, set[dt.date]] = defaultdict(set)  # company -> days that lost mentions
    reports: list[Report] = []
    with acting_as(Principal.system(agency_id, "job:mention_retention")):
        while True:
            rows = db.session.execute(
                select(Mention.seq, Mention.company_id, Mention.day)
                .where(Mention.agency_id == agency_id, Mention.published_at < before)
                .order_by(Mention.seq).limit(BATCH)).all()
            seqs = [seq for seq, _, _ in rows]
            if seqs:
                db.session.execute(delete(MentionTopic).where(MentionTopic.mention_seq.in_(seqs))
                                   .execution_options(synchronize_session=False))
                db.session.execute(delete(Mention).where(Mention.seq.in_(seqs))
                                   .execution_options(synchronize_session=False))
                deleted += len(seqs)
                for _, company_id, day in rows:
                    days[company_id].add(day)
            if len(seqs) < BATCH and deleted:
                for company_id, company_days in days.items():
                    reports += drop_report_pdfs(company_id, company_days)
                audit.record("mentions.retention", object_type="agency", object_id=agency_id,
                             summary=f"Deleted {deleted:,} mention{'s' if deleted != 1 else ''} published before "
                                     f"{before:%Y-%m-%d %H:%M} UTC (kept {months} months); the daily counts stay"
                                     + remade_pdfs(len(reports)))
            db.session.commit()
            if len(seqs) < BATCH:
                break
        if reports:
            from ...reporting import request_pdf

            for report in reports:
                request_pdf(report)
    return deleted


def optimize_search_index() -> None:
    """SQLite: merge the full-text index's segments, so deleted words leave no trace in it."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO mention_fts(mention_fts) VALUES('optimize')"))
        db.session.commit()


def purge_expired(now: dt.datetime | None = None) -> int:
    """Every agency's mentions past its retention period deleted (see the module docstring);
    returns how many. ``now``: UTC, naive (default: the clock)."""
    now = now or _utcnow()
    with cross_tenant("the daily retention job reads every agency's retention period"):
        agencies = db.session.execute(select(Agency.id, Agency.mention_retention_months)).all()
    db.session.rollback()
    total = 0
    for agency_id, months in agencies:
        months = min(MAX_MONTHS, max(MIN_MONTHS, months or DEFAULT_MONTHS))
        n = purge_agency(agency_id, months, now)
        if n:
            log.info("mention retention: %d mention(s) of agency %s deleted (older than %d months)",
                     n, agency_id, months)
        total += n
    if total:
        optimize_search_index()
    return total
