"""Correcting stored data: the stored points of one channel and metric, and deleting one day, a
range or the whole series of them (someone pushed followers=1200 for a blog that has 8,235).

Used by the API (``listMetricPoints``, ``deleteMetrics``) and /manage's Stored data page. Like
the reads, every statement names MetricPoint through the ORM, so the scoping hook filters it, and
states the agency, company and channel itself (``Scope``). A deletion needs the ``write`` grant
and is one transaction with its audit entry. Nothing about points is remembered, within a request
or across requests (the request memos hold companies and the catalog only), so the next read sees
the deletion.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import uuid
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.exc import DBAPIError

from ...bounds import PAGE_MAX
from ...extensions import db
from ...models import Channel, Company, MetricPoint
from ...tenancy import current_principal
from .. import audit, catalog
from ..companies import get_company
from ..errors import Conflict, ValidationFailed
from ..validation import Problems
from .statements import Criteria, Scope, as_date
from .write import RETRYABLE_SQLSTATES

log = logging.getLogger(__name__)

DELETE_GRANT_MESSAGE = ("Deleting stored metrics needs the write or admin permission, or an agency staff login "
                        "(a metrics:write key may push, not delete).")
PAGE_SIZE = 100
PAGE_SIZE_MAX = 1000


@dataclass(frozen=True)
class PointSelection:
    """What a correction names, checked: a company, one of its channels, a stored metric and a
    range of days (``None``: open on that side; both: the whole series)."""

    company: Company
    channel_id: uuid.UUID
    channel: str
    metric: str
    date_from: dt.date | None
    date_to: dt.date | None

    def criteria(self) -> Criteria:
        crit = [*Scope(company_id=self.company.id, channel_id=self.channel_id).points(),
                MetricPoint.metric == self.metric]
        if self.date_from is not None:
            crit.append(MetricPoint.date >= self.date_from)
        if self.date_to is not None:
            crit.append(MetricPoint.date <= self.date_to)
        return crit

    @property
    def whole_series(self) -> bool:
        return self.date_from is None and self.date_to is None

    def days(self) -> str:
        return range_words(self.date_from, self.date_to)


def range_words(date_from: dt.date | None, date_to: dt.date | None) -> str:
    """'on 2024-05-03', 'from 2024-05-01 to 2024-05-31', 'from 2024-05-01 on', 'up to 2024-05-31' or
    'in the whole series'."""
    if date_from is not None and date_to is not None:
        if date_from == date_to:
            return f"on {date_from.isoformat()}"
        return f"from {date_from.isoformat()} to {date_to.isoformat()}"
    if date_from is not None:
        return f"from {date_from.isoformat()} on"
    if date_to is not None:
        return f"up to {date_to.isoformat()}"
    return "in the whole series"


@dataclass(frozen=True)
class StoredPoint:
    date: dt.date
    value: float
    updated_at: dt.datetime  # when this value was last written


@dataclass(frozen=True)
class StoredPoints:
    """One page of the points a selection holds, newest first, with the whole selection's count
    and first and last dates."""

    selection: PointSelection
    points: list[StoredPoint]
    total: int
    first: dt.date | None
    last: dt.date | None
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return math.ceil(self.total / self.page_size)


def select_points(company: Company, channel: object, metric: object, date_from: object = None,
                  date_to: object = None) -> PointSelection:
    """Check what a correction names; dates as ``date`` or ISO text (a form's), either may be
    left out. :raises ValidationFailed: naming each field at fault (channel, metric, from, to)."""
    problems = Problems()
    channel_id: uuid.UUID | None = None
    if not isinstance(channel, str) or not channel.strip():
        problems.add("channel", "Choose one channel of this company.")
    else:
        channel = channel.strip()
        channel_id = db.session.scalar(
            select(Channel.id).where(Channel.agency_id == company.agency_id, Channel.company_id == company.id,
                                     Channel.key == channel))
        if channel_id is None:
            problems.add("channel", f"No channel '{channel}' in this company.")
    if not isinstance(metric, str) or not metric.strip():
        problems.add("metric", "Choose a metric.")
    else:
        metric = metric.strip()
        definition = catalog.definitions().get(metric)
        if definition is None:
            problems.add("metric", f"Unknown metric '{metric}'.")
        elif definition.kind == catalog.DERIVED:
            problems.add("metric", f"'{metric}' is not stored: it is computed from {', '.join(definition.inputs)}. "
                                   "Correct those instead.")
    start = problems.date("from", date_from, required=False)
    end = problems.date("to", date_to, required=False)
    if start is not None and end is not None and start > end:
        problems.add("from", "The first day must be on or before the last day.")
    problems.raise_if_any()
    assert isinstance(channel, str) and isinstance(metric, str) and channel_id is not None  # else raised above
    return PointSelection(company, channel_id, channel, metric, start, end)


def stored_points(company_id: uuid.UUID | str, channel: object, metric: object, date_from: object = None,
                  date_to: object = None, *, page: int = 1, page_size: int = PAGE_SIZE) -> StoredPoints:
    """The points of one channel and stored metric in a range (open where a date is left out),
    newest first, one page at a time (at most 1,000 a page).

    :raises NotFound: the company is out of reach.
    :raises ValidationFailed: naming the field (channel, metric, from, to, page, page_size).
    """
    p = current_principal()
    company = get_company(company_id)
    p.require("read")
    selection = select_points(company, channel, metric, date_from, date_to)
    if not 1 <= page <= PAGE_MAX:
        raise ValidationFailed.field("page", f"Must be between 1 and {PAGE_MAX:,}.")
    if not 1 <= page_size <= PAGE_SIZE_MAX:
        raise ValidationFailed.field("page_size", f"Must be between 1 and {PAGE_SIZE_MAX:,}.")
    crit = selection.criteria()
    total, first, last = db.session.execute(
        select(func.count(), func.min(MetricPoint.date), func.max(MetricPoint.date)).where(*crit)).one()
    rows = db.session.execute(
        select(MetricPoint.date, MetricPoint.value, MetricPoint.updated_at).where(*crit)
        .order_by(MetricPoint.date.desc()).limit(page_size).offset((page - 1) * page_size)).all()
    points = [StoredPoint(as_date(day), float(value), updated) for day, value, updated in rows]
    return StoredPoints(selection, points, int(total or 0), as_date(first) if first is not None else None,
                        as_date(last) if last is not None else None, page, page_size)


def delete_points(company_id: uuid.UUID | str, channel: object, metric: object, date_from: object = None,
                  date_to: object = None, *, expected: int | None = None) -> int:
    """Delete the stored points of one channel and metric: one day (``date_from == date_to``), a
    range (open where a date is left out) or the whole series (neither). One transaction with its
    audit entry (none when nothing was there); returns how many points were deleted.

    ``expected``: the count the person was shown; when the stored data differ by then, nothing is
    deleted (:class:`Conflict`).

    :raises NotFound: the company is out of reach.
    :raises Forbidden: without the ``write`` grant.
    :raises ValidationFailed: naming the field (channel, metric, from, to).
    """
    p = current_principal()
    company = get_company(company_id)
    p.require("write", DELETE_GRANT_MESSAGE)
    selection = select_points(company, channel, metric, date_from, date_to)
    attempt = 0
    while True:
        try:
            result = cast(CursorResult[Any], db.session.execute(
                delete(MetricPoint).where(*selection.criteria()).execution_options(synchronize_session=False)))
            deleted = int(result.rowcount)
            if expected is not None and deleted != expected:
                raise Conflict(f"The stored data changed meanwhile: {selection.metric} on {selection.channel} "
                               f"{selection.days()} now holds {deleted:,} point{'' if deleted == 1 else 's'}, "
                               f"not {expected:,}. Nothing was deleted; look again before deleting.")
            if deleted:
                audit.record("metrics.delete", object_type="company", object_id=company.id, company_id=company.id,
                             summary=f"Deleted {deleted:,} point{'' if deleted == 1 else 's'} of {selection.metric} "
                                     f"on {selection.channel} {selection.days()}")
            db.session.commit()
            return deleted
        except DBAPIError as err:
            db.session.rollback()
            attempt += 1
            if getattr(err.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt >= 5:
                raise
            log.warning("metrics delete retried after %s (attempt %d)", err.orig, attempt)
        except BaseException:
            db.session.rollback()
            raise
