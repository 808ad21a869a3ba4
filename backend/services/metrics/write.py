"""Writing points: the upsert per dialect, its audit entry and retries, and the push."""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import DBAPIError

from ...extensions import db
from ...models import Channel, Company, Mention, MetricPoint, utcnow
from ...tenancy import current_principal
from .. import audit
from ..companies import get_company
from ..errors import TooLarge, ValidationFailed
from .statements import dialect_name
from .validation import PointRow, PointValidator

log = logging.getLogger(__name__)
# Called with the company's id after a push or import changed points, once committed: the alert
# evaluation asks for a (debounced) run (backend/jobs/alerts.py registers itself here).
AFTER_WRITE_LISTENERS: list[Callable[[uuid.UUID], None]] = []


MAX_POINTS_PER_PUSH = 10_000


WRITE_CHUNK = 10_000


RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure


# The metrics mention records roll up into (backend/services/listening/rollup.py). Records win for
# the days they cover: for a channel-day with at least one mention record, a pushed or imported
# value of these is not stored (counted as ``kept_from_mentions``); days without records keep it.
RECORD_METRICS = ("mentions", "mentions_positive", "mentions_neutral", "mentions_negative", "response_time_minutes")



_PG_UPSERT = """
INSERT INTO metric_point (agency_id, company_id, channel_id, metric, date, value, updated_at)
SELECT %(agency_id)s, %(company_id)s, u.channel_id, u.metric, u.date, u.value, %(now)s
FROM unnest(%(channel_ids)s::uuid[], %(metrics)s::text[], %(dates)s::date[], %(values)s::float8[])
     AS u(channel_id, metric, date, value)
ON CONFLICT (agency_id, company_id, channel_id, metric, date)
DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at
WHERE metric_point.value IS DISTINCT FROM EXCLUDED.value
RETURNING (xmax = 0)
"""


_SQLITE_UPSERT = """
INSERT INTO metric_point (agency_id, company_id, channel_id, metric, date, value, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (agency_id, company_id, channel_id, metric, date)
DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
"""


def upsert(agency_id: uuid.UUID, company_id: uuid.UUID, channel_ids: dict[str, uuid.UUID], rows: list[PointRow],
           progress: Callable[[int], None] | None = None) -> tuple[int, int, int]:
    """Upsert ``rows`` ``(channel key, metric, date, value)`` in the session's transaction;
    returns (created, updated, unchanged).

    A write, so it may use driver-level SQL (one statement per chunk; no per-row ORM work).
    SQLite: the write lock is held since BEGIN IMMEDIATE, so reading the existing values of the
    batch's keys first gives exact counts, and only new or changed rows are written.
    PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE ... WHERE value
    IS DISTINCT FROM ... RETURNING (xmax = 0)`` per chunk counts atomically under concurrency;
    rows arrive sorted by key (see ``write_points``), so concurrent pushes take row locks in the same
    order and do not deadlock (a sort in SQL on text keys cost more than the insert).
    """
    now = utcnow()
    created = updated = unchanged = 0
    conn = db.session.connection()
    dialect = conn.dialect
    if dialect.name == "postgresql":
        # Connections plan every statement for its values (backend/database.py), which suits the
        # reads; this upsert's plan does not depend on them, and planning it for each chunk's
        # arrays cost the fresh push 40 % of its speed (27k -> 15k points/s on the benchmark).
        # For this transaction only: the cached plan.
        conn.exec_driver_sql("SET LOCAL plan_cache_mode = auto")
        ids = {k: str(v) for k, v in channel_ids.items()}
        for start in range(0, len(rows), WRITE_CHUNK):
            chunk = rows[start:start + WRITE_CHUNK]
            flags = conn.exec_driver_sql(_PG_UPSERT, {
                "agency_id": agency_id, "company_id": company_id, "now": now,
                "channel_ids": [ids[r[0]] for r in chunk], "metrics": [r[1] for r in chunk],
                "dates": [r[2] for r in chunk], "values": [r[3] for r in chunk],
            }).scalars().all()
            n_created = sum(1 for f in flags if f)
            created += n_created
            updated += len(flags) - n_created
            unchanged += len(chunk) - len(flags)
            if progress:
                progress(len(chunk))
        return created, updated, unchanged
    # SQLite: store values exactly as the ORM column types would (hex UUIDs, ISO dates).
    cols = MetricPoint.__table__.c

    def binder(column: ColumnElement[Any]) -> Callable[[Any], Any]:
        return column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)

    uuid_bind, date_bind, ts_bind = binder(cols.channel_id), binder(cols.date), binder(cols.updated_at)
    agency, company, stamp = uuid_bind(agency_id), uuid_bind(company_id), ts_bind(now)
    channel_text = {k: uuid_bind(v) for k, v in channel_ids.items()}
    date_text: dict[dt.date, Any] = {}
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start:start + WRITE_CHUNK]
        existing = existing_values(company_id, chunk)
        params = []
        for ch, m, d, v in chunk:
            if existing:
                old = existing.get((ch, m, d))
                if old is None:
                    created += 1
                elif old == v:
                    unchanged += 1
                    continue
                else:
                    updated += 1
            else:
                created += 1
            day = date_text.get(d)
            if day is None:
                day = date_text[d] = date_bind(d)
            params.append((agency, company, channel_text[ch], m, day, v, stamp))
        if params:
            conn.exec_driver_sql(_SQLITE_UPSERT, params)
        if progress:
            progress(len(chunk))
    return created, updated, unchanged


