"""The metrics service: push (upsert) daily points, read them back bucketed, summaries, the
portfolio rows, CSV import/export. Used by the API, the CLI, goal progress and the dashboard.

Rules worth knowing (also in the README, section "metrics"):

- A point is one daily value of a stored metric (gauge or flow) on one channel; the natural key
  is (agency, company, channel, metric, date). Pushing upserts: the last write wins, an equal
  value counts as ``unchanged`` and is not rewritten.
- Buckets (``day``, ``week``, ``month``) are computed in SQL and labelled by their first day
  (ISO weeks start on Monday). In a bucket a flow is the sum of its days, a gauge its last value;
  ratio metrics (engagement_rate, cost_per_1k_reach, roi, sentiment_score) are computed from the
  bucket's sums of their inputs and are left out where undefined (e.g. no reach).
- ``follower_growth`` of a channel in a bucket = its last followers value in the bucket minus its
  last value before the bucket (or, when it has none before, its first value inside the bucket:
  a newly connected channel is not growth). For several channels it is the sum of their growths.
- ``channel="all"``: flows are summed over channels; a gauge is the sum over channels of each
  channel's last known value up to the end of the bucket (carried forward from before the
  bucket, and from before the requested range, when it has none inside). Buckets with no point
  of that metric on any channel are left out.

Reads name MetricPoint through ORM attributes; they also say the agency and company explicitly,
because the scoping hook cannot see entities inside subqueries, and so the indexes leading with
(agency_id, company_id) are used.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import uuid
from collections import defaultdict
from typing import Callable, Iterable, Iterator

from sqlalchemy import (Date, DateTime, Integer, String, and_, cast, func, literal, literal_column, select, type_coerce,
                        union_all)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Channel, Company, MetricPoint, utcnow
from ..tenancy import acting_as, current_principal
from . import audit, catalog
from .companies import get_company
from ..bounds import (CSV_MAX_BYTES, CSV_MAX_ERRORS, CSV_MAX_ROWS, DATE_MIN, READ_MAX_DAYS, READ_MAX_POINTS,
                      READ_MAX_YEARS)
from .errors import TooLarge, ValidationFailed

log = logging.getLogger(__name__)

MAX_POINTS_PER_PUSH = 10_000
MAX_ERRORS = 100
MIN_DATE = DATE_MIN
GRANULARITIES = ("day", "week", "month")
WRITE_CHUNK = 10_000
RETRYABLE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure
POINT_FIELDS = frozenset(("channel", "metric", "date", "value"))
RATIO_METRICS = ("engagement_rate", "cost_per_1k_reach", "roi", "sentiment_score")
GROWTH = "follower_growth"


# --------------------------------------------------------------------------------------------
# Validation (the fast path: one tight loop, no marshmallow per point)
# --------------------------------------------------------------------------------------------
class ErrorLimitReached(Exception):
    """The validator met its error limit at the point ``index``: the rest is not checked."""

    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


class PointValidator:
    """Checks points against one company's channels and the agency's catalog.

    Keeps the keys it has seen, so a CSV file checked in chunks still finds duplicates.
    ``rows`` collects valid points as ``(channel key, metric, date, value)``.
    """

    def __init__(self, company_id: uuid.UUID, today: dt.date | None = None, error_limit: int | None = None):
        self.company_id = company_id
        self.error_limit = error_limit
        self.channels: dict[str, uuid.UUID] = {
            key: cid for cid, key in db.session.execute(
                select(Channel.id, Channel.key).where(Channel.company_id == company_id))
        }
        self.defs = catalog.definitions()
        today = today or dt.datetime.now(dt.timezone.utc).date()
        self.max_date = today + dt.timedelta(days=1)
        self._dates: dict[str, dt.date | str] = {}
        self._valid_dates: dict[str, dt.date] = {}
        self._nonnegative = {k: d.builtin for k, d in self.defs.items() if d.kind != catalog.DERIVED}
        self.seen: dict[tuple, int] = {}
        self.rows: list[tuple] = []
        self.errors: list[dict] = []
        self.error_count = 0

    def _error(self, index: int, field: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"index": index, "field": field, "message": message})
        if self.error_limit is not None and self.error_count >= self.error_limit:
            raise ErrorLimitReached(index)

    def _date(self, value) -> dt.date | str:
        """A date, or the error message for it (cached: a batch repeats its dates)."""
        hit = self._dates.get(value)
        if hit is not None:
            return hit
        out: dt.date | str
        if len(value) != 10 or value[4] != "-" or value[7] != "-":
            out = "Must be a date as YYYY-MM-DD."
        else:
            try:
                out = dt.date(int(value[:4]), int(value[5:7]), int(value[8:]))
            except ValueError:
                out = "Not a real date; use YYYY-MM-DD."
            else:
                if out < MIN_DATE or out > self.max_date:
                    out = f"Must be between {MIN_DATE.isoformat()} and {self.max_date.isoformat()} (tomorrow)."
        if len(self._dates) < 10_000:
            self._dates[value] = out
            if type(out) is dt.date:
                self._valid_dates[value] = out
        return out

    def check(self, points: list, offset: int = 0) -> None:
        """Validate ``points`` (index = offset + position); valid ones go to ``rows``.

        A well-formed point takes the fast path (a few dict lookups); anything unusual goes to
        :meth:`_check_one`, which finds every error of that point."""
        channels, seen, rows, dates = self.channels, self.seen, self.rows, self._valid_dates
        nonneg = self._nonnegative  # storable metric -> must be >= 0 (built-in)
        for i, p in enumerate(points, offset):
            if type(p) is dict and len(p) == 4:
                try:
                    ch, m, ds, v = p["channel"], p["metric"], p["date"], p["value"]
                    positive_only = nonneg.get(m)
                    day = dates.get(ds)
                    if day is None and type(ds) is str:
                        day = self._date(ds)
                        if type(day) is str:
                            day = None
                    tv = type(v)
                    if tv is int:
                        v, tv = float(v), float
                    if (tv is float and v - v == 0 and positive_only is not None and day is not None
                            and ch in channels and type(ch) is str and type(m) is str
                            and (v >= 0 or not positive_only)):
                        key = (ch, m, day)
                        if key not in seen:
                            seen[key] = i
                            rows.append((ch, m, day, v))
                            continue
                except (KeyError, TypeError, OverflowError):
                    pass
            self._check_one(p, i)

    def _check_one(self, p, i: int) -> None:
        """Every error of one point (the slow path); appends the point when it is valid."""
        channels, defs, error = self.channels, self.defs, self._error
        if type(p) is not dict:
            error(i, "point", "Must be an object with channel, metric, date and value.")
            return
        ok = True
        if p.keys() != POINT_FIELDS:
            for name in sorted(POINT_FIELDS - p.keys()):
                error(i, name, "Missing data for required field.")
            for name in sorted(str(k) for k in p.keys() - POINT_FIELDS):
                error(i, name, "Unknown field.")
            ok = False
        channel = p.get("channel")
        channel_ok = False
        if "channel" in p:
            if type(channel) is not str:
                error(i, "channel", "Must be a string (a channel key).")
                ok = False
            elif channel not in channels:
                error(i, "channel", f"No channel '{channel}' in this company.")
                ok = False
            else:
                channel_ok = True
        metric = p.get("metric")
        mdef = None
        if "metric" in p:
            if type(metric) is not str:
                error(i, "metric", "Must be a string (a metric key).")
                ok = False
            else:
                mdef = defs.get(metric)
                if mdef is None:
                    error(i, "metric", f"Unknown metric '{metric}'.")
                    ok = False
                elif mdef.kind == catalog.DERIVED:
                    error(i, "metric", f"'{metric}' is derived (computed from "
                          f"{', '.join(mdef.inputs)}); push its inputs instead.")
                    ok = False
                    mdef = None
        day = None
        if "date" in p:
            raw = p["date"]
            day = self._date(raw) if type(raw) is str else "Must be a date as YYYY-MM-DD."
            if type(day) is str:
                error(i, "date", day)
                ok = False
        value = None
        if "value" in p:
            value = p["value"]
            tv = type(value)
            if tv is float or tv is int:
                try:
                    value = float(value)
                except OverflowError:
                    value = math.inf
                if not math.isfinite(value):
                    error(i, "value", "Must be a finite number.")
                    ok = False
                elif value < 0 and mdef is not None and mdef.builtin:
                    error(i, "value", f"Must be 0 or more for the built-in metric '{metric}'.")
                    ok = False
            else:
                error(i, "value", "Must be a number.")
                ok = False
        if channel_ok and mdef is not None and type(day) is dt.date:
            key = (channel, metric, day)
            first = self.seen.get(key)
            if first is not None:
                error(i, "date", f"Duplicate of point {first}: the same channel, metric and date "
                      "appear twice in this batch.")
                return
            self.seen[key] = i
        if ok:
            self.rows.append((channel, metric, day, value))

    def raise_if_invalid(self, what: str = "point") -> None:
        if self.error_count:
            raise ValidationFailed(
                f"{self.error_count} invalid {what}{'s' if self.error_count != 1 else ''}; nothing was written."
                + (f" The first {MAX_ERRORS} are listed." if self.error_count > MAX_ERRORS else ""),
                errors=self.errors,
                error_count=self.error_count,
            )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def _dialect() -> str:
    return db.session.get_bind().dialect.name


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


def _upsert(agency_id: uuid.UUID, company_id: uuid.UUID, channel_ids: dict[str, uuid.UUID], rows: list[tuple],
            progress: Callable[[int], None] | None = None) -> tuple[int, int, int]:
    """Upsert ``rows`` ``(channel key, metric, date, value)`` in the session's transaction;
    returns (created, updated, unchanged).

    A write, so it may use driver-level SQL (one statement per chunk; no per-row ORM work).
    SQLite: the write lock is held since BEGIN IMMEDIATE, so reading the existing values of the
    batch's keys first gives exact counts, and only new or changed rows are written.
    PostgreSQL: one ``INSERT ... SELECT FROM unnest(arrays) ON CONFLICT DO UPDATE ... WHERE value
    IS DISTINCT FROM ... RETURNING (xmax = 0)`` per chunk counts atomically under concurrency;
    rows arrive sorted by key (see ``_write``), so concurrent pushes take row locks in the same
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

    def binder(column):
        return column.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)

    uuid_bind, date_bind, ts_bind = binder(cols.channel_id), binder(cols.date), binder(cols.updated_at)
    agency, company, stamp = uuid_bind(agency_id), uuid_bind(company_id), ts_bind(now)
    channel_text = {k: uuid_bind(v) for k, v in channel_ids.items()}
    date_text: dict = {}
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start:start + WRITE_CHUNK]
        existing = _existing_values(company_id, chunk)
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


