"""Jobs that failed after their last retry, in ``job_failure``: written by the queue's
post-execute hook (backend/jobs/queue.py), read by /manage/jobs (an agency's own, through the
scoping layer: backend/services/jobs.py), by /healthz and ``flask jobs failures`` (system jobs)."""
from __future__ import annotations

import datetime as dt
import traceback
import uuid

from flask import Flask
from sqlalchemy import delete, select

from ..extensions import db
from ..models import JobFailure, new_id, utcnow
from ..tenancy import Principal, acting_as, cross_tenant

ERROR_CHARS = 1000
TRACEBACK_CHARS = 20_000
# The daily upkeep deletes failures older than this (backend/jobs/upkeep.py).
KEEP_FAILURES = dt.timedelta(days=90)


def describe(exception: BaseException) -> str:
    """``Type: message``, cut to what the table keeps."""
    text = f"{type(exception).__name__}: {exception}".strip()
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


def record_failure(app: Flask, *, job: str, task_id: str, agency_id: uuid.UUID | None, attempts: int,
                   exception: BaseException) -> uuid.UUID:
    """One row for a job's last failed attempt, in a transaction of its own."""
    trace = "".join(traceback.format_exception(type(exception), exception, exception.__traceback__))
    failure_id = new_id()
    with app.app_context():
        row = JobFailure(id=failure_id, agency_id=agency_id, job=job[:100], task_id=task_id[:64],
                         attempts=attempts, error=describe(exception), traceback=trace[-TRACEBACK_CHARS:])
        if agency_id is None:
            with cross_tenant("a system job's failure belongs to no agency"):
                db.session.add(row)
                db.session.commit()
        else:
            with acting_as(Principal.system(agency_id, f"job:{job}")):
                db.session.add(row)
                db.session.commit()
    return failure_id  # not row.id: after the commit that would be a read outside the principal's block


def system_failures(since: dt.timedelta = dt.timedelta(hours=24), limit: int = 20) -> list[JobFailure]:
    """System jobs' failures (no agency) since ``since`` ago, newest first — for operators."""
    with cross_tenant("system job failures are read by operators (/healthz, flask jobs failures)"):
        stmt = (select(JobFailure).where(JobFailure.agency_id.is_(None), JobFailure.failed_at >= utcnow() - since)
                .order_by(JobFailure.failed_at.desc()).limit(limit))
        return list(db.session.scalars(stmt))


def prune_failures(keep: dt.timedelta = KEEP_FAILURES) -> int:
    """Delete every agency's and the system's failures older than ``keep``; how many went."""
    with cross_tenant("the daily upkeep prunes old job failures of every agency"):
        result = db.session.execute(delete(JobFailure).where(JobFailure.failed_at < utcnow() - keep))
        db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
