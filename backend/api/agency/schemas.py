from marshmallow import fields, validate

from ...i18n import LOCALES
from ..common import OutSchema, StrictSchema, UtcDateTime

RETENTION_DOC = ("How many months mention texts and authors (personal data) are kept; a daily job deletes "
                 "older mentions, the daily counts stay. 1 to 120, 24 by default.")


LOCALE_DOC = ("The language of the agency's people who chose none in the navigation bar and whose browser asks "
              "for none of the four: en, sv, nb or pl. The API itself always answers in English.")


class AgencySchema(OutSchema):
    id = fields.UUID(dump_only=True)
    name = fields.String()
    mention_retention_months = fields.Integer(metadata={"description": RETENTION_DOC, "example": 24})
    default_locale = fields.String(metadata={"description": LOCALE_DOC, "example": "sv"})
    created_at = UtcDateTime(dump_only=True)


class AgencyUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    mention_retention_months = fields.Integer(strict=True, validate=validate.Range(min=1, max=120),
                                              metadata={"description": RETENTION_DOC, "example": 12})
    default_locale = fields.String(validate=validate.OneOf(list(LOCALES)),
                                   metadata={"description": LOCALE_DOC, "example": "sv"})
