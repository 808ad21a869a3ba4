"""``flask jobs``: failed jobs for operators, and enqueuing a periodic job now."""
from __future__ import annotations

import datetime as dt

import click
from flask.cli import AppGroup
from sqlalchemy import select

from ..extensions import db
from ..models import JobFailure, utcnow
from ..tenancy import cross_tenant
from .queue import huey

jobs_cli = AppGroup("jobs", help="The job queue: failed jobs, running a periodic job now.")


@jobs_cli.command("failures")
@click.option("--hours", type=float, default=24.0, show_default=True, help="How far back.")
@click.option("--all", "everyone", is_flag=True, help="Every agency's failures too, not only system jobs'.")
@click.option("--traceback", "with_traceback", is_flag=True, help="Print each failure's traceback.")
def failures_cmd(hours: float, everyone: bool, with_traceback: bool) -> None:
    """Jobs that failed after their last retry, newest first (system jobs: no agency)."""
    with cross_tenant("CLI: an operator reads failed jobs"):
        stmt = select(JobFailure).where(JobFailure.failed_at >= utcnow() - dt.timedelta(hours=hours))
        if not everyone:
            stmt = stmt.where(JobFailure.agency_id.is_(None))
        rows = list(db.session.scalars(stmt.order_by(JobFailure.failed_at.desc())))
    for row in rows:
        who = f"agency {row.agency_id}" if row.agency_id else "system"
        click.echo(f"{row.failed_at:%Y-%m-%d %H:%M:%S} UTC  {row.job}  ({who}, task {row.task_id}, "
                   f"{row.attempts} attempt(s))\n    {row.error}")
        if with_traceback:
            click.echo("    " + row.traceback.rstrip().replace("\n", "\n    "))
    click.echo(f"{len(rows)} failed job(s) in the last {hours:g} h")


@jobs_cli.command("enqueue")
@click.argument("name")
def enqueue_cmd(name: str) -> None:
    """Enqueue a job that takes no arguments (e.g. db_maintenance_daily) for a consumer to run now."""
    registry = {task_class.__name__: task_class for task_class in huey._registry._registry.values()}
    task_class = registry.get(name)
    if task_class is None:
        raise click.BadParameter(f"no such job; known: {', '.join(sorted(registry))}", param_hint="NAME")
    task = task_class()
    huey.enqueue(task)
    click.echo(f"enqueued {name} (task {task.id})" + (" and ran it inline (JOBS_IMMEDIATE)" if huey.immediate else ""))
