from marshmallow import fields

from ...services.strategy import REVIEW_CADENCES, STATUSES
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

TEXT = "Free text, at most 10,000 characters"
LONG = {"maxLength": 10_000}
EMPTY_TEXT = {**LONG, "default": ""}
MAX_ITEMS = {"maxItems": 50}


class AudienceInSchema(StrictSchema):
    name = fields.String(required=True, metadata={"description": "At most 200 characters", "minLength": 1,
                                                  "maxLength": 200})
    description = fields.String(metadata=EMPTY_TEXT)
    channels = fields.List(fields.String(), metadata={"description": "Keys of the company's channels, each once",
                                                      "uniqueItems": True, "default": []})


class ChannelPlanInSchema(StrictSchema):
    channel = fields.String(required=True, metadata={
        "description": "Key of one of the company's channels (once in the plan)"})
    purpose = fields.String(metadata=EMPTY_TEXT)


class LaunchPlanInSchema(StrictSchema):
    followers_target = fields.Float(metadata={"description": "More than 0: the first critical mass, across channels",
                                              "minimum": 0, "exclusiveMinimum": True})
    target_date = Day()


class StrategyPutSchema(StrictSchema):
    """PUT replaces the whole strategy: a field left out takes its default."""

    objective = fields.String(metadata={"description": "What the company wants to achieve. " + TEXT, **EMPTY_TEXT})
    business_alignment = fields.String(metadata={"description": "How it serves the business strategy. " + TEXT,
                                                 **EMPTY_TEXT})
    audiences = fields.List(fields.Nested(AudienceInSchema), metadata={**MAX_ITEMS, "default": []})
    engagement_approach = fields.String(metadata={"description": "How target groups are brought along. " + TEXT,
                                                  **EMPTY_TEXT})
    personality = fields.String(metadata={"description": "The voice shown online. " + TEXT, **EMPTY_TEXT})
    channel_plan = fields.List(fields.Nested(ChannelPlanInSchema), metadata={**MAX_ITEMS, "default": []})
    launch_plan = fields.Nested(LaunchPlanInSchema, allow_none=True,
                                metadata={"description": "Both fields, or null / {} for no launch plan",
                                          "default": None})
    review_cadence = fields.String(metadata={"enum": list(REVIEW_CADENCES), "default": "monthly"})
    status = fields.String(metadata={"enum": list(STATUSES), "default": "draft"})
    revision = fields.Integer(metadata={
        "description": "The revision you edited; refused (409) if the strategy was saved meanwhile. "
                       "Same as the If-Match header."})


class AudienceSchema(OutSchema):
    name = fields.String()
    description = fields.String()
    channels = fields.List(fields.String())


class ChannelPlanSchema(OutSchema):
    channel = fields.String()
    purpose = fields.String()


class LaunchPlanSchema(OutSchema):
    """Both fields, or {} when there is no launch plan."""

    SOMETIMES = ("followers_target", "target_date")

    followers_target = fields.Float()
    target_date = fields.String(metadata={"format": "date"})


class StrategySchema(OutSchema):
    company_id = fields.UUID()
    objective = fields.String()
    business_alignment = fields.String()
    audiences = fields.List(fields.Nested(AudienceSchema))
    engagement_approach = fields.String()
    personality = fields.String()
    channel_plan = fields.List(fields.Nested(ChannelPlanSchema))
    launch_plan = fields.Nested(LaunchPlanSchema)
    review_cadence = fields.String()
    status = fields.String()
    revision = fields.Integer(metadata={"description": "0 for the empty draft every company starts with"})
    updated_at = UtcDateTime(allow_none=True)
    updated_by = fields.String(allow_none=True)


# A strategy field's value: text (null when there was none), a list of objects (audiences, the
# channel plan) or an object (the launch plan).
CHANGE_VALUE = {"anyOf": [{"type": "string", "nullable": True},
                          {"type": "array", "items": {"type": "object", "additionalProperties": True}},
                          {"type": "object", "additionalProperties": True}]}


class ChangeSchema(OutSchema):
    """One field's change: its values before and after (text, a list, an object or null)."""

    old = fields.Raw(metadata=CHANGE_VALUE)
    new = fields.Raw(metadata=CHANGE_VALUE)


class RevisionSchema(OutSchema):
    revision = fields.Integer()
    created_at = UtcDateTime(metadata={"description": "When it was saved"})
    created_by = fields.String(allow_none=True, metadata={"description": "Who saved it"})
    changed_fields = fields.Function(lambda r: list(r.changes), metadata={
        "type": "array", "items": {"type": "string"}, "description": "The names of the fields that changed"})
    changes = fields.Dict(keys=fields.String(), values=fields.Nested(ChangeSchema),
                          metadata={"description": "{field: {old, new}} for every field that changed"})


class RevisionQuerySchema(PaginationQuerySchema):
    pass
