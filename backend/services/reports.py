"""Client reports: a company's report for a period (a month, a quarter or a custom range) with the
agency's commentary, its life (draft → ready → sent) and its sending by e-mail.

- One report per company and period: creating the same one again returns the first (also when
  two requests race: the unique constraint decides, the loser reads the winner's row).
- Staff (owners, admins, members) and keys with ``write`` create, edit, mark ready, send and
  delete; ``read`` reads. Client viewers read the **sent** reports of their companies only:
  drafts and reports waiting to be sent are the agency's internal work (a viewer asking for one
  gets 404, as for anything out of reach).
- The commentary and the highlighted goals change only while the report is a draft (409 after);
  every change of what the report shows bumps ``version`` (optimistic concurrency, as for goals)
  and asks for a new PDF (backend/reporting ``request_pdf``).
- Sending creates a :class:`ReportDelivery` (queued) and enqueues the delivery job
  (backend/jobs/report_delivery.py) after the commit; the job sends the e-mail and records
  sent/failed. A draft is not sent (409) unless a schedule that does not require review sends it;
  a schedule sends a report at most once (unique per schedule and report).
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Goal, Report, ReportDelivery, ReportSchedule
from ..reporting import pdf_status, request_pdf
from ..tenancy import Principal, current_principal
from . import audit
from .companies import get_company
from .errors import Conflict, NotFound, ServiceError, ValidationFailed
from .mail import MAX_RECIPIENTS, valid_address
from .progress import company_today
from .report_periods import (
    MAX_CUSTOM_DAYS,
    PERIOD_KINDS,
    period_bounds,
    period_label,
    previous_period,
)
from .validation import Problems, check_version

__all__ = [
    "MAX_CUSTOM_DAYS", "PERIOD_KINDS", "STATUSES", "PdfNotReady", "PdfState", "clean_recipients", "company_today",
    "create_report", "delete_report", "delivery_message_id", "get_report", "list_deliveries", "list_reports",
    "mark_ready", "pdf_filename", "pdf_state", "period_bounds", "period_label", "previous_period",
    "register_delivery_job", "report_pdf", "select_reports", "sees_drafts", "send_report", "update_report",
]

STATUSES = ("draft", "ready", "sent")
EDITABLE = ("commentary", "highlighted_goal_ids")
COMMENTARY_LIMIT = 20_000
MAX_HIGHLIGHTED = 20
DRAFT_ONLY = ("Only a draft's commentary and highlighted goals can be changed; this report is {status}. "
              "Reopen a ready report as a draft first (status: draft); a sent report stays as it was sent.")


# --- who sees what --------------------------------------------------------------------------

def sees_drafts(p: Principal) -> bool:
    """Client viewers see sent reports only; staff and keys see every report of their companies."""
    return not (p.kind == "user" and p.role == "viewer")


def select_reports(company_id: uuid.UUID | str, *, status: str | None = None) -> Select[Report]:
    """A select of the company's reports the principal may see, latest period first."""
    p = current_principal()
    p.require("read")
    company = get_company(company_id)
    stmt = (select(Report).where(Report.company_id == company.id)
            .order_by(Report.period_end.desc(), Report.period_start.desc(), Report.id))
    if not sees_drafts(p):
        stmt = stmt.where(Report.status == "sent")
    if status is not None:
        stmt = stmt.where(Report.status == status)
    return stmt


def list_reports(company_id: uuid.UUID | str, *, status: str | None = None) -> list[Report]:
    return list(db.session.scalars(select_reports(company_id, status=status)))


def get_report(company_id: uuid.UUID | str, report_id: uuid.UUID | str) -> Report:
    """A report of this company that the principal may see; NotFound otherwise (no difference)."""
    try:
        rid = report_id if isinstance(report_id, uuid.UUID) else uuid.UUID(str(report_id))
    except ValueError:
        raise NotFound("No report with this id.") from None
    report = db.session.scalars(select_reports(company_id).where(Report.id == rid)).first()
    if report is None:
        raise NotFound("No report with this id.")
    return report


def list_deliveries(report: Report) -> list[ReportDelivery]:
    """The report's e-mail sendings, newest first (staff and keys; viewers see none)."""
    if not sees_drafts(current_principal()):
        return []
    return list(db.session.scalars(select(ReportDelivery).where(ReportDelivery.report_id == report.id)
                                   .order_by(ReportDelivery.created_at.desc(), ReportDelivery.id)))


# --- the PDF ---------------------------------------------------------------------------------

class PdfNotReady(ServiceError):
    """The report's PDF cannot be downloaded now: being rendered (try again), failed, or this
    server has no renderer (the detail says what is missing)."""

    status = 503
    title = "PDF not available"


