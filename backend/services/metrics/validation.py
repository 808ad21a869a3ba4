"""Checking pushed and imported points: one tight loop, no marshmallow per point.

A point is valid when its channel exists in the company, its metric is a gauge or flow of the
catalog (derived metrics are computed, not pushed), its date a real YYYY-MM-DD from 2000-01-01
to tomorrow (UTC), its value a finite number (>= 0 for built-in metrics), and its (channel,
metric, date) appears once in the batch.
"""
from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import select

from ...bounds import DATE_MIN
from ...bounds import METRIC_VALUE_MAX as VALUE_MAX
from ...extensions import db
from ...models import Channel
from .. import catalog
from ..errors import ValidationFailed

MAX_ERRORS = 100


MIN_DATE = DATE_MIN


POINT_FIELDS = frozenset(("channel", "metric", "date", "value"))

# A valid point, as written: (channel key, metric, date, value).
PointRow = tuple[str, str, dt.date, float]


class ErrorLimitReached(Exception):
    """The validator met its error limit at the point ``index``: the rest is not checked."""

    def __init__(self, index: int) -> None:
        super().__init__(index)
        self.index = index


class PointValidator:
    """Checks points against one company's channels and the agency's catalog.

    Keeps the keys it has seen, so a CSV file checked in chunks still finds duplicates.
    ``rows`` collects valid points as ``(channel key, metric, date, value)``.
    """

    def __init__(self, company_id: uuid.UUID, today: dt.date | None = None, error_limit: int | None = None) -> None:
        self.company_id = company_id
        self.error_limit = error_limit
        self.channels: dict[str, uuid.UUID] = {
            key: cid for cid, key in db.session.execute(
                select(Channel.id, Channel.key).where(Channel.company_id == company_id))
        }
        self.defs = catalog.definitions()
        today = today or dt.datetime.now(dt.UTC).date()
        self.max_date = today + dt.timedelta(days=1)
        self._dates: dict[str, dt.date | str] = {}
        self._valid_dates: dict[str, dt.date] = {}
        self._nonnegative = {k: d.builtin for k, d in self.defs.items() if d.kind != catalog.DERIVED}
        self.seen: dict[tuple[str, str, dt.date], int] = {}
        self.rows: list[PointRow] = []
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0

    def _error(self, index: int, field: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"index": index, "field": field, "message": message})
        if self.error_limit is not None and self.error_count >= self.error_limit:
            raise ErrorLimitReached(index)

    def _date(self, value: str) -> dt.date | str:
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

    def check(self, points: Sequence[object], offset: int = 0) -> None:
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
                        parsed = self._date(ds)
                        day = parsed if type(parsed) is dt.date else None
                    tv = type(v)
                    if tv is int:
                        v, tv = float(v), float
                    if (tv is float and -VALUE_MAX <= v <= VALUE_MAX and positive_only is not None and day is not None
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

    def _check_one(self, p: object, i: int) -> None:
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
        channel: Any = p.get("channel")  # what was sent, checked below
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
        metric: Any = p.get("metric")
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
        day: dt.date | str | None = None
        if "date" in p:
            raw = p["date"]
            day = self._date(raw) if type(raw) is str else "Must be a date as YYYY-MM-DD."
            if type(day) is str:
                error(i, "date", day)
                ok = False
        value: Any = None
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
                elif abs(value) > VALUE_MAX:
                    error(i, "value", f"Must be between -{VALUE_MAX:.0e} and {VALUE_MAX:.0e} (a day's value).")
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
        if ok:  # then every field was there and right: the day is a date
            self.rows.append((channel, metric, cast(dt.date, day), value))

    def raise_if_invalid(self, what: str = "point") -> None:
        if self.error_count:
            raise ValidationFailed(
                f"{self.error_count} invalid {what}{'s' if self.error_count != 1 else ''}; nothing was written."
                + (f" The first {MAX_ERRORS} are listed." if self.error_count > MAX_ERRORS else ""),
                errors=self.errors,
                error_count=self.error_count,
            )
