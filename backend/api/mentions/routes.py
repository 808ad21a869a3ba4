"""Mentions of a company: pushed by listening tools and help desks (upsert on source and
external_id), listed newest first with filters and full-text search, the unanswered inbox,
answered, assigned and tagged, deleted one by one or all of an author's (erasure); CSV in and out.

The lists page with a cursor: the body is the page (an array, as every list of the API) and the
``X-Next-Cursor`` header, sent only when there is a next page, is the ``cursor`` parameter that
reads it."""
from __future__ import annotations

from flask import Response, request, stream_with_context
from flask.views import MethodView
from marshmallow import RAISE

from ...services.errors import ValidationFailed
from ...services.listening import csvio
from ...services.listening import mentions as svc
from ..access import requires
from ..common import Blueprint, check_json_size, header_ref
from ..idempotency import HEADER, idempotent
from ..ratelimit import api_limit, push_limit_per_client, push_limit_per_company
from .schemas import (
    MENTION_EXAMPLE,
    EraseAuthorSchema,
    EraseResultSchema,
    InboxQuerySchema,
    MentionFilterSchema,
    MentionImportResultSchema,
    MentionPushResultSchema,
    MentionPushSchema,
    MentionQuerySchema,
    MentionSchema,
    MentionUpdateSchema,
)

blp = Blueprint("mentions", __name__, url_prefix="/companies/<uuid:company_id>/mentions",
                description="What people say about a company: mentions pushed by listening tools, searched, "
                            "answered and erased")

WRITE_GRANT = svc.WRITE_GRANT
IDEMPOTENCY_DOC = {"parameters": [{
    "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
    "description": "Replays within 24 h return the first response without writing; the same key with a "
                   "different body answers 422; while the first is still running, 409.",
}]}
NEXT_CURSOR = {"responses": {200: {"headers": {"X-Next-Cursor": {
    "description": "Sent when there is a next page: pass it as the cursor parameter to read it (opaque)",
    "schema": {"type": "string"}}}}}}
OUT_EXAMPLE = {
    "id": "5b0f3c2e-8f4e-4d57-9a43-0f6b8f0b6a11", "company_id": "0c5e2b8a-3d7f-4b1e-9a6c-2f1d8e7b4c33",
    "channel": "facebook", "source": "brandwatch", "external_id": "bw-918273",
    "published_at": "2024-05-01T08:15:00Z", "utc_offset_minutes": 120, "day": "2024-05-01",
    "url": MENTION_EXAMPLE["url"], "text": MENTION_EXAMPLE["text"], "author": MENTION_EXAMPLE["author"],
    "sentiment": "positive", "sentiment_score": 0.8, "language": "en",
    "location": {"country": "SE", "city": "Umeå"},
    "topics": [{"id": "9d2c7a51-6b0e-4f3a-8c1d-5e4f3a2b1c00", "name": "recall", "tagged_by": "pushed"}],
    "answered": True, "answered_at": "2024-05-01T08:41:00Z", "answered_by": "anna@northwind.example",
    "assigned_to": None, "created_at": "2024-05-01T08:16:02Z", "updated_at": "2024-05-01T08:41:00Z",
}
CSV_EXAMPLE = ("source,external_id,channel,published_at,sentiment,text,author_handle,country,topics\n"
               "brandwatch,bw-918273,facebook,2024-05-01T10:15:00+02:00,positive,Swapped my kettle the same day,"
               "@annaberg,SE,recall\n")


def _out(company_id, mentions: list) -> list[dict]:
    extra = svc.details(company_id, mentions)
    return [{
        "id": m.id, "company_id": m.company_id, "channel": extra[m.seq]["channel"], "source": m.source,
        "external_id": m.external_id, "published_at": m.published_at, "utc_offset_minutes": m.utc_offset_minutes,
        "day": m.day, "url": m.url, "text": m.text,
        "author": {"name": m.author_name, "handle": m.author_handle, "followers": m.author_followers},
        "sentiment": m.sentiment, "sentiment_score": m.sentiment_score, "language": m.language,
        "location": {"country": m.country, "city": m.city}, "topics": extra[m.seq]["topics"],
        "answered": m.answered_at is not None, "answered_at": m.answered_at, "answered_by": m.answered_by,
        "assigned_to": m.assigned_to_id, "created_at": m.created_at, "updated_at": m.updated_at,
    } for m in mentions]


def _filters(args: dict) -> dict:
    return {"channel": args.get("channel"), "sentiment": args.get("sentiment"), "topic": args.get("topic"),
            "country": args.get("country"), "answered": args.get("answered"), "author": args.get("author"),
            "date_from": args.get("from_"), "date_to": args.get("to"), "q": args.get("q")}


def _page(company_id, found: tuple[list, str | None]):
    mentions, next_cursor = found
    return _out(company_id, mentions), 200, ({"X-Next-Cursor": next_cursor} if next_cursor else {})


@blp.route("")
class Mentions(MethodView):
    @blp.doc(operationId="listMentions")
    @requires("read")
    @blp.arguments(MentionQuerySchema, location="query", unknown=RAISE)  # a mistyped filter is no filter
    @blp.response(200, MentionSchema(many=True), example=[OUT_EXAMPLE])
    @blp.doc(**NEXT_CURSOR)
    def get(self, args, company_id):
        """List the company's mentions, newest first, filtered and searched

        ``q`` searches the text and the author (stemmed words, "phrases", ``-`` to exclude, ``OR``).
        A page holds up to ``limit`` mentions; the ``X-Next-Cursor`` header, when sent, reads the next.
        """
        return _page(company_id, svc.list_mentions(company_id, cursor=args.get("cursor"), limit=args["limit"],
                                                   **_filters(args)))

    @blp.doc(operationId="pushMentions")
    @requires("write", WRITE_GRANT)
    @api_limit()
    @push_limit_per_client()
    @push_limit_per_company()
    @idempotent
    @blp.doc(**IDEMPOTENCY_DOC)
    @blp.arguments(MentionPushSchema, example={"mentions": [MENTION_EXAMPLE]})
    @blp.response(200, MentionPushResultSchema, example={"received": 1, "created": 1, "updated": 0, "unchanged": 0})
    def post(self, data, company_id):
        """Push mentions (upsert on source and external_id, all or nothing; up to 1,000 and 5 MiB)

        A known (source, external_id) is updated, never duplicated; the same mention again is
        unchanged. Every error is answered with the mention's index; nothing is written then.
        """
        check_json_size()
        return svc.push_mentions(company_id, data["mentions"])


