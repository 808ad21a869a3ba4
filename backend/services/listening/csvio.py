"""Mentions as CSV: the import (through the push's checks and write, all or nothing, errors naming
the CSV row) and the export (the list's filters, at most 50,000 rows).

Columns (a header row, any order; the first five required):
``source, external_id, channel, published_at, sentiment, sentiment_score, text, url, author_name,
author_handle, author_followers, language, country, city, topics, answered_at``. ``topics`` holds
names separated by ``;``. The export adds ``id``, ``day`` and ``answered_by`` in front of and
after those; the import accepts them and ignores them, so an export imports again as it is.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as
a formula, and a mention's text, author and place are anyone's words. The export writes such a
free-text cell with a ``'`` in front (OWASP's advice against CSV injection); the import takes one
``'`` off such a cell again, so the round trip keeps the words as they were.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, or_, select

from ...extensions import db
from ...models import Mention
from ...tenancy import acting_as, current_principal
from ..companies import get_company
from ..errors import TooLarge, ValidationFailed
from .mentions import WRITE_GRANT, details, filtered, write_mentions
from .validation import MentionValidator

MAX_IMPORT_ROWS = 10_000
MAX_EXPORT_ROWS = 50_000
EXPORT_BATCH = 1_000
REQUIRED_COLUMNS = ("source", "external_id", "channel", "published_at", "sentiment")
COLUMNS = REQUIRED_COLUMNS + ("sentiment_score", "text", "url", "author_name", "author_handle", "author_followers",
                              "language", "country", "city", "topics", "answered_at")
EXPORT_COLUMNS = ("id",) + COLUMNS + ("day", "answered_by")
IGNORED_COLUMNS = frozenset(("id", "day", "answered_by"))
# A validator's field -> the CSV column it came from.
FIELD_COLUMNS = {"author.name": "author_name", "author.handle": "author_handle",
                 "author.followers": "author_followers", "location.country": "country", "location.city": "city"}


# Free-text columns: what a spreadsheet must not run as a formula.
FREE_TEXT = ("text", "url", "author_name", "author_handle", "city", "topics")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _defused(value: str) -> str:
    """A free-text cell a spreadsheet shows as text: ``'`` in front of a formula's first character
    (and of a text that already starts with quotes before one, so that the import gives it back)."""
    return "'" + value if value.lstrip("'").startswith(FORMULA_START) else value


def _restored(value: str) -> str:
    """An exported free-text cell as it was pushed (the export's ``'`` taken off)."""
    return value[1:] if value.startswith("'") and value.lstrip("'").startswith(FORMULA_START) else value


def _number(cell: str, whole: bool) -> object:
    try:
        return int(cell) if whole else float(cell)
    except ValueError:
        return cell  # the validator names the column


def _item(cells: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a pushed mention (empty cells left out; spaces around a cell dropped, but for
    the text's own)."""
    cells = {name: _restored(value) if name in FREE_TEXT else value for name, value in cells.items()}
    text = cells.get("text", "")
    cells = {name: value.strip() for name, value in cells.items()}
    item: dict[str, Any] = {"text": text} if text.strip() else {}
    for name in ("source", "external_id", "channel", "published_at", "sentiment", "url", "language",
                 "answered_at"):
        if cells.get(name):
            item[name] = cells[name]
    if cells.get("sentiment_score"):
        item["sentiment_score"] = _number(cells["sentiment_score"], whole=False)
    author: dict[str, object] = {k: cells[f"author_{k}"] for k in ("name", "handle") if cells.get(f"author_{k}")}
    if cells.get("author_followers"):
        author["followers"] = _number(cells["author_followers"], whole=True)
    if author:
        item["author"] = author
    location = {k: cells[k] for k in ("country", "city") if cells.get(k)}
    if location:
        item["location"] = location
    if cells.get("topics"):
        item["topics"] = [t for t in (part.strip() for part in cells["topics"].split(";")) if t]
    return item


def _header(row: list[str] | None) -> list[str]:
    if row is None:
        raise ValidationFailed("The CSV file is empty.", errors=[{"row": 1, "field": "header",
                                                                  "message": "The first row must be the header."}])
    columns = [h.strip().lower() for h in row]
    errors = [{"row": 1, "field": c or "header", "message": "Unknown column."}
              for c in columns if c not in COLUMNS and c not in IGNORED_COLUMNS]
    errors += [{"row": 1, "field": c, "message": "This column appears twice."}
               for c in sorted({c for c in columns if columns.count(c) > 1})]
    errors += [{"row": 1, "field": c, "message": "Missing required column."}
               for c in REQUIRED_COLUMNS if c not in columns]
    if errors:
        raise ValidationFailed(f"The CSV header has errors: use the columns {', '.join(COLUMNS)}.", errors=errors)
    return columns


