from marshmallow import fields, validate

from ...services.mail import MAX_RECIPIENTS
from ...services.reports import COMMENTARY_LIMIT, MAX_HIGHLIGHTED, PERIOD_KINDS, STATUSES
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

PDF_STATES = ("current", "rendering", "failed", "unavailable")


class ReportCreateSchema(StrictSchema):
    period_kind = fields.String(required=True, validate=validate.OneOf(PERIOD_KINDS), metadata={
        "description": "month or quarter: the calendar month/quarter holding anchor (or period_start); without "
                       "either, the last whole one in the company's time zone. custom: period_start to period_end "
                       "(at most 366 days)"})
    anchor = Day(metadata={"description": "A day of the month or quarter"})
    period_start = Day(metadata={"description": "custom: the first day; month/quarter: a day of it"})
    period_end = Day(metadata={"description": "custom: the last day (inclusive)"})
    commentary = fields.String(metadata={"maxLength": COMMENTARY_LIMIT, "default": "",
                                         "description": "The agency's words, shown first in the summary"})
    highlighted_goal_ids = fields.List(fields.UUID(), validate=validate.Length(max=MAX_HIGHLIGHTED), metadata={
        "description": "Goals of the company the report puts first"})


class ReportUpdateSchema(StrictSchema):
    commentary = fields.String(metadata={"maxLength": COMMENTARY_LIMIT, "description": "Only while a draft"})
    highlighted_goal_ids = fields.List(fields.UUID(), validate=validate.Length(max=MAX_HIGHLIGHTED),
                                       metadata={"description": "Only while a draft"})
    status = fields.String(validate=validate.OneOf(("draft", "ready")), metadata={
        "description": "ready: reviewed, may be sent (a report of a schedule that requires review is then sent to "
                       "the schedule's recipients); draft: reopen a ready report. A sent report stays sent"})
    version = fields.Integer(metadata={"description": "If given, refused (409) when the report changed meanwhile"})


class ReportDeleteQuerySchema(StrictSchema):
    version = fields.Integer(metadata={"description": "If given, refused (409) when the report changed meanwhile"})


class ReportQuerySchema(PaginationQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


class ReportSendSchema(StrictSchema):
    recipients = fields.List(fields.String(metadata={"maxLength": 254}), required=True,
                             validate=validate.Length(min=1, max=MAX_RECIPIENTS),
                             metadata={"description": "E-mail addresses; an invalid one is named in the 422"})


class PdfStateSchema(OutSchema):
    state = fields.String(metadata={"enum": list(PDF_STATES), "description": (
        "current: the PDF of this version can be downloaded; rendering: the worker is making it; failed: the "
        "last rendering failed (error); unavailable: this server has no PDF renderer (error says what is missing)")})
    pages = fields.Integer(allow_none=True)
    sha256 = fields.String(allow_none=True)
    rendered_at = UtcDateTime(allow_none=True)
    error = fields.String()


class DeliverySchema(OutSchema):
    id = fields.UUID()
    report_id = fields.UUID()
    schedule_id = fields.UUID(allow_none=True)
    recipients = fields.List(fields.String())
    status = fields.String(metadata={"enum": ["queued", "sent", "failed"]})
    attempts = fields.Integer()
    error = fields.String(metadata={"description": "The SMTP error or the recipients the server refused; empty "
                                                   "when all went well"})
    requested_by = fields.String()
    created_at = UtcDateTime()
    sent_at = UtcDateTime(allow_none=True)


class ReportSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    period_kind = fields.String(metadata={"enum": list(PERIOD_KINDS)})
    period_start = fields.Date()
    period_end = fields.Date()
    period_label = fields.String(metadata={"description": "November 2026, Q4 2026 or the dates"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    commentary = fields.String()
    highlighted_goal_ids = fields.List(fields.UUID())
    schedule_id = fields.UUID(allow_none=True, metadata={"description": "The schedule that made it, if any"})
    created_by = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()
    ready_at = UtcDateTime(allow_none=True)
    ready_by = fields.String()
    sent_at = UtcDateTime(allow_none=True)
    version = fields.Integer()
    pdf = fields.Nested(PdfStateSchema)
    deliveries = fields.List(fields.Nested(DeliverySchema), metadata={
        "description": "Its e-mail sendings, newest first (empty for client viewers)"})
