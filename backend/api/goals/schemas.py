from marshmallow import fields

from ...services.goals import AGGREGATIONS, CATEGORIES
from ...services.progress import STATUSES
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime


class KpiInSchema(StrictSchema):
    metric = fields.String(metadata={"description": "A key from GET /api/v1/metric-definitions (required)"})
    channel = fields.String(metadata={"description": "A channel key of the company, or 'all' (default)"})
    aggregation = fields.String(metadata={
        "enum": list(AGGREGATIONS),
        "description": "latest: gauges and ratios; total: flows and follower_growth. Default: what fits the metric"})
    baseline = fields.Float(allow_none=True, metadata={
        "description": "Optional. latest: defaults to the value on the start date; total: 0"})
    target = fields.Float(metadata={"description": "Required; must differ from the baseline"})
    start_date = Day(metadata={"description": "Required"})
    deadline = Day(metadata={"description": "Required; not before start_date"})


class KpiCreateSchema(KpiInSchema):
    """A new goal's KPI: metric, target, start_date and deadline are required."""

    metric = fields.String(required=True, metadata={"description": "A key from GET /api/v1/metric-definitions"})
    channel = fields.String(metadata={"description": "A channel key of the company, or 'all'", "default": "all"})
    target = fields.Float(required=True, metadata={"description": "Must differ from the baseline"})
    start_date = Day(required=True)
    deadline = Day(required=True, metadata={"description": "Not before start_date"})


class GoalCreateSchema(StrictSchema):
    title = fields.String(required=True, metadata={"description": "At most 300 characters", "minLength": 1,
                                                   "maxLength": 300})
    description = fields.String(metadata={"maxLength": 10_000, "default": ""})
    category = fields.String(metadata={"enum": list(CATEGORIES), "default": "other"})
    owner = fields.String(metadata={"maxLength": 200, "default": ""})
    kpi = fields.Nested(KpiCreateSchema, required=True)


class GoalUpdateSchema(StrictSchema):
    title = fields.String(metadata={"minLength": 1, "maxLength": 300})
    description = fields.String(metadata={"maxLength": 10_000})
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    owner = fields.String(metadata={"maxLength": 200})
    kpi = fields.Nested(KpiInSchema, metadata={"description": "Only the KPI fields sent change"})
    version = fields.Integer(metadata={"description": "If given, refused (409) when the goal changed meanwhile"})


class KpiSchema(OutSchema):
    metric = fields.String()
    channel = fields.String()
    aggregation = fields.String()
    baseline = fields.Float(allow_none=True)
    target = fields.Float()
    start_date = fields.Date()
    deadline = fields.Date()


class ProgressSchema(OutSchema):
    current = fields.Float(allow_none=True, metadata={"description": "null when there is no data yet"})
    baseline = fields.Float(allow_none=True)
    target = fields.Float()
    direction = fields.String(metadata={
        "enum": ["up", "down"],
        "description": "up: reached at or above the target; down: at or below it (a response time, a cost)"})
    percent = fields.Float(allow_none=True,
                           metadata={"description": "(current − baseline) / (target − baseline) × 100"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    forecast_date = fields.Date(allow_none=True, metadata={
        "description": "When the target is reached if the recent trend holds; null when it does not move towards it"})
    as_of = fields.Date()


class GoalSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    title = fields.String()
    description = fields.String()
    category = fields.String()
    owner = fields.String()
    kpi = fields.Nested(KpiSchema)
    progress = fields.Nested(ProgressSchema)
    version = fields.Integer()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class AsOfQuerySchema(StrictSchema):
    as_of = Day(metadata={"description": "Judge progress on this day (YYYY-MM-DD); default today"})


class GoalQuerySchema(PaginationQuerySchema):
    category = fields.String(metadata={"enum": list(CATEGORIES)})
    as_of = Day(metadata={"description": "Judge progress on this day (YYYY-MM-DD); default today"})


class GoalDeleteQuerySchema(StrictSchema):
    version = fields.Integer(metadata={"description": "If given, refused (409) when the goal changed meanwhile"})
