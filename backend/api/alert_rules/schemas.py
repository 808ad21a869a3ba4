from marshmallow import fields

from ...services.alert_rules import DIRECTIONS, KINDS, PERIODS, SEVERITIES, STALE_DAYS_RANGE
from ...services.goal_terms import STATUSES
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

PARAMS = ("The kind's settings. goal_status: statuses (default at_risk, off_track, missed, achieved), goal_id "
          "(optional: one goal of the company). stale_data: days (1–90, default 3). threshold: metric, channel "
          "(a key or 'all'), direction (above | below), value, period (day | week). spike: metric (a flow), "
          "channel, factor (> 1), minimum (≥ 1), topic_id (optional: count the mentions tagged with this topic of the "
          "company instead of the metric's points; the metric is then mentions, mentions_positive, mentions_neutral "
          "or mentions_negative). A metric, channel or goal outside the company is a 422 naming "
          "params.<field>; another agency's goal a 404")
KIND = ("goal_status: a goal moves into one of the statuses; stale_data: a channel has no new point for more than "
        "`days` days; threshold: a metric is above/below a value on a day or in a week; spike: a flow's day is "
        "≥ factor × its 28-day median and ≥ minimum")


class AlertRuleParamsInSchema(StrictSchema):
    statuses = fields.List(fields.String(metadata={"enum": list(STATUSES)}),
                           metadata={"description": "goal_status: the statuses that alert", "minItems": 1})
    goal_id = fields.String(allow_none=True, metadata={
        "format": "uuid", "description": "goal_status: only this goal of the company (null: every goal)"})
    days = fields.Integer(metadata={"description": "stale_data", "minimum": STALE_DAYS_RANGE[0],
                                    "maximum": STALE_DAYS_RANGE[1]})
    metric = fields.String(metadata={"description": "threshold, spike: a key from GET /api/v1/metric-definitions",
                                     "maxLength": 64})
    channel = fields.String(metadata={"description": "threshold, spike: a channel key of the company, or 'all' "
                                                     "(default)", "maxLength": 64})
    direction = fields.String(metadata={"enum": list(DIRECTIONS), "description": "threshold"})
    value = fields.Float(metadata={"description": "threshold: a finite number"})
    period = fields.String(metadata={"enum": list(PERIODS), "description": "threshold (default day)"})
    factor = fields.Float(metadata={"description": "spike: more than 1 (a factor of 1 or less is a 422)"})
    minimum = fields.Float(metadata={"description": "spike: at least 1 (default 1)", "minimum": 1})
    topic_id = fields.String(allow_none=True, metadata={
        "format": "uuid", "example": "3f0c1a52-9d4e-4a8b-8f1e-2b7c5d6e9a10",
        "description": "spike: count the company's mentions tagged with this topic (GET …/topics) instead of the "
                       "metric's points — 'negative mentions on topic recall' is metric mentions_negative with the "
                       "topic; null: no topic. Another company's or a deleted topic: 422"})


class AlertRuleCreateSchema(StrictSchema):
    kind = fields.String(required=True, metadata={"enum": list(KINDS), "description": KIND})
    name = fields.String(metadata={"maxLength": 200, "description": "Default: the kind in words"})
    params = fields.Nested(AlertRuleParamsInSchema, metadata={"description": PARAMS})
    severity = fields.String(metadata={"enum": list(SEVERITIES), "default": "warning"})
    active = fields.Boolean(metadata={"description": "false: paused (not evaluated)", "default": True})
    visible_to_clients = fields.Boolean(metadata={
        "description": "The company's client viewers see this rule's alerts", "default": False})


class AlertRuleUpdateSchema(StrictSchema):
    kind = fields.String(metadata={"enum": list(KINDS), "description": "Changing it needs the new kind's params"})
    name = fields.String(metadata={"minLength": 1, "maxLength": 200})
    params = fields.Nested(AlertRuleParamsInSchema, metadata={
        "description": "Merged field by field into the rule's params (replaced when the kind changes)"})
    severity = fields.String(metadata={"enum": list(SEVERITIES)})
    active = fields.Boolean()
    visible_to_clients = fields.Boolean()
    version = fields.Integer(metadata={"description": "If given, refused (409) when the rule changed meanwhile"})


class AlertRuleSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    kind = fields.String(metadata={"enum": list(KINDS)})
    name = fields.String()
    description = fields.String(metadata={"description": "The rule in words"})
    params = fields.Dict(metadata={"description": PARAMS})
    severity = fields.String(metadata={"enum": list(SEVERITIES)})
    active = fields.Boolean()
    visible_to_clients = fields.Boolean()
    version = fields.Integer()
    created_by = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class AlertRuleQuerySchema(PaginationQuerySchema):
    pass


class AlertRuleDeleteQuerySchema(StrictSchema):
    version = fields.Integer(metadata={"description": "If given, refused (409) when the rule changed meanwhile"})
