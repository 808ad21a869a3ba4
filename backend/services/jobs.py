"""Failed jobs as the agency sees them: its own jobs' last failures (backend/jobs/failures.py
writes them). System jobs (database upkeep) belong to no agency and never show here: the
scoping layer's agency filter does not match their empty ``agency_id``."""
from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..models import JobFailure
from ..tenancy import current_principal
from . import privileges

JOBS_MESSAGE = "Only agency owners and admins see failed jobs."


def job_failures(limit: int = 100) -> list[JobFailure]:
    """The agency's failed jobs, newest first (owners and admins; the scoping layer keeps the
    list to the principal's agency)."""
    principal = current_principal()
    privileges.require_agency_wide(principal, JOBS_MESSAGE)  # agency-level, like the people and keys
    principal.require("admin", JOBS_MESSAGE)
    stmt = select(JobFailure).order_by(JobFailure.failed_at.desc(), JobFailure.id.desc()).limit(limit)
    return list(db.session.scalars(stmt))
