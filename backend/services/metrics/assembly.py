"""Pure assembly of what the statements read into series: the plan of stored metrics a read
needs, growth, gauges carried forward and summed over channels, derived ratios."""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Callable

from .. import catalog
from .pairing import paired_key, paired_sums, ratio_inputs
from .statements import (
    Coverages,
    Edge,
    FlowSums,
    GaugeLasts,
    Scope,
    Seeds,
    Series,
    flow_sums,
    flow_sums_by_period,
    gauge_edges_by_period,
    gauge_lasts,
)

Defs = dict[str, catalog.MetricDef]
# {(channel key or "all", metric): {bucket: value}}: what compute() answers.
Computed = dict[tuple[str, str], Series]

GROWTH = "follower_growth"


def growth(rows: list[Edge], seed: float | None) -> Series:
    """follower_growth per bucket for one channel from its (bucket, last, first) rows."""
    out: Series = {}
    prev = seed
    for bucket, last, first in rows:
        out[bucket] = last - (prev if prev is not None else first)
        prev = last
    return out


def carried_sum(per_channel: list[tuple[list[Edge], float | None]], mean: bool = False) -> Series:
    """Sum over channels of each one's last known value at every bucket where any has a point
    (with ``mean``, their mean: for gauges that do not add up, see ``MetricDef.combine``)."""
    buckets = sorted({r[0] for rows, _ in per_channel for r in rows})
    out: Series = {}
    states = [(dict((r[0], r[1]) for r in rows), seed) for rows, seed in per_channel]
    current = [seed for _, seed in states]
    for bucket in buckets:
        total, count = 0.0, 0
        for i, (values, _) in enumerate(states):
            v = values.get(bucket)
            if v is not None:
                current[i] = v
            last = current[i]
            if last is not None:
                total += last
                count += 1
        if count:
            out[bucket] = total / count if mean else total
    return out


def plan(metrics: list[str], defs: Defs) -> tuple[set[str], set[str], set[str]]:
    """What a read of ``metrics`` needs: the stored flows summed, the gauges (follower_growth via
    followers) and the ratios, whose inputs are summed in pairs (``paired_sums``)."""
    flows: set[str] = set()
    gauges: set[str] = set()
    ratios: set[str] = set()
    for key in metrics:
        d = defs[key]
        if d.kind == catalog.FLOW:
            flows.add(key)
        elif d.kind == catalog.GAUGE:
            gauges.add(key)
        elif key == GROWTH:
            gauges.add("followers")
        else:
            ratios.add(key)
    return flows, gauges, ratios


def stored_inputs(metric: str, defs: Defs) -> set[str]:
    """The stored metrics a value of ``metric`` is made of."""
    flows, gauges, ratios = plan([metric], defs)
    return flows | gauges | {m for r in ratios for m in defs[r].inputs}


def reads_levels(metric: str, defs: Defs) -> bool:
    """Whether a daily read of ``metric`` reads levels (gauges, per channel) rather than amounts
    summed per day in SQL (flows and the ratios derived from them)."""
    return bool(plan([metric], defs)[1])


def _derive_series(key: str, flow_series: Callable[[str], Series]) -> Series:
    inputs = {k: flow_series(paired_key(key, k)) for k in catalog.BUILTIN[key].inputs}
    buckets = sorted({b for s in inputs.values() for b in s})
    out: Series = {}
    for bucket in buckets:
        v = catalog.derive(key, {k: s.get(bucket) for k, s in inputs.items()})
        if v is not None:
            out[bucket] = v
    return out


