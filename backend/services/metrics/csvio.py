"""CSV import (long or wide form, all or nothing, bounded) and export (streamed by window)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ...bounds import CSV_MAX_ERRORS, CSV_MAX_ROWS
from ...tenancy import acting_as, current_principal
from .. import catalog
from ..companies import get_company
from ..errors import TooLarge, ValidationFailed
from .assembly import compute
from .reads import check_range, check_size, resolve
from .validation import MAX_ERRORS, ErrorLimitReached, PointRow, PointValidator
from .write import existing_values, without_covered, write_points

log = logging.getLogger(__name__)


LONG_COLUMNS = ("date", "channel", "metric", "value")


CSV_CHUNK_ROWS = 10_000


def _parse_number(text: str) -> float | str:
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        return text  # the validator answers "Must be a number."


def import_csv(company_id: uuid.UUID | str, lines: Iterable[str], *,
               progress: Callable[[str, int], None] | None = None, log_every: int = 50_000,
               dry_run: bool = False) -> dict[str, Any]:
    """Import a CSV file (long form ``date,channel,metric,value`` or wide form
    ``date,channel,<metric>,...``), all or nothing: every row is checked before anything is
    written, then all points are upserted in one transaction.

    Errors carry the CSV row number (the header is row 1): ``[{"row", "field", "message"}]``.
    ``progress(phase, n)`` is called with ``("read", rows so far)`` and ``("write", points)``.

    ``dry_run``: check everything and count what the import would do, write nothing — see
    :func:`what_would_change`.

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
    header_errors: list[dict[str, Any]] = []
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
        chunk: list[dict[str, Any]] = []
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
        unique: dict[tuple[int, str, str], dict[str, Any]] = {}
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
    if dry_run:
        return {**what_would_change(company.id, validator.rows, validator.channels), "rows": n_rows}
    done = write_points(company, validator.channels, validator.rows, "metrics.import",
                        f"Imported {len(validator.rows)} points from CSV",
                        progress=(lambda n: progress("write", n)) if progress else None)
    done["rows"] = n_rows
    return done


REPLACED_SHOWN = 5


def what_would_change(company_id: uuid.UUID, rows: list[PointRow],
                      channel_ids: dict[str, uuid.UUID] | None = None) -> dict[str, Any]:
    """What importing ``rows`` would do, read only: ``received``, ``created``, ``updated``,
    ``unchanged``, the channels, the first and last date, and the first few stored values it
    would replace (``replaced``: ``[{"channel", "metric", "date", "stored", "new"}]``); with the
    company's ``channel_ids``, also ``kept_from_mentions`` when mention records own some values."""
    created = updated = unchanged = kept = 0
    replaced: list[dict[str, Any]] = []
    stored_rows = rows
    if channel_ids is not None:
        stored_rows, kept = without_covered(company_id, channel_ids, rows)
    for start in range(0, len(stored_rows), CSV_CHUNK_ROWS):
        chunk = stored_rows[start:start + CSV_CHUNK_ROWS]
        stored = existing_values(company_id, chunk)
        for channel, metric, day, value in chunk:
            old = stored.get((channel, metric, day))
            if old is None:
                created += 1
            elif old == value:
                unchanged += 1
            else:
                updated += 1
                if len(replaced) < REPLACED_SHOWN:
                    replaced.append({"channel": channel, "metric": metric, "date": day, "stored": old, "new": value})
    days = [r[2] for r in rows]
    return {"received": len(rows), "created": created, "updated": updated, "unchanged": unchanged,
            "channels": sorted({r[0] for r in rows}), "from": min(days) if days else None,
            "to": max(days) if days else None, "replaced": replaced,
            **({"kept_from_mentions": kept} if kept else {})}


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


def export_csv(company_id: uuid.UUID | str, metrics: list[str], channel: str | None, date_from: dt.date,
               date_to: dt.date, granularity: str = "day") -> Iterator[str]:
    """The read's series as CSV lines in the long form ``date,channel,metric,value``, ordered by
    date, then channel, then metric. Checked (range, size) before the first line; then streamed
    one window of about EXPORT_WINDOW_POINTS points at a time, so memory stays flat however
    long the range."""
    check_range(date_from, date_to, granularity)
    company, defs, metrics, channel_ids = resolve(company_id, metrics, channel)
    n_series = len(metrics) * (len(channel_ids) if channel_ids is not None else 1)
    check_size(date_from, date_to, granularity, n_series)
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
            data = compute(company_id, metrics, channel_ids, w_from, w_to, granularity, defs)
            rows = sorted((bucket, i, value) for i, key in enumerate(order)
                          for bucket, value in data.get(key, {}).items())
            buf.seek(0)
            buf.truncate()
            for bucket, i, value in rows:
                label, m = order[i]
                writer.writerow((bucket.isoformat(), label, m, repr(value)))
            yield buf.getvalue()

    return lines()
