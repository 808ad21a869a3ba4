from marshmallow import fields, validate

from ..common import OutSchema, StrictSchema


class AgencySchema(OutSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    created_at = fields.DateTime(dump_only=True)


class AgencyUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