@dataclass(frozen=True)
class PdfState:
    """Where the report's PDF stands: ``current`` (downloadable), ``rendering`` (the worker is
    making it), ``failed`` (the last rendering failed: ``error``), ``unavailable`` (no renderer
    here: ``error`` says what is missing)."""

    state: str
    pages: int | None = None
    sha256: str | None = None
    rendered_at: dt.datetime | None = None
    error: str = ""


RETRY_SECONDS = 5


def pdf_state(report: Report) -> PdfState:
    if report.pdf_version == report.version and report.pdf_sha256:
        return PdfState("current", report.pdf_pages, report.pdf_sha256, report.pdf_rendered_at)
    ready, missing = pdf_status()
    if not ready:
        return PdfState("unavailable", error=missing)
    if report.pdf_error:
        return PdfState("failed", error=report.pdf_error)
    return PdfState("rendering")


def report_pdf(company_id: uuid.UUID | str, report_id: uuid.UUID | str) -> tuple[Report, bytes]:
    """The report and its stored PDF of the current version; :class:`PdfNotReady` (503) otherwise,
    with Retry-After while it is being rendered."""
    report = get_report(company_id, report_id)
    state = pdf_state(report)
    if state.state == "rendering":
        raise PdfNotReady(f"The PDF of this version ({report.version}) is being rendered; try again in a few "
                          "seconds.", reason="rendering", headers={"Retry-After": str(RETRY_SECONDS)})
    if state.state == "unavailable":
        raise PdfNotReady(f"This server cannot make PDFs: {state.error} The report is still shown as a page.",
                          reason="renderer_missing")
    if state.state == "failed":
        raise PdfNotReady(f"Rendering the PDF failed: {state.error} The worker retries it; its last failure shows "
                          "on /manage/jobs.", reason="render_failed")
    pdf = db.session.scalar(select(Report.pdf).where(Report.id == report.id))
    if pdf is None:
        raise PdfNotReady("The PDF is not stored yet; try again in a few seconds.", reason="rendering",
                          headers={"Retry-After": str(RETRY_SECONDS)})
    return report, pdf


def pdf_filename(company_name: str, report: Report) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in company_name.lower()).strip("-") or "report"
    while "--" in slug:
        slug = slug.replace("--", "-")
    return f"{slug[:60]}-{report.period_start.isoformat()}-{report.period_end.isoformat()}.pdf"


# --- checks ---------------------------------------------------------------------------------

def _clean_content(company_id: uuid.UUID, data: dict[str, Any], problems: Problems) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "commentary" in data:
        out["commentary"] = problems.text("commentary", data["commentary"], limit=COMMENTARY_LIMIT)
    if "highlighted_goal_ids" in data:
        out["highlighted_goal_ids"] = _goal_ids(company_id, data["highlighted_goal_ids"], problems)
    return out


