from marshmallow import fields

from ...services.mail import MAX_RECIPIENTS
from ...services.report_schedules import CADENCES, PERIODS
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

WEEKDAY = "weekly: 0 = Monday … 6 = Sunday (required for weekly; null or absent for monthly)"
DAY_OF_MONTH = "monthly: 1 to 28, so every month has it (required for monthly; null or absent for weekly)"
HOUR = "The hour (0–23) in the company's time zone (Company.timezone)"
PERIOD = ("What a run covers: the calendar week (Monday–Sunday), month or quarter before the run's day. "
          "Default: previous_week for weekly, previous_month for monthly")
RECIPIENTS = f"1 to {MAX_RECIPIENTS} e-mail addresses; an invalid one is named in the 422 (recipients.<index>)"
REVIEW = ("true: each run makes a draft that a person marks ready, which sends it; false: the run sends the "
          "report at once")
STARTS_ON = "No run before this day (in the company's time zone); not in the past"


class ReportScheduleCreateSchema(StrictSchema):
    cadence = fields.String(required=True, metadata={"enum": list(CADENCES)})
    weekday = fields.Integer(allow_none=True, metadata={"description": WEEKDAY, "minimum": 0, "maximum": 6})
    day_of_month = fields.Integer(allow_none=True, metadata={"description": DAY_OF_MONTH, "minimum": 1,
                                                             "maximum": 28})
    hour = fields.Integer(metadata={"description": HOUR, "minimum": 0, "maximum": 23, "default": 8})
    period = fields.String(metadata={"enum": list(PERIODS), "description": PERIOD})
    recipients = fields.List(fields.String(metadata={"format": "email"}), required=True,
                             metadata={"description": RECIPIENTS, "minItems": 1, "maxItems": MAX_RECIPIENTS})
    starts_on = Day(allow_none=True, metadata={"description": STARTS_ON})
    require_review = fields.Boolean(metadata={"description": REVIEW, "default": True})
    active = fields.Boolean(metadata={"description": "false: paused (no runs; next_run_at is null)",
                                      "default": True})


class ReportScheduleUpdateSchema(StrictSchema):
    cadence = fields.String(metadata={"enum": list(CADENCES), "description": (
        "Changing it drops the other cadence's day unless that is sent too")})
    weekday = fields.Integer(allow_none=True, metadata={"description": WEEKDAY, "minimum": 0, "maximum": 6})
    day_of_month = fields.Integer(allow_none=True, metadata={"description": DAY_OF_MONTH, "minimum": 1,
                                                             "maximum": 28})
    hour = fields.Integer(metadata={"description": HOUR, "minimum": 0, "maximum": 23})
    period = fields.String(metadata={"enum": list(PERIODS), "description": PERIOD})
    recipients = fields.List(fields.String(metadata={"format": "email"}),
                             metadata={"description": RECIPIENTS, "minItems": 1, "maxItems": MAX_RECIPIENTS})
    starts_on = Day(allow_none=True, metadata={"description": STARTS_ON})
    require_review = fields.Boolean(metadata={"description": REVIEW})
    active = fields.Boolean(metadata={"description": "false: paused (no runs; next_run_at is null)"})
    version = fields.Integer(metadata={"description": "If given, refused (409) when the schedule changed meanwhile"})


class ReportScheduleSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    cadence = fields.String(metadata={"enum": list(CADENCES)})
    weekday = fields.Integer(allow_none=True, metadata={"description": "0 = Monday … 6 = Sunday; null for monthly"})
    day_of_month = fields.Integer(allow_none=True, metadata={"description": "1 to 28; null for weekly"})
    hour = fields.Integer(metadata={"description": HOUR})
    timezone = fields.String(metadata={"description": "The company's time zone, in which the day and hour are read"})
    description = fields.String(metadata={"description": "In words: 'Monthly on day 1 at 08:00'"})
    period = fields.String(metadata={"enum": list(PERIODS)})
    recipients = fields.List(fields.String())
    starts_on = fields.Date(allow_none=True)
    require_review = fields.Boolean()
    active = fields.Boolean()
    next_run_at = UtcDateTime(allow_none=True, metadata={"description": "The next run (UTC); null while paused"})
    last_run_at = UtcDateTime(allow_none=True, metadata={"description": "The run time of the last run done (UTC)"})
    last_error = fields.String(metadata={"description": "Why the last run failed (it is retried); empty otherwise"})
    version = fields.Integer()
    created_by = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class ReportScheduleQuerySchema(PaginationQuerySchema):
    pass


class ReportScheduleDeleteQuerySchema(StrictSchema):
    version = fields.Integer(metadata={"description": "If given, refused (409) when the schedule changed meanwhile"})