def _existing_values(company_id: uuid.UUID, chunk: list[tuple]) -> dict[tuple, float]:
    """{(channel key, metric, date): value} stored for the keys of ``chunk`` (a superset query)."""
    channels = {r[0] for r in chunk}
    metrics = {r[1] for r in chunk}
    dates = [r[2] for r in chunk]
    stmt = (select(Channel.key, MetricPoint.metric, MetricPoint.date, MetricPoint.value)
            .join(Channel, Channel.id == MetricPoint.channel_id)
            .where(MetricPoint.company_id == company_id, Channel.company_id == company_id,
                   MetricPoint.metric.in_(metrics), MetricPoint.date >= min(dates), MetricPoint.date <= max(dates),
                   Channel.key.in_(channels)))
    return {(c, m, d): v for c, m, d, v in db.session.execute(stmt)}


def _write(company: Company, channel_ids: dict[str, uuid.UUID], rows: list[tuple], action: str, summary: str,
           progress: Callable[[int], None] | None = None) -> dict:
    """Upsert and audit in one transaction, retried on PostgreSQL deadlock/serialization errors."""
    agency_id, company_id = company.agency_id, company.id
    if _dialect() == "postgresql":
        rows.sort()  # (channel key, metric, date): one lock order for every writer
    attempt = 0
    while True:
        try:
            created, updated, unchanged = _upsert(agency_id, company_id, channel_ids, rows, progress)
            if created or updated:
                audit.record(action, object_type="company", object_id=company_id, company_id=company_id,
                             summary=f"{summary}: {created} created, {updated} updated, {unchanged} unchanged")
            db.session.commit()
            break
        except DBAPIError as err:
            db.session.rollback()
            code = getattr(err.orig, "sqlstate", None)
            attempt += 1
            if code not in RETRYABLE_SQLSTATES or attempt >= 5:
                raise
            log.warning("metrics write retried after %s (attempt %d)", code, attempt)
    return {"received": len(rows), "created": created, "updated": updated, "unchanged": unchanged}


def push_points(company_id, points: list[dict]) -> dict:
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
    return _write(company, validator.channels, validator.rows, "metrics.push", f"Pushed {len(points)} points")


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------
LONG_COLUMNS = ("date", "channel", "metric", "value")
CSV_CHUNK_ROWS = 10_000


def _parse_number(text: str):
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text  # the validator answers "Must be a number."


