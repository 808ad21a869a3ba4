"""Public reads: bucketed series, the summary against the previous period, the data range."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from ...bounds import READ_MAX_DAYS, READ_MAX_POINTS, READ_MAX_YEARS
from ...extensions import db
from ...models import Channel, Company
from ...tenancy import current_principal
from .. import catalog
from ..companies import get_company
from ..errors import ValidationFailed
from .assembly import Defs, compute, compute_periods
from .statements import Scope, stored_bounds

GRANULARITIES = ("day", "week", "month")


def resolve(company_id: uuid.UUID | str, metrics: list[str] | None, channel: str | None
            ) -> tuple[Company, Defs, list[str], dict[uuid.UUID, str] | None]:
    """The company, the catalog, the metrics asked for (each once) and the channels read: every
    channel (``channel`` None), that channel, or None for all of them combined (``"all"``)."""
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
    channel_ids: dict[uuid.UUID, str] | None
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


def check_range(date_from: dt.date, date_to: dt.date, granularity: str) -> None:
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


def check_size(date_from: dt.date, date_to: dt.date, granularity: str, n_series: int) -> None:
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


def series_points(company_id: uuid.UUID | str, metrics: list[str], channel: str | None, date_from: dt.date,
                  date_to: dt.date, granularity: str = "day", *, with_channels: bool = False
                  ) -> dict[tuple[str, str], list[tuple[dt.date, float]]]:
    """``{(channel label, metric): [(bucket, value)]}``, bucket-ordered: the values of
    :func:`read_series` as plain tuples for callers that draw them (the dashboard). With
    ``with_channels`` (``channel`` then ignored): the channels combined ("all") plus each stored
    gauge per channel, from the one read the combined values are carried forward from (the
    follower chart's lines and their total)."""
    check_range(date_from, date_to, granularity)
    company, defs, metrics, channel_ids = resolve(company_id, metrics, None if with_channels else channel)
    if with_channels:
        data = compute(company.id, metrics, None, date_from, date_to, granularity, defs, split=channel_ids)
    else:
        data = compute(company.id, metrics, channel_ids, date_from, date_to, granularity, defs)
    return {key: sorted(values.items()) for key, values in data.items()}


def read_series(company_id: uuid.UUID | str, metrics: list[str], channel: str | None, date_from: dt.date,
                date_to: dt.date, granularity: str = "day") -> dict[str, Any]:
    """Bucketed series: ``{"granularity", "from", "to", "series": [{"channel", "metric", "points":
    [{"date", "value"}]}]}``. ``channel`` None = one series per channel (ordered by key),
    ``"all"`` = one combined series named "all", else that channel's key."""
    check_range(date_from, date_to, granularity)
    company, defs, metrics, channel_ids = resolve(company_id, metrics, channel)
    check_size(date_from, date_to, granularity, len(metrics) * (len(channel_ids) if channel_ids is not None else 1))
    data = compute(company.id, metrics, channel_ids, date_from, date_to, granularity, defs)
    labels = list(channel_ids.values()) if channel_ids is not None else ["all"]
    series: list[dict[str, Any]] = []
    for label in labels:
        for m in metrics:
            values = data.get((label, m), {})
            series.append({"channel": label, "metric": m,
                           "points": [{"date": b, "value": values[b]} for b in sorted(values)]})
    return {"granularity": granularity, "from": date_from, "to": date_to, "series": series}


def data_range(company_id: uuid.UUID | str) -> tuple[dt.date, dt.date] | None:
    """The first and last date with any point for the company, or None.

    A few index seeks per stored metric (see :func:`stored_bounds`): a min or max over the whole
    company would read every one of its points."""
    current_principal().require("read")
    company = get_company(company_id)
    return range_of(stored_bounds(Scope(company_id=company.id)))


def range_of(bounds: dict[str, tuple[dt.date, dt.date]]) -> tuple[dt.date, dt.date] | None:
    if not bounds:
        return None
    return min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values())


def previous_period(date_from: dt.date, date_to: dt.date) -> tuple[dt.date, dt.date]:
    """The period of the same length just before [date_from, date_to]."""
    prev_to = date_from - dt.timedelta(days=1)
    return prev_to - (date_to - date_from), prev_to


COMPARISONS = ("previous", "year")


def year_earlier(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February: the 28th)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def comparison_period(date_from: dt.date, date_to: dt.date, compare: str = "previous") -> tuple[dt.date, dt.date]:
    """What a period is compared with: the period of the same length just before (``previous``)
    or the same days a year earlier (``year``: year to date against the same days last year).
    A period longer than a year has no year-earlier period apart from itself."""
    if compare not in COMPARISONS:
        raise ValidationFailed.field("compare", "Must be one of previous, year.")
    if compare == "previous":
        return previous_period(date_from, date_to)
    start, end = year_earlier(date_from), year_earlier(date_to)
    if end >= date_from:
        raise ValidationFailed.field("compare", "A period longer than a year overlaps the same period a year "
                                                "earlier; compare it with the previous period.")
    return start, end


def summary(company_id: uuid.UUID | str, date_from: dt.date, date_to: dt.date, channel: str | None = None,
            metrics: list[str] | None = None, compare: str = "previous") -> dict[str, Any]:
    """Each metric over the period and over the period it is compared with (KPI cards): the
    previous period of the same length, or with ``compare="year"`` the same days a year earlier.

    A flow is summed, a gauge is its value at the end of the period (channels combined with
    carry-forward), a ratio comes from the period's sums, follower_growth is the change."""
    check_range(date_from, date_to, "day")
    prev_from, prev_to = comparison_period(date_from, date_to, compare)
    label = "all" if channel is None or channel == "all" else channel
    combined = label == "all"
    company, defs, metrics, channel_ids = resolve(company_id, metrics, None if combined else channel)
    if not metrics:
        metrics = list(defs)
    if combined:
        channel_ids = None
    # Adjacent periods are read together (a later one's gauges carry on from the one before): a
    # year-earlier period is followed by the stretch up to this one, read and left unused.
    periods = [(prev_from, prev_to)]
    if prev_to + dt.timedelta(days=1) < date_from:
        periods.append((prev_to + dt.timedelta(days=1), date_from - dt.timedelta(days=1)))
    periods.append((date_from, date_to))
    read = compute_periods(company.id, metrics, channel_ids, periods, defs)
    before, now = read[0], read[-1]
    rows = []
    for m in metrics:
        value = now.get((label, m), {}).get(date_from)
        previous = before.get((label, m), {}).get(prev_from)
        change = value - previous if value is not None and previous is not None else None
        percent = change / abs(previous) * 100 if change is not None and previous else None
        rows.append({"metric": m, "value": value, "previous": previous, "change": change,
                     "change_percent": percent})
    return {"from": date_from, "to": date_to, "previous_from": prev_from, "previous_to": prev_to,
            "compare": compare, "channel": label, "metrics": rows}
