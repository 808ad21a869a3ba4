"""Report periods: a calendar month or quarter, or a custom range of at most 366 days, and their
names ('November 2026', 'Q4 2026'). Pure functions (the company's "today" aside)."""
from __future__ import annotations

import calendar
import datetime as dt

from ..bounds import DATE_MESSAGE, date_in_bounds
from ..models import Report
from .errors import ValidationFailed
from .validation import Problems

PERIOD_KINDS = ("month", "quarter", "custom")
MAX_CUSTOM_DAYS = 366


def _month(day: dt.date) -> tuple[dt.date, dt.date]:
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _quarter(day: dt.date) -> tuple[dt.date, dt.date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, first_month, 1)
    return start, _month(dt.date(day.year, first_month + 2, 1))[1]


def period_bounds(kind: str, *, anchor: dt.date | None = None, start: dt.date | None = None,
                  end: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """The first and last day (inclusive) of a period: for ``month``/``quarter`` the calendar
    month/quarter holding ``anchor`` (or ``start``); for ``custom`` ``start``..``end`` (at most
    366 days). ValidationFailed naming the field when something is missing or wrong."""
    if kind not in PERIOD_KINDS:
        raise ValidationFailed.field("period_kind", f"Must be one of: {', '.join(PERIOD_KINDS)}.")
    if kind == "custom":
        problems = Problems()
        first = problems.date("period_start", start)
        last = problems.date("period_end", end)
        problems.raise_if_any()
        assert first is not None and last is not None  # otherwise raised just above
        if last < first:
            raise ValidationFailed.field("period_end", "The period ends before it starts.")
        if (last - first).days + 1 > MAX_CUSTOM_DAYS:
            raise ValidationFailed.field("period_end", f"A custom period covers at most {MAX_CUSTOM_DAYS} days.")
        return first, last
    day = anchor or start
    if day is None:
        raise ValidationFailed.field("anchor", f"Give a day of the {kind} (anchor or period_start).")
    if not date_in_bounds(day):
        raise ValidationFailed.field("anchor" if anchor else "period_start", DATE_MESSAGE)
    return _month(day) if kind == "month" else _quarter(day)


def previous_period(kind: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The last whole month or quarter before ``today``."""
    first_of_current = period_bounds(kind, anchor=today)[0]
    return period_bounds(kind, anchor=first_of_current - dt.timedelta(days=1))


def period_label(report: Report) -> str:
    """'November 2026', 'Q4 2026' or '2026-11-03 – 2026-11-30'."""
    start, end = report.period_start, report.period_end
    if report.period_kind == "month":
        return f"{calendar.month_name[start.month]} {start.year}"
    if report.period_kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return f"{start.isoformat()} – {end.isoformat()}"