def _goal_ids(company_id: uuid.UUID, value: Any, problems: Problems) -> list[str] | None:
    """The ids, as strings in the order given, each a goal of this company."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        problems.add("highlighted_goal_ids", "Must be a list of goal ids.")
        return None
    ids: list[uuid.UUID] = []
    for i, item in enumerate(value):
        try:
            ids.append(item if isinstance(item, uuid.UUID) else uuid.UUID(str(item)))
        except ValueError:
            problems.add(f"highlighted_goal_ids.{i}", f"{str(item)[:60]!r} is not a goal id.")
    ids = list(dict.fromkeys(ids))
    if len(ids) > MAX_HIGHLIGHTED:
        problems.add("highlighted_goal_ids", f"Highlight at most {MAX_HIGHLIGHTED} goals.")
        return None
    if ids:
        known = set(db.session.scalars(select(Goal.id).where(Goal.company_id == company_id, Goal.id.in_(ids))))
        for i, gid in enumerate(ids):
            if gid not in known:
                problems.add(f"highlighted_goal_ids.{i}", f"The company has no goal {gid}.")
    return [str(g) for g in ids]


def _schedule(company_id: uuid.UUID, schedule_id: uuid.UUID | str | None) -> ReportSchedule | None:
    if schedule_id is None:
        return None
    try:
        sid = schedule_id if isinstance(schedule_id, uuid.UUID) else uuid.UUID(str(schedule_id))
    except ValueError:
        raise ValidationFailed.field("schedule_id", "Not a schedule id.") from None
    schedule = db.session.scalars(select(ReportSchedule).where(ReportSchedule.company_id == company_id,
                                                               ReportSchedule.id == sid)).first()
    if schedule is None:
        raise ValidationFailed.field("schedule_id", "The company has no such schedule.")
    return schedule


def clean_recipients(recipients: Any) -> list[str]:
    """The addresses, normalised and without repeats; 422 naming the first bad one."""
    if isinstance(recipients, str) or not isinstance(recipients, (list, tuple)):
        raise ValidationFailed.field("recipients", "Give a list of e-mail addresses.")
    if not recipients:
        raise ValidationFailed.field("recipients", "Give at least one recipient.")
    if len(recipients) > MAX_RECIPIENTS:
        raise ValidationFailed.field("recipients", f"At most {MAX_RECIPIENTS} recipients.")
    return list(dict.fromkeys(valid_address(str(a).strip(), f"recipients.{i}") for i, a in enumerate(recipients)))


# --- life -----------------------------------------------------------------------------------

def _existing(company_id: uuid.UUID, start: dt.date, end: dt.date) -> Report | None:
    return db.session.scalars(select(Report).where(Report.company_id == company_id, Report.period_start == start,
                                                   Report.period_end == end)).first()


def create_report(company_id: uuid.UUID | str, *, period_kind: str, period_start: dt.date | None = None,
                  period_end: dt.date | None = None, anchor: dt.date | None = None, commentary: str = "",
                  highlighted_goal_ids: Iterable[Any] = (), schedule_id: uuid.UUID | str | None = None
                  ) -> tuple[Report, bool]:
    """Make the company's draft report for a period; ``(report, True)``, or ``(existing, False)``
    when the company has a report for that period already (nothing is changed then). A month or
    quarter without ``anchor`` or ``period_start`` is the last whole one in the company's time zone."""
    p = current_principal()
    p.require("write")
    company = get_company(company_id)
    if period_kind in ("month", "quarter") and anchor is None and period_start is None:
        start, end = previous_period(period_kind, company_today(company))
    else:
        start, end = period_bounds(period_kind, anchor=anchor, start=period_start, end=period_end)
    found = _existing(company.id, start, end)
    if found is not None:
        return found, False
    problems = Problems()
    content = _clean_content(company.id, {"commentary": commentary, "highlighted_goal_ids": highlighted_goal_ids},
                             problems)
    problems.raise_if_any()
    schedule = _schedule(company.id, schedule_id)
    report = Report(id=uuid.uuid4(), company_id=company.id, agency_id=company.agency_id, period_kind=period_kind,
                    period_start=start, period_end=end, status="draft", schedule_id=schedule.id if schedule else None,
                    created_by=p.label[:254], **content)
    db.session.add(report)
    try:
        db.session.flush()
    except IntegrityError:  # another request made it meanwhile: one report per company and period
        db.session.rollback()
        found = _existing(company.id, start, end)
        if found is None:
            raise
        return found, False
    audit.record("report.create", report, summary=f"Made the {period_label(report)} report of {company.name}"
                 + (" (scheduled)" if schedule else ""))
    _commit_keeping_objects()
    _request_pdf(report)
    return report, True


def update_report(company_id: uuid.UUID | str, report_id: uuid.UUID | str, data: dict[str, Any], *,
                  expected_version: int | None = None) -> Report:
    """Change a draft's commentary and highlighted goals; ``status`` "ready" marks it ready (after
    the changes) and "draft" reopens a ready report. 409 for a stale version or a report no longer
    a draft; 422 naming the field."""
    current_principal().require("write")
    report = get_report(company_id, report_id)
    check_version(report, expected_version, "report")
    unknown = sorted(set(data) - set(EDITABLE) - {"status"})
    problems = Problems()
    for name in unknown:
        problems.add(name, "Unknown field.")
    status = data.get("status")
    if "status" in data:
        problems.choice("status", status, ("draft", "ready"))
    content = _clean_content(report.company_id, data, problems)
    problems.raise_if_any()
    if status == "draft" and report.status != "draft":
        _reopen(report)
    changed = [k for k, v in content.items() if getattr(report, k) != v]
    if changed and report.status != "draft":
        db.session.rollback()
        raise Conflict(DRAFT_ONLY.format(status=report.status))
    for key in changed:
        setattr(report, key, content[key])
    if changed:
        report.version += 1
        audit.record("report.update", report, summary=f"Changed {', '.join(k.replace('_', ' ') for k in changed)} "
                                                      f"of the {period_label(report)} report")
    _commit_keeping_objects()
    if changed:
        _request_pdf(report)
    if status == "ready" and report.status == "draft":
        return mark_ready(company_id, report.id)
    return report


def _reopen(report: Report) -> None:
    if report.status == "sent":
        raise Conflict("This report was sent; it cannot become a draft again. Make a new report instead.")
    report.status, report.ready_at, report.ready_by = "draft", None, ""
    audit.record("report.reopen", report, summary=f"Reopened the {period_label(report)} report as a draft")


