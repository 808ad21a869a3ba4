"""Mention records rolled up into the daily metrics, so that every read agrees with the mention list.

**The rule: records win for the days they cover.** For a channel and a day (the company-local
day a mention counts on, ``Mention.day``) with at least one mention record, the metrics
``mentions``, ``mentions_positive``, ``mentions_neutral``, ``mentions_negative`` and
``response_time_minutes`` are the records' roll-up:

- the counts are the number of records of that channel and day (in all, and per sentiment);
- ``response_time_minutes`` is the median of the minutes from ``published_at`` to
  ``answered_at`` of that day's answered records (an answer stamped before the mention counts as
  0 minutes); with no answered record the channel-day has no response time (no point).

A metrics push or CSV import of those five metrics for such a channel-day is not stored: the
answer counts those values in ``kept_from_mentions`` (they are not an error; see
backend/services/metrics/write.py). Days without records keep pushed counts. A channel-day that
lost its last record (a deletion, an author's erasure, a mention moved to another day) gets counts
of 0 and no response time. The retention job (``retention.py``) deletes old records *without*
touching the counts: the daily metrics of those days stay as they were rolled up.

:func:`refresh` is called by every change of mention records (push, import, PATCH, delete,
erasure) inside the caller's transaction, with the ``(channel_id, day)`` keys it touched; it
writes through the metrics write path's upsert (one statement per chunk), so the dashboard, the
summary, goal progress and alerts, which all read ``metric_point``, see the same numbers as the
mention list. After the caller's commit, :func:`after_commit` asks for the alert evaluation as a
metrics push does.
"""
from __future__ import annotations

import datetime as dt
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select

from ...extensions import db
from ...models import Channel, Company, Goal, Mention, MetricPoint
from ..metrics.validation import PointRow
from ..metrics.write import AFTER_WRITE_LISTENERS, upsert

Key = tuple[uuid.UUID, dt.date]  # (channel id, company-local day)
COUNT_METRICS = {"positive": "mentions_positive", "neutral": "mentions_neutral", "negative": "mentions_negative"}
RESPONSE_TIME = "response_time_minutes"


def _keys_condition(channel_col: Any, day_col: Any, keys: Iterable[Key]) -> ColumnElement[bool]:
    """Exactly these (channel, day) keys: per channel, its days (an IN list, or a range when the
    days run without a gap)."""
    by_channel: dict[uuid.UUID, set[dt.date]] = defaultdict(set)
    for channel_id, day in keys:
        by_channel[channel_id].add(day)
    parts = []
    for channel_id, days in sorted(by_channel.items(), key=lambda kv: str(kv[0])):
        ordered = sorted(days)
        if (ordered[-1] - ordered[0]).days == len(ordered) - 1:
            within = and_(day_col >= ordered[0], day_col <= ordered[-1])
        else:
            within = day_col.in_(ordered)
        parts.append(and_(channel_col == channel_id, within))
    return or_(*parts)


def minutes_to_answer(published_at: dt.datetime, answered_at: dt.datetime) -> float:
    """Minutes from a mention to its answer (0 for an answer stamped before the mention)."""
    return max(0.0, (answered_at - published_at).total_seconds() / 60)


def median_minutes(pairs: Iterable[tuple[dt.datetime, dt.datetime]]) -> float | None:
    """The median minutes to answer of ``(published_at, answered_at)`` pairs, or None for none."""
    minutes = [minutes_to_answer(p, a) for p, a in pairs]
    return round(statistics.median(minutes), 2) if minutes else None


