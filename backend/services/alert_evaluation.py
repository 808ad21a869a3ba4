"""Evaluating a company's alert rules (backend/services/alert_rules.py) against its current state.

Only the current state counts, so a backfill (a CSV import of last year) raises nothing for old
days: each kind looks at "now" only —

- ``goal_status``: each goal's status as the dashboard computes it today
  (backend/services/progress.py) against its :class:`GoalStatusMark`, the status the last
  evaluation saw. A change is a transition (``goal.status_changed``); a change *into* one of the
  rule's statuses fires. A goal's first judgement only records its mark: a goal that was already at
  risk before alerts existed (or before its first data) is not news, and a storm after the
  migration or an import is what this must not make.
- ``stale_data``: a channel whose last point (of any metric) is more than ``days`` days before
  today fires once per stale stretch (the event is keyed by that last date).
- ``threshold``: the metric's value on the latest day with data (at most CURRENT_DAYS old), or
  its week so far, above/below the value fires once per day (or week) the condition holds.
- ``spike``: the latest day's value ≥ factor × the median of the 28 days before it and ≥ the
  minimum fires once for that day. A spike on a topic reads its days from the mention records
  tagged with the topic (backend/services/listening/topics.py) instead of the metric points.

Idempotent: every alert has an ``event_key`` unique per rule, so a twin evaluation (two consumers,
a retry) inserts nothing; a goal's transition is claimed by a compare-and-set of its mark, so it
is published once. After the commit the new alerts go to the webhooks and the e-mail job.
"""
from __future__ import annotations

import datetime as dt
import logging
import statistics
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Alert, AlertRule, Channel, Company, Goal, GoalStatusMark, MetricPoint, Topic
from . import goal_terms, metrics, webhooks
from .alert_rules import SPIKE_WINDOW_DAYS
from .companies import get_company
from .listening.topics import topic_daily_counts
from .metrics.statements import as_date
from .progress import company_today, goals_progress

log = logging.getLogger("reachboard.alerts")

CURRENT_DAYS = 7  # a threshold or spike judges the latest day with data only when it is this recent
DASHBOARD = "/dashboard/company/"


@dataclass
class Evaluation:
    """What one evaluation found: the alerts it inserted and the goals' transitions it claimed."""

    company: Company
    day: dt.date
    company_id: uuid.UUID = field(init=False)
    agency_id: uuid.UUID = field(init=False)
    alerts: list[Alert] = field(default_factory=list)
    transitions: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.company_id, self.agency_id = self.company.id, self.company.agency_id


def company_link(company_id: uuid.UUID, **query: str) -> str:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{DASHBOARD}{company_id}" + (f"?{qs}" if qs else "")


def evaluate_company(company_id: uuid.UUID | str, *, as_of: dt.date | None = None) -> list[Alert]:
    """Every active rule of the company against its state on ``as_of`` (default: today in its time
    zone); the new alerts (none for an event already alerted). Commits, then publishes."""
    company = get_company(company_id)
    ev = Evaluation(company, as_of or company_today(company))
    if company.archived:
        return []
    rules = list(db.session.scalars(select(AlertRule).where(AlertRule.company_id == company.id,
                                                            AlertRule.active.is_(True))
                                    .order_by(AlertRule.created_at, AlertRule.id)))
    reader = metrics.CompanyReader(company.id)
    _goal_statuses(ev, [r for r in rules if r.kind == "goal_status"], reader)
    for rule in rules:
        if rule.kind == "stale_data":
            _stale(ev, rule)
        elif rule.kind == "threshold":
            _threshold(ev, rule, reader)
        elif rule.kind == "spike":
            _spike(ev, rule, reader)
    db.session.flush()
    payloads = [alert_payload(a) for a in ev.alerts]
    db.session.commit()
    _publish(ev, payloads)
    return ev.alerts


def _fire(ev: Evaluation, rule: AlertRule, *, event_key: str, title: str, object_type: str, object_id: str,
          seen: dict[str, Any], link: str) -> None:
    """Insert the alert unless this rule already fired for this event (the unique constraint)."""
    alert = Alert(agency_id=ev.company.agency_id, company_id=ev.company.id, rule_id=rule.id, kind=rule.kind,
                  event_key=event_key[:300], severity=rule.severity, title=title[:300], object_type=object_type,
                  object_id=object_id[:100], seen=_plain(seen), link=link[:500],
                  visible_to_clients=rule.visible_to_clients, day=ev.day)
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:
        return  # fired already: by an earlier evaluation, a twin consumer or the try before a retry
    ev.alerts.append(alert)


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


# --- goal status ------------------------------------------------------------------------------