def import_csv(company_id, lines: Iterable[str], *, progress: Callable[[str, int], None] | None = None,
               log_every: int = 50_000) -> dict:
    """Import a CSV file (long form ``date,channel,metric,value`` or wide form
    ``date,channel,<metric>,...``), all or nothing: every row is checked before anything is
    written, then all points are upserted in one transaction.

    Errors carry the CSV row number (the header is row 1): ``[{"row", "field", "message"}]``.
    ``progress(phase, n)`` is called with ``("read", rows so far)`` and ``("write", points)``.

    Bounded: more than CSV_MAX_ROWS rows (or values, in the wide form) is a 413 as soon as the
    limit is passed; checking stops at CSV_MAX_ERRORS errors and the answer says how many rows
    were not checked. (The API and the admin page refuse files over CSV_MAX_BYTES before this.)
    """
    p = current_principal()
    company = get_company(company_id)
    p.require("metrics:write", "Importing metrics needs the metrics:write, write or admin permission.")
    validator = PointValidator(company.id, error_limit=CSV_MAX_ERRORS)
    reader = csv.reader(lines)
    row_of: list[int] = []  # point index -> CSV row
    ordinal_of: list[int] = []  # point index -> data row ordinal (1 = first row after the header)
    header_errors: list[dict] = []
    n_rows = 0
    not_checked = 0
    try:
        header = next(reader, None)
        if header is None:
            raise ValidationFailed("The CSV file is empty.", errors=[{"row": 1, "field": "header",
                                   "message": "The first row must be the header."}])
        columns = [h.strip().lower() for h in header]
        wide = set(columns) != set(LONG_COLUMNS) or len(columns) != 4
        if wide and "metric" in columns and "value" in columns:
            raise ValidationFailed(
                "The CSV header is not recognised.",
                errors=[{"row": 1, "field": "header",
                         "message": "The long form has exactly the columns date,channel,metric,value."}])
        if "date" not in columns or "channel" not in columns or (wide and len(columns) < 3):
            raise ValidationFailed(
                "The CSV header is not recognised.",
                errors=[{"row": 1, "field": "header", "message":
                         "Use 'date,channel,metric,value' (long form) or 'date,channel,<metric>,...' (wide form)."}])
        for name in {c for c in columns if columns.count(c) > 1}:
            header_errors.append({"row": 1, "field": name, "message": "This column appears twice."})
        i_date, i_channel = columns.index("date"), columns.index("channel")
        if wide:
            metric_cols = [(i, c) for i, c in enumerate(columns) if i not in (i_date, i_channel)]
            for _, c in metric_cols:
                d = validator.defs.get(c)
                if d is None:
                    header_errors.append({"row": 1, "field": c, "message": f"Unknown metric '{c}'."})
                elif d.kind == catalog.DERIVED:
                    header_errors.append({"row": 1, "field": c, "message": f"'{c}' is derived; import its inputs."})
            if header_errors:
                raise ValidationFailed("The CSV header has errors.", errors=header_errors,
                                       error_count=len(header_errors))
        else:
            if header_errors:
                raise ValidationFailed("The CSV header has errors.", errors=header_errors)
            i_metric, i_value = columns.index("metric"), columns.index("value")
        width = len(columns)
        chunk: list[dict] = []
        try:
            for cells in reader:
                n_rows += 1
                if n_rows > CSV_MAX_ROWS or len(row_of) > CSV_MAX_ROWS:
                    raise TooLarge(f"The CSV has more than {CSV_MAX_ROWS:,} rows (or values); import at most "
                                   f"{CSV_MAX_ROWS:,} per file. Nothing was written.", limit=CSV_MAX_ROWS)
                row = reader.line_num
                if not cells or (len(cells) == 1 and not cells[0].strip()):
                    continue
                if len(cells) != width:
                    validator.check(chunk, len(row_of) - len(chunk))  # earlier rows' errors come first
                    chunk = []
                    if len(validator.errors) < MAX_ERRORS:
                        validator.errors.append({"index": -1, "row": row, "field": "row",
                                                 "message": f"Expected {width} cells, got {len(cells)}."})
                    validator.error_count += 1
                    if validator.error_count >= CSV_MAX_ERRORS:
                        raise ErrorLimitReached(-1)
                    continue
                date_text, channel = cells[i_date].strip(), cells[i_channel].strip()
                if wide:
                    for i, metric in metric_cols:
                        cell = cells[i].strip()
                        if cell:
                            chunk.append({"channel": channel, "metric": metric, "date": date_text,
                                          "value": _parse_number(cell)})
                            row_of.append(row)
                            ordinal_of.append(n_rows)
                else:
                    chunk.append({"channel": channel, "metric": cells[i_metric].strip(), "date": date_text,
                                  "value": _parse_number(cells[i_value])})
                    row_of.append(row)
                    ordinal_of.append(n_rows)
                if len(chunk) >= CSV_CHUNK_ROWS:
                    validator.check(chunk, len(row_of) - len(chunk))
                    chunk = []
                if progress and n_rows % 1000 == 0:
                    progress("read", n_rows)
                if log_every and n_rows % log_every == 0:
                    log.info("CSV import for company %s: %d rows read", company.id, n_rows)
            validator.check(chunk, len(row_of) - len(chunk))
        except ErrorLimitReached as stop:
            checked = ordinal_of[stop.index] if stop.index >= 0 else n_rows
            rest = sum(1 for cells in reader if cells and any(c.strip() for c in cells))
            not_checked = n_rows - checked + rest
            n_rows += rest
            if n_rows > CSV_MAX_ROWS:
                raise TooLarge(f"The CSV has {n_rows:,} rows; import at most {CSV_MAX_ROWS:,} per file. "
                               "Nothing was written.", limit=CSV_MAX_ROWS) from None
    except csv.Error as err:
        raise ValidationFailed(f"The CSV is malformed: {err}",
                               errors=[{"row": reader.line_num, "field": "row", "message": str(err)}]) from None
    if progress:
        progress("read", n_rows)
    if validator.error_count:
        unique = {}
        for e in validator.errors:  # a wide row repeats its channel/date error per metric
            row = e["row"] if "row" in e else row_of[e["index"]]
            unique.setdefault((row, e["field"], e["message"]), {"row": row, "field": e["field"],
                                                                 "message": e["message"]})
        validator.error_count -= len(validator.errors) - len(unique)
        validator.errors = sorted(unique.values(), key=lambda e: e["row"])
        if not_checked:
            raise ValidationFailed(
                f"Checking stopped at {CSV_MAX_ERRORS:,} errors; {not_checked:,} of {n_rows:,} rows were not "
                f"checked. Nothing was written. The first {min(MAX_ERRORS, len(validator.errors))} errors "
                "are listed.",
                errors=validator.errors, error_count=validator.error_count, rows_not_checked=not_checked)
        validator.raise_if_invalid("value")
    done = _write(company, validator.channels, validator.rows, "metrics.import", f"Imported {len(validator.rows)} points from CSV",
                  progress=(lambda n: progress("write", n)) if progress else None)
    done["rows"] = n_rows
    return done


EXPORT_WINDOW_POINTS = 20_000


