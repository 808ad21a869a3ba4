"""Metrics of a company: push, read (bucketed), summary, CSV import and export; the stored points
of one channel and metric, listed and deleted (corrections)."""
from __future__ import annotations

import datetime as dt
import io

from flask import Response, request, stream_with_context
from flask.views import MethodView
from marshmallow import RAISE

from ...services import metrics as svc
from ...services.errors import ValidationFailed
from ...services.metrics.correct import DELETE_GRANT_MESSAGE
from ..access import requires
from ..common import Blueprint, check_json_size, header_ref
from ..idempotency import idempotent
from ..pagination import set_pagination
from ..ratelimit import api_limit, push_limit_per_client, push_limit_per_company
from .schemas import (
    DeleteResultSchema,
    ImportResultSchema,
    PushResultSchema,
    PushSchema,
    SeriesQuerySchema,
    SeriesResultSchema,
    StoredPointSchema,
    StoredPointsListQuerySchema,
    StoredPointsQuerySchema,
    SummaryQuerySchema,
    SummaryResultSchema,
)

blp = Blueprint("metrics", __name__, url_prefix="/companies/<uuid:company_id>/metrics",
                description="Push daily channel metrics and read them back by day, week or month")

PUSH_GRANT_MESSAGE = "Pushing metrics needs an API key with metrics:write, write or admin, or an agency staff login."
SPAN_DAYS = {"day": 90, "week": 182, "month": 365}
SUMMARY_DAYS = 30
IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Replays within 24 h return the first response without writing; the same key with a "
                   "different body answers 422; while the first is still running, 409.",
}]}


def _period(company_id, args: dict, days: int) -> tuple[dt.date, dt.date]:
    """The requested period, defaulting to ``days`` days ending at the latest data (or today)."""
    date_from, date_to = args.get("from_"), args.get("to")
    span = dt.timedelta(days=days - 1)
    if date_to is None:
        if date_from is not None:
            date_to = date_from + span
        else:
            known = svc.data_range(company_id)
            date_to = known[1] if known else dt.datetime.now(dt.UTC).date()
    if date_from is None:
        date_from = date_to - span
    return date_from, date_to


@blp.route("")
class Metrics(MethodView):
    @blp.doc(operationId="readMetrics")
    @requires("read")
    @api_limit()
    @blp.arguments(SeriesQuerySchema, location="query")
    @blp.response(200, SeriesResultSchema)
    def get(self, args, company_id):
        """Read metrics by day, week or month (per channel, one channel, or all combined)"""
        granularity = args["granularity"]
        date_from, date_to = _period(company_id, args, SPAN_DAYS[granularity])
        return svc.read_series(company_id, args["metric"], args.get("channel"), date_from, date_to, granularity)

    @blp.doc(operationId="pushMetrics")
    @requires("metrics:write", PUSH_GRANT_MESSAGE)
    @api_limit()
    @push_limit_per_client()
    @push_limit_per_company()
    @idempotent
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(PushSchema)
    @blp.response(200, PushResultSchema)
    def post(self, data, company_id):
        """Push daily points (upsert, all or nothing; up to 10,000 points and 5 MiB)

        Records win for the days they cover: for a channel and day with mention records (pushed
        to ``…/mentions``), ``mentions``, ``mentions_positive``, ``mentions_neutral``,
        ``mentions_negative`` and ``response_time_minutes`` come from the records, and pushed values
        of them for that channel-day are not stored; the answer counts them in
        ``kept_from_mentions``. Days without mention records keep the pushed values.
        """
        check_json_size()
        return svc.push_points(company_id, data["points"])  # the service refuses more than 10,000 points

    @blp.doc(operationId="deleteMetrics")
    @requires("write", DELETE_GRANT_MESSAGE)
    @api_limit()
    @blp.arguments(StoredPointsQuerySchema, location="query", unknown=RAISE)  # a mistyped 'from' is no series
    @blp.response(200, DeleteResultSchema)
    def delete(self, args, company_id):
        """Delete stored points of one channel and metric: one day (from = to), a range, or the whole series

        Leave out ``from`` and ``to`` to delete every stored day of the channel's metric; leave out
        one of them to leave the range open on that side. ``listMetricPoints`` with the same
        parameters shows what would be deleted. Answers how many points were deleted (0 when
        there were none).
        """
        date_from, date_to = args.get("from_"), args.get("to")
        deleted = svc.delete_points(company_id, args["channel"], args["metric"], date_from, date_to)
        return {"deleted": deleted, "channel": args["channel"], "metric": args["metric"],
                "from": date_from, "to": date_to}