def rollup_rows(company_id: uuid.UUID, keys: set[Key]) -> tuple[dict[Key, dict[str, float]], set[Key]]:
    """The five metrics of each key from the records: ``({key: {metric: value}}, keys without a
    response time)``. Two statements for any number of keys (counts grouped, answered pairs)."""
    where = [Mention.company_id == company_id, _keys_condition(Mention.channel_id, Mention.day, keys)]
    values: dict[Key, dict[str, float]] = {
        key: {"mentions": 0.0, **{m: 0.0 for m in COUNT_METRICS.values()}} for key in keys}
    counts = db.session.execute(
        select(Mention.channel_id, Mention.day, Mention.sentiment, func.count())
        .where(*where).group_by(Mention.channel_id, Mention.day, Mention.sentiment))
    for channel_id, day, sentiment, n in counts:
        row = values.get((channel_id, day))
        if row is None:
            continue
        row["mentions"] += n
        if sentiment in COUNT_METRICS:
            row[COUNT_METRICS[sentiment]] += n
    answered: dict[Key, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for channel_id, day, published_at, answered_at in db.session.execute(
            select(Mention.channel_id, Mention.day, Mention.published_at, Mention.answered_at)
            .where(*where, Mention.answered_at.is_not(None))):
        if answered_at is not None:
            answered[(channel_id, day)].append((published_at, answered_at))
    unanswered: set[Key] = set()
    for key, row in values.items():
        median = median_minutes(answered.get(key, ()))
        if median is None:
            unanswered.add(key)
        else:
            row[RESPONSE_TIME] = median
    return values, unanswered


def refresh(company_id: uuid.UUID, keys: Iterable[tuple[uuid.UUID, dt.date]]) -> int:
    """Recompute the five metrics of these channel-days from the records and write them (see the
    module docstring); inside the caller's transaction, which commits. Returns how many
    channel-days were refreshed. Keys of channels not in the company are ignored."""
    wanted = {(uuid.UUID(str(c)), d) for c, d in keys}
    if not wanted:
        return 0
    agency_id = db.session.scalar(select(Company.agency_id).where(Company.id == company_id))
    if agency_id is None:
        return 0
    channel_keys = {cid: key for cid, key in db.session.execute(
        select(Channel.id, Channel.key).where(Channel.company_id == company_id,
                                             Channel.id.in_(sorted({c for c, _ in wanted}, key=str))))}
    wanted = {k for k in wanted if k[0] in channel_keys}
    if not wanted:
        return 0
    values, unanswered = rollup_rows(company_id, wanted)
    rows: list[PointRow] = [(channel_keys[cid], metric, day, value)
                            for (cid, day), row in values.items() for metric, value in row.items()]
    rows.sort()  # (channel key, metric, date): the metrics push's lock order on PostgreSQL
    upsert(agency_id, company_id, {key: cid for cid, key in channel_keys.items()}, rows)
    if unanswered:
        db.session.execute(
            delete(MetricPoint)
            .where(MetricPoint.agency_id == agency_id, MetricPoint.company_id == company_id,
                   MetricPoint.metric == RESPONSE_TIME,
                   _keys_condition(MetricPoint.channel_id, MetricPoint.date, unanswered))
            .execution_options(synchronize_session=False))
    return len(wanted)


def after_commit(company_id: uuid.UUID) -> None:
    """After the caller committed changed records: what a metrics push does once its points are
    stored (the debounced alert evaluation asks to run)."""
    for listener in AFTER_WRITE_LISTENERS:
        listener(company_id)


def answer_time(company_id: uuid.UUID, date_from: dt.date, date_to: dt.date,
                channel_id: uuid.UUID | None = None) -> tuple[float | None, int]:
    """The median minutes to answer over the mentions of these days (answered ones), and how many
    were answered: the period's answer time the report and the Listening page show."""
    stmt = (select(Mention.published_at, Mention.answered_at)
            .where(Mention.company_id == company_id, Mention.day >= date_from, Mention.day <= date_to,
                   Mention.answered_at.is_not(None)))
    if channel_id is not None:
        stmt = stmt.where(Mention.channel_id == channel_id)
    pairs = [(p, a) for p, a in db.session.execute(stmt) if a is not None]
    return median_minutes(pairs), len(pairs)


def response_time_goal(company_id: uuid.UUID) -> Goal | None:
    """The company's response-time goal ("answer within 30 minutes"): its goal on
    ``response_time_minutes`` over all channels, else one on a single channel; the nearest
    deadline first. None without one."""
    goals = db.session.scalars(
        select(Goal).where(Goal.company_id == company_id, Goal.kpi_metric == RESPONSE_TIME)
        .order_by(Goal.kpi_deadline, Goal.created_at)).all()
    return next((g for g in goals if g.kpi_channel == "all"), goals[0] if goals else None)
