"""Scheduled reports, run by the consumers (never by gunicorn):

- ``report_schedules_due`` (periodic, every 5 minutes, UTC): finds every agency's active schedules
  whose ``next_run_at`` has come (a cross-tenant read) and enqueues ``run_report_schedule`` for
  each (agency, schedule, run);
- ``run_report_schedule`` (an agency job): :func:`backend.services.report_schedules.run_schedule`
  makes the period's report and, without review, sends it (the e-mail itself is
  ``deliver_report``'s, backend/jobs/report_delivery.py), then moves ``next_run_at`` on.

Never twice for one period: every consumer's scheduler runs the scan, a run may be retried or
interrupted by a restart, and two runs of one period may overlap — each finds the report (unique
per company and period) and the delivery (unique per schedule and report) the first one made.
To keep the queue quiet, a scan enqueues a run once per RUN_LEASE (a key in the queue's storage);
a run lost with its consumer (SIGKILL) is enqueued again by a scan after that, as its
``next_run_at`` has not moved on.
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from huey import crontab
from sqlalchemy import select

from ..extensions import db
from ..models import ReportSchedule
from ..services import report_schedules as svc
from ..tenancy import cross_tenant
from .queue import agency_job, huey, periodic_job

log = logging.getLogger("reachboard.jobs.report_schedules")

EVERY_5_MINUTES = crontab(minute="*/5")
# A run is enqueued again when it has not moved its schedule on within this time (its retries
# take 30 + 60 + 120 s).
RUN_LEASE = dt.timedelta(minutes=15)


def run_key(schedule_id: uuid.UUID, run_at: dt.datetime) -> str:
    return f"{huey.name}.report_schedule.{schedule_id}.{run_at:%Y%m%dT%H%M}"


def claim_run(schedule_id: uuid.UUID, run_at: dt.datetime, at: dt.datetime) -> bool:
    """True when this scan should enqueue the run: no scan did, or the one that did is older than
    RUN_LEASE (the run was lost). Two scans may both say True: the run itself is safe twice."""
    key = run_key(schedule_id, run_at)
    if huey.put_if_empty(key, at.isoformat()):
        return True
    stamp = huey.get(key, peek=True)
    try:
        enqueued = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        enqueued = dt.datetime.min
    if at - enqueued < RUN_LEASE:
        return False
    huey.put(key, at.isoformat())
    return True


def due_runs(at: dt.datetime) -> list[tuple[uuid.UUID, uuid.UUID, dt.datetime]]:
    """(agency, schedule, run time) of every agency's schedule due at ``at``."""
    with cross_tenant("the scheduler finds every agency's due report schedules"):
        rows = db.session.execute(
            select(ReportSchedule.agency_id, ReportSchedule.id, ReportSchedule.next_run_at)
            .where(ReportSchedule.active.is_(True), ReportSchedule.next_run_at.is_not(None),
                   ReportSchedule.next_run_at <= at)
            .order_by(ReportSchedule.next_run_at)).all()
    db.session.rollback()  # end the read transaction before the enqueues
    return [(agency_id, sid, run_at) for agency_id, sid, run_at in rows if run_at is not None]


@periodic_job(EVERY_5_MINUTES, "report_schedules_due", retries=1, retry_delay=60)
def report_schedules_due(task: Any = None) -> None:
    """Enqueue a run for every due schedule (see the module docstring)."""
    at = svc.now()
    enqueued = 0
    for agency_id, schedule_id, run_at in due_runs(at):
        if claim_run(schedule_id, run_at, at):
            run_report_schedule(agency_id, schedule_id, run_at.isoformat())
            enqueued += 1
    if enqueued:
        log.info("report schedules: %d run(s) enqueued", enqueued)


@agency_job("run_report_schedule")
def run_report_schedule(agency_id: uuid.UUID, schedule_id: uuid.UUID | str, run_at: str) -> None:
    """One run of one schedule (``run_at``: its ``next_run_at``, UTC, ISO 8601)."""
    sid = schedule_id if isinstance(schedule_id, uuid.UUID) else uuid.UUID(str(schedule_id))
    when = dt.datetime.fromisoformat(run_at)
    outcome = svc.run_schedule(sid, when)
    log.info("report schedule %s, run of %s UTC: %s", sid, run_at, outcome)
    huey.delete(run_key(sid, when))
