from marshmallow import fields

from ...services.strategy import REVIEW_CADENCES, STATUSES
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

TEXT = "Free text, at most 10,000 characters"
LONG = {"maxLength": 10_000}
MAX_ITEMS = {"maxItems": 50}


class AudienceInSchema(StrictSchema):
    name = fields.String(required=True, metadata={"description": "At most 200 characters", "minLength": 1,
                                                  "maxLength": 200})
    description = fields.String(metadata=LONG)
    channels = fields.List(fields.String(), metadata={"description": "Keys of the company's channels, each once",
                                                      "uniqueItems": True})


class ChannelPlanInSchema(StrictSchema):
    channel = fields.String(required=True, metadata={
        "description": "Key of one of the company's channels (once in the plan)"})
    purpose = fields.String(metadata=LONG)


class LaunchPlanInSchema(StrictSchema):
    followers_target = fields.Float(metadata={"description": "More than 0: the first critical mass, across channels",
                                              "minimum": 0, "exclusiveMinimum": True})
    target_date = Day()


class StrategyPutSchema(StrictSchema):
    objective = fields.String(metadata={"description": "What the company wants to achieve. " + TEXT, **LONG})
    business_alignment = fields.String(metadata={"description": "How it serves the business strategy. " + TEXT,
                                                 **LONG})
    audiences = fields.List(fields.Nested(AudienceInSchema), metadata=MAX_ITEMS)
    engagement_approach = fields.String(metadata={"description": "How target groups are brought along. " + TEXT,
                                                  **LONG})
    personality = fields.String(metadata={"description": "The voice shown online. " + TEXT, **LONG})
    channel_plan = fields.List(fields.Nested(ChannelPlanInSchema), metadata=MAX_ITEMS)
    launch_plan = fields.Nested(LaunchPlanInSchema, allow_none=True,
                                metadata={"description": "Both fields, or null / {} for no launch plan"})
    review_cadence = fields.String(metadata={"enum": list(REVIEW_CADENCES)})
    status = fields.String(metadata={"enum": list(STATUSES)})
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


class ChangeSchema(OutSchema):
    """One field's change: its values before and after (text, a list, an object or null)."""

    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


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
