"""Rendering a report's PDF in the worker (backend/reporting/documents.py) and storing it on the
report.

:func:`request_pdf` enqueues :func:`render_report_pdf` (call it after your commit: the job reads
the committed row). The job is idempotent: a report whose stored PDF is of its current version is
skipped. A rendering failure is recorded on the report (``pdf_error``, shown beside the PDF
button) and raised, so the job is retried and, after its last attempt, recorded as a failed job
on /manage/jobs.
"""
from __future__ import annotations

import logging
import uuid

from .queue import agency_job

log = logging.getLogger("reachboard.reports")


@agency_job("render_report_pdf")
def render_report_pdf(agency_id: uuid.UUID, report_id: uuid.UUID | str) -> None:
    """Render and store the PDF of one report of the agency (nothing when it is current)."""
    from ..extensions import db
    from ..models import Report
    from ..reporting.documents import store_pdf

    rid = report_id if isinstance(report_id, uuid.UUID) else uuid.UUID(str(report_id))
    report = db.session.get(Report, rid)  # scoped to the agency by the tenancy hook
    if report is None:
        log.info("report %s is gone; no PDF to render", rid)
        return
    if store_pdf(report):
        log.info("report %s: PDF of version %s stored (%d pages)", report.id, report.pdf_version, report.pdf_pages)


def request_pdf(report) -> None:
    """Enqueue the rendering of the report's current version. Nothing is enqueued when this
    machine cannot render a PDF (``pdf_status``): the report page says what is missing."""
    from ..reporting.pdf import pdf_status

    ok, why = pdf_status()
    if not ok:
        log.info("PDF of report %s not requested: %s", report.id, why)
        return
    render_report_pdf(report.agency_id, report.id)
