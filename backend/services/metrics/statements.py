"""The SQL of the reads: the tenant scope, buckets, flow sums, gauge lasts, seeds and bounds.

Every statement names MetricPoint through ORM attributes (so the scoping hook applies) and also
states the agency and company explicitly (``Scope``), so that the indexes leading with
(agency_id, company_id) are used.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Date,
    DateTime,
    FromClause,
    Integer,
    Label,
    Row,
    ScalarSelect,
    Select,
    SQLColumnExpression,
    String,
    and_,
    cast,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import QueryableAttribute, aliased

from ...extensions import db
from ...models import Channel, Company, MetricPoint
from ...tenancy import current_principal
from .. import catalog

# What the reads hand to the assembly (backend/services/metrics/assembly.py).
ReadKey = tuple[uuid.UUID | None, uuid.UUID | None, str]  # (company id | None, channel id | None, metric)
Series = dict[dt.date, float]  # {bucket: value}
FlowSums = dict[ReadKey, Series]


class Coverage(NamedTuple):
    """What a flow sum over a whole read is made of: how many points, the first and last day."""
    n: int
    first: dt.date
    last: dt.date


Coverages = dict[ReadKey, Coverage]
Edge = tuple[dt.date, float, float]  # (bucket, last value, first value)
GaugeLasts = dict[ReadKey, list[Edge]]
Seeds = dict[ReadKey, float]  # the last value before the range
DateColumn = ColumnElement[dt.date] | QueryableAttribute[dt.date]
Criteria = list[ColumnElement[bool]]
_T = TypeVar("_T")


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def bucket_start(column: DateColumn, granularity: str, dialect: str) -> DateColumn:
    """SQL for the first day of the bucket holding ``column`` (a DATE): day, ISO week, month."""
    if granularity == "day":
        return column
    if dialect == "postgresql":
        unit = {"week": "'week'", "month": "'month'"}[granularity]
        return cast(func.date_trunc(literal_column(unit), cast(column, DateTime)), Date)
    modifiers = {"week": ("'weekday 0'", "'-6 days'"), "month": ("'start of month'",)}[granularity]
    return func.date(column, *[literal_column(m) for m in modifiers], type_=Date)


def as_date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class Scope:
    """Explicit tenant criteria for the reads (see the module docstring): the principal's agency,
    one company (or every company in reach) and optionally one channel. ``points(alias)`` gives
    the MetricPoint criteria, ``channels()`` the Channel criteria of the same scope."""

    def __init__(self, company_id: uuid.UUID | None = None, channel_id: uuid.UUID | None = None,
                 among: Collection[uuid.UUID] | None = None):
        p = current_principal()
        self.agency_id = p.agency_id
        self.company_id = company_id
        self.company_ids: list[uuid.UUID] | None = None
        if company_id is None and (p.company_ids is not None or among is not None):
            # ``among`` narrows every company in reach to some of them (never widens it).
            reach = set(among if among is not None else p.company_ids or ())
            if p.company_ids is not None:
                reach &= set(p.company_ids)
            self.company_ids = sorted(reach, key=str) or [uuid.UUID(int=0)]
        self.channel_id = channel_id

    def _criteria(self, agency_col: QueryableAttribute[uuid.UUID], company_col: QueryableAttribute[uuid.UUID],
                  channel_col: QueryableAttribute[uuid.UUID]) -> Criteria:
        crit = [agency_col == self.agency_id]
        if self.company_id is not None:
            crit.append(company_col == self.company_id)
        elif self.company_ids is not None:
            crit.append(company_col.in_(self.company_ids))
        if self.channel_id is not None:
            crit.append(channel_col == self.channel_id)
        return crit

    def points(self, mp: type[MetricPoint] = MetricPoint) -> Criteria:
        return self._criteria(mp.agency_id, mp.company_id, mp.channel_id)

    def channels(self) -> Criteria:
        return self._criteria(Channel.agency_id, Channel.company_id, Channel.id)


# Aliases built once: a statement on a fresh ``aliased()`` costs milliseconds of set-up on every
# call (its attributes are adapted on first use); aliases are immutable and safe to share.
_LAST_P = aliased(MetricPoint, name="last_p")
_FIRST_P = aliased(MetricPoint, name="first_p")
_MP_NEXT = aliased(MetricPoint, name="mp_next")
_MP_FIRST = aliased(MetricPoint, name="mp_first")
_MP_LAST = aliased(MetricPoint, name="mp_last")


def flow_sums(scope: Scope, metrics: Collection[str], date_from: dt.date, date_to: dt.date, granularity: str,
              by_channel: bool, by_company: bool = False, coverage: Coverages | None = None) -> FlowSums:
    """{(company_id|None, channel_id|None, metric): {bucket: sum}}; with ``coverage`` (a dict to
    fill) also each key's :class:`Coverage` over every bucket, from the same statement."""
    if not metrics:
        return {}
    dialect = dialect_name()
    b = bucket_start(MetricPoint.date, granularity, dialect) if granularity != "period" else None
    cols: list[SQLColumnExpression[Any]] = []
    groups: list[SQLColumnExpression[Any]] = []
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
    if coverage is not None:
        cols += [func.count(MetricPoint.value), func.min(MetricPoint.date), func.max(MetricPoint.date)]
    stmt = (select(*cols, func.sum(MetricPoint.value))
            .where(*scope.points(), MetricPoint.metric.in_(sorted(metrics)),
                   MetricPoint.date >= date_from, MetricPoint.date <= date_to)
            .group_by(*groups))
    out: FlowSums = defaultdict(dict)
    n_keys = int(by_company) + int(by_channel)
    for row in db.session.execute(stmt):
        grp = row[0] if by_company else None
        ch = row[n_keys - 1] if by_channel else None
        metric = row[n_keys]
        bucket = as_date(row[n_keys + 1]) if b is not None else date_from
        out[(grp, ch, metric)][bucket] = float(row[-1])
        if coverage is not None:
            n, first, last = int(row[-4]), as_date(row[-3]), as_date(row[-2])
            seen = coverage.get((grp, ch, metric))
            coverage[(grp, ch, metric)] = (Coverage(n, first, last) if seen is None else
                                           Coverage(seen.n + n, min(seen.first, first), max(seen.last, last)))
    return out


