"""``CompanyReader``: daily reads of one company for goal progress and the dashboard."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from ...extensions import db
from .. import catalog
from ..errors import ValidationFailed
from .assembly import compute, stored_inputs
from .reads import range_of, resolve
from .statements import Scope, as_date, date_bounds, last_levels_statement, stored_bounds
from .validation import MIN_DATE

Point = tuple[dt.date, float]


class CompanyReader:
    """Daily reads of one company with its channels and catalog resolved once — for the progress
    engine, which reads several goals' series in a row. Same rules as :func:`read_series` by day."""

    def __init__(self, company_id: uuid.UUID | str,
                 data_range: tuple[dt.date, dt.date] | None | Literal[False] = False) -> None:
        """``data_range``: the company's, when the caller has read it already (:func:`data_range`)."""
        self.company, self.defs, _, channels = resolve(company_id, [], None)
        assert channels is not None  # resolve() gives every channel when no channel is named
        self.channels = channels
        self._range = data_range  # False: not read yet
        # (metric, channel) -> [(from, to, points)]: what this reader has read. A day's value does
        # not depend on where the read began (flows are per day, and a combined gauge carries each
        # channel's last value, which a read finds before its start too), so any stretch inside
        # one already read is a slice of it.
        self._read: dict[tuple[str, str], list[tuple[dt.date, dt.date, list[Point]]]] = {}
        self._last: dict[tuple[str, str, dt.date], Point | None] = {}  # (metric, channel, day) -> last_on_or_before

    def _channel_ids(self, channel: str | None) -> dict[uuid.UUID, str] | None:
        if channel in (None, "all"):
            return None
        match = {cid: key for cid, key in self.channels.items() if key == channel}
        if not match:
            raise ValidationFailed.field("channel", f"No channel '{channel}' in this company.")
        return match

    def data_range(self) -> tuple[dt.date, dt.date] | None:
        """The first and last stored date (read once per reader)."""
        if self._range is False:
            self._range = range_of(stored_bounds(Scope(company_id=self.company.id)))
        return self._range

    def daily(self, metrics: list[str], channel: str | None, date_from: dt.date, date_to: dt.date
              ) -> dict[str, list[Point]]:
        """{metric: [(date, value)]} for several metrics of one channel (or "all") in one read.
        A stretch this reader has already read is not read again (the goal bars and the chosen
        goal's path share one reader)."""
        unknown = [m for m in metrics if m not in self.defs]
        if unknown:
            raise ValidationFailed.field("metric", f"Unknown metric '{unknown[0]}'.")
        if date_from > date_to:
            return {m: [] for m in metrics}
        channel_ids = self._channel_ids(channel)
        out: dict[str, list[Point]] = {}
        for m in dict.fromkeys(metrics):
            held = self._held(m, channel, date_from, date_to)
            if held is not None:
                out[m] = held
        missing = [m for m in dict.fromkeys(metrics) if m not in out]
        if missing:
            label = "all" if channel_ids is None else next(iter(channel_ids.values()))
            data = compute(self.company.id, missing, channel_ids, date_from, date_to, "day", self.defs)
            for m in missing:
                out[m] = sorted(data.get((label, m), {}).items())
                self._read.setdefault((m, channel or "all"), []).append((date_from, date_to, out[m]))
        return {m: list(out[m]) for m in metrics}

    def _held(self, metric: str, channel: str | None, date_from: dt.date, date_to: dt.date) -> list[Point] | None:
        """The points of [date_from, date_to] sliced from a stretch already read, or None."""
        for start, end, points in self._read.get((metric, channel or "all"), ()):
            if start <= date_from and date_to <= end:
                return [p for p in points if date_from <= p[0] <= date_to]
        return None

    def last_on_or_before(self, metric: str, channel: str | None, day: dt.date) -> Point | None:
        """The last (date, value) of the daily series on or before ``day``, or None: the last stored
        date of the metric's inputs is one indexed lookup, then that day is read (a derived metric
        undefined on that day steps further back)."""
        if metric not in self.defs:
            raise ValidationFailed.field("metric", f"Unknown metric '{metric}'.")
        key = (metric, channel or "all", day)
        if key not in self._last:
            self._last[key] = self._find_last(metric, channel, day)
        return self._last[key]

    def _find_last(self, metric: str, channel: str | None, day: dt.date) -> Point | None:
        channel_ids = self._channel_ids(channel)
        only = next(iter(channel_ids)) if channel_ids else None
        scope = Scope(company_id=self.company.id, channel_id=only)
        if self.defs[metric].kind == catalog.GAUGE:
            # A stored level: the combined value on the last day any channel has a point is the
            # sum of every channel's last value (carried forward), or their mean for a gauge that
            # does not add up (``MetricDef.combine``) — one statement.
            lasts = [(d, v) for d, v in db.session.execute(last_levels_statement(scope, metric, day))
                     if d is not None]
            if not lasts:
                return None
            total = sum(float(v) for _, v in lasts)
            mean = self.defs[metric].combine == "mean"
            return max(as_date(d) for d, _ in lasts), total / len(lasts) if mean else total
        for _ in range(8):
            _, ends = date_bounds(scope, sorted(stored_inputs(metric, self.defs)), before=day)
            if not ends:
                return None
            found = max(ends)
            points = self.daily([metric], channel, found, found)[metric]
            if points:
                return points[-1]
            day = found - dt.timedelta(days=1)
        points = self.daily([metric], channel, MIN_DATE, day)[metric]  # a long undefined stretch
        return points[-1] if points else None