def export_windows(date_from: dt.date, date_to: dt.date, granularity: str, n_series: int
                   ) -> Iterator[tuple[dt.date, dt.date]]:
    """Split a range into consecutive windows of about EXPORT_WINDOW_POINTS points whose
    boundaries fall on bucket starts (a Monday, the 1st), so each window reads exactly what the
    whole read would hold for its buckets."""
    per_window = max(1, EXPORT_WINDOW_POINTS // max(1, n_series))
    start = date_from
    while start <= date_to:
        if granularity == "day":
            end = start + dt.timedelta(days=per_window - 1)
        elif granularity == "week":
            monday = start - dt.timedelta(days=start.weekday())
            end = monday + dt.timedelta(days=7 * per_window - 1)
        else:
            months = start.year * 12 + start.month - 1 + per_window
            end = dt.date(months // 12, months % 12 + 1, 1) - dt.timedelta(days=1) if months // 12 <= 9999 \
                else date_to
        end = min(end, date_to)
        yield start, end
        start = end + dt.timedelta(days=1)


def export_csv(company_id, metrics: list[str], channel: str | None, date_from: dt.date, date_to: dt.date,
               granularity: str = "day") -> Iterator[str]:
    """The read's series as CSV lines in the long form ``date,channel,metric,value``, ordered by
    date, then channel, then metric. Checked (range, size) before the first line; then streamed
    one window of about EXPORT_WINDOW_POINTS points at a time, so memory stays flat however
    long the range."""
    _check_range(date_from, date_to, granularity)
    company, defs, metrics, channel_ids = _resolve(company_id, metrics, channel)
    n_series = len(metrics) * (len(channel_ids) if channel_ids is not None else 1)
    _check_size(date_from, date_to, granularity, n_series)
    labels = list(channel_ids.values()) if channel_ids is not None else ["all"]
    order = [(label, m) for label in labels for m in metrics]
    company_id = company.id
    principal = current_principal()

    def lines() -> Iterator[str]:
        with acting_as(principal):  # a streamed body is read after the view returned
            yield from _export_lines()

    def _export_lines() -> Iterator[str]:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(LONG_COLUMNS)
        yield buf.getvalue()
        for w_from, w_to in export_windows(date_from, date_to, granularity, n_series):
            data = _compute(company_id, metrics, channel_ids, w_from, w_to, granularity, defs)
            rows = sorted((bucket, i, value) for i, key in enumerate(order)
                          for bucket, value in data.get(key, {}).items())
            buf.seek(0)
            buf.truncate()
            for bucket, i, value in rows:
                label, m = order[i]
                writer.writerow((bucket.isoformat(), label, m, repr(value)))
            yield buf.getvalue()

    return lines()


# --------------------------------------------------------------------------------------------
# Reading: bucketing in SQL
# --------------------------------------------------------------------------------------------
def bucket_start(column, granularity: str, dialect: str):
    """SQL for the first day of the bucket holding ``column`` (a DATE): day, ISO week, month."""
    if granularity == "day":
        return column
    if dialect == "postgresql":
        unit = {"week": "'week'", "month": "'month'"}[granularity]
        return cast(func.date_trunc(literal_column(unit), cast(column, DateTime)), Date)
    modifiers = {"week": ("'weekday 0'", "'-6 days'"), "month": ("'start of month'",)}[granularity]
    return func.date(column, *[literal_column(m) for m in modifiers], type_=Date)


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class _Scope:
    """Explicit tenant criteria for the reads (see the module docstring): the principal's agency,
    one company (or every company in reach) and optionally one channel. ``points(alias)`` gives
    the MetricPoint criteria, ``channels()`` the Channel criteria of the same scope."""

    def __init__(self, company_id: uuid.UUID | None = None, channel_id: uuid.UUID | None = None):
        p = current_principal()
        self.agency_id = p.agency_id
        self.company_id = company_id
        self.company_ids = None
        if company_id is None and p.company_ids is not None:
            self.company_ids = list(p.company_ids) or [uuid.UUID(int=0)]
        self.channel_id = channel_id

    def _criteria(self, agency_col, company_col, channel_col) -> list:
        crit = [agency_col == self.agency_id]
        if self.company_id is not None:
            crit.append(company_col == self.company_id)
        elif self.company_ids is not None:
            crit.append(company_col.in_(self.company_ids))
        if self.channel_id is not None:
            crit.append(channel_col == self.channel_id)
        return crit

    def points(self, mp=MetricPoint) -> list:
        return self._criteria(mp.agency_id, mp.company_id, mp.channel_id)

    def channels(self) -> list:
        return self._criteria(Channel.agency_id, Channel.company_id, Channel.id)


# Aliases built once: a statement on a fresh ``aliased()`` costs milliseconds of set-up on every
# call (its attributes are adapted on first use); aliases are immutable and safe to share.
_LAST_P = aliased(MetricPoint, name="last_p")
_FIRST_P = aliased(MetricPoint, name="first_p")
_MP_NEXT = aliased(MetricPoint, name="mp_next")
_MP_FIRST = aliased(MetricPoint, name="mp_first")
_MP_LAST = aliased(MetricPoint, name="mp_last")


def _flow_sums(scope: _Scope, metrics, date_from, date_to, granularity, by_channel, by_company=False):
    """{(company_id|None, channel_id|None, metric): {bucket: sum}}"""
    if not metrics:
        return {}
    dialect = _dialect()
    b = bucket_start(MetricPoint.date, granularity, dialect) if granularity != "period" else None
    cols, groups = [], []
    if by_company:
        cols.append(MetricPoint.company_id)
        groups.append(MetricPoint.company_id)
    if by_channel:
        cols.append(MetricPoint.channel_id)
        groups.append(MetricPoint.channel_id)
    cols.append(MetricPoint.metric)
    groups.append(MetricPoint.metric)
    if b is not None:
        cols.append(b.label("bucket"))
        groups.append(b)
    stmt = (select(*cols, func.sum(MetricPoint.value))
            .where(*scope.points(), MetricPoint.metric.in_(sorted(metrics)),
                   MetricPoint.date >= date_from, MetricPoint.date <= date_to)
            .group_by(*groups))
    out: dict = defaultdict(dict)
    n_keys = int(by_company) + int(by_channel)
    for row in db.session.execute(stmt):
        grp = row[0] if by_company else None
        ch = row[n_keys - 1] if by_channel else None
        metric = row[n_keys]
        bucket = _as_date(row[n_keys + 1]) if b is not None else date_from
        out[(grp, ch, metric)][bucket] = float(row[-1])
    return out


def _flow_sums_by_period(scope: _Scope, metrics, periods: list[tuple[dt.date, dt.date]], by_channel: bool
                         ) -> list[dict]:
    """:func:`_flow_sums` by ``"period"`` for each period: one statement per period, on purpose —
    summing two periods in one statement (a CASE on the date, grouped by period) measured slower
    on SQLite (a temporary B-tree for the grouping; 39 ms against 7 + 6 ms for a year and the one
    before), and on PostgreSQL it saves one round trip only."""
    return [_flow_sums(scope, metrics, start, end, "period", by_channel) for start, end in periods]


def _gauge_edges_by_period(scope: _Scope, metrics, periods: list[tuple[dt.date, dt.date]], need_first: bool
                           ) -> tuple[list[dict], list[dict]]:
    """:func:`_gauge_lasts` by ``"period"`` for adjacent periods from two statements: per period
    the lasts ``{(None, channel, metric): [(start, last, first)]}`` and the seeds (the last value
    before the period: the seed statement for the first, the period before for the others)."""
    lasts: list[dict] = [defaultdict(list) for _ in periods]
    seeds: list[dict] = [{} for _ in periods]
    if not metrics:
        return lasts, seeds
    metrics = sorted(metrics)
    parts = [part for i, (start, end) in enumerate(periods)
             for part in _period_selects(scope, metrics, start, end, need_first, period=i)]
    for _company, ch, metric, last, first, period in db.session.execute(union_all(*parts)):
        if last is not None:
            lasts[period][(None, ch, metric)].append((periods[period][0], float(last), float(first)))
    for _company, ch, metric, value in db.session.execute(_seed_statement(scope, metrics, periods[0][0])):
        if value is not None:
            seeds[0][(None, ch, metric)] = float(value)
    for i in range(1, len(periods)):
        seeds[i] = dict(seeds[i - 1])
        for key, rows in lasts[i - 1].items():
            seeds[i][key] = rows[-1][1]
    return lasts, seeds


def _same_point(mp, scope: _Scope, src, date_col):
    """Join criteria: ``mp`` is the stored point of ``src``'s (company, channel, metric) on ``date_col``
    (one lookup in the unique index that leads with the tenant)."""
    return and_(mp.agency_id == scope.agency_id, mp.company_id == src.c.company_id,
                mp.channel_id == src.c.channel_id, mp.metric == src.c.metric, mp.date == date_col)


class _IdCache(dict):
    """Raw id (hex text on SQLite, a UUID from psycopg) -> uuid.UUID, converted once per value."""

    def __call__(self, raw) -> uuid.UUID:
        out = self.get(raw)
        if out is None:
            out = self[raw] = raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw)
        return out


def _gauge_lasts(scope: _Scope, metrics, date_from, date_to, granularity, by_company=False, need_first=True):
    """Per (company_id|None, channel, metric): sorted [(bucket, last, first)] inside the range,
    and the seed value (the last one before ``date_from``, however old).

    By day every point is its own bucket. By week or month the last (and first) date of each
    bucket comes from a grouped max/min and its value from a join on the natural key; for a whole
    period, and for the seed, each (channel, metric) is one seek in the natural-key index
    (``ORDER BY date DESC LIMIT 1``) — no window function over a whole history."""
    if not metrics:
        return {}, {}
    metrics = sorted(metrics)
    dialect = _dialect()
    lasts: dict = defaultdict(list)
    if granularity == "day":
        # One row per point: the ids come as text (PostgreSQL casts them; hashing a UUID object
        # per row would cost more than the query), rows are grouped by that text and each
        # distinct id is converted once.
        ids = _IdCache()
        as_text = (lambda col: cast(col, String)) if dialect == "postgresql" else (lambda col: type_coerce(col, String))
        cols = [as_text(MetricPoint.company_id)] if by_company else []
        stmt = select(*cols, as_text(MetricPoint.channel_id), MetricPoint.metric, MetricPoint.date,
                      MetricPoint.value).where(*scope.points(), MetricPoint.metric.in_(metrics),
                                               MetricPoint.date >= date_from, MetricPoint.date <= date_to)
        raw: dict = defaultdict(list)
        rows = db.session.execute(stmt).all()
        # PostgreSQL answers dates, SQLite ISO text: convert per row only when needed.
        to_date = _as_date if rows and not isinstance(rows[0][-2], dt.date) else (lambda d: d)
        if by_company:
            for company, channel, metric, day, value in rows:
                value = float(value)
                raw[(company, channel, metric)].append((to_date(day), value, value))
        else:
            for channel, metric, day, value in rows:
                value = float(value)
                raw[(None, channel, metric)].append((to_date(day), value, value))
        for key, v in raw.items():
            v.sort()
            company = ids(key[0]) if by_company else None
            lasts[(company, ids(key[1]), key[2])] = v
    elif granularity == "period":
        for company, ch, metric, last, first in db.session.execute(
                _period_statement(scope, metrics, date_from, date_to, need_first)):
            if last is not None:
                lasts[(company if by_company else None, ch, metric)].append((date_from, float(last), float(first)))
    else:
        b = bucket_start(MetricPoint.date, granularity, dialect)
        keys = [MetricPoint.company_id.label("company_id"), MetricPoint.channel_id.label("channel_id"),
                MetricPoint.metric.label("metric")]
        groups = [MetricPoint.company_id, MetricPoint.channel_id, MetricPoint.metric, b]
        g = (select(*keys, b.label("bucket"), func.max(MetricPoint.date).label("last_d"),
                    func.min(MetricPoint.date).label("first_d"))
             .where(*scope.points(), MetricPoint.metric.in_(metrics),
                    MetricPoint.date >= date_from, MetricPoint.date <= date_to)
             .group_by(*groups)).subquery("g")
        last_p = _LAST_P
        cols = [g.c.company_id, g.c.channel_id, g.c.metric, g.c.bucket, last_p.value]
        # The joined side restated with the scope, metrics and range: PostgreSQL hashes it, and
        # would otherwise read every point of the agency.

        def joined(mp, date_col):
            return and_(_same_point(mp, scope, g, date_col), *scope.points(mp), mp.metric.in_(metrics),
                        mp.date >= date_from, mp.date <= date_to)

        stmt = select(*cols).join_from(g, last_p, joined(last_p, g.c.last_d))
        if need_first:
            first_p = _FIRST_P
            stmt = stmt.add_columns(first_p.value).join(first_p, joined(first_p, g.c.first_d))
        for row in db.session.execute(stmt):
            company, ch, metric, bucket, value = row[:5]
            first = row[5] if need_first else value
            lasts[(company if by_company else None, ch, metric)].append((_as_date(bucket), float(value), float(first)))
        for v in lasts.values():
            v.sort()
    seeds = {}
    for company, ch, metric, value in db.session.execute(_seed_statement(scope, metrics, date_from)):
        if value is not None:
            seeds[(company if by_company else None, ch, metric)] = float(value)
    return lasts, seeds


def _edge_value(scope: _Scope, metric: str, date_crit: list, last: bool):
    """Correlated scalar subquery (on Channel): the value of the channel's last (or first) point of
    ``metric`` meeting ``date_crit`` — one seek in the natural-key index, ORDER BY date LIMIT 1."""
    return (select(MetricPoint.value)
            .where(MetricPoint.agency_id == scope.agency_id, MetricPoint.company_id == Channel.company_id,
                   MetricPoint.channel_id == Channel.id, MetricPoint.metric == metric, *date_crit)
            .order_by(MetricPoint.date.desc() if last else MetricPoint.date)
            .limit(1).correlate(Channel).scalar_subquery())


def _last_levels_statement(scope: _Scope, metric: str, day: dt.date):
    """(date, value) of each channel's last point of ``metric`` on or before ``day`` (None, None
    for a channel without one): two seeks per channel."""
    def edge(column):
        return (select(column)
                .where(MetricPoint.agency_id == scope.agency_id, MetricPoint.company_id == Channel.company_id,
                       MetricPoint.channel_id == Channel.id, MetricPoint.metric == metric, MetricPoint.date <= day)
                .order_by(MetricPoint.date.desc()).limit(1).correlate(Channel).scalar_subquery())

    return select(edge(MetricPoint.date), edge(MetricPoint.value)).where(*scope.channels())


def _seed_statement(scope: _Scope, metrics: list[str], before: dt.date):
    """(company_id, channel_id, metric, value) of the last point before ``before`` of each channel
    in scope and each of ``metrics`` (value None when the channel has none)."""
    parts = [select(Channel.company_id, Channel.id, literal(m, String).label("metric"),
                    _edge_value(scope, m, [MetricPoint.date < before], True).label("value"))
             .where(*scope.channels()) for m in metrics]
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _period_statement(scope: _Scope, metrics: list[str], date_from: dt.date, date_to: dt.date, need_first: bool):
    """(company_id, channel_id, metric, last, first) of each channel and metric in a whole period:
    two seeks per channel instead of grouping every point of the period."""
    parts = _period_selects(scope, metrics, date_from, date_to, need_first)
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _period_selects(scope: _Scope, metrics: list[str], date_from: dt.date, date_to: dt.date, need_first: bool,
                    period: int | None = None) -> list:
    """The selects of :func:`_period_statement`, one per metric; ``period`` adds that number as a
    last column (several periods in one flat union: SQLite refuses a union of unions)."""
    within = [MetricPoint.date >= date_from, MetricPoint.date <= date_to]
    extra = [literal(period, Integer).label("period")] if period is not None else []
    parts = []
    for m in metrics:
        last = _edge_value(scope, m, within, True)
        first = _edge_value(scope, m, within, False) if need_first else last
        parts.append(select(Channel.company_id, Channel.id, literal(m, String).label("metric"),
                            last.label("last"), first.label("first"), *extra).where(*scope.channels()))
    return parts


def _growth(rows: list[tuple], seed: float | None) -> dict[dt.date, float]:
    """follower_growth per bucket for one channel from its (bucket, last, first) rows."""
    out, prev = {}, seed
    for bucket, last, first in rows:
        out[bucket] = last - (prev if prev is not None else first)
        prev = last
    return out


def _carried_sum(per_channel: list[tuple[list[tuple], float | None]]) -> dict[dt.date, float]:
    """Sum over channels of each one's last known value at every bucket where any has a point."""
    buckets = sorted({r[0] for rows, _ in per_channel for r in rows})
    out = {}
    states = [(dict((r[0], r[1]) for r in rows), seed) for rows, seed in per_channel]
    current = [seed for _, seed in states]
    for bucket in buckets:
        total, any_value = 0.0, False
        for i, (values, _) in enumerate(states):
            v = values.get(bucket)
            if v is not None:
                current[i] = v
            if current[i] is not None:
                total += current[i]
                any_value = True
        if any_value:
            out[bucket] = total
    return out


def _plan(metrics: list[str], defs: dict) -> tuple[set[str], set[str]]:
    """The stored flows and gauges needed for ``metrics`` (derived ones via their inputs)."""
    flows, gauges = set(), set()
    for key in metrics:
        d = defs[key]
        if d.kind == catalog.FLOW:
            flows.add(key)
        elif d.kind == catalog.GAUGE:
            gauges.add(key)
        elif key == GROWTH:
            gauges.add("followers")
        else:
            flows.update(d.inputs)
    return flows, gauges


def reads_levels(metric: str, defs: dict) -> bool:
    """Whether a daily read of ``metric`` reads levels (gauges, per channel) rather than amounts
    summed per day in SQL (flows and the ratios derived from them)."""
    return bool(_plan([metric], defs)[1])


def _derive_series(key: str, flow_series: Callable[[str], dict]) -> dict[dt.date, float]:
    inputs = {k: flow_series(k) for k in catalog.BUILTIN[key].inputs}
    buckets = sorted({b for s in inputs.values() for b in s})
    out = {}
    for bucket in buckets:
        v = catalog.derive(key, {k: s.get(bucket) for k, s in inputs.items()})
        if v is not None:
            out[bucket] = v
    return out


def _compute(company_id: uuid.UUID, metrics: list[str], channel_ids: dict[uuid.UUID, str] | None,
             date_from: dt.date, date_to: dt.date, granularity: str, defs: dict,
             split: dict[uuid.UUID, str] | None = None) -> dict[tuple, dict]:
    """{(channel key or "all", metric): {bucket: value}}; ``channel_ids`` None = combined. With
    ``split`` (combined only: every channel's id -> key) the stored gauges among ``metrics`` also
    come per channel, from the same read as the combined values."""
    scope = _Scope(company_id=company_id, channel_id=_only_channel(channel_ids))
    flows, gauges = _plan(metrics, defs)
    sums = _flow_sums(scope, flows, date_from, date_to, granularity, channel_ids is not None)
    lasts, seeds = _gauge_lasts(scope, gauges, date_from, date_to, granularity, need_first=GROWTH in metrics)
    return _assemble(metrics, defs, channel_ids, sums, lasts, seeds, split)


def _only_channel(channel_ids: dict | None) -> uuid.UUID | None:
    return next(iter(channel_ids)) if channel_ids is not None and len(channel_ids) == 1 else None


def _compute_periods(company_id: uuid.UUID, metrics: list[str], channel_ids: dict[uuid.UUID, str] | None,
                     periods: list[tuple[dt.date, dt.date]], defs: dict) -> list[dict[tuple, dict]]:
    """:func:`_compute` by whole period for several adjacent periods (oldest first, each starting
    the day after the one before ends): the flows summed per period, but each channel's first and
    last gauge value in every period from one statement and the gauges' seed from one more, before
    the first period (a later period's seed is the last value of the one before)."""
    for (_, end), (start, _) in zip(periods, periods[1:]):
        if start != end + dt.timedelta(days=1):
            raise ValueError("periods must be adjacent, oldest first")
    scope = _Scope(company_id=company_id, channel_id=_only_channel(channel_ids))
    flows, gauges = _plan(metrics, defs)
    sums = _flow_sums_by_period(scope, flows, periods, channel_ids is not None)
    lasts, seeds = _gauge_edges_by_period(scope, gauges, periods, need_first=GROWTH in metrics)
    return [_assemble(metrics, defs, channel_ids, sums[i], lasts[i], seeds[i]) for i in range(len(periods))]


def _assemble(metrics: list[str], defs: dict, channel_ids: dict[uuid.UUID, str] | None, sums: dict, lasts: dict,
              seeds: dict, split: dict[uuid.UUID, str] | None = None) -> dict[tuple, dict]:
    """The values of :func:`_compute` from what was read: flow sums, gauge (bucket, last, first)
    rows and seeds."""
    by_channel = channel_ids is not None
    out: dict[tuple, dict] = {}
    targets = [(cid, key) for cid, key in channel_ids.items()] if by_channel else [(None, "all")]
    for cid, label in targets:
        def flow(m, cid=cid):
            return sums.get((None, cid, m), {})

        for m in metrics:
            d = defs[m]
            if d.kind == catalog.FLOW:
                out[(label, m)] = flow(m)
            elif d.kind == catalog.GAUGE or m == GROWTH:
                src = "followers" if m == GROWTH else m
                chans = [cid] if by_channel else sorted({k[1] for k in list(lasts) + list(seeds)
                                                         if k[2] == src}, key=str)
                if m == GROWTH:
                    total: dict = defaultdict(float)
                    for c in chans:
                        for bucket, v in _growth(lasts.get((None, c, src), []), seeds.get((None, c, src))).items():
                            total[bucket] += v
                    out[(label, m)] = dict(total)
                elif by_channel:
                    out[(label, m)] = {r[0]: r[1] for r in lasts.get((None, cid, src), [])}
                else:
                    out[(label, m)] = _carried_sum([(lasts.get((None, c, src), []), seeds.get((None, c, src)))
                                                    for c in chans])
            else:
                out[(label, m)] = _derive_series(m, flow)
    if split and not by_channel:
        for m in metrics:
            if defs[m].kind == catalog.GAUGE:
                for cid, key in split.items():
                    out[(key, m)] = {r[0]: r[1] for r in lasts.get((None, cid, m), [])}
    return out


def _resolve(company_id, metrics: list[str] | None, channel: str | None):
    p = current_principal()
    company = get_company(company_id)
    p.require("read")
    defs = catalog.definitions()
    metrics = list(dict.fromkeys(metrics or []))
    unknown = [m for m in metrics if m not in defs]
    if unknown:
        raise ValidationFailed(f"Unknown metric(s): {', '.join(unknown)}.",
                               errors=[{"field": "metric", "message": f"Unknown metric '{m}'."} for m in unknown])
    chans = {cid: key for cid, key in db.session.execute(
        select(Channel.id, Channel.key).where(Channel.company_id == company.id).order_by(Channel.key))}
    if channel is None:
        channel_ids = chans
    elif channel == "all":
        channel_ids = None
    else:
        match = {cid: key for cid, key in chans.items() if key == channel}
        if not match:
            raise ValidationFailed.field("channel", f"No channel '{channel}' in this company.")
        channel_ids = match
    return company, defs, metrics, channel_ids


def _check_range(date_from: dt.date, date_to: dt.date, granularity: str) -> None:
    if granularity not in GRANULARITIES:
        raise ValidationFailed.field("granularity", "Must be one of day, week, month.")
    if date_from > date_to:
        raise ValidationFailed.field("from", "Must be on or before 'to'.")
    days = (date_to - date_from).days + 1
    if days > READ_MAX_DAYS:
        raise ValidationFailed(
            f"The range covers {days:,} days; a read covers at most {READ_MAX_YEARS} years "
            f"({READ_MAX_DAYS:,} days). Ask for a shorter range.",
            errors=[{"field": "from", "message": f"At most {READ_MAX_YEARS} years before 'to'."}],
            limit=READ_MAX_DAYS)


def bucket_count(date_from: dt.date, date_to: dt.date, granularity: str) -> int:
    """How many buckets (days, ISO weeks, months) a range touches."""
    if granularity == "week":
        first = date_from - dt.timedelta(days=date_from.weekday())
        return (date_to - first).days // 7 + 1
    if granularity == "month":
        return (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
    return (date_to - date_from).days + 1


def _check_size(date_from: dt.date, date_to: dt.date, granularity: str, n_series: int) -> None:
    """At most READ_MAX_POINTS points per read or export; the refusal names a coarser
    granularity when one fits."""
    points = bucket_count(date_from, date_to, granularity) * n_series
    if points <= READ_MAX_POINTS:
        return
    fits = [g for g in GRANULARITIES[GRANULARITIES.index(granularity) + 1:]
            if bucket_count(date_from, date_to, g) * n_series <= READ_MAX_POINTS]
    hint = (f"Use granularity={fits[0]}, which fits, or a shorter range or fewer metrics or channels." if fits
            else "Ask for a shorter range or fewer metrics or channels.")
    raise ValidationFailed(
        f"This read would return up to {points:,} points ({n_series} series × "
        f"{bucket_count(date_from, date_to, granularity):,} {granularity}s); at most {READ_MAX_POINTS:,} "
        f"are returned at once. {hint}",
        errors=[{"field": "granularity" if fits else "from", "message": hint}], limit=READ_MAX_POINTS)


class CompanyReader:
    """Daily reads of one company with its channels and catalog resolved once — for the progress
    engine, which reads several goals' series in a row. Same rules as :func:`daily_values`."""

    def __init__(self, company_id, data_range: tuple[dt.date, dt.date] | None | bool = False):
        """``data_range``: the company's, when the caller has read it already (:func:`data_range`)."""
        self.company, self.defs, _, self.channels = _resolve(company_id, [], None)
        self._range: tuple | None | bool = data_range  # False: not read yet
        # (metric, channel) -> [(from, to, points)]: what this reader has read. A day's value does
        # not depend on where the read began (flows are per day, and a combined gauge carries each
        # channel's last value, which a read finds before its start too), so any stretch inside
        # one already read is a slice of it.
        self._read: dict[tuple, list] = {}
        self._last: dict[tuple, tuple | None] = {}  # (metric, channel, day) -> last_on_or_before

    def _channel_ids(self, channel: str | None):
        if channel in (None, "all"):
            return None
        match = {cid: key for cid, key in self.channels.items() if key == channel}
        if not match:
            raise ValidationFailed.field("channel", f"No channel '{channel}' in this company.")
        return match

    def data_range(self) -> tuple[dt.date, dt.date] | None:
        """The first and last stored date (read once per reader)."""
        if self._range is False:
            self._range = _range_of(_stored_bounds(_Scope(company_id=self.company.id)))
        return self._range

    def daily(self, metrics: list[str], channel: str | None, date_from: dt.date, date_to: dt.date
              ) -> dict[str, list[tuple[dt.date, float]]]:
        """{metric: [(date, value)]} for several metrics of one channel (or "all") in one read.
        A stretch this reader has already read is not read again (the goal bars and the chosen
        goal's path share one reader)."""
        unknown = [m for m in metrics if m not in self.defs]
        if unknown:
            raise ValidationFailed.field("metric", f"Unknown metric '{unknown[0]}'.")
        if date_from > date_to:
            return {m: [] for m in metrics}
        channel_ids = self._channel_ids(channel)
        out = {}
        for m in dict.fromkeys(metrics):
            held = self._held(m, channel, date_from, date_to)
            if held is not None:
                out[m] = held
        missing = [m for m in dict.fromkeys(metrics) if m not in out]
        if missing:
            label = "all" if channel_ids is None else next(iter(channel_ids.values()))
            data = _compute(self.company.id, missing, channel_ids, date_from, date_to, "day", self.defs)
            for m in missing:
                out[m] = sorted(data.get((label, m), {}).items())
                self._read.setdefault((m, channel or "all"), []).append((date_from, date_to, out[m]))
        return {m: list(out[m]) for m in metrics}

    def _held(self, metric: str, channel: str | None, date_from: dt.date, date_to: dt.date) -> list | None:
        """The points of [date_from, date_to] sliced from a stretch already read, or None."""
        for start, end, points in self._read.get((metric, channel or "all"), ()):
            if start <= date_from and date_to <= end:
                return [p for p in points if date_from <= p[0] <= date_to]
        return None

    def last_on_or_before(self, metric: str, channel: str | None, day: dt.date) -> tuple[dt.date, float] | None:
        """The last (date, value) of the daily series on or before ``day``, or None: the last stored
        date of the metric's inputs is one indexed lookup, then that day is read (a derived metric
        undefined on that day steps further back)."""
        if metric not in self.defs:
            raise ValidationFailed.field("metric", f"Unknown metric '{metric}'.")
        key = (metric, channel or "all", day)
        if key not in self._last:
            self._last[key] = self._find_last(metric, channel, day)
        return self._last[key]

    def _find_last(self, metric: str, channel: str | None, day: dt.date) -> tuple[dt.date, float] | None:
        channel_ids = self._channel_ids(channel)
        only = next(iter(channel_ids)) if channel_ids else None
        flows, gauges = _plan([metric], self.defs)
        scope = _Scope(company_id=self.company.id, channel_id=only)
        if self.defs[metric].kind == catalog.GAUGE:
            # A stored level: the combined value on the last day any channel has a point is the
            # sum of every channel's last value (carried forward) — one statement.
            lasts = [(d, v) for d, v in db.session.execute(_last_levels_statement(scope, metric, day))
                     if d is not None]
            if not lasts:
                return None
            return max(_as_date(d) for d, _ in lasts), sum(float(v) for _, v in lasts)
        for _ in range(8):
            _, lasts = _date_bounds(scope, sorted(flows | gauges), before=day)
            if not lasts:
                return None
            found = max(lasts)
            points = self.daily([metric], channel, found, found)[metric]
            if points:
                return points[-1]
            day = found - dt.timedelta(days=1)
        points = self.daily([metric], channel, MIN_DATE, day)[metric]  # a long undefined stretch
        return points[-1] if points else None


def series_points(company_id, metrics: list[str], channel: str | None, date_from: dt.date, date_to: dt.date,
                  granularity: str = "day", *, with_channels: bool = False) -> dict[tuple[str, str], list]:
    """``{(channel label, metric): [(bucket, value)]}``, bucket-ordered: the values of
    :func:`read_series` as plain tuples for callers that draw them (the dashboard). With
    ``with_channels`` (``channel`` then ignored): the channels combined ("all") plus each stored
    gauge per channel, from the one read the combined values are carried forward from (the
    follower chart's lines and their total)."""
    _check_range(date_from, date_to, granularity)
    company, defs, metrics, channel_ids = _resolve(company_id, metrics, None if with_channels else channel)
    if with_channels:
        data = _compute(company.id, metrics, None, date_from, date_to, granularity, defs, split=channel_ids)
    else:
        data = _compute(company.id, metrics, channel_ids, date_from, date_to, granularity, defs)
    return {key: sorted(values.items()) for key, values in data.items()}


def read_series(company_id, metrics: list[str], channel: str | None, date_from: dt.date, date_to: dt.date,
                granularity: str = "day") -> dict:
    """Bucketed series: ``{"granularity", "from", "to", "series": [{"channel", "metric", "points":
    [{"date", "value"}]}]}``. ``channel`` None = one series per channel (ordered by key),
    ``"all"`` = one combined series named "all", else that channel's key."""
    _check_range(date_from, date_to, granularity)
    company, defs, metrics, channel_ids = _resolve(company_id, metrics, channel)
    _check_size(date_from, date_to, granularity, len(metrics) * (len(channel_ids) if channel_ids is not None else 1))
    data = _compute(company.id, metrics, channel_ids, date_from, date_to, granularity, defs)
    labels = list(channel_ids.values()) if channel_ids is not None else ["all"]
    series = []
    for label in labels:
        for m in metrics:
            values = data.get((label, m), {})
            series.append({"channel": label, "metric": m,
                           "points": [{"date": b, "value": values[b]} for b in sorted(values)]})
    return {"granularity": granularity, "from": date_from, "to": date_to, "series": series}


def daily_values(company_id, metric: str, channel: str, date_from: dt.date, date_to: dt.date
                 ) -> list[tuple[dt.date, float]]:
    """One metric per day for the progress engine (``channel`` "all" or a key); days without a
    value are left out (gauges for "all" carry each channel's last value forward)."""
    data = read_series(company_id, [metric], channel or "all", date_from, date_to, "day")
    return [(pt["date"], pt["value"]) for pt in data["series"][0]["points"]]


def data_range(company_id) -> tuple[dt.date, dt.date] | None:
    """The first and last date with any point for the company, or None.

    A few index seeks per stored metric (see :func:`_stored_bounds`): a min or max over the whole
    company would read every one of its points."""
    current_principal().require("read")
    company = get_company(company_id)
    return _range_of(_stored_bounds(_Scope(company_id=company.id)))


def _range_of(bounds: dict[str, tuple[dt.date, dt.date]]) -> tuple[dt.date, dt.date] | None:
    if not bounds:
        return None
    return min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())


def _stored_bounds(scope: _Scope) -> dict[str, tuple[dt.date, dt.date]]:
    """{metric: (first date, last date)} of every metric with points in scope, in one statement:
    a loose index scan (a recursive CTE steps from one stored metric to the next with one seek
    each in the (agency, company, metric, date) index), then two seeks per metric found. Costs
    what the company stores, not the size of the catalog, and reads no run of points."""
    first = (select(MetricPoint.metric).where(*scope.points())
             .order_by(MetricPoint.metric).limit(1).scalar_subquery())
    present = select(first.label("metric")).cte("stored_metric", recursive=True)
    following = (select(_MP_NEXT.metric).where(*scope.points(_MP_NEXT), _MP_NEXT.metric > present.c.metric)
                 .order_by(_MP_NEXT.metric).limit(1).correlate(present).scalar_subquery())
    present = present.union_all(select(following).where(present.c.metric.is_not(None)))

    def edge(mp, last: bool):
        # ORDER BY date LIMIT 1, not min()/max(): see _date_bounds (PostgreSQL generic plans).
        return (select(mp.date).where(*scope.points(mp), mp.metric == present.c.metric)
                .order_by(mp.date.desc() if last else mp.date).limit(1).correlate(present).scalar_subquery())

    stmt = (select(present.c.metric, edge(_MP_FIRST, False), edge(_MP_LAST, True))
            .where(present.c.metric.is_not(None)))
    return {metric: (_as_date(first_day), _as_date(last_day))
            for metric, first_day, last_day in db.session.execute(stmt) if first_day is not None}


def _date_bounds(scope: _Scope, metrics: list[str], before: dt.date | None = None
                 ) -> tuple[list[dt.date], list[dt.date]]:
    """The first and last dates (on or before ``before``) of each of ``metrics`` that has points in
    scope; each is its own scalar subquery so that both databases answer it from the index."""
    subs = []
    for m in metrics:
        crit = [*scope.points(), MetricPoint.metric == m]
        if before is not None:
            crit.append(MetricPoint.date <= before)
        # ORDER BY date LIMIT 1, not min()/max(): PostgreSQL's generic plan of a prepared
        # statement (psycopg prepares a statement run 5 times on a connection) expects one row
        # from the doubled tenant criterion and would aggregate the whole index range.
        subs.append(select(MetricPoint.date).where(*crit).order_by(MetricPoint.date).limit(1).scalar_subquery())
        subs.append(select(MetricPoint.date).where(*crit).order_by(MetricPoint.date.desc()).limit(1)
                    .scalar_subquery())
    if not subs:
        return [], []
    row = db.session.execute(select(*subs)).one()
    firsts = [_as_date(v) for v in row[0::2] if v is not None]
    lasts = [_as_date(v) for v in row[1::2] if v is not None]
    return firsts, lasts


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [date_from, date_to]."""
    prev_to = date_from - dt.timedelta(days=1)
    return prev_to - (date_to - date_from), prev_to


def summary(company_id, date_from: dt.date, date_to: dt.date, channel: str | None = None,
            metrics: list[str] | None = None) -> dict:
    """Each metric over the period and over the previous period of the same length (KPI cards).

    A flow is summed, a gauge is its value at the end of the period (channels combined with
    carry-forward), a ratio comes from the period's sums, follower_growth is the change."""
    _check_range(date_from, date_to, "day")
    combined = channel in (None, "all")
    company, defs, metrics, channel_ids = _resolve(company_id, metrics, None if combined else channel)
    if not metrics:
        metrics = list(defs)
    if combined:
        channel_ids, label = None, "all"
    else:
        label = channel
    prev_from, prev_to = previous_period(date_from, date_to)
    before, now = _compute_periods(company.id, metrics, channel_ids, [(prev_from, prev_to), (date_from, date_to)], defs)
    rows = []
    for m in metrics:
        value = now.get((label, m), {}).get(date_from)
        previous = before.get((label, m), {}).get(prev_from)
        change = value - previous if value is not None and previous is not None else None
        percent = change / abs(previous) * 100 if change is not None and previous else None
        rows.append({"metric": m, "value": value, "previous": previous, "change": change,
                     "change_percent": percent})
    return {"from": date_from, "to": date_to, "previous_from": prev_from, "previous_to": prev_to,
            "channel": label, "metrics": rows}


def _last_dates(scope: _Scope) -> dict:
    """{company_id: last date with any point} for the companies in scope: per company and stored
    metric one seek in the (agency, company, metric, date) index — not a read of every point."""
    parts = []
    for m in sorted(catalog.storable()):
        # ORDER BY date DESC LIMIT 1, not max(): see _date_bounds (PostgreSQL generic plans).
        last = (select(MetricPoint.date)
                .where(MetricPoint.agency_id == scope.agency_id, MetricPoint.company_id == Company.id,
                       MetricPoint.metric == m)
                .order_by(MetricPoint.date.desc()).limit(1)
                .correlate(Company).scalar_subquery())
        crit = [Company.id.in_(scope.company_ids)] if scope.company_ids is not None else []
        parts.append(select(Company.id, last.label("last")).where(Company.agency_id == scope.agency_id, *crit))
    out: dict = {}
    if not parts:
        return out
    for cid, last in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
        if last is not None:
            day = _as_date(last)
            out[cid] = max(out.get(cid, day), day)
    return out


def portfolio(date_from: dt.date, date_to: dt.date) -> list[dict]:
    """One row per company in reach for the portfolio table, from a few grouped queries:
    ``company_id, name, followers`` (all channels, latest known by ``date_to``),
    ``followers_change`` (follower_growth over the period), ``reach``, ``engagement_rate``,
    ``last_data_date`` and ``followers_spark`` (weekly [(week start, followers)])."""
    p = current_principal()
    p.require("read")
    companies = db.session.execute(select(Company.id, Company.name).order_by(Company.name)).all()
    scope = _Scope()
    sums = _flow_sums(scope, {"reach", "engagements"}, date_from, date_to, "period", False, by_company=True)
    last_dates = _last_dates(scope)
    lasts, seeds = _gauge_lasts(scope, {"followers"}, date_from, date_to, "week", by_company=True)
    channels_of: dict = defaultdict(set)
    for grp, ch, _ in list(lasts) + list(seeds):
        channels_of[grp].add(ch)
    out = []
    for cid, name in companies:
        chans = sorted(channels_of.get(cid, ()), key=str)
        per_channel = [(lasts.get((cid, c, "followers"), []), seeds.get((cid, c, "followers"))) for c in chans]
        spark = _carried_sum(per_channel)
        followers = None
        if spark:
            followers = spark[max(spark)]
        elif any(s is not None for _, s in per_channel):
            followers = sum(s for _, s in per_channel if s is not None)
        change = None
        if any(rows for rows, _ in per_channel):
            change = sum(sum(_growth(rows, seed).values()) for rows, seed in per_channel)
        elif followers is not None:
            change = 0.0
        reach = sums.get((cid, None, "reach"), {}).get(date_from)
        engagements = sums.get((cid, None, "engagements"), {}).get(date_from)
        last = last_dates.get(cid)
        out.append({
            "company_id": cid,
            "name": name,
            "followers": followers,
            "followers_change": change,
            "reach": reach,
            "engagement_rate": catalog.derive("engagement_rate", {"engagements": engagements, "reach": reach}),
            "last_data_date": last,
            "followers_spark": sorted(spark.items()),
        })
    return out


__all__ = [
    "push_points", "read_series", "summary", "daily_values", "data_range", "portfolio",
    "import_csv", "export_csv", "bucket_start", "previous_period", "MAX_POINTS_PER_PUSH",
]