def flow_sums_by_period(scope: Scope, metrics: Collection[str], periods: list[tuple[dt.date, dt.date]],
                       by_channel: bool, coverage: list[Coverages] | None = None) -> list[FlowSums]:
    """:func:`flow_sums` by ``"period"`` for each period: one statement per period, on purpose —
    summing two periods in one statement (a CASE on the date, grouped by period) measured slower
    on SQLite (a temporary B-tree for the grouping; 39 ms against 7 + 6 ms for a year and the one
    before), and on PostgreSQL it saves one round trip only. ``coverage``: one dict per period."""
    return [flow_sums(scope, metrics, start, end, "period", by_channel,
                      coverage=coverage[i] if coverage is not None else None)
            for i, (start, end) in enumerate(periods)]


def channel_counts(scope: Scope, by_company: bool) -> dict[uuid.UUID | None, int]:
    """How many channels the scope holds: per company, or all together under None."""
    if scope.channel_id is not None and not by_company:
        return {None: 1}
    stmt = select(*([Channel.company_id] if by_company else []), func.count()).where(*scope.channels())
    if by_company:
        stmt = stmt.group_by(Channel.company_id)
    return {row[0] if by_company else None: int(row[-1]) for row in db.session.execute(stmt)}


def gauge_edges_by_period(scope: Scope, metrics: Collection[str], periods: list[tuple[dt.date, dt.date]],
                          need_first: bool) -> tuple[list[GaugeLasts], list[Seeds]]:
    """:func:`gauge_lasts` by ``"period"`` for adjacent periods from two statements: per period
    the lasts ``{(None, channel, metric): [(start, last, first)]}`` and the seeds (the last value
    before the period: the seed statement for the first, the period before for the others)."""
    lasts: list[GaugeLasts] = [defaultdict(list) for _ in periods]
    seeds: list[Seeds] = [{} for _ in periods]
    if not metrics:
        return lasts, seeds
    keys = sorted(metrics)
    parts = [part for i, (start, end) in enumerate(periods)
             for part in _period_selects(scope, keys, start, end, need_first, period=i)]
    for _company, ch, metric, last, first, period in db.session.execute(union_all(*parts)):
        if last is not None:
            lasts[period][(None, ch, metric)].append((periods[period][0], float(last), float(first)))
    for _company, ch, metric, value in db.session.execute(seed_statement(scope, keys, periods[0][0])):
        if value is not None:
            seeds[0][(None, ch, metric)] = float(value)
    for i in range(1, len(periods)):
        seeds[i] = dict(seeds[i - 1])
        for key, rows in lasts[i - 1].items():
            seeds[i][key] = rows[-1][1]
    return lasts, seeds


