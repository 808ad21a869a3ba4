from marshmallow import fields, validate

from ...services.alert_inbox import KINDS
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

SEVERITIES = ("info", "warning", "critical")
OBJECT_TYPES = ("goal", "channel", "metric")


class AlertQuerySchema(PaginationQuerySchema):
    company_id = fields.UUID(metadata={"description": "Only this company's alerts (404 when out of reach)"})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"enum": list(KINDS)})
    read = fields.Boolean(metadata={"description": "true: the alerts you have read; false: the unread ones. "
                                                   "People only: read state is per person (422 for an API key)"})


class MarkAllReadSchema(StrictSchema):
    company_id = fields.UUID(metadata={"description": "Only this company's alerts (404 when out of reach)"})
    kind = fields.String(validate=validate.OneOf(KINDS), metadata={"enum": list(KINDS)})


class AlertSchema(OutSchema):
    id = fields.UUID()
    company_id = fields.UUID()
    company_name = fields.String()
    kind = fields.String(metadata={"enum": list(KINDS), "description": "The kind of the rule that fired"})
    severity = fields.String(metadata={"enum": list(SEVERITIES)})
    title = fields.String(metadata={"description": "What happened, in one line"})
    object_type = fields.String(metadata={"enum": list(OBJECT_TYPES)})
    object_id = fields.String(metadata={"description": "The goal's id, the channel's key or the metric's name"})
    seen = fields.Dict(metadata={"description": "The values and dates that fired it"})
    link = fields.String(metadata={"description": "The path of the page that shows it (e.g. the goal on the "
                                                  "company's dashboard)"})
    day = fields.Date(metadata={"description": "The company's day the alert is about"})
    created_at = UtcDateTime()
    read = fields.Boolean(allow_none=True, metadata={
        "description": "Whether you have read it; null for an API key (read state is per person)"})


class MarkedSchema(OutSchema):
    marked = fields.Integer(metadata={"description": "Alerts newly marked read", "minimum": 0})
    unread = fields.Integer(metadata={"description": "Your unread alerts now", "minimum": 0})
