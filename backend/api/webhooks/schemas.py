from marshmallow import fields, validate

from ...services.webhooks import DESCRIPTION_MAX, EVENTS, OVERLAP_MAX_HOURS, URL_MAX
from ..common import OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

STATUSES = ("pending", "delivered", "failed")
EVENT_FIELD = {"enum": list(EVENTS), "description": "An event the endpoint receives"}
URL_DOC = {"maxLength": URL_MAX, "description": "Where the events are POSTed: http(s) (https in production), a "
                                                "public address (the host is resolved and checked again at each "
                                                "delivery)"}


class WebhookCreateSchema(StrictSchema):
    url = fields.String(required=True, metadata=URL_DOC)
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS), metadata=EVENT_FIELD), required=True,
                         validate=validate.Length(min=1), metadata={"minItems": 1, "uniqueItems": True})
    company_id = fields.UUID(allow_none=True, load_default=None, metadata={
        "description": "Only this company's events; null or left out: every company's"})
    description = fields.String(load_default="", metadata={"maxLength": DESCRIPTION_MAX, "default": ""})


class WebhookUpdateSchema(StrictSchema):
    url = fields.String(metadata=URL_DOC)
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS), metadata=EVENT_FIELD),
                         validate=validate.Length(min=1), metadata={"minItems": 1, "uniqueItems": True})
    company_id = fields.UUID(allow_none=True, metadata={"description": "null: every company's events"})
    description = fields.String(metadata={"maxLength": DESCRIPTION_MAX})
    active = fields.Boolean(metadata={"description": "false disables it; true enables it again (and forgets why it "
                                                     "was disabled)"})
    version = fields.Integer(metadata={"minimum": 1, "description": "The version you read: 409 if it changed since"})


class WebhookRotateSchema(StrictSchema):
    overlap_hours = fields.Float(allow_nan=False, validate=validate.Range(min=0, max=OVERLAP_MAX_HOURS), metadata={
        "minimum": 0, "maximum": OVERLAP_MAX_HOURS,
        "description": "How long the old secret keeps signing beside the new one (default 24)"})


class WebhookQuerySchema(PaginationQuerySchema):
    pass


class WebhookSchema(OutSchema):
    id = fields.UUID()
    url = fields.String()
    description = fields.String()
    events = fields.List(fields.String(metadata=EVENT_FIELD))
    company_id = fields.UUID(allow_none=True, metadata={"description": "null: every company's events"})
    active = fields.Boolean()
    disabled_reason = fields.String(metadata={"description": "Why it is disabled (empty while active)"})
    failing_since = UtcDateTime(allow_none=True, metadata={"description": "Failing without a success since"})
    previous_secret_until = UtcDateTime(allow_none=True, metadata={
        "description": "After a rotation: the old secret signs too until then"})
    version = fields.Integer()
    created_by = fields.String()
    created_at = UtcDateTime()
    updated_at = UtcDateTime()


class WebhookCreatedSchema(WebhookSchema):
    """The endpoint with its signing secret: shown in this answer only."""

    secret = fields.String(metadata={"description": "whsec_ + base64 of 32 random bytes: verify the signatures "
                                                   "with it; shown once"})


class WebhookDeliverySchema(OutSchema):
    id = fields.UUID()
    endpoint_id = fields.UUID()
    event = fields.String(metadata={"enum": list(EVENTS)})
    message_id = fields.String(metadata={"description": "The webhook-id header, the same on every attempt"})
    payload = fields.Dict(metadata={"description": "The body sent: {type, timestamp, data}"})
    status = fields.String(metadata={"enum": list(STATUSES)})
    attempts = fields.Integer()
    next_attempt_at = UtcDateTime(allow_none=True)
    last_status_code = fields.Integer(allow_none=True, metadata={"description": "null: no answer (refused, timeout)"})
    last_latency_ms = fields.Float(allow_none=True)
    last_response = fields.String(metadata={"description": "The first 1 KB of the last answer"})
    last_error = fields.String()
    created_at = UtcDateTime()
    delivered_at = UtcDateTime(allow_none=True)
