"""Evaluating alert rules in the consumers (backend/services/alert_evaluation.py):

- after a push or a CSV import (``request_evaluation``, called once their points are committed):
  debounced per company — the first request claims a key in the queue's storage and schedules one
  evaluation DEBOUNCE seconds later; the requests meanwhile find the key taken and add nothing, so
  100 pushes in a minute make one evaluation, which sees all of them. The evaluation frees the key
  as it starts, so a push during it asks for the next one;
- daily at 06:00 in each company's time zone (``alerts_daily``, an hourly scan, UTC): time alone
  changes things — deadlines pass, data goes stale — so every active company is evaluated once per
  local day, claimed per company and day (several consumers scan; one enqueues).

Twin evaluations are harmless anyway: an alert is unique per rule and event.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from huey import crontab
from sqlalchemy import select

from ..extensions import db
from ..models import Company
from ..services import alert_evaluation
from ..services.metrics import write as metrics_write
from ..services.report_schedules import local_today, now, zone
from ..tenancy import cross_tenant, current_principal
from .queue import agency_job, huey, periodic_job

log = logging.getLogger("reachboard.jobs.alerts")

DEBOUNCE = dt.timedelta(seconds=60)
DAILY_HOUR = 6  # local time of the daily evaluation
HOURLY = crontab(minute="2")


def debounce_key(company_id: uuid.UUID) -> str:
    return f"{huey.name}.alerts.evaluate.{company_id}"


def daily_key(company_id: uuid.UUID, day: dt.date) -> str:
    return f"{huey.name}.alerts.daily.{company_id}.{day.isoformat()}"


def request_evaluation(company_id: uuid.UUID | str) -> bool:
    """Ask for an evaluation of the company's rules DEBOUNCE from now, unless one is asked for
    already (True when this call scheduled it). Called after the points are committed."""
    cid = company_id if isinstance(company_id, uuid.UUID) else uuid.UUID(str(company_id))
    at = now()
    key = debounce_key(cid)
    if not huey.put_if_empty(key, at.isoformat()):
        stamp = huey.get(key, peek=True)
        try:
            asked = dt.datetime.fromisoformat(str(stamp))
        except ValueError:
            asked = dt.datetime.min
        if at - asked < DEBOUNCE * 10:
            return False
        huey.put(key, at.isoformat())  # the evaluation asked for was lost (its consumer died): ask again
    evaluate_company_job.schedule(args=(current_principal().agency_id, str(cid)),
                                  delay=int(DEBOUNCE.total_seconds()))
    return True


def _after_write(company_id: uuid.UUID) -> None:
    try:
        request_evaluation(company_id)
    except Exception:  # noqa: BLE001 - the points are stored; the daily run evaluates anyway
        log.exception("could not request an alert evaluation for company %s", company_id)


if _after_write not in metrics_write.AFTER_WRITE_LISTENERS:
    metrics_write.AFTER_WRITE_LISTENERS.append(_after_write)


@agency_job("evaluate_alerts")
def evaluate_company_job(agency_id: uuid.UUID, company_id: str, as_of: str | None = None) -> None:
    """Evaluate one company's rules (``as_of``: the local day, ISO; default its today)."""
    cid = uuid.UUID(str(company_id))
    if as_of is None:
        huey.delete(debounce_key(cid))  # pushes from now on ask for the next evaluation
    day = dt.date.fromisoformat(as_of) if as_of else None
    alerts = alert_evaluation.evaluate_company(cid, as_of=day)
    if alerts:
        log.info("company %s: %d new alert(s)", cid, len(alerts))


def companies_at_hour(at: dt.datetime, hour: int = DAILY_HOUR) -> list[tuple[uuid.UUID, uuid.UUID, dt.date]]:
    """(agency, company, local day) of every active company whose local time at ``at`` (UTC) is
    ``hour`` o'clock."""
    with cross_tenant("the daily alert run finds every agency's companies at 06:00 local time"):
        rows = db.session.execute(select(Company.agency_id, Company.id, Company.timezone)
                                  .where(Company.archived.is_(False))).all()
    db.session.rollback()  # end the read transaction before the enqueues
    out = []
    for agency_id, company_id, tz_name in rows:
        tz = zone(tz_name)
        if at.replace(tzinfo=dt.UTC).astimezone(tz).hour == hour:
            out.append((agency_id, company_id, local_today(tz, at)))
    return out


@periodic_job(HOURLY, "alerts_daily", retries=1, retry_delay=60)
def alerts_daily(task: Any = None) -> None:
    """Enqueue the day's evaluation of every company where it is now 06:00 (once per local day)."""
    at = now()
    enqueued = 0
    for agency_id, company_id, day in companies_at_hour(at):
        if huey.put_if_empty(daily_key(company_id, day), at.isoformat()):
            huey.delete(daily_key(company_id, day - dt.timedelta(days=1)))
            evaluate_company_job(agency_id, str(company_id), day.isoformat())
            enqueued += 1
    if enqueued:
        log.info("daily alerts: %d evaluation(s) enqueued", enqueued)