def _goal_statuses(ev: Evaluation, rules: list[AlertRule], reader: metrics.CompanyReader) -> None:
    goals = list(db.session.scalars(select(Goal).where(Goal.company_id == ev.company.id)))
    if not goals:
        return
    marks = {m.goal_id: m for m in db.session.scalars(
        select(GoalStatusMark).where(GoalStatusMark.company_id == ev.company.id))}
    for goal, progress in goals_progress(goals, ev.day, readers={ev.company.id: reader}):
        status = progress.get("status") or "not_started"
        mark = marks.get(goal.id)
        if mark is None:
            _first_mark(ev, goal, status)
            continue
        if mark.status == status:
            continue
        before, since = mark.status, mark.since
        claimed = db.session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
            update(GoalStatusMark).where(GoalStatusMark.id == mark.id, GoalStatusMark.status == before)
            .values(status=status, since=ev.day).execution_options(synchronize_session=False)).rowcount
        if not claimed:
            continue  # a twin evaluation saw this transition first
        seen = {"goal_id": goal.id, "goal": goal.title, "from": before, "to": status, "since": since,
                "on": ev.day, "metric": goal.kpi_metric, "channel": goal.kpi_channel,
                "current": progress.get("current"), "target": goal.kpi_target,
                "percent": progress.get("percent"), "forecast_date": progress.get("forecast_date"),
                "deadline": goal.kpi_deadline}
        ev.transitions.append(_plain(seen))
        for rule in rules:
            params = rule.params or {}
            if status not in params.get("statuses", []):
                continue
            if params.get("goal_id") and params["goal_id"] != str(goal.id):
                continue
            label = goal_terms.status_term(status).label.lower()
            _fire(ev, rule, event_key=f"goal:{goal.id}:{status}:{ev.day.isoformat()}",
                  title=f"Goal '{goal.title}' is {label} (was {goal_terms.status_term(before).label.lower()})",
                  object_type="goal", object_id=str(goal.id), seen=seen,
                  link=company_link(ev.company.id, goal=str(goal.id)))


def _first_mark(ev: Evaluation, goal: Goal, status: str) -> None:
    """A goal judged for the first time: its mark, no alert (a twin's insert is harmless)."""
    try:
        with db.session.begin_nested():
            db.session.add(GoalStatusMark(agency_id=ev.company.agency_id, company_id=ev.company.id,
                                          goal_id=goal.id, status=status, since=ev.day))
    except IntegrityError:
        pass


# --- stale data -------------------------------------------------------------------------------

def channel_last_days(company_id: uuid.UUID) -> dict[str, dt.date]:
    """{channel key: the last date with any point} for the company's active channels with data."""
    rows = db.session.execute(
        select(Channel.key, func.max(MetricPoint.date))
        .join(MetricPoint, MetricPoint.channel_id == Channel.id)
        .where(Channel.company_id == company_id, MetricPoint.company_id == company_id,
               Channel.active.is_(True))
        .group_by(Channel.key)).all()
    return {key: as_date(last) for key, last in rows if last is not None}


def _stale(ev: Evaluation, rule: AlertRule) -> None:
    days = int((rule.params or {}).get("days", 3))
    for key, last in sorted(channel_last_days(ev.company.id).items()):
        quiet = (ev.day - last).days
        if quiet <= days:
            continue
        _fire(ev, rule, event_key=f"stale:{key}:{last.isoformat()}",
              title=f"Channel {key} has had no new data for {quiet} days (since {last.isoformat()})",
              object_type="channel", object_id=key,
              seen={"channel": key, "last_date": last, "days_quiet": quiet, "stale_after_days": days, "on": ev.day},
              link=company_link(ev.company.id, channel=key))


# --- threshold and spike ----------------------------------------------------------------------

def _latest(reader: metrics.CompanyReader, metric: str, channel: str, day: dt.date, back: int
            ) -> list[tuple[dt.date, float]]:
    """The daily values of the ``back`` days up to ``day`` (those with data)."""
    if metric not in reader.defs:
        return []
    return reader.daily([metric], channel, day - dt.timedelta(days=back), day)[metric]


def _threshold(ev: Evaluation, rule: AlertRule, reader: metrics.CompanyReader) -> None:
    p = rule.params or {}
    metric, channel, direction = str(p.get("metric")), str(p.get("channel", "all")), p.get("direction")
    limit, period = float(p.get("value", 0)), p.get("period", "day")
    if channel != "all" and channel not in reader.channels.values():
        return  # the channel was deleted since
    daily = _latest(reader, metric, channel, ev.day, CURRENT_DAYS)
    if not daily:
        return
    day, value = daily[-1]
    bucket = day
    if period == "week":
        bucket = day - dt.timedelta(days=day.weekday())
        read = metrics.read_series(ev.company.id, [metric], channel, bucket, day, "week")
        points = read["series"][0]["points"] if read["series"] else []
        if not points:
            return
        value = points[-1]["value"]
    if value is None or not (value > limit if direction == "above" else value < limit):
        return
    where = "all channels" if channel == "all" else channel
    span = f"the week of {bucket.isoformat()}" if period == "week" else day.isoformat()
    _fire(ev, rule, event_key=f"threshold:{channel}:{metric}:{period}:{bucket.isoformat()}",
          title=f"{metric} on {where} is {value:g} in {span}, {direction} {limit:g}",
          object_type="metric", object_id=metric,
          seen={"metric": metric, "channel": channel, "period": period, "from": bucket, "to": day,
                "value": value, "direction": direction, "threshold": limit},
          link=company_link(ev.company.id, channel=channel))


