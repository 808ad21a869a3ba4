from marshmallow import fields, validate

from ..common import OutSchema, StrictSchema, UtcDateTime


class AgencySchema(OutSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    created_at = UtcDateTime(dump_only=True)


class AgencyUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
