"""The Huey instance, configured from the app's settings, and the decorators jobs are made with.

One process-wide ``huey`` (Huey registers tasks on an instance at import time); ``init_jobs(app)``
(called by ``create_app``) points it at the queue the settings name and remembers the app, so a
job runs inside an app context of the app ``create_app`` built — the consumer builds it once
(backend/worker.py). Jobs are made with :func:`agency_job`, :func:`system_job` or
:func:`periodic_job`, never with ``huey.task`` directly: those bind who the job acts as, give it
retries with exponential backoff, and have its last failure recorded (backend/jobs/failures.py).
"""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.exceptions import CancelExecution, TaskLockedException
from huey.signals import SIGNAL_INTERRUPTED
from huey.storage import BaseStorage, PriorityRedisStorage, SqliteStorage

from ..tenancy import Principal, acting_as, bind_principal, unbind

log = logging.getLogger("reachboard.jobs")

BACKENDS = ("auto", "sqlite", "redis")
# Defaults for every job: 3 retries after 30 s, 60 s and 120 s (Huey multiplies the delay by
# retry_backoff after each retry).
RETRIES = 3
RETRY_DELAY = 30.0
RETRY_BACKOFF = 2.0


class JobsNotConfigured(RuntimeError):
    """A job was enqueued before ``init_jobs`` (create_app) chose the queue."""


class _UnconfiguredStorage(BaseStorage):
    """The storage until ``init_jobs`` runs: enqueuing fails loudly instead of losing the job."""

    def enqueue(self, data: bytes, priority: float | None = None) -> None:
        raise JobsNotConfigured("the job queue is not configured: build the app with create_app() first")


huey = Huey("reachboard", storage_class=_UnconfiguredStorage)
_state: dict[str, Flask | None] = {"app": None}
# Names of the jobs that act inside one agency (first argument: the agency's id).
AGENCY_JOBS: set[str] = set()


def queue_backend(config: Mapping[str, Any]) -> str:
    """``sqlite`` or ``redis``: JOBS_BACKEND, where ``auto`` means Redis when REDIS_URL is set."""
    backend = str(config.get("JOBS_BACKEND") or "auto")
    if backend not in BACKENDS:
        raise ValueError(f"JOBS_BACKEND must be one of {', '.join(BACKENDS)} (got {backend!r})")
    if backend == "auto":
        return "redis" if config.get("REDIS_URL") else "sqlite"
    if backend == "redis" and not config.get("REDIS_URL"):
        raise ValueError("JOBS_BACKEND=redis needs REDIS_URL")
    return backend


def configure_queue(config: Mapping[str, Any]) -> None:
    """Point ``huey`` at the queue the settings name (in-memory and inline with JOBS_IMMEDIATE)."""
    huey.name = str(config.get("JOBS_QUEUE_NAME") or "reachboard")
    if queue_backend(config) == "redis":
        huey.storage_class = PriorityRedisStorage
        huey.storage_kwargs = {"url": config["REDIS_URL"]}
    else:
        path = Path(str(config["JOBS_SQLITE_PATH"])).resolve()
        if not config.get("JOBS_IMMEDIATE"):
            path.parent.mkdir(parents=True, exist_ok=True)
        huey.storage_class = SqliteStorage
        huey.storage_kwargs = {"filename": str(path)}
    huey._immediate = bool(config.get("JOBS_IMMEDIATE"))
    previous, huey.storage = huey.storage, huey.create_storage()
    close = getattr(previous, "close", None)
    if callable(close):
        close()  # the SQLite queue's connection of an earlier configuration (tests build many apps)


def init_jobs(app: Flask) -> None:
    """Called by create_app: configure the queue from the app's settings; jobs run in this app."""
    configure_queue(app.config)
    _state["app"] = app
    app.extensions["reachboard_jobs"] = huey


def job_app() -> Flask:
    """The app a job runs in: the current one (a job run inline) or the one init_jobs saw last."""
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    app = _state["app"]
    if app is None:
        raise JobsNotConfigured("no app: build it with create_app() before running jobs")
    return app