def _same_point(mp: type[MetricPoint], scope: Scope, src: FromClause, date_col: SQLColumnExpression[Any]
                ) -> ColumnElement[bool]:
    """Join criteria: ``mp`` is the stored point of ``src``'s (company, channel, metric) on ``date_col``
    (one lookup in the unique index that leads with the tenant)."""
    return and_(mp.agency_id == scope.agency_id, mp.company_id == src.c.company_id,
                mp.channel_id == src.c.channel_id, mp.metric == src.c.metric, mp.date == date_col)


class IdCache(dict[str | uuid.UUID, uuid.UUID]):
    """Raw id (hex text on SQLite, a UUID from psycopg) -> uuid.UUID, converted once per value."""

    def __call__(self, raw: str | uuid.UUID) -> uuid.UUID:
        out = self.get(raw)
        if out is None:
            out = self[raw] = raw if isinstance(raw, uuid.UUID) else uuid.UUID(raw)
        return out


def gauge_lasts(scope: Scope, metrics: Collection[str], date_from: dt.date, date_to: dt.date, granularity: str,
                by_company: bool = False, need_first: bool = True) -> tuple[GaugeLasts, Seeds]:
    """Per (company_id|None, channel, metric): sorted [(bucket, last, first)] inside the range,
    and the seed value (the last one before ``date_from``, however old).

    By day every point is its own bucket. By week or month the last (and first) date of each
    bucket comes from a grouped max/min and its value from a join on the natural key; for a whole
    period, and for the seed, each (channel, metric) is one seek in the natural-key index
    (``ORDER BY date DESC LIMIT 1``) — no window function over a whole history."""
    if not metrics:
        return {}, {}
    keys = sorted(metrics)
    dialect = dialect_name()
    lasts: GaugeLasts = defaultdict(list)
    if granularity == "day":
        # One row per point: the ids come as text (PostgreSQL casts them; hashing a UUID object
        # per row would cost more than the query), rows are grouped by that text and each
        # distinct id is converted once.
        ids = IdCache()
        as_text: Callable[[QueryableAttribute[uuid.UUID]], ColumnElement[str]] = (
            (lambda col: cast(col, String)) if dialect == "postgresql" else (lambda col: type_coerce(col, String)))
        cols = [as_text(MetricPoint.company_id)] if by_company else []
        stmt = select(*cols, as_text(MetricPoint.channel_id), MetricPoint.metric, MetricPoint.date,
                      MetricPoint.value).where(*scope.points(), MetricPoint.metric.in_(keys),
                                               MetricPoint.date >= date_from, MetricPoint.date <= date_to)
        raw: dict[tuple[str | None, str, str], list[Edge]] = defaultdict(list)
        rows: Sequence[Row[*tuple[Any, ...]]] = db.session.execute(stmt).all()
        # PostgreSQL answers dates, SQLite ISO text: convert per row only when needed.
        to_date = as_date if rows and not isinstance(rows[0][-2], dt.date) else (lambda d: d)
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
            raw_company = key[0] if by_company else None
            lasts[(ids(raw_company) if raw_company is not None else None, ids(key[1]), key[2])] = v
    elif granularity == "period":
        for company, ch, metric, last, first in db.session.execute(
                period_statement(scope, keys, date_from, date_to, need_first)):
            if last is not None:
                lasts[(company if by_company else None, ch, metric)].append((date_from, float(last), float(first)))
    else:
        b = bucket_start(MetricPoint.date, granularity, dialect)
        labels: list[Label[Any]] = [MetricPoint.company_id.label("company_id"),
                                    MetricPoint.channel_id.label("channel_id"), MetricPoint.metric.label("metric")]
        groups = [MetricPoint.company_id, MetricPoint.channel_id, MetricPoint.metric, b]
        g = (select(*labels, b.label("bucket"), func.max(MetricPoint.date).label("last_d"),
                    func.min(MetricPoint.date).label("first_d"))
             .where(*scope.points(), MetricPoint.metric.in_(keys),
                    MetricPoint.date >= date_from, MetricPoint.date <= date_to)
             .group_by(*groups)).subquery("g")
        last_p = _LAST_P
        # The joined side restated with the scope, metrics and range: PostgreSQL hashes it, and
        # would otherwise read every point of the agency.

        def joined(mp: type[MetricPoint], date_col: SQLColumnExpression[Any]) -> ColumnElement[bool]:
            return and_(_same_point(mp, scope, g, date_col), *scope.points(mp), mp.metric.in_(keys),
                        mp.date >= date_from, mp.date <= date_to)

        bucket_stmt = (select(g.c.company_id, g.c.channel_id, g.c.metric, g.c.bucket, last_p.value)
                       .join_from(g, last_p, joined(last_p, g.c.last_d)))
        if need_first:
            first_p = _FIRST_P
            bucket_stmt = bucket_stmt.add_columns(first_p.value).join(first_p, joined(first_p, g.c.first_d))
        for row in db.session.execute(bucket_stmt):
            company, ch, metric, bucket, value = row[:5]
            first = row[5] if need_first else value
            lasts[(company if by_company else None, ch, metric)].append((as_date(bucket), float(value), float(first)))
        for v in lasts.values():
            v.sort()
    seeds: Seeds = {}
    for company, ch, metric, value in db.session.execute(seed_statement(scope, keys, date_from)):
        if value is not None:
            seeds[(company if by_company else None, ch, metric)] = float(value)
    return lasts, seeds


