"""E-mailing a report: the ``deliver_report`` agency job, enqueued by
backend/services/reports.py ``send_report`` after its commit.

The message carries the agency's branding (sender name, logo inline, colour, footer line), an HTML
part with a plain-text one (the commentary and the summary's generated sentences), the report's
PDF attached (rendered now if the stored one is stale) and a share link to the report on screen.
It is sent synchronously inside the job through backend/jobs/mail.py ``deliver``, whose message id
derives from the delivery's id, so a retry never sends the same delivery twice.

The delivery records the outcome: ``sent`` (and the report becomes sent), with any recipients the
server refused while accepting others; or, after the last retry, ``failed`` with the SMTP error.
Each failed attempt is written on the delivery before the worker retries it (30 s, 60 s, 120 s).
"""
from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..extensions import db
from ..models import Company, Report, ReportDelivery, ReportSchedule
from ..read_models.report import report_view
from ..reporting import ensure_pdf, pdf_status
from ..services import branding as branding_svc
from ..services import reports, webhooks
from ..services.errors import NotFound
from ..services.mail import Attachment, Email, compose
from ..services.share_links import share_link_for_delivery
from .mail import deliver
from .queue import agency_job

log = logging.getLogger("reachboard.reports")

LOGO_CID = "agency-logo"
LOGO_NAMES = {"image/png": "logo.png", "image/jpeg": "logo.jpg", "image/svg+xml": "logo.svg"}
ERROR_LIMIT = 1000


@agency_job("deliver_report", context=True)
def deliver_report(agency_id: uuid.UUID, delivery_id: Any, task: Any = None) -> None:
    """Send one delivery's e-mail and record the outcome on it (and on its report)."""
    did = delivery_id if isinstance(delivery_id, uuid.UUID) else uuid.UUID(str(delivery_id))
    delivery = db.session.scalars(select(ReportDelivery).where(ReportDelivery.id == did)).first()
    if delivery is None or delivery.status != "queued":
        return  # deleted with its report meanwhile, or done by an earlier attempt
    if _reopened(delivery):
        delivery.status = "failed"
        delivery.error = ("Not sent: the report was reopened as a draft before the e-mail went out. "
                          "Mark it ready and send it again.")
        db.session.commit()
        return
    last_attempt = task is None or not task.retries
    try:
        email, notes = report_email(delivery)
        refused: dict[str, str] = {}
        db.session.rollback()  # no transaction (SQLite: no write lock) while the mail server answers
        deliver(email, refused)
    except Exception as exc:  # noqa: BLE001 - recorded on the delivery, then raised for the retry
        db.session.rollback()
        _record_failure(did, exc, final=last_attempt)
        raise
    now = _now()
    delivery.status, delivery.sent_at, delivery.attempts = "sent", now, delivery.attempts + 1
    if refused:
        notes.insert(0, "Refused by the mail server: " + "; ".join(
            f"{address}: {reply}" for address, reply in sorted(refused.items())))
    delivery.error = " ".join(notes)[:ERROR_LIMIT]
    report = db.session.get(Report, delivery.report_id)
    if report is not None:
        report.status = "sent"
        report.sent_at = report.sent_at or now
    payload = {"report_id": str(delivery.report_id), "company_id": str(delivery.company_id),
               "delivery_id": str(delivery.id), "recipients": len(delivery.recipients) - len(refused),
               "schedule_id": str(delivery.schedule_id) if delivery.schedule_id else None,
               "sent_at": now.isoformat() + "Z"}
    if report is not None:
        payload |= {"period_kind": report.period_kind, "period_start": report.period_start.isoformat(),
                    "period_end": report.period_end.isoformat()}
    company_id, n_recipients = delivery.company_id, len(delivery.recipients)
    db.session.commit()
    log.info("report delivery %s sent (%d recipient(s), %d refused)", did, n_recipients, len(refused))
    try:
        webhooks.publish("report.sent", payload, company_id=company_id)
    except Exception:  # noqa: BLE001 - the e-mail went out; a webhook failure must not retry it
        db.session.rollback()
        log.exception("could not publish report.sent for delivery %s", did)


reports.register_delivery_job(deliver_report)


def _reopened(delivery: ReportDelivery) -> bool:
    """The report is a draft again although this sending needed a reviewed one (a person's, or a
    schedule's that requires review): it was reopened after the send was asked for."""
    report = db.session.get(Report, delivery.report_id)
    if report is None or report.status != "draft":
        return False
    schedule = db.session.get(ReportSchedule, delivery.schedule_id) if delivery.schedule_id else None
    return schedule is None or schedule.require_review


def _record_failure(delivery_id: uuid.UUID, exc: BaseException, *, final: bool) -> None:
    """The attempt's error on the delivery: ``failed`` after the last attempt, else still queued."""
    delivery = db.session.get(ReportDelivery, delivery_id)
    if delivery is None:
        return
    delivery.attempts += 1
    reason = str(exc) or type(exc).__name__
    if final:
        delivery.status = "failed"
        delivery.error = reason[:ERROR_LIMIT]
    else:
        delivery.error = f"Attempt {delivery.attempts} failed, retrying: {reason}"[:ERROR_LIMIT]
    db.session.commit()


def report_email(delivery: ReportDelivery) -> tuple[Email, list[str]]:
    """The delivery's message, and notes for staff (what the message had to go without)."""
    report = db.session.scalars(select(Report).options(undefer(Report.pdf))
                                .where(Report.id == delivery.report_id)).one()
    company = db.session.get(Company, report.company_id)
    assert company is not None  # the report's company (a foreign key)
    brand = branding_svc.get_branding()
    notes: list[str] = []
    attachments: list[Attachment] = []
    pdf, missing = _pdf(report)
    period = reports.period_label(report)
    if pdf is not None:
        attachments.append(Attachment(reports.pdf_filename(company.name, report), "application/pdf", pdf))
    else:
        notes.append(f"Sent without the PDF: {missing}")
    logo = _logo(brand)
    if logo is not None:
        attachments.append(logo)
    link = _share_url(delivery)
    context = {"brand": brand, "company": company, "report": report, "period": period, "link": link,
               "sentences": report_view(report).sentences,
               "has_pdf": pdf is not None, "logo_cid": LOGO_CID if logo is not None else None,
               "color": brand.primary_color or "#212529", "text_color": "#212529" if brand.light_color else "#ffffff"}
    email = compose(
        to=list(delivery.recipients), subject=f"{company.name}: {period} report from {brand.display_name}",
        html=render_template("email/report_delivery.html", **context),
        text=render_template("email/report_delivery.txt", **context),
        sender_name=brand.email_sender_name or brand.display_name, attachments=attachments,
        agency_id=report.agency_id, message_id=delivery.message_id or reports.delivery_message_id(delivery.id))
    return email, notes


def _pdf(report: Report) -> tuple[bytes | None, str]:
    """The report's current PDF (rendered now when stale), or None and what is missing."""
    ready, missing = pdf_status()
    if not ready:
        return None, missing
    return ensure_pdf(report), ""


def _logo(brand: branding_svc.Branding) -> Attachment | None:
    if not brand.logo_sha256:
        return None
    try:
        content, mime, _digest = branding_svc.logo()
    except NotFound:
        return None
    return Attachment(LOGO_NAMES.get(mime, "logo"), mime, content, content_id=LOGO_CID)


def _share_url(delivery: ReportDelivery) -> str:
    """The absolute URL of the report's share link for this delivery (made once, the same on a retry)."""
    return str(current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/") + share_link_for_delivery(delivery)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