@contextmanager
def job_context(agency_id: uuid.UUID | None, job: str) -> Iterator[None]:
    """A fresh app context (its own database session, removed at the end) acting as the agency's
    system principal, or as nobody for a system job (tenant data then fails closed)."""
    with job_app().app_context():
        if agency_id is None:
            token = bind_principal(None)
            try:
                yield
            finally:
                unbind(token)
        else:
            with acting_as(Principal.system(agency_id, f"job:{job}")):
                yield


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def agency_job(name: str | None = None, *, retries: int = RETRIES, retry_delay: float = RETRY_DELAY,
               retry_backoff: float = RETRY_BACKOFF, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A job acting inside one agency: called as ``job(agency_id, ...)``; it runs as that
    agency's system principal, and its last failure shows on the agency's /manage/jobs."""

    def decorate(fn: Callable[..., Any]) -> Any:
        job = name or fn.__name__
        AGENCY_JOBS.add(job)

        @functools.wraps(fn)
        def run(agency_id: object, *args: Any, **kwargs: Any) -> Any:
            agency = _as_uuid(agency_id)
            with job_context(agency, job):
                return fn(agency, *args, **kwargs)

        return huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff,
                         name=job, **options)(run)

    return decorate


def system_job(name: str | None = None, *, retries: int = RETRIES, retry_delay: float = RETRY_DELAY,
               retry_backoff: float = RETRY_BACKOFF, **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A job of no agency (upkeep): no principal is bound; its last failure shows on /healthz."""

    def decorate(fn: Callable[..., Any]) -> Any:
        job = name or fn.__name__
        return huey.task(retries=retries, retry_delay=retry_delay, retry_backoff=retry_backoff,
                         name=job, **options)(_system_runner(fn, job))

    return decorate


def periodic_job(schedule: Callable[..., bool], name: str | None = None, *, retries: int = RETRIES,
                 retry_delay: float = RETRY_DELAY, retry_backoff: float = RETRY_BACKOFF,
                 **options: Any) -> Callable[[Callable[..., Any]], Any]:
    """A system job the consumer's scheduler enqueues on ``schedule`` (a huey ``crontab``, UTC).
    Only a consumer started with its scheduler (backend/worker.py) enqueues it — gunicorn never
    does. Each consumer's scheduler enqueues it, so with several consumers the job must claim its
    slot (:func:`backend.jobs.upkeep.claim_slot`). The function receives the Huey ``task``."""

    def decorate(fn: Callable[..., Any]) -> Any:
        job = name or fn.__name__
        return huey.periodic_task(schedule, retries=retries, retry_delay=retry_delay,
                                  retry_backoff=retry_backoff, name=job, context=True,
                                  **options)(_system_runner(fn, job))

    return decorate


def _system_runner(fn: Callable[..., Any], job: str) -> Callable[..., Any]:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with job_context(None, job):
            return fn(*args, **kwargs)

    return run


@huey.post_execute()
def _record_last_failure(task: Any, value: Any, exception: BaseException | None) -> None:
    """After a job's last attempt failed: log it and record it (backend/jobs/failures.py). A
    lock held elsewhere or a deliberate cancel is not a failure."""
    if exception is None or task.retries or isinstance(exception, (TaskLockedException, CancelExecution)):
        return
    from .failures import record_failure

    job = task.name
    agency_id = None
    if job in AGENCY_JOBS:
        raw = task.args[0] if task.args else task.kwargs.get("agency_id")
        agency_id = _as_uuid(raw) if raw is not None else None
    attempts = int(getattr(type(task), "default_retries", 0) or 0) + 1
    log.error("job %s (task %s%s) failed after %d attempt(s): %s: %s", job, task.id,
              f", agency {agency_id}" if agency_id else "", attempts, type(exception).__name__, exception)
    try:
        record_failure(job_app(), job=job, task_id=str(task.id), agency_id=agency_id,
                       attempts=attempts, exception=exception)
    except Exception:  # noqa: BLE001 - the log line above already tells; say the record is missing
        log.exception("could not record the failure of job %s (task %s)", job, task.id)


@huey.signal(SIGNAL_INTERRUPTED)
def _enqueue_interrupted(signal: str, task: Any, *args: Any) -> None:
    """A consumer stopped at once (SIGTERM) while the job ran: jobs are idempotent, run it again."""
    log.warning("job %s (task %s) was interrupted by the consumer's shutdown; enqueued again", task.name, task.id)
    huey.enqueue(task)