def _edge_value(scope: Scope, metric: str, date_crit: Criteria, last: bool) -> ScalarSelect[float]:
    """Correlated scalar subquery (on Channel): the value of the channel's last (or first) point of
    ``metric`` meeting ``date_crit`` — one seek in the natural-key index, ORDER BY date LIMIT 1."""
    return (select(MetricPoint.value)
            .where(MetricPoint.agency_id == scope.agency_id, MetricPoint.company_id == Channel.company_id,
                   MetricPoint.channel_id == Channel.id, MetricPoint.metric == metric, *date_crit)
            .order_by(MetricPoint.date.desc() if last else MetricPoint.date)
            .limit(1).correlate(Channel).scalar_subquery())


def last_levels_statement(scope: Scope, metric: str, day: dt.date) -> Select[dt.date, float]:
    """(date, value) of each channel's last point of ``metric`` on or before ``day`` (None, None
    for a channel without one): two seeks per channel."""
    def edge(column: QueryableAttribute[_T]) -> ScalarSelect[_T]:
        return (select(column)
                .where(MetricPoint.agency_id == scope.agency_id, MetricPoint.company_id == Channel.company_id,
                       MetricPoint.channel_id == Channel.id, MetricPoint.metric == metric, MetricPoint.date <= day)
                .order_by(MetricPoint.date.desc()).limit(1).correlate(Channel).scalar_subquery())

    return select(edge(MetricPoint.date), edge(MetricPoint.value)).where(*scope.channels())