@blp.route("/points")
class MetricPoints(MethodView):
    @blp.doc(operationId="listMetricPoints")
    @requires("read")
    @api_limit()
    @blp.arguments(StoredPointsListQuerySchema, location="query", unknown=RAISE)
    @blp.response(200, StoredPointSchema(many=True))
    def get(self, args, company_id):
        """List the stored points of one channel and metric, newest first

        The daily values as they were pushed or imported (no buckets, nothing derived): what
        ``deleteMetrics`` with the same channel, metric and range would delete.
        """
        found = svc.stored_points(company_id, args["channel"], args["metric"], args.get("from_"), args.get("to"),
                                  page=args["page"], page_size=args["page_size"])
        set_pagination(found.total, found.page, found.page_size)
        return found.points


@blp.route("/summary")
class MetricsSummary(MethodView):
    @blp.doc(operationId="summariseMetrics")
    @requires("read")
    @api_limit()
    @blp.arguments(SummaryQuerySchema, location="query")
    @blp.response(200, SummaryResultSchema)
    def get(self, args, company_id):
        """Summarise each metric over a period against an earlier one

        ``compare=previous`` (default): the period of the same length just before; ``compare=year``:
        the same days a year earlier (year to date against the same days last year).
        """
        date_from, date_to = _period(company_id, args, SUMMARY_DAYS)
        return svc.summary(company_id, date_from, date_to, channel=args.get("channel"), metrics=args.get("metric"),
                           compare=args["compare"])


@blp.route("/import")
class MetricsImport(MethodView):
    @blp.doc(operationId="importMetrics")
    @requires("metrics:write", PUSH_GRANT_MESSAGE)
    @api_limit()
    @push_limit_per_client()
    @push_limit_per_company()
    @idempotent
    @blp.doc(requestBody={"required": True, "content": {"text/csv": {
        # format binary: generated clients send the file's bytes as they are (openapi-python-client
        # with its content_type_overrides, clients/openapi-python-client.yml)
        "schema": {"type": "string", "format": "binary", "description": "UTF-8 CSV with a header row"},
        "examples": {
            "long": {"value": "date,channel,metric,value\n2024-05-01,facebook,followers,1200\n"},
            "wide": {"value": "date,channel,followers,reach\n2024-05-01,facebook,1200,5400\n"},
        }}}}, **IDEMPOTENCY_DOC)
    @blp.response(200, ImportResultSchema)
    def post(self, company_id):
        """Import a CSV file (long or wide form), all or nothing"""
        try:
            text = request.get_data(cache=True).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ValidationFailed.field("body", "The CSV must be UTF-8 text.") from None
        return svc.import_csv(company_id, io.StringIO(text, newline=""))


@blp.route("/export")
class MetricsExport(MethodView):
    @blp.doc(operationId="exportMetrics")
    @requires("read")
    @api_limit()
    @blp.arguments(SeriesQuerySchema, location="query")
    @blp.doc(responses={"200": {"description": "CSV in the long form: date,channel,metric,value",
                                "content": {"text/csv": {"schema": {"type": "string"}}},
                                "headers": {"Content-Disposition": header_ref("Content-Disposition", required=True)}}})
    def get(self, args, company_id):
        """Export metrics as CSV (same filters as the read)"""
        granularity = args["granularity"]
        date_from, date_to = _period(company_id, args, SPAN_DAYS[granularity])
        lines = svc.export_csv(company_id, args["metric"], args.get("channel"), date_from, date_to, granularity)
        name = f"metrics-{company_id}-{date_from.isoformat()}-{date_to.isoformat()}.csv"
        # Checked before the first byte; then streamed window by window (flat memory).
        return Response(stream_with_context(lines), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
