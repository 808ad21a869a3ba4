from marshmallow import fields, validate

from ..common import OutSchema, StrictSchema, UtcDateTime

RETENTION_DOC = ("How many months mention texts and authors (personal data) are kept; a daily job deletes "
                 "older mentions, the daily counts stay. 1 to 120, 24 by default.")


class AgencySchema(OutSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    mention_retention_months = fields.Integer(metadata={"description": RETENTION_DOC, "example": 24})
    created_at = UtcDateTime(dump_only=True)


class AgencyUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    mention_retention_months = fields.Integer(strict=True, validate=validate.Range(min=1, max=120),
                                              metadata={"description": RETENTION_DOC, "example": 12})
