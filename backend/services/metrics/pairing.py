"""Ratios over more than one day (a card's period, a week, every channel together) from the
(channel, day) points where the ratio's denominator and a numerator were both reported
(``catalog.RATIO_PARTS``), so that they agree with the daily values the charts show: 2 days of
engagements are divided by the reach of those 2 days, not of the month.

Most data arrives as a daily export with every metric, and then pairing changes nothing. The
caller sums the ratios' inputs with its other flows (``flow_sums`` with a ``Coverage``: a count,
the first and the last day, from the same statement) and :func:`paired_sums` decides per period
and ratio:

- every channel has each input on every day of one stretch (the coverage shows it at once, or
  a count and two seeks per channel and input tell): the plain sums are the answer;
- no channel has the denominator and a numerator: nothing pairs;
- otherwise one grouped statement pairs the points.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Integer, String, and_, case, func, literal, or_, select, union_all

from ...extensions import db
from ...models import Channel, MetricPoint
from .. import catalog
from .statements import Coverages, FlowSums, Scope, as_date, bucket_start, channel_counts, dialect_name

PLAIN, PAIR, EMPTY = "plain", "pair", "empty"


def paired_key(ratio: str, metric: str) -> str:
    """The FlowSums metric under which the paired sums answer one input of ``ratio``."""
    return f"{ratio}:{metric}"


def ratio_inputs(ratios: Collection[str]) -> set[str]:
    """The stored flows the ratios are made of: the caller sums them (with coverage) for
    :func:`paired_sums`."""
    return {m for r in ratios for m in catalog.BUILTIN[r].inputs}


def paired_sums(scope: Scope, ratios: Collection[str], periods: list[tuple[dt.date, dt.date]], granularity: str,
                by_channel: bool, by_company: bool, plain: list[FlowSums], coverage: list[Coverages]
                ) -> list[FlowSums]:
    """For each period, the inputs of each ratio summed like ``flow_sums``, but only over the
    (channel, day) points where the ratio's denominator and one of its numerators were both
    reported; answered under ``paired_key(ratio, input)``. ``plain`` and ``coverage``: the
    period's ``flow_sums`` of :func:`ratio_inputs`, read the same way (granularity, by channel,
    by company)."""
    out: list[FlowSums] = [{} for _ in periods]
    if not ratios or not periods:
        return out
    counts = channel_counts(scope, by_company) if not by_channel else {}
    ways = [{r: _way_from_coverage(r, coverage[i], counts) for r in ratios} for i in range(len(periods))]
    unknown = [i for i, w in enumerate(ways) if None in w.values()]
    if unknown:
        asked = sorted({r for i in unknown for r, way in ways[i].items() if way is None})
        for i, found in zip(unknown, _ways(scope, asked, [periods[i] for i in unknown]), strict=True):
            ways[i].update({r: found[r] for r in asked if ways[i][r] is None})
    for i in range(len(periods)):
        out[i].update(_as_paired([r for r, way in ways[i].items() if way == PLAIN], plain[i]))
    chosen = [i for i, w in enumerate(ways) if PAIR in w.values()]
    if chosen:
        pair = sorted({r for i in chosen for r, way in ways[i].items() if way == PAIR})
        paired = _paired_statement(scope, pair, [periods[i] for i in chosen], granularity, by_channel, by_company)
        for i, sums in zip(chosen, paired, strict=True):
            out[i].update({k: v for k, v in sums.items() if ways[i].get(k[2].split(":")[0]) == PAIR})
    return out


def _way_from_coverage(ratio: str, coverage: Coverages, channels: dict[Any, int]) -> str | None:
    """The way decided from the plain sums' coverage alone, or None when it takes a closer look:
    ``empty`` when the denominator or every numerator is missing in each group; ``plain`` when in
    each group (a channel, or every channel of a company together) every input has the same
    count, first and last day and the count is the group's channels times the days in between,
    so each channel has each input on each of those days."""
    denominator, numerators = catalog.RATIO_PARTS[ratio]
    inputs = catalog.BUILTIN[ratio].inputs
    groups = {(grp, ch) for grp, ch, m in coverage if m in inputs}
    if not any((g, c, denominator) in coverage and any((g, c, n) in coverage for n in numerators)
               for g, c in groups):
        return EMPTY
    for grp, ch in groups:
        seen = {coverage.get((grp, ch, m)) for m in inputs}
        if len(seen) != 1 or None in seen:
            return None
        (c,) = seen
        assert c is not None
        if c.n != (1 if ch is not None else channels.get(grp, 0)) * ((c.last - c.first).days + 1):
            return None
    return PLAIN


def _as_paired(ratios: Collection[str], sums: FlowSums) -> FlowSums:
    """Plain sums of the inputs, answered under the paired keys."""
    out: FlowSums = {}
    for (grp, ch, metric), series in sums.items():
        for ratio in ratios:
            if metric in catalog.BUILTIN[ratio].inputs:
                out[(grp, ch, paired_key(ratio, metric))] = series
    return out


def _ways(scope: Scope, ratios: Collection[str], periods: list[tuple[dt.date, dt.date]]) -> list[dict[str, str]]:
    """Per period and ratio, how to sum its inputs: ``plain`` when every channel has each input
    on every day of one and the same stretch, or none of them (pairing changes nothing),
    ``empty`` when no channel has both a denominator and a numerator (nothing pairs), else
    ``pair``. One statement: per channel, input and period a count and the first and last day
    (a range count and two seeks in the (agency, company, channel, metric, date) index)."""
    inputs = sorted(ratio_inputs(ratios))

    def edge(m: str, start: dt.date, end: dt.date, column: Any) -> Any:
        return (select(column).where(MetricPoint.agency_id == scope.agency_id,
                                     MetricPoint.company_id == Channel.company_id, MetricPoint.channel_id == Channel.id,
                                     MetricPoint.metric == m, MetricPoint.date >= start, MetricPoint.date <= end)
                .correlate(Channel))

    parts = []
    for i, (start, end) in enumerate(periods):
        for m in inputs:
            first = edge(m, start, end, MetricPoint.date).order_by(MetricPoint.date).limit(1).scalar_subquery()
            last = edge(m, start, end, MetricPoint.date).order_by(MetricPoint.date.desc()).limit(1).scalar_subquery()
            parts.append(select(literal(i, Integer).label("period"), Channel.id, literal(m, String).label("metric"),
                                edge(m, start, end, func.count()).scalar_subquery().label("n"),
                                first.label("first"), last.label("last")).where(*scope.channels()))
    stretch: dict[tuple[int, Any], dict[str, tuple[int, Any, Any]]] = defaultdict(dict)
    for period, channel, metric, n, first, last in db.session.execute(union_all(*parts)):
        days = (as_date(first), as_date(last)) if n else (None, None)
        stretch[(period, channel)][metric] = (int(n or 0), *days)
    out: list[dict[str, str]] = []
    for i in range(len(periods)):
        ways: dict[str, str] = {}
        channels = [v for (p, _), v in stretch.items() if p == i]
        for ratio in ratios:
            denominator, numerators = catalog.RATIO_PARTS[ratio]
            if not any(c[denominator][0] and any(c[n][0] for n in numerators) for c in channels):
                ways[ratio] = EMPTY
            elif all(_one_full_stretch([c[m] for m in catalog.BUILTIN[ratio].inputs]) for c in channels):
                ways[ratio] = PLAIN
            else:
                ways[ratio] = PAIR
        out.append(ways)
    return out


def _one_full_stretch(stretches: list[tuple[int, Any, Any]]) -> bool:
    """All the same, and each day of it there (or all empty)."""
    n, first, last = stretches[0]
    return all(s == stretches[0] for s in stretches) and (n == 0 or (last - first).days + 1 == n)


def _paired_statement(scope: Scope, ratios: Collection[str], periods: list[tuple[dt.date, dt.date]],
                      granularity: str, by_channel: bool, by_company: bool = False) -> list[FlowSums]:
    """The paired sums from one statement: every ratio input's points over the periods (one
    range of the (agency, company, metric, date) index) summed per metric and (company, channel,
    day), then per period and bucket, each input counted where its ratio's denominator and a
    numerator are there that day. No lookup per point: correlated EXISTS seeks made PostgreSQL
    seek by channel and day and filter the metrics, reading a channel's whole history per point
    (2.6–3.9 s for a year of sentiment among 1,000 other companies)."""
    out: list[FlowSums] = [defaultdict(dict) for _ in periods]
    mp = MetricPoint
    parts = {r: catalog.RATIO_PARTS[r] for r in sorted(ratios)}
    inputs = sorted(ratio_inputs(ratios))
    column = {m: f"m{i}" for i, m in enumerate(inputs)}
    day = (select(mp.company_id.label("company_id"), mp.channel_id.label("channel_id"), mp.date.label("day"),
                  *[func.sum(case((mp.metric == m, mp.value))).label(column[m]) for m in inputs])
           .where(*scope.points(), mp.metric.in_(inputs), mp.date >= min(p[0] for p in periods),
                  mp.date <= max(p[1] for p in periods))
           .group_by(mp.company_id, mp.channel_id, mp.date)
           .subquery("paired_day"))
    period = (case(*[(and_(day.c.day >= start, day.c.day <= end), i) for i, (start, end) in enumerate(periods)],
                   else_=-1) if len(periods) > 1 else literal(0, Integer))
    b = bucket_start(day.c.day, granularity, dialect_name()) if granularity != "period" else None
    groups: list[Any] = [period, *([day.c.company_id] if by_company else []),
                         *([day.c.channel_id] if by_channel else []), *([b] if b is not None else [])]
    sums: list[Any] = []
    keys: list[str] = []
    for ratio, (denominator, numerators) in parts.items():
        both = and_(day.c[column[denominator]].is_not(None), or_(*[day.c[column[n]].is_not(None) for n in numerators]))
        for m in catalog.BUILTIN[ratio].inputs:
            sums.append(func.sum(case((both, day.c[column[m]]))))
            keys.append(paired_key(ratio, m))
    n_keys = int(by_company) + int(by_channel)
    for row in db.session.execute(select(*groups, *sums).group_by(*groups)):
        i = row[0]
        if i < 0:
            continue  # a day between periods (a year-earlier comparison)
        grp = row[1] if by_company else None
        ch = row[n_keys] if by_channel else None
        bucket = as_date(row[1 + n_keys]) if b is not None else periods[i][0]
        for key, value in zip(keys, row[len(row) - len(keys):], strict=True):
            if value is not None:
                out[i][(grp, ch, key)][bucket] = float(value)
    return out
