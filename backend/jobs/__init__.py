"""Background jobs: a Huey queue (SQLite file under instance/ by default, Redis when REDIS_URL is
set), a consumer process beside gunicorn (``python -m backend.worker``; ``make run`` starts both),
and the jobs themselves.

Adding a job: in a module of this package, decorate a function that calls one service function
with :func:`agency_job` (first argument: the agency's id; it runs as that agency's system
principal) or :func:`system_job`, or :func:`periodic_job` for a schedule; import the module
below, so the consumer knows the job. Calling the function enqueues it (after your transaction
has committed: the job reads what you wrote); jobs are retried with exponential backoff, so they
must be idempotent; a job that fails its last attempt is logged and recorded (``job_failure``):
an agency's on /manage/jobs, a system job's on /healthz. docs/operations.md says more.
"""
# Register the jobs: e-mail, reports (PDF, delivery, schedules), upkeep, webhooks, listening.
from . import (  # noqa: F401
    alert_mail,
    alerts,
    listening,
    mail,
    report_delivery,
    report_pdf,
    report_schedules,
    upkeep,
    webhooks,
)
from .queue import AGENCY_JOBS, agency_job, configure_queue, huey, init_jobs, periodic_job, system_job

__all__ = ["AGENCY_JOBS", "agency_job", "configure_queue", "huey", "init_jobs", "periodic_job", "system_job"]