def existing_values(company_id: uuid.UUID, chunk: list[PointRow]) -> dict[tuple[str, str, dt.date], float]:
    """{(channel key, metric, date): value} stored for the keys of ``chunk`` (a superset query:
    the chunk's channels × metrics × dates).

    The dates are listed, not given as a range: a push of a backfill and of the latest days (the
    soak's) spans the whole history, and the range read every stored point of its channels in it
    (35,040 rows for 208 points, 100–250 ms, inside SQLite's write lock); the list reads the
    chunk's days only (336 rows, 1 ms). A contiguous run of days keeps the range (the same rows,
    fewer parameters)."""
    channels = {r[0] for r in chunk}
    metrics = {r[1] for r in chunk}
    dates = sorted({r[2] for r in chunk})
    contiguous = (dates[-1] - dates[0]).days == len(dates) - 1
    within = ([MetricPoint.date >= dates[0], MetricPoint.date <= dates[-1]] if contiguous
              else [MetricPoint.date.in_(dates)])
    stmt = (select(Channel.key, MetricPoint.metric, MetricPoint.date, MetricPoint.value)
            .join(Channel, Channel.id == MetricPoint.channel_id)
            .where(MetricPoint.company_id == company_id, Channel.company_id == company_id,
                   MetricPoint.metric.in_(metrics), *within, Channel.key.in_(channels)))
    return {(c, m, d): v for c, m, d, v in db.session.execute(stmt)}


def covered_by_records(company_id: uuid.UUID, channel_ids: dict[str, uuid.UUID], rows: list[PointRow]
                       ) -> set[tuple[str, dt.date]]:
    """The (channel key, day) pairs among ``rows``' values of RECORD_METRICS that have at least one
    mention record: their values come from the records (one statement; none without such rows)."""
    wanted = {(r[0], r[2]) for r in rows if r[1] in RECORD_METRICS}
    if not wanted:
        return set()
    keys = {channel_ids[ch]: ch for ch, _ in wanted if ch in channel_ids}
    days = sorted({d for _, d in wanted})
    found = db.session.execute(
        select(Mention.channel_id, Mention.day).distinct()
        .where(Mention.company_id == company_id, Mention.channel_id.in_(list(keys)),
               Mention.day >= days[0], Mention.day <= days[-1]))
    return {(keys[cid], day) for cid, day in found} & wanted


