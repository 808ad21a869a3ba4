"""Client reports: a company's period with the agency's commentary, draft → ready → sent, as a
page, a PDF and an e-mail. Client viewers read the sent reports of their companies only."""
from flask import Response
from flask.views import MethodView

from ...models import Report
from ...services import reports as svc
from ...services.companies import get_company
from ..access import requires
from ..common import HEADERS, Blueprint, links
from ..idempotency import HEADER, idempotent
from ..pagination import paginate
from .schemas import (
    DeliverySchema,
    ReportCreateSchema,
    ReportDeleteQuerySchema,
    ReportQuerySchema,
    ReportSchema,
    ReportSendSchema,
    ReportUpdateSchema,
)

blp = Blueprint("reports", __name__, url_prefix="/companies/<uuid:company_id>/reports",
                description="Reports for a period: draft, ready (reviewed) and sent; on screen, as PDF and by e-mail")

IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Replays within 24 h return the first response without doing anything again; the same key "
                   "with a different body answers 422; while the first is still running, 409.",
}]}
PDF_UNAVAILABLE = ("The PDF cannot be downloaded now (problem+json; its reason says which): rendering (the worker "
                   "is making this version's PDF: try again after Retry-After seconds), render_failed (the last "
                   "rendering failed; the worker retries), renderer_missing (this server has no PDF renderer; "
                   "the detail says what is missing)")


def _pdf(report: Report) -> dict:
    state = svc.pdf_state(report)
    return {"state": state.state, "pages": state.pages, "sha256": state.sha256, "rendered_at": state.rendered_at,
            "error": state.error}


def _delivery(delivery) -> dict:
    return {name: getattr(delivery, name) for name in (
        "id", "report_id", "schedule_id", "recipients", "status", "attempts", "error", "requested_by", "created_at",
        "sent_at")}


def _out(report: Report, *, deliveries: bool = True) -> dict:
    out = {name: getattr(report, name) for name in (
        "id", "company_id", "period_kind", "period_start", "period_end", "status", "commentary",
        "highlighted_goal_ids", "schedule_id", "created_by", "created_at", "updated_at", "ready_at", "ready_by",
        "sent_at", "version")}
    out["period_label"] = svc.period_label(report)
    out["pdf"] = _pdf(report)
    out["deliveries"] = [_delivery(d) for d in svc.list_deliveries(report)] if deliveries else []
    return out


@blp.route("")
class Reports(MethodView):
    @blp.doc(operationId="listReports")
    @requires("read")
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportSchema(many=True))
    def get(self, args, company_id):
        """List the company's reports, latest period first (client viewers: the sent ones)"""
        return [_out(r, deliveries=False) for r in paginate(svc.select_reports(company_id, status=args.get("status")),
                                                            args)]

    @blp.doc(operationId="createReport")
    @requires("write")
    @idempotent
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(ReportCreateSchema)
    @blp.response(201, ReportSchema)
    @blp.alt_response(200, schema=ReportSchema,
                      description="The company has a report for this period already: that one, unchanged")
    @blp.doc(**links(201, "getReport", "updateReport", "deleteReport", "sendReport", "downloadReportPdf",
                      company_id="$request.path.company_id", report_id="$response.body#/id"))
    def post(self, data, company_id):
        """Make the company's draft report for a period (one per period: an existing one is returned)"""
        report, made = svc.create_report(company_id, **data)
        return _out(report), 201 if made else 200


@blp.route("/<uuid:report_id>")
class ReportItem(MethodView):
    @blp.doc(operationId="getReport")
    @requires("read")
    @blp.response(200, ReportSchema)
    def get(self, company_id, report_id):
        """Read a report with its PDF's state and its e-mail sendings"""
        return _out(svc.get_report(company_id, report_id))

    @blp.doc(operationId="updateReport")
    @requires("write")
    @blp.arguments(ReportUpdateSchema)
    @blp.response(200, ReportSchema)
    @blp.alt_response(409, description="The report changed meanwhile (a stale version), or it is no longer a draft "
                                       "(its commentary and goals are frozen); nothing was saved")
    def patch(self, data, company_id, report_id):
        """Change a draft's commentary or highlighted goals, mark it ready, or reopen a ready one"""
        version = data.pop("version", None)
        return _out(svc.update_report(company_id, report_id, data, expected_version=version))

    @blp.doc(operationId="deleteReport")
    @requires("write")
    @blp.arguments(ReportDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="The report changed meanwhile (a stale version); nothing was deleted")
    def delete(self, args, company_id, report_id):
        """Delete a report with its sendings and share links"""
        svc.delete_report(company_id, report_id, expected_version=args.get("version"))


@blp.route("/<uuid:report_id>/pdf")
class ReportPdf(MethodView):
    @blp.doc(operationId="downloadReportPdf")
    @requires("read")
    @blp.doc(responses={"200": {
        "description": "The stored PDF of the report's current version (rendered by the worker)",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {"Content-Disposition": {"$ref": "#/components/headers/Content-Disposition"}}}})
    @blp.alt_response(503, description=PDF_UNAVAILABLE, headers={"Retry-After": {
        **HEADERS["Retry-After"], "required": False, "description": "With reason rendering: seconds to wait"}})
    def get(self, company_id, report_id):
        """Download the report as PDF"""
        report, pdf = svc.report_pdf(company_id, report_id)
        resp = Response(pdf, mimetype="application/pdf")
        name = svc.pdf_filename(get_company(company_id).name, report)
        resp.headers["Content-Disposition"] = f'attachment; filename="{name}"'
        return resp


@blp.route("/<uuid:report_id>/send")
class ReportSend(MethodView):
    @blp.doc(operationId="sendReport")
    @requires("write")
    @idempotent
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(ReportSendSchema)
    @blp.response(202, DeliverySchema)
    @blp.alt_response(409, description="The report is a draft: mark it ready (reviewed) first")
    def post(self, data, company_id, report_id):
        """E-mail the report (PDF attached, with a share link) to these recipients; the sending is queued"""
        return _delivery(svc.send_report(company_id, report_id, data["recipients"]))
