from marshmallow import fields

from ...services.strategy import REVIEW_CADENCES, STATUSES
from ..common import Day, OutSchema, PaginationQuerySchema, StrictSchema, UtcDateTime

TEXT = "Free text, at most 10,000 characters"


class AudienceInSchema(StrictSchema):
    name = fields.String(metadata={"description": "Required, at most 200 characters"})
    description = fields.String()
    channels = fields.List(fields.String(), metadata={"description": "Keys of the company's channels"})


class ChannelPlanInSchema(StrictSchema):
    channel = fields.String(metadata={"description": "Key of one of the company's channels (once in the plan)"})
    purpose = fields.String()


class LaunchPlanInSchema(StrictSchema):
    followers_target = fields.Float(metadata={"description": "More than 0: the first critical mass, across channels"})
    target_date = Day()


class StrategyPutSchema(StrictSchema):
    objective = fields.String(metadata={"description": "What the company wants to achieve. " + TEXT})
    business_alignment = fields.String(metadata={"description": "How it serves the business strategy. " + TEXT})
    audiences = fields.List(fields.Nested(AudienceInSchema))
    engagement_approach = fields.String(metadata={"description": "How target groups are brought along. " + TEXT})
    personality = fields.String(metadata={"description": "The voice shown online. " + TEXT})
    channel_plan = fields.List(fields.Nested(ChannelPlanInSchema))
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


class RevisionSchema(OutSchema):
    revision = fields.Integer()
    created_at = UtcDateTime(metadata={"description": "When it was saved"})
    created_by = fields.String(allow_none=True, metadata={"description": "Who saved it"})
    changed_fields = fields.Function(lambda r: list(r.changes))
    changes = fields.Dict(metadata={"description": "{field: {old, new}} for every field that changed"})


class RevisionQuerySchema(PaginationQuerySchema):
    pass
