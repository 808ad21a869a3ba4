"""Failed jobs: the agency's own jobs that failed after their last retry, for owners and admins."""
from __future__ import annotations

from flask import render_template

from ..services.jobs import JOBS_MESSAGE, job_failures
from .blueprint import bp, needs

PAGE_SIZE = 100


@bp.get("/jobs")
@needs("admin", JOBS_MESSAGE)
def jobs():
    """The agency's failed jobs, newest first, with their errors."""
    return render_template("admin/jobs.html", failures=job_failures(limit=PAGE_SIZE), limit=PAGE_SIZE,
                           section="jobs")