def compute(company_id: uuid.UUID, metrics: list[str], channel_ids: dict[uuid.UUID, str] | None,
             date_from: dt.date, date_to: dt.date, granularity: str, defs: Defs,
             split: dict[uuid.UUID, str] | None = None) -> Computed:
    """{(channel key or "all", metric): {bucket: value}}; ``channel_ids`` None = combined. With
    ``split`` (combined only: every channel's id -> key) the stored gauges among ``metrics`` also
    come per channel, from the same read as the combined values."""
    scope = Scope(company_id=company_id, channel_id=_only_channel(channel_ids))
    flows, gauges, ratios = plan(metrics, defs)
    by_channel = channel_ids is not None
    coverage: Coverages = {}
    sums = flow_sums(scope, flows | ratio_inputs(ratios), date_from, date_to, granularity, by_channel,
                     coverage=coverage if ratios else None)
    sums.update(paired_sums(scope, ratios, [(date_from, date_to)], granularity, by_channel, False, [sums],
                            [coverage])[0])
    lasts, seeds = gauge_lasts(scope, gauges, date_from, date_to, granularity, need_first=GROWTH in metrics)
    return _assemble(metrics, defs, channel_ids, sums, lasts, seeds, split)


def _only_channel(channel_ids: dict[uuid.UUID, str] | None) -> uuid.UUID | None:
    return next(iter(channel_ids)) if channel_ids is not None and len(channel_ids) == 1 else None


def compute_periods(company_id: uuid.UUID, metrics: list[str], channel_ids: dict[uuid.UUID, str] | None,
                     periods: list[tuple[dt.date, dt.date]], defs: Defs) -> list[Computed]:
    """:func:`compute` by whole period for several adjacent periods (oldest first, each starting
    the day after the one before ends): the flows summed per period, but each channel's first and
    last gauge value in every period from one statement and the gauges' seed from one more, before
    the first period (a later period's seed is the last value of the one before)."""
    for (_, end), (start, _) in zip(periods, periods[1:], strict=False):
        if start != end + dt.timedelta(days=1):
            raise ValueError("periods must be adjacent, oldest first")
    scope = Scope(company_id=company_id, channel_id=_only_channel(channel_ids))
    flows, gauges, ratios = plan(metrics, defs)
    by_channel = channel_ids is not None
    coverage: list[Coverages] = [{} for _ in periods]
    sums = flow_sums_by_period(scope, flows | ratio_inputs(ratios), periods, by_channel,
                               coverage if ratios else None)
    for i, paired in enumerate(paired_sums(scope, ratios, periods, "period", by_channel, False, sums, coverage)):
        sums[i].update(paired)
    lasts, seeds = gauge_edges_by_period(scope, gauges, periods, need_first=GROWTH in metrics)
    return [_assemble(metrics, defs, channel_ids, sums[i], lasts[i], seeds[i]) for i in range(len(periods))]


def _assemble(metrics: list[str], defs: Defs, channel_ids: dict[uuid.UUID, str] | None, sums: FlowSums,
              lasts: GaugeLasts, seeds: Seeds, split: dict[uuid.UUID, str] | None = None) -> Computed:
    """The values of :func:`compute` from what was read: flow sums, gauge (bucket, last, first)
    rows and seeds."""
    by_channel = channel_ids is not None
    out: Computed = {}
    targets: list[tuple[uuid.UUID | None, str]] = (
        [(cid, key) for cid, key in channel_ids.items()] if channel_ids is not None else [(None, "all")])
    for cid, label in targets:
        def flow(m: str, cid: uuid.UUID | None = cid) -> Series:
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
                    total: Series = defaultdict(float)
                    for c in chans:
                        for bucket, v in growth(lasts.get((None, c, src), []), seeds.get((None, c, src))).items():
                            total[bucket] += v
                    out[(label, m)] = dict(total)
                elif by_channel:
                    out[(label, m)] = {r[0]: r[1] for r in lasts.get((None, cid, src), [])}
                else:
                    out[(label, m)] = carried_sum([(lasts.get((None, c, src), []), seeds.get((None, c, src)))
                                                    for c in chans], mean=d.combine == "mean")
            else:
                out[(label, m)] = _derive_series(m, flow)
    if split and not by_channel:
        for m in metrics:
            if defs[m].kind == catalog.GAUGE:
                for cid, key in split.items():
                    out[(key, m)] = {r[0]: r[1] for r in lasts.get((None, cid, m), [])}
    return out
