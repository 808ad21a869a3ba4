"""Client reports laid out: HTML on screen, on a share page and as PDF (issue 13).

What a report shows is :func:`backend.read_models.report.report_view`; here it is drawn:
:func:`render_report_html` (templates/report.html, backend/static/report.css), the charts
(:mod:`.charts`, reusable by other pages), the PDF (:mod:`.pdf`: WeasyPrint with the charts
exported to SVG by kaleido) stored on the report (:mod:`.documents`), and :func:`request_pdf`,
which enqueues the worker's job (backend/jobs/report_pdf.py). docs/reports.md says more.
"""
from .documents import ensure_pdf, render_pdf, store_pdf
from .html import MODES, render_report_html, render_view_html
from .pdf import PdfUnavailable, pdf_status

__all__ = ["MODES", "PdfUnavailable", "ensure_pdf", "pdf_status", "render_pdf", "render_report_html",
           "render_view_html", "request_pdf", "store_pdf"]


def request_pdf(report) -> None:
    """Enqueue the worker's rendering of the report's current version (after your commit); nothing
    when this machine cannot render PDFs. See backend/jobs/report_pdf.py."""
    from ..jobs.report_pdf import request_pdf as enqueue

    enqueue(report)