@blp.route("/inbox")
class MentionInbox(MethodView):
    @blp.doc(operationId="listUnansweredMentions")
    @requires("read")
    @blp.arguments(InboxQuerySchema, location="query", unknown=RAISE)  # a mistyped filter is no filter
    @blp.response(200, MentionSchema(many=True), example=[{**OUT_EXAMPLE, "answered": False, "answered_at": None,
                                                           "answered_by": ""}])
    @blp.doc(**NEXT_CURSOR)
    def get(self, args, company_id):
        """List the unanswered mentions, oldest first (the longest waiting on top)"""
        return _page(company_id, svc.inbox(company_id, cursor=args.get("cursor"), limit=args["limit"]))


@blp.route("/export")
class MentionsExport(MethodView):
    @blp.doc(operationId="exportMentions")
    @requires("read")
    @blp.arguments(MentionFilterSchema, location="query", unknown=RAISE)  # a mistyped filter is no filter
    @blp.doc(responses={"200": {
        "description": f"CSV, newest first, with the columns {', '.join(csvio.EXPORT_COLUMNS)} (at most "
                       f"{csvio.MAX_EXPORT_ROWS:,} rows; more is a 413)",
        "content": {"text/csv": {"schema": {"type": "string"}, "example": "id," + CSV_EXAMPLE.split("\n")[0]}},
        "headers": {"Content-Disposition": header_ref("Content-Disposition", required=True)}}})
    @blp.alt_response(413, description=f"More than {csvio.MAX_EXPORT_ROWS:,} mentions match: narrow the dates or "
                                       "the filters")
    def get(self, args, company_id):
        """Export mentions as CSV (the list's filters)"""
        parts = csvio.export_mentions_lines(company_id, **_filters(args))
        return Response(stream_with_context(parts), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="mentions-{company_id}.csv"'})


@blp.route("/import")
class MentionsImport(MethodView):
    @blp.doc(operationId="importMentions")
    @requires("write", WRITE_GRANT)
    @api_limit()
    @push_limit_per_client()
    @push_limit_per_company()
    @idempotent
    @blp.doc(requestBody={"required": True, "content": {"text/csv": {
        "schema": {"type": "string", "format": "binary", "description": (
            "UTF-8 CSV with a header row. Required columns: " + ", ".join(csvio.REQUIRED_COLUMNS)
            + "; optional: " + ", ".join(c for c in csvio.COLUMNS if c not in csvio.REQUIRED_COLUMNS)
            + " (topics separated by ;). id, day and answered_by (the export's) are ignored. Up to "
            + f"{csvio.MAX_IMPORT_ROWS:,} rows.")},
        "examples": {"mentions": {"value": CSV_EXAMPLE}}}}}, **IDEMPOTENCY_DOC)
    @blp.response(200, MentionImportResultSchema, example={"received": 1, "created": 1, "updated": 0, "unchanged": 0,
                                                    "rows": 1})
    def post(self, company_id):
        """Import mentions from a CSV file, all or nothing (the push's rules; errors name the row)"""
        data = request.get_data(cache=True)
        if not data:
            raise ValidationFailed.field("body", "The CSV file is empty.")
        return csvio.import_mentions_csv(company_id, data)


@blp.route("/erase-author")
class MentionAuthorErasure(MethodView):
    @blp.doc(operationId="eraseMentionAuthor")
    @requires("write", WRITE_GRANT)
    @blp.arguments(EraseAuthorSchema, example={"handle": "@annaberg"})
    @blp.response(200, EraseResultSchema, example={"deleted": 12})
    def post(self, data, company_id):
        """Erase every mention of an author in this company (a person's right to erasure)

        Deletes the mentions and their search index entries; the daily counts are recomputed; the
        audit log records how many, not whose; report PDFs covering those days are made again.
        """
        return {"deleted": svc.erase_author(company_id, data["handle"])}


@blp.route("/<uuid:mention_id>")
class MentionItem(MethodView):
    @blp.doc(operationId="getMention")
    @requires("read")
    @blp.response(200, MentionSchema, example=OUT_EXAMPLE)
    def get(self, company_id, mention_id):
        """Read a mention"""
        return _out(company_id, [svc.get_mention(company_id, mention_id)])[0]

    @blp.doc(operationId="updateMention")
    @requires("write", WRITE_GRANT)
    @blp.arguments(MentionUpdateSchema, example={"answered": True, "topics": ["recall", "delivery"]})
    @blp.response(200, MentionSchema, example=OUT_EXAMPLE)
    def patch(self, data, company_id, mention_id):
        """Mark a mention answered or not, assign it, or set its topics"""
        return _out(company_id, [svc.update_mention(company_id, mention_id, data)])[0]

    @blp.doc(operationId="deleteMention")
    @requires("write", WRITE_GRANT)
    @blp.response(204)
    def delete(self, company_id, mention_id):
        """Delete a mention (the daily counts of its day follow)"""
        svc.delete_mention(company_id, mention_id)
