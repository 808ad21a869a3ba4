"""Report schedules: make a company's report weekly or monthly and send it, with or without review."""
from flask.views import MethodView

from ...services import report_schedules as svc
from ..access import requires
from ..common import Blueprint, links
from ..idempotency import HEADER, idempotent
from ..pagination import paginate
from .schemas import (
    ReportScheduleCreateSchema,
    ReportScheduleDeleteQuerySchema,
    ReportScheduleQuerySchema,
    ReportScheduleSchema,
    ReportScheduleUpdateSchema,
)

blp = Blueprint("report_schedules", __name__, url_prefix="/companies/<uuid:company_id>/report-schedules",
                description="Make the company's report every week or month, and send it with or without review")

IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Replays within 24 h return the first response without making another schedule; the same key "
                   "with a different body answers 422; while the first is still running, 409.",
}]}


def _out(schedule):
    return {"id": schedule.id, "company_id": schedule.company_id, **svc.schedule_fields(schedule),
            "timezone": svc.schedule_zone(schedule).key, "description": svc.describe(schedule),
            "next_run_at": schedule.next_run_at, "last_run_at": schedule.last_run_at,
            "last_error": schedule.last_error, "version": schedule.version, "created_by": schedule.created_by,
            "created_at": schedule.created_at, "updated_at": schedule.updated_at}


@blp.route("")
class ReportSchedules(MethodView):
    @blp.doc(operationId="listReportSchedules")
    @requires("read", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.arguments(ReportScheduleQuerySchema, location="query")
    @blp.response(200, ReportScheduleSchema(many=True))
    def get(self, args, company_id):
        """List the company's report schedules, the soonest run first"""
        return [_out(s) for s in paginate(svc.select_schedules(company_id), args)]

    @blp.doc(operationId="createReportSchedule")
    @requires("write", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @idempotent
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(ReportScheduleCreateSchema)
    @blp.response(201, ReportScheduleSchema)
    @blp.doc(**links(201, "getReportSchedule", "updateReportSchedule", "deleteReportSchedule",
                      company_id="$request.path.company_id", schedule_id="$response.body#/id"))
    def post(self, data, company_id):
        """Add a report schedule; its first run is computed in the company's time zone"""
        return _out(svc.create_schedule(company_id, data))


@blp.route("/<uuid:schedule_id>")
class ReportScheduleItem(MethodView):
    @blp.doc(operationId="getReportSchedule")
    @requires("read", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.response(200, ReportScheduleSchema)
    def get(self, company_id, schedule_id):
        """Read a report schedule"""
        return _out(svc.get_schedule(company_id, schedule_id))

    @blp.doc(operationId="updateReportSchedule")
    @requires("write", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.arguments(ReportScheduleUpdateSchema)
    @blp.response(200, ReportScheduleSchema)
    @blp.alt_response(409, description="The schedule was changed meanwhile (a stale version); nothing was saved")
    def patch(self, data, company_id, schedule_id):
        """Change a report schedule; its next run is computed again"""
        version = data.pop("version", None)
        return _out(svc.update_schedule(company_id, schedule_id, data, expected_version=version))

    @blp.doc(operationId="deleteReportSchedule")
    @requires("write", svc.AGENCY_WIDE_ONLY, agency_wide=True)
    @blp.arguments(ReportScheduleDeleteQuerySchema, location="query")
    @blp.response(204)
    @blp.alt_response(409, description="The schedule was changed meanwhile (a stale version); nothing was saved")
    def delete(self, args, company_id, schedule_id):
        """Delete a report schedule (the reports it made stay)"""
        svc.delete_schedule(company_id, schedule_id, expected_version=args.get("version"))