def seed_statement(scope: Scope, metrics: list[str], before: dt.date
                   ) -> Select[uuid.UUID, uuid.UUID, str, float] | CompoundSelect[uuid.UUID, uuid.UUID, str, float]:
    """(company_id, channel_id, metric, value) of the last point before ``before`` of each channel
    in scope and each of ``metrics`` (value None when the channel has none)."""
    parts = [select(Channel.company_id, Channel.id, literal(m, String).label("metric"),
                    _edge_value(scope, m, [MetricPoint.date < before], True).label("value"))
             .where(*scope.channels()) for m in metrics]
    return parts[0] if len(parts) == 1 else union_all(*parts)


def period_statement(scope: Scope, metrics: list[str], date_from: dt.date, date_to: dt.date, need_first: bool
                     ) -> Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]:
    """(company_id, channel_id, metric, last, first) of each channel and metric in a whole period:
    two seeks per channel instead of grouping every point of the period."""
    parts = _period_selects(scope, metrics, date_from, date_to, need_first)
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _period_selects(scope: Scope, metrics: list[str], date_from: dt.date, date_to: dt.date, need_first: bool,
                    period: int | None = None) -> list[Select[*tuple[Any, ...]]]:
    """The selects of :func:`period_statement`, one per metric; ``period`` adds that number as a
    last column (several periods in one flat union: SQLite refuses a union of unions)."""
    within = [MetricPoint.date >= date_from, MetricPoint.date <= date_to]
    extra = [literal(period, Integer).label("period")] if period is not None else []
    parts: list[Select[*tuple[Any, ...]]] = []
    for m in metrics:
        last = _edge_value(scope, m, within, True)
        first = _edge_value(scope, m, within, False) if need_first else last
        parts.append(select(Channel.company_id, Channel.id, literal(m, String).label("metric"),
                            last.label("last"), first.label("first"), *extra).where(*scope.channels()))
    return parts


def stored_bounds(scope: Scope) -> dict[str, tuple[dt.date, dt.date]]:
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

    def edge(mp: type[MetricPoint], last: bool) -> ScalarSelect[dt.date]:
        # ORDER BY date LIMIT 1, not min()/max(): see date_bounds (PostgreSQL generic plans).
        return (select(mp.date).where(*scope.points(mp), mp.metric == present.c.metric)
                .order_by(mp.date.desc() if last else mp.date).limit(1).correlate(present).scalar_subquery())

    stmt = (select(present.c.metric, edge(_MP_FIRST, False), edge(_MP_LAST, True))
            .where(present.c.metric.is_not(None)))
    return {metric: (as_date(first_day), as_date(last_day))
            for metric, first_day, last_day in db.session.execute(stmt) if first_day is not None}


def date_bounds(scope: Scope, metrics: list[str], before: dt.date | None = None
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
    firsts = [as_date(v) for v in row[0::2] if v is not None]
    lasts = [as_date(v) for v in row[1::2] if v is not None]
    return firsts, lasts


def last_dates(scope: Scope) -> dict[uuid.UUID, dt.date]:
    """{company_id: last date with any point} for the companies in scope: per company and stored
    metric one seek in the (agency, company, metric, date) index — not a read of every point."""
    parts = []
    for m in sorted(catalog.storable()):
        # ORDER BY date DESC LIMIT 1, not max(): see date_bounds (PostgreSQL generic plans).
        last = (select(MetricPoint.date)
                .where(MetricPoint.agency_id == scope.agency_id, MetricPoint.company_id == Company.id,
                       MetricPoint.metric == m)
                .order_by(MetricPoint.date.desc()).limit(1)
                .correlate(Company).scalar_subquery())
        crit = [Company.id.in_(scope.company_ids)] if scope.company_ids is not None else []
        parts.append(select(Company.id, last.label("last")).where(Company.agency_id == scope.agency_id, *crit))
    out: dict[uuid.UUID, dt.date] = {}
    if not parts:
        return out
    for cid, last_day in db.session.execute(parts[0] if len(parts) == 1 else union_all(*parts)):
        if last_day is not None:
            day = as_date(last_day)
            out[cid] = max(out.get(cid, day), day)
    return out
