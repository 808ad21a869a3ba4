"""Database upkeep on a schedule, run by the consumer's scheduler (never by gunicorn):

- hourly, at minute 17 (UTC): SQLite — ``PRAGMA optimize`` and a TRUNCATE checkpoint;
  PostgreSQL — ``VACUUM (ANALYZE) metric_point`` only when its dead tuples are past 2 % of the
  live rows + 1,000 (autovacuum, tuned by migration 0004, is behind);
- daily, at 03:47 (UTC): ``flask db-maintenance`` without ``--vacuum`` — SQLite: bounded ANALYZE,
  optimize, quick_check, TRUNCATE checkpoint; PostgreSQL: VACUUM (ANALYZE) of metric_point — then
  job failures older than 90 days are deleted.

SQLite's VACUUM is never scheduled: it blocks every writer for as long as it rewrites the file
(docs/operations.md). Every consumer's scheduler enqueues each run, so a run first claims its slot
(the hour or the day) in the queue's storage — one run per slot however many consumers — and
then takes the ``db-maintenance`` lock, so two runs never overlap.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from huey import crontab
from huey.exceptions import TaskLockedException

from ..extensions import db
from ..maintenance import (
    MaintenanceError,
    dead_tuples,
    needs_vacuum,
    postgres_maintenance,
    sqlite_light_maintenance,
    sqlite_maintenance,
    sqlite_path,
)
from .failures import KEEP_FAILURES, prune_failures
from .queue import huey, periodic_job

log = logging.getLogger("reachboard.jobs.upkeep")

HOURLY = crontab(minute="17")
DAILY = crontab(minute="47", hour="3")
LOCK = "db-maintenance"


def slot_key(job: str, slot: str) -> str:
    return f"{huey.name}.slot.{job}.{slot}"


def claim_slot(job: str, slot: str, task_id: str, previous: str | None = None) -> bool:
    """True when this run (or an earlier attempt of it: a retry keeps its task id) owns the
    slot; False when another consumer's run claimed it. ``previous``: an old slot's key to drop."""
    key = slot_key(job, slot)
    if not huey.put_if_empty(key, task_id):
        return bool(huey.get(key, peek=True) == task_id)
    if previous is not None:
        huey.delete(slot_key(job, previous))
    return True


def run_db_maintenance(full: bool) -> str:
    """One upkeep run on the app's database; raises MaintenanceError when a step fails."""
    engine = db.engine

    def progress(line: str) -> None:
        log.info("db-maintenance (%s): %s", "daily" if full else "hourly", line)

    if engine.dialect.name == "postgresql":
        if not full:
            counts = dead_tuples(engine)
            if counts is None:
                raise MaintenanceError("table metric_point not found (run flask db upgrade)")
            live, dead = counts
            if not needs_vacuum(live, dead):
                progress(f"metric_point: {live} live, {dead} dead tuples; autovacuum keeps up")
                return "nothing to do"
        postgres_maintenance(engine, progress=progress)
        return "vacuumed metric_point"
    path = sqlite_path(engine.url)
    if path is None:
        progress(f"nothing to maintain for {engine.url.render_as_string()}")
        return "nothing to do"
    if full:
        sqlite_maintenance(path, vacuum=False, progress=progress)
        return "analyzed, checked and checkpointed"
    result = sqlite_light_maintenance(path, progress=progress)
    if not result.complete:
        log.warning("db-maintenance (hourly): the WAL checkpoint did not complete (long readers); "
                    "the periodic checkpoint and the next run try again")
    return "optimized and checkpointed"


def _run_once(job: str, slot: str, previous: str, task: Any, full: bool) -> str:
    if not claim_slot(job, slot, str(task.id), previous):
        log.info("%s: slot %s already taken by another run (another consumer's); skipped", job, slot)
        return "skipped: slot taken"
    try:
        with huey.lock_task(LOCK):
            outcome = run_db_maintenance(full)
            if full:
                pruned = prune_failures()
                log.info("%s: %d job failure(s) older than %d days deleted", job, pruned, KEEP_FAILURES.days)
            return outcome
    except TaskLockedException:
        if not full:
            log.info("%s: another upkeep run holds the lock; skipped", job)
            return "skipped: locked"
        # A stale lock (a consumer killed mid-run) would stop upkeep for good: fail, be retried,
        # and after the last retry be recorded and shown on /healthz.
        raise MaintenanceError(f"the {LOCK} lock is held by another run (stale? restart a consumer: "
                               "it clears locks at start)") from None


@periodic_job(HOURLY, "db_maintenance_hourly", retries=2, retry_delay=120, retry_backoff=2)
def db_maintenance_hourly(task: Any = None) -> str:
    """Hourly upkeep (light): see the module docstring."""
    hour = _utcnow().replace(minute=0, second=0, microsecond=0)
    return _run_once("db_maintenance_hourly", hour.strftime("%Y-%m-%dT%H"),
                     (hour - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H"), task, full=False)


@periodic_job(DAILY, "db_maintenance_daily", retries=3, retry_delay=300, retry_backoff=2)
def db_maintenance_daily(task: Any = None) -> str:
    """Daily upkeep (full, no VACUUM on SQLite): see the module docstring."""
    day = _utcnow().date()
    return _run_once("db_maintenance_daily", day.isoformat(), (day - dt.timedelta(days=2)).isoformat(),
                     task, full=True)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