def without_covered(company_id: uuid.UUID, channel_ids: dict[str, uuid.UUID], rows: list[PointRow]
                    ) -> tuple[list[PointRow], int]:
    """``rows`` less the values the mention records own (records win for the days they cover):
    (the rows to store, how many were kept from the records)."""
    covered = covered_by_records(company_id, channel_ids, rows)
    if not covered:
        return rows, 0
    kept = [r for r in rows if not (r[1] in RECORD_METRICS and (r[0], r[2]) in covered)]
    return kept, len(rows) - len(kept)


def write_points(company: Company, channel_ids: dict[str, uuid.UUID], rows: list[PointRow], action: str,
                 summary: str, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Upsert and audit in one transaction, retried on PostgreSQL deadlock/serialization errors.

    Values of the mention metrics for channel-days with mention records are not stored (records
    win for the days they cover): the answer counts them in ``kept_from_mentions`` (present only
    when some were)."""
    agency_id, company_id = company.agency_id, company.id
    if dialect_name() == "postgresql":
        rows.sort()  # (channel key, metric, date): one lock order for every writer
    received = len(rows)
    attempt = 0
    while True:
        try:
            stored, kept = without_covered(company_id, channel_ids, rows)
            if kept and progress:
                progress(kept)
            created, updated, unchanged = upsert(agency_id, company_id, channel_ids, stored, progress)
            if created or updated:
                audit.record(action, object_type="company", object_id=company_id, company_id=company_id,
                             summary=f"{summary}: {created} created, {updated} updated, {unchanged} unchanged"
                             + (f", {kept} kept from mention records" if kept else ""))
            db.session.commit()
            break
        except DBAPIError as err:
            db.session.rollback()
            code = getattr(err.orig, "sqlstate", None)
            attempt += 1
            if code not in RETRYABLE_SQLSTATES or attempt >= 5:
                raise
            log.warning("metrics write retried after %s (attempt %d)", code, attempt)
    done = {"received": received, "created": created, "updated": updated, "unchanged": unchanged}
    if kept:
        done["kept_from_mentions"] = kept
    if created or updated:
        _publish_pushed(company_id, stored, action, done)
        for listener in AFTER_WRITE_LISTENERS:
            listener(company_id)
    return done


def _publish_pushed(company_id: uuid.UUID, rows: list[PointRow], action: str, done: dict[str, int]) -> None:
    """The ``metrics.pushed`` webhook: a summary of what was written (not the points), after the
    commit. A failure is logged, never raised: the points are stored."""
    from .. import webhooks

    try:
        days = [row[2] for row in rows]
        webhooks.publish("metrics.pushed", {
            "company_id": str(company_id), "source": "import" if action == "metrics.import" else "push",
            "channels": sorted({row[0] for row in rows}), "metrics": sorted({row[1] for row in rows}),
            "date_from": min(days).isoformat(), "date_to": max(days).isoformat(), **done}, company_id=company_id)
    except Exception:  # noqa: BLE001 - see the docstring
        db.session.rollback()
        log.exception("could not publish metrics.pushed for company %s", company_id)


def push_points(company_id: uuid.UUID | str, points: object) -> dict[str, int]:
    """Upsert a batch of points, all or nothing.

    :returns: ``{"received", "created", "updated", "unchanged"}``
    :raises ValidationFailed: ``errors=[{"index", "field", "message"}]`` (first 100, with
        ``error_count``); nothing is written.
    :raises TooLarge: more than 10,000 points.
    """
    p = current_principal()
    company = get_company(company_id)
    p.require("metrics:write", "Pushing metrics needs the metrics:write, write or admin permission.")
    if not isinstance(points, list):
        raise ValidationFailed.field("points", "Must be a list of points.")
    if len(points) > MAX_POINTS_PER_PUSH:
        raise TooLarge(f"A push takes at most {MAX_POINTS_PER_PUSH:,} points; this one has {len(points):,}. "
                       "Split it into several requests.", limit=MAX_POINTS_PER_PUSH)
    validator = PointValidator(company.id)
    validator.check(points)
    validator.raise_if_invalid()
    return write_points(company, validator.channels, validator.rows, "metrics.push", f"Pushed {len(points)} points")
