"""A report's PDF, rendered in the worker and stored on its row (``pdf``, ``pdf_version`` = the
version rendered, ``pdf_sha256``, ``pdf_pages``, ``pdf_rendered_at``, ``pdf_error``), so that a
download never waits on a browser. :func:`request_pdf` (backend/jobs/report_pdf.py) enqueues the
job that calls :func:`store_pdf`; :func:`ensure_pdf` returns the current PDF, rendering it first
when stale."""
from __future__ import annotations

import hashlib

from ..database import reading
from ..extensions import db
from ..models import utcnow
from ..read_models.report import report_view
from .html import render_pdf_html, render_report_html
from .pdf import PdfUnavailable, html_to_pdf


def render_pdf(report) -> bytes:
    """The report as PDF bytes (slow: seconds; in the worker only)."""
    return html_to_pdf(render_report_html(report, mode="pdf"))[0]


def store_pdf(report) -> bool:
    """Render the report's current version and store it on the row (committed). False when the
    stored PDF is already of this version. A failure is recorded in ``pdf_error`` and raised.

    The caller's transaction is committed first. The report's content is read in a short read
    transaction of its own (SQLite: no write lock), which ends before the charts are exported and
    the PDF laid out (seconds): no snapshot is held meanwhile, which would hold up SQLite's
    checkpoints, and with them the writers (issue 19's soak)."""
    if report.pdf_version == report.version and report.pdf is not None:
        return False
    version = report.version  # if the report is edited meanwhile, this PDF is stale and the next job renders
    db.session.commit()
    try:
        with reading():
            view = report_view(report)
            db.session.rollback()
        pdf, pages = html_to_pdf(render_pdf_html(view))
    except Exception as exc:
        db.session.rollback()
        report.pdf_error = f"{type(exc).__name__}: {exc}"[:1000]
        db.session.commit()
        raise
    report.pdf = pdf
    report.pdf_version = version
    report.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    report.pdf_pages = pages
    report.pdf_rendered_at = utcnow()
    report.pdf_error = ""
    db.session.commit()
    return True


def ensure_pdf(report) -> bytes:
    """The current PDF, rendered now when the stored one is stale or missing (worker only)."""
    if report.pdf_version != report.version or report.pdf is None:
        store_pdf(report)
    if report.pdf is None:
        raise PdfUnavailable("The PDF could not be rendered.")
    return report.pdf