def mark_ready(company_id: uuid.UUID | str, report_id: uuid.UUID | str) -> Report:
    """Draft → ready (reviewed). A report made by a schedule that requires review is then sent to
    the schedule's recipients (once: the delivery is unique per schedule and report). A report
    already ready stays as it is; a sent one answers 409."""
    p = current_principal()
    p.require("write")
    report = get_report(company_id, report_id)
    if report.status == "sent":
        raise Conflict("This report was sent already.")
    if report.status == "draft":
        report.status, report.ready_at, report.ready_by = "ready", _now(), p.label[:254]
        audit.record("report.ready", report, summary=f"Marked the {period_label(report)} report ready")
        db.session.commit()
    schedule = (db.session.scalars(select(ReportSchedule).where(ReportSchedule.id == report.schedule_id)).first()
                if report.schedule_id else None)
    if schedule is not None and schedule.require_review and schedule.recipients:
        send_report(report.company_id, report.id, list(schedule.recipients), schedule_id=schedule.id)
    return report


def delete_report(company_id: uuid.UUID | str, report_id: uuid.UUID | str, *,
                  expected_version: int | None = None) -> None:
    """Delete a report with its deliveries and share links (any status; the audit trail keeps it)."""
    current_principal().require("write")
    report = get_report(company_id, report_id)
    check_version(report, expected_version, "report")
    audit.record("report.delete", report, summary=f"Deleted the {period_label(report)} report ({report.status})")
    db.session.delete(report)
    db.session.commit()


def send_report(company_id: uuid.UUID | str, report_id: uuid.UUID | str, recipients: list[str], *,
                schedule_id: uuid.UUID | str | None = None) -> ReportDelivery:
    """Send the report by e-mail: a queued :class:`ReportDelivery`, and the delivery job enqueued
    after the commit. 409 for a draft (unless a schedule without review sends it); 422 naming a
    bad address. With a schedule, a second call returns the first delivery."""
    p = current_principal()
    p.require("write")
    report = get_report(company_id, report_id)
    schedule = _schedule(report.company_id, schedule_id)
    if schedule is not None:
        earlier = _schedule_delivery(report, schedule)
        if earlier is not None:
            return earlier
    if report.status == "draft" and (schedule is None or schedule.require_review):
        raise Conflict("This report is a draft: mark it ready (reviewed) before sending it.")
    addresses = clean_recipients(recipients)
    delivery = ReportDelivery(id=uuid.uuid4(), company_id=report.company_id, agency_id=report.agency_id,
                              report_id=report.id, schedule_id=schedule.id if schedule else None,
                              recipients=addresses, status="queued", requested_by=p.label[:254])
    delivery.message_id = delivery_message_id(delivery.id)
    db.session.add(delivery)
    try:
        db.session.flush()
    except IntegrityError:  # the schedule's delivery was made meanwhile
        db.session.rollback()
        if schedule is None:
            raise
        earlier = _schedule_delivery(report, schedule)
        if earlier is None:
            raise
        return earlier
    domains = ", ".join(sorted({a.rpartition("@")[2] for a in addresses}))
    audit.record("report.send", report, summary=f"Sending the {period_label(report)} report to {len(addresses)} "
                                                f"recipient(s) at {domains}" + (" (scheduled)" if schedule else ""))
    _commit_keeping_objects()
    _enqueue_delivery(report.agency_id, delivery.id)
    db.session.expire(delivery)
    return delivery


def _schedule_delivery(report: Report, schedule: ReportSchedule) -> ReportDelivery | None:
    return db.session.scalars(select(ReportDelivery).where(ReportDelivery.report_id == report.id,
                                                           ReportDelivery.schedule_id == schedule.id)).first()


def delivery_message_id(delivery_id: uuid.UUID) -> str:
    """The e-mail's message id, derived from the delivery: a retried job sends the same message."""
    return f"report-delivery-{delivery_id.hex}"


def _commit_keeping_objects() -> None:
    """Commit without expiring what the session holds. Work handed to a job next must not re-read
    it here: with JOBS_IMMEDIATE the job runs inline in its own session, and a re-read would open
    a write transaction (SQLite's BEGIN IMMEDIATE) that the job then waits for."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --- the jobs this service hands work to ------------------------------------------------------
# The delivery job (backend/jobs/report_delivery.py) registers itself here when the job modules are
# imported (create_app does), so this service does not import the jobs package (which imports it).
_delivery_job: list[Callable[[uuid.UUID, uuid.UUID], Any]] = []


def register_delivery_job(job: Callable[[uuid.UUID, uuid.UUID], Any]) -> None:
    _delivery_job[:] = [job]


def _enqueue_delivery(agency_id: uuid.UUID, delivery_id: uuid.UUID) -> None:
    if not _delivery_job:
        raise RuntimeError("the report delivery job is not registered: import backend.jobs (create_app does)")
    _delivery_job[0](agency_id, delivery_id)


def _request_pdf(report: Report) -> None:
    """Ask the worker for a PDF of the report's current version (after the commit); read the row
    afresh afterwards (a job run inline has stored the PDF meanwhile)."""
    request_pdf(report)
    db.session.expire(report)