def import_mentions_csv(company_id: uuid.UUID | str, data: bytes | str) -> dict[str, Any]:
    """Import mentions from a CSV file through the push's checks and write, all or nothing.

    :returns: ``{"received", "created", "updated", "unchanged", "rows"}``
    :raises ValidationFailed: ``errors=[{"row", "field", "message"}]`` (the header is row 1).
    :raises TooLarge: more than 10,000 data rows.
    """
    p = current_principal()
    company = get_company(company_id)
    p.require("write", WRITE_GRANT)
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed.field("body", "The CSV must be UTF-8 text.") from None
    reader = csv.reader(io.StringIO(data.removeprefix("\ufeff"), newline=""))
    validator = MentionValidator(company)
    row_of: list[int] = []
    validator.both = lambda first, i: f"Rows {row_of[first]} and {row_of[i]}"
    try:
        columns = _header(next(reader, None))
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(row_of) >= MAX_IMPORT_ROWS:
                raise TooLarge(f"The CSV has more than {MAX_IMPORT_ROWS:,} mentions; import at most "
                               f"{MAX_IMPORT_ROWS:,} per file. Nothing was written.", limit=MAX_IMPORT_ROWS)
            row_of.append(reader.line_num)
            if len(cells) != len(columns):
                validator.error(len(row_of) - 1, "row", f"Expected {len(columns)} cells, got {len(cells)}.")
                continue
            row = validator.check_one(_item(dict(zip(columns, cells, strict=True))), len(row_of) - 1)
            if row is not None:
                validator.rows.append(row)
    except csv.Error as err:
        raise ValidationFailed(f"The CSV is malformed: {err}",
                               errors=[{"row": reader.line_num, "field": "row", "message": str(err)}]) from None
    if validator.error_count:
        validator.errors = [{"row": row_of[e["index"]], "field": FIELD_COLUMNS.get(e["field"], e["field"]),
                             "message": e["message"]} for e in validator.errors]
        validator.raise_if_invalid("row")
    done: dict[str, Any] = write_mentions(company, validator.rows, "mentions.import",
                                          f"Imported {len(validator.rows)} mentions from CSV")
    done["rows"] = len(row_of)
    return done


def export_mentions_lines(company_id: uuid.UUID | str, **filters: Any) -> Iterator[str]:
    """The export as CSV text in parts: the header, then a part per batch of rows, newest first.
    Checked before the first part (filters, at most 50,000 matching mentions: else 413); then read
    batch by batch (keyset), so memory stays flat. The parts may be read after the request's view
    returned: they are read as the principal who asked."""
    principal = current_principal()
    company = get_company(company_id)
    stmt = filtered(company.id, **filters)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    if total > MAX_EXPORT_ROWS:
        raise TooLarge(f"{total:,} mentions match; an export holds at most {MAX_EXPORT_ROWS:,}. Narrow the dates "
                       "or the filters.", limit=MAX_EXPORT_ROWS)

    def parts() -> Iterator[str]:
        with acting_as(principal):
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(EXPORT_COLUMNS)
            after: tuple[dt.datetime, int] | None = None
            while True:
                page = stmt
                if after is not None:
                    page = page.where(or_(Mention.published_at < after[0],
                                          (Mention.published_at == after[0]) & (Mention.seq < after[1])))
                batch = list(db.session.scalars(page.order_by(Mention.published_at.desc(), Mention.seq.desc())
                                                .limit(EXPORT_BATCH)))
                extra = details(company.id, batch)
                for m in batch:
                    writer.writerow(_cells(m, extra[m.seq]))
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
                if len(batch) < EXPORT_BATCH:
                    return
                after = (batch[-1].published_at, batch[-1].seq)

    return parts()


def _stamp(value: dt.datetime | None, offset_minutes: int = 0) -> str:
    """An ISO 8601 timestamp of a UTC naive value, shown in its own offset (Z for UTC)."""
    if value is None:
        return ""
    zone = dt.timezone(dt.timedelta(minutes=offset_minutes))
    return value.replace(tzinfo=dt.UTC).astimezone(zone).isoformat().replace("+00:00", "Z")


def _cells(m: Mention, extra: dict[str, Any]) -> list[str]:
    free = _defused
    return [str(m.id), m.source, m.external_id, extra["channel"], _stamp(m.published_at, m.utc_offset_minutes),
            m.sentiment,
            "" if m.sentiment_score is None else repr(m.sentiment_score), free(m.text), free(m.url),
            free(m.author_name), free(m.author_handle),
            "" if m.author_followers is None else str(m.author_followers), m.language,
            m.country or "", free(m.city), free("; ".join(t["name"] for t in extra["topics"])),
            _stamp(m.answered_at), m.day.isoformat(), m.answered_by]


def export_mentions_csv(company_id: uuid.UUID | str, **filters: Any) -> str:
    """The company's mentions matching the list's filters as one CSV text (see
    :func:`export_mentions_lines`)."""
    return "".join(export_mentions_lines(company_id, **filters))