def _topic_daily(ev: Evaluation, reader: metrics.CompanyReader, topic_id: str, metric: str, channel: str
                 ) -> list[tuple[dt.date, float]]:
    """The days up to ``ev.day`` that a spike reads, counted from the topic's mention records."""
    try:
        tid = uuid.UUID(str(topic_id))
    except ValueError:
        return []
    channel_ids = None if channel == "all" else [cid for cid, key in reader.channels.items() if key == channel]
    start = ev.day - dt.timedelta(days=CURRENT_DAYS + SPIKE_WINDOW_DAYS)
    return topic_daily_counts(ev.company.id, tid, metric, channel_ids, start, ev.day)


def _spike(ev: Evaluation, rule: AlertRule, reader: metrics.CompanyReader) -> None:
    p = rule.params or {}
    metric, channel = str(p.get("metric")), str(p.get("channel", "all"))
    factor, minimum = float(p.get("factor", 3)), float(p.get("minimum", 1))
    topic_id = p.get("topic_id")
    if channel != "all" and channel not in reader.channels.values():
        return
    if topic_id:
        daily = _topic_daily(ev, reader, str(topic_id), metric, channel)
    else:
        daily = _latest(reader, metric, channel, ev.day, CURRENT_DAYS + SPIKE_WINDOW_DAYS)
    if not daily or (ev.day - daily[-1][0]).days > CURRENT_DAYS:
        return
    day, value = daily[-1]
    window_start = day - dt.timedelta(days=SPIKE_WINDOW_DAYS)
    before = {d: v for d, v in daily if window_start <= d < day}
    # Days without a point count as 0: a flow that was not pushed had nothing that day.
    values = [before.get(window_start + dt.timedelta(days=i), 0.0) for i in range(SPIKE_WINDOW_DAYS)]
    median = statistics.median(values)
    if value < minimum or value < factor * median:
        return
    where = "all channels" if channel == "all" else channel
    seen = {"metric": metric, "channel": channel, "day": day, "value": value, "median_28_days": median,
            "factor": factor, "minimum": minimum}
    link = company_link(ev.company.id, channel=channel)
    if topic_id:
        topic = db.session.get(Topic, uuid.UUID(str(topic_id)))
        name = topic.name if topic is not None else str(topic_id)
        where = f"topic '{name}' on {where}"
        seen.update(topic_id=str(topic_id), topic=name)
        link = f"{DASHBOARD}{ev.company.id}/listening?topic={topic_id}"
    _fire(ev, rule, event_key=f"spike:{channel}:{metric}:{'topic:' + str(topic_id) + ':' if topic_id else ''}"
                              f"{day.isoformat()}",
          title=f"{metric} on {where} spiked to {value:g} on {day.isoformat()} "
                f"({factor:g}× the 28-day median of {median:g} is {factor * median:g})",
          object_type="metric", object_id=metric, seen=seen, link=link)


# --- after the commit -------------------------------------------------------------------------

def alert_payload(alert: Alert) -> dict[str, Any]:
    """An alert as the ``alert.created`` webhook carries it."""
    payload: dict[str, Any] = _plain({
        "id": alert.id, "company_id": alert.company_id, "rule_id": alert.rule_id, "kind": alert.kind,
        "severity": alert.severity, "title": alert.title, "object_type": alert.object_type,
        "object_id": alert.object_id, "seen": alert.seen, "link": alert.link, "day": alert.day,
        "created_at": alert.created_at.isoformat() + "Z" if alert.created_at else None})
    return payload


def _publish(ev: Evaluation, payloads: list[dict[str, Any]]) -> None:
    """The new alerts and transitions to the webhooks (``alert.created``, ``goal.status_changed``)
    and the alerts to the immediate e-mails. A failure here is logged: the alerts are stored.
    Works from plain payloads and ends each transaction it begins: an inline job (tests,
    JOBS_IMMEDIATE) opens its own connection, which would wait for SQLite's write lock."""
    if not payloads and not ev.transitions:
        return
    agency_id = ev.agency_id
    from ..jobs.alert_mail import notify_alerts  # a job module: imported when used

    for transition in ev.transitions:
        _safely(webhooks.publish, "goal.status_changed", {"company_id": str(ev.company_id), **transition},
                company_id=ev.company_id)
    for payload in payloads:
        _safely(webhooks.publish, "alert.created", payload, company_id=ev.company_id)
    if payloads:
        db.session.commit()  # end the transaction a publish may have begun (see above)
        _safely(notify_alerts, agency_id, [p["id"] for p in payloads])


def _safely(fn: Any, *args: Any, **kwargs: Any) -> None:
    try:
        fn(*args, **kwargs)
    except Exception:  # noqa: BLE001 - the alerts are stored; a delivery problem must not undo the evaluation
        db.session.rollback()
        log.exception("alerts: %s failed", getattr(fn, "__name__", fn))
